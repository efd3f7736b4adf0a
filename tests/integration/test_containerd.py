"""containerd 1.6 (Debian's) driving berth through the runc v2 shim, as
`ctr run --runc-binary <berth>` does: the shim calls berth with
--root <runc-root>/<namespace> --log <bundle>/log.json --log-format json."""

from __future__ import annotations

import os

import pytest

import host_objects
import itlib
from command import run
from conftest import engine_fixture
from engines import Containerd
from itlib import ok, wait_for

LOOP = "trap 'exit 7' TERM; while :; do sleep 0.1; done"
# The engine sets the terminal's size with a resize request after the start,
# which can come after the process's first lines: wait for it (5 s at most).
WAIT_SIZE = 'i=0; while [ "$(stty size 2>/dev/null)" != "30 100" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done'


@pytest.fixture(scope="module")
def ctd(workdir, berth_binary, rootfs_template):
    yield from engine_fixture(Containerd, workdir, berth_binary, rootfs_template)


@pytest.fixture
def detached(ctd):
    """Start detached containers (a shell that exits 7 on SIGTERM by default);
    whatever the test leaves is removed the way a user would."""
    made = []

    def start(cmd=("/bin/sh", "-c", LOOP), flags=()):
        cid = ctd.new_id("d")
        made.append(cid)
        ok(run(ctd.run_argv(cid, *cmd, flags=("--detach", *flags)), env=ctd.env))
        wait_for(lambda: (ctd.task(cid) or (0, ""))[1] == "RUNNING", what=f"task {cid} to run")
        return cid

    yield start
    for cid in made:
        ctd.remove(cid)


def wait_stopped(ctd, cid):
    wait_for(lambda: (ctd.task(cid) or (0, ""))[1] == "STOPPED", what=f"task {cid} to stop")


# ---------------------------------------------------------------------------

def test_run_rm_output_and_exit_code(ctd):
    cid = ctd.new_id("rm")
    res = run(ctd.run_argv(cid, "/bin/sh", "-c", "echo hello from berth; echo on stderr >&2; exit 3",
                           flags=("--rm",)), env=ctd.env)
    assert res.rc == 3, str(res)
    assert "hello from berth" in res.out, str(res)
    assert "on stderr" in res.err, str(res)
    assert cid not in ctd.containers()
    assert not (ctd.berth_root / ctd.namespace / cid).exists(), "berth's state outlived ctr run --rm"


def test_run_missing_command_fails_and_leaves_nothing(ctd):
    cid = ctd.new_id("nocmd")
    res = run(ctd.run_argv(cid, "/nonexistent", flags=("--rm",)), env=ctd.env)
    assert res.rc != 0, str(res)
    assert "/nonexistent" in res.err, str(res)
    ctd.remove(cid)     # ctr run --rm does not delete a container whose task never started
    assert not (ctd.berth_root / ctd.namespace / cid).exists(), "berth's state outlived a failed create"


def test_run_memory_limit_applied(ctd, detached):
    # ctr's default spec mounts no cgroupfs in the container: read the limit
    # from the host, in the task's memory cgroup.
    cid = detached(flags=("--memory-limit", str(64 << 20)))
    pid, _ = ctd.task(cid)
    limit = itlib.cgroup_file(pid, "memory", "memory.limit_in_bytes")
    assert limit.read_text().strip() == str(64 << 20)


def test_detached_task_runs_in_rootfs_and_cgroup(ctd, detached):
    cid = detached()
    pid, status = ctd.task(cid)
    assert status == "RUNNING"
    assert host_objects.pid_alive(pid)
    inside = os.stat(f"/proc/{pid}/root/bin/busybox")
    assert inside.st_ino == os.stat(ctd.rootfs / "bin" / "busybox").st_ino, "init is not in the rootfs"
    assert host_objects.process_cgroup(pid, "memory") == f"/{ctd.namespace}/{cid}"
    assert ok(ctd.ctr("container", "info", cid)).out


def test_task_ps_lists_init(ctd, detached):
    cid = detached()
    pid, _ = ctd.task(cid)
    res = ok(ctd.ctr("task", "ps", cid))
    pids = [int(line.split()[0]) for line in res.out.splitlines()[1:] if line.split()]
    assert pid in pids, str(res)


def test_pause_and_resume(ctd, detached):
    cid = detached()
    pid, _ = ctd.task(cid)
    freezer = itlib.cgroup_file(pid, "freezer", "freezer.state")
    ok(ctd.ctr("task", "pause", cid))
    assert ctd.task(cid)[1] == "PAUSED"
    assert freezer.read_text().strip() == "FROZEN"
    ok(ctd.ctr("task", "resume", cid))
    assert ctd.task(cid)[1] == "RUNNING"
    assert freezer.read_text().strip() == "THAWED"


def test_kill_sends_sigterm_and_delete_reports_exit_code(ctd, detached):
    cid = detached()
    ok(ctd.ctr("task", "kill", cid))
    wait_stopped(ctd, cid)
    res = ok(ctd.ctr("task", "delete", cid))
    assert "exit code 7" in res.err, str(res)


def test_kill_sigkill(ctd, detached):
    cid = detached(cmd=("/bin/sleep", "1000"))
    pid, _ = ctd.task(cid)
    ok(ctd.ctr("task", "kill", "--signal", "SIGKILL", cid))
    wait_stopped(ctd, cid)
    assert not host_objects.pid_alive(pid)
    res = ok(ctd.ctr("task", "delete", cid))
    assert "exit code 137" in res.err, str(res)


def test_delete_removes_state_cgroups_and_processes(ctd, detached):
    cid = detached()
    pid, _ = ctd.task(cid)
    cgroup = host_objects.process_cgroup(pid, "memory")
    assert host_objects.existing_cgroup_dirs(cgroup)
    ok(ctd.ctr("task", "kill", "--signal", "SIGKILL", cid))
    wait_stopped(ctd, cid)
    ok(ctd.ctr("task", "delete", cid))
    ok(ctd.ctr("container", "delete", cid))
    assert cid not in ctd.containers()
    assert not host_objects.pid_alive(pid)
    assert not (ctd.berth_root / ctd.namespace / cid).exists(), "berth's state is left"
    assert host_objects.existing_cgroup_dirs(cgroup) == [], "the container's cgroups are left"


def test_exec_output_and_exit_code(ctd, detached):
    cid = detached()
    res = run(ctd.exec_argv(cid, "e1", "/bin/sh", "-c",
                            "echo in exec; tr '\\0' ' ' </proc/1/cmdline; echo; exit 5"), env=ctd.env)
    assert res.rc == 5, str(res)
    assert "in exec" in res.out, str(res)
    # the exec'd process sees the container's init as pid 1: same pid namespace
    assert "/bin/sh -c trap" in res.out, str(res)


def test_exec_detached_process_in_task_ps(ctd, detached):
    cid = detached(cmd=("/bin/sleep", "1000"))
    ok(run(ctd.exec_argv(cid, "bg", "/bin/sleep", "999", flags=("--detach",)), env=ctd.env))
    res = ok(ctd.ctr("task", "ps", cid))
    pids = [int(line.split()[0]) for line in res.out.splitlines()[1:] if line.split()]
    assert len(pids) == 2, str(res)
    assert "ExecID:bg" in res.out, str(res)
    assert any("sleep 999" in host_objects.cmdline(p) for p in pids), str(res)


def test_run_with_terminal(ctd):
    cid = ctd.new_id("tty")
    res = itlib.run_on_terminal(
        ctd.run_argv(cid, "/bin/sh", "-c",
                     "echo ready; read line; echo got:$line; tty; " + WAIT_SIZE + "; stty size; exit 4",
                     flags=("--rm", "--tty")),
        typed=b"hello\r", after=b"ready", rows=30, cols=100, env=ctd.env)
    assert res.rc == 4, str(res)
    assert "got:hello" in res.out, str(res)
    assert "/dev/pts/" in res.out, str(res)
    assert "30 100" in res.out, str(res)
    assert cid not in ctd.containers()


def test_exec_with_terminal(ctd, detached):
    cid = detached()
    res = itlib.run_on_terminal(
        ctd.exec_argv(cid, "t1", "/bin/sh", "-c",
                      "echo ready; read line; echo got:$line; tty; exit 6", flags=("--tty",)),
        typed=b"hello\r", after=b"ready", env=ctd.env)
    assert res.rc == 6, str(res)
    assert "got:hello" in res.out, str(res)
    assert "/dev/pts/" in res.out, str(res)


# -- after the suite: containerd stopped, nothing of berth's may be left -------

def test_suite_leaves_no_berth_state(ctd):
    ctd.shutdown()
    assert ctd.leftover_state() == []


def test_suite_leaves_no_cgroups(ctd):
    ctd.shutdown()
    assert ctd.leftover_cgroups() == []


def test_suite_leaves_no_mounts(ctd):
    ctd.shutdown()
    assert ctd.leftover_mounts() == []


def test_suite_leaves_no_processes(ctd):
    ctd.shutdown()
    assert ctd.leftover_processes() == []
