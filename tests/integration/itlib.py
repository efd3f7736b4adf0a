"""Helpers for berth's integration suites: containerd (through ctr) and Podman
drive berth exactly as they drive runc, and the tests look at what a user
would see (output, exit codes, statuses) and at what the host is left with.

Nothing here talks to a registry: both engines run a busybox root filesystem
given with --rootfs.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import termios
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

# Every command an engine runs gets this long at most: a hang is a failure,
# never a stuck suite.
COMMAND_TIMEOUT = 60


@dataclass
class Result:
    argv: list
    rc: int
    out: str
    err: str

    def __str__(self) -> str:
        return (f"$ {' '.join(self.argv)}\n-> exit {self.rc}\n"
                f"stdout: {self.out.strip()!r}\nstderr: {self.err.strip()!r}")

    __repr__ = __str__


def run(argv, *, timeout=COMMAND_TIMEOUT, env=None, input=None) -> Result:
    try:
        p = subprocess.run([str(a) for a in argv], capture_output=True, text=True, env=env,
                           timeout=timeout, input=input,
                           stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        return Result([str(a) for a in argv], -1, out, err + f"\n[timed out after {timeout}s]")
    return Result([str(a) for a in argv], p.returncode, p.stdout, p.stderr)


def ok(res: Result) -> Result:
    """The command must have succeeded."""
    assert res.rc == 0, f"command failed:\n{res}"
    return res


def wait_for(predicate, timeout=15.0, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------------------
# The busybox root filesystem (as tests/oci-conformance/conftest.py builds it)
# ---------------------------------------------------------------------------


# -- the engines' daemons (containerd, dockerd) --------------------------------


def launch_daemon(argv: list, log_path: Path, env: dict) -> subprocess.Popen:
    """A daemon of the suite's, in a session of its own, its output in log_path."""
    with open(log_path, "w") as log:
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)


def wait_until_answers(proc: subprocess.Popen, log_path: Path, answers, timeout: float,
                       what: str) -> None:
    """Waits for answers() to be true; a daemon that exits first fails the
    wait with the end of its log."""
    def up():
        if proc.poll() is not None:
            raise AssertionError(f"{Path(proc.args[0]).name} exited with {proc.returncode}:\n"
                                 + Path(log_path).read_text()[-3000:])
        return answers()
    wait_for(up, timeout=timeout, what=what)


def stop_daemon(proc: subprocess.Popen, timeout: float) -> bool:
    """SIGTERM, then SIGKILL after `timeout` seconds; False when it had to be killed."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False


def make_busybox_rootfs(dest: Path) -> Path:
    busybox = shutil.which("busybox") or "/bin/busybox"
    if not os.path.exists(busybox):
        raise RuntimeError("busybox not found: apt-get install busybox-static")
    for d in ("bin", "dev", "etc", "proc", "sys", "tmp", "root", "var", "run", "mnt"):
        (dest / d).mkdir(parents=True, exist_ok=True)
    os.chmod(dest / "tmp", 0o1777)
    shutil.copy2(busybox, dest / "bin" / "busybox")
    os.chmod(dest / "bin" / "busybox", 0o755)
    applets = subprocess.run([busybox, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for applet in applets:
        if applet == "busybox" or "/" in applet:
            continue
        link = dest / "bin" / applet
        if not link.exists():
            link.symlink_to("busybox")
    (dest / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                         "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    (dest / "etc" / "group").write_text("root:x:0:\ntty:x:5:\nnogroup:x:65534:\n")
    return dest


# ---------------------------------------------------------------------------
# Terminals: the engine runs on the slave side of a pty, as under a terminal
# emulator, and the test types into and reads from the master side.
# ---------------------------------------------------------------------------

@dataclass
class PtyResult:
    argv: list
    rc: int
    out: str

    def __str__(self) -> str:
        return f"$ {' '.join(self.argv)}   (on a terminal)\n-> exit {self.rc}\nterminal: {self.out!r}"

    __repr__ = __str__


def run_on_terminal(argv, *, typed: bytes = b"", after: bytes | None = None, rows=30, cols=100,
                    timeout=COMMAND_TIMEOUT, env=None) -> PtyResult:
    """Run argv as the session leader of a new terminal of rows x cols; once
    `after` has appeared on the screen (at once if None), type `typed`."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def child_setup():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([str(a) for a in argv], stdin=slave, stdout=slave, stderr=slave,
                            preexec_fn=child_setup, close_fds=True, env=env)
    os.close(slave)
    out = b""
    typed_yet = not typed
    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        while True:
            if time.monotonic() > deadline:
                timed_out = True
                break
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError as e:
                    if e.errno == errno.EIO:   # every slave fd is closed
                        break
                    raise
                if not chunk:
                    break
                out += chunk
            if not typed_yet and (after is None or after in out):
                os.write(master, typed)
                typed_yet = True
    finally:
        os.close(master)
    if timed_out:
        proc.kill()
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    text = out.decode(errors="replace")
    if timed_out:
        text += f"\n[timed out after {timeout}s]"
        rc = -1
    return PtyResult([str(a) for a in argv], rc, text)


# ---------------------------------------------------------------------------
# cgroups
# ---------------------------------------------------------------------------

def parse_mountinfo() -> list:
    """(mount id, root, mount point, fstype, source, super options) per line."""
    entries = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        f = left.split(" ")
        r = right.split(" ")
        unescape = lambda s: re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)
        entries.append((f[0], unescape(f[3]), unescape(f[4]), r[0], r[1] if len(r) > 1 else "",
                        r[2] if len(r) > 2 else ""))
    return entries


def cgroup_hierarchies() -> dict:
    """Hierarchy key -> mount point: one per v1 hierarchy (keyed by its
    controllers, e.g. "memory", "cpu,cpuacct", "name=systemd") and "" for the
    cgroup2 hierarchy."""
    found = {}
    for _, root, mnt, fstype, _, opts in parse_mountinfo():
        if root != "/":
            continue
        if fstype == "cgroup2":
            found.setdefault("", mnt)
        elif fstype == "cgroup":
            keys = [o for o in opts.split(",") if o not in ("rw", "ro") and not o.startswith(
                ("release_agent=", "clone_children", "noprefix", "xattr", "cpuset_v2_mode"))]
            found.setdefault(",".join(sorted(keys)), mnt)
    return found


def all_cgroup_dirs() -> set:
    """Every cgroup directory of every hierarchy, as 'key:/path'."""
    dirs = set()
    for key, mnt in cgroup_hierarchies().items():
        for root, subdirs, _ in os.walk(mnt):
            rel = "/" if root == mnt else "/" + os.path.relpath(root, mnt)
            dirs.add(f"{key or 'unified'}:{rel}")
    return dirs


def process_cgroup(pid: int, controller: str) -> str | None:
    """The cgroup path of pid in the hierarchy of controller ('' = cgroup2)."""
    try:
        text = Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        _, ctrls, path = line.split(":", 2)
        if controller == "" and ctrls == "":
            return path
        if controller and controller in ctrls.split(","):
            return path
    return None


def cgroup_file(pid: int, controller: str, name: str) -> Path:
    """The host path of a file of pid's cgroup in controller's v1 hierarchy."""
    for key, mnt in cgroup_hierarchies().items():
        if key and controller in key.split(","):
            path = process_cgroup(pid, controller)
            assert path is not None, f"pid {pid} has no {controller} cgroup"
            return Path(mnt + path) / name
    raise AssertionError(f"no cgroup v1 hierarchy with {controller} on this host")


def cgroup_dirs_of(path: str) -> list:
    """The directories of cgroup path in every hierarchy that still exist."""
    out = []
    for key, mnt in cgroup_hierarchies().items():
        d = Path(mnt + path)
        if d.is_dir():
            out.append(str(d))
    return out


def thaw_cgroups(dirs) -> None:
    """Thaw the freezer cgroups among 'key:/path' entries (a frozen process
    cannot die of SIGKILL)."""
    mounts = cgroup_hierarchies()
    for d in dirs:
        key, path = d.split(":", 1)
        if "freezer" in key.split(","):
            try:
                (Path(mounts[key] + path) / "freezer.state").write_text("THAWED")
            except OSError:
                pass


def remove_cgroup_dirs(paths) -> None:
    """rmdir the given cgroup paths (in every hierarchy), deepest first; only
    empty ones go (final cleanup of the engines' parents)."""
    for key, mnt in cgroup_hierarchies().items():
        for path in sorted(paths, key=lambda p: -p.count("/")):
            d = Path(mnt + path)
            if d.is_dir():
                for sub, _, _ in sorted(os.walk(d), key=lambda t: -t[0].count("/")):
                    try:
                        os.rmdir(sub)
                    except OSError:
                        pass


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------

def pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def describe_pid(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        cmd = "?"
    return f"pid {pid}: {cmd.strip()}"


def processes_of_suite(token: str, workdir: str, words=()) -> list:
    """Live processes that belong to a suite: their environment carries the
    suite's token (the engines were started with it, and their shims, conmon
    and berth inherit it), their root, cwd or command line lies in the suite's
    directory, or their command line or cgroup names one of its containers
    (a container's processes have their own root: /proc/PID/root reads "/")."""
    me = os.getpid()
    found = []
    tok = f"BERTH_IT_TOKEN={token}\0".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        if pid == me or not pid_alive(pid):
            continue
        hit = False
        try:
            if tok in Path(f"/proc/{pid}/environ").read_bytes():
                hit = True
        except OSError:
            pass
        for link in ("root", "cwd"):
            try:
                target = os.readlink(f"/proc/{pid}/{link}")
            except OSError:
                continue
            if target == workdir or target.startswith(workdir + "/"):
                hit = True
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            if workdir in cmd or any(w in cmd for w in words):
                hit = True
        except OSError:
            pass
        try:
            cgroups = Path(f"/proc/{pid}/cgroup").read_text()
            if any(w in cgroups for w in words):
                hit = True
        except OSError:
            pass
        if hit:
            found.append(pid)
    return sorted(found)


def kill_pids(pids, timeout=5.0) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + timeout
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)


# ---------------------------------------------------------------------------
# What a suite must leave behind: nothing.
# ---------------------------------------------------------------------------

@dataclass
class HostSnapshot:
    cgroups: set
    mounts: set
    extra: dict = field(default_factory=dict)

    @staticmethod
    def take() -> "HostSnapshot":
        return HostSnapshot(all_cgroup_dirs(),
                            {(root, mnt, fstype, src) for _, root, mnt, fstype, src, _ in parse_mountinfo()})


def new_mounts(before: HostSnapshot, related) -> list:
    """Mounts that are new since `before` and related to the suite (related is
    a predicate on (root, mount point, fstype, source))."""
    now = {(root, mnt, fstype, src) for _, root, mnt, fstype, src, _ in parse_mountinfo()}
    return sorted(m for m in now - before.mounts if related(m))


def token() -> str:
    return uuid.uuid4().hex[:10]
