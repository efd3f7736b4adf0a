"""`berth features` (runtime-spec features.md, features-linux.md) and `berth spec`.

The features document is held to what berth does: every namespace,
capability, mount option, seccomp action and flag it lists is used in a real
container here, and it must not list what berth refuses. The config
`berth spec` writes must run once the two things a test cannot use (a
terminal, an interactive shell) are changed.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from berthtest import CAP_BIT, assert_one_error_line, cap_mask
from host_objects import ns_link

REPO = Path(__file__).resolve().parents[2]

# config-linux.md, "Seccomp"
SPEC_SECCOMP_ACTIONS = {
    "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
}
SPEC_SECCOMP_OPERATORS = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
    "SCMP_CMP_MASKED_EQ",
}
SPEC_SECCOMP_FLAGS = {
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
}
SPEC_NAMESPACES = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"}
NS_FILE = {"pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts", "mount": "mnt",
           "cgroup": "cgroup", "time": "time", "user": "user"}


def spec_version() -> str | None:
    m = re.search(r"oci_spec_version\s*=\s*'([^']+)'", (REPO / "meson.build").read_text())
    return m.group(1) if m else None


@pytest.fixture
def features(rt) -> dict:
    res = rt("features", no_root=True)
    assert res.rc == 0, res
    try:
        return json.loads(res.out)
    except ValueError as e:
        raise AssertionError(f"features printed no JSON ({e})\n{res}")


# -- the document ----------------------------------------------------------------

def test_features_document_shape(features):
    assert features["ociVersionMin"] == "1.0.0"
    if spec_version():
        assert features["ociVersionMax"] == spec_version()
    # every hook kind of config.md, each run in test_hooks.py
    assert sorted(features["hooks"]) == sorted(["prestart", "createRuntime", "createContainer",
                                                "startContainer", "poststart", "poststop"])
    assert set(features) <= {"ociVersionMin", "ociVersionMax", "hooks", "mountOptions",
                             "linux", "annotations"}
    linux = features["linux"]
    assert linux["cgroup"] == {"v1": True, "v2": True, "systemd": True, "systemdUser": False,
                               "rdma": True}
    assert linux["intelRdt"] == {"enabled": False}
    assert linux["netDevices"] == {"enabled": True}
    assert set(linux["memoryPolicy"]["modes"]) == {
        "MPOL_DEFAULT", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
        "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL"}
    assert set(linux["memoryPolicy"]["flags"]) == {
        "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"}
    assert linux["mountExtensions"] == {"idmap": {"enabled": True}}
    assert "idmap" in features["mountOptions"] and "ridmap" in features["mountOptions"]
    assert isinstance(linux["apparmor"]["enabled"], bool)
    assert isinstance(linux["selinux"]["enabled"], bool)
    assert features["annotations"]["io.github.berth.version"]


def test_features_seccomp_names_are_the_specs(features):
    seccomp = features["linux"]["seccomp"]
    assert seccomp["enabled"] is True
    assert set(seccomp["actions"]) == SPEC_SECCOMP_ACTIONS
    assert set(seccomp["operators"]) == SPEC_SECCOMP_OPERATORS
    assert set(seccomp["knownFlags"]) == SPEC_SECCOMP_FLAGS
    assert set(seccomp["supportedFlags"]) <= set(seccomp["knownFlags"])
    assert all(a.startswith("SCMP_ARCH_") for a in seccomp["archs"])
    native = {"x86_64": "SCMP_ARCH_X86_64", "aarch64": "SCMP_ARCH_AARCH64"}.get(os.uname().machine)
    if native:
        assert native in seccomp["archs"]


def test_features_namespaces_and_capabilities(features):
    assert set(features["linux"]["namespaces"]) == SPEC_NAMESPACES
    caps = features["linux"]["capabilities"]
    assert len(caps) == len(set(caps))
    assert {"CAP_SYS_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_CHECKPOINT_RESTORE"} <= set(caps)


# -- what it lists, berth accepts ---------------------------------------------------

def test_every_listed_namespace_is_created(rt, features):
    for kind in features["linux"]["namespaces"]:
        b = rt.bundle(f"ns-{kind}")
        b.set_namespace(kind)
        if kind == "user":
            b.linux["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
            b.linux["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
        name = NS_FILE[kind]
        b.sh(f"readlink /proc/self/ns/{name}")
        out = rt.run_ok(b).strip()
        assert out and out != ns_link(name), f"{kind}: the container shares the host's namespace"


def test_every_listed_capability_is_granted(rt, features):
    # berth cannot hand out what it does not hold itself: the listed
    # capabilities are asked for as far as this test's own process has them
    status = Path("/proc/self/status").read_text()
    held = int(re.search(r"^CapPrm:\s*([0-9a-f]+)", status, re.M).group(1), 16)
    caps = [c for c in features["linux"]["capabilities"] if c in CAP_BIT and held >> CAP_BIT[c] & 1]
    assert caps, "this process holds none of the listed capabilities"
    b = rt.bundle()
    b.process["capabilities"] = {"bounding": caps, "effective": caps, "permitted": caps}
    b.sh("grep CapEff /proc/self/status")
    res = rt.run(b)
    assert res.rc == 0, res
    assert int(res.out.split()[1], 16) == cap_mask(caps), res


def test_every_listed_mount_option_is_accepted(rt, features):
    source = rt.host_dir("bind-source")
    failures = []
    b = rt.bundle()
    (b.rootfs / "mnt").mkdir(exist_ok=True)
    b.args("true")
    for option in features["mountOptions"]:
        b.drop_mount("/mnt")
        if option in ("bind", "rbind"):
            b.add_mount("/mnt", None, str(source), [option])
        elif option in ("idmap", "ridmap"):
            b.add_mount("/mnt", None, str(source), ["rbind", option])
            ids = [{"containerID": 0, "hostID": 1000, "size": 1}]
            b.config["mounts"][-1].update(uidMappings=ids, gidMappings=ids)
        else:
            b.add_mount("/mnt", "tmpfs", "tmpfs", [option])
        res = rt.run(b)
        if res.rc != 0:
            failures.append(f"{option}: {res.err.strip()}")
    assert not failures, "listed mount options berth refused:\n" + "\n".join(failures)


def test_every_listed_seccomp_action_and_flag_is_accepted(rt, features):
    seccomp = features["linux"]["seccomp"]
    # one rule per action, each on a call `true` never makes (NOTIFY needs an
    # agent: test_seccomp.py covers it)
    unused = ["acct", "swapon", "swapoff", "kexec_load", "init_module", "delete_module",
              "settimeofday", "syslog"]
    actions = [a for a in seccomp["actions"] if a not in ("SCMP_ACT_NOTIFY", "SCMP_ACT_ALLOW")]
    assert len(actions) <= len(unused)
    b = rt.bundle()
    b.args("true")
    b.linux["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "flags": seccomp["supportedFlags"],
        "syscalls": [{"names": [call], "action": action} for call, action in zip(unused, actions)],
    }
    res = rt.run(b)
    assert res.rc == 0, res
    b.linux["seccomp"]["syscalls"] = [{"names": ["acct"], "action": "SCMP_ACT_ERRNO",
                                       "args": [{"index": 0, "value": 1, "valueTwo": 1, "op": op}]}
                                      for op in seccomp["operators"]]
    b.linux["seccomp"]["flags"] = []
    res = rt.run(b)
    assert res.rc == 0, res


# -- berth spec -------------------------------------------------------------------

def runnable(config: dict, *args: str) -> dict:
    """What a user changes before `berth run` from a script: no terminal,
    a command instead of an interactive shell."""
    config["process"]["terminal"] = False
    config["process"]["args"] = list(args)
    return config


def run_spec_bundle(rt, bundle_dir: Path, *args: str):
    config_path = bundle_dir / "config.json"
    config = runnable(json.loads(config_path.read_text()), *args)
    config_path.write_text(json.dumps(config))
    return rt("run", "--bundle", bundle_dir, rt.new_id())


def test_spec_writes_a_config_that_runs(rt):
    b = rt.bundle()  # the rootfs only: berth writes the config
    res = rt("spec", cwd=b.path)
    assert res.rc == 0 and res.out == "", res
    config = json.loads((b.path / "config.json").read_text())
    assert config["process"]["terminal"] is True
    assert config["process"]["args"] == ["sh"]
    assert config["root"] == {"path": "rootfs", "readonly": True}
    assert config["process"]["noNewPrivileges"] is True
    assert config["process"]["rlimits"] == [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
    caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    for kind in ("bounding", "effective", "permitted"):
        assert config["process"]["capabilities"][kind] == caps
    kinds = [ns["type"] for ns in config["linux"]["namespaces"]]
    assert {"pid", "network", "ipc", "uts", "mount"} <= set(kinds)
    # a cgroup namespace where the host's cgroups are v2 only, as runc does
    unified = Path("/sys/fs/cgroup/cgroup.controllers").exists()
    assert ("cgroup" in kinds) == unified, kinds
    res = run_spec_bundle(rt, b.path, "sh", "-c", "echo spec-ok; hostname; id -u")
    assert res.rc == 0, res
    assert res.out.split() == ["spec-ok", config["hostname"], "0"], res


def test_spec_bundle_flag(rt):
    b = rt.bundle()
    res = rt("spec", "--bundle", b.path, cwd=rt.workdir)
    assert res.rc == 0, res
    assert (b.path / "config.json").is_file()
    assert not (rt.workdir / "config.json").exists()
    other = rt.bundle("other")
    assert rt("spec", "-b", other.path).rc == 0
    res = run_spec_bundle(rt, b.path, "echo", "bundle-ok")
    assert res.rc == 0 and res.out.strip() == "bundle-ok", res


def test_spec_refuses_to_overwrite(rt):
    b = rt.bundle()
    existing = b.path / "config.json"
    existing.write_text("mine")
    res = rt("spec", "--bundle", b.path)
    assert_one_error_line(res, "config.json", "exists")
    assert existing.read_text() == "mine"
    # nor through a symlink of that name
    existing.unlink()
    target = rt.workdir / "elsewhere.json"
    existing.symlink_to(target)
    res = rt("spec", "--bundle", b.path)
    assert_one_error_line(res, "exists")
    assert not target.exists()


def test_spec_missing_bundle(rt):
    res = rt("spec", "--bundle", rt.workdir / "no-such-dir")
    assert_one_error_line(res, "no-such-dir")


def test_spec_rootless(rt):
    b = rt.bundle()
    assert rt("spec", "--rootless", "--bundle", b.path).rc == 0
    config = json.loads((b.path / "config.json").read_text())
    kinds = [ns["type"] for ns in config["linux"]["namespaces"]]
    assert "user" in kinds and "network" not in kinds, kinds
    assert config["linux"]["uidMappings"] == [{"containerID": 0, "hostID": os.geteuid(), "size": 1}]
    assert config["linux"]["gidMappings"] == [{"containerID": 0, "hostID": os.getegid(), "size": 1}]
    assert "resources" not in config["linux"]
    sys_mount = next(m for m in config["mounts"] if m["destination"] == "/sys")
    assert sys_mount["source"] == "/sys" and "rbind" in sys_mount["options"]
    for m in config["mounts"]:
        assert not any(o.startswith(("uid=", "gid=")) for o in m.get("options", [])), m
    # run here by root, the one-id mapping is root to root
    res = run_spec_bundle(rt, b.path, "sh", "-c", "cat /proc/self/uid_map")
    assert res.rc == 0, res
    assert res.out.split() == ["0", str(os.geteuid()), "1"], res
