"""Podman 4.3 (Debian's) with --runtime <berth>, through conmon, with the
cgroupfs manager (no systemd) and a --rootfs instead of an image. Podman
passes berth no --root: the state is in berth's default, /run/berth."""

from __future__ import annotations

import time

import pytest

import host_objects
import itlib
from command import run
from conftest import engine_fixture
from engines import Podman
from itlib import ok, wait_for

LOOP = "trap 'exit 7' TERM; while :; do sleep 0.1; done"
# The engine sets the terminal's size with a resize request after the start,
# which can come after the process's first lines: wait for it (5 s at most).
WAIT_SIZE = 'i=0; while [ "$(stty size 2>/dev/null)" != "30 100" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done'


@pytest.fixture(scope="module")
def pm(workdir, berth_binary, rootfs_template):
    yield from engine_fixture(Podman, workdir, berth_binary, rootfs_template)


@pytest.fixture
def detached(pm):
    """Start detached containers (a shell that exits 7 on SIGTERM by default);
    whatever the test leaves is removed the way a user would (podman rm -f)."""
    made = []

    def start(cmd=("/bin/sh", "-c", LOOP), flags=()):
        name = pm.new_name("d")
        made.append(name)
        ok(run(pm.run_argv(name, *cmd, flags=("--detach", *flags)), env=pm.env))
        wait_for(lambda: pm.inspect(name, "{{.State.Status}}") == "running",
                 what=f"{name} to run")
        return name

    yield start
    for name in made:
        pm.remove(name)


def status(pm, name):
    return pm.inspect(name, "{{.State.Status}}")


def init_pid(pm, name) -> int:
    return int(pm.inspect(name, "{{.State.Pid}}"))


def berth_state(pm, name):
    return pm.berth_root / (pm.cids / name).read_text().strip()


# ---------------------------------------------------------------------------

def test_run_rm_output_and_exit_code(pm):
    name = pm.new_name("rm")
    res = run(pm.run_argv(name, "/bin/sh", "-c", "echo hello from berth; echo on stderr >&2; exit 3",
                          flags=("--rm",)), env=pm.env)
    assert res.rc == 3, str(res)
    assert "hello from berth" in res.out, str(res)
    assert "on stderr" in res.err, str(res)
    assert name not in ok(pm.podman("ps", "--all", "--format", "{{.Names}}")).out.split()
    assert not berth_state(pm, name).exists(), "berth's state outlived podman run --rm"


def test_run_missing_command_exits_127(pm):
    name = pm.new_name("nocmd")
    res = run(pm.run_argv(name, "/nonexistent", flags=("--rm",)), env=pm.env)
    assert res.rc == 127, str(res)
    assert "/nonexistent" in res.err, str(res)
    assert not berth_state(pm, name).exists(), "berth's state outlived a failed create"


def test_failed_create_cleans_up_without_error(pm):
    # After a failed create, Podman calls `<runtime> delete --force ID` for a
    # container the runtime may never have recorded; runc and crun then exit 0
    # silently. Anything else shows as Podman's error "Removing container ...
    # from runtime after creation failed".
    name = pm.new_name("noexec")
    res = run(pm.run_argv(name, "/etc/passwd", flags=("--rm",)), env=pm.env)
    assert res.rc == 126, str(res)
    assert "after creation failed" not in res.err, str(res)


def test_run_memory_limit_seen_inside(pm):
    name = pm.new_name("mem")
    res = run(pm.run_argv(name, "/bin/cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                          flags=("--rm", "--memory", "64m")), env=pm.env)
    assert res.rc == 0, str(res)
    assert res.out.strip() == str(64 << 20), str(res)


def test_memory_limit_in_host_cgroup(pm, detached):
    name = detached(flags=("--memory", "64m"))
    pid = init_pid(pm, name)
    cid = (pm.cids / name).read_text().strip()
    assert host_objects.process_cgroup(pid, "memory") == f"/libpod_parent/libpod-{cid}"
    limit = itlib.cgroup_file(pid, "memory", "memory.limit_in_bytes")
    assert limit.read_text().strip() == str(64 << 20)


def test_detached_logs(pm, detached):
    name = detached(cmd=("/bin/sh", "-c", "echo started detached; " + LOOP))
    assert status(pm, name) == "running"
    wait_for(lambda: "started detached" in pm.podman("logs", name).out, what="the log line")


def test_pause_and_unpause(pm, detached):
    name = detached()
    freezer = itlib.cgroup_file(init_pid(pm, name), "freezer", "freezer.state")
    ok(pm.podman("pause", name))
    assert status(pm, name) == "paused"
    assert freezer.read_text().strip() == "FROZEN"
    ok(pm.podman("unpause", name))
    assert status(pm, name) == "running"
    assert freezer.read_text().strip() == "THAWED"


def test_stop_sends_sigterm(pm, detached):
    name = detached()
    t0 = time.monotonic()
    ok(pm.podman("stop", "--time", "20", name))
    assert time.monotonic() - t0 < 15, "the container did not get SIGTERM"
    assert status(pm, name) == "exited"
    assert pm.inspect(name, "{{.State.ExitCode}}") == "7"


def test_stop_kills_after_timeout(pm, detached):
    # pid 1 without a handler ignores SIGTERM: podman falls back to SIGKILL
    name = detached(cmd=("/bin/sleep", "1000"))
    ok(pm.podman("stop", "--time", "1", name))
    assert status(pm, name) == "exited"
    assert pm.inspect(name, "{{.State.ExitCode}}") == "137"


def test_rm_removes_state_and_cgroups(pm, detached):
    name = detached()
    pid = init_pid(pm, name)
    cgroup = host_objects.process_cgroup(pid, "memory")
    state = berth_state(pm, name)
    assert state.exists(), f"no berth state at {state}: which --root does podman pass?"
    ok(pm.podman("stop", name))
    ok(pm.podman("rm", name))
    assert name not in ok(pm.podman("ps", "--all", "--format", "{{.Names}}")).out.split()
    assert not host_objects.pid_alive(pid)
    assert not state.exists(), "berth's state is left"
    assert host_objects.existing_cgroup_dirs(cgroup) == [], "the container's cgroups are left"


def test_rm_force_running(pm, detached):
    name = detached()
    pid = init_pid(pm, name)
    state = berth_state(pm, name)
    ok(pm.podman("rm", "--force", name))
    assert not host_objects.pid_alive(pid)
    assert not state.exists(), "berth's state is left"


def test_exec_output_and_exit_code(pm, detached):
    name = detached()
    res = pm.podman("exec", name, "/bin/sh", "-c",
                    "echo in exec; tr '\\0' ' ' </proc/1/cmdline; echo; exit 5")
    assert res.rc == 5, str(res)
    assert "in exec" in res.out, str(res)
    assert "/bin/sh -c trap" in res.out, str(res)


def test_run_with_terminal(pm):
    name = pm.new_name("tty")
    res = itlib.run_on_terminal(
        pm.run_argv(name, "/bin/sh", "-c",
                    "echo ready; read line; echo got:$line; tty; " + WAIT_SIZE + "; stty size; exit 4",
                    flags=("--rm", "--interactive", "--tty")),
        typed=b"hello\r", after=b"ready", rows=30, cols=100, env=pm.env)
    assert res.rc == 4, str(res)
    assert "got:hello" in res.out, str(res)
    assert "/dev/pts/" in res.out, str(res)
    assert "30 100" in res.out, str(res)


def test_exec_with_terminal(pm, detached):
    name = detached()
    res = itlib.run_on_terminal(
        pm.argv("exec", "--interactive", "--tty", name, "/bin/sh", "-c",
                "echo ready; read line; echo got:$line; tty; exit 6"),
        typed=b"hello\r", after=b"ready", env=pm.env)
    assert res.rc == 6, str(res)
    assert "got:hello" in res.out, str(res)
    assert "/dev/pts/" in res.out, str(res)


# -- after the suite: every container removed, nothing of berth's may be left --

def test_suite_leaves_no_berth_state(pm):
    pm.shutdown()
    assert pm.leftover_state() == []


def test_suite_leaves_no_cgroups(pm):
    pm.shutdown()
    assert pm.leftover_cgroups() == []


def test_suite_leaves_no_mounts(pm):
    pm.shutdown()
    assert pm.leftover_mounts() == []


def test_suite_leaves_no_processes(pm):
    pm.shutdown()
    assert pm.leftover_processes() == []
