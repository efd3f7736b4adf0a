"""A hostile rootfs and a hostile container against the host.

Each test performs the attack for real (the CVEs of other runtimes name the
class) and then checks that the host is untouched.  config.json is trusted;
the rootfs and whatever runs in a container are not.

Covered elsewhere and not repeated here:
  test_mounts.py::test_destination_symlink_stays_inside_rootfs  (tmpfs under a
      symlinked parent that points at a missing host path)
  test_lifecycle.py::test_no_leaked_fds_into_container,
  test_lifecycle.py::test_caller_fds_do_not_reach_the_container  (fds)
  test_process.py::test_no_new_privileges*, test_capability_sets,
  test_default_config_capabilities  (NoNewPrivs, CapBnd/CapEff/CapInh/CapAmb
      as /proc/self/status shows them; here: what they let an exec gain)
  test_mounts.py::test_cgroup_mount  (the cgroup mounts' flags; here: what
      the container sees through them)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from berthtest import Berth, assert_one_error_line, cap_mask, parse_status
from command import Result
from host_objects import mount_at, parse_mountinfo, wait_for


# -- helpers -----------------------------------------------------------------------

def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(path: Path):
    """What a tampering would change: content, type, mode, owner, mtime."""
    st = os.lstat(path)
    content = os.readlink(path) if os.path.islink(path) else (
        sha256(path) if path.is_file() else sorted(os.listdir(path)) if path.is_dir() else None)
    return (st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns, content)


def host_dir_with_bait(rt, name: str) -> Path:
    """A host directory a symlink in the rootfs points at, with one file in it."""
    d = rt.host_dir(name, 0o755)
    (d / "bait").write_text("host file, must stay as it is\n")
    return d


def in_rootfs(b, host_path: Path) -> Path:
    """Where an absolute symlink to host_path lands when resolved inside the rootfs."""
    return b.rootfs / str(host_path).lstrip("/")


def run_or_refuse(rt, b, *must_mention, host_check=None):
    """run; returns the Result when the container ran (exit 0), None when
    create refused cleanly.  host_check(res), if given, runs first: what
    happened to the host matters more than how berth reported it."""
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt.run(b, cid)
    if host_check is not None:
        host_check(res)
    if res.rc != 0:
        assert_one_error_line(res, *must_mention)
        rt.assert_clean(cid, before)
        return None
    return res


def refused(rt, b, *must_mention):
    """create must fail cleanly."""
    before = rt.snapshot_mounts()
    cid, res = rt.create(b)
    assert res.rc != 0, f"create accepted the hostile rootfs\n{res}"
    assert_one_error_line(res, *must_mention)
    rt.assert_clean(cid, before)
    return res


def no_new_host_mounts(rt, before):
    assert rt.new_mounts_since(before) == [], f"host mounts appeared: {rt.new_mounts_since(before)}"


def without_dev_tmpfs(b):
    """The rootfs's own /dev is used: no tmpfs on /dev, and nothing mounted below it."""
    for d in ("/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"):
        b.drop_mount(d)
    return b


# A process with exactly the given capabilities (effective = permitted) and
# the caller's uid 0 tries to open /proc/<pid>/exe: the kernel's ptrace
# read-access check, which then depends on the target being dumpable only.
PEER_PROBE = r"""
import ctypes, os, sys
pid, caps = int(sys.argv[1]), int(sys.argv[2])
libc = ctypes.CDLL(None, use_errno=True)
class Hdr(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
class Data(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]
data = (Data * 2)()
for i in range(2):
    word = (caps >> (32 * i)) & 0xffffffff
    data[i].effective = data[i].permitted = word
if libc.capset(ctypes.byref(Hdr(0x20080522, 0)), data) != 0:
    print("capset failed", ctypes.get_errno()); sys.exit(2)
try:
    os.close(os.open("/proc/%d/exe" % pid, os.O_RDONLY))
    print("opened")
except OSError as e:
    print("refused", e.errno)
"""


def peer_opens_exe(pid: int, caps: int) -> str:
    res = subprocess.run([sys.executable, "-c", PEER_PROBE, str(pid), str(caps)],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, f"peer probe failed: {res.stdout} {res.stderr}"
    return res.stdout.strip()


def status_of(pid: int) -> dict:
    return parse_status(Path(f"/proc/{pid}/status").read_text())


# -- CVE-2019-5736: /proc/<pid>/exe of the runtime inside the container -------------------

PEER_SCRIPT = r"""
while [ ! -e /out/target ]; do sleep 0.05; done
t=$(cat /out/target)
{
  echo "comm=$(cat /proc/$t/comm)"
  if l=$(readlink /proc/$t/exe); then echo "readlink=ok $l"; else echo readlink=denied; fi
  if (: < /proc/$t/exe) 2>/out/open.err; then echo open=ok; else echo open=denied; fi
} > /out/probe 2>&1
if grep -q open=ok /out/probe; then exec 7< /proc/$t/exe; fi
touch /out/probed
while [ ! -e /out/started ]; do sleep 0.05; done
if grep -q open=ok /out/probe; then
  if (echo PWNED-BY-CONTAINER >> /proc/self/fd/7) 2>>/out/open.err; then
    echo write=ok; else echo write=refused; fi >> /out/probe
fi
touch /out/done
"""


def test_created_init_exe_cannot_be_opened_from_a_peer_container(rt):
    """Container A (root, default capabilities) shares its pid namespace with
    container B, which is created but not started: B's init is still the
    runtime's binary.  A tries to open /proc/<B init>/exe, keeps the fd, and
    once B has exec'd (the binary is no longer busy) writes through it.

    B is created by a copy of the binary, so that a successful attack harms
    the copy only; the copy's hash and mtime must not change, and A must
    not even have opened it."""
    out = rt.host_dir("out")
    a = rt.bundle("a")
    a.bind("/out", out)
    a.sh(PEER_SCRIPT)
    a_id = rt.create_ok(a)
    assert rt("start", a_id).rc == 0
    a_pid = rt.state(a_id)["pid"]

    copy = rt.workdir / "berth-copy"
    shutil.copy2(rt.berth.binary, copy)
    os.chmod(copy, 0o755)
    copy_before = (sha256(copy), copy.stat().st_mtime_ns)
    berth_copy = Berth(str(copy), rt.root, rt.token)

    b = rt.bundle("b")
    b.set_namespace("pid", f"/proc/{a_pid}/ns/pid")
    b.args("/bin/true")
    b.write()
    b_id = rt.new_id()
    res = berth_copy("create", "--bundle", b.path, b_id)
    assert res.rc == 0, f"create of the peer failed\n{res}"
    b_pid = rt.state(b_id)["pid"]
    # berth runs from a read-only bind mount of its binary (readlink shows
    # that mount's root), the same file
    exe, st = os.stat(f"/proc/{b_pid}/exe"), copy.stat()
    assert (exe.st_dev, exe.st_ino) == (st.st_dev, st.st_ino), "B's init does not run the copy"
    nspid = status_of(b_pid)["NSpid"].split()
    assert len(nspid) == 2, f"B's init is not in A's pid namespace: NSpid {nspid}"
    host_comm = Path(f"/proc/{b_pid}/comm").read_text().strip()

    (out / "target").write_text(nspid[-1] + "\n")
    wait_for(lambda: (out / "probed").exists(), what="A to probe B's init")
    assert rt("start", b_id).rc == 0  # B's init execs /bin/true: the copy is free
    (out / "started").touch()
    wait_for(lambda: (out / "done").exists(), what="A to try the write")

    probe = (out / "probe").read_text()
    errors = (out / "open.err").read_text() if (out / "open.err").exists() else ""
    assert f"comm={host_comm}" in probe, f"A probed another process than B's init:\n{probe}"
    assert (sha256(copy), copy.stat().st_mtime_ns) == copy_before, \
        f"the container overwrote the runtime binary through /proc/<pid>/exe:\n{probe}"
    assert "open=denied" in probe and "readlink=denied" in probe, \
        f"a process in the container reached the runtime's binary through /proc/<init>/exe:\n" \
        f"{probe}{errors}"


def test_created_init_is_not_dumpable(rt):
    """From the host, a process with the container's uid and capabilities
    (and nothing more: no CAP_SYS_PTRACE) cannot open /proc/<init>/exe while
    the init waits for `start`; after the exec the container's process is
    dumpable again, and the same peer opens its exe.

    The waiting init still holds the capabilities it was cloned with: since
    only the credential switch and execve may run under a seccomp filter of
    any age (issue 15), it waits for start before it switches. Non-dumpable,
    it is out of reach of a peer with the container's capabilities (and, with
    more permitted capabilities than that peer, of ptrace access in general)."""
    b = rt.bundle()
    b.sh("exec sleep 1000")
    container_caps = cap_mask(b.process["capabilities"]["permitted"])
    cid = rt.create_ok(b)
    pid = rt.state(cid)["pid"]
    st = status_of(pid)
    assert st["Uid"].split()[:2] == ["0", "0"], st["Uid"]
    got = peer_opens_exe(pid, container_caps)
    assert got.startswith("refused 13"), \
        f"the created init (pid {pid}, exe {os.readlink(f'/proc/{pid}/exe')}) is dumpable: " \
        f"a peer with the container's credentials {got} /proc/{pid}/exe"

    assert rt("start", cid).rc == 0
    wait_for(lambda: os.readlink(f"/proc/{pid}/exe").endswith("busybox"), what="the exec")
    st = status_of(pid)
    assert int(st["CapPrm"], 16) == container_caps, st["CapPrm"]
    assert peer_opens_exe(pid, container_caps) == "opened", \
        "the container's process is not dumpable after the exec"


def test_started_non_root_process_owns_its_proc_files(rt):
    # a dumpable process's /proc/<pid> entries belong to its own uid; a
    # non-dumpable one's to root
    b = rt.bundle()
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.sh("stat -c '%u %g' /proc/self/status /proc/self/fd /proc/1/environ")
    assert rt.run_ok(b).split() == ["1000", "1000"] * 3


# -- CVE-2024-21626 / CVE-2016-9962: fds and the cwd -----------------------------------

CWD_SCRIPT = (
    'echo "self=$(readlink /proc/self/cwd)"; echo "one=$(readlink /proc/1/cwd)"; '
    'echo "pwd=$(pwd -P 2>&1)"; '
    'cat {up}{marker} 2>/dev/null && echo ESCAPED-MARKER; '
    'echo "listing=$(ls -a {up} | tr "\\n" " ")"'
)


def cwd_outcome(res, host_only, what):
    """Checks what a container whose cwd came from an fd printed (CWD_SCRIPT)."""
    assert "ESCAPED" not in res.out, f"{what} gave the container the host's tree:\n{res.out}"
    fields = dict(l.split("=", 1) for l in res.out_lines if "=" in l)
    seen = set(fields.get("listing", "").split()) & host_only
    assert not seen, f"{what}: \"..\" shows the host's root ({sorted(seen)}):\n{res.out}"
    for key in ("self", "one", "pwd"):
        assert fields.get(key, "").startswith("/") and "unreachable" not in fields[key], \
            f"{what}: {key} is outside the container's root:\n{res.out}"


def cwd_bundle(rt, name, cwd, marker):
    b = rt.bundle(name)
    b.process["cwd"] = cwd
    b.sh(CWD_SCRIPT.format(up="../" * 24, marker=str(marker).lstrip("/")))
    host_only = set(os.listdir("/")) - set(os.listdir(b.rootfs))
    return b, host_only


def test_cwd_through_proc_self_fd_never_leaves_the_rootfs(rt):
    """process.cwd = /proc/self/fd/N: whatever fd the init holds when it
    enters the cwd (on a cgroup2 host, the cgroup directory it was cloned
    into: runc's CVE-2024-21626), the process is refused or lands inside the
    rootfs: it cannot reach a marker file on the host through "..", and its
    cwd is reachable from its root."""
    marker = rt.workdir / f"host-marker-{rt.token}"
    marker.write_text("host\n")
    for n in range(3, 11):
        b, host_only = cwd_bundle(rt, f"b{n}", f"/proc/self/fd/{n}", marker)
        res = run_or_refuse(rt, b)
        if res is not None:
            cwd_outcome(res, host_only, f"cwd /proc/self/fd/{n}")


def test_cwd_through_a_host_directory_fd_is_refused(rt):
    """The same with a host directory that certainly reaches the init: the
    caller hands it over as fd 3 (--preserve-fds 1) and the cwd names it.
    After pivot_root that cwd lies outside the container's root; berth must
    refuse it rather than start a process that walks the host's tree."""
    marker = rt.workdir / f"host-marker-{rt.token}"
    marker.write_text("host\n")
    b, host_only = cwd_bundle(rt, "b", "/proc/self/fd/3", marker)
    b.write()
    cid = rt.new_id()
    before = rt.snapshot_mounts()
    argv = ["sh", "-c", 'exec 3<"$0"; exec "$@"', str(rt.workdir),
            *rt.berth.argv(["run", "-b", b.path, "--preserve-fds", "1", cid])]
    with open(rt.workdir / "o", "w+") as o, open(rt.workdir / "e", "w+") as e:
        rc = subprocess.run(argv, env=rt.berth.env, stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                            timeout=60).returncode
        o.seek(0)
        e.seek(0)
        res = Result(argv, rc, o.read(), e.read())
    if res.rc == 0:
        cwd_outcome(res, host_only, "cwd /proc/self/fd/3 (a host directory)")
    assert_one_error_line(res, "cwd")
    rt.assert_clean(cid, before)


def test_container_cwd_resolves_inside_rootfs(rt):
    # the baseline of the test above: an ordinary cwd, seen from inside
    b = rt.bundle()
    b.process["cwd"] = "/home/test"
    b.sh("readlink /proc/self/cwd; readlink /proc/1/cwd; pwd -P; ls /home/test/.. | grep -x test")
    assert rt.run_ok(b).split() == ["/home/test", "/home/test", "/home/test", "test"]


# -- symlinks in the rootfs never redirect a mount, mkdir or create to the host -------------
# (CVE-2021-30465, CVE-2019-19921, CVE-2023-27561, CVE-2024-45310)

@pytest.mark.parametrize("kind", ["proc", "sys"])
@pytest.mark.parametrize("target", ["relative", "in-rootfs-absolute", "host-absolute"])
def test_proc_and_sys_must_not_be_symlinks(rt, kind, target):
    host = host_dir_with_bait(rt, "hostdir")
    host_before = fingerprint(host)
    b = rt.bundle()
    (b.rootfs / kind).rmdir()
    if target == "relative":
        (b.rootfs / kind).symlink_to("tmp")
    elif target == "in-rootfs-absolute":
        (b.rootfs / kind).symlink_to("/tmp")
    else:
        (b.rootfs / kind).symlink_to(host)
        in_rootfs(b, host).mkdir(parents=True)
    b.sh("true")
    tmp_before = sorted(str(p) for p in (b.rootfs / "tmp").rglob("*"))
    before = rt.snapshot_mounts()
    refused(rt, b, f"/{kind}")
    assert fingerprint(host) == host_before, "the host directory changed"
    assert sorted(str(p) for p in (b.rootfs / "tmp").rglob("*")) == tmp_before, \
        "something was made in the rootfs's /tmp"
    no_new_host_mounts(rt, before)


@pytest.mark.parametrize("inside", ["target-missing", "target-in-rootfs"])
def test_mount_destinations_under_a_symlink_to_a_host_dir(rt, inside):
    """/evil -> /../../..<host dir>: a bind of a directory, a bind of a file
    and a tmpfs below it are made inside the rootfs, or refused; the host
    directory is untouched either way."""
    host = host_dir_with_bait(rt, "hostdir")
    host_before = fingerprint(host)
    src = rt.host_dir("src")
    (src / "f").write_text("f\n")
    b = rt.bundle()
    (b.rootfs / "evil").symlink_to("/../../../../.." + str(host))
    if inside == "target-in-rootfs":
        in_rootfs(b, host).mkdir(parents=True)
    b.add_mount("/evil/d", "bind", src, ["rbind"], make_target=False)
    b.add_mount("/evil/f", "bind", src / "f", ["bind"], make_target=False)
    b.add_mount("/evil/t", "tmpfs", "tmpfs", ["size=1m"], make_target=False)
    b.sh("cat /evil/f; cat /proc/self/mountinfo")
    before = rt.snapshot_mounts()

    def host_check(res):
        assert fingerprint(host) == host_before, \
            f"mount destinations were created on the host: {sorted(os.listdir(host))}\n{res}"
        no_new_host_mounts(rt, before)

    res = run_or_refuse(rt, b, host_check=host_check)
    if inside == "target-in-rootfs":
        assert res is not None, "an in-rootfs symlink target was refused"
    if res is not None:
        entries = parse_mountinfo(res.out.split("\n", 1)[1])
        for name in ("d", "f", "t"):
            assert mount_at(entries, f"{host}/{name}") is not None, \
                f"/evil/{name} is not mounted at the in-rootfs target: " \
                f"{[e.mountpoint for e in entries]}"
        assert sorted(os.listdir(in_rootfs(b, host))) == ["d", "f", "t"]


def test_masked_path_symlinked_to_a_host_file(rt):
    """maskedPaths entries that are symlinks out of the rootfs: the mask lands
    on the target inside the rootfs, never on the host's file."""
    host = host_dir_with_bait(rt, "hostdir")
    secret = host / "secret"
    secret.write_text("host secret\n")
    host_before = fingerprint(secret)
    b = rt.bundle()
    inner = in_rootfs(b, secret)
    inner.parent.mkdir(parents=True)
    inner.write_text("rootfs copy\n")
    (b.rootfs / "evil-abs").symlink_to(secret)
    (b.rootfs / "evil-rel").symlink_to("../../../../../../../.." + str(secret))
    (b.rootfs / "evil-missing").symlink_to(str(host / "does-not-exist"))
    b.linux["maskedPaths"] = ["/evil-abs", "/evil-rel", "/evil-missing"]
    b.sh(f"wc -c < /evil-abs; wc -c < /evil-rel; wc -c < {secret}")
    before = rt.snapshot_mounts()
    out = rt.run_ok(b).split()
    assert out == ["0", "0", "0"], f"the mask did not land on the in-rootfs target: {out}"
    assert fingerprint(secret) == host_before and secret.read_text() == "host secret\n"
    assert inner.read_text() == "rootfs copy\n"
    assert not (host / "does-not-exist").exists()
    no_new_host_mounts(rt, before)


def test_readonly_path_symlinked_to_a_host_dir(rt):
    host = host_dir_with_bait(rt, "hostdir")
    host_before = fingerprint(host)
    b = rt.bundle()
    b.config["root"]["readonly"] = False
    inner = in_rootfs(b, host)
    inner.mkdir(parents=True)
    (b.rootfs / "rolink").symlink_to("/../../../.." + str(host))
    b.linux["readonlyPaths"] = ["/rolink"]
    b.sh(f"touch /rolink/x 2>&1; touch {host}/y 2>&1; touch /elsewhere && echo rw-ok")
    before = rt.snapshot_mounts()
    out = rt.run_ok(b)
    assert out.count("Read-only file system") == 2 and "rw-ok" in out, out
    assert fingerprint(host) == host_before, "the host directory changed"
    (host / "still-writable").write_text("x")  # and the host's copy stayed writable
    assert list(inner.iterdir()) == []
    no_new_host_mounts(rt, before)


@pytest.mark.parametrize("link", ["absolute", "relative"])
def test_dev_entries_symlinked_to_host_files(rt, link):
    """No /dev tmpfs: the rootfs's own /dev is populated, and it holds
    symlinks named like the default devices that point at host files."""
    host = host_dir_with_bait(rt, "hostdir")
    names = ["null", "zero", "full", "random", "urandom", "tty", "ptmx"]
    for n in names:
        (host / n).write_text(f"host {n}\n")
        os.chmod(host / n, 0o600)
    host_before = {n: fingerprint(host / n) for n in names} | {"dir": fingerprint(host)}
    b = without_dev_tmpfs(rt.bundle())
    for n in names:
        target = str(host / n)
        (b.rootfs / "dev" / n).symlink_to(target if link == "absolute" else "../../../../../../.." + target)
    b.sh("stat -c '%n %F %t:%T' /dev/null /dev/zero; echo x > /dev/null && head -c 3 /dev/zero | wc -c")
    before = rt.snapshot_mounts()

    def host_check(res):
        assert {n: fingerprint(host / n) for n in names} | {"dir": fingerprint(host)} == host_before, \
            f"a host file behind a /dev symlink changed\n{res}"
        no_new_host_mounts(rt, before)

    res = run_or_refuse(rt, b, host_check=host_check)
    if res is not None:
        assert res.out_lines == ["/dev/null character special file 1:3",
                                 "/dev/zero character special file 1:5", "3"], res.out


@pytest.mark.parametrize("inside", ["target-missing", "target-in-rootfs"])
def test_devices_under_a_dev_symlinked_to_a_host_dir(rt, inside):
    host = host_dir_with_bait(rt, "hostdir")
    host_before = fingerprint(host)
    b = without_dev_tmpfs(rt.bundle())
    (b.rootfs / "dev").rmdir()
    (b.rootfs / "dev").symlink_to("/../../.." + str(host))
    if inside == "target-in-rootfs":
        in_rootfs(b, host).mkdir(parents=True)
    # masking refuses a /dev/null reached through a symlink; not what is tested here
    b.linux["maskedPaths"] = []
    b.linux["devices"] = [{"path": "/dev/bt-foo", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666},
                          {"path": "/dev/sub/bt-bar", "type": "c", "major": 1, "minor": 5}]
    b.sh("stat -c '%F %t:%T' /dev/bt-foo /dev/sub/bt-bar")
    before = rt.snapshot_mounts()

    def host_check(res):
        assert fingerprint(host) == host_before, \
            f"device nodes were made in the host directory: {sorted(os.listdir(host))}\n{res}"
        no_new_host_mounts(rt, before)

    res = run_or_refuse(rt, b, host_check=host_check)
    if inside == "target-in-rootfs":
        assert res is not None, "an in-rootfs /dev symlink target was refused"
    if res is not None:
        assert res.out_lines == ["character special file 1:3", "character special file 1:5"], res.out
        assert (in_rootfs(b, host) / "bt-foo").is_char_device()


@pytest.mark.parametrize("inside", ["target-missing", "target-in-rootfs"])
def test_cwd_created_under_a_symlink_to_a_host_dir(rt, inside):
    host = host_dir_with_bait(rt, "hostdir")
    host_before = fingerprint(host)
    b = rt.bundle()
    b.config["root"]["readonly"] = False
    (b.rootfs / "link").symlink_to(host)
    if inside == "target-in-rootfs":
        in_rootfs(b, host).mkdir(parents=True)
    b.process["cwd"] = "/link/sub/deeper"
    b.sh("pwd -P")

    def host_check(res):
        assert fingerprint(host) == host_before, \
            f"the cwd was created on the host: {sorted(os.listdir(host))}\n{res}"

    res = run_or_refuse(rt, b, host_check=host_check)
    if inside == "target-in-rootfs":
        assert res is not None, "a cwd under an in-rootfs symlink target was refused"
    if res is not None:
        assert res.out.strip() == f"{host}/sub/deeper", res.out
        assert (in_rootfs(b, host) / "sub" / "deeper").is_dir()


# -- CVE-2025-31133 / 52565 / 52881: a verified /dev/null, writes only to procfs ------------

@pytest.mark.parametrize("fake", ["regular-file", "symlink-to-host-file", "wrong-device"])
@pytest.mark.parametrize("dev", ["rootfs-dev-bound", "rootfs-dev-populated"])
def test_masking_with_a_fake_dev_null(rt, fake, dev):
    """The rootfs's /dev/null is not the null device.  Bound as the
    container's /dev (a trusted config, an untrusted content), berth must
    refuse to mask with it; populated by berth, it is replaced by the real
    node.  Either way the masked files never show the fake's content."""
    host = host_dir_with_bait(rt, "hostdir")
    leak = host / "leak"
    leak.write_text(f"LEAKED-{rt.token}\n")
    host_before = fingerprint(leak)
    b = without_dev_tmpfs(rt.bundle())
    null = b.rootfs / "dev" / "null"
    if fake == "regular-file":
        null.write_text(f"LEAKED-{rt.token}\n")
    elif fake == "symlink-to-host-file":
        null.symlink_to(leak)
        in_rootfs(b, leak).parent.mkdir(parents=True)
        in_rootfs(b, leak).write_text(f"LEAKED-{rt.token}\n")
    else:
        os.mknod(null, 0o666 | 0o020000, os.makedev(1, 5))  # /dev/zero
    if dev == "rootfs-dev-bound":
        b.config["mounts"].append({"destination": "/dev", "type": "bind",
                                   "source": "rootfs/dev", "options": ["rbind"]})
    (b.rootfs / "masked-file").write_text("hidden\n")
    b.linux["maskedPaths"] = ["/masked-file", "/proc/kcore", "/proc/timer_list"]
    b.sh("head -c 100 /masked-file; head -c 100 /proc/kcore; head -c 100 /proc/timer_list; echo END")
    res = run_or_refuse(rt, b, "/dev/null",
                        host_check=lambda res: fingerprint(leak) == host_before or pytest.fail(
                            f"the host file behind the fake /dev/null changed\n{res}"))
    if dev == "rootfs-dev-bound":
        assert res is None, f"masking used a /dev/null that is not the null device:\n{res.out!r}"
    else:
        assert res is not None and res.out == "END\n", \
            f"masked paths show something: {res.out if res else None!r}"


@pytest.mark.parametrize("decoy", ["plain-files", "symlinked-dir"])
def test_sysctl_is_written_only_to_procfs(rt, decoy):
    """No procfs on /proc: the rootfs's /proc/sys is a decoy tree."""
    rt.set_host_sysctl_guard("net.ipv4.ip_forward")
    host_value = Path("/proc/sys/net/ipv4/ip_forward").read_text()
    b = rt.bundle()
    b.drop_mount("/proc")
    b.config["root"]["readonly"] = False
    if decoy == "plain-files":
        target = b.rootfs / "proc" / "sys" / "net" / "ipv4"
    else:
        (b.rootfs / "proc" / "sys").symlink_to("/decoy")
        target = b.rootfs / "decoy" / "net" / "ipv4"
    target.mkdir(parents=True)
    (target / "ip_forward").write_text("decoy\n")
    before_decoy = fingerprint(target / "ip_forward")
    b.linux["sysctl"] = {"net.ipv4.ip_forward": "0" if host_value.strip() == "1" else "1"}
    b.sh("true")
    before = rt.snapshot_mounts()
    cid, res = rt.create(b)
    assert fingerprint(target / "ip_forward") == before_decoy, \
        f"the sysctl was written to the decoy: {(target / 'ip_forward').read_text()!r}\n{res}"
    assert Path("/proc/sys/net/ipv4/ip_forward").read_text() == host_value
    assert res.rc != 0, f"create accepted a /proc/sys that is not procfs\n{res}"
    assert_one_error_line(res, "procfs")
    rt.assert_clean(cid, before)


def test_sysctl_refused_on_a_tmpfs_proc(rt):
    # a tmpfs on /proc with a copy of the rootfs's decoy tree (tmpcopyup)
    b = rt.bundle()
    b.drop_mount("/proc")
    b.add_mount("/proc", "tmpfs", "tmpfs", ["size=1m", "tmpcopyup"])
    d = b.rootfs / "proc" / "sys" / "net" / "ipv4"
    d.mkdir(parents=True)
    (d / "ip_forward").write_text("decoy\n")
    b.linux["sysctl"] = {"net.ipv4.ip_forward": "1"}
    b.sh("true")
    refused(rt, b, "procfs")
    assert (d / "ip_forward").read_text() == "decoy\n"  # (the tmpfs copy took any write)


@pytest.mark.parametrize("decoy", ["plain-file", "symlinked-self"])
def test_oom_score_adj_is_written_only_to_procfs(rt, decoy):
    b = rt.bundle()
    b.drop_mount("/proc")
    b.config["root"]["readonly"] = False  # so that only the procfs check can stop the write
    if decoy == "plain-file":
        d = b.rootfs / "proc" / "self"
    else:
        (b.rootfs / "proc" / "self").symlink_to("/decoy")
        d = b.rootfs / "decoy"
    d.mkdir(parents=True)
    (d / "oom_score_adj").write_text("decoy\n")
    before_decoy = fingerprint(d / "oom_score_adj")
    b.process["oomScoreAdj"] = 500
    b.sh("true")
    before = rt.snapshot_mounts()
    cid, res = rt.create(b)
    assert fingerprint(d / "oom_score_adj") == before_decoy, \
        f"oomScoreAdj was written to the decoy: {(d / 'oom_score_adj').read_text()!r}\n{res}"
    assert res.rc != 0, f"create accepted a /proc/self that is not procfs\n{res}"
    assert_one_error_line(res, "procfs")
    rt.assert_clean(cid, before)


# -- CVE-2022-29162: inheritable capabilities, and what file capabilities get ---------------

NET_ADMIN = cap_mask(["CAP_NET_ADMIN"])


def capped_busybox(b, file_caps: str) -> str:
    """A copy of busybox in the rootfs with file capabilities; its name starts
    with "busybox" so that it runs applets from its arguments."""
    path = b.rootfs / "bin" / "busybox-fcaps"
    shutil.copy2(b.rootfs / "bin" / "busybox", path)
    res = subprocess.run(["setcap", file_caps, str(path)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot set file capabilities here: {res.stderr.strip()}")
    return "/bin/busybox-fcaps"


@pytest.mark.parametrize("inheritable,expected", [(None, 0), (["CAP_NET_ADMIN"], NET_ADMIN)])
def test_inheritable_only_when_the_config_asks(rt, inheritable, expected):
    """A non-root user execs a binary whose file inheritable set holds
    CAP_NET_ADMIN: it gains it only if the config made it inheritable (with
    runc's CVE-2022-29162 every bounding capability was)."""
    b = rt.bundle()
    exe = capped_busybox(b, "cap_net_admin+ei")
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.process["noNewPrivileges"] = False
    caps = {"bounding": ["CAP_NET_ADMIN", "CAP_KILL"], "effective": [], "permitted": []}
    if inheritable:
        caps["inheritable"] = inheritable
    b.process["capabilities"] = caps
    b.args(exe, "cat", "/proc/self/status")
    st = parse_status(rt.run_ok(b))
    assert int(st["CapPrm"], 16) == expected and int(st["CapEff"], 16) == expected, \
        f"CapInh {st['CapInh']} CapPrm {st['CapPrm']} CapEff {st['CapEff']} (config: {caps})"
    assert int(st["CapInh"], 16) == (expected and NET_ADMIN), st["CapInh"]
    assert int(st["CapAmb"], 16) == 0, st["CapAmb"]


@pytest.mark.parametrize("nnp,expected", [(True, 0), (False, NET_ADMIN)])
def test_no_new_privileges_blocks_file_capabilities(rt, nnp, expected):
    b = rt.bundle()
    exe = capped_busybox(b, "cap_net_admin+ep")
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.process["noNewPrivileges"] = nnp
    b.process["capabilities"] = {"bounding": ["CAP_NET_ADMIN"], "effective": [], "permitted": []}
    b.args(exe, "cat", "/proc/self/status")
    st = parse_status(rt.run_ok(b))
    assert st["NoNewPrivs"] == ("1" if nnp else "0")
    assert int(st["CapPrm"], 16) == expected, f"CapPrm {st['CapPrm']} with noNewPrivileges={nnp}"


# -- the container's view of /sys/fs/cgroup ---------------------------------------------------

def test_container_sees_only_its_own_cgroup(rt):
    """Without a cgroup namespace, each hierarchy under the container's
    /sys/fs/cgroup must be the container's own cgroup (runc binds that
    directory), not the host's whole tree: no child cgroups, and the
    container's pid 1 listed in its cgroup.procs."""
    b = rt.bundle()
    b.sh('for d in /sys/fs/cgroup/*/; do '
         'echo "$d $(find $d -mindepth 1 -maxdepth 1 -type d | wc -l) '
         '$(grep -cx 1 ${d}cgroup.procs) $(find $d -mindepth 1 -maxdepth 1 -type d | head -3 | tr "\\n" " ")"; '
         'done')
    out = rt.run_ok(b)
    rows = [l.split(None, 3) for l in out.splitlines()]
    assert rows, f"nothing under /sys/fs/cgroup: {out!r}"
    wrong = [r for r in rows if r[1] != "0" or r[2] != "1"]
    assert not wrong, "hierarchies that are not the container's own cgroup " \
        "(dir, child cgroups, pid 1 listed, first children):\n" + \
        "\n".join(" ".join(r) for r in wrong)


# -- the device cgroup: a node of linux.devices is no permission to use it ----------------

# Opens each node for reading, then for reading and writing, and prints what
# the shell said ("" when the open worked), or "missing".
OPEN_NODES = """
for d in {nodes}; do
  if [ -c "$d" ]; then
    r=$( (exec 3<"$d") 2>&1 ); rw=$( (exec 3<>"$d") 2>&1 )
    echo "$d|$r|$rw"
  else
    echo "$d|missing"
  fi
done
"""

EPERM_TEXT = "Operation not permitted"
# What opening an allowed node of a major no driver has registered gets: the
# device cgroup let it through, the kernel found no device.
ENXIO_TEXT = "No such device or address"


def open_nodes(rt, b, nodes: list[str]) -> dict:
    b.sh(OPEN_NODES.format(nodes=" ".join(nodes)))
    out = rt.run_ok(b)
    rows = {}
    for line in out.splitlines():
        path, *rest = line.split("|")
        rows[path] = rest
    assert set(rows) == set(nodes), out
    return rows


def node(path: str, major: int, minor: int) -> dict:
    return {"path": path, "type": "c", "major": major, "minor": minor, "fileMode": 0o666}


def assert_denied(rows: dict, path: str):
    got = rows[path]
    assert got != ["missing"], f"{path} was not created"
    assert all(EPERM_TEXT in e for e in got), \
        f"{path} was opened past the device cgroup (read, read-write): {got}"


def assert_allowed(rows: dict, path: str):
    got = rows[path]
    assert got != ["missing"], f"{path} was not created"
    assert all(EPERM_TEXT not in e for e in got), f"{path} is allowed, yet refused: {got}"


def test_linux_devices_stay_denied_by_the_default_deny(rt):
    """linux.devices only creates nodes: with linux.resources.devices denying
    everything (the usual leading rule), a node of the host's loop-control and
    one of a made-up number stay unusable (EPERM from the device cgroup), as
    with runc. A device the rules allow, as the engines list each --device in
    both places, stays usable."""
    b = rt.bundle()
    b.linux["devices"] = [node("/dev/bt-loop-control", 10, 237), node("/dev/bt-made-up", 42, 4242),
                          node("/dev/bt-allowed", 42, 4243)]
    b.linux["resources"] = {"devices": [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 42, "minor": 4243, "access": "rwm"},
    ]}
    rows = open_nodes(rt, b, ["/dev/bt-loop-control", "/dev/bt-made-up", "/dev/bt-allowed", "/dev/null"])
    assert_denied(rows, "/dev/bt-loop-control")
    assert_denied(rows, "/dev/bt-made-up")
    assert_allowed(rows, "/dev/bt-allowed")
    assert all(ENXIO_TEXT in e for e in rows["/dev/bt-allowed"]), rows
    assert rows["/dev/null"] == ["", ""], f"a default device is not usable: {rows}"


@pytest.mark.parametrize("rules", ["revoked", "all-but-one"])
def test_linux_devices_stay_denied_by_an_explicit_deny(rt, rules):
    """A rule of linux.resources.devices that denies a device of linux.devices
    (an earlier allow revoked, or a privileged-style allow-all but one) holds."""
    deny = {"allow": False, "type": "c", "major": 42, "minor": 4242, "access": "rwm"}
    b = rt.bundle()
    b.linux["devices"] = [node("/dev/bt-denied", 42, 4242), node("/dev/bt-allowed", 42, 4243)]
    if rules == "revoked":
        b.linux["resources"] = {"devices": [
            {"allow": False, "access": "rwm"},
            {"allow": True, "type": "c", "major": 42, "minor": 4242, "access": "rwm"},
            {"allow": True, "type": "c", "major": 42, "minor": 4243, "access": "rwm"},
            deny,
        ]}
    else:
        b.linux["resources"] = {"devices": [{"allow": True, "access": "rwm"}, deny]}
    rows = open_nodes(rt, b, ["/dev/bt-denied", "/dev/bt-allowed"])
    assert_denied(rows, "/dev/bt-denied")
    assert_allowed(rows, "/dev/bt-allowed")


# -- the state root: state another user could forge -------------------------------------

NOBODY = 65534


def host_sleeper(rt) -> subprocess.Popen:
    """A host process (not a container's) that a forged state names."""
    proc = subprocess.Popen(["sleep", "1000"], stdin=subprocess.DEVNULL)
    rt.holders.append(proc)
    return proc


def start_time(pid: int) -> int:
    """/proc/<pid>/stat's starttime (field 22), which berth records and checks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[19])


def forge_state(root: Path, cid: str, pid: int) -> Path:
    """A container directory whose state.json says the container's init is
    `pid`, running, as berth writes it."""
    d = root / cid
    d.mkdir(mode=0o700)
    state = {"ociVersion": "1.2.0", "id": cid, "bundle": "/", "rootfs": "/", "pid": pid,
             "pidStartTime": start_time(pid), "creating": False, "started": True,
             "ownPidNamespace": True, "created": "2025-01-01T00:00:00.000000000Z", "owner": 0,
             "cgroup": None, "annotations": {}}
    (d / "state.json").write_text(json.dumps(state))
    os.chmod(d / "state.json", 0o600)
    return d


# (what is wrong, what the error must name)
FORGERIES = {
    # the attack of issue 14: a world-writable --root, the attacker's files in it
    "root-writable-by-others": "root",
    "root-writable-by-group": "root",
    "root-of-another-user": "root",
    "container-dir-of-another-user": "dir",
    "state-json-of-another-user": "file",
    "state-json-writable-by-group": "file",
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_forged_state_is_refused(rt, forgery):
    """A state root, container directory or state.json that another user
    owns or may write is refused by every command that reads state, with
    the path and the reason: the host process the forged state names is not
    signalled, and nothing is removed."""
    root = rt.host_dir("forged-root", 0o700)
    sleeper = host_sleeper(rt)
    cid = "victim"
    d = forge_state(root, cid, sleeper.pid)
    f = d / "state.json"
    if forgery in ("root-writable-by-others", "root-writable-by-group"):
        os.chmod(root, 0o777 if forgery.endswith("others") else 0o770)
        for p in (d, f):  # what the attacker made is the attacker's
            os.chown(p, NOBODY, NOBODY)
    elif forgery == "root-of-another-user":
        for p in (root, d, f):
            os.chown(p, NOBODY, NOBODY)
    elif forgery == "container-dir-of-another-user":
        for p in (d, f):
            os.chown(p, NOBODY, NOBODY)
    elif forgery == "state-json-of-another-user":
        os.chown(f, NOBODY, NOBODY)
    else:
        os.chmod(f, 0o660)
    named = {"root": root, "dir": d, "file": f}[FORGERIES[forgery]]
    reason = "writable by group or others" if "writable" in forgery else "owned by uid 65534"
    before = fingerprint(d), fingerprint(f)

    for args in (("kill", cid, "KILL"), ("kill", "--all", cid, "KILL"), ("delete", "--force", cid),
                 ("state", cid), ("list",)):
        res = rt("--root", root, *args, no_root=True)
        assert sleeper.poll() is None, f"`berth {' '.join(args)}` killed a host process\n{res}"
        assert_one_error_line(res, str(named), reason)
    assert (fingerprint(d), fingerprint(f)) == before, "the forged state was changed or removed"
    assert sleeper.poll() is None


def test_state_root_made_by_berth_is_private(rt):
    """The state root berth creates passes berth's own check, and its
    container directories and state.json are the caller's alone."""
    root = rt.workdir / "made" / "by" / "berth"
    b = rt.bundle()
    b.sh("true")
    b.write()
    cid = rt.new_id()
    res = rt("--root", root, "create", "--bundle", b.path, cid, no_root=True)
    assert res.rc == 0, res
    try:
        for p in (root, root / cid, root / cid / "state.json"):
            st = os.lstat(p)
            assert st.st_uid == os.geteuid() and st.st_mode & 0o022 == 0, f"{p}: {oct(st.st_mode)}"
        assert rt("--root", root, "state", cid, no_root=True).rc == 0
        listed = rt("--root", root, "list", "-q", no_root=True)
        assert listed.rc == 0 and listed.out.split() == [cid], listed
    finally:
        res = rt("--root", root, "delete", "--force", cid, no_root=True)
    assert res.rc == 0, res


def test_a_dev_null_stdio_is_the_containers_own(rt):
    # Docker without -i hands the init the host's /dev/null, read-only. As
    # runc does, the init reopens the container's own /dev/null read-write in
    # its place: no fd of the host's mounts reaches the program, and fd 0
    # takes writes like any /dev/null.
    b = rt.bundle()
    b.sh('echo x >&0 && echo stdin-writable; '
         'sed -n "s/^mnt_id:[[:space:]]*//p" /proc/self/fdinfo/0; '
         'cut -d" " -f1 /proc/self/mountinfo')
    b.write()
    cid = rt.new_id()
    # The init keeps create's stdio: files, not pipes, or create would seem
    # to last as long as the container.
    out, err = rt.workdir / f"{cid}.out", rt.workdir / f"{cid}.err"
    with open(os.devnull, "rb") as read_only_null, open(out, "w") as fo, open(err, "w") as fe:
        res = subprocess.run(rt.berth.argv(["create", "--bundle", b.path, cid]),
                             stdin=read_only_null, stdout=fo, stderr=fe,
                             env=rt.berth.env, timeout=60)
    assert res.returncode == 0, err.read_text()
    try:
        assert rt("start", cid).rc == 0
        rt.wait_status(cid, "stopped")
    finally:
        rt("delete", "-f", cid)
    lines = out.read_text().split()
    assert lines[0] == "stdin-writable", lines
    fd0_mount, container_mounts = lines[1], lines[2:]
    assert fd0_mount in container_mounts, \
        f"fd 0 is on mount {fd0_mount}, not one of the container's: {container_mounts}"
