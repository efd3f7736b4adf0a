"""berth exec (runc's exec): one more process in a running container.

The process joins every namespace and cgroup of the container, gets the
container's root, seccomp filter, rlimits and (overlaid by the flags) its
process settings; berth passes its output and exit status through in the
foreground, or leaves it running with -d. Each check looks at the kernel's view:
/proc/<pid>/ns and /proc/<pid>/cgroup from the host, /proc/self/status inside.
"""

from __future__ import annotations

import array
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from berthtest import RUNC_DEFAULT_CAPS, assert_one_error_line, caps_after_exec, parse_status
from host_objects import (host_cgroup_hierarchies, namespace_links, pid_alive, process_cgroup_dirs,
                          process_cgroups, wait_for)
from pty_master import read_available

NAMESPACES = ["mnt", "pid", "net", "ipc", "uts", "cgroup", "user", "time"]


# -- helpers ----------------------------------------------------------------------------

def start_container(rt, b=None, script="sleep 1000") -> tuple[str, int]:
    """A running container whose init sleeps; returns its id and host pid."""
    b = b or rt.bundle()
    b.sh(script)
    cid = rt.create_ok(b)
    res = rt("start", cid)
    assert res.rc == 0, f"start failed\n{res}"
    return cid, rt.state(cid)["pid"]


def ns_links(pid) -> dict:
    return namespace_links(pid, NAMESPACES)



def read_pid_file(path: Path) -> int:
    return int(wait_for(lambda: path.exists() and path.read_text().strip(),
                        what=f"pid file {path}"))


def exec_detached(rt, cid, *args, flags=()) -> int:
    """exec -d with a pid file; returns the host pid of the process."""
    pid_file = rt.workdir / f"exec-{time.monotonic_ns()}.pid"
    res = rt("exec", "-d", "--pid-file", pid_file, *flags, cid, *args)
    assert res.rc == 0, f"exec -d failed\n{res}"
    return read_pid_file(pid_file)


def container_procs(rt, cid) -> set:
    res = rt("ps", "--format", "json", cid)
    assert res.rc == 0, f"ps failed\n{res}"
    return set(json.loads(res.out))


# -- output, exit status, signals -------------------------------------------------------

def test_output_and_exit_code_pass_through(rt):
    cid, _ = start_container(rt)
    res = rt("exec", cid, "sh", "-c", "echo out; echo err >&2; exit 7")
    assert res.rc == 7, res
    assert res.out == "out\n", res
    assert "err" in res.err, res


def test_exit_status_of_a_killed_process(rt):
    cid, _ = start_container(rt)
    res = rt("exec", cid, "sh", "-c", "kill -KILL $$")
    assert res.rc == 128 + signal.SIGKILL, res


def test_stdin_reaches_the_process(rt):
    cid, _ = start_container(rt)
    res = rt("exec", cid, "cat", stdin=b"fed through stdin\n")
    assert res.rc == 0 and res.out == "fed through stdin\n", res


def test_flags_after_the_id_belong_to_the_command(rt):
    cid, _ = start_container(rt)
    res = rt("exec", cid, "sh", "-c", "echo $0 $1", "-t", "--help")
    assert res.rc == 0 and res.out.split() == ["-t", "--help"], res


def test_signals_are_forwarded(rt):
    cid, _ = start_container(rt)
    out = rt.workdir / "fwd.out"
    with open(out, "wb") as fo:
        proc = rt.berth.popen("exec", cid, "sh", "-c",
                              "trap 'echo got-term; exit 3' TERM; echo ready; "
                              "while :; do sleep 0.1; done", stdout=fo)
        try:
            wait_for(lambda: "ready" in out.read_text(), what="the exec'd shell")
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert rc == 3, (rc, out.read_text())
    assert "got-term" in out.read_text()


# -- the container's namespaces, cgroups and root ---------------------------------------

def test_process_is_in_every_namespace_of_the_container(rt):
    b = rt.bundle()
    b.set_namespace("cgroup")
    cid, init = start_container(rt, b)
    pid = exec_detached(rt, cid, "sleep", "1000")
    assert ns_links(pid) == ns_links(init)
    # and those are the container's own, not the host's
    host = ns_links("self")
    for kind in ("mnt", "pid", "net", "ipc", "uts", "cgroup"):
        assert ns_links(init)[kind] != host[kind], kind


def test_process_is_in_the_time_namespace_with_its_offsets(rt):
    b = rt.bundle()
    b.set_namespace("time")
    b.linux["timeOffsets"] = {"boottime": {"secs": 172800, "nanosecs": 0}}
    cid, init = start_container(rt, b)
    host_uptime = float(Path("/proc/uptime").read_text().split()[0])
    res = rt("exec", cid, "cut", "-d ", "-f1", "/proc/uptime")
    assert res.rc == 0, res
    assert float(res.out) >= host_uptime + 172800 - 5, res
    pid = exec_detached(rt, cid, "sleep", "1000")
    assert ns_links(pid)["time"] == ns_links(init)["time"] != ns_links("self")["time"]


def test_process_is_in_every_namespace_of_a_user_namespace_container(rt):
    b = rt.bundle()
    b.set_namespace("user")
    b.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.linux["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    b.drop_mount("/sys/fs/cgroup")  # a cgroup v1 hierarchy cannot be mounted from a userns
    cid, init = start_container(rt, b)
    pid = exec_detached(rt, cid, "sleep", "1000")
    assert ns_links(pid) == ns_links(init)
    assert ns_links(pid)["user"] != ns_links("self")["user"]
    status = parse_status(Path(f"/proc/{pid}/status").read_text())
    assert status["Uid"].split()[0] == "100000", status["Uid"]
    res = rt("exec", cid, "id", "-u")
    assert res.rc == 0 and res.out.strip() == "0", res
    # the terminal is made as the namespace's root, then given to the user
    res = rt("exec", "-t", "-u", "1000", cid, "sh", "-c", "id -u; stat -c %u $(tty)")
    assert res.rc == 0 and res.out.split() == ["1000", "1000"], res


def test_shared_host_namespaces_stay_shared(rt):
    b = rt.bundle()
    b.drop_namespace("network")
    cid, init = start_container(rt, b)
    pid = exec_detached(rt, cid, "sleep", "1000")
    assert ns_links(pid)["net"] == ns_links("self")["net"]
    assert ns_links(pid)["mnt"] == ns_links(init)["mnt"]


def test_process_is_in_the_cgroups_of_the_container(rt):
    cid, init = start_container(rt)
    pid = exec_detached(rt, cid, "sleep", "1000")
    assert process_cgroups(pid) == process_cgroups(init)
    assert pid in container_procs(rt, cid)


def test_process_sees_the_container_root_and_hostname(rt):
    b = rt.bundle()
    (b.rootfs / "etc" / "marker").write_text("inside\n")
    cid, _ = start_container(rt, b)
    res = rt("exec", cid, "sh", "-c", "cat /etc/marker; hostname; pwd; echo $$")
    assert res.rc == 0, res
    lines = res.out.split()
    assert lines[:3] == ["inside", "runc", "/"], res
    assert int(lines[3]) > 1, "the exec'd process is not in the container's pid namespace"


def test_init_is_unaffected(rt):
    cid, init = start_container(rt)
    before = ns_links(init)
    for _ in range(3):
        assert rt("exec", cid, "true").rc == 0
    assert rt("exec", cid, "sh", "-c", "exit 5").rc == 5
    state = rt.state(cid)
    assert state["status"] == "running" and state["pid"] == init
    assert ns_links(init) == before
    assert container_procs(rt, cid) == {init}


# -- the process settings ---------------------------------------------------------------

def test_env_cwd_and_user_flags(rt):
    cid, _ = start_container(rt)
    res = rt("exec", "-e", "FOO=bar", "--env", "TERM=dumb", "--cwd", "/tmp", "-u", "1000:100",
             "-g", "5", "--additional-gids", "1000", cid,
             "sh", "-c", "echo $FOO $TERM; env | grep -c ^TERM=; pwd; id -u; id -g; id -G")
    assert res.rc == 0, res
    lines = res.out.splitlines()
    assert lines[0] == "bar dumb", res
    assert lines[1] == "1", "TERM was added again instead of replaced"
    assert lines[2:5] == ["/tmp", "1000", "100"], res
    assert sorted(lines[5].split()) == ["100", "1000", "5"], res


def test_cwd_only_root_can_search_with_user_flag(rt):
    """exec --cwd DIR --user 1000 where DIR is a 0700 directory of root's:
    entered while still privileged, as runc does."""
    b = rt.bundle()
    private = b.rootfs / "private"
    private.mkdir()
    os.chmod(private, 0o700)
    cid, _ = start_container(rt, b)
    res = rt("exec", "--cwd", "/private", "--user", "1000:1000", cid,
             "sh", "-c", "pwd; id -u; ls . >/dev/null 2>&1 && echo listed || echo not-listed")
    assert res.rc == 0, res
    assert res.out == "/private\n1000\nnot-listed\n", res


def test_missing_cwd_in_a_readonly_root_is_an_error(rt):
    """exec --cwd of a directory a read-only root lacks: exec creates no
    directory (runc neither); it fails naming the cwd, and the container is
    left running."""
    b = rt.bundle()
    assert b.config["root"]["readonly"] is True
    cid, init = start_container(rt, b)
    res = rt("exec", "--cwd", "/not/there", cid, "true")
    assert res.rc != 0, res
    assert "/not/there" in res.err, res
    assert not (b.rootfs / "not").exists()
    assert pid_alive(init)


def test_home_from_the_containers_passwd(rt):
    cid, _ = start_container(rt)
    res = rt("exec", "-u", "1000", cid, "sh", "-c", "echo $HOME")
    assert res.rc == 0 and res.out == "/home/test\n", res
    res = rt("exec", cid, "sh", "-c", "echo $HOME")
    assert res.rc == 0 and res.out == "/root\n", res
    res = rt("exec", "-u", "4242", cid, "sh", "-c", "echo $HOME")
    assert res.rc == 0 and res.out == "/\n", res
    res = rt("exec", "-e", "HOME=/elsewhere", cid, "sh", "-c", "echo $HOME")
    assert res.rc == 0 and res.out == "/elsewhere\n", res


def test_process_leads_its_own_session_and_group(rt):
    """As under runc, without a terminal too: berth's caller's job control and
    terminal signals stay out of the container."""
    cid, _ = start_container(rt)
    # fields 5 and 6 of /proc/self/stat: pgrp and session, after "(comm)"
    res = rt("exec", cid, "sh", "-c", "echo $$; cut -d')' -f2 /proc/$$/stat")
    assert res.rc == 0, res
    pid, rest = res.out.splitlines()
    fields = rest.split()
    assert fields[2] == pid and fields[3] == pid, \
        f"pid {pid}: process group {fields[2]}, session {fields[3]}"


def test_user_without_group_keeps_the_config_group(rt):
    b = rt.bundle()
    b.process["user"] = {"uid": 0, "gid": 100}
    cid, _ = start_container(rt, b)
    res = rt("exec", "-u", "1000", cid, "sh", "-c", "id -u; id -g")
    assert res.rc == 0 and res.out.split() == ["1000", "100"], res


def test_capabilities_and_no_new_privileges(rt):
    b = rt.bundle()
    b.process["noNewPrivileges"] = False
    cid, _ = start_container(rt, b)
    res = rt("exec", cid, "cat", "/proc/self/status")
    assert res.rc == 0, res
    status = parse_status(res.out)
    caps = {k: list(RUNC_DEFAULT_CAPS) for k in ("bounding", "effective", "permitted", "ambient")}
    want = caps_after_exec(0, caps, False)
    assert int(status["CapEff"], 16) == want["CapEff"], status["CapEff"]
    assert int(status["CapBnd"], 16) == want["CapBnd"], status["CapBnd"]
    assert status["NoNewPrivs"] == "0"

    res = rt("exec", "--cap", "CAP_NET_ADMIN", "--no-new-privs", cid, "cat", "/proc/self/status")
    assert res.rc == 0, res
    status = parse_status(res.out)
    for k in ("bounding", "effective", "permitted"):
        caps[k].append("CAP_NET_ADMIN")
    want = caps_after_exec(0, caps, True)
    assert int(status["CapEff"], 16) == want["CapEff"], status["CapEff"]
    assert int(status["CapBnd"], 16) == want["CapBnd"], status["CapBnd"]
    assert status["NoNewPrivs"] == "1"


def test_unknown_capability_is_refused(rt):
    cid, _ = start_container(rt)
    res = rt("exec", "--cap", "CAP_NOT_A_THING", cid, "true")
    assert_one_error_line(res, "CAP_NOT_A_THING")


def test_rlimits_of_the_config_apply(rt):
    b = rt.bundle()
    b.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 1234, "soft": 1000}]
    cid, _ = start_container(rt, b)
    res = rt("exec", cid, "sh", "-c", "ulimit -n; ulimit -Hn")
    assert res.rc == 0 and res.out.split() == ["1000", "1234"], res


def test_process_file(rt):
    cid, _ = start_container(rt)
    process = {
        "args": ["sh", "-c", "echo $ONLY; pwd; id -u; id -G; grep NoNewPrivs /proc/self/status"],
        "env": ["PATH=/bin", "ONLY=from-file"],
        "cwd": "/home/test",
        "user": {"uid": 1000, "gid": 1000, "additionalGids": [100]},
        "noNewPrivileges": True,
    }
    path = rt.workdir / "process.json"
    path.write_text(json.dumps(process))
    res = rt("exec", "--process", path, cid)
    assert res.rc == 0, res
    lines = res.out.splitlines()
    assert lines[:3] == ["from-file", "/home/test", "1000"], res
    assert sorted(lines[3].split()) == ["100", "1000"], res
    assert lines[4].split() == ["NoNewPrivs:", "1"], res


# A process file that leaves out what confines the process gets the container's
# settings for it (config.json's process), never berth's own: berth runs as the
# host's root with every capability and the caller's rlimits, and an image's
# program with (say) CAP_DAC_READ_SEARCH opens host files by handle. Each test
# compares the exec'd process with the init's, read from inside the container.
# runc 1.1 agrees on capabilities (and the labels); for user, noNewPrivileges and
# rlimits it takes uid 0, false and its own limits, which berth does not (see
# spec::parse_exec_process).

CONFINED_CAPS = ["CAP_CHOWN", "CAP_KILL"]
CAP_KEYS = ("CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb")


def confined_container(rt, user=None) -> str:
    """A running container whose process sets everything a process file can leave out."""
    b = rt.bundle()
    b.process["user"] = user or {"uid": 0, "gid": 0}
    b.process["capabilities"] = {
        k: list(CONFINED_CAPS) for k in ("bounding", "effective", "permitted", "inheritable",
                                         "ambient")}
    b.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 1234, "soft": 1000}]
    b.process["noNewPrivileges"] = True
    cid, _ = start_container(rt, b)
    return cid


def exec_process_file(rt, cid, script, **members) -> tuple[dict, dict, str]:
    """exec -p of `sh -c script` with only args, env, cwd and `members`; returns the
    init's /proc/1/status, the process' own /proc/self/status and the script's output."""
    process = {"args": ["sh", "-c", "cat /proc/1/status; echo ---; cat /proc/self/status; "
                        "echo ---; " + script],
               "env": ["PATH=/bin"], "cwd": "/", **members}
    path = rt.workdir / "process.json"
    path.write_text(json.dumps(process))
    res = rt("exec", "-p", path, cid)
    assert res.rc == 0, res
    init, own, out = res.out.split("---\n")
    return parse_status(init), parse_status(own), out


def test_process_file_without_capabilities_has_the_containers_sets(rt):
    cid = confined_container(rt)
    init, own, _ = exec_process_file(rt, cid, "true", user={"uid": 0, "gid": 0})
    want = caps_after_exec(0, {k: CONFINED_CAPS for k in ("bounding", "effective", "permitted",
                                                          "inheritable", "ambient")}, True)
    for key in CAP_KEYS:
        assert own[key] == init[key], f"{key}: {own[key]}, the container's {init[key]}"
        assert int(own[key], 16) == want[key], f"{key}: {own[key]}"


def test_process_file_without_user_runs_as_the_containers_user(rt):
    cid = confined_container(rt, {"uid": 1000, "gid": 1000, "additionalGids": [5],
                                  "umask": 0o077})
    init, own, out = exec_process_file(rt, cid, "umask")
    for key in ("Uid", "Gid", "Groups", *CAP_KEYS):
        assert own[key] == init[key], f"{key}: {own[key]}, the container's {init[key]}"
    assert own["Uid"].split() == ["1000"] * 4 and own["Groups"] == "5", own
    assert out.strip() == "0077", out


def test_process_file_without_no_new_privileges_keeps_the_containers(rt):
    cid = confined_container(rt)
    init, own, _ = exec_process_file(rt, cid, "true", user={"uid": 0, "gid": 0})
    assert init["NoNewPrivs"] == "1" and own["NoNewPrivs"] == "1", own


def test_process_file_without_rlimits_gets_the_containers(rt):
    cid = confined_container(rt)
    _, _, out = exec_process_file(
        rt, cid, "grep 'open files' /proc/1/limits /proc/self/limits; ulimit -n; ulimit -Hn",
        user={"uid": 0, "gid": 0})
    lines = out.splitlines()
    assert lines[0].split()[1:] == lines[1].split()[1:], out
    assert lines[2:] == ["1000", "1234"], out


def test_process_file_with_its_own_settings_gets_them(rt):
    """What the file does say is the process' own, as in runc: more capabilities than
    the container's too (Docker's exec --privileged asks for all of them)."""
    cid = confined_container(rt)
    caps = {k: ["CAP_SYS_ADMIN"] for k in ("bounding", "effective", "permitted")}
    _, own, out = exec_process_file(
        rt, cid, "id -u; id -G; ulimit -u; ulimit -Hu", user={"uid": 7, "gid": 8},
        capabilities=caps, noNewPrivileges=False,
        rlimits=[{"type": "RLIMIT_NPROC", "hard": 600, "soft": 500}])
    assert out.split() == ["7", "8", "500", "600"], out
    assert int(own["CapBnd"], 16) == caps_after_exec(7, caps, False)["CapBnd"], own["CapBnd"]
    assert own["NoNewPrivs"] == "0", own


def test_process_file_with_a_terminal_as_conmon_passes_it(rt):
    """conmon: exec --pid-file F --process P --detach --tty --console-socket S ID."""
    cid, _ = start_container(rt)
    path = rt.workdir / "process.json"
    path.write_text(json.dumps({"terminal": True, "args": ["sh", "-c", "tty; exec sleep 1000"],
                                "env": ["PATH=/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0}}))
    master, res = with_console_socket(rt, lambda sock: (
        "exec", "--pid-file", rt.workdir / "exec.pid", "--process", path, "--detach", "--tty",
        "--console-socket", sock, cid))
    assert res.rc == 0, res
    try:
        output = read_lines(master, 1)
    finally:
        os.close(master)
    assert output.decode().split()[0].startswith("/dev/pts/"), output


def test_process_file_refuses_process_flags(rt):
    cid, _ = start_container(rt)
    path = rt.workdir / "process.json"
    path.write_text(json.dumps({"args": ["id", "-u"], "cwd": "/", "user": {"uid": 0, "gid": 0}}))
    assert_one_error_line(rt("exec", "-p", path, "-u", "1000", cid), "--user", "--process")
    assert_one_error_line(rt("exec", "-p", path, cid, "true"), "command", "--process")


def test_bad_process_file_names_the_field(rt):
    cid, _ = start_container(rt)
    path = rt.workdir / "process.json"
    path.write_text(json.dumps({"args": "sh", "cwd": "/", "user": {"uid": 0, "gid": 0}}))
    res = rt("exec", "-p", path, cid)
    assert_one_error_line(res, "process.json", "/args")


def test_missing_command_is_refused(rt):
    cid, _ = start_container(rt)
    assert_one_error_line(rt("exec", cid), "command")


def test_relative_cwd_is_refused(rt):
    cid, _ = start_container(rt)
    assert_one_error_line(rt("exec", "--cwd", "tmp", cid, "true"), "--cwd")


# -- detach, pid file -------------------------------------------------------------------

def test_detach_writes_the_pid_file_and_leaves_the_process_running(rt):
    cid, init = start_container(rt)
    pid_file = rt.workdir / "exec.pid"
    started = time.monotonic()
    res = rt("exec", "--detach", "--pid-file", pid_file, cid, "sleep", "1000")
    assert res.rc == 0 and res.out == "", res
    assert time.monotonic() - started < 10
    pid = int(pid_file.read_text())
    assert pid_alive(pid)
    assert ns_links(pid)["pid"] == ns_links(init)["pid"]
    assert pid in container_procs(rt, cid)
    # berth is gone, the process is not its zombie child
    assert Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0] == b"sleep"


def test_foreground_pid_file(rt):
    cid, init = start_container(rt)
    pid_file = rt.workdir / "exec.pid"
    res = rt("exec", "--pid-file", pid_file, cid, "sh", "-c", "echo $$")
    assert res.rc == 0, res
    pid = int(pid_file.read_text())
    assert pid > 0 and pid != init


# -- refusals ---------------------------------------------------------------------------

def test_unknown_container_is_refused(rt):
    res = rt("exec", "no-such-container", "true")
    assert_one_error_line(res, "no-such-container", "does not exist")


def test_stopped_container_is_refused(rt):
    cid, _ = start_container(rt, script="true")
    rt.wait_status(cid, "stopped")
    res = rt("exec", cid, "true")
    assert_one_error_line(res, cid, "container not running")


def test_paused_container_is_refused(rt):
    cid, init = start_container(rt)
    assert rt("pause", cid).rc == 0
    try:
        res = rt("exec", cid, "true", timeout=20)
        assert_one_error_line(res, cid, "is paused, resume it first")
    finally:
        assert rt("resume", cid).rc == 0
    assert container_procs(rt, cid) == {init}


def test_ignore_paused_waits_for_resume(rt):
    cid, init = start_container(rt)
    assert rt("pause", cid).rc == 0
    out = rt.workdir / "paused.out"
    with open(out, "wb") as fo:
        proc = rt.berth.popen("exec", "--ignore-paused", cid, "echo", "after-resume", stdout=fo)
        try:
            time.sleep(1)
            assert proc.poll() is None, "exec finished in a frozen container"
            assert rt("resume", cid).rc == 0
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert out.read_text() == "after-resume\n"
    assert container_procs(rt, cid) == {init}


def test_delete_while_a_foreground_exec_waits(rt):
    """berth exec holds no lock while it waits: delete --force gets through and
    the exec ends with its process."""
    cid, _ = start_container(rt)
    out = rt.workdir / "fg.out"
    with open(out, "wb") as fo:
        proc = rt.berth.popen("exec", cid, "sh", "-c", "echo ready; exec sleep 1000", stdout=fo)
        try:
            wait_for(lambda: "ready" in out.read_text(), what="the exec'd process")
            res = rt("delete", "--force", cid, timeout=20)
            assert res.rc == 0, res
            assert proc.wait(timeout=20) == 128 + signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_created_container_accepts_exec(rt):
    """runc execs in a created (not yet started) container too."""
    b = rt.bundle()
    b.sh("echo init-ran > /tmp/init-ran; sleep 1000")
    b.config["root"]["readonly"] = False
    cid = rt.create_ok(b)
    res = rt("exec", cid, "sh", "-c", "hostname; test -e /tmp/init-ran || echo init-waits")
    assert res.rc == 0 and res.out.split() == ["runc", "init-waits"], res
    assert rt.state(cid)["status"] == "created"
    assert rt("start", cid).rc == 0
    rt.wait_status(cid, "running")


def test_missing_executable_fails_and_leaves_nothing(rt):
    cid, init = start_container(rt)
    pid_file = rt.workdir / "exec.pid"
    res = rt("exec", "--pid-file", pid_file, cid, "/no/such/program")
    line = assert_one_error_line(res, "/no/such/program", "no such file or directory")
    assert line.startswith(f"berth: exec {cid}: "), line
    res = rt("exec", "-d", cid, "no-such-program")
    assert_one_error_line(res, "no-such-program", "executable file not found in $PATH")
    assert not pid_file.exists()
    assert container_procs(rt, cid) == {init}
    assert rt.state(cid)["status"] == "running"


# -- seccomp, fds, terminal -------------------------------------------------------------

def test_seccomp_of_the_container_applies(rt):
    b = rt.bundle()
    b.config["root"]["readonly"] = False
    b.linux["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                          "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
    cid, _ = start_container(rt, b)
    res = rt("exec", cid, "sh", "-c",
             "grep ^Seccomp: /proc/self/status; mkdir /tmp/d 2>/dev/null || echo denied")
    assert res.rc == 0, res
    assert res.out.split() == ["Seccomp:", "2", "denied"], res
    assert not (b.rootfs / "tmp" / "d").exists()


def test_seccomp_loaded_before_credentials_without_no_new_privileges(rt):
    b = rt.bundle()
    b.process["noNewPrivileges"] = False
    b.linux["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                          "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]}
    cid, _ = start_container(rt, b)
    res = rt("exec", "-u", "1000", cid, "grep", "^Seccomp:", "/proc/self/status")
    assert res.rc == 0 and res.out.split() == ["Seccomp:", "2"], res


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="test_seccomp's agent is x86_64's")
@pytest.mark.parametrize("nnp", [True, False], ids=["nnp", "no-nnp"])
def test_seccomp_notify_listener_gets_the_exec_process(rt, nnp):
    from test_seccomp import NotifyAgent, _answer
    b = rt.bundle()
    b.process["noNewPrivileges"] = nnp
    sock_path = rt.workdir / "agent.sock"
    b.linux["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                          "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}],
                          "listenerPath": str(sock_path), "listenerMetadata": "exec-meta"}
    first = NotifyAgent(sock_path, _answer)   # the init's, at create
    try:
        cid, init = start_container(rt, b)
        wait_for(lambda: first.payload is not None, what="the init's listener fd")
    finally:
        first.close()
    sock_path.unlink()
    agent = NotifyAgent(sock_path, _answer)
    try:
        res = rt("exec", cid, "sh", "-c", 'echo "ppid=$PPID"', timeout=30)
    finally:
        agent.close()
    assert agent.error is None, agent.error
    assert res.rc == 0 and "ppid=4242" in res.out, res
    p = agent.payload
    assert p["fds"] == ["seccompFd"] and p["metadata"] == "exec-meta", p
    assert p["state"]["id"] == cid and p["state"]["pid"] == init, p
    # the process the fd filters is the exec'd one, named by its host pid
    assert p["pid"] != init and agent.notifications[0][0] == p["pid"], (p, agent.notifications)


def test_only_stdio_reaches_the_process(rt):
    cid, _ = start_container(rt)
    # ls, a child of the shell, lists the shell's fds ("; true": busybox sh would
    # exec a last command itself, and ls would list its own directory fd too)
    res = rt("exec", cid, "sh", "-c", "ls /proc/$$/fd; true")
    assert res.rc == 0 and res.out.split() == ["0", "1", "2"], res


def run_with_fd3(rt, path: Path, *args):
    """berth with fd 3 open for appending to `path` (as an engine passes fds)."""
    argv = rt.berth.argv(args)
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        rc = subprocess.run(["sh", "-c", f'exec "$@" 3>>{path}', "sh", *argv],
                            stdin=subprocess.DEVNULL, stdout=fo, stderr=fe, env=rt.berth.env,
                            timeout=60).returncode
        fo.seek(0)
        fe.seek(0)
        return rc, fo.read().decode(), fe.read().decode()


def test_preserve_fds(rt):
    cid, _ = start_container(rt)
    path = rt.workdir / "fd3.out"
    rc, out, err = run_with_fd3(rt, path, "exec", "--preserve-fds", "1", cid,
                                "sh", "-c", "echo through-fd3 >&3; ls /proc/$$/fd; true")
    assert rc == 0, err
    assert path.read_text() == "through-fd3\n"
    assert out.split() == ["0", "1", "2", "3"], out
    # without the flag, fd 3 does not reach the process
    rc, out, err = run_with_fd3(rt, path, "exec", cid, "sh", "-c", "ls /proc/$$/fd; true")
    assert rc == 0 and out.split() == ["0", "1", "2"], (out, err)


def test_preserve_fds_that_are_not_open_are_refused(rt):
    cid, _ = start_container(rt)
    res = rt("exec", "--preserve-fds", "5", cid, "true")
    assert_one_error_line(res, "--preserve-fds", "not open")


def receive_fd(conn: socket.socket) -> int:
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:fds.itemsize])
    assert len(fds) == 1, f"no fd received (payload {msg!r})"
    return fds[0]


def read_lines(fd: int, count: int, timeout=10.0) -> bytes:
    """What a terminal's master gives until `count` lines or the timeout."""
    output = b""
    deadline = time.monotonic() + timeout
    while output.count(b"\n") < count and time.monotonic() < deadline:
        chunk = read_available(fd, 0.2)
        if chunk == b"":  # the other side is gone
            break
        output += chunk or b""
    return output


def with_console_socket(rt, argv):
    """Runs berth with `argv(socket_path)`, a listening console socket at that
    path; returns the terminal master it received and berth's result."""
    sock_path = rt.workdir / f"console-{time.monotonic_ns()}.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(sock_path))
    server.listen(1)
    received = {}

    def accept():
        conn, _ = server.accept()
        with conn:
            received["fd"] = receive_fd(conn)

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        res = rt(*argv(sock_path))
        t.join(10)
    finally:
        server.close()
    if "fd" not in received:
        raise AssertionError(f"no terminal master reached the console socket\n{res}")
    return received["fd"], res


def test_tty_with_console_socket(rt):
    cid, _ = start_container(rt)
    master, res = with_console_socket(rt, lambda sock: (
        "exec", "-t", "-d", "--console-socket", sock, "-u", "1000", cid,
        "sh", "-c", "tty; id -u; stat -c %u $(tty); exec sleep 1000"))
    assert res.rc == 0, res
    try:
        output = read_lines(master, 3)
    finally:
        os.close(master)
    lines = output.decode().split()
    assert lines[0].startswith("/dev/pts/"), output
    assert lines[1:3] == ["1000", "1000"], output


def test_tty_with_detach_needs_a_console_socket(rt):
    cid, _ = start_container(rt)
    assert_one_error_line(rt("exec", "-t", "-d", cid, "true"), "--console-socket")


def test_console_socket_without_tty_is_refused(rt):
    cid, _ = start_container(rt)
    res = rt("exec", "--console-socket", rt.workdir / "none.sock", cid, "true")
    assert_one_error_line(res, "--console-socket", "terminal")


def test_foreground_tty(rt):
    cid, _ = start_container(rt)
    res = rt("exec", "-t", cid, "sh", "-c", "tty; echo done")
    assert res.rc == 0, res
    lines = res.out.replace("\r", "").split()
    assert lines[0].startswith("/dev/pts/") and lines[1] == "done", res


# -- cgroups ----------------------------------------------------------------------------

def make_sub_cgroup(path: Path):
    path.mkdir()
    # a v1 cpuset cgroup takes processes only once it has CPUs and memory nodes
    for name in ("cpuset.cpus", "cpuset.mems"):
        if (path / name).exists():
            (path / name).write_text((path.parent / name).read_text())


def test_exec_into_a_sub_cgroup(rt):
    cid, init = start_container(rt)
    dirs = process_cgroup_dirs(init)
    for d in dirs.values():
        make_sub_cgroup(d / "sub")
    pid = exec_detached(rt, cid, "sleep", "1000", flags=("--cgroup", "sub"))
    now = process_cgroups(pid)
    for controllers, path in process_cgroups(init).items():
        assert now[controllers] == path + "/sub", (controllers, now)


def test_sub_cgroup_must_exist_and_stay_below(rt):
    cid, _ = start_container(rt)
    assert_one_error_line(rt("exec", "--cgroup", "missing", cid, "true"), "missing")
    assert_one_error_line(rt("exec", "--cgroup", "../escape", cid, "true"), "..")


def test_exec_into_a_v1_controller_sub_cgroup(rt):
    hierarchies = host_cgroup_hierarchies()
    memory = [h for h in hierarchies if h.version == 1 and "memory" in h.controllers]
    if not memory:
        pytest.skip("no cgroup v1 memory hierarchy")
    cid, init = start_container(rt)
    dirs = process_cgroup_dirs(init)
    make_sub_cgroup(dirs[memory[0].label] / "mem-only")
    pid = exec_detached(rt, cid, "sleep", "1000", flags=("--cgroup", "memory:mem-only"))
    now, before = process_cgroups(pid), process_cgroups(init)
    for controllers, path in before.items():
        want = path + "/mem-only" if controllers.split(",") == ["memory"] else path
        assert now[controllers] == want, (controllers, now)
