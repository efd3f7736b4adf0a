"""Helpers for berth's integration suites: containerd (through ctr) and Podman
drive berth exactly as they drive runc, and the tests look at what a user
would see (output, exit codes, statuses) and at what the host is left with.

Nothing here talks to a registry: both engines run a busybox root filesystem
given with --rootfs.  The host's mounts, cgroups and processes are read by
tests/pylib/host_objects.py, commands run by tests/pylib/command.py (shared
with the other suites; conftest.py puts tests/pylib on sys.path).
"""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import subprocess
import termios
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import host_objects
from command import COMMAND_TIMEOUT, Result
from pty_master import read_available


def ok(res: Result) -> Result:
    """The command must have succeeded."""
    assert res.rc == 0, f"command failed:\n{res}"
    return res


def wait_for(predicate, timeout=15.0, interval=0.1, what="condition"):
    """host_objects.wait_for with longer defaults: the engines' daemons, shims
    and conmon take their time on a loaded machine."""
    return host_objects.wait_for(predicate, timeout=timeout, interval=interval, what=what)


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
            chunk = read_available(master, 0.2)
            if chunk == b"":   # every slave fd is closed
                break
            out += chunk or b""
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

def cgroup_file(pid: int, controller: str, name: str) -> Path:
    """The host path of a file of pid's cgroup in controller's v1 hierarchy."""
    for h in host_objects.host_cgroup_hierarchies():
        if h.version == 1 and controller in h.controllers:
            path = host_objects.process_cgroup(pid, controller)
            assert path is not None, f"pid {pid} has no {controller} cgroup"
            return h.dir(path) / name
    raise AssertionError(f"no cgroup v1 hierarchy with {controller} on this host")


def thaw_cgroups(dirs) -> None:
    """Thaw the cgroups among all_cgroup_dirs() entries ("label:/path"): a
    frozen process cannot die of SIGKILL."""
    hierarchies = host_objects.host_cgroup_hierarchies()
    host_objects.thaw_cgroup_dirs(
        d for d in (host_objects.labelled_cgroup_dir(e, hierarchies) for e in dirs) if d)


def remove_cgroup_dirs(paths) -> None:
    """rmdir the given cgroup paths (in every hierarchy) and what is below
    them, deepest first; only empty ones go (final cleanup of the engines'
    parents)."""
    hierarchies = host_objects.host_cgroup_hierarchies()
    host_objects.rmdir_cgroup_trees(
        d for path in paths for d in host_objects.cgroup_dirs(path, hierarchies).values())


# ---------------------------------------------------------------------------
# What a suite must leave behind: nothing.
# ---------------------------------------------------------------------------

@dataclass
class HostSnapshot:
    cgroups: set    # host_objects.all_cgroup_dirs()
    mounts: set     # host_objects.mount_snapshot()

    @staticmethod
    def take() -> "HostSnapshot":
        return HostSnapshot(host_objects.all_cgroup_dirs(), host_objects.mount_snapshot())


def token() -> str:
    return uuid.uuid4().hex[:10]
