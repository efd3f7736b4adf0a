"""The root filesystem: root.readonly, maskedPaths, readonlyPaths, devices
and the /dev symlinks."""

import os

from host_objects import parse_mountinfo, mount_at


# -- root.readonly ---------------------------------------------------------------

def test_readonly_root(rt):
    b = rt.bundle()
    b.config["root"]["readonly"] = True
    b.sh("touch /newfile 2>&1; echo rc=$?; cat /proc/self/mountinfo")
    out = rt.run_ok(b)
    assert "Read-only file system" in out and "rc=1" in out, out
    assert not (b.rootfs / "newfile").exists()
    root = mount_at(parse_mountinfo(out), "/")
    assert root is not None and "ro" in root.options, root
    # other mounts (the tmpfs on /dev) stay writable
    b2 = rt.bundle("b2")
    b2.config["root"]["readonly"] = True
    b2.sh("touch /dev/shm/x && echo shm-ok")
    assert rt.run_ok(b2) == "shm-ok\n"


def test_writable_root(rt):
    b = rt.bundle()
    b.config["root"]["readonly"] = False
    b.sh("echo hi > /newfile && cat /newfile")
    assert rt.run_ok(b) == "hi\n"
    assert (b.rootfs / "newfile").read_text() == "hi\n"


def test_root_path_absolute(rt):
    b = rt.bundle()
    b.config["root"]["path"] = str(b.rootfs)
    b.sh("echo abs")
    assert rt.run_ok(b) == "abs\n"


# -- maskedPaths -------------------------------------------------------------------

def test_default_masked_proc_files(rt):
    # whichever of the default list this kernel has
    present = [p for p in ("/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                           "/proc/latency_stats") if os.path.exists(p)]
    assert present, "none of the default masked /proc files exists on this kernel"
    b = rt.bundle()
    b.sh("; ".join(f"wc -c < {p}" for p in present) + "; cat /proc/self/mountinfo")
    out = rt.run_ok(b).splitlines()
    sizes, mounts = out[:len(present)], parse_mountinfo("\n".join(out[len(present):]))
    assert sizes == ["0"] * len(present), f"masked /proc files are readable: {dict(zip(present, sizes))}"
    for p in present:
        assert mount_at(mounts, p) is not None, f"{p} is not masked by a mount"


def test_masked_file_and_dir(rt):
    b = rt.bundle()
    b.config["root"]["readonly"] = False
    (b.rootfs / "secret-dir").mkdir()
    (b.rootfs / "secret-dir" / "key").write_text("hidden\n")
    (b.rootfs / "secret-file").write_text("hidden\n")
    b.linux["maskedPaths"] = ["/secret-dir", "/secret-file", "/does/not/exist"]
    b.sh("ls -A /secret-dir | wc -l; cat /secret-file | wc -c; echo > /secret-file; wc -c < /secret-file")
    out = rt.run_ok(b).split()
    assert out[0] == "0", f"masked directory is not empty: {out}"
    assert out[1] == "0", f"masked file is readable: {out}"
    assert out[2] == "0", f"a write reached the masked file: {out}"
    assert (b.rootfs / "secret-dir" / "key").read_text() == "hidden\n"
    assert (b.rootfs / "secret-file").read_text() == "hidden\n"


def test_masked_dir_on_proc(rt):
    b = rt.bundle()
    b.linux["maskedPaths"] = ["/proc/sys/kernel", "/proc/driver"]
    b.sh("ls /proc/sys/kernel | wc -l; ls /proc/driver 2>/dev/null | wc -l")
    assert rt.run_ok(b).split() == ["0", "0"]


# -- readonlyPaths -----------------------------------------------------------------

def test_readonly_paths(rt):
    b = rt.bundle()
    b.config["root"]["readonly"] = False
    (b.rootfs / "rodir").mkdir()
    (b.rootfs / "rodir" / "file").write_text("readable\n")
    b.linux["readonlyPaths"] = ["/rodir", "/proc/sys", "/does/not/exist"]
    b.sh("cat /rodir/file; touch /rodir/new 2>&1; echo rc=$?; (echo x > /rodir/file) 2>&1; "
         "echo w=$?; (echo bt > /proc/sys/kernel/domainname) 2>&1; echo p=$?; touch /elsewhere && echo rw-ok")
    out = rt.run_ok(b)
    lines = out.splitlines()
    assert lines[0] == "readable"
    assert out.count("Read-only file system") == 3, out
    assert "rc=1" in out and "rw-ok" in out, out
    assert (b.rootfs / "rodir" / "file").read_text() == "readable\n"


def test_default_readonly_proc_paths(rt):
    b = rt.bundle()
    b.sh("(echo bt > /proc/sys/kernel/domainname) 2>&1; grep ' /proc/sys ' /proc/self/mountinfo")
    out = rt.run_ok(b)
    assert "Read-only file system" in out, out
    entry = parse_mountinfo(out.split("\n", 1)[1])[0]
    assert "ro" in entry.options


# -- devices -----------------------------------------------------------------------

DEFAULT_DEVICES = {
    "/dev/null": (1, 3), "/dev/zero": (1, 5), "/dev/full": (1, 7),
    "/dev/random": (1, 8), "/dev/urandom": (1, 9), "/dev/tty": (5, 0),
}


def stat_devices(rt, b, paths):
    b.sh("stat -c '%n|%F|%t|%T|%a|%u|%g' " + " ".join(paths))
    res = rt.run(b)
    assert res.rc == 0, res
    rows = {}
    for line in res.out_lines:
        n, ftype, major, minor, mode, uid, gid = line.split("|")
        rows[n] = {"type": ftype, "major": int(major, 16), "minor": int(minor, 16),
                   "mode": int(mode, 8), "uid": int(uid), "gid": int(gid)}
    return rows


def test_default_devices(rt):
    b = rt.bundle()
    rows = stat_devices(rt, b, DEFAULT_DEVICES)
    for path, (major, minor) in DEFAULT_DEVICES.items():
        assert path in rows, f"{path} missing"
        d = rows[path]
        assert d["type"] == "character special file", (path, d)
        assert (d["major"], d["minor"]) == (major, minor), (path, d)
        assert d["mode"] & 0o666 == 0o666, f"{path} not read-write for everyone: {oct(d['mode'])}"


def test_default_devices_usable_by_non_root(rt):
    b = rt.bundle()
    b.linux.pop("resources")
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.sh("echo x > /dev/null && head -c 8 /dev/zero | wc -c && head -c 8 /dev/urandom | wc -c "
         "&& (echo x > /dev/full) 2>&1; true")
    out = rt.run_ok(b)
    assert out.split()[:2] == ["8", "8"], out
    assert "No space left on device" in out, out


def test_dev_symlinks(rt):
    b = rt.bundle()
    b.sh("for l in fd stdin stdout stderr ptmx; do echo $l=$(readlink /dev/$l); done")
    links = dict(l.split("=", 1) for l in rt.run_ok(b).splitlines())
    assert links == {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
                     "stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx"}, links


def test_dev_symlinks_work(rt):
    b = rt.bundle()
    b.sh("echo via-dev-stdin | cat /dev/stdin; echo via-fd-1 | cat /dev/fd/0; ls /dev/fd/ >/dev/null && echo fd-ok")
    assert rt.run_ok(b) == "via-dev-stdin\nvia-fd-1\nfd-ok\n"


def test_linux_devices(rt):
    b = rt.bundle()
    b.linux["devices"] = [
        {"path": "/dev/bt-null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o600, "uid": 1000, "gid": 1000},
        {"path": "/dev/sub/bt-zero", "type": "c", "major": 1, "minor": 5, "fileMode": 0o640, "uid": 0, "gid": 5},
        {"path": "/dev/bt-loop", "type": "b", "major": 7, "minor": 200, "fileMode": 0o660, "uid": 0, "gid": 0},
        {"path": "/dev/bt-fifo", "type": "p", "fileMode": 0o620, "uid": 1000, "gid": 100},
        {"path": "/dev/bt-u", "type": "u", "major": 1, "minor": 8},
    ]
    rows = stat_devices(rt, b, ["/dev/bt-null", "/dev/sub/bt-zero", "/dev/bt-loop", "/dev/bt-fifo", "/dev/bt-u"])
    assert rows["/dev/bt-null"] == {"type": "character special file", "major": 1, "minor": 3,
                                    "mode": 0o600, "uid": 1000, "gid": 1000}, rows
    assert rows["/dev/sub/bt-zero"] == {"type": "character special file", "major": 1, "minor": 5,
                                        "mode": 0o640, "uid": 0, "gid": 5}, rows
    assert rows["/dev/bt-loop"] == {"type": "block special file", "major": 7, "minor": 200,
                                    "mode": 0o660, "uid": 0, "gid": 0}, rows
    fifo = rows["/dev/bt-fifo"]
    assert fifo["type"] == "fifo" and (fifo["mode"], fifo["uid"], fifo["gid"]) == (0o620, 1000, 100), rows
    u = rows["/dev/bt-u"]
    assert u["type"] == "character special file" and (u["major"], u["minor"]) == (1, 8), rows


def test_linux_device_is_usable(rt):
    b = rt.bundle()
    b.linux.pop("resources")
    b.linux["devices"] = [{"path": "/dev/bt-zero", "type": "c", "major": 1, "minor": 5, "fileMode": 0o666}]
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.sh("head -c 5 /dev/bt-zero | wc -c")
    assert rt.run_ok(b).strip() == "5"
