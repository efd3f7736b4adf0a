"""Errors that engines parse: containerd, Docker (moby), Podman and CRI-O
decide what happened by looking for runc's words in a runtime's error
(docs/engine-messages.md has the table: engine, source file, substring,
event). berth's message keeps its own context and contains the same words at
the same event. These tests also pass with BERTH=/usr/sbin/runc: the words
are runc's."""

import os

import pytest

from host_objects import pid_alive, wait_for


def error_text(res) -> str:
    assert res.rc != 0, f"expected a failure\n{res}"
    return res.err


def stopped_container(rt):
    b = rt.bundle()
    b.sh("exit 0")
    cid = rt.new_id()
    assert rt.run(b, cid, "--keep").rc == 0
    assert rt.state(cid)["status"] == "stopped"
    return cid


def running_container(rt, name="bundle", script="exec sleep 1000"):
    b = rt.bundle(name)
    b.sh(script)
    cid = rt.create_ok(b)
    assert rt("start", cid).rc == 0
    rt.wait_status(cid, "running")
    return cid


# -- containerd: pkg/process/utils.go checkKillError, pkg/process/init.go delete --

def test_kill_of_a_stopped_container_says_container_not_running(rt):
    # containerd maps it to "process already finished" (NotFound): the
    # kubelet's StopPodSandbox then goes on
    cid = stopped_container(rt)
    assert "container not running" in error_text(rt("kill", cid, "KILL"))


@pytest.mark.parametrize("command", [("kill", "{id}", "KILL"), ("delete", "{id}"), ("state", "{id}"),
                                     ("start", "{id}")])
def test_unknown_container_does_not_exist(rt, command):
    # containerd: kill -> "no such container", delete -> ignored; Podman's
    # state check marks the container exited
    cid = rt.new_id()
    res = rt(*[a.format(id=cid) for a in command])
    assert "does not exist" in error_text(res)


def test_kill_all_of_an_exited_container_sharing_a_pid_namespace(rt):
    # A pod sharing one pid namespace: the sandbox's init owns it, a
    # container joins it and exits, leaving a child behind. The shim's
    # `kill --all ID KILL` on the exited container must succeed (runc's does)
    # and reach what is left in its cgroup.
    sandbox = running_container(rt, "sandbox")
    sandbox_pid = rt.state(sandbox)["pid"]
    out = rt.host_dir("out")
    b = rt.bundle("member")
    b.set_namespace("pid", f"/proc/{sandbox_pid}/ns/pid")
    b.bind("/out", out)
    b.sh("sleep 1000 & echo $! > /out/child; exit 0")
    # create and start, as the shim does (`run` would clean up on the exit)
    member = rt.create_ok(b)
    assert rt("start", member).rc == 0
    rt.wait_status(member, "stopped")
    wait_for(lambda: (out / "child").read_text().strip() if (out / "child").exists() else None,
             what="the member's child pid")
    # the child's host pid: the one sleep in the sandbox's namespace besides its init
    ns = os.readlink(f"/proc/{sandbox_pid}/ns/pid")
    left = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != sandbox_pid
            and _ns_of(p) == ns and pid_alive(int(p))]
    assert left, "the member's child is not running"
    res = rt("kill", "--all", member, "KILL")
    assert res.rc == 0, res
    wait_for(lambda: not any(pid_alive(p) for p in left), what="--all to kill the member's child")
    assert pid_alive(sandbox_pid), "--all of the member reached the sandbox's init"


def test_run_of_a_member_of_a_shared_pid_namespace_kills_what_it_leaves(rt):
    # runc's `run` kills what is left in the container's cgroup once the
    # init of a container without a pid namespace of its own has exited
    # (--keep or not): nothing of it outlives the command.
    sandbox = running_container(rt, "sandbox")
    sandbox_pid = rt.state(sandbox)["pid"]
    ns = os.readlink(f"/proc/{sandbox_pid}/ns/pid")
    b = rt.bundle("member")
    b.set_namespace("pid", f"/proc/{sandbox_pid}/ns/pid")
    b.sh("sleep 1000 & exit 0")
    member = rt.new_id()
    assert rt.run(b, member, "--keep").rc == 0
    left = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != sandbox_pid
            and _ns_of(p) == ns and pid_alive(int(p))]
    assert not left, f"the member's processes outlived run: {left}"
    assert pid_alive(sandbox_pid)


def _ns_of(pid: str):
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


# -- Docker: daemon/start.go translateContainerdStartErr (exit codes 127/126) --
# -- Podman: libpod/oci_util.go getOCIRuntimeError (ErrOCIRuntimeNotFound / PermissionDenied)

@pytest.mark.parametrize("program,words", [
    ("nosuchprogram", ["nosuchprogram", "executable file not found in $PATH"]),
    ("/nonexistent/program", ["/nonexistent/program", "no such file or directory"]),
    ("/etc/passwd", ["/etc/passwd", "permission denied"]),
    ("/etc", ["/etc", "permission denied"]),
])
def test_run_of_a_program_that_cannot_start(rt, program, words):
    b = rt.bundle()
    b.args(program)
    err = error_text(rt.run(b, rt.new_id()))
    for w in words:
        assert w in err, f"{w!r} missing in {err!r}"


@pytest.mark.parametrize("program,words", [
    ("nosuchprogram", ["nosuchprogram", "executable file not found in $PATH"]),
    ("/nonexistent/program", ["/nonexistent/program", "no such file or directory"]),
    ("/etc/passwd", ["/etc/passwd", "permission denied"]),
])
def test_exec_of_a_program_that_cannot_start(rt, program, words):
    cid = running_container(rt)
    err = error_text(rt("exec", cid, program))
    for w in words:
        assert w in err, f"{w!r} missing in {err!r}"


def test_mount_of_a_directory_on_a_file_says_not_a_directory(rt, tmp_path):
    # Docker adds "Are you trying to mount a directory onto a file (or
    # vice-versa)?" and exit code 127 (it lowercases the message first)
    b = rt.bundle()
    b.add_mount("/etc/passwd", "bind", str(tmp_path), ["rbind"], make_target=False)
    b.args("true")
    assert "not a directory" in error_text(rt.run(b, rt.new_id())).lower()


# -- runc's words for refusals that scripts around the engines match --------------

def test_pause_of_a_stopped_container_says_container_not_running(rt):
    cid = stopped_container(rt)
    assert "container not running" in error_text(rt("pause", cid))


def test_resume_of_a_running_container_says_container_not_paused(rt):
    cid = running_container(rt)
    assert "container not paused" in error_text(rt("resume", cid))


def test_create_of_an_existing_id_says_container_with_given_id_already_exists(rt):
    cid = running_container(rt)
    b = rt.bundle("again")
    b.sh("exit 0")
    res = rt.create(b, cid)[1]
    assert "container with given ID already exists" in error_text(res)
    assert rt.state(cid)["status"] == "running"


def test_update_of_a_stopped_container_says_container_not_running(rt):
    cid = stopped_container(rt)
    assert "container not running" in error_text(rt("update", "--memory", "100000000", cid))


def test_exec_in_a_stopped_container_says_cannot_exec_in_a_stopped_container(rt):
    cid = stopped_container(rt)
    assert "cannot exec in a stopped container" in error_text(rt("exec", cid, "true"))


def test_exec_in_a_paused_container_says_cannot_exec_in_a_paused_container(rt):
    cid = running_container(rt)
    assert rt("pause", cid).rc == 0
    try:
        assert "cannot exec in a paused container" in error_text(rt("exec", cid, "true"))
    finally:
        rt("resume", cid)
