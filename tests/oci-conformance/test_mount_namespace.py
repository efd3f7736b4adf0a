"""The mount namespace: none in the config (the container shares the
runtime's, config.md "namespaces"), or one joined by path.  In both cases the
container's rootfs is set up, as runc does: in a joined namespace it is bound
and pivoted into there; without one the mounts are made in the host's tree,
under the rootfs, and the process is chrooted into it.  Nothing of that may
outlive the container, nor reach the host's other mounts."""

import subprocess
from pathlib import Path

import pytest

from berthtest import Bundle, expect_clean_failure, missing_fault_injection
from host_objects import host_mountinfo, mount_at, ns_inode, ns_link, parse_mountinfo

MARKER = "the container's rootfs\n"


def without_mount_namespace(b):
    """A config with no mount namespace: masks and read-only paths need one
    (runc refuses them too), the rest of the default config stays."""
    b.drop_namespace("mount")
    b.linux["maskedPaths"] = []
    b.linux["readonlyPaths"] = []
    (b.rootfs / "marker").write_text(MARKER)
    return b


def mounts_under(path: Path) -> list:
    base = str(path)
    return sorted(m.mountpoint for m in host_mountinfo()
                  if m.mountpoint == base or m.mountpoint.startswith(base + "/"))


# -- no mount namespace ---------------------------------------------------------

def test_no_mount_namespace_runs_in_the_hosts(rt):
    b = without_mount_namespace(rt.bundle())
    b.sh("cat /marker; readlink /proc/self/ns/mnt; cat /proc/self/mountinfo")
    before = rt.snapshot_mounts()
    out = rt.run_ok(b)
    marker, link, mountinfo = out.split("\n", 2)
    assert marker + "\n" == MARKER, out
    assert link == ns_link("mnt"), "the container got a mount namespace of its own"
    entries = parse_mountinfo(mountinfo)
    # chrooted into the rootfs: the host's mounts above it are not visible,
    # the config's are, where it put them
    assert mount_at(entries, "/proc").fstype == "proc", mountinfo
    assert mount_at(entries, "/dev").fstype == "tmpfs", mountinfo
    assert mount_at(entries, "/sys").fstype == "sysfs", mountinfo
    assert rt.new_mounts_since(before) == [], "run left mounts in the host's mount namespace"


def test_no_mount_namespace_mounts_go_with_delete(rt):
    b = without_mount_namespace(rt.bundle())
    b.sh("sleep 1000")
    before = rt.snapshot_mounts()
    cid = rt.create_ok(b)
    # the container's mounts are in the host's tree, under its rootfs
    during = mounts_under(b.rootfs)
    assert str(b.rootfs / "proc") in during and str(b.rootfs / "dev") in during, during
    assert rt("start", cid).rc == 0
    assert rt("delete", "--force", cid).rc == 0
    assert mounts_under(b.rootfs) == []
    rt.assert_clean(cid, before)


def test_no_mount_namespace_keeps_the_hosts_propagation(rt):
    """A rootfs on a shared mount: the shared mount stays shared (runc makes
    the rootfs' parent and the host's "/" private or slave), and its peer
    gets none of the container's mounts."""
    shared = rt.host_dir("shared")
    peer = rt.host_dir("peer")
    rt.host_mount("-t", "tmpfs", "tmpfs", str(shared))
    rt.host_mount("--make-shared", str(shared))
    rt.host_mount("--bind", str(shared), str(peer))
    b = without_mount_namespace(Bundle(shared / "bundle", rt.rootfs_template, rt.token))
    b.sh("sleep 1000")
    cid = rt.create_ok(b)
    entries = host_mountinfo()
    assert any(o.startswith("shared:") for o in mount_at(entries, str(shared)).optional), \
        "the rootfs' parent mount is no longer shared"
    assert str(b.rootfs / "proc") in mounts_under(b.rootfs)
    assert not [m for m in mounts_under(peer) if m.startswith(str(peer / "bundle" / "rootfs") + "/")], \
        f"the container's mounts propagated to a peer of the rootfs' mount: {mounts_under(peer)}"
    assert rt("delete", "--force", cid).rc == 0
    assert mounts_under(b.rootfs) == []
    assert mounts_under(peer / "bundle") == [], "the rootfs bind's copy in the peer stayed"


def test_no_mount_namespace_exec_enters_the_containers_root(rt):
    """exec has no mount namespace to join for the container's root: it takes
    the init's. (runc 1.1.5's exec'd process lands in the host's "/".)"""
    b = without_mount_namespace(rt.bundle())
    b.sh("sleep 1000")
    before = rt.snapshot_mounts()
    cid = rt.create_ok(b)
    assert rt("start", cid).rc == 0
    res = rt("exec", cid, "cat", "/marker")
    assert res.rc == 0 and res.out == MARKER, res
    assert rt("delete", "--force", cid).rc == 0
    rt.assert_clean(cid, before)


@pytest.mark.parametrize("field,value", [
    ("maskedPaths", ["/proc/kcore"]),
    ("readonlyPaths", ["/proc/sys"]),
    ("rootfsPropagation", "shared"),
])
def test_no_mount_namespace_refuses_what_would_change_the_host(rt, field, value):
    b = without_mount_namespace(rt.bundle())
    b.linux[field] = value
    b.sh("true")
    line = expect_clean_failure(rt, b, f"/linux/{field}", "mount namespace")
    assert mounts_under(b.rootfs) == [], line


def test_no_mount_namespace_with_a_user_namespace_is_refused(rt):
    """The host's mount namespace belongs to the initial user namespace: the
    container could not mount there (runc fails with EPERM on "/")."""
    b = without_mount_namespace(rt.bundle())
    b.set_namespace("user")
    b.linux["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1}]
    b.linux["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1}]
    b.sh("true")
    expect_clean_failure(rt, b, "/linux/namespaces", "user namespace", "mount namespace")
    assert mounts_under(b.rootfs) == []


def test_no_mount_namespace_failed_setup_leaves_no_mount(rt):
    """A mount that fails after the rootfs bind and /proc were made in the
    host's tree: the failed create takes them away."""
    b = without_mount_namespace(rt.bundle())
    b.add_mount("/data", "tmpfs", "tmpfs", ["size=bogus"])
    b.sh("true")
    expect_clean_failure(rt, b, "size")
    assert mounts_under(b.rootfs) == []


@pytest.mark.parametrize("stage", ["init-ready", "before-commit"])
def test_no_mount_namespace_killed_create_then_delete_leaves_no_mount(rt, stage):
    """berth killed once the init made its mounts (BERTH_TEST_KILL_AT, a
    fault-injection build): `delete --force` finds them through the state."""
    if reason := missing_fault_injection(rt.berth.binary):
        pytest.skip(reason)
    b = without_mount_namespace(rt.bundle())
    b.sh("sleep 1000")
    before = rt.snapshot_mounts()
    rt.berth.env["BERTH_TEST_KILL_AT"] = stage
    try:
        cid, res = rt.create(b)
    finally:
        del rt.berth.env["BERTH_TEST_KILL_AT"]
    assert res.rc != 0, res
    assert str(b.rootfs / "proc") in mounts_under(b.rootfs), \
        "no mount to clean up: is fault injection built in?"
    assert rt("delete", "--force", cid).rc == 0
    assert mounts_under(b.rootfs) == []
    rt.assert_clean(cid, before)


# -- a mount namespace joined by path ---------------------------------------------

def test_joined_mount_namespace_gets_the_rootfs_and_its_mounts(rt):
    pid = rt.holder("--mount", "--propagation", "private")
    target = ns_inode(f"/proc/{pid}/ns/mnt")
    b = rt.bundle()
    (b.rootfs / "marker").write_text(MARKER)
    b.set_namespace("mount", f"/proc/{pid}/ns/mnt")
    b.sh("cat /marker; readlink /proc/self/ns/mnt; cat /proc/self/mountinfo")
    before = rt.snapshot_mounts()
    out = rt.run_ok(b)
    marker, link, mountinfo = out.split("\n", 2)
    assert marker + "\n" == MARKER, out
    assert link == f"mnt:[{target}]"
    entries = parse_mountinfo(mountinfo)
    assert mount_at(entries, "/proc").fstype == "proc", mountinfo
    assert mount_at(entries, "/dev/pts").fstype == "devpts", mountinfo
    # as runc leaves it: pivot_root made the rootfs the namespace's root, for
    # the process that was already inside too
    assert (Path(f"/proc/{pid}/root") / "marker").read_text() == MARKER
    assert rt.new_mounts_since(before) == [], "the joined namespace's mounts reached the host's"


def test_joined_persistent_mount_namespace(rt):
    """A namespace kept by a bind of its nsfs file (unshare --mount=FILE),
    with no process inside."""
    keep = rt.host_dir("ns")
    rt.host_mount("--bind", str(keep), str(keep))
    rt.host_mount("--make-private", str(keep))
    nsfile = keep / "mnt"
    nsfile.touch()
    subprocess.run(["unshare", f"--mount={nsfile}", "--propagation", "private", "true"], check=True)
    b = rt.bundle()
    (b.rootfs / "marker").write_text(MARKER)
    b.set_namespace("mount", str(nsfile))
    b.sh("cat /marker; cat /proc/self/mountinfo")
    marker, mountinfo = rt.run_ok(b).split("\n", 1)
    assert marker + "\n" == MARKER
    assert mount_at(parse_mountinfo(mountinfo), "/proc").fstype == "proc", mountinfo
    # the namespace's root is the container's rootfs now, as runc leaves it
    inside = subprocess.run(["nsenter", f"--mount={nsfile}", "cat", "/marker"],
                            capture_output=True, text=True)
    assert inside.stdout == MARKER, inside
