"""Namespaces: new ones of every type, joined ones by path, user namespace
mappings.  Each test reads the namespace links inside the container and
compares them with the host's or the target's."""

import ctypes
import os
import subprocess
from pathlib import Path

import pytest

from berthtest import assert_one_error_line, expect_clean_failure
from host_objects import mount_at, ns_inode, ns_link, parse_mountinfo

# config type -> name under /proc/<pid>/ns/
NS_FILE = {"pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts", "mount": "mnt",
           "cgroup": "cgroup", "time": "time", "user": "user"}


def read_ns_links(rt, b):
    b.sh("for n in pid net ipc uts mnt cgroup time user; do echo $n $(readlink /proc/self/ns/$n); done")
    out = rt.run_ok(b)
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


@pytest.mark.parametrize("kind", ["pid", "network", "ipc", "uts", "mount", "cgroup", "time"])
def test_new_namespace_differs_from_host(rt, kind):
    b = rt.bundle()
    b.set_namespace(kind)
    inside = read_ns_links(rt, b)
    name = NS_FILE[kind]
    assert inside[name] != ns_link(name), f"{kind}: container shares the host's namespace {inside[name]}"


@pytest.mark.parametrize("kind", ["network", "ipc", "uts", "cgroup", "time"])
def test_namespace_not_requested_is_shared_with_host(rt, kind):
    b = rt.bundle()
    b.drop_namespace(kind)
    if kind == "uts":
        del b.config["hostname"]  # a hostname needs a uts namespace
    if kind == "network":
        b.drop_mount("/sys")  # sysfs of the host's netns may not be mounted again
        b.drop_mount("/sys/fs/cgroup")
    inside = read_ns_links(rt, b)
    name = NS_FILE[kind]
    assert inside[name] == ns_link(name), f"{kind}: a namespace was created though config did not ask"


def test_pid_namespace_pid_1(rt):
    b = rt.bundle()
    b.sh('echo "pid $$"; cat /proc/self/stat | cut -d" " -f1; ls /proc | grep -c "^[0-9]"')
    out = rt.run_ok(b).split("\n")
    assert out[0] == "pid 1"
    # only sh and the pipeline are visible
    assert int(out[2]) <= 4, f"the container sees host processes: {out}"


def test_uts_namespace_hostname(rt):
    host = os.uname().nodename
    b = rt.bundle()
    b.config["hostname"] = "bt-container"
    b.sh("hostname; cat /proc/sys/kernel/hostname")
    assert rt.run_ok(b) == "bt-container\nbt-container\n"
    assert os.uname().nodename == host, "the host's hostname changed"


def test_domainname(rt):
    host = Path("/proc/sys/kernel/domainname").read_text()
    b = rt.bundle()
    b.config["domainname"] = "bt.example"
    b.sh("cat /proc/sys/kernel/domainname")
    assert rt.run_ok(b) == "bt.example\n"
    assert Path("/proc/sys/kernel/domainname").read_text() == host


def test_network_namespace_has_only_lo(rt):
    b = rt.bundle()
    b.sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; echo --; ls /sys/class/net")
    proc_net, sys_net = rt.run_ok(b).split("--")
    assert proc_net.split() == ["lo"], f"interfaces in a new netns (/proc/net/dev): {proc_net.split()}"
    assert sys_net.split() == ["lo"], f"interfaces in a new netns (/sys/class/net): {sys_net.split()}"


# runc brings up the loopback of a network namespace it creates: 127.0.0.1
# answers (a server and its health check in one container count on it).
IFF_UP = 0x1


def test_new_network_namespace_has_lo_up(rt):
    b = rt.bundle()
    for s in ("bounding", "effective", "permitted"):
        b.process["capabilities"][s].append("CAP_NET_RAW")  # busybox ping's raw socket
    b.sh("cat /sys/class/net/lo/flags; ping -c 1 -W 2 127.0.0.1 >/dev/null && echo ping-ok")
    flags, *rest = rt.run_ok(b).split()
    assert int(flags, 16) & IFF_UP, f"lo is down in a new netns (flags {flags})"
    assert rest == ["ping-ok"], rest


def test_joined_network_namespace_keeps_lo_as_it_is(rt):
    path = rt.add_netns()
    b = rt.bundle()
    b.set_namespace("network", path)
    b.sh("cat /sys/class/net/lo/flags")
    assert not int(rt.run_ok(b).strip(), 16) & IFF_UP, "berth changed a joined netns"


def test_ipc_namespace_hides_host_segments(rt):
    libc = ctypes.CDLL(None, use_errno=True)
    IPC_CREAT, IPC_RMID = 0o1000, 0
    key = 0x6274 << 16 | (os.getpid() & 0xFFFF)
    shmid = libc.shmget(key, 4096, IPC_CREAT | 0o600)
    assert shmid >= 0, os.strerror(ctypes.get_errno())
    try:
        host_view = Path("/proc/sysvipc/shm").read_text()
        assert str(key) in host_view
        b = rt.bundle()
        b.sh("cat /proc/sysvipc/shm")
        inside = rt.run_ok(b)
        assert str(key) not in inside and str(shmid) not in inside.split(), \
            f"host shm segment {key} visible in the container:\n{inside}"
    finally:
        libc.shmctl(shmid, IPC_RMID, None)


def test_mount_namespace_isolates_mounts(rt):
    out = rt.host_dir("out")
    b = rt.bundle()
    b.bind("/out", out)
    b.sh("touch /out/ready; while [ ! -e /out/go ]; do sleep 0.05; done; cat /proc/self/mountinfo > /out/mi")
    rt.create_ok(b)
    # container mounts are not visible on the host
    rootfs = str(b.rootfs)
    host = [l for l in Path("/proc/self/mountinfo").read_text().splitlines() if rootfs in l]
    assert host == [], f"container mounts leaked into the host mount namespace: {host}"


def test_cgroup_namespace_root(rt):
    b = rt.bundle()
    b.set_namespace("cgroup")
    b.sh("cat /proc/self/cgroup")
    lines = rt.run_ok(b).splitlines()
    assert lines
    for line in lines:
        assert line.split(":", 2)[2] == "/", f"cgroup path not the namespace root: {lines}"


def test_time_namespace_offsets(rt):
    b = rt.bundle()
    b.set_namespace("time")
    b.linux["timeOffsets"] = {"monotonic": {"secs": 86400, "nanosecs": 0},
                              "boottime": {"secs": 172800, "nanosecs": 0}}
    b.sh("cat /proc/self/timens_offsets; cut -d' ' -f1 /proc/uptime")
    host_uptime = float(Path("/proc/uptime").read_text().split()[0])
    out = rt.run_ok(b).splitlines()
    offsets = {l.split()[0]: (int(l.split()[1]), int(l.split()[2])) for l in out[:-1]}
    assert offsets.get("monotonic") == (86400, 0), out
    assert offsets.get("boottime") == (172800, 0), out
    inside_uptime = float(out[-1])
    assert inside_uptime >= host_uptime + 172800 - 5, f"boottime offset not applied: {inside_uptime} vs {host_uptime}"


# -- user namespace ------------------------------------------------------------

def userns_bundle(rt, uid=100000, gid=200000):
    b = rt.bundle()
    b.set_namespace("user")
    b.linux["uidMappings"] = [{"containerID": 0, "hostID": uid, "size": 65536}]
    b.linux["gidMappings"] = [{"containerID": 0, "hostID": gid, "size": 65536}]
    # a cgroup v1 hierarchy cannot be mounted from a user namespace
    b.drop_mount("/sys/fs/cgroup")
    return b


def test_user_namespace_mappings(rt):
    out = rt.host_dir("out")
    os.chown(out, 100000, 200000)
    b = userns_bundle(rt)
    b.bind("/out", out)
    b.sh("id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; touch /out/made-inside; "
         "mkdir /out/dir-inside")
    lines = rt.run_ok(b).splitlines()
    assert lines[0] == "0" and lines[1] == "0", f"not root inside the user namespace: {lines}"
    assert lines[2].split() == ["0", "100000", "65536"], lines
    assert lines[3].split() == ["0", "200000", "65536"], lines
    st = os.stat(out / "made-inside")
    assert (st.st_uid, st.st_gid) == (100000, 200000), f"file owned by {st.st_uid}:{st.st_gid} on the host"
    st = os.stat(out / "dir-inside")
    assert (st.st_uid, st.st_gid) == (100000, 200000)


def test_user_namespace_mqueue_belongs_to_the_container_root(rt):
    """A new ipc namespace in a new user namespace: its mqueue filesystem
    (/dev/mqueue) takes its root's owner from whoever made the namespace, and
    that must be the container's root, not the overflow ids (65534) a process
    has before its user namespace's maps are written."""
    b = userns_bundle(rt)
    assert {"type": "ipc"} in b.linux["namespaces"]
    b.sh("stat -c %u:%g /dev/mqueue")
    assert rt.run_ok(b).strip() == "0:0"


def test_user_namespace_link_differs(rt):
    b = userns_bundle(rt)
    inside = read_ns_links(rt, b)
    assert inside["user"] != ns_link("user")


def test_user_namespace_host_root_files_are_unmapped(rt):
    b = userns_bundle(rt)
    b.sh("stat -c '%u %g' /bin/busybox")
    assert rt.run_ok(b).split() == ["65534", "65534"]


def test_user_namespace_default_devices_work(rt):
    b = userns_bundle(rt)
    b.sh("test -c /dev/null && echo x > /dev/null && head -c 4 /dev/zero | wc -c && echo dev-ok")
    out = rt.run_ok(b).split()
    assert out == ["4", "dev-ok"], out


def test_user_namespace_non_root_user_maps(rt):
    out = rt.host_dir("out")
    b = userns_bundle(rt)
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.bind("/out", out)
    b.sh("id -u; touch /out/f")
    assert rt.run_ok(b).split() == ["1000"]
    st = os.stat(out / "f")
    assert (st.st_uid, st.st_gid) == (101000, 201000)


def test_user_namespace_bind_sources_only_host_root_can_reach(rt):
    """Bind sources below a directory only the host's root can search: the
    container's root is an unprivileged uid on the host and cannot open them,
    so the runtime opens them on the host's side, as runc does; the binds keep
    their options."""
    locked = rt.host_dir("root-only", 0o700)
    shared = locked / "dir"
    shared.mkdir()
    os.chmod(shared, 0o755)
    (shared / "file").write_text("through-the-file\n")
    (shared / "other").write_text("through-the-dir\n")
    for f in ("file", "other"):
        os.chmod(shared / f, 0o644)
    b = userns_bundle(rt)
    b.bind("/mnt/f", shared / "file", ("rbind", "ro"))
    b.bind("/mnt/d", shared)
    b.sh("cat /mnt/f /mnt/d/other; cat /proc/self/mountinfo")
    out = rt.run_ok(b)
    assert out.startswith("through-the-file\nthrough-the-dir\n"), out
    mounts = parse_mountinfo(out)
    f, d = mount_at(mounts, "/mnt/f"), mount_at(mounts, "/mnt/d")
    assert f is not None and "ro" in f.options, out
    assert d is not None and "rw" in d.options, out


def test_user_namespace_missing_bind_source_only_host_root_can_reach(rt):
    """A bind source that does not exist, below a directory only the host's
    root can search: one error line that says it is not there (the
    container's root alone would only see "Permission denied")."""
    locked = rt.host_dir("root-only", 0o700)
    b = userns_bundle(rt)
    b.bind("/mnt", locked / "missing", ("rbind", "ro"))
    line = expect_clean_failure(rt, b, "/mnt")
    if not os.environ.get("BERTH_TEST_REFERENCE"):
        assert "No such file or directory" in line, line


def test_user_namespace_devices_are_nosuid_noexec(rt):
    """In a user namespace the devices are the host's nodes bound into /dev: a
    device needs neither set-uid nor exec, and the binds have neither (as
    crun's)."""
    b = userns_bundle(rt)
    b.sh("cat /proc/self/mountinfo")
    mounts = parse_mountinfo(rt.run_ok(b))
    for path in ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"):
        m = mount_at(mounts, path)
        assert m is not None, f"{path} is not a bind of the host's node"
        assert {"nosuid", "noexec"} <= m.options, m.line


def test_user_namespace_device_the_host_lacks(rt):
    """A linux.devices entry whose path does not exist on the host, in a user
    namespace (where mknod is refused): the runtime makes the node outside the
    namespace, as crun does, with the config's type, numbers, mode and owner;
    it works, is nosuid,noexec, and nothing is left on the host."""
    name = "bt-zero-" + rt.token[-8:]
    assert not Path("/dev", name).exists()
    b = userns_bundle(rt)
    b.linux.pop("resources")
    # its owner reads it: the default capabilities have no CAP_DAC_OVERRIDE
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.linux["devices"] = [{"path": f"/dev/sub/{name}", "type": "c", "major": 1, "minor": 5,
                           "fileMode": 0o640, "uid": 1000, "gid": 5}]
    b.sh(f"stat -c '%F|%t|%T|%a|%u|%g' /dev/sub/{name}; head -c 5 /dev/sub/{name} | wc -c; "
         "cat /proc/self/mountinfo")
    lines = rt.run_ok(b).splitlines()
    assert lines[0] == "character special file|1|5|640|1000|5", lines
    assert lines[1].strip() == "5", lines
    m = mount_at(parse_mountinfo("\n".join(lines[2:])), f"/dev/sub/{name}")
    assert m is not None and {"nosuid", "noexec"} <= m.options, lines
    assert not Path("/dev/sub", name).exists() and not Path("/dev", name).exists()


def test_user_namespace_device_owner_not_mapped_is_refused(rt):
    """A device the runtime must make outside the user namespace, owned by a
    uid the namespace does not map: one error line naming the entry."""
    b = userns_bundle(rt)
    b.linux["devices"] = [{"path": "/dev/bt-unmapped-" + rt.token[-8:], "type": "c",
                           "major": 1, "minor": 5, "uid": 70000, "gid": 0}]
    expect_clean_failure(rt, b, "/linux/devices/0", "70000")


# -- joining namespaces by path ------------------------------------------------

def test_join_network_namespace_by_path(rt):
    path = rt.add_netns()
    b = rt.bundle()
    b.set_namespace("network", path)
    b.sh("readlink /proc/self/ns/net")
    assert rt.run_ok(b).strip() == f"net:[{ns_inode(path)}]"


def test_join_network_namespace_sees_its_links(rt):
    path = rt.add_netns()
    name = os.path.basename(path)
    # the loopback of the target is down until we bring it up; observe that inside
    subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "-n", name, "addr", "add", "10.231.7.1/32", "dev", "lo"], check=True)
    b = rt.bundle()
    b.set_namespace("network", path)
    b.sh("ip -o addr show dev lo")
    assert "10.231.7.1" in rt.run_ok(b)


@pytest.mark.parametrize("kind,flags,fork", [
    ("uts", ["--uts"], False),
    ("ipc", ["--ipc"], False),
    ("cgroup", ["--cgroup"], False),
    ("pid", ["--pid"], True),
    ("time", ["--time"], True),
    ("mount", ["--mount"], False),
])
def test_join_namespace_by_path(rt, kind, flags, fork):
    pid = rt.holder(*flags, fork=fork)
    path = f"/proc/{pid}/ns/{NS_FILE[kind]}"
    target = ns_inode(path)
    b = rt.bundle()
    b.set_namespace(kind, path)
    if kind == "uts":
        del b.config["hostname"]
    inside = read_ns_links(rt, b)
    assert inside[NS_FILE[kind]] == f"{NS_FILE[kind]}:[{target}]"


def test_join_uts_namespace_keeps_its_hostname(rt):
    pid = rt.holder("--uts", script="hostname bt-joined; exec sleep 1000")
    b = rt.bundle()
    del b.config["hostname"]
    b.set_namespace("uts", f"/proc/{pid}/ns/uts")
    b.sh("hostname")
    assert rt.run_ok(b).strip() == "bt-joined"


def test_join_pid_namespace_is_not_pid_1(rt):
    pid = rt.holder("--pid", fork=True)
    b = rt.bundle()
    b.set_namespace("pid", f"/proc/{pid}/ns/pid")
    b.sh('echo $$; ls /proc | grep "^[0-9]"')
    out = rt.run_ok(b).split()
    assert out[0] != "1"
    assert "1" in out[1:], "the holder's init is not visible in the joined pid namespace"


def test_join_nonexistent_namespace_path_fails(rt):
    b = rt.bundle()
    b.set_namespace("network", str(rt.workdir / "no-such-ns"))
    b.sh("true")
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    assert_one_error_line(rt.run(b, cid))
    rt.assert_clean(cid, before)


def test_join_namespace_of_wrong_type_fails(rt):
    path = rt.add_netns()
    b = rt.bundle()
    b.set_namespace("ipc", path)  # a network namespace given as ipc
    b.sh("true")
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    assert_one_error_line(rt.run(b, cid))
    rt.assert_clean(cid, before)
