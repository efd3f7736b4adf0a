"""Bad input: every failure exits 1 with one error line that names the field
(as a JSON pointer into config.json) or the argument, and leaves nothing
behind (the `leaks` fixture counts mounts, cgroups, state entries, processes,
zombies and temporary files around every test)."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from berthtest import assert_one_error_line, default_config
from gen_cases import json_type, pointer, replaced, walk, wrong_type_cases
from util import new_id, quick, sleeper


def valid_config() -> dict:
    cfg = default_config()
    cfg["process"]["args"] = ["/bin/true"]
    return cfg


def names_pointer(line: str, ptr: str) -> bool:
    """The pointer appears whole (or a deeper one starting with it)."""
    return re.search(re.escape(ptr) + r"(?=[:/ ,\"]|$)", line) is not None


def create_fails(rt, b, *words, cid=None, raw: str | None = None) -> str:
    """create with bundle b (its config, or raw text) fails with one error line
    containing every word; the container leaves no state."""
    if raw is None:
        b.write()
    else:
        b.write_raw(raw)
    cid = cid or new_id(rt)
    res = rt("create", "--bundle", b.path, cid)
    line = assert_one_error_line(res, *words)
    assert not (Path(rt.root) / cid).exists(), f"state of {cid} left behind"
    return line


# -- generated: a value of every wrong JSON type at every place ------------------------

CONFIG = valid_config()
CASES = wrong_type_cases(CONFIG)
POINTERS = sorted({ptr for ptr, _, _ in CASES})


@pytest.mark.parametrize("ptr", POINTERS)
def test_wrong_type(rt, leaks, ptr):
    """Each value replaced by each JSON type it is not: exit 1, one line naming
    the pointer. null is the one exception the spec's Go heritage makes: null
    means "absent", so a null must do exactly what leaving the field out does."""
    b = rt.bundle()
    mine = [(t, cfg) for p, t, cfg in CASES if p == ptr]
    for type_name, cfg in mine:
        if type_name == "null":
            continue
        b.config = cfg
        line = create_fails(rt, b, "config.json")
        assert names_pointer(line, ptr), f"{type_name} at {ptr}: the error does not name it: {line!r}"
    leaks.tried(len(mine))


NULLABLE = sorted({ptr for ptr, t, _ in CASES if t == "null" and not re.search(r"/\d+$", ptr)})


def _without(config, path):
    cfg = copy.deepcopy(config)
    node = cfg
    for key in path[:-1]:
        node = node[key]
    if isinstance(node, list):
        node.pop(path[-1])
    else:
        del node[path[-1]]
    return cfg


@pytest.mark.parametrize("ptr", NULLABLE)
def test_null_is_absent(rt, leaks, ptr):
    path = next(p for p, _ in walk(CONFIG) if pointer(p) == ptr)
    b = rt.bundle()
    results = []
    for cfg in (replaced(CONFIG, path, None), _without(CONFIG, path)):
        b.config = cfg
        b.write()
        cid = new_id(rt)
        res = rt("create", "--bundle", b.path, cid)
        if res.rc == 0:
            assert rt("delete", "--force", cid).rc == 0
        results.append((res.rc, [l for l in res.err_lines if "warn" not in l.lower()]))
    (null_rc, null_err), (absent_rc, absent_err) = results
    assert null_rc == absent_rc, f"null at {ptr} differs from leaving it out: {results}"
    if null_err != absent_err:
        # a required field: "required" for one, "expected a ..., got null" for
        # the other, both naming it
        assert len(null_err) == 1 and names_pointer(null_err[0], ptr), results
        assert len(absent_err) == 1 and names_pointer(absent_err[0], ptr), results
    leaks.tried(2)


ARRAY_ELEMENTS = sorted({ptr for ptr, t, _ in CASES if t == "null" and re.search(r"/\d+$", ptr)})


@pytest.mark.parametrize("ptr", ARRAY_ELEMENTS)
def test_null_array_element(rt, leaks, ptr):
    path = next(p for p, _ in walk(CONFIG) if pointer(p) == ptr)
    b = rt.bundle()
    b.config = replaced(CONFIG, path, None)
    line = create_fails(rt, b, "config.json")
    assert names_pointer(line, ptr), line


# -- malformed and truncated files ------------------------------------------------

MALFORMED = ["", " ", "{", "}", "[]", "null", "true", "3", '"x"', "{} {}", "nul", '{"a": tru}',
             '{"a":1,}', "{'a': 1}", '{"a" 1}', '{"ociVersion": "1.0.2",', "\x00", "\xef\xbb\xbf{}",
             '{"a": "\\u00"}', '{"a": 01}', '{"a": NaN}', '{"a": Infinity}', '{"a": 1e99999}']


@pytest.mark.parametrize("text", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_json(rt, leaks, text):
    create_fails(rt, rt.bundle(), "config.json", raw=text)


def test_truncated_files(rt, leaks):
    """The valid config cut at 40 places: each is refused with one line."""
    full = json.dumps(CONFIG, indent=2)
    cuts = sorted({len(full) * i // 40 for i in range(40)})
    b = rt.bundle()
    for n in cuts:
        create_fails(rt, b, "config.json", raw=full[:n])
    leaks.tried(len(cuts))


def test_invalid_utf8(rt, leaks):
    b = rt.bundle()
    (b.path / "config.json").write_bytes(json.dumps(CONFIG).replace('"/bin/true"', '"/bin/\xff"')
                                         .encode("latin-1"))
    cid = new_id(rt)
    res = rt("create", "--bundle", b.path, cid)
    assert_one_error_line(res)


# -- missing required fields ---------------------------------------------------------

REQUIRED = ["/ociVersion", "/root", "/root/path", "/process", "/process/args", "/process/cwd",
            "/process/user", "/process/user/uid", "/process/user/gid", "/mounts/0/destination",
            "/linux/namespaces/0/type", "/process/rlimits/0/type", "/process/rlimits/0/hard",
            "/process/rlimits/0/soft", "/linux/resources/devices/0/allow"]


@pytest.mark.parametrize("ptr", REQUIRED)
def test_missing_required_field(rt, leaks, ptr):
    path = next(p for p, _ in walk(CONFIG) if pointer(p) == ptr)
    b = rt.bundle()
    b.config = _without(CONFIG, path)
    line = create_fails(rt, b, "config.json")
    assert names_pointer(line, ptr), f"the error does not name {ptr}: {line!r}"


# -- invalid values ------------------------------------------------------------------

def _set(cfg, ptr, value):
    parts = [int(p) if p.isdigit() else p for p in ptr.strip("/").split("/")]
    node = cfg
    for key in parts[:-1]:
        if isinstance(node, dict):
            node = node.setdefault(key, {})
        else:
            node = node[key]
    node[parts[-1]] = value


INVALID_VALUES = {
    "namespace": ("/linux/namespaces/0/type", "bogus", "/linux/namespaces/0/type"),
    "rlimit": ("/process/rlimits/0/type", "RLIMIT_BOGUS", "/process/rlimits/0/type"),
    "seccomp-default-action": ("/linux/seccomp", {"defaultAction": "SCMP_ACT_BOGUS"},
                               "/linux/seccomp/defaultAction"),
    "seccomp-rule-action": ("/linux/seccomp", {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["read"], "action": "SCMP_ACT_NOPE"}]}, "/linux/seccomp/syscalls/0/action"),
    "seccomp-arch": ("/linux/seccomp", {"defaultAction": "SCMP_ACT_ALLOW",
                                        "architectures": ["SCMP_ARCH_BOGUS"]},
                     "/linux/seccomp/architectures/0"),
    "rootfs-propagation": ("/linux/rootfsPropagation", "bogus", "/linux/rootfsPropagation"),
    "io-priority-class": ("/process/ioPriority", {"class": "IOPRIO_CLASS_X", "priority": 1},
                          "/process/ioPriority/class"),
    "scheduler-policy": ("/process/scheduler", {"policy": "SCHED_X"}, "/process/scheduler/policy"),
    "personality": ("/linux/personality", {"domain": "LINUX_X"}, "/linux/personality/domain"),
    "device-type": ("/linux/devices", [{"path": "/dev/x", "type": "q", "major": 1, "minor": 1}],
                    "/linux/devices/0/type"),
    "relative-cwd": ("/process/cwd", "tmp", "/process/cwd"),
    "env-without-equals": ("/process/env/0", "NOEQUALS", "/process/env/0"),
    "host-sysctl": ("/linux/sysctl", {"kernel.bogus_x": "1"}, "/linux/sysctl/kernel.bogus_x"),
    "rlimit-soft-above-hard": ("/process/rlimits/0", {"type": "RLIMIT_NOFILE", "hard": 10, "soft": 100},
                               "/process/rlimits/0/soft"),
    "hostname-too-long": ("/hostname", "h" * 65, "/hostname"),
}

ABSURD_NUMBERS = {
    "uid-2^64": ("/process/user/uid", 2 ** 64),
    "uid-negative": ("/process/user/uid", -1),
    "gid-fraction": ("/process/user/gid", 0.5),
    "rlimit-hard-2^64": ("/process/rlimits/0/hard", 2 ** 64),
    "rlimit-negative": ("/process/rlimits/0/soft", -1),
    "memory-limit-2^70": ("/linux/resources/memory/limit", 2 ** 70),
    "cpu-shares-negative": ("/linux/resources/cpu/shares", -1),
    "oom-score-adj-2^40": ("/process/oomScoreAdj", 2 ** 40),
    "oom-score-adj-5000": ("/process/oomScoreAdj", 5000),
    "console-height-2^40": ("/process/consoleSize/height", 2 ** 40),
    "umask-2^40": ("/process/user/umask", 2 ** 40),
    "additional-gid-negative": ("/process/user/additionalGids/0", -5),
    "device-major-2^40": ("/linux/devices/0/major", 2 ** 40),
    "device-minor-2^21": ("/linux/devices/0/minor", 2 ** 21),
    "time-offset-2^70": ("/linux/timeOffsets/monotonic/secs", 2 ** 70),
    "pids-limit-1e400": ("/linux/resources/pids/limit", "@HUGE@"),
}


@pytest.mark.parametrize("case", sorted(INVALID_VALUES))
def test_invalid_value(rt, leaks, case):
    where, value, ptr = INVALID_VALUES[case]
    b = rt.bundle()
    b.config = valid_config()
    _set(b.config, where, value)
    line = create_fails(rt, b)
    assert names_pointer(line, ptr), f"the error does not name {ptr}: {line!r}"


@pytest.mark.parametrize("case", sorted(ABSURD_NUMBERS))
def test_absurd_number(rt, leaks, case):
    ptr, value = ABSURD_NUMBERS[case]
    b = rt.bundle()
    b.config = valid_config()
    if ptr.startswith("/linux/devices/"):
        b.config["linux"]["devices"] = [{"path": "/dev/x", "type": "c", "major": 1, "minor": 1}]
    if ptr.startswith("/process/user/additionalGids"):
        b.config["process"]["user"]["additionalGids"] = [0]
    if ptr.startswith("/linux/timeOffsets"):
        b.config["linux"]["namespaces"].append({"type": "time"})
    _set(b.config, ptr, value)
    raw = json.dumps(b.config).replace('"@HUGE@"', "1e400")
    line = create_fails(rt, b, "config.json", raw=raw)
    assert names_pointer(line, ptr), f"the error does not name {ptr}: {line!r}"


def test_unknown_signal(rt, leaks):
    b = sleeper(rt)
    cid = rt.create_ok(b, new_id(rt))
    # 0 is valid (is it alive?, as for runc); SIG0 is not, as for runc
    for sig in ("SIGBOGUS", "BOGUS", "SIG0", "65", "9x", "99999999999", ""):
        res = rt("kill", cid, sig)
        assert_one_error_line(res, "signal")
    assert rt.state(cid)["status"] == "created"
    assert rt("delete", "--force", cid).rc == 0
    leaks.tried(7)


# -- size and depth -------------------------------------------------------------------

@pytest.mark.parametrize("bracket", ["[]", "{}"])
def test_200000_deep_nesting(rt, leaks, bracket):
    depth = 200_000
    opening, closing = bracket
    inner = (('{"a":' * depth) + "1" + "}" * depth) if bracket == "{}" else opening * depth + closing * depth
    text = json.dumps(CONFIG)[:-1] + ', "x-deep": ' + inner + "}"
    create_fails(rt, rt.bundle(), "config.json", raw=text)


def test_50_mib_config_with_an_error_at_the_end(rt, leaks):
    """50 MiB are read and parsed whole; the error at the end still names its
    field. (Berth reads at most 64 MiB.)"""
    cfg = valid_config()
    cfg["x-padding"] = ["p" * 1024] * (50 * 1024)
    cfg["process"]["terminal"] = "late"
    text = json.dumps(cfg)
    # the wrong value really is at the end
    text = text.replace('"terminal": "late", ', "").rstrip("}") + ', "process2": 0}'
    cfg2 = dict(cfg)
    b = rt.bundle()
    body = json.dumps({k: v for k, v in cfg2.items() if k != "process"})
    text = body[:-1] + ', "process": ' + json.dumps(cfg["process"]) + "}"
    assert len(text) > 50 * 2 ** 20
    line = create_fails(rt, b, "config.json", raw=text)
    assert names_pointer(line, "/process/terminal"), line


def test_65_mib_config_is_refused(rt, leaks):
    cfg = valid_config()
    cfg["x-padding"] = "p" * (65 * 2 ** 20)
    create_fails(rt, rt.bundle(), "config.json", raw=json.dumps(cfg))


def test_unknown_properties_and_capabilities_are_not_errors(rt, leaks):
    b = quick(rt)
    b.config["x-vendor"] = {"nested": [1, {"a": None}]}
    b.process["x-extra"] = True
    b.linux["x-extra"] = "yes"
    b.config["mounts"][0]["x-extra"] = 1
    b.linux["resources"]["x-extra"] = {}
    for kind in ("bounding", "effective", "permitted"):
        b.process["capabilities"][kind].append("CAP_NOT_YET_INVENTED")
    res = rt.run(b, new_id(rt))
    assert res.rc == 0, res
    errors = [l for l in res.err_lines if "warn" not in l.lower()]
    assert errors == [], f"only warnings are allowed\n{res}"


# -- the rootfs and the executable ------------------------------------------------------

def _missing_rootfs(b):
    b.config["root"]["path"] = "no-such-rootfs"
    return "no-such-rootfs"


def _rootfs_symlink_loop(b):
    (b.path / "loop").symlink_to("loop")
    b.config["root"]["path"] = "loop"
    return "loop"


def _rootfs_dangling_symlink(b):
    (b.path / "dangling").symlink_to("nowhere")
    b.config["root"]["path"] = "dangling"
    return "dangling"


def _rootfs_is_a_file(b):
    (b.path / "afile").write_text("x")
    b.config["root"]["path"] = "afile"
    return "afile"


def _rootfs_is_a_device(b):
    b.config["root"]["path"] = "/dev/null"
    return "/dev/null"


def _missing_executable(b):
    b.args("/no/such/binary")
    return "/no/such/binary"


def _executable_is_a_directory(b):
    b.args("/etc")
    return "/etc"


ROOTFS_CASES = {f.__name__.lstrip("_"): f for f in (
    _missing_rootfs, _rootfs_symlink_loop, _rootfs_dangling_symlink, _rootfs_is_a_file,
    _rootfs_is_a_device, _missing_executable, _executable_is_a_directory)}


@pytest.mark.parametrize("case", sorted(ROOTFS_CASES))
def test_rootfs_and_executable(rt, leaks, case):
    b = quick(rt)
    mention = ROOTFS_CASES[case](b)
    create_fails(rt, b, mention)


# -- ids ----------------------------------------------------------------------------

BAD_IDS = {"empty": "", "dotdot-slash": "../x", "1000-chars": "x" * 1000, "slash": "a/b", "dot": ".",
           "dotdot": "..", "newline": "x\ny", "space": "x y", "cache-dir": "@cache", "nul-free-utf8": "é"}


@pytest.mark.parametrize("case", sorted(BAD_IDS))
def test_hostile_id(rt, leaks, case):
    cid = BAD_IDS[case]
    b = quick(rt)
    b.write()
    for args in (("create", "--bundle", b.path, cid), ("run", "--bundle", b.path, cid),
                 ("state", cid), ("start", cid), ("kill", cid, "KILL"), ("delete", cid),
                 ("delete", "--force", cid), ("pause", cid), ("exec", cid, "true")):
        assert_one_error_line(rt(*args), "container id")
    assert not Path(rt.root).exists() or [p.name for p in Path(rt.root).iterdir()
                                          if p.name != "@cache"] == []
    leaks.tried(9)


def test_duplicate_id(rt, leaks):
    b = sleeper(rt)
    cid = rt.create_ok(b, new_id(rt))
    pid = rt.state(cid)["pid"]
    res = rt("create", "--bundle", b.path, cid)
    assert_one_error_line(res, cid, "already exists")
    res = rt("run", "--bundle", b.path, cid)
    assert_one_error_line(res, cid, "already exists")
    st = rt.state(cid)
    assert st["status"] == "created" and st["pid"] == pid, f"the first container was touched: {st}"
    assert rt("start", cid).rc == 0
    assert rt("delete", "--force", cid).rc == 0


# -- arguments -------------------------------------------------------------------------

def test_root_on_a_read_only_directory(rt, leaks):
    ro = rt.workdir / "ro"
    ro.mkdir()
    # mode=0711: a tmpfs is 1777 by default, which berth refuses as a --root
    rt.host_mount("-t", "tmpfs", "-o", "ro,size=64k,mode=0711", "tmpfs", str(ro))
    try:
        b = quick(rt)
        b.write()
        for root in (ro, ro / "missing" / "deeper"):
            res = rt("--root", root, "create", "--bundle", b.path, new_id(rt), no_root=True)
            assert_one_error_line(res, "--root")
        assert list(ro.iterdir()) == []
    finally:
        subprocess.run(["umount", "-l", str(ro)], check=False)


def test_root_is_a_file_or_relative(rt, leaks):
    b = quick(rt)
    b.write()
    afile = rt.workdir / "afile"
    afile.write_text("x")
    for root in (afile, "relative/root"):
        res = rt("--root", root, "create", "--bundle", b.path, new_id(rt), no_root=True)
        assert_one_error_line(res, "--root")
    assert afile.read_text() == "x"


def test_root_missing_for_other_commands(rt, leaks):
    missing = rt.workdir / "no-root"
    for args in (("state", "c1"), ("start", "c1"), ("kill", "c1"), ("delete", "c1")):
        res = rt("--root", missing, *args, no_root=True)
        assert_one_error_line(res, "c1", "does not exist")
    res = rt("--root", missing, "delete", "--force", "c1", no_root=True)
    assert res.rc == 0, res
    assert not missing.exists(), "a command that reads state created --root"
    leaks.tried(5)


def test_pid_file_in_a_missing_directory(rt, leaks):
    b = sleeper(rt)
    b.write()
    cid = new_id(rt)
    pid_file = rt.workdir / "no" / "such" / "pid"
    res = rt("create", "--bundle", b.path, "--pid-file", pid_file, cid)
    assert_one_error_line(res, str(pid_file))
    assert not (Path(rt.root) / cid).exists()


def test_console_socket_that_does_not_exist(rt, leaks):
    b = sleeper(rt)
    b.process["terminal"] = True
    b.write()
    cid = new_id(rt)
    sock = rt.workdir / "no.sock"
    res = rt("create", "--bundle", b.path, "--console-socket", sock, cid)
    assert_one_error_line(res, str(sock))
    assert not (Path(rt.root) / cid).exists()


def test_console_socket_that_is_not_a_socket(rt, leaks):
    b = sleeper(rt)
    b.process["terminal"] = True
    b.write()
    cid = new_id(rt)
    notsock = rt.workdir / "plain"
    notsock.write_text("")
    res = rt("create", "--bundle", b.path, "--console-socket", notsock, cid)
    assert_one_error_line(res, str(notsock))
