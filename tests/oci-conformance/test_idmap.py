"""Idmapped mounts (config.md: a mount's uidMappings/gidMappings, the "idmap"
and "ridmap" options): host files read back inside the container with the
mapped owner, files made through the mount land with the host owner the
mapping says, and the failures are one line naming the mount entry.

A mount's mappings read as linux.uidMappings do: a file owned on disk by
containerID shows as hostID through the mount (as seen from the host's user
namespace, then through the container's own user namespace when it has one).
The test directories are on the session directory's filesystem (ext4 under
/tmp on the test host), which supports idmapped mounts; tmpfs does too (6.3+),
ramfs does not.
"""

import os
from pathlib import Path

import pytest

from berthtest import expect_clean_failure


def mapping(container_id, host_id, size):
    return [{"containerID": container_id, "hostID": host_id, "size": size}]


def idmapped_bind(b, destination, source, options=("rbind",), uids=None, gids=None):
    b.bind(destination, source, options)
    entry = b.config["mounts"][-1]
    if uids is not None:
        entry["uidMappings"] = uids
    if gids is not None:
        entry["gidMappings"] = gids
    return entry


def owned_file(path: Path, uid, gid, text="x"):
    path.write_text(text)
    os.chown(path, uid, gid)
    return path


def userns_bundle(rt, uid=100000, gid=200000):
    b = rt.bundle()
    b.set_namespace("user")
    b.linux["uidMappings"] = mapping(0, uid, 65536)
    b.linux["gidMappings"] = mapping(0, gid, 65536)
    b.drop_mount("/sys/fs/cgroup")  # a cgroup v1 hierarchy cannot be mounted from a userns
    return b


def owners(out: str) -> dict:
    """`stat -c '%n %u:%g'` lines as {name: "uid:gid"}."""
    return dict(line.split() for line in out.splitlines() if line.strip())


# -- the mount's own mappings -------------------------------------------------------

def test_mapped_owner_without_user_namespace(rt):
    src = rt.host_dir("src", 0o755)
    os.chown(src, 1000, 1000)
    owned_file(src / "a", 1000, 1000)
    owned_file(src / "b", 1003, 1005)
    owned_file(src / "root-owned", 0, 0)
    b = rt.bundle()
    # asymmetric on purpose: uids and gids move by different amounts
    idmapped_bind(b, "/data", src, ("rbind", "idmap"),
                  uids=mapping(1000, 5000, 10), gids=mapping(1000, 7000, 10))
    b.sh("cd /data && stat -c '%n %u:%g' . a b root-owned && ls -ln /data | grep ' a$'")
    out = rt.run_ok(b)
    lines = out.splitlines()
    seen = owners("\n".join(lines[:-1]))
    assert seen == {".": "5000:7000", "a": "5000:7000", "b": "5003:7005",
                    "root-owned": "65534:65534"}, out
    ls = lines[-1].split()
    assert ls[2:4] == ["5000", "7000"], out
    # the host's own view is untouched
    st = os.stat(src / "a")
    assert (st.st_uid, st.st_gid) == (1000, 1000)


def test_file_made_through_the_mount_gets_the_host_owner(rt):
    src = rt.host_dir("src", 0o755)
    os.chown(src, 1000, 1000)
    b = rt.bundle()
    idmapped_bind(b, "/data", src, ("rbind", "idmap"),
                  uids=mapping(1000, 5000, 10), gids=mapping(1000, 7000, 10))
    # uid 5002 inside is uid 1002 on disk; the directory (1000 on disk) is the
    # process' own only through the mapping
    b.process["user"] = {"uid": 5000, "gid": 7002}
    b.sh("touch /data/made && stat -c '%u:%g' /data/made && mkdir /data/dir")
    assert rt.run_ok(b).split() == ["5000:7002"]
    st = os.stat(src / "made")
    assert (st.st_uid, st.st_gid) == (1000, 1002), f"{st.st_uid}:{st.st_gid} on the host"
    st = os.stat(src / "dir")
    assert (st.st_uid, st.st_gid) == (1000, 1002)


def test_root_outside_the_mapping_cannot_create(rt):
    src = rt.host_dir("src", 0o777)
    b = rt.bundle()
    idmapped_bind(b, "/data", src, ("rbind", "idmap"),
                  uids=mapping(1000, 5000, 10), gids=mapping(1000, 7000, 10))
    b.sh("touch /data/made 2>&1; echo rc=$?")
    out = rt.run_ok(b)
    # uid 0 has no on-disk id through this mount: the kernel refuses (EOVERFLOW)
    assert "rc=1" in out, out
    assert not (src / "made").exists()


def test_mappings_inside_a_user_namespace(rt):
    src = rt.host_dir("src", 0o755)
    owned_file(src / "f", 1000, 2000)
    # f (1000:2000 on disk) shows as 100005:200007 on the host's side, which
    # the container's namespace (0 -> 100000 / 200000) shows as 5:7
    b = userns_bundle(rt)
    idmapped_bind(b, "/data", src, ("rbind", "idmap"),
                  uids=mapping(1000, 100005, 1), gids=mapping(2000, 200007, 1))
    b.bind("/plain", src)
    b.sh("stat -c '%u:%g' /data/f /plain/f")
    assert rt.run_ok(b).split() == ["5:7", "65534:65534"]


def test_idmapped_bind_of_a_single_file(rt):
    src = rt.host_dir("src", 0o755)
    f = owned_file(src / "f", 1000, 1000, "content\n")
    b = userns_bundle(rt)
    b.add_mount("/etc/idmapped-file", None, str(f), ["bind", "idmap"])
    b.config["mounts"][-1].update(uidMappings=mapping(1000, 100003, 1),
                                  gidMappings=mapping(1000, 200004, 1))
    b.sh("stat -c '%u:%g' /etc/idmapped-file; cat /etc/idmapped-file")
    assert rt.run_ok(b).split() == ["3:4", "content"]


def test_mappings_without_the_option_apply(rt):
    src = rt.host_dir("src", 0o755)
    owned_file(src / "f", 1000, 1000)
    b = rt.bundle()
    idmapped_bind(b, "/data", src, ("rbind",), uids=mapping(1000, 5000, 1),
                  gids=mapping(1000, 7000, 1))
    b.sh("stat -c '%u:%g' /data/f")
    assert rt.run_ok(b).split() == ["5000:7000"]


# -- the container's user namespace as the mapping -----------------------------------

def test_idmap_without_mappings_takes_the_container_user_namespace(rt):
    src = rt.host_dir("src", 0o755)
    owned_file(src / "root-owned", 0, 0)
    owned_file(src / "user-owned", 1000, 2000)
    b = userns_bundle(rt)  # 0 -> 100000 (uids), 0 -> 200000 (gids)
    idmapped_bind(b, "/data", src, ("rbind", "idmap"))
    b.bind("/plain", src)
    b.sh("stat -c '%n %u:%g' /data/root-owned /data/user-owned /plain/root-owned; "
         "id -u; touch /data/made-inside")
    out = rt.run_ok(b)
    lines = out.splitlines()
    assert owners("\n".join(lines[:3])) == {"/data/root-owned": "0:0",
                                            "/data/user-owned": "1000:2000",
                                            "/plain/root-owned": "65534:65534"}, out
    assert lines[3] == "0"
    # the container's root writes as the host's root through the mount
    st = os.stat(src / "made-inside")
    assert (st.st_uid, st.st_gid) == (0, 0), f"{st.st_uid}:{st.st_gid} on the host"


# -- idmap vs ridmap on a tree with a mount below ----------------------------------

@pytest.fixture
def nested_source(rt):
    src = rt.host_dir("src", 0o755)
    owned_file(src / "top", 1000, 1000)
    (src / "sub").mkdir()
    rt.host_mount("-t", "tmpfs", "-o", "mode=755", "nested", str(src / "sub"))
    owned_file(src / "sub" / "below", 1000, 1000)
    return src


def test_idmap_maps_only_the_top_of_an_rbind(rt, nested_source):
    b = rt.bundle()
    idmapped_bind(b, "/data", nested_source, ("rbind", "idmap"),
                  uids=mapping(1000, 5000, 1), gids=mapping(1000, 7000, 1))
    b.sh("stat -c '%u:%g' /data/top /data/sub/below")
    assert rt.run_ok(b).split() == ["5000:7000", "1000:1000"]


def test_ridmap_maps_every_mount_of_the_tree(rt, nested_source):
    b = rt.bundle()
    idmapped_bind(b, "/data", nested_source, ("rbind", "ridmap"),
                  uids=mapping(1000, 5000, 1), gids=mapping(1000, 7000, 1))
    b.sh("stat -c '%u:%g' /data/top /data/sub/below")
    assert rt.run_ok(b).split() == ["5000:7000", "5000:7000"]


def test_mappings_on_an_rbind_without_option_are_recursive(rt, nested_source):
    b = rt.bundle()
    idmapped_bind(b, "/data", nested_source, ("rbind",),
                  uids=mapping(1000, 5000, 1), gids=mapping(1000, 7000, 1))
    b.sh("stat -c '%u:%g' /data/top /data/sub/below")
    assert rt.run_ok(b).split() == ["5000:7000", "5000:7000"]


def test_idmapped_mount_keeps_its_other_options(rt):
    src = rt.host_dir("src", 0o755)
    owned_file(src / "f", 1000, 1000)
    b = rt.bundle()
    idmapped_bind(b, "/data", src, ("rbind", "ro", "idmap"),
                  uids=mapping(1000, 5000, 1), gids=mapping(1000, 7000, 1))
    b.sh("stat -c '%u:%g' /data/f; grep ' /data ' /proc/self/mountinfo")
    out = rt.run_ok(b).splitlines()
    assert out[0] == "5000:7000"
    per_mount = out[1].split()[5].split(",")
    assert "ro" in per_mount and "idmapped" in per_mount, out[1]


# -- failures: one line naming the entry, nothing left behind ---------------------------

def test_idmap_without_mappings_or_user_namespace_is_refused(rt):
    src = rt.host_dir("src")
    b = rt.bundle()
    b.args("true")
    idmapped_bind(b, "/data", src, ("rbind", "ridmap"))
    index = len(b.config["mounts"]) - 1
    line = expect_clean_failure(rt, b, f"/mounts/{index}/options", "ridmap",
                                        "user namespace")
    assert line.startswith("berth: config.json:") or "config.json:" in line, line


def test_only_uid_mappings_is_refused(rt):
    src = rt.host_dir("src")
    b = rt.bundle()
    b.args("true")
    idmapped_bind(b, "/data", src, ("rbind", "idmap"), uids=mapping(0, 1000, 1))
    index = len(b.config["mounts"]) - 1
    expect_clean_failure(rt, b, f"/mounts/{index}/gidMappings")


def test_filesystem_without_idmap_support_is_one_line(rt):
    src = rt.host_dir("ramfs-src")
    rt.host_mount("-t", "ramfs", "none", str(src))
    b = rt.bundle()
    b.args("true")
    out = rt.host_dir("out")
    b.bind("/out", out)
    b.sh("echo ran > /out/marker")
    idmapped_bind(b, "/data", src, ("rbind", "idmap"),
                  uids=mapping(0, 1000, 1), gids=mapping(0, 1000, 1))
    index = len(b.config["mounts"]) - 1
    expect_clean_failure(rt, b, f"/mounts/{index}", "does not support idmapped mounts",
                                 str(src))
    assert not (out / "marker").exists()


def test_filesystem_without_idmap_support_in_a_user_namespace(rt):
    src = rt.host_dir("ramfs-src")
    rt.host_mount("-t", "ramfs", "none", str(src))
    b = userns_bundle(rt)
    b.args("true")
    idmapped_bind(b, "/data", src, ("rbind", "idmap"))
    index = len(b.config["mounts"]) - 1
    expect_clean_failure(rt, b, f"/mounts/{index}", "does not support idmapped mounts")


def test_bad_mount_mapping_is_one_line(rt):
    src = rt.host_dir("src")
    b = rt.bundle()
    b.args("true")
    # overlapping ranges: the kernel refuses the map
    idmapped_bind(b, "/data", src, ("rbind", "idmap"),
                  uids=mapping(0, 1000, 10) + mapping(5, 2000, 10), gids=mapping(0, 1000, 1))
    index = len(b.config["mounts"]) - 1
    expect_clean_failure(rt, b, f"/mounts/{index}", "uidMappings", "uid_map")


def test_idmapped_non_bind_mount_is_refused(rt):
    b = rt.bundle()
    b.args("true")
    b.add_mount("/t", "tmpfs", "tmpfs", ["idmap"])
    b.config["mounts"][-1]["uidMappings"] = mapping(0, 1000, 1)
    b.config["mounts"][-1]["gidMappings"] = mapping(0, 1000, 1)
    index = len(b.config["mounts"]) - 1
    expect_clean_failure(rt, b, f"/mounts/{index}", "bind")


# -- features.json ---------------------------------------------------------------------

def test_features_report_idmap(rt):
    import json
    res = rt("features", no_root=True)
    assert res.rc == 0, res
    features = json.loads(res.out)
    assert features["linux"]["mountExtensions"] == {"idmap": {"enabled": True}}
    assert {"idmap", "ridmap"} <= set(features["mountOptions"])
