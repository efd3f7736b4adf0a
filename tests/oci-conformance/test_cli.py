"""The command line: runc-compatible flags, --version, --help, logging and the
default --root."""

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from berthtest import RFC3339, assert_one_error_line

REPO = Path(__file__).resolve().parents[2]


def project_versions():
    text = (REPO / "meson.build").read_text()
    version = re.search(r"version:\s*'([^']+)'", text)
    spec = re.search(r"oci_spec_version\s*=\s*'([^']+)'", text)
    return (version.group(1) if version else None, spec.group(1) if spec else None)


def test_version(rt):
    res = rt("--version", no_root=True)
    assert res.rc == 0, res
    assert "berth" in res.out.lower()
    version, spec = project_versions()
    if version:
        assert version in res.out, f"--version does not print {version}\n{res}"
    if spec:
        assert spec in res.out, f"--version does not print the spec version {spec}\n{res}"
    assert "spec" in res.out.lower(), res


SUBCOMMANDS = ["create", "start", "state", "kill", "delete", "run", "list",
               "pause", "resume", "update", "ps", "events"]


def test_help(rt):
    res = rt("--help", no_root=True)
    assert res.rc == 0, res
    for sub in SUBCOMMANDS:
        assert re.search(rf"\b{sub}\b", res.out), f"--help does not list {sub}\n{res}"
    for flag in ("--root", "--log", "--log-format", "--debug"):
        assert flag in res.out, f"--help does not mention {flag}"


SUB_FLAGS = {
    "create": ["--bundle", "--pid-file", "--no-pivot", "--no-new-keyring", "--preserve-fds"],
    "run": ["--bundle", "--detach", "--pid-file", "--keep"],
    "kill": ["--all"],
    "delete": ["--force"],
    "list": ["--format", "-q"],
    "start": [],
    "state": [],
    "pause": [],
    "resume": [],
    "update": ["--resources", "--memory", "--memory-reservation", "--memory-swap", "--cpu-shares",
               "--cpu-quota", "--cpu-period", "--cpuset-cpus", "--cpuset-mems", "--pids-limit",
               "--blkio-weight"],
    "ps": ["--format"],
    "events": ["--stats", "--interval"],
    "spec": ["--bundle", "--rootless"],
    "features": [],
}


@pytest.mark.parametrize("sub", sorted(SUB_FLAGS))
def test_subcommand_help(rt, sub):
    res = rt(sub, "--help")
    assert res.rc == 0, res
    for flag in SUB_FLAGS[sub]:
        assert flag in res.out, f"`{sub} --help` does not mention {flag}\n{res}"


def test_unknown_subcommand(rt):
    assert_one_error_line(rt("frobnicate"))


def test_unknown_flag(rt):
    assert_one_error_line(rt("create", "--frobnicate", "x"))
    assert_one_error_line(rt("--frobnicate", "list"))


@pytest.mark.parametrize("sub", ["create", "start", "state", "delete", "kill", "run"])
def test_missing_id(rt, sub):
    assert_one_error_line(rt(sub))


def test_extra_arguments(rt):
    assert_one_error_line(rt("state", "a", "b"))


def test_default_root_is_run_berth(rt):
    b = rt.bundle()
    b.sh("true")
    b.write()
    cid = rt.new_id("defroot")
    try:
        res = rt.berth("create", "-b", b.path, cid, no_root=True)
        assert res.rc == 0, res
        assert (Path("/run/berth") / cid).is_dir(), "state not under /run/berth"
        assert not (Path(rt.root) / cid).exists()
        st = rt.berth("state", cid, no_root=True)
        assert st.rc == 0 and json.loads(st.out)["status"] == "created", st
    finally:
        rt.berth("delete", "--force", cid, no_root=True)
    assert not (Path("/run/berth") / cid).exists()


def test_no_pivot(rt):
    out = rt.host_dir("out")
    b = rt.bundle()
    b.bind("/out", out)
    b.config["hostname"] = "nopivot"
    b.sh("hostname > /out/h; ls / > /out/root")
    cid = rt.create_ok(b, None, "--no-pivot")
    assert rt("start", cid).rc == 0
    rt.wait_status(cid, "stopped")
    assert (out / "h").read_text() == "nopivot\n"
    assert set((out / "root").read_text().split()) >= {"bin", "etc", "proc", "out"}


def keyrings_seen(rt, *flags):
    out = rt.host_dir("out")
    b = rt.bundle()
    b.bind("/out", out)
    b.linux["maskedPaths"] = []  # /proc/keys is masked by default
    b.sh("cat /proc/keys > /out/keys")
    cid = rt.create_ok(b, None, *flags)
    assert rt("start", cid).rc == 0
    rt.wait_status(cid, "stopped")
    return cid, (out / "keys").read_text()


def test_new_session_keyring_by_default(rt):
    cid, keys = keyrings_seen(rt)
    assert any("keyring" in l and cid in l for l in keys.splitlines()), \
        f"the container has no session keyring of its own:\n{keys}"


def test_no_new_keyring(rt):
    cid, keys = keyrings_seen(rt, "--no-new-keyring")
    assert cid not in keys, f"--no-new-keyring still made a keyring for {cid}:\n{keys}"


# -- logging ---------------------------------------------------------------------

def failing_bundle(rt):
    b = rt.bundle()
    b.config["root"]["path"] = "no-such-rootfs"
    return b


def read_json_lines(path):
    entries = []
    for line in Path(path).read_text().splitlines():
        if not line.strip():
            continue
        try:
            entries.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"log line is not JSON: {line!r}")
        assert isinstance(entries[-1], dict), line
    return entries


@pytest.mark.parametrize("command", ["run", "create"])
def test_log_json_on_error(rt, command):
    log = rt.workdir / "berth.log"
    b = failing_bundle(rt)
    b.write()
    cid = rt.new_id()
    res = rt(command, "-b", b.path, cid, global_args=["--log", log, "--log-format", "json"])
    line = assert_one_error_line(res)
    entries = read_json_lines(log)
    assert entries, "log file is empty"
    for e in entries:
        assert {"level", "msg", "time"} <= set(e), f"log entry lacks level/msg/time: {e}"
        assert RFC3339.match(e["time"]), f"time is not RFC 3339: {e['time']!r}"
        datetime.fromisoformat(e["time"].replace("Z", "+00:00").replace("z", "+00:00"))
    errors = [e for e in entries if e["level"] == "error"]
    assert errors, f"no error entry in {entries}"
    msg = line[len("berth:"):].strip()
    assert any(msg in e["msg"] or e["msg"] in msg for e in errors), (msg, errors)


def test_log_json_appends(rt):
    log = rt.workdir / "berth.log"
    log.write_text('{"level":"info","msg":"earlier","time":"2020-01-01T00:00:00Z"}\n')
    b = failing_bundle(rt)
    b.write()
    res = rt("run", "-b", b.path, rt.new_id(), global_args=["--log", log, "--log-format", "json"])
    assert res.rc == 1
    entries = read_json_lines(log)
    assert entries[0]["msg"] == "earlier", "the log file was truncated"
    assert len(entries) >= 2


@pytest.mark.parametrize("command", ["run", "exec"])
def test_warnings_go_to_the_log_file_alone(rt, command):
    # Under containerd's shim, create's and exec's stderr is the container's
    # own stderr: a warning written there shows in `docker logs`. With --log,
    # runc writes warnings to the file only; berth too. (Docker writes
    # memory.kernel for --kernel-memory: a deprecated field, ignored with a
    # warning.)
    log = rt.workdir / "warn.log"
    b = rt.bundle()
    b.config["linux"].setdefault("resources", {})["memory"] = {"kernel": 64 << 20}
    b.sh("echo container-output")
    args = ["--log", log, "--log-format", "json"]
    if command == "run":
        res = rt.run(b, global_args=args)
    else:
        b.sh("sleep 100")
        cid = rt.create_ok(b)
        assert rt("start", cid).rc == 0
        log.unlink(missing_ok=True)
        proc = rt.workdir / "process.json"
        # the default process's ambient capabilities without inheritable ones
        # cannot be granted: an exec-time warning
        proc.write_text(json.dumps(rt.bundle("exec").process))
        res = rt("exec", "--process", proc, cid, global_args=args)
        rt("kill", cid, "KILL")
    assert res.rc == 0, res
    assert [l for l in res.err_lines if "warn" in l.lower()] == [], f"a warning on stderr despite --log\n{res}"
    warnings = [e for e in read_json_lines(log) if e["level"] == "warning"]
    assert warnings, f"no warning in the log file: {log.read_text()!r}"
    # without --log, the warning is on stderr: nowhere else would it show
    if command == "run":
        res = rt.run(b)
        assert res.rc == 0, res
        assert [l for l in res.err_lines if "warn" in l.lower()], res


def test_log_text(rt):
    log = rt.workdir / "berth.log"
    b = failing_bundle(rt)
    b.write()
    res = rt("run", "-b", b.path, rt.new_id(), global_args=["--log", log])
    line = assert_one_error_line(res)
    text = log.read_text()
    assert line[len("berth:"):].strip() in text, f"log file lacks the error: {text!r}"


def test_log_format_invalid(rt):
    assert_one_error_line(rt("list", global_args=["--log-format", "xml"]))


def test_debug_does_not_disturb_the_container(rt):
    log = rt.workdir / "debug.log"
    b = rt.bundle()
    b.sh("echo out-only")
    b.write()
    res = rt("run", "-b", b.path, rt.new_id(), global_args=["--debug", "--log", log, "--log-format", "json"])
    assert res.rc == 0 and res.out == "out-only\n", res
    read_json_lines(log)


PHASE_LINE = re.compile(r"^(create|start|run|exec|delete) (\S+): (.+) took (\d+\.\d+) ms$")


def phases_in(messages, cid):
    """{(command, phase): milliseconds} of the --debug phase lines about cid."""
    found = {}
    for msg in messages:
        m = PHASE_LINE.match(msg)
        if m and m.group(2) == cid:
            found[(m.group(1), m.group(3))] = float(m.group(4))
    return found


def test_debug_logs_each_phase_with_its_duration(rt):
    # runc --debug writes debug-level lines to the log; berth writes one per
    # phase of create, start, exec and delete with how long it took, in the
    # --log file (text or JSON), or on stderr without one.
    log = rt.workdir / "debug.log"
    json_log = ["--debug", "--log", log, "--log-format", "json"]
    b = rt.bundle()
    b.args("sleep", "1000")
    b.write()
    cid = rt.new_id()
    assert rt("create", "-b", b.path, cid, global_args=json_log).rc == 0
    assert rt("start", cid, global_args=json_log).rc == 0
    res = rt("exec", cid, "true", global_args=json_log)
    assert res.rc == 0, res
    entries = read_json_lines(log)
    debug = [e["msg"] for e in entries if e["level"] == "debug"]
    got = phases_in(debug, cid)
    for want in [("create", "load and validate config.json"),
                 ("create", "reserve the state directory"),
                 ("create", "create the cgroup and apply linux.resources"),
                 ("create", "spawn the init and set up the container"),
                 ("create", "record the state and commit"),
                 ("create", "all phases"),
                 ("start", "let the init exec the process"),
                 ("exec", "open the container and prepare the process"),
                 ("exec", "spawn the process in the container")]:
        assert want in got, f"no debug line for {want}; debug lines: {debug}"
    assert got[("create", "all phases")] >= got[("create", "spawn the init and set up the container")]

    text_log = rt.workdir / "debug.txt"
    res = rt("delete", "--force", cid, global_args=["--debug", "--log", text_log])
    assert res.rc == 0, res
    assert re.search(rf'level=debug msg="delete {cid}: [^"]+ took [0-9.]+ ms"', text_log.read_text()), \
        text_log.read_text()

    # without --log: on stderr, marked as debug; without --debug: nothing
    b2 = rt.bundle("b2")
    b2.sh("true")
    b2.write()
    cid2 = rt.new_id()
    res = rt("run", "-b", b2.path, cid2, global_args=["--debug"])
    assert res.rc == 0, res
    lines = [l[len("berth: debug: "):] for l in res.err_lines if l.startswith("berth: debug: ")]
    assert ("run", "let the init exec the process") in phases_in(lines, cid2), res.err
    cid3 = rt.new_id()
    res = rt("run", "-b", b2.path, cid3)
    assert res.rc == 0 and "debug" not in res.err, res
