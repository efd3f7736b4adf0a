"""The differential harness: one config, run under runc and under berth, the
probe's two reports normalized and compared field by field.

Plain functions and small classes, no pytest: test_differential.py drives them,
and `python3 diffrun.py CONFIG` runs one config by hand and prints the diff.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# the helpers the suites share (also when this file runs as a script)
sys.path.insert(0, str(REPO / "tests" / "pylib"))

from berth_binary import find_berth  # noqa: E402,F401  (the conftest's and __main__'s)
from busybox_rootfs import make_busybox_rootfs  # noqa: E402
from host_objects import namespace_links  # noqa: E402
CORPUS = HERE / "corpus"
ERRORS = HERE / "errors"
ALLOWLIST = HERE / "allowlist"
TIMEOUT = 30

# ---------------------------------------------------------------------------
# Binaries
# ---------------------------------------------------------------------------


def find_runc() -> str | None:
    return os.environ.get("RUNC") or shutil.which("runc") or (
        "/usr/sbin/runc" if os.path.exists("/usr/sbin/runc") else None)


def build_probe(dest: Path) -> Path:
    """The probe, static, built from probe.c with gcc."""
    out = dest / "probe"
    res = subprocess.run(["gcc", "-static", "-O1", "-Wall", "-Wno-format-truncation", "-o",
                          str(out), str(HERE / "probe.c")], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"building the probe failed:\n{res.stderr}")
    return out


def make_rootfs(dest: Path, probe: Path) -> Path:
    """The suites' busybox rootfs with /probe."""
    make_busybox_rootfs(dest)
    # root's home only root can search, as in real images: a cwd there for
    # another user is entered while the runtime is still privileged
    os.chmod(dest / "root", 0o700)
    shutil.copy2(probe, dest / "probe")
    os.chmod(dest / "probe", 0o755)
    return dest


# ---------------------------------------------------------------------------
# Bundles
# ---------------------------------------------------------------------------


def _has_cap(bit: int) -> bool:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) >> bit & 1)
    return False


def adapt_to_host(config: dict) -> None:
    """What this host cannot give either runtime: without CAP_SYS_RESOURCE (a
    container host that drops it) no rlimit can be raised above our own hard
    limit, so each is clamped to it.  Both runtimes get the same config."""
    if _has_cap(24):
        return
    import resource
    for rl in config.get("process", {}).get("rlimits", []) or []:
        res = getattr(resource, rl.get("type", ""), None)
        if res is None:
            continue
        _, hard = resource.getrlimit(res)
        if hard != resource.RLIM_INFINITY:
            rl["hard"] = min(rl["hard"], hard)
            rl["soft"] = min(rl["soft"], rl["hard"])


@dataclass
class Ctx:
    """One runtime's run of one config: the names to put back as placeholders."""
    runtime: str            # "runc" or "berth"
    binary: str
    root: Path              # --root
    bundle: Path
    cid: str
    sandbox_pid: int | None = None
    made: list = field(default_factory=list)   # container ids to delete

    def cmd(self, *args, timeout=TIMEOUT, **kw) -> subprocess.CompletedProcess:
        return subprocess.run([self.binary, "--root", str(self.root), *args], capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kw)


def substitute(text: str, ctx: Ctx) -> str:
    text = text.replace("@BUNDLE@", str(ctx.bundle)).replace("@ID@", ctx.cid)
    if ctx.sandbox_pid:
        text = text.replace("@SANDBOX_NS@", f"/proc/{ctx.sandbox_pid}/ns")
    return text


def write_bundle(template: dict, ctx: Ctx, rootfs_template: Path, args: list) -> dict:
    """The config with its placeholders filled in, the probe (or `args`) as its
    process, and every bind source it names under the bundle made."""
    if ctx.bundle.exists():
        shutil.rmtree(ctx.bundle)
    ctx.bundle.mkdir(parents=True)
    os.chmod(ctx.bundle, 0o755)
    shutil.copytree(rootfs_template, ctx.bundle / "rootfs", symlinks=True)
    config = json.loads(substitute(json.dumps(template), ctx))
    config["root"]["path"] = "rootfs"
    config["process"]["args"] = list(args)
    config["process"]["terminal"] = False
    adapt_to_host(config)
    for m in config.get("mounts", []):
        src = m.get("source", "")
        if not src.startswith(str(ctx.bundle) + "/") or os.path.exists(src):
            continue
        dest = ctx.bundle / "rootfs" / m["destination"].lstrip("/")
        if dest.is_dir() or m["destination"] == "/dev/shm" or src.endswith("-dir"):
            os.makedirs(src, mode=0o755)
        else:
            os.makedirs(os.path.dirname(src), exist_ok=True)
            Path(src).write_text(f"{os.path.basename(src)} of the differential suite\n")
        # A directory named "*-0700" is one only the host's root can search: a
        # source below it is out of reach of a user namespace's root.
        for parent in Path(src).parents:
            if parent.name.endswith("-0700") and str(parent).startswith(str(ctx.bundle) + "/"):
                os.chmod(parent, 0o700)
    (ctx.bundle / "config.json").write_text(json.dumps(config, indent=2))
    return config


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    report: dict | None
    rc: int
    stderr: str

    def describe(self) -> str:
        return f"exit {self.rc}: {self.stderr.strip()[-600:]}"


def _parse(res: subprocess.CompletedProcess) -> Outcome:
    if res.returncode != 0:
        return Outcome(False, None, res.returncode, res.stderr)
    try:
        return Outcome(True, json.loads(res.stdout), 0, res.stderr)
    except ValueError as e:
        return Outcome(False, None, res.returncode,
                       f"the probe printed no JSON ({e}): {res.stdout[-300:]!r} {res.stderr}")


def run_probe(ctx: Ctx) -> Outcome:
    ctx.made.append(ctx.cid)
    return _parse(ctx.cmd("run", "--bundle", str(ctx.bundle), ctx.cid))


def start_detached(ctx: Ctx) -> subprocess.CompletedProcess:
    """`run -d` of the bundle (whose process is a sleep).  Its stdio are files:
    the container keeps them open, so a pipe would never reach EOF."""
    ctx.made.append(ctx.cid)
    errfile = ctx.bundle.parent / f"{ctx.cid}.stderr"
    with open(errfile, "w+") as err:
        res = subprocess.run([ctx.binary, "--root", str(ctx.root), "run", "-d", "--bundle",
                              str(ctx.bundle), ctx.cid], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=err, timeout=TIMEOUT)
        err.seek(0)
        res.stderr = err.read()
    return res


def init_pid(ctx: Ctx, cid: str) -> int:
    res = ctx.cmd("state", cid)
    return int(json.loads(res.stdout)["pid"])


def exec_probe(ctx: Ctx) -> Outcome:
    start = start_detached(ctx)
    if start.returncode != 0:
        return Outcome(False, None, start.returncode, "run -d: " + start.stderr)
    return _parse(ctx.cmd("exec", ctx.cid, "/probe"))


def cleanup(ctx: Ctx) -> None:
    for cid in reversed(ctx.made):
        try:
            ctx.cmd("delete", "--force", cid, timeout=20)
        except subprocess.TimeoutExpired:
            pass


# ---------------------------------------------------------------------------
# Normalizing and comparing
# ---------------------------------------------------------------------------

HOST_NS = namespace_links()


def normalize(report: dict, ctx: Ctx, sandbox_ns: dict | None = None) -> dict:
    """Placeholders for what legitimately differs between the two runs: the
    bundle path, the --root, the container id; namespaces become "host",
    "sandbox" (a pod's) or "new"."""
    text = json.dumps(report)
    for real, ph in ((str(ctx.bundle), "<bundle>"), (str(ctx.root), "<root>"), (ctx.cid, "<id>")):
        text = text.replace(real, ph)
    text = re.sub(r"/autogroup-[0-9]+", "/autogroup-N", text)
    rep = json.loads(text)
    ns = {}
    for kind, link in rep.get("ns", {}).items():
        base = kind.replace("_for_children", "")
        if sandbox_ns and link == sandbox_ns.get(kind):
            ns[kind] = "sandbox"
        elif link == HOST_NS.get(base):
            ns[kind] = "host"
        elif link.startswith("error"):
            ns[kind] = link
        else:
            ns[kind] = "new"
    rep["ns"] = ns
    # In the host's network namespace the interfaces are the host's, which come
    # and go between the two runs (another engine's veth pairs): not the
    # runtime's doing. Only a new namespace's list says something about it.
    if ns.get("net") == "host" and "interfaces" in rep.get("net", {}):
        rep["net"]["interfaces"] = "<the host's>"
    # The v1 devices.list shows the allowed exceptions in the order they were
    # written; with the default deny they are a set, and only the set matters.
    files = rep.get("cgroup", {}).get("files", {})
    for name, value in files.items():
        if name.endswith("devices.list") and isinstance(value, str):
            files[name] = "\n".join(sorted(value.splitlines()))
    return rep


def _list_key(name: str, item) -> str:
    if name == "mounts":
        return item["point"]
    if name == "env":
        return item.split("=", 1)[0]
    if name == "fds":
        return item.split()[0]
    if name == "dev":
        return item.split()[0]
    return str(item)


def flatten(value, prefix="") -> dict:
    """{"a.b": leaf, "mounts[/proc].type": ...}; lists of records are keyed by
    what names an entry (a mount point, an env name, a path, an fd)."""
    out = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else k))
    elif isinstance(value, list) and prefix in ("mounts", "env", "fds", "dev"):
        seen: dict = {}
        for item in value:
            key = _list_key(prefix, item)
            seen[key] = seen.get(key, 0) + 1
            name = f"{prefix}[{key}]" + (f"#{seen[key]}" if seen[key] > 1 else "")
            if isinstance(item, dict):
                for k, v in item.items():
                    if k != "point":
                        out[f"{name}.{k}"] = v
            else:
                out[name] = item
    else:
        out[prefix] = value
    return out


@dataclass
class Difference:
    field: str
    runc: object
    berth: object
    allowed: str | None = None   # the allow-list reason

    def __str__(self) -> str:
        return f"  {self.field}:\n    runc:  {self.runc!r}\n    berth: {self.berth!r}"


MISSING = "<absent>"


def compare(runc: dict, berth: dict) -> list[Difference]:
    a, b = flatten(runc), flatten(berth)
    diffs = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key, MISSING), b.get(key, MISSING)
        if va != vb:
            diffs.append(Difference(key, va, vb))
    return diffs


# ---------------------------------------------------------------------------
# The allow-list
# ---------------------------------------------------------------------------

REASON_PREFIXES = ("TODO(issue", "by design:", "host:")


@dataclass
class Allowed:
    config_glob: str
    field_glob: str
    reason: str
    line: int


def load_allowlist(path: Path = ALLOWLIST) -> tuple[list[Allowed], list[str]]:
    """(entries, problems): every line is `<config>/<mode> <field> <reason>`,
    globs allowed in the first two; the reason must say whose it is."""
    entries, problems = [], []
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3 or len(parts[2].strip()) < 12:
            problems.append(f"allowlist:{n}: no reason: {raw!r}")
            continue
        if not parts[2].startswith(REASON_PREFIXES):
            problems.append(f"allowlist:{n}: the reason must start with one of "
                            f"{', '.join(REASON_PREFIXES)}: {raw!r}")
            continue
        entries.append(Allowed(parts[0], parts[1], parts[2], n))
    return entries, problems


def glob_match(text: str, pattern: str) -> bool:
    """`*` and `?` are wildcards; everything else, brackets too, is literal
    (field paths are full of them: "mounts[/sys].super")."""
    rx = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(rx, text) is not None


def allowed_reason(entries: list[Allowed], name: str, field_path: str) -> str | None:
    for e in entries:
        if glob_match(name, e.config_glob) and glob_match(field_path, e.field_glob):
            return f"allowlist:{e.line}: {e.reason}"
    return None


def new_ctx(runtime: str, binary: str, workdir: Path, name: str) -> Ctx:
    safe = re.sub(r"[^A-Za-z0-9]", "", name)[:20]
    cid = f"d{runtime[0]}-{safe}-{uuid.uuid4().hex[:8]}"
    return Ctx(runtime, binary, workdir / f"{runtime}-root", workdir / f"{runtime}-{safe}", cid)


if __name__ == "__main__":
    import tempfile
    if len(sys.argv) != 2:
        sys.exit("usage: diffrun.py CONFIG.json   (runs it as `run` under runc and berth)")
    work = Path(tempfile.mkdtemp(prefix="berth-diff-"))
    os.chmod(work, 0o755)
    rootfs = make_rootfs(work / "rootfs", build_probe(work))
    tpl = json.loads(Path(sys.argv[1]).read_text())
    reports = {}
    for rt, binary in (("runc", find_runc()), ("berth", find_berth())):
        ctx = new_ctx(rt, binary, work, Path(sys.argv[1]).stem)
        write_bundle(tpl, ctx, rootfs, ["/probe"])
        out = run_probe(ctx)
        cleanup(ctx)
        reports[rt] = normalize(out.report, ctx) if out.ok else {"refused": out.describe()}
    for d in compare(reports["runc"], reports["berth"]):
        print(d)
    shutil.rmtree(work, ignore_errors=True)
