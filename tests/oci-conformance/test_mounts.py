"""Mounts of every type and every option, checked from /proc/self/mountinfo
inside the container (and by behaviour where the kernel makes it visible)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from berthtest import assert_one_error_line
from host_objects import host_mountinfo, mount_at, parse_mountinfo, wait_for


def inside_mountinfo(rt, b):
    b.args("/bin/cat", "/proc/self/mountinfo")
    return parse_mountinfo(rt.run_ok(b))


def need(entries, mountpoint):
    m = mount_at(entries, mountpoint)
    assert m is not None, f"no mount at {mountpoint}; mounts: {[e.mountpoint for e in entries]}"
    return m


def host_fs_root_of(path: Path):
    """(mount entry, root inside that fs) for a host path: what a bind of it
    must show in the `root` column of mountinfo."""
    best = None
    for m in host_mountinfo():
        mp = m.mountpoint
        if str(path) == mp or str(path).startswith(mp.rstrip("/") + "/"):
            if best is None or len(mp) >= len(best.mountpoint):
                best = m
    rel = os.path.relpath(path, best.mountpoint)
    return best, os.path.normpath(os.path.join(best.root, rel))


# -- the default config's mounts ---------------------------------------------

def test_default_mounts(rt):
    entries = inside_mountinfo(rt, rt.bundle())
    proc = need(entries, "/proc")
    assert proc.fstype == "proc"
    sysfs = need(entries, "/sys")
    assert sysfs.fstype == "sysfs"
    assert {"ro", "nosuid", "nodev", "noexec"} <= sysfs.options, sysfs.line
    dev = need(entries, "/dev")
    assert dev.fstype == "tmpfs" and "nosuid" in dev.options, dev.line
    assert dev.super_value("mode") == "755" and dev.super_value("size") == "65536k", dev.line
    pts = need(entries, "/dev/pts")
    assert pts.fstype == "devpts" and {"nosuid", "noexec"} <= pts.options, pts.line
    assert pts.super_value("ptmxmode") == "666" and pts.super_value("mode") == "620", pts.line
    assert pts.super_value("gid") == "5", pts.line
    shm = need(entries, "/dev/shm")
    assert shm.fstype == "tmpfs" and {"nosuid", "nodev", "noexec"} <= shm.options, shm.line
    # tmpfs shows mode= only when it differs from its default 1777
    assert shm.super_value("mode") in (None, "1777") and shm.super_value("size") == "65536k", shm.line
    mq = need(entries, "/dev/mqueue")
    assert mq.fstype == "mqueue" and {"nosuid", "nodev", "noexec"} <= mq.options, mq.line
    root = need(entries, "/")
    assert "ro" in root.options, f"root.readonly not applied: {root.line}"


def test_devpts_is_a_new_instance(rt):
    host_pts = mount_at(host_mountinfo(), "/dev/pts")
    entries = inside_mountinfo(rt, rt.bundle())
    pts = need(entries, "/dev/pts")
    if host_pts is not None:
        assert pts.devno != host_pts.devno, "devpts is the host's instance, not newinstance"


def test_proc_shows_container_pid_namespace(rt):
    b = rt.bundle()
    b.sh("readlink /proc/self; cat /proc/1/cmdline | tr '\\0' ' '")
    out = rt.run_ok(b).splitlines()
    assert out[1].startswith("/bin/sh -c"), f"/proc/1 is not the container's init: {out}"


def test_sysfs_is_readonly(rt):
    b = rt.bundle()
    b.sh("touch /sys/kernel/x 2>&1 || true; echo > /sys/kernel/uevent_helper 2>&1 || true")
    out = rt.run_ok(b)
    assert "Read-only file system" in out, out


def test_cgroup_mount(rt):
    b = rt.bundle()
    b.sh("cat /proc/self/mountinfo; echo ==; ls /sys/fs/cgroup")
    text, listing = rt.run_ok(b).split("==\n")
    entries = parse_mountinfo(text)
    cg = [e for e in entries
          if (e.mountpoint == "/sys/fs/cgroup" or e.mountpoint.startswith("/sys/fs/cgroup/"))
          and e.fstype in ("cgroup", "cgroup2")]
    assert cg, "no cgroup filesystem mounted at /sys/fs/cgroup"
    for e in cg:
        assert "ro" in e.options, f"cgroup mount not read-only as configured: {e.line}"
        assert {"nosuid", "nodev", "noexec"} <= e.options, e.line
    assert listing.split(), "/sys/fs/cgroup is empty"
    top = need(entries, "/sys/fs/cgroup")
    if top.fstype == "tmpfs":
        # cgroup v1 layout: one hierarchy per controller the host mounts
        host_v1 = {os.path.basename(m.mountpoint) for m in host_mountinfo()
                   if m.fstype == "cgroup" and m.mountpoint.startswith("/sys/fs/cgroup/")}
        inside_v1 = {os.path.basename(e.mountpoint) for e in cg if e.fstype == "cgroup"}
        assert host_v1 <= inside_v1, f"hierarchies missing inside: {host_v1 - inside_v1}"


# -- bind and rbind ------------------------------------------------------------

def test_bind_mount_dir(rt):
    src = rt.host_dir("src")
    (src / "hello").write_text("from the host\n")
    b = rt.bundle()
    b.bind("/data", src, ["bind"])
    b.sh("cat /data/hello; echo written > /data/back; cat /proc/self/mountinfo")
    out = rt.run_ok(b)
    assert out.startswith("from the host\n")
    assert (src / "back").read_text() == "written\n"
    m = need(parse_mountinfo(out), "/data")
    host_entry, root = host_fs_root_of(src)
    assert m.root == root and m.devno == host_entry.devno, m.line
    assert "rw" in m.options


def test_bind_mount_file(rt):
    src = rt.host_dir("src")
    (src / "f.txt").write_text("file bind\n")
    b = rt.bundle()
    b.bind("/etc/bound.txt", src / "f.txt", ["bind", "ro"])
    b.sh("cat /etc/bound.txt; grep ' /etc/bound.txt ' /proc/self/mountinfo")
    out = rt.run_ok(b).splitlines()
    assert out[0] == "file bind"
    assert len(out) == 2, "the file is not a mount point"


def test_bind_without_type_and_type_none(rt):
    src = rt.host_dir("src")
    (src / "x").write_text("x\n")
    b = rt.bundle()
    b.add_mount("/notype", None, src, ["rbind", "ro"])
    b.add_mount("/typenone", "none", src, ["bind"])
    b.sh("cat /notype/x /typenone/x")
    assert rt.run_ok(b) == "x\nx\n"


def make_tree_with_submount(rt):
    src = rt.host_dir("tree")
    (src / "top.txt").write_text("top\n")
    (src / "sub").mkdir()
    rt.host_mount("-t", "tmpfs", "-o", "size=1m", "bt-sub", str(src / "sub"))
    (src / "sub" / "inner.txt").write_text("inner\n")
    return src


def test_rbind_includes_submounts_and_bind_does_not(rt):
    src = make_tree_with_submount(rt)
    b = rt.bundle()
    b.bind("/r", src, ["rbind"])
    b.bind("/nr", src, ["bind"])
    b.sh("cat /r/sub/inner.txt; ls /nr/sub | wc -l; cat /proc/self/mountinfo")
    out = rt.run_ok(b).split("\n", 2)
    assert out[0] == "inner", "rbind did not carry the submount"
    assert out[1].strip() == "0", "plain bind carried the submount"
    entries = parse_mountinfo(out[2])
    assert need(entries, "/r/sub").fstype == "tmpfs"
    assert mount_at(entries, "/nr/sub") is None


def test_missing_destinations_are_created(rt):
    src = rt.host_dir("src")
    (src / "f").write_text("f\n")
    b = rt.bundle()
    b.add_mount("/new/deep/dir", "bind", src, ["rbind"], make_target=False)
    b.add_mount("/new/file", "bind", src / "f", ["bind"], make_target=False)
    b.add_mount("/new/tmp", "tmpfs", "tmpfs", [], make_target=False)
    b.sh("cat /new/deep/dir/f /new/file; test -d /new/tmp && echo tmp-dir")
    assert rt.run_ok(b) == "f\nf\ntmp-dir\n"


@pytest.mark.parametrize("link", ["/escape-{tok}", "../../../../../../../../escape-{tok}"])
def test_destination_symlink_stays_inside_rootfs(rt, link):
    name = "escape-" + rt.token
    host_target = Path("/" + name)
    rt.host_paths.append(host_target)
    b = rt.bundle()
    (b.rootfs / "evil").symlink_to(link.format(tok=rt.token))
    b.add_mount("/evil/x", "tmpfs", "tmpfs", ["size=1m"], make_target=False)
    b.args("/bin/cat", "/proc/self/mountinfo")
    res = rt.run(b)
    assert not (host_target / "x").exists(), "the mount destination escaped the rootfs onto the host"
    if res.rc == 0:
        entries = parse_mountinfo(res.out)
        m = mount_at(entries, f"/{name}/x")
        assert m is not None and m.fstype == "tmpfs", \
            f"symlink not resolved inside the rootfs: {[e.mountpoint for e in entries]}"
    else:
        assert_one_error_line(res)


def test_dangling_symlink_destination_is_created_inside_rootfs(rt):
    # runc and crun resolve a destination that is a dangling symlink inside
    # the rootfs and create what it names there (a directory, or a file for a
    # file bind); nothing is created on the host.
    name = "dangle-" + rt.token
    for host_path in (Path("/" + name), Path("/" + name + "-rel"), Path("/" + name + "-f")):
        rt.host_paths.append(host_path)
    src = rt.host_dir("src")
    (src / "f").write_text("from the host\n")
    b = rt.bundle()
    (b.rootfs / "mnt" / "abs").symlink_to(f"/{name}/x")
    (b.rootfs / "mnt" / "rel").symlink_to(f"../../../../../../{name}-rel")
    (b.rootfs / "mnt" / "file").symlink_to(f"../{name}-f/f")
    b.add_mount("/mnt/abs", "tmpfs", "tmpfs", ["size=1m"], make_target=False)
    b.add_mount("/mnt/rel", "tmpfs", "tmpfs", ["size=1m"], make_target=False)
    b.add_mount("/mnt/file", "bind", src / "f", ["bind", "ro"], make_target=False)
    b.sh("cat /mnt/file; cat /proc/self/mountinfo")
    first, rest = rt.run_ok(b).split("\n", 1)
    assert first == "from the host"
    entries = parse_mountinfo(rest)
    assert need(entries, f"/{name}/x").fstype == "tmpfs"
    assert need(entries, f"/{name}-rel").fstype == "tmpfs"
    need(entries, f"/{name}-f/f")
    assert (b.rootfs / name / "x").is_dir() and not (b.rootfs / name / "x").is_symlink()
    assert (b.rootfs / f"{name}-rel").is_dir()
    assert (b.rootfs / f"{name}-f" / "f").is_file()
    assert (b.rootfs / "mnt" / "abs").is_symlink(), "the symlink itself was replaced"
    for host_path in (Path("/" + name), Path("/" + name + "-rel"), Path("/" + name + "-f")):
        assert not host_path.exists(), f"{host_path} created on the host"
    assert not (b.path / f"{name}-rel").exists() and not (b.path.parent / f"{name}-rel").exists()


def test_readonly_dev_is_filled_then_made_readonly(rt):
    # runc: a /dev entry with "ro" is mounted writable, filled (devices, their
    # symlinks, the mounts below it) and made read-only at the end; the mounts
    # below it keep their own flags.
    b = rt.bundle()
    for m in b.config["mounts"]:
        if m["destination"] == "/dev":
            m["options"].append("ro")
    b.sh("test -c /dev/null && echo null-ok; echo x > /dev/null && echo write-null-ok; "
         "test -L /dev/fd && echo fd-link; "
         "touch /dev/new-file 2>/dev/null || echo create-refused; cat /proc/self/mountinfo")
    out = rt.run_ok(b)
    head = out.split("\n")[:4]
    assert head == ["null-ok", "write-null-ok", "fd-link", "create-refused"], out
    entries = parse_mountinfo("\n".join(out.split("\n")[4:]))
    dev = need(entries, "/dev")
    assert dev.fstype == "tmpfs" and "ro" in dev.options, dev.line
    pts = need(entries, "/dev/pts")
    assert pts.fstype == "devpts" and "rw" in pts.options, pts.line


# -- tmpfs data, and per-mount options ------------------------------------------

def test_tmpfs_size_and_mode(rt):
    b = rt.bundle()
    b.add_mount("/scratch", "tmpfs", "tmpfs", ["size=1m", "mode=0710", "uid=1000", "gid=100"])
    b.sh("stat -c '%a %u %g' /scratch; cat /proc/self/mountinfo")
    first, rest = rt.run_ok(b).split("\n", 1)
    assert first.split()[1:] == ["1000", "100"], first
    m = need(parse_mountinfo(rest), "/scratch")
    assert m.fstype == "tmpfs"
    assert m.super_value("size") == "1024k" and m.super_value("mode") == "710", m.line


def test_tmpfs_without_mode_takes_the_covered_directory_mode(rt):
    # runc: a tmpfs without mode= gets the mode (with setuid/setgid/sticky
    # bits) of the directory it covers; an explicit mode= wins; a destination
    # that has to be created keeps tmpfs's own default, 1777.
    b = rt.bundle()
    b.add_mount("/covered", "tmpfs", "tmpfs", ["size=1m"])
    b.add_mount("/explicit", "tmpfs", "tmpfs", ["size=1m", "mode=0755"])
    b.add_mount("/fresh/dir", "tmpfs", "tmpfs", ["size=1m"], make_target=False)
    os.chmod(b.rootfs / "covered", 0o2710)
    os.chmod(b.rootfs / "explicit", 0o700)
    b.sh("stat -c '%a %n' /covered /explicit /fresh/dir; cat /proc/self/mountinfo")
    out = rt.run_ok(b).split("\n")
    assert out[:3] == ["2710 /covered", "755 /explicit", "1777 /fresh/dir"], out[:3]
    entries = parse_mountinfo("\n".join(out[3:]))
    assert need(entries, "/covered").fstype == "tmpfs"
    assert need(entries, "/fresh/dir").fstype == "tmpfs"


def test_tmpfs_size_is_enforced(rt):
    b = rt.bundle()
    b.add_mount("/scratch", "tmpfs", "tmpfs", ["size=256k"])
    b.sh("dd if=/dev/zero of=/scratch/big bs=1k count=1024 2>&1; echo rc=$?")
    out = rt.run_ok(b)
    assert "No space left on device" in out and "rc=0" not in out, out


PER_MOUNT = {
    "ro": lambda m: "ro" in m.options,
    "rw": lambda m: "rw" in m.options,
    "nosuid": lambda m: "nosuid" in m.options,
    "nodev": lambda m: "nodev" in m.options,
    "noexec": lambda m: "noexec" in m.options,
    "noatime": lambda m: "noatime" in m.options,
    "nodiratime": lambda m: "nodiratime" in m.options,
    "relatime": lambda m: "relatime" in m.options,
    "strictatime": lambda m: not ({"relatime", "noatime"} & m.options),
    "sync": lambda m: "sync" in m.super_options,
    "dirsync": lambda m: "dirsync" in m.super_options,
    "nosymfollow": lambda m: "nosymfollow" in m.options,
}


@pytest.mark.parametrize("option", sorted(PER_MOUNT))
def test_mount_option(rt, option):
    b = rt.bundle()
    b.add_mount("/opt-test", "tmpfs", "tmpfs", [option, "size=1m"])
    m = need(inside_mountinfo(rt, b), "/opt-test")
    assert PER_MOUNT[option](m), f"option {option} not in effect: {m.line}"


@pytest.mark.parametrize("option", ["suid", "dev", "exec", "atime", "diratime", "norelatime", "symfollow", "async"])
def test_clearing_options_are_accepted(rt, option):
    b = rt.bundle()
    b.add_mount("/opt-test", "tmpfs", "tmpfs", ["nosuid", "nodev", "noexec", option, "size=1m"])
    m = need(inside_mountinfo(rt, b), "/opt-test")
    flag = {"suid": "nosuid", "dev": "nodev", "exec": "noexec"}.get(option)
    if flag:
        assert flag not in m.options, f"{option} did not clear {flag}: {m.line}"


def test_ro_bind_refuses_writes(rt):
    src = rt.host_dir("src")
    b = rt.bundle()
    b.bind("/ro", src, ["rbind", "ro"])
    b.sh("touch /ro/x 2>&1; echo rc=$?")
    out = rt.run_ok(b)
    assert "Read-only file system" in out and "rc=1" in out, out
    assert not (src / "x").exists()


def test_noexec_refuses_exec(rt):
    src = rt.host_dir("bins")
    b = rt.bundle()
    shutil.copy2(b.rootfs / "bin" / "busybox", src / "busybox")
    b.bind("/noexec", src, ["rbind", "noexec"])
    b.bind("/exec", src, ["rbind"])
    b.sh("/exec/busybox true && echo exec-ok; /noexec/busybox true 2>/dev/null; echo noexec-rc=$?")
    out = rt.run_ok(b).split()
    assert out == ["exec-ok", "noexec-rc=126"], out


def test_nodev_refuses_device_open(rt):
    b = rt.bundle()
    # a device node on a nodev mount cannot be opened even by root
    b.add_mount("/nd", "tmpfs", "tmpfs", ["nodev", "size=1m"])
    b.add_mount("/d", "tmpfs", "tmpfs", ["size=1m"])
    b.linux.pop("resources")  # no device cgroup in the way of /d/null
    b.process["capabilities"] = {k: ["CAP_MKNOD", "CAP_DAC_OVERRIDE"] for k in
                                 ("bounding", "effective", "permitted")}
    b.sh("mknod /nd/null c 1 3 && mknod /d/null c 1 3 && echo x > /d/null && echo dev-ok; "
         "echo x > /nd/null 2>/dev/null; echo nodev-rc=$?")
    out = rt.run_ok(b).split()
    assert out == ["dev-ok", "nodev-rc=1"] or out == ["dev-ok", "nodev-rc=2"], out


# -- recursive options -----------------------------------------------------------

REC = {
    "rro": "ro", "rnosuid": "nosuid", "rnodev": "nodev", "rnoexec": "noexec",
    "rnoatime": "noatime", "rnodiratime": "nodiratime", "rnosymfollow": "nosymfollow",
}


@pytest.mark.parametrize("option", sorted(REC))
def test_recursive_option_reaches_submounts(rt, option):
    src = make_tree_with_submount(rt)
    b = rt.bundle()
    b.bind("/tree", src, ["rbind", option])
    entries = inside_mountinfo(rt, b)
    flag = REC[option]
    top, sub = need(entries, "/tree"), need(entries, "/tree/sub")
    assert flag in top.options, f"{option}: top mount lacks {flag}: {top.line}"
    assert flag in sub.options, f"{option}: submount lacks {flag}: {sub.line}"


def test_plain_ro_is_not_recursive(rt):
    src = make_tree_with_submount(rt)
    b = rt.bundle()
    b.bind("/tree", src, ["rbind", "ro"])
    entries = inside_mountinfo(rt, b)
    assert "ro" in need(entries, "/tree").options
    assert "rw" in need(entries, "/tree/sub").options, "plain ro was applied recursively"


def test_rro_refuses_writes_in_submounts(rt):
    src = make_tree_with_submount(rt)
    b = rt.bundle()
    b.bind("/tree", src, ["rbind", "rro"])
    b.sh("touch /tree/sub/new 2>&1; echo rc=$?")
    out = rt.run_ok(b)
    assert "Read-only file system" in out and "rc=1" in out, out


# -- propagation -------------------------------------------------------------------

def shared_host_source(rt):
    src = rt.host_dir("shared")
    rt.host_mount("-t", "tmpfs", "-o", "size=1m", "bt-shared", str(src))
    subprocess.run(["mount", "--make-shared", str(src)], check=True)
    (src / "late").mkdir()
    peer = [o for o in mount_at(host_mountinfo(), str(src)).optional if o.startswith("shared:")]
    assert peer, "could not make a shared mount on the host"
    return src, peer[0].split(":")[1]


def late_mount_visible(rt, option, dest="/prop"):
    """Bind a shared host mount with `option`; after `create` mount something
    new under it on the host; report whether the container sees it."""
    src, _ = shared_host_source(rt)
    out = rt.host_dir("out")
    b = rt.bundle()
    b.bind(dest, src, ["rbind", option])
    b.bind("/out", out)
    b.sh(f"cat /proc/self/mountinfo > /out/mi; "
         f"if grep -q ' {dest}/late ' /proc/self/mountinfo; then echo visible; else echo hidden; fi > /out/r")
    cid = rt.create_ok(b)
    rt.host_mount("-t", "tmpfs", "-o", "size=1m", "bt-late", str(src / "late"))
    assert rt("start", cid).rc == 0
    wait_for(lambda: (out / "r").exists() and (out / "r").read_text(), what="result")
    mi = parse_mountinfo((out / "mi").read_text())
    return (out / "r").read_text().strip(), need(mi, dest)


@pytest.mark.parametrize("option", ["rslave", "slave"])
def test_slave_propagation_receives_host_mounts(rt, option):
    seen, m = late_mount_visible(rt, option)
    assert seen == "visible", f"{option}: host mount did not propagate in: {m.line}"
    assert any(o.startswith("master:") for o in m.optional), m.line
    assert not any(o.startswith("shared:") for o in m.optional), m.line


@pytest.mark.parametrize("option", ["rprivate", "private"])
def test_private_propagation_receives_nothing(rt, option):
    seen, m = late_mount_visible(rt, option)
    assert seen == "hidden", f"{option}: host mount propagated into a private mount"
    assert not any(o.startswith(("master:", "shared:")) for o in m.optional), m.line


@pytest.mark.parametrize("option", ["rshared", "shared"])
def test_shared_propagation(rt, option):
    seen, m = late_mount_visible(rt, option)
    assert seen == "visible"
    assert any(o.startswith("shared:") for o in m.optional), m.line


@pytest.mark.parametrize("option", ["runbindable", "unbindable"])
def test_unbindable_propagation(rt, option):
    src = rt.host_dir("src")
    b = rt.bundle()
    b.bind("/ub", src, ["rbind", option])
    m = need(inside_mountinfo(rt, b), "/ub")
    assert "unbindable" in m.optional, m.line


@pytest.mark.parametrize("propagation,expected", [("rslave", "visible"), ("rprivate", "hidden")])
def test_rootfs_propagation(rt, propagation, expected):
    b = rt.bundle()
    out = rt.host_dir("out")
    (b.rootfs / "mnt" / "late").mkdir(parents=True)
    # the bundle lies on a shared mount, as on a systemd host
    rt.host_mount("--bind", str(b.path), str(b.path))
    subprocess.run(["mount", "--make-shared", str(b.path)], check=True)
    b.config["linux"]["rootfsPropagation"] = propagation
    b.bind("/out", out)
    b.sh("if grep -q ' /mnt/late ' /proc/self/mountinfo; then echo visible; else echo hidden; fi > /out/r")
    cid = rt.create_ok(b)
    rt.host_mount("-t", "tmpfs", "-o", "size=1m", "bt-late", str(b.rootfs / "mnt" / "late"))
    assert rt("start", cid).rc == 0
    wait_for(lambda: (out / "r").exists() and (out / "r").read_text(), what="result")
    assert (out / "r").read_text().strip() == expected
    # nothing of the container propagated back to the host
    rt.wait_status(cid, "stopped")
    host = [m.mountpoint for m in host_mountinfo() if m.mountpoint.startswith(str(b.rootfs) + "/")]
    assert host == [str(b.rootfs / "mnt" / "late")], f"container mounts propagated to the host: {host}"


# -- other filesystem types ------------------------------------------------------------

def test_mqueue_mount_is_usable(rt):
    b = rt.bundle()
    b.sh("ls -a /dev/mqueue >/dev/null && grep ' /dev/mqueue ' /proc/self/mountinfo")
    assert " mqueue " in rt.run_ok(b)


def test_second_proc_and_sysfs(rt):
    b = rt.bundle()
    b.add_mount("/proc2", "proc", "proc", ["nosuid", "nodev", "noexec"])
    b.add_mount("/sys2", "sysfs", "sysfs", ["ro"])
    entries = inside_mountinfo(rt, b)
    assert need(entries, "/proc2").fstype == "proc"
    s = need(entries, "/sys2")
    assert s.fstype == "sysfs" and "ro" in s.options
