"""Failures: config errors name their JSON path, every failure exits 1 with
one error line, and leaves nothing behind (state dir, mount, process)."""

import json
import os
import re

import pytest

from berthtest import assert_one_error_line, expect_clean_failure
from host_objects import cgroup_owner, existing_cgroup_dirs, host_cgroup_hierarchies


# -- config errors -------------------------------------------------------------

def _set(path, value):
    def mutate(cfg):
        node = cfg
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return mutate


def _del(path):
    def mutate(cfg):
        node = cfg
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return mutate


CONFIG_ERRORS = {
    "args-not-array": (_set(["process", "args"], "sh"), "/process/args"),
    "args-empty": (_set(["process", "args"], []), "/process/args"),
    "args-item-not-string": (_set(["process", "args"], ["sh", 1]), "/process/args"),
    "uid-string": (_set(["process", "user", "uid"], "0"), "/process/user/uid"),
    "uid-negative": (_set(["process", "user", "uid"], -1), "/process/user/uid"),
    "uid-too-big": (_set(["process", "user", "uid"], 2 ** 32), "/process/user/uid"),
    "uid-fraction": (_set(["process", "user", "uid"], 1.5), "/process/user/uid"),
    "missing-ociVersion": (_del(["ociVersion"]), "/ociVersion"),
    "missing-root-path": (_set(["root"], {"readonly": True}), "/root/path"),
    "missing-cwd": (_del(["process", "cwd"]), "/process/cwd"),
    "relative-cwd": (_set(["process", "cwd"], "tmp"), "/process/cwd"),
    "terminal-not-bool": (_set(["process", "terminal"], "no"), "/process/terminal"),
    "bad-namespace-type": (_set(["linux", "namespaces", 0], {"type": "bogus"}), "/linux/namespaces/0/type"),
    "mount-destination-number": (_set(["mounts", 0, "destination"], 5), "/mounts/0/destination"),
    "mount-options-not-array": (_set(["mounts", 1, "options"], "nosuid"), "/mounts/1/options"),
    "annotation-not-string": (_set(["annotations"], {"k": 1}), "/annotations/k"),
    "rlimit-hard-string": (_set(["process", "rlimits", 0, "hard"], "1024"), "/process/rlimits/0/hard"),
    "device-bad-type": (_set(["linux", "devices"], [{"path": "/dev/x", "type": "x", "major": 1, "minor": 3}]),
                        "/linux/devices/0/type"),
    "env-not-strings": (_set(["process", "env"], [1]), "/process/env"),
    "uidmap-missing-size": (_set(["linux", "uidMappings"], [{"containerID": 0, "hostID": 1000}]),
                            "/linux/uidMappings/0/size"),
    "hostname-not-string": (_set(["hostname"], 7), "/hostname"),
    "linux-not-object": (_set(["linux"], []), "/linux"),
}


@pytest.mark.parametrize("case", sorted(CONFIG_ERRORS))
@pytest.mark.parametrize("command", ["run", "create"])
def test_config_error_names_json_path(rt, case, command):
    mutate, path = CONFIG_ERRORS[case]
    b = rt.bundle()
    b.sh("true")
    mutate(b.config)
    line = expect_clean_failure(rt, b, command=command)
    # the path appears as a whole JSON pointer (or one deeper into it)
    assert re.search(re.escape(path) + r"(?=[:/ ,]|$)", line), f"error line does not name {path}: {line!r}"
    assert "config.json" in line, f"error line does not name the file: {line!r}"


@pytest.mark.parametrize("text", ['{"ociVersion": "1.0.2",', "", "[]", "{} {}", "nul", '{"a": tru}'])
def test_malformed_json(rt, text):
    b = rt.bundle()
    b.write_raw(text)
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt("create", "-b", b.path, cid)
    assert_one_error_line(res, "config.json")
    rt.assert_clean(cid, before)


def test_deep_nesting_is_refused(rt):
    b = rt.bundle()
    depth = 100000
    text = json.dumps(b.config)[:-1] + ', "x-deep": ' + "[" * depth + "]" * depth + "}"
    b.write_raw(text)
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt("create", "-b", b.path, cid)
    assert_one_error_line(res, "config.json")
    rt.assert_clean(cid, before)


def test_missing_config_json(rt):
    b = rt.bundle()
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt("create", "-b", b.path, cid)
    assert_one_error_line(res, "config.json")
    rt.assert_clean(cid, before)


def test_missing_bundle_dir(rt):
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt("run", "-b", rt.workdir / "nope", cid)
    assert_one_error_line(res)
    rt.assert_clean(cid, before)


def test_unknown_properties_are_ignored(rt):
    b = rt.bundle()
    b.config["x-vendor"] = {"nested": [1, 2, {"a": None}]}
    b.process["x-extra"] = True
    b.linux["x-extra"] = "yes"
    b.config["mounts"][0]["x-extra"] = 1
    b.config["windows"] = {"layerFolders": ["C:\\x"]}
    b.sh("echo ok")
    assert rt.run_ok(b) == "ok\n"


@pytest.mark.parametrize("entry,path", [
    ({"destination": "/x", "source": "none"}, "/type"),
    ({"destination": "/x", "options": ["bind"]}, "/source"),
], ids=["no-type", "bind-without-source"])
def test_a_mount_config_json_cannot_mean_is_named_by_its_path(rt, entry, path):
    # Planned in preflight: the error names the entry and nothing is made.
    b = rt.bundle()
    b.config["mounts"].append(entry)
    b.sh("true")
    index = len(b.config["mounts"]) - 1
    expect_clean_failure(rt, b, f"/mounts/{index}{path}", command="create")


def test_duplicate_namespace_type_is_an_error(rt):
    b = rt.bundle()
    b.linux["namespaces"].append({"type": "pid"})
    b.sh("true")
    expect_clean_failure(rt, b, "/linux/namespaces")


def test_hostname_without_uts_namespace_is_an_error(rt):
    b = rt.bundle()
    b.drop_namespace("uts")
    b.config["hostname"] = "wants-uts"
    b.sh("true")
    host = os.uname().nodename
    expect_clean_failure(rt, b, "hostname")
    assert os.uname().nodename == host


# -- failures during setup --------------------------------------------------------

def _bad_rootfs(b):
    b.config["root"]["path"] = "no-such-rootfs"


def _rootfs_is_file(b):
    (b.path / "afile").write_text("x")
    b.config["root"]["path"] = "afile"


def _missing_exec(b):
    b.args("/no/such/binary")


def _missing_exec_in_path(b):
    b.args("no-such-command")


def _not_executable(b):
    b.args("/etc/passwd")


def _bind_missing_source(b):
    b.config["mounts"].append({"destination": "/data", "type": "bind",
                               "source": str(b.path / "no-such-source"), "options": ["rbind"]})


def _bogus_fstype(b):
    b.add_mount("/weird", "bogusfs", "none", [])


def _bad_tmpfs_data(b):
    b.add_mount("/t", "tmpfs", "tmpfs", ["size=lots"])


def _bad_id_mapping(b):
    b.set_namespace("user")
    b.drop_mount("/sys/fs/cgroup")
    b.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 0}]
    b.linux["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]


def _cwd_is_a_file(b):
    b.process["cwd"] = "/etc/passwd"


def _device_under_a_file(b):
    # a late failure: after every mount succeeded
    b.linux["devices"] = [{"path": "/dev/null/sub", "type": "c", "major": 1, "minor": 3}]


SETUP_FAILURES = {
    "bad-rootfs": (_bad_rootfs, "no-such-rootfs"),
    "rootfs-is-a-file": (_rootfs_is_file, None),
    "missing-executable": (_missing_exec, "/no/such/binary"),
    "missing-executable-in-path": (_missing_exec_in_path, "no-such-command"),
    "not-executable": (_not_executable, None),
    "bind-missing-source": (_bind_missing_source, "no-such-source"),
    "bogus-fstype": (_bogus_fstype, None),
    "bad-tmpfs-data": (_bad_tmpfs_data, None),
    "bad-id-mapping": (_bad_id_mapping, None),
    "cwd-is-a-file": (_cwd_is_a_file, None),
    "device-under-a-file": (_device_under_a_file, None),
}


@pytest.mark.parametrize("case", sorted(SETUP_FAILURES))
@pytest.mark.parametrize("command", ["run", "create"])
def test_setup_failure_leaves_nothing(rt, case, command):
    mutate, mention = SETUP_FAILURES[case]
    b = rt.bundle()
    out = rt.host_dir("out")
    b.bind("/out", out)
    b.sh("echo ran > /out/marker")
    mutate(b)
    expect_clean_failure(rt, b, *([mention] if mention else []), command=command)
    assert not (out / "marker").exists()


def _exec_format_error(b):
    # executable and found at create, refused by execve(2) only at start
    garbage = b.rootfs / "bin" / "garbage"
    garbage.write_bytes(b"not a program\n")
    garbage.chmod(0o755)
    b.args("/bin/garbage")


def test_exec_failure_at_start_leaves_nothing_after_run(rt):
    b = rt.bundle()
    _exec_format_error(b)
    line = expect_clean_failure(rt, b, "/bin/garbage")
    assert "exec /bin/garbage: exec format error" in line, line


def test_exec_failure_at_start_is_reported_by_start(rt):
    b = rt.bundle()
    _exec_format_error(b)
    before = rt.snapshot_mounts()
    cid = rt.create_ok(b)
    res = rt("start", cid)
    line = assert_one_error_line(res, "exec format error")
    assert "exec format error" in line, line
    assert rt.state(cid)["status"] == "stopped"
    assert rt("delete", cid).rc == 0
    rt.assert_clean(cid, before)


# Docker maps the runtime's words to exit codes: "executable file not found"
# or "no such file or directory" with the program's name is 127, "permission
# denied" 126, anything else 125. The words are Go's, which runc prints, in
# lower case (strerror's "No such file or directory" would not match).
EXEC_ERRORS = {
    "missing": (["/no/such/binary"],
                'exec: "/no/such/binary": stat /no/such/binary: no such file or directory'),
    "not-in-path": (["no-such-command"], 'exec: "no-such-command": executable file not found in $PATH'),
    "not-executable": (["/etc/passwd"], 'exec: "/etc/passwd": permission denied'),
    "directory": (["/etc"], 'exec: "/etc": permission denied'),
}


@pytest.mark.parametrize("case", sorted(EXEC_ERRORS))
def test_exec_errors_in_the_kernels_words(rt, case):
    argv, words = EXEC_ERRORS[case]
    b = rt.bundle()
    b.args(*argv)
    line = expect_clean_failure(rt, b, argv[0])
    assert words in line, f"expected {words!r} (this case) in\n{line}"
    # and from `exec` into a running container
    b2 = rt.bundle("running")
    b2.args("sleep", "1000")
    cid = rt.create_ok(b2)
    assert rt("start", cid).rc == 0
    res = rt("exec", cid, *argv)
    line = assert_one_error_line(res, argv[0])
    assert words in line, f"expected {words!r} (this case) in\n{line}"


def test_failure_after_create_failure_id_is_reusable(rt):
    b = rt.bundle()
    _bad_rootfs(b)
    cid = rt.new_id()
    assert rt.run(b, cid).rc == 1
    good = rt.bundle("good")
    good.sh("echo second-try")
    res = rt.run(good, cid)
    assert res.rc == 0 and res.out == "second-try\n", res


# -- features that are not there yet --------------------------------------------------

# name -> (mutate the bundle, words the error names). What is left: an
# idmapped mount that is not a bind (test_idmap.py has the binds); intelRdt
# has its own resctrl error on this host (test_process_fields.py).
UNSUPPORTED: dict = {
    "idmapped-tmpfs": (lambda b: _idmapped_tmpfs(b), ["/mounts/", "idmapped mount", "not a bind mount"]),
}


def _idmapped_tmpfs(b):
    b.add_mount("/idm", "tmpfs", "tmpfs")
    mapping = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.config["mounts"][-1].update(uidMappings=mapping, gidMappings=mapping)


@pytest.mark.parametrize("case", sorted(UNSUPPORTED))
@pytest.mark.parametrize("command", ["run", "create"])
def test_unsupported_config_feature(rt, case, command):
    mutate, words = UNSUPPORTED[case]
    b = rt.bundle()
    out = rt.host_dir("out")
    b.bind("/out", out)
    b.sh("echo ran > /out/marker")
    mutate(b)
    expect_clean_failure(rt, b, "not supported yet", *words, command=command)
    assert not (out / "marker").exists()


# -- linux.resources: applied, without a warning ---------------------------------------
# (what each resource does is tested in test_cgroups.py)

def warning_lines(res):
    return [l for l in res.err_lines if "warn" in l.lower()]




def test_default_resources_applied_without_warning(rt):
    # the default config's device rule (deny everything) is applied: the
    # container's devices cgroup no longer allows everything
    b = rt.bundle()
    del b.process["capabilities"]["ambient"]  # not grantable without inheritable: a warning
    out = rt.host_dir("out")
    b.bind("/out", out)
    b.sh("echo ok > /dev/null && echo null-ok > /out/null")
    cid, res = rt.create(b)
    assert res.rc == 0, res
    assert warning_lines(res) == [], f"a warning, though linux.resources are applied now\n{res}"
    devices = cgroup_owner(host_cgroup_hierarchies(), "devices")
    if devices is not None and devices.version == 1:
        rules = (devices.dir(cid) / "devices.list").read_text().split("\n")
        assert "a *:* rwm" not in rules, f"devices rule 'deny all' not applied: {rules}"
    assert rt("start", cid).rc == 0
    rt.wait_status(cid, "stopped")
    assert (out / "null").read_text() == "null-ok\n", "the default devices (/dev/null) are not allowed"
    assert rt("delete", cid).rc == 0
    assert existing_cgroup_dirs(cid) == []


def test_resources_are_applied_not_warned_about(rt):
    b = rt.bundle()
    del b.process["capabilities"]["ambient"]  # not grantable without inheritable: a warning
    b.linux["resources"] = {"memory": {"limit": 268435456}, "pids": {"limit": 100},
                            "cpu": {"shares": 512}}
    b.sh("exec sleep 1000")
    cid, res = rt.create(b)
    assert res.rc == 0, res
    assert warning_lines(res) == [], f"a warning, though linux.resources are applied now\n{res}"
    hs = host_cgroup_hierarchies()
    expect = {("memory", "memory.limit_in_bytes"): "268435456",
              ("pids", "pids.max"): "100",
              ("cpu", "cpu.shares"): "512"}
    for (controller, name), value in expect.items():
        owner = cgroup_owner(hs, controller)
        if owner is None or owner.version != 1:
            continue  # v2 files: see test_cgroups.py
        got = (owner.dir(cid) / name).read_text().strip()
        assert got == value, f"{controller}: {name} is {got}, expected {value}"
    assert rt("delete", "--force", cid).rc == 0
    assert existing_cgroup_dirs(cid) == []


def test_no_resources_no_warning(rt):
    b = rt.bundle()
    del b.process["capabilities"]["ambient"]  # not grantable without inheritable: a warning
    b.linux.pop("resources")
    b.sh("echo quiet")
    res = rt.run(b)
    assert res.rc == 0 and res.out == "quiet\n" and res.err == "", res


def test_empty_resources_no_warning(rt):
    b = rt.bundle()
    del b.process["capabilities"]["ambient"]  # not grantable without inheritable: a warning
    b.linux["resources"] = {}
    b.sh("echo quiet")
    res = rt.run(b)
    assert res.rc == 0 and res.out == "quiet\n" and warning_lines(res) == [], res


# -- --systemd-cgroup ----------------------------------------------------------------
# Engines pass it to every command; create needs systemd to make the scope, and
# this host has none: a clear refusal, after the cgroupsPath form is checked.

@pytest.mark.skipif(os.path.isdir("/run/systemd/system"), reason="systemd runs on this host")
def test_systemd_cgroup_without_systemd(rt):
    b = rt.bundle()
    b.sh("true")
    b.linux["cgroupsPath"] = "system.slice:berth:test"
    b.write()
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt("run", "--bundle", b.path, cid, global_args=("--systemd-cgroup",))
    assert_one_error_line(res, "--systemd-cgroup", "systemd is not running")
    rt.assert_clean(cid, before)
    # Other commands accept the flag.
    res = rt("list", global_args=("--systemd-cgroup",))
    assert res.rc == 0, res


def test_systemd_cgroup_path_form_is_checked(rt):
    b = rt.bundle()
    b.sh("true")
    b.linux["cgroupsPath"] = "/not/slice/form"
    b.write()
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt("run", "--bundle", b.path, cid, global_args=("--systemd-cgroup",))
    assert_one_error_line(res, "/linux/cgroupsPath")
    rt.assert_clean(cid, before)
