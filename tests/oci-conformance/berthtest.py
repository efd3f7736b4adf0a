"""Helpers for the berth end-to-end conformance tests.

Everything here is plain Python so that a failing test reads like the steps a
user would take: write a bundle, call the runtime, look at kernel objects.
The kernel objects themselves (mounts, cgroups, processes) are read by
tests/pylib/host_objects.py, which the other suites share.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from command import Result

# ---------------------------------------------------------------------------
# Optional kernel features.
#
# A test that needs one asks here first and skips with the reason when it is
# missing.  A probe that could crash (int $0x80 on a kernel without IA-32
# emulation raises SIGSEGV) runs in a child process; the answer is cached.
# ---------------------------------------------------------------------------

# In a child python: getpid (i386 number 20) through int $0x80, as machine code
# in an executable mapping ("mov eax, 20; int $0x80; ret"); exit 0 iff it
# returned the child's pid.  No core file when the kernel answers with SIGSEGV.
_IA32_PROBE = r"""
import ctypes, mmap, os, resource, sys
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
code = bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3])
m = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
m.write(code)
buf = ctypes.c_char.from_buffer(m)
getpid_int80 = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(buf))
sys.exit(0 if getpid_int80() == os.getpid() else 3)
"""

_feature_cache: dict = {}


def missing_fault_injection(binary: str) -> str | None:
    """None when `binary` honours BERTH_TEST_KILL_AT (a test build, meson
    -Dfault_injection=true: `berth features` says so), else why not."""
    key = ("fault_injection", binary)
    if key not in _feature_cache:
        res = subprocess.run([binary, "features"], capture_output=True, text=True, timeout=60)
        annotations = json.loads(res.stdout).get("annotations", {}) if res.returncode == 0 else {}
        _feature_cache[key] = (
            None if annotations.get("io.github.berth.faultInjection") == "true" else
            f"{binary} is not a test build (meson -Dfault_injection=true): it ignores BERTH_TEST_KILL_AT")
    return _feature_cache[key]


def missing_ia32_entry() -> str | None:
    """None when the 32-bit x86 system call entry (int $0x80) works here,
    else why not (a kernel without IA-32 emulation: CONFIG_IA32_EMULATION
    unset, or booted with ia32_emulation=off)."""
    if "ia32" not in _feature_cache:
        _feature_cache["ia32"] = _probe_ia32_entry()
    return _feature_cache["ia32"]


def _probe_ia32_entry() -> str | None:
    if os.uname().machine != "x86_64":
        return f"no IA-32 entry point to probe on {os.uname().machine}"
    import sys
    res = subprocess.run([sys.executable, "-c", _IA32_PROBE], capture_output=True, text=True,
                         timeout=60)
    if res.returncode == 0:
        return None
    if res.returncode < 0:
        sig = signal.Signals(-res.returncode).name
        return f"kernel has no IA-32 emulation (int $0x80 raises {sig})"
    if res.returncode == 3:
        return "kernel has no IA-32 emulation (the i386 getpid through int $0x80 " \
               "did not return the pid)"
    return f"cannot probe the IA-32 entry point (exit status {res.returncode}): " \
           f"{res.stderr.strip()}"


def missing_unprivileged_userns() -> str | None:
    """None when an unprivileged user (uid 65534) may make a user namespace
    here, else why not (user.max_user_namespaces = 0, Debian's
    kernel.unprivileged_userns_clone = 0, an LSM that refuses it). Probed in
    a child, as the rootless tests would run berth."""
    if "unprivileged_userns" not in _feature_cache:
        import shutil
        setpriv, unshare = shutil.which("setpriv"), shutil.which("unshare")
        if setpriv is None or unshare is None:
            reason = "needs setpriv and unshare (util-linux)"
        else:
            res = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                                  unshare, "-Ur", "true"], capture_output=True, text=True,
                                 timeout=60)
            reason = None if res.returncode == 0 else \
                f"unprivileged user namespaces are refused here: {res.stderr.strip()}"
        _feature_cache["unprivileged_userns"] = reason
    return _feature_cache["unprivileged_userns"]


# ---------------------------------------------------------------------------
# The default config.
#
# This is the same bundle configuration `runc spec` produces (the format every
# OCI runtime accepts), written out here by hand so the tests do not depend on
# another runtime being installed.  One deliberate difference: `terminal` is
# false, because the tests read the container's output from pipes and files
# (test_terminal.py sets it where a terminal is the point).
# ---------------------------------------------------------------------------

DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
RUNC_DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]


def default_config() -> dict:
    caps = list(RUNC_DEFAULT_CAPS)
    return {
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": ["sh"],
            "env": [DEFAULT_PATH, "TERM=xterm"],
            "cwd": "/",
            "capabilities": {
                "bounding": list(caps),
                "effective": list(caps),
                "permitted": list(caps),
                "ambient": list(caps),
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "runc",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {
                "destination": "/dev",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
            },
            {
                "destination": "/dev/pts",
                "type": "devpts",
                "source": "devpts",
                "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
            },
            {
                "destination": "/dev/shm",
                "type": "tmpfs",
                "source": "shm",
                "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
            },
            {
                "destination": "/dev/mqueue",
                "type": "mqueue",
                "source": "mqueue",
                "options": ["nosuid", "noexec", "nodev"],
            },
            {
                "destination": "/sys",
                "type": "sysfs",
                "source": "sysfs",
                "options": ["nosuid", "noexec", "nodev", "ro"],
            },
            {
                "destination": "/sys/fs/cgroup",
                "type": "cgroup",
                "source": "cgroup",
                "options": ["nosuid", "noexec", "nodev", "relatime", "ro"],
            },
        ],
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [
                {"type": "pid"},
                {"type": "network"},
                {"type": "ipc"},
                {"type": "uts"},
                {"type": "mount"},
            ],
            "maskedPaths": [
                "/proc/acpi",
                "/proc/asound",
                "/proc/kcore",
                "/proc/keys",
                "/proc/latency_stats",
                "/proc/timer_list",
                "/proc/timer_stats",
                "/proc/sched_debug",
                "/sys/firmware",
                "/proc/scsi",
            ],
            "readonlyPaths": [
                "/proc/bus",
                "/proc/fs",
                "/proc/irq",
                "/proc/sys",
                "/proc/sysrq-trigger",
            ],
        },
    }


# ---------------------------------------------------------------------------
# Capabilities: bit numbers from linux/capability.h (index == bit).
# ---------------------------------------------------------------------------

CAPABILITIES = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
    "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
    "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
]
CAP_BIT = {name: bit for bit, name in enumerate(CAPABILITIES)}


def cap_mask(names) -> int:
    mask = 0
    for name in names:
        mask |= 1 << CAP_BIT[name]
    return mask


def caps_after_exec(uid: int, caps: dict, no_new_privs: bool) -> dict:
    """What /proc/self/status shows right after the runtime's execve of a
    plain binary (no file capabilities, not setuid), given the sets the
    runtime installed before it.  This is the transformation documented in
    capabilities(7):

      root (uid 0):  P'(perm) = bounding | inheritable | ambient,
                     and with no_new_privs never more than P(perm) had;
                     P'(eff) = P'(perm)
      other users:   P'(perm) = P'(eff) = ambient

    bounding, inheritable and ambient carry over unchanged.
    """
    bnd = cap_mask(caps.get("bounding", []))
    inh = cap_mask(caps.get("inheritable", []))
    amb = cap_mask(caps.get("ambient", []))
    prm_before = cap_mask(caps.get("permitted", []))
    if uid == 0:
        prm = bnd | inh | amb
        if no_new_privs:
            prm &= prm_before
    else:
        prm = amb
    return {"CapInh": inh, "CapPrm": prm, "CapEff": prm, "CapBnd": bnd, "CapAmb": amb}


def parse_status(text: str) -> dict:
    """/proc/<pid>/status as {key: value-string}."""
    out = {}
    for line in text.splitlines():
        if ":" in line:
            key, _, value = line.partition(":")
            out[key.strip()] = value.strip()
    return out


# ---------------------------------------------------------------------------
# Binaries
# ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def is_dynamically_linked(binary: str) -> bool:
    """Whether an ELF binary names a program interpreter (PT_INTERP): the
    sanitizer build of berth does, the release build does not."""
    with open(binary, "rb") as f:
        header = f.read(64)
        phoff = int.from_bytes(header[0x20:0x28], "little")
        phentsize = int.from_bytes(header[0x36:0x38], "little")
        phnum = int.from_bytes(header[0x38:0x3a], "little")
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    return any(int.from_bytes(table[i * phentsize:i * phentsize + 4], "little") == 3
               for i in range(phnum))


@functools.lru_cache(maxsize=None)
def is_sanitizer_build(binary: str) -> bool:
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


# ---------------------------------------------------------------------------
# Running the binary
# ---------------------------------------------------------------------------

def is_warning(line: str) -> bool:
    return "warn" in line.lower()


class Berth:
    """Runs the binary with a private --root and a marker in its environment.

    Output goes to temporary files, never pipes: a container started by
    `create` or `run -d` inherits berth's stdout and stderr, and a pipe would
    then stay open for the container's whole life."""

    def __init__(self, binary: str, root: str, token: str):
        self.binary = binary
        self.root = root
        self.token = token
        self.env = dict(os.environ)
        self.env["BERTH_TEST_TOKEN"] = token

    def argv(self, args, global_args=()):
        return [self.binary, "--root", self.root, *global_args, *[str(a) for a in args]]

    def __call__(self, *args, global_args=(), timeout=60, pass_fds=(), cwd=None, no_root=False,
                 stdin: bytes | None = None) -> Result:
        """stdin: bytes to feed berth's standard input (default: /dev/null)."""
        argv = [self.binary, *[str(a) for a in args]] if no_root else self.argv(args, global_args)
        with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe, \
                tempfile.TemporaryFile() as fi:
            if stdin is not None:
                fi.write(stdin)
                fi.seek(0)
            proc = subprocess.Popen(argv, stdin=fi if stdin is not None else subprocess.DEVNULL,
                                    stdout=fo, stderr=fe, pass_fds=pass_fds, cwd=cwd, env=self.env)
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                fo.seek(0)
                fe.seek(0)
                raise AssertionError(
                    f"timed out after {timeout}s: {' '.join(argv)}\n"
                    f"stdout: {fo.read().decode(errors='replace')!r}\n"
                    f"stderr: {fe.read().decode(errors='replace')!r}")
            fo.seek(0)
            fe.seek(0)
            return Result(argv, rc, fo.read().decode(errors="replace"), fe.read().decode(errors="replace"))

    def popen(self, *args, global_args=(), stdout=None, stderr=None, cwd=None):
        """Start berth in the background (e.g. a foreground `run` that a test
        signals from the side).  stdout/stderr must be files."""
        return subprocess.Popen(self.argv(args, global_args), stdin=subprocess.DEVNULL,
                                stdout=stdout, stderr=stderr, cwd=cwd, env=self.env)


# ---------------------------------------------------------------------------
# Bundles
# ---------------------------------------------------------------------------

class Bundle:
    def __init__(self, path: Path, rootfs_template: Path, token: str):
        self.path = path
        self.path.mkdir(mode=0o755)
        self.rootfs = path / "rootfs"
        shutil.copytree(rootfs_template, self.rootfs, symlinks=True)
        os.chmod(self.rootfs, 0o755)
        self.token = token
        self.config = default_config()
        self.config["process"]["env"].append(f"BERTH_TEST_TOKEN={token}")

    # -- config tweaks -----------------------------------------------------
    @property
    def process(self) -> dict:
        return self.config["process"]

    @property
    def linux(self) -> dict:
        return self.config.setdefault("linux", {})

    def args(self, *argv) -> "Bundle":
        self.process["args"] = [str(a) for a in argv]
        return self

    def sh(self, script: str) -> "Bundle":
        return self.args("/bin/sh", "-c", script)

    def namespaces(self) -> list:
        return self.linux.setdefault("namespaces", [])

    def set_namespace(self, kind: str, path: str | None = None) -> "Bundle":
        nss = [n for n in self.namespaces() if n["type"] != kind]
        ns = {"type": kind}
        if path is not None:
            ns["path"] = path
        nss.append(ns)
        self.linux["namespaces"] = nss
        return self

    def drop_namespace(self, kind: str) -> "Bundle":
        self.linux["namespaces"] = [n for n in self.namespaces() if n["type"] != kind]
        return self

    def add_mount(self, destination: str, type_: str | None, source: str, options=None,
                  make_target=True) -> "Bundle":
        m = {"destination": destination, "source": str(source)}
        if type_ is not None:
            m["type"] = type_
        if options is not None:
            m["options"] = list(options)
        self.config["mounts"].append(m)
        if make_target:
            target = self.rootfs / destination.lstrip("/")
            if Path(source).is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.touch()
            else:
                target.mkdir(parents=True, exist_ok=True)
        return self

    def drop_mount(self, destination: str) -> "Bundle":
        self.config["mounts"] = [m for m in self.config["mounts"] if m["destination"] != destination]
        return self

    def bind(self, destination: str, source, options=("rbind", "rw")) -> "Bundle":
        return self.add_mount(destination, "bind", source, options)

    def write(self) -> "Bundle":
        (self.path / "config.json").write_text(json.dumps(self.config, indent=2))
        return self

    def write_raw(self, text: str) -> "Bundle":
        (self.path / "config.json").write_text(text)
        return self


RFC3339 = re.compile(r"^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$")


def assert_one_error_line(res: Result, *must_contain: str) -> str:
    """exit 1, and stderr holds exactly one error line `berth: ...` (warning
    lines aside) that contains every string in must_contain (any case)."""
    assert res.rc == 1, f"expected exit 1\n{res}"
    if os.environ.get("BERTH_TEST_REFERENCE"):
        # validating the bundles against another runtime (e.g. runc), whose
        # messages are its own: only the failure itself is checked
        return res.err
    lines = [l for l in res.err_lines if not is_warning(l)]
    assert len(lines) == 1, f"expected exactly one error line on stderr, got {len(lines)}\n{res}"
    line = lines[0]
    assert line.startswith("berth:"), f"error line does not start with 'berth:'\n{res}"
    for s in must_contain:
        assert s.lower() in line.lower(), f"error line does not mention {s!r}\n{res}"
    return line


def expect_clean_failure(rt, b, *must_contain, command="run") -> str:
    """`run` (or `create`) of bundle `b` fails with one error line containing
    every one of `must_contain`, and leaves nothing of the container behind."""
    before = rt.snapshot_mounts()
    if command == "run":
        cid = rt.new_id()
        res = rt.run(b, cid)
    else:
        cid, res = rt.create(b)
    line = assert_one_error_line(res, *must_contain)
    rt.assert_clean(cid, before)
    return line
