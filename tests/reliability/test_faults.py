"""Faults: create killed at each stage, an init that dies early, commands out of
order, a full state disk, and a pid reused by a stranger."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from berthtest import missing_fault_injection
from host_objects import pid_alive, wait_for
from util import (new_id, one_error, quick, sleeper, state_json_parses, use_unified_cgroup_view,
                  wait_gone)

# The stages of libberth/sys/fault_injection.hpp (berth(8), ENVIRONMENT).
STAGES = ["state-reserved", "cgroup-created", "cloned", "pid-recorded", "init-ready",
          "before-commit", "committed"]


EXEC_STAGES = ["exec-stager-forked"]


def test_stage_list_matches_the_source():
    src = Path(__file__).resolve().parents[2] / "libberth/sys/fault_injection.hpp"
    text = src.read_text()
    named = re.findall(r'^\s*"([a-z-]+)",', text, re.M)
    assert named == STAGES + EXEC_STAGES, \
        f"fault_injection.hpp names other stages than this test: {named}"


def needs_fault_injection(rt):
    """BERTH_TEST_KILL_AT works only in a test build (run-all.sh makes one)."""
    reason = missing_fault_injection(rt.berth.binary)
    if reason:
        pytest.skip(reason)


# How the init gets into its cgroup differs between the two (see
# use_unified_cgroup_view), and with it what a killed create has recorded.
VIEWS = ["hybrid", "unified"]


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("command", ["create", "run -d"])
@pytest.mark.parametrize("stage", STAGES)
def test_killed_create_is_cleaned_by_delete_force(rt, leaks, stage, command, view):
    needs_fault_injection(rt)
    if view == "unified":
        use_unified_cgroup_view(rt)
    b = sleeper(rt)
    cid = new_id(rt)
    b.write()
    rt.berth.env["BERTH_TEST_KILL_AT"] = stage
    res = rt(*command.split(), "--bundle", b.path, cid)
    del rt.berth.env["BERTH_TEST_KILL_AT"]
    assert res.rc == -signal.SIGKILL, f"berth did not kill itself at {stage}\n{res}"
    state_json_parses(rt, cid)
    # Whatever the create left, `delete --force` removes it all.
    res = rt("delete", "--force", cid)
    assert res.rc == 0, res
    leaks.check(f"after delete --force of a create killed at {stage}")
    # And the id works again.
    cid2, res = rt.create(b, cid)
    assert res.rc == 0, res
    assert rt("start", cid).rc == 0
    assert rt.state(cid)["status"] == "running"
    assert rt("delete", "--force", cid).rc == 0


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("stage", ["cgroup-created", "pid-recorded", "before-commit"])
def test_killed_create_then_plain_delete(rt, leaks, stage, view):
    """Without --force too: what a killed create leaves is a stopped container."""
    needs_fault_injection(rt)
    if view == "unified":
        use_unified_cgroup_view(rt)
    b = sleeper(rt)
    cid = new_id(rt)
    b.write()
    rt.berth.env["BERTH_TEST_KILL_AT"] = stage
    assert rt("create", "--bundle", b.path, cid).rc == -signal.SIGKILL
    del rt.berth.env["BERTH_TEST_KILL_AT"]
    # the init reads end-of-file on its channel and exits
    st = rt.wait_status(cid, "stopped", timeout=30)
    assert st["pid"] == 0, st
    assert rt("delete", cid).rc == 0
    leaks.check()


def test_init_killed_before_start(rt, leaks):
    b = sleeper(rt)
    cid = new_id(rt)
    rt.create_ok(b, cid)
    pid = rt.state(cid)["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_gone(pid)
    assert rt.state(cid)["status"] == "stopped"
    one_error(rt("start", cid), cid)
    assert rt("delete", cid).rc == 0
    leaks.check()


def test_start_twice(rt, leaks):
    b = sleeper(rt)
    cid = new_id(rt)
    rt.create_ok(b, cid)
    assert rt("start", cid).rc == 0
    one_error(rt("start", cid), cid)
    assert rt.state(cid)["status"] == "running", "a second start changed the container"
    assert rt("delete", "--force", cid).rc == 0
    leaks.check()


def test_start_after_exit(rt, leaks):
    b = quick(rt)
    cid = new_id(rt)
    rt.create_ok(b, cid)
    assert rt("start", cid).rc == 0
    rt.wait_status(cid, "stopped", timeout=30)
    one_error(rt("start", cid), cid)
    assert rt("delete", cid).rc == 0
    leaks.check()


def test_kill_of_a_stopped_container(rt, leaks):
    b = quick(rt)
    cid = new_id(rt)
    rt.create_ok(b, cid)
    assert rt("start", cid).rc == 0
    rt.wait_status(cid, "stopped", timeout=30)
    one_error(rt("kill", cid, "KILL"), cid)
    one_error(rt("kill", cid, "TERM"), cid)
    assert rt("delete", cid).rc == 0
    leaks.check()


def test_delete_force_of_a_paused_container(rt, leaks):
    b = sleeper(rt)
    cid = new_id(rt)
    rt.create_ok(b, cid)
    assert rt("start", cid).rc == 0
    res = rt("pause", cid)
    assert res.rc == 0, res
    assert rt.state(cid)["status"] == "paused"
    one_error(rt("delete", cid), cid)  # not without --force
    res = rt("delete", "--force", cid, timeout=60)
    assert res.rc == 0, res
    leaks.check()


def test_commands_on_a_missing_container(rt, leaks):
    cid = new_id(rt)
    for args in (("start", cid), ("state", cid), ("kill", cid, "TERM"), ("delete", cid),
                 ("pause", cid), ("resume", cid)):
        one_error(rt(*args), cid)
    assert rt("delete", "--force", cid).rc == 0
    leaks.tried(6)


def test_full_state_disk(rt, leaks):
    """A tiny tmpfs as --root, filled up: create fails with one line and leaves
    nothing (no state entry, no cgroup, no process)."""
    root = rt.workdir / "fullroot"
    root.mkdir()
    # mode=0711: a tmpfs is 1777 by default, which berth refuses as a --root
    rt.host_mount("-t", "tmpfs", "-o", "size=256k,mode=0711", "tmpfs", str(root))
    try:
        filler = root / "filler"
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass
        rt.berth.root = str(root)
        b = sleeper(rt)
        cid = new_id(rt)
        cid, res = rt.create(b, cid)
        one_error(res)
        assert sorted(p.name for p in root.iterdir() if p.name != "@cache") == ["filler"], \
            list(root.iterdir())
        # room again: the same id works
        filler.unlink()
        cid, res = rt.create(b, cid)
        assert res.rc == 0, res
        assert rt("delete", "--force", cid).rc == 0
        assert sorted(p.name for p in root.iterdir() if p.name != "@cache") == []
    finally:
        rt.berth.root = rt.root
        subprocess.run(["umount", "-l", str(root)], check=False)
    leaks.check()


def _stranger_with_pid(target: int, tries=200):
    """A `sleep` whose pid is `target`: ns_last_pid set to target-1 before each
    fork. Other processes of the machine may take the pid first: retried."""
    last = Path("/proc/sys/kernel/ns_last_pid")
    for _ in range(tries):
        last.write_text(str(target - 1))
        proc = subprocess.Popen(["sleep", "1000"], stdin=subprocess.DEVNULL)
        if proc.pid == target:
            return proc
        proc.kill()
        proc.wait()
    return None


def test_pid_reuse_is_not_the_container(rt, leaks):
    b = sleeper(rt)
    b.drop_namespace("pid")  # a host pid is the one a stranger can take
    cid = new_id(rt)
    rt.create_ok(b, cid)
    assert rt("start", cid).rc == 0
    pid = rt.state(cid)["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_gone(pid)
    stranger = _stranger_with_pid(pid)
    if stranger is None:
        pytest.skip(f"could not get pid {pid} again (a busy machine took it each time)")
    try:
        assert pid_alive(pid)
        st = rt.state(cid)
        assert st["status"] == "stopped" and st["pid"] == 0, f"the stranger is reported: {st}"
        one_error(rt("kill", cid, "KILL"), cid)
        assert pid_alive(pid), "berth kill signalled a stranger that reused the init's pid"
        res = rt("delete", cid)
        assert res.rc == 0, res
        assert pid_alive(pid), "berth delete killed a stranger that reused the init's pid"
    finally:
        stranger.kill()
        stranger.wait()
    leaks.check()


def test_exec_whose_stager_dies_before_it_reports_fails_and_leaves_nothing(rt, leaks):
    # The stager forks the process, then is killed before it says the
    # process' pid: the process, blocked on berth's Commit, still holds the
    # channel. berth must not wait on it forever: it fails, and the process
    # reads end-of-file and exits.
    needs_fault_injection(rt)
    b = sleeper(rt)
    cid = new_id(rt)
    cid, res = rt.create(b, cid)
    assert res.rc == 0, res
    try:
        assert rt("start", cid).rc == 0
        rt.berth.env["BERTH_TEST_KILL_AT"] = "exec-stager-forked"
        try:
            res = rt("exec", cid, "true", timeout=30)
        finally:
            del rt.berth.env["BERTH_TEST_KILL_AT"]
        assert res.rc not in (0, -1), f"exec did not fail promptly\n{res}"
        one_error(res, "stager")
        init = rt.state(cid)["pid"]

        def only_the_init() -> bool:
            ps = rt("ps", "--format", "json", cid)
            return ps.rc == 0 and json.loads(ps.out) == [init]
        wait_for(only_the_init, what="the orphaned exec process to exit")
    finally:
        assert rt("delete", "--force", cid).rc == 0
    leaks.check("after an exec whose stager died")
