"""The process: args, env, cwd, user and groups, umask, rlimits,
capabilities, noNewPrivileges, oomScoreAdj, and sysctl."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from berthtest import (CAP_BIT, CAPABILITIES, assert_one_error_line, cap_mask, caps_after_exec,
                       expect_clean_failure, parse_status)
from command import Result


def status_of_exec(rt, b):
    """/proc/self/status of the very process the runtime exec'd."""
    b.args("/bin/cat", "/proc/self/status")
    return parse_status(rt.run_ok(b))


# -- args, env, cwd ------------------------------------------------------------------

def test_args_env_cwd(rt):
    b = rt.bundle()
    b.process["env"] = ["PATH=/bin", "FOO=bar baz", "EMPTY=", "BERTH_TEST_TOKEN=" + rt.token]
    b.process["cwd"] = "/home/test"
    b.args("sh", "-c", 'pwd; echo "$FOO|$EMPTY|$0|$1"', "arg0", "arg 1")
    assert rt.run_ok(b) == "/home/test\nbar baz||arg0|arg 1\n"


def test_missing_cwd_is_created_in_a_readonly_root(rt):
    """root.readonly and a cwd the image lacks: the runtime creates it as root
    before the root is made read-only (runc does), and the root still ends
    up read-only."""
    b = rt.bundle()
    assert b.config["root"]["readonly"] is True
    b.process["cwd"] = "/made/by/runtime"
    b.sh("pwd; touch /made/by/runtime/f 2>/dev/null && echo writable || echo read-only")
    assert rt.run_ok(b) == "/made/by/runtime\nread-only\n"
    assert (b.rootfs / "made" / "by" / "runtime").is_dir()


def test_cwd_only_root_can_search(rt):
    """A cwd the process' user cannot search (a 0700 directory of root's):
    the runtime enters it while still privileged, as runc does, and the user
    then has no more rights in it than its mode gives."""
    b = rt.bundle()
    private = b.rootfs / "private"
    private.mkdir()
    os.chmod(private, 0o700)
    b.process["cwd"] = "/private"
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.sh("pwd; id -u; ls . >/dev/null 2>&1 && echo listed || echo not-listed")
    assert rt.run_ok(b) == "/private\n1000\nnot-listed\n"


def test_env_is_exactly_the_config(rt):
    b = rt.bundle()
    b.process["env"] = ["PATH=/bin", "ONLY=this", "BERTH_TEST_TOKEN=" + rt.token]
    b.args("/bin/env")
    # runtimes add HOME when the config has none (runc and crun do)
    got = [e for e in rt.run_ok(b).splitlines() if not e.startswith("HOME=")]
    assert sorted(got) == sorted(b.process["env"])


# runc sets HOME, when the config has none, from the container's /etc/passwd
# for the process' uid, or "/" when the user has no entry there.
@pytest.mark.parametrize("uid,env,home", [
    (0, [], "/root"),
    (1000, [], "/home/test"),
    (4242, [], "/"),
    (1000, ["HOME="], "/home/test"),
    (1000, ["HOME=/custom"], "/custom"),
])
def test_home_from_the_containers_passwd(rt, uid, env, home):
    b = rt.bundle()
    b.process["user"] = {"uid": uid, "gid": uid}
    b.process["env"] = ["PATH=/bin", *env, "BERTH_TEST_TOKEN=" + rt.token]
    b.args("/bin/env")
    got = [e for e in rt.run_ok(b).splitlines() if e.startswith("HOME=")]
    assert got == [f"HOME={home}"], got


def test_home_without_a_passwd_file_or_with_a_hostile_one(rt):
    b = rt.bundle()
    (b.rootfs / "etc" / "passwd").unlink()
    b.args("/bin/env")
    assert "HOME=/" in rt.run_ok(b).splitlines()
    b2 = rt.bundle("fifo")
    (b2.rootfs / "etc" / "passwd").unlink()
    os.mkfifo(b2.rootfs / "etc" / "passwd")  # would block a reader for ever
    b2.args("/bin/env")
    assert "HOME=/" in rt.run_ok(b2).splitlines()


def test_args_path_lookup_uses_config_path(rt):
    b = rt.bundle()
    tools = b.rootfs / "opt" / "tools"
    tools.mkdir(parents=True)
    (tools / "greet").write_text("#!/bin/sh\necho greeted \"$@\"\n")
    (tools / "greet").chmod(0o755)
    b.process["env"] = ["PATH=/opt/tools:/bin", "BERTH_TEST_TOKEN=" + rt.token]
    b.args("greet", "you")
    assert rt.run_ok(b) == "greeted you\n"


# -- user ------------------------------------------------------------------------------

def test_user_uid_gid_additional_gids_umask(rt):
    b = rt.bundle()
    b.process["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [5, 100], "umask": 0o027}
    b.args("/bin/cat", "/proc/self/status")
    st = parse_status(rt.run_ok(b))
    assert st["Uid"].split() == ["1000"] * 4, st["Uid"]
    assert st["Gid"].split() == ["1000"] * 4, st["Gid"]
    assert set(st["Groups"].split()) == {"5", "100"}, st["Groups"]
    assert st["Umask"] == "0027", st["Umask"]


def test_user_shell_view(rt):
    b = rt.bundle()
    b.process["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [100], "umask": 0o077}
    b.config["root"]["readonly"] = False
    b.sh("id -un; id -u; id -g; id -G; umask; touch /tmp/f; stat -c '%a %u %g' /tmp/f")
    out = rt.run_ok(b).splitlines()
    assert out[:3] == ["test", "1000", "1000"], out
    assert set(out[3].split()) == {"1000", "100"}, out
    assert out[4] == "0077", out
    assert out[5] == "600 1000 1000", out


def test_no_additional_gids_drops_host_groups(rt):
    b = rt.bundle()
    b.process["user"] = {"uid": 1000, "gid": 1000}
    st = status_of_exec(rt, b)
    assert st["Groups"].split() == [], f"supplementary groups leaked in: {st['Groups']}"


def test_default_umask(rt):
    b = rt.bundle()
    b.sh("umask")
    assert rt.run_ok(b).strip() == "0022"


def test_root_user(rt):
    b = rt.bundle()
    st = status_of_exec(rt, b)
    assert st["Uid"].split() == ["0"] * 4 and st["Gid"].split() == ["0"] * 4


# -- rlimits ------------------------------------------------------------------------------

def test_rlimits(rt):
    b = rt.bundle()
    b.process["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456},
        {"type": "RLIMIT_NPROC", "soft": 500, "hard": 600},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 1024},
        {"type": "RLIMIT_STACK", "soft": 4194304, "hard": 8388608},
    ]
    b.sh("ulimit -n; cat /proc/self/limits")
    first, limits = rt.run_ok(b).split("\n", 1)
    assert first == "123"
    rows = {}
    for line in limits.splitlines()[1:]:
        parts = line[26:].split()
        rows[line[:26].strip()] = parts[:2]
    assert rows["Max open files"] == ["123", "456"], rows
    assert rows["Max processes"] == ["500", "600"], rows
    assert rows["Max core file size"] == ["0", "1024"], rows
    assert rows["Max stack size"] == ["4194304", "8388608"], rows


def test_rlimit_unknown_type_is_a_config_error(rt):
    b = rt.bundle()
    b.process["rlimits"] = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    assert_one_error_line(rt.run(b, cid), "/process/rlimits/0/type")
    rt.assert_clean(cid, before)


def test_rlimit_soft_above_hard_fails(rt):
    b = rt.bundle()
    b.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 1024}]
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    assert_one_error_line(rt.run(b, cid))
    rt.assert_clean(cid, before)


# -- capabilities -------------------------------------------------------------------------

def host_bounding():
    return int(parse_status(Path("/proc/self/status").read_text())["CapBnd"], 16)


FIVE_ROOT = {
    "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID"],
    "effective": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "inheritable": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "ambient": ["CAP_KILL"],
}

# name: (uid, noNewPrivileges, capabilities)
CAP_CASES = {
    "runc-default-root": (0, True, {
        "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    }),
    "root-five-sets-nnp": (0, True, FIVE_ROOT),
    "root-five-sets-no-nnp": (0, False, FIVE_ROOT),
    "non-root-with-ambient": (1000, True, {
        "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
        "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "inheritable": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "ambient": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
    }),
    "non-root-without-ambient": (1000, False, {
        "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"],
        "effective": ["CAP_KILL"],
        "permitted": ["CAP_KILL"],
        "inheritable": ["CAP_KILL"],
    }),
    "root-empty-sets": (0, True, {}),
    "root-many-nnp": (0, True, {
        "bounding": [c for c in CAPABILITIES if c != "CAP_SYS_RESOURCE"],
        "effective": ["CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_MKNOD", "CAP_CHECKPOINT_RESTORE"],
        "permitted": ["CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_MKNOD", "CAP_CHECKPOINT_RESTORE"],
    }),
    "root-many-no-nnp": (0, False, {
        "bounding": [c for c in CAPABILITIES if c != "CAP_SYS_RESOURCE"],
        "effective": ["CAP_SYS_ADMIN"],
        "permitted": ["CAP_SYS_ADMIN"],
    }),
}


@pytest.mark.parametrize("case", sorted(CAP_CASES))
def test_capability_sets(rt, case):
    uid, nnp, caps = CAP_CASES[case]
    requested = set().union(*caps.values()) if caps else set()
    if cap_mask(requested) & ~host_bounding():
        pytest.skip("the host's own bounding set lacks a capability this case needs")
    b = rt.bundle()
    b.process["user"] = {"uid": uid, "gid": uid}
    b.process["noNewPrivileges"] = nnp
    b.process["capabilities"] = caps
    st = status_of_exec(rt, b)
    expected = caps_after_exec(uid, caps, nnp)
    got = {k: int(st[k], 16) for k in expected}
    for key in ("CapBnd", "CapInh", "CapAmb", "CapPrm", "CapEff"):
        assert got[key] == expected[key], \
            f"{key}: got {got[key]:016x}, expected {expected[key]:016x} ({case}: {caps})"


def test_default_config_capabilities(rt):
    # runc's default lists ambient capabilities but no inheritable ones; the
    # kernel cannot hold an ambient capability that is not inheritable, so the
    # container runs with an empty ambient set.
    b = rt.bundle()
    st = status_of_exec(rt, b)
    three = cap_mask(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
    assert int(st["CapBnd"], 16) == three, st["CapBnd"]
    assert int(st["CapPrm"], 16) == three, st["CapPrm"]
    assert int(st["CapEff"], 16) == three, st["CapEff"]
    assert int(st["CapInh"], 16) == 0, st["CapInh"]
    assert int(st["CapAmb"], 16) == 0, st["CapAmb"]


def test_capability_in_effect(rt):
    # CAP_NET_ADMIN decides whether an address can be added in the netns
    b = rt.bundle()
    b.process["capabilities"] = {k: ["CAP_NET_ADMIN"] for k in ("bounding", "effective", "permitted")}
    b.sh("ip addr add 10.231.9.1/32 dev lo && echo added")
    assert rt.run_ok(b) == "added\n"
    b2 = rt.bundle("b2")
    b2.process["capabilities"] = {k: ["CAP_KILL"] for k in ("bounding", "effective", "permitted")}
    b2.sh("ip addr add 10.231.9.1/32 dev lo 2>&1; echo rc=$?")
    out = rt.run_ok(b2)
    assert "rc=0" not in out, out


def test_unknown_capability_warns_and_runs(rt):
    # config.md: a capability that cannot be mapped or granted MUST be logged
    # as a warning, and the runtime SHOULD NOT fail.
    b = rt.bundle()
    for k in ("bounding", "effective", "permitted"):
        b.process["capabilities"][k].append("CAP_BOGUS")
    b.args("/bin/cat", "/proc/self/status")
    res = rt.run(b)
    assert res.rc == 0, res
    assert any("CAP_BOGUS" in l and "warn" in l.lower() for l in res.err_lines), \
        f"no warning naming CAP_BOGUS\n{res}"
    three = cap_mask(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
    assert int(parse_status(res.out)["CapBnd"], 16) == three


def test_capability_the_host_lacks(rt):
    # The spec asks for a warning and says a runtime SHOULD NOT fail; failing
    # cleanly with an error that names the capability is tolerated.
    missing = [c for c in CAPABILITIES if not host_bounding() & (1 << CAP_BIT[c])]
    if not missing:
        pytest.skip("this host's bounding set has every capability")
    b = rt.bundle()
    for k in ("bounding", "effective", "permitted"):
        b.process["capabilities"][k] = ["CAP_KILL", missing[0]]
    b.args("/bin/cat", "/proc/self/status")
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt.run(b, cid)
    if res.rc != 0:
        assert_one_error_line(res, missing[0])
        rt.assert_clean(cid, before)
        return
    assert any(missing[0] in l and "warn" in l.lower() for l in res.err_lines), \
        f"no warning naming {missing[0]}\n{res}"
    assert int(parse_status(res.out)["CapEff"], 16) == cap_mask(["CAP_KILL"])


# -- noNewPrivileges, oomScoreAdj -------------------------------------------------------------

@pytest.mark.parametrize("nnp,expected", [(True, "1"), (False, "0")])
def test_no_new_privileges(rt, nnp, expected):
    b = rt.bundle()
    b.process["noNewPrivileges"] = nnp
    assert status_of_exec(rt, b)["NoNewPrivs"] == expected


def test_no_new_privileges_absent(rt):
    b = rt.bundle()
    del b.process["noNewPrivileges"]
    assert status_of_exec(rt, b)["NoNewPrivs"] == "0"


@pytest.mark.parametrize("score", [123, 500, 1000])
def test_oom_score_adj(rt, score):
    b = rt.bundle()
    b.process["oomScoreAdj"] = score
    b.args("/bin/cat", "/proc/self/oom_score_adj")
    assert rt.run_ok(b).strip() == str(score)


def test_oom_score_adj_unset_inherits(rt):
    b = rt.bundle()
    b.args("/bin/cat", "/proc/self/oom_score_adj")
    assert rt.run_ok(b).strip() == Path("/proc/self/oom_score_adj").read_text().strip()


# -- sysctl --------------------------------------------------------------------------------------

def test_sysctl_in_new_namespaces(rt):
    rt.set_host_sysctl_guard("net.ipv4.ip_forward")
    rt.set_host_sysctl_guard("kernel.msgmax")
    host_fwd = Path("/proc/sys/net/ipv4/ip_forward").read_text()
    host_msgmax = Path("/proc/sys/kernel/msgmax").read_text()
    want_fwd = "0" if host_fwd.strip() == "1" else "1"
    b = rt.bundle()
    b.linux["sysctl"] = {"net.ipv4.ip_forward": want_fwd, "kernel.msgmax": "12345",
                         "net.ipv4.ping_group_range": "0 100"}
    b.sh("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax /proc/sys/net/ipv4/ping_group_range")
    out = rt.run_ok(b).split()
    assert out == [want_fwd, "12345", "0", "100"], out
    assert Path("/proc/sys/net/ipv4/ip_forward").read_text() == host_fwd, "host sysctl changed"
    assert Path("/proc/sys/kernel/msgmax").read_text() == host_msgmax, "host sysctl changed"


def test_sysctl_outside_a_namespace_of_the_container_is_refused(rt):
    rt.set_host_sysctl_guard("net.ipv4.ip_default_ttl")
    host = Path("/proc/sys/net/ipv4/ip_default_ttl").read_text()
    b = rt.bundle()
    b.drop_namespace("network")
    b.drop_mount("/sys")
    b.drop_mount("/sys/fs/cgroup")
    b.linux["sysctl"] = {"net.ipv4.ip_default_ttl": "33" if host.strip() != "33" else "34"}
    b.sh("true")
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt.run(b, cid)
    assert Path("/proc/sys/net/ipv4/ip_default_ttl").read_text() == host, "the host's sysctl was changed"
    assert_one_error_line(res, "net.ipv4.ip_default_ttl")
    rt.assert_clean(cid, before)


@pytest.mark.parametrize("key,field", [("kernel.hostname", "hostname"),
                                       ("kernel.domainname", "domainname")])
def test_sysctl_uts_name_conflicting_with_its_field_is_refused(rt, key, field):
    # runc (and crun) refuse kernel.hostname alongside hostname, and
    # kernel.domainname alongside domainname: which one wins is not defined.
    b = rt.bundle()
    b.config[field] = "from-the-field"
    b.linux["sysctl"] = {key: "from-sysctl"}
    b.sh("true")
    expect_clean_failure(rt, b, key, field)


def test_sysctl_uts_name_without_its_field_or_namespace(rt):
    # Without the matching field the sysctl sets the name (runc too); without
    # a uts namespace it is refused (it would rename the host).
    b = rt.bundle()
    b.linux["sysctl"] = {"kernel.domainname": "sysctl-domain"}
    b.sh("hostname; cat /proc/sys/kernel/domainname")
    assert rt.run_ok(b).split() == ["runc", "sysctl-domain"]
    b2 = rt.bundle("nouts")
    b2.drop_namespace("uts")
    del b2.config["hostname"]
    b2.linux["sysctl"] = {"kernel.hostname": "not-the-host"}
    b2.sh("true")
    host = Path("/proc/sys/kernel/hostname").read_text()
    expect_clean_failure(rt, b2, "kernel.hostname", "uts")
    assert Path("/proc/sys/kernel/hostname").read_text() == host


def test_sysctl_unknown_key_fails_cleanly(rt):
    b = rt.bundle()
    b.linux["sysctl"] = {"net.ipv4.does_not_exist": "1"}
    b.sh("true")
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    assert_one_error_line(rt.run(b, cid), "does_not_exist")
    rt.assert_clean(cid, before)


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_a_capability_the_runtime_lacks_fails_create_not_start(rt):
    # Docker's --privileged asks for every capability; where the host
    # withholds one from the runtime (here: berth's bounding set without
    # CAP_SYS_PTRACE), the switch to the process' capabilities cannot succeed.
    # As under runc, create fails, naming it, and leaves nothing behind.
    b = rt.bundle()
    for kind in ("bounding", "effective", "permitted"):
        b.process["capabilities"][kind].append("CAP_SYS_PTRACE")
    b.sh("true")
    b.write()
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    argv = [shutil.which("setpriv"), "--bounding-set=-sys_ptrace"] + \
        rt.berth.argv(["create", "--bundle", b.path, cid])
    # Files, not pipes: a create that wrongly succeeds leaves an init holding them.
    out, err = rt.workdir / f"{cid}.out", rt.workdir / f"{cid}.err"
    with open(out, "w") as fo, open(err, "w") as fe:
        res = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe,
                             env=rt.berth.env, timeout=60)
    if res.returncode == 0:
        rt("delete", "-f", cid)
    assert res.returncode != 0, "create succeeded"
    line = assert_one_error_line(Result(argv, res.returncode, out.read_text(), err.read_text()))
    if not os.environ.get("BERTH_TEST_REFERENCE"):
        assert "CAP_SYS_PTRACE" in line, line
    rt.assert_clean(cid, before)
