"""process.terminal: the pseudo-terminal made inside the container, its master
handed over --console-socket (SCM_RIGHTS, as containerd's shim and conmon take
it) or driven by `berth run` itself in the foreground; consoleSize;
/dev/console; and the refusals (a detached terminal without a console socket,
a console socket nobody listens on, no devpts, a hostile /dev/console)."""

from __future__ import annotations

import fcntl
import os
import socket
import struct
import subprocess
import termios
import time
from pathlib import Path

from berthtest import assert_one_error_line
from pty_master import read_available

TIMEOUT = 20.0


# -- helpers -----------------------------------------------------------------------

class ConsoleListener:
    """The engine's side of --console-socket: a listening unix socket that
    receives the master of the container's terminal."""

    def __init__(self, path: Path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(1)
        self.sock.settimeout(TIMEOUT)

    def receive(self) -> tuple[int, str]:
        """(master fd, the name sent with it)."""
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(TIMEOUT)
            msg, fds, _flags, _addr = socket.recv_fds(conn, 4096, 4)
        assert len(fds) == 1, f"expected one fd over the console socket, got {fds}"
        return fds[0], msg.decode()

    def close(self):
        self.sock.close()


def read_until(fd: int, marker: bytes, timeout=TIMEOUT) -> bytes:
    """Reads from a pty master until `marker` appears (or the other side is
    closed: EIO); returns everything read."""
    out = b""
    deadline = time.monotonic() + timeout
    while marker not in out:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {marker!r}; got {out!r}")
        chunk = read_available(fd, left)
        if chunk is None:
            continue
        if not chunk:
            break
        out += chunk
    return out


def read_to_end(fd: int, timeout=TIMEOUT) -> bytes:
    """Everything until every replica fd is closed (EIO)."""
    return read_until(fd, b"\0never\0", timeout)


def lines(output: bytes) -> list[str]:
    return [l.strip() for l in output.decode(errors="replace").replace("\r", "").splitlines()]


def value_after(output: bytes, key: str) -> str:
    """The rest of the line that starts with `key=` in the container's output."""
    for l in lines(output):
        if l.startswith(key + "="):
            return l[len(key) + 1:]
    raise AssertionError(f"no {key}= line in {output!r}")


def terminal_bundle(rt, script: str, size=(37, 91)):
    b = rt.bundle()
    b.process["terminal"] = True
    if size:
        b.process["consoleSize"] = {"height": size[0], "width": size[1]}
    b.sh(script)
    return b


def set_winsize(fd: int, rows: int, cols: int):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


# What the container reports about its terminal, one key=value a line.
REPORT = (
    'echo "tty=$(tty)"; '
    'echo "fds=$(readlink /proc/$$/fd/0) $(readlink /proc/$$/fd/1) $(readlink /proc/$$/fd/2)"; '
    'echo "size=$(stty size)"; '
    'echo "console=$(stat -c %d:%i /dev/console) tty=$(stat -c %d:%i $(tty))"; '
    'echo "owner=$(stat -c %u $(tty))"; '
)


# -- --console-socket ----------------------------------------------------------------

def test_console_socket_receives_the_master(rt):
    b = terminal_bundle(rt, REPORT + 'echo READY; read x; echo "got $x"; exit 3')
    listener = ConsoleListener(rt.workdir / "console.sock")
    try:
        cid = rt.create_ok(b, None, "--console-socket", listener.path)
        master, name = listener.receive()
    finally:
        listener.close()
    try:
        assert rt("start", cid).rc == 0
        out = read_until(master, b"READY")
        tty = value_after(out, "tty")
        assert tty.startswith("/dev/pts/"), out
        assert name == tty, f"the console socket's message names {name!r}, the container's tty is {tty}"
        assert value_after(out, "fds").split() == [tty] * 3, "stdin, stdout and stderr are not the terminal"
        assert value_after(out, "size") == "37 91", "consoleSize was not applied"
        console, _, own = value_after(out, "console").partition(" tty=")
        assert console == own, f"/dev/console is not the container's terminal: {out!r}"
        os.write(master, b"hello there\n")
        out += read_to_end(master)
        assert "got hello there" in lines(out), out
    finally:
        os.close(master)
    rt.wait_status(cid, "stopped")
    assert rt("delete", cid).rc == 0


def test_terminal_belongs_to_the_process_user(rt):
    b = terminal_bundle(rt, REPORT)
    b.process["user"] = {"uid": 1000, "gid": 1000}
    listener = ConsoleListener(rt.workdir / "console.sock")
    try:
        cid = rt.create_ok(b, None, "--console-socket", listener.path)
        master, _ = listener.receive()
    finally:
        listener.close()
    try:
        assert rt("start", cid).rc == 0
        out = read_to_end(master)
    finally:
        os.close(master)
    assert value_after(out, "owner") == "1000", out
    assert value_after(out, "fds").split() == [value_after(out, "tty")] * 3, out


def test_terminal_in_a_user_namespace(rt):
    """The pty comes from the container's devpts, made by the namespace's root,
    and is handed to the process user as mapped there."""
    b = terminal_bundle(rt, REPORT + 'echo "uid=$(id -u)"')
    b.set_namespace("user")
    b.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.linux["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    b.drop_mount("/sys/fs/cgroup")  # a v1 hierarchy cannot be mounted from a user namespace
    b.process["user"] = {"uid": 1000, "gid": 1000}
    res = rt.run(b)
    assert res.rc == 0, res
    out = res.out.encode()
    assert value_after(out, "uid") == "1000"
    assert value_after(out, "owner") == "1000"
    assert value_after(out, "size") == "37 91"
    assert value_after(out, "fds").split() == [value_after(out, "tty")] * 3


def test_master_arrives_before_create_returns(rt):
    """containerd's shim reads the master once `create` has returned, without
    waiting any longer: it must already be in the socket."""
    b = terminal_bundle(rt, "echo hi")
    listener = ConsoleListener(rt.workdir / "console.sock")
    try:
        cid = rt.create_ok(b, None, "--console-socket", listener.path)
        conn, _ = listener.sock.accept()
        with conn:
            conn.setblocking(False)
            _msg, fds, _flags, _addr = socket.recv_fds(conn, 4096, 1)
    finally:
        listener.close()
    assert len(fds) == 1
    os.close(fds[0])
    assert rt("delete", "--force", cid).rc == 0


def test_run_detached_with_console_socket(rt):
    b = terminal_bundle(rt, 'echo "size=$(stty size)"; echo READY; read x; echo "got $x"')
    listener = ConsoleListener(rt.workdir / "console.sock")
    cid = rt.new_id()
    try:
        res = rt.run(b, cid, "-d", "--console-socket", listener.path)
        assert res.rc == 0, res
        master, _ = listener.receive()
    finally:
        listener.close()
    try:
        out = read_until(master, b"READY")
        assert value_after(out, "size") == "37 91"
        os.write(master, b"detached\n")
        out += read_to_end(master)
        assert "got detached" in lines(out), out
    finally:
        os.close(master)
    rt.wait_status(cid, "stopped")
    assert rt("delete", cid).rc == 0


def test_run_foreground_with_console_socket(rt):
    """The master goes to the socket it was given; berth just waits and
    passes the exit status on."""
    b = terminal_bundle(rt, 'echo READY; read x; echo "got $x"; exit 6')
    b.write()
    listener = ConsoleListener(rt.workdir / "console.sock")
    cid = rt.new_id()
    with open(rt.workdir / "run.out", "wb") as out_file:
        proc = rt.berth.popen("run", "--bundle", b.path, "--console-socket", listener.path, cid,
                              stdout=out_file, stderr=out_file)
    try:
        master, _ = listener.receive()
        try:
            read_until(master, b"READY")
            os.write(master, b"socket\n")
            out = read_to_end(master)
        finally:
            os.close(master)
        assert "got socket" in lines(out), out
        assert proc.wait(timeout=TIMEOUT) == 6
    finally:
        listener.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not (Path(rt.root) / cid).exists(), "run left its container behind"


# -- refusals --------------------------------------------------------------------------

def test_create_with_terminal_needs_console_socket(rt):
    b = terminal_bundle(rt, "true")
    before = rt.snapshot_mounts()
    cid, res = rt.create(b)
    assert_one_error_line(res, "--console-socket")
    rt.assert_clean(cid, before)


def test_run_detached_with_terminal_needs_console_socket(rt):
    b = terminal_bundle(rt, "true")
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt.run(b, cid, "-d")
    assert_one_error_line(res, "--console-socket")
    rt.assert_clean(cid, before)


def test_console_socket_nobody_listens_on(rt):
    b = terminal_bundle(rt, "true")
    path = rt.workdir / "missing.sock"
    before = rt.snapshot_mounts()
    cid, res = rt.create(b, None, "--console-socket", path)
    assert_one_error_line(res, f"connect to console socket {path}")
    rt.assert_clean(cid, before)


def test_console_socket_without_terminal(rt):
    b = rt.bundle()
    b.sh("true")
    listener = ConsoleListener(rt.workdir / "console.sock")
    before = rt.snapshot_mounts()
    try:
        cid, res = rt.create(b, None, "--console-socket", listener.path)
    finally:
        listener.close()
    assert_one_error_line(res, "--console-socket", "terminal")
    rt.assert_clean(cid, before)


def test_terminal_without_devpts(rt):
    b = terminal_bundle(rt, "true")
    b.drop_mount("/dev/pts")
    listener = ConsoleListener(rt.workdir / "console.sock")
    before = rt.snapshot_mounts()
    try:
        cid, res = rt.create(b, None, "--console-socket", listener.path)
    finally:
        listener.close()
    assert_one_error_line(res, "devpts")
    rt.assert_clean(cid, before)


def test_planted_ptmx_is_refused(rt):
    """Without berth's own /dev (no tmpfs, no devpts) /dev/ptmx is whatever the
    image shipped: a plain file there is no terminal, and is not opened."""
    b = terminal_bundle(rt, "true")
    for sub in ("/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"):
        b.drop_mount(sub)
    (b.rootfs / "dev" / "ptmx").write_text("not a terminal\n")
    listener = ConsoleListener(rt.workdir / "console.sock")
    before = rt.snapshot_mounts()
    try:
        cid, res = rt.create(b, None, "--console-socket", listener.path)
    finally:
        listener.close()
    assert_one_error_line(res, "/dev/ptmx is not the ptmx device")
    rt.assert_clean(cid, before)


def test_console_symlink_is_not_followed(rt):
    """CVE-2025-52565: a /dev/console that is a symlink (here to a file of the
    rootfs; in the attack, to a procfs file) must not redirect the bind of the
    terminal."""
    b = terminal_bundle(rt, "true")
    dev = rt.host_dir("dev", 0o755)
    (dev / "pts").mkdir()
    (dev / "ptmx").symlink_to("pts/ptmx")
    (dev / "console").symlink_to("/victim")
    (b.rootfs / "victim").write_text("untouched\n")
    b.drop_mount("/dev")
    b.config["mounts"].insert(1, {"destination": "/dev", "type": "bind", "source": str(dev),
                                  "options": ["rbind", "rw"]})
    b.linux["maskedPaths"] = []  # there is no /dev/null in this /dev
    for sub in ("/dev/shm", "/dev/mqueue"):
        b.drop_mount(sub)
    listener = ConsoleListener(rt.workdir / "console.sock")
    before = rt.snapshot_mounts()
    try:
        cid, res = rt.create(b, None, "--console-socket", listener.path)
    finally:
        listener.close()
    assert_one_error_line(res, "/dev/console")
    rt.assert_clean(cid, before)
    assert (b.rootfs / "victim").read_text() == "untouched\n"
    assert os.path.islink(dev / "console")


# -- run in the foreground ------------------------------------------------------------

def test_run_foreground_without_a_tty(rt):
    """stdin /dev/null, stdout a file: berth drives the terminal itself and
    the output arrives through it (with the terminal's \\r\\n)."""
    b = terminal_bundle(rt, 'echo "size=$(stty size)"; echo "tty=$(tty)"; exit 7')
    cid = rt.new_id()
    res = rt.run(b, cid)
    assert res.rc == 7, res
    assert "\r\n" in res.out, res
    out = res.out.encode()
    assert value_after(out, "size") == "37 91"
    assert value_after(out, "tty").startswith("/dev/pts/")
    assert not (Path(rt.root) / cid).exists(), "run left its container behind"


def caller_pty():
    """A pty standing for the user's terminal: (our master, berth's side)."""
    master, replica = os.openpty()
    set_winsize(replica, 30, 100)
    return master, replica


def run_on_tty(rt, b, cid, replica):
    b.write()

    def controlling_terminal():
        # berth is a session leader with this pty as its terminal, as in a
        # shell: the kernel then sends it SIGWINCH when the size changes.
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    return subprocess.Popen(rt.berth.argv(["run", "--bundle", b.path, cid]), stdin=replica,
                            stdout=replica, stderr=replica, start_new_session=True,
                            preexec_fn=controlling_terminal, env=rt.berth.env)


def test_run_foreground_on_a_terminal(rt):
    script = ('echo "tty=$(tty)"; echo "size=$(stty size)"; echo READY; '
              'read x; echo "got $x"; echo "size2=$(stty size)"; echo END; exit 5')
    b = terminal_bundle(rt, script)
    master, replica = caller_pty()
    original = termios.tcgetattr(replica)
    cid = rt.new_id()
    proc = run_on_tty(rt, b, cid, replica)
    try:
        out = read_until(master, b"READY")
        # the caller's terminal's size wins over consoleSize
        assert value_after(out, "size") == "30 100", out
        assert value_after(out, "tty").startswith("/dev/pts/"), out
        mode = termios.tcgetattr(replica)
        lflag = mode[3]
        assert not lflag & (termios.ICANON | termios.ECHO), "the caller's terminal is not raw meanwhile"
        # SIGWINCH to berth, which passes the size on before it forwards
        # the input that follows
        set_winsize(replica, 40, 120)
        os.write(master, b"typed\r")
        out += read_until(master, b"END")
        assert "got typed" in lines(out), out
        assert value_after(out, "size2") == "40 120", out
        assert proc.wait(timeout=TIMEOUT) == 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        after = termios.tcgetattr(replica)
        os.close(master)
        os.close(replica)
    assert after == original, "the caller's terminal mode was not restored"
    assert not (Path(rt.root) / cid).exists(), "run left its container behind"


def test_run_foreground_ctrl_c_reaches_the_container(rt):
    """In raw mode ^C is a byte for the container's terminal, whose line
    discipline turns it into SIGINT for the container's foreground process."""
    # The container's pid 1 gets only the signals it has a handler for.
    b = terminal_bundle(rt, 'trap "echo caught INT; exit 4" INT; echo READY; '
                            'while :; do sleep 1; done')
    master, replica = caller_pty()
    original = termios.tcgetattr(replica)
    cid = rt.new_id()
    proc = run_on_tty(rt, b, cid, replica)
    try:
        read_until(master, b"READY")
        os.write(master, b"\x03")
        out = read_until(master, b"caught INT")
        assert proc.wait(timeout=TIMEOUT) == 4, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        after = termios.tcgetattr(replica)
        os.close(master)
        os.close(replica)
    assert after == original


def test_run_foreground_failure_restores_the_terminal(rt):
    """An exec that fails after the terminal went raw: berth reports it and
    the caller's terminal is as it was."""
    b = terminal_bundle(rt, "true")
    b.args("/bin/does-not-exist")
    master, replica = caller_pty()
    original = termios.tcgetattr(replica)
    cid = rt.new_id()
    before = rt.snapshot_mounts()
    proc = run_on_tty(rt, b, cid, replica)
    out = b""
    try:
        assert proc.wait(timeout=TIMEOUT) == 1
        os.set_blocking(master, False)
        try:
            out = os.read(master, 65536)
        except BlockingIOError:
            pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        after = termios.tcgetattr(replica)
        os.close(master)
        os.close(replica)
    assert b"does-not-exist" in out, out
    assert after == original
    rt.assert_clean(cid, before)
