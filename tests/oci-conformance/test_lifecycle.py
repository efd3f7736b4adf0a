"""The lifecycle of runtime.md: create, start, state, kill, delete, and run."""

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from berthtest import assert_one_error_line
from host_objects import ns_link, pid_alive, wait_for

WAIT_FOR_GO = "while [ ! -e /out/go ]; do sleep 0.05; done"


def lifecycle_bundle(rt, script):
    out = rt.host_dir("out")
    b = rt.bundle()
    b.bind("/out", out)
    b.sh(script)
    return b, out


def test_create_start_stop_delete_state_json(rt):
    b, out = lifecycle_bundle(rt, f"echo ran > /out/marker; {WAIT_FOR_GO}; exit 0")
    b.config["annotations"] = {"org.example.key": "value", "com.example/other": "x y"}
    cid = rt.create_ok(b)

    st = rt.state(cid)
    assert st["status"] == "created", st
    assert st["id"] == cid
    assert isinstance(st["ociVersion"], str) and st["ociVersion"], st
    assert st["bundle"] == str(b.path.resolve()), st
    assert os.path.isabs(st["bundle"])
    assert st["annotations"] == {"org.example.key": "value", "com.example/other": "x y"}, st
    pid = st["pid"]
    assert isinstance(pid, int) and pid > 0, st
    assert pid_alive(pid), f"created container's pid {pid} is not alive"
    # the pid is the container's init, inside its own namespaces
    assert ns_link("mnt", pid) != ns_link("mnt"), "state pid is not in the container's mount namespace"
    assert ns_link("pid", pid) != ns_link("pid"), "state pid is not in the container's pid namespace"

    # create is done: the init is the only process left of it
    procs = [p for p, _ in rt.leftovers()]
    assert procs == [pid], f"processes after create: {rt.leftovers()} (init is {pid})"

    # nothing of the user's runs before start
    time.sleep(0.5)
    assert not (out / "marker").exists(), "the user process ran before `start`"

    res = rt("start", cid)
    assert res.rc == 0, res
    wait_for(lambda: (out / "marker").exists(), what="the process to run after start")
    st = rt.state(cid)
    assert st["status"] == "running", st
    assert st["pid"] == pid, "pid changed between create and start"

    (out / "go").touch()
    st = rt.wait_status(cid, "stopped")
    assert st["id"] == cid and st["bundle"] == str(b.path.resolve())

    res = rt("delete", cid)
    assert res.rc == 0, res
    assert not (Path(rt.root) / cid).exists(), "state dir remains after delete"
    res = rt("state", cid)
    assert_one_error_line(res)


def test_process_does_not_run_before_start_even_for_long(rt):
    b, out = lifecycle_bundle(rt, "echo ran > /out/marker")
    cid = rt.create_ok(b)
    time.sleep(1.5)
    assert not (out / "marker").exists(), "the user process ran before `start`"
    assert rt.state(cid)["status"] == "created"
    assert rt("start", cid).rc == 0
    wait_for(lambda: (out / "marker").exists(), what="marker after start")
    rt.wait_status(cid, "stopped")


def test_start_twice_fails(rt):
    b, out = lifecycle_bundle(rt, WAIT_FOR_GO)
    cid = rt.create_ok(b)
    assert rt("start", cid).rc == 0
    rt.wait_status(cid, "running")
    res = rt("start", cid)
    assert_one_error_line(res)
    assert rt.state(cid)["status"] == "running"
    (out / "go").touch()
    rt.wait_status(cid, "stopped")
    res = rt("start", cid)
    assert_one_error_line(res)


def test_state_of_unknown_container_fails(rt):
    assert_one_error_line(rt("state", "does-not-exist"))
    assert_one_error_line(rt("start", "does-not-exist"))
    assert_one_error_line(rt("delete", "does-not-exist"))
    assert_one_error_line(rt("kill", "does-not-exist", "KILL"))


def test_bundle_defaults_to_cwd_and_state_bundle_is_absolute(rt):
    b, out = lifecycle_bundle(rt, "true")
    b.write()
    cid = rt.new_id()
    res = rt("create", cid, cwd=b.path)
    assert res.rc == 0, res
    assert rt.state(cid)["bundle"] == str(b.path.resolve())
    cid2 = rt.new_id()
    res = rt("create", "-b", b.path.name, cid2, cwd=b.path.parent)
    assert res.rc == 0, res
    assert rt.state(cid2)["bundle"] == str(b.path.resolve())


def test_pid_file_create(rt):
    b, out = lifecycle_bundle(rt, "true")
    pidfile = rt.workdir / "c.pid"
    cid = rt.create_ok(b, None, "--pid-file", pidfile)
    st = rt.state(cid)
    assert pidfile.exists(), "--pid-file was not written"
    assert int(pidfile.read_text().strip()) == st["pid"]


def test_pid_file_relative_to_cwd(rt):
    b, out = lifecycle_bundle(rt, "true")
    b.write()
    cid = rt.new_id()
    res = rt("create", "-b", b.path, "--pid-file", "rel.pid", cid, cwd=rt.workdir)
    assert res.rc == 0, res
    assert int((rt.workdir / "rel.pid").read_text().strip()) == rt.state(cid)["pid"]


def test_pid_file_run_detached(rt):
    b, out = lifecycle_bundle(rt, WAIT_FOR_GO)
    pidfile = rt.workdir / "run.pid"
    cid = rt.new_id()
    res = rt.run(b, cid, "-d", "--pid-file", pidfile)
    assert res.rc == 0, res
    st = rt.state(cid)
    assert st["status"] == "running"
    assert int(pidfile.read_text().strip()) == st["pid"]


def test_preserve_fds(rt):
    b, out = lifecycle_bundle(rt, "echo through-fd3 >&3")
    target = rt.workdir / "fd3.txt"
    b.write()
    cid = rt.new_id()
    # a shell opens fd 3 on the file, then becomes berth
    argv = ["sh", "-c", 'exec 3>"$0"; exec "$@"', str(target),
            *rt.berth.argv(["create", "-b", b.path, "--preserve-fds", "1", cid])]
    res = subprocess.run(argv, env=rt.berth.env, stdin=subprocess.DEVNULL,
                         stdout=open(rt.workdir / "o", "w"), stderr=open(rt.workdir / "e", "w"), timeout=60)
    assert res.returncode == 0, (rt.workdir / "e").read_text()
    assert rt("start", cid).rc == 0
    rt.wait_status(cid, "stopped")
    assert target.read_text() == "through-fd3\n"


@pytest.mark.parametrize("with_log", [False, True])
def test_preserve_fds_that_are_not_open_are_refused(rt, with_log):
    # Only fd 3 is passed but 3 more are asked for: the missing ones would be
    # taken by berth's own (the --log file, the state directory, whose lock
    # would then block every later command on the container) and reach it.
    b, _ = lifecycle_bundle(rt, "true")
    b.write()
    cid = rt.new_id()
    mounts = rt.snapshot_mounts()
    log = rt.workdir / "berth.log"
    extra = ["--log", str(log)] if with_log else []
    argv = ["sh", "-c", 'exec 3>"$0"; exec "$@"', str(rt.workdir / "fd3"),
            *rt.berth.argv([*extra, "create", "-b", b.path, "--preserve-fds", "4", cid])]
    res = subprocess.run(argv, env=rt.berth.env, stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 1, res
    where = log.read_text() if with_log else res.stderr
    assert "fd 4 is not open" in where and "--preserve-fds" in where, where
    rt.assert_clean(cid, mounts)


def test_caller_fds_do_not_reach_the_container(rt):
    # fd 5 is open (not close-on-exec) in the caller, and not passed with
    # --preserve-fds: neither the blocked init nor the user process may hold it
    b, out = lifecycle_bundle(rt, "ls /proc/self/fd > /out/fds")
    leak = rt.workdir / "leak.txt"
    b.write()
    cid = rt.new_id()
    argv = ["sh", "-c", 'exec 5>"$0"; exec "$@"', str(leak),
            *rt.berth.argv(["create", "-b", b.path, cid])]
    res = subprocess.run(argv, env=rt.berth.env, stdin=subprocess.DEVNULL,
                         stdout=open(rt.workdir / "o", "w"), stderr=open(rt.workdir / "e", "w"), timeout=60)
    assert res.returncode == 0, (rt.workdir / "e").read_text()
    pid = rt.state(cid)["pid"]
    held = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(leak):
                held.append(fd)
        except OSError:
            pass
    assert held == [], f"the created init holds the caller's fd(s) {held}"
    assert rt("start", cid).rc == 0
    rt.wait_status(cid, "stopped")
    fds = sorted(int(x) for x in (out / "fds").read_text().split())
    assert 5 not in fds, f"fds in the container: {fds}"


def test_no_leaked_fds_into_container(rt):
    b = rt.bundle()
    b.args("/bin/ls", "/proc/self/fd")
    out = rt.run_ok(b)
    fds = sorted(int(x) for x in out.split())
    # ls itself has its directory open: 0, 1, 2 and that one
    assert len(fds) <= 4 and fds[:3] == [0, 1, 2], f"fds open in the container: {fds}"


# -- run -------------------------------------------------------------------

@pytest.mark.parametrize("script,code", [("exit 0", 0), ("exit 3", 3), ("exit 255", 255)])
def test_run_exit_code(rt, script, code):
    b = rt.bundle()
    b.sh(script)
    res = rt.run(b)
    assert res.rc == code, res


@pytest.mark.parametrize("sig,code", [("9", 137), ("15", 143)])
def test_run_exit_code_when_killed_by_signal(rt, sig, code):
    # Without a pid namespace the shell is not an init, so it can signal itself.
    b = rt.bundle()
    b.drop_namespace("pid")
    b.sh(f"kill -{sig} $$; sleep 5")
    res = rt.run(b)
    assert res.rc == code, res


def test_run_exit_code_when_killed_from_outside(rt):
    out = rt.host_dir("out")
    b = rt.bundle()
    b.bind("/out", out)
    b.sh("touch /out/ready; exec sleep 1000")
    b.write()
    cid = rt.new_id()
    with open(rt.workdir / "run.out", "w") as fo, open(rt.workdir / "run.err", "w") as fe:
        proc = rt.berth.popen("run", "-b", b.path, cid, stdout=fo, stderr=fe)
        try:
            wait_for(lambda: (out / "ready").exists(), what="container to start")
            assert rt("kill", cid, "KILL").rc == 0
            rc = proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert rc == 137, f"run returned {rc}; stderr: {(rt.workdir / 'run.err').read_text()!r}"


def test_run_removes_container(rt):
    b = rt.bundle()
    b.sh("echo hello")
    cid = rt.new_id()
    res = rt.run(b, cid)
    assert res.rc == 0 and res.out == "hello\n", res
    assert not (Path(rt.root) / cid).exists(), "run left its state dir"
    assert rt("state", cid).rc == 1
    res = rt("list", "-q")
    assert cid not in res.out.split()


def test_run_keep(rt):
    b = rt.bundle()
    b.sh("exit 4")
    cid = rt.new_id()
    res = rt.run(b, cid, "--keep")
    assert res.rc == 4, res
    st = rt.state(cid)
    assert st["status"] == "stopped", st
    assert rt("delete", cid).rc == 0
    assert rt("state", cid).rc == 1


def test_run_detach(rt):
    out = rt.host_dir("out")
    b = rt.bundle()
    b.bind("/out", out)
    b.sh("echo up > /out/up; " + WAIT_FOR_GO)
    cid = rt.new_id()
    t0 = time.monotonic()
    res = rt.run(b, cid, "--detach")
    assert res.rc == 0, res
    assert time.monotonic() - t0 < 10
    wait_for(lambda: (out / "up").exists(), what="detached container to run")
    st = rt.state(cid)
    assert st["status"] == "running" and pid_alive(st["pid"]), st
    (out / "go").touch()
    rt.wait_status(cid, "stopped")
    assert rt("delete", cid).rc == 0


def test_run_short_flag_d(rt):
    b = rt.bundle()
    b.sh("sleep 1000")
    cid = rt.new_id()
    assert rt.run(b, cid, "-d").rc == 0
    assert rt.state(cid)["status"] == "running"
    assert rt("delete", "-f", cid).rc == 0


def test_run_passes_stdout_and_stderr(rt):
    b = rt.bundle()
    b.sh("echo to-out; echo to-err >&2")
    b.linux.pop("resources")  # nothing to warn about on stderr
    del b.process["capabilities"]["ambient"]
    res = rt.run(b)
    assert res.rc == 0, res
    assert res.out == "to-out\n"
    assert res.err == "to-err\n", res


# -- duplicate and invalid ids ---------------------------------------------

def test_duplicate_id_refused_without_touching_existing(rt):
    b, out = lifecycle_bundle(rt, "echo ran > /out/marker; " + WAIT_FOR_GO)
    cid = rt.create_ok(b)
    before = rt.state(cid)
    state_files = sorted((p.name, p.stat().st_mtime_ns) for p in (Path(rt.root) / cid).iterdir())

    b2, _ = rt.bundle("other"), None
    b2.sh("true")
    _, res = rt.create(b2, cid)
    assert_one_error_line(res, cid)
    res = rt.run(b2, cid)
    assert_one_error_line(res, cid)

    after = rt.state(cid)
    assert after == before, "the existing container's state changed"
    assert pid_alive(before["pid"])
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (Path(rt.root) / cid).iterdir()) == state_files
    assert rt("start", cid).rc == 0
    wait_for(lambda: (out / "marker").exists(), what="original container to run")


def test_concurrent_create_same_id(rt):
    b, out = lifecycle_bundle(rt, "true")
    b.write()
    cid = rt.new_id()
    outs = []
    procs = []
    for i in range(4):
        fo = open(rt.workdir / f"o{i}", "w")
        fe = open(rt.workdir / f"e{i}", "w")
        outs += [fo, fe]
        procs.append(rt.berth.popen("create", "-b", b.path, cid, stdout=fo, stderr=fe))
    codes = [p.wait(timeout=60) for p in procs]
    for f in outs:
        f.close()
    assert sorted(codes) == [0, 1, 1, 1], f"exit codes of 4 concurrent creates: {codes}"
    st = rt.state(cid)
    assert st["status"] == "created" and pid_alive(st["pid"])


@pytest.mark.parametrize("bad_id", ["", "../x", "a/b", ".", "..", "/abs", "x\ny"])
def test_invalid_ids(rt, bad_id):
    b = rt.bundle()
    b.sh("true")
    b.write()
    before = set(os.listdir(rt.workdir))
    res = rt("create", "-b", b.path, bad_id)
    assert_one_error_line(res)
    res = rt("run", "-b", b.path, bad_id)
    assert_one_error_line(res)
    assert set(os.listdir(rt.workdir)) <= before | {"state"}, "something was created outside --root"
    if Path(rt.root).exists():
        assert [p for p in Path(rt.root).iterdir() if p.is_dir()] == [], list(Path(rt.root).iterdir())
    assert rt.leftovers() == []


# -- kill ------------------------------------------------------------------

TRAPS = ("trap 'echo USR1 >> /out/sig' USR1; trap 'echo USR2 >> /out/sig' USR2; "
         "trap 'echo TERM >> /out/sig; exit 0' TERM; touch /out/ready; "
         "while :; do sleep 0.05; done")


def signals_seen(out):
    p = out / "sig"
    return p.read_text().split() if p.exists() else []


def test_kill_signal_names_and_numbers(rt):
    b, out = lifecycle_bundle(rt, TRAPS)
    cid = rt.create_ok(b)
    assert rt("start", cid).rc == 0
    wait_for(lambda: (out / "ready").exists(), what="traps installed")
    expected = []
    for sig, name in [("USR1", "USR1"), ("SIGUSR2", "USR2"), ("10", "USR1"), ("12", "USR2")]:
        res = rt("kill", cid, sig)
        assert res.rc == 0, res
        expected.append(name)
        wait_for(lambda: signals_seen(out) == expected, what=f"signal {sig} to arrive")
    res = rt("kill", cid)  # default: TERM
    assert res.rc == 0, res
    expected.append("TERM")
    wait_for(lambda: signals_seen(out) == expected, what="default signal TERM")
    rt.wait_status(cid, "stopped")


def test_kill_bad_signal(rt):
    b, out = lifecycle_bundle(rt, WAIT_FOR_GO)
    cid = rt.create_ok(b)
    for bad in ("NOTASIGNAL", "SIGFOO", "99999", "1x"):
        res = rt("kill", cid, bad)
        assert_one_error_line(res)
    assert rt.state(cid)["status"] == "created"


def test_kill_created_container(rt):
    b, out = lifecycle_bundle(rt, "echo ran > /out/marker")
    cid = rt.create_ok(b)
    pid = rt.state(cid)["pid"]
    assert rt("kill", cid, "KILL").rc == 0
    rt.wait_status(cid, "stopped")
    wait_for(lambda: not pid_alive(pid), what="init to die")
    assert not (out / "marker").exists()
    assert rt("delete", cid).rc == 0


def test_kill_signal_zero_checks_liveness(rt):
    # runc: `kill ID 0` sends nothing and answers whether the container's
    # init is alive: exit 0 while created/running/paused, 1 once stopped;
    # "SIG0" is not a signal name.
    b, out = lifecycle_bundle(rt, WAIT_FOR_GO)
    cid = rt.create_ok(b)
    pid = rt.state(cid)["pid"]
    res = rt("kill", cid, "0")
    assert res.rc == 0 and res.err == "", res
    assert rt.state(cid)["status"] == "created" and pid_alive(pid)
    assert rt("start", cid).rc == 0
    res = rt("kill", cid, "0")
    assert res.rc == 0, res
    res = rt("kill", "--all", cid, "0")
    assert res.rc == 0, res
    assert rt.state(cid)["status"] == "running", "signal 0 disturbed the container"
    assert_one_error_line(rt("kill", cid, "SIG0"), "SIG0")
    (out / "go").touch()
    rt.wait_status(cid, "stopped")
    assert_one_error_line(rt("kill", cid, "0"), "not running")
    assert rt("delete", cid).rc == 0
    assert_one_error_line(rt("kill", cid, "0"))


def test_kill_stopped_container_fails(rt):
    b, out = lifecycle_bundle(rt, "true")
    cid = rt.new_id()
    assert rt.run(b, cid, "--keep").rc == 0
    assert rt.state(cid)["status"] == "stopped"
    assert_one_error_line(rt("kill", cid, "TERM"))


def container_pids(init_pid):
    """Host pids of every process in the init's pid namespace."""
    target = ns_link("pid", init_pid)
    pids = []
    for e in os.listdir("/proc"):
        if e.isdigit() and pid_alive(int(e)):
            try:
                if os.readlink(f"/proc/{e}/ns/pid") == target:
                    pids.append(int(e))
            except OSError:
                pass
    return pids


def test_kill_all(rt):
    # The init ignores TERM (an init without a handler), its children do not:
    # only --all reaches them.
    script = ("sleep 1000 & sleep 1000 & touch /out/ready; wait; "
              "echo children-gone > /out/done; exec sleep 1000")
    b, out = lifecycle_bundle(rt, script)
    cid = rt.create_ok(b)
    assert rt("start", cid).rc == 0
    wait_for(lambda: (out / "ready").exists(), what="children to start")
    init = rt.state(cid)["pid"]
    wait_for(lambda: len(container_pids(init)) >= 3, what="three processes in the container")
    children = [p for p in container_pids(init) if p != init]

    assert rt("kill", cid, "TERM").rc == 0
    time.sleep(0.5)
    assert all(pid_alive(p) for p in children), "plain kill reached processes other than init"

    res = rt("kill", "--all", cid, "TERM")
    assert res.rc == 0, res
    wait_for(lambda: (out / "done").exists(), what="children killed by --all")
    assert not any(pid_alive(p) for p in children)

    res = rt("kill", "-a", cid, "KILL")
    assert res.rc == 0, res
    rt.wait_status(cid, "stopped")
    wait_for(lambda: not container_pids(init) or not pid_alive(init), what="init to die")


# -- delete ----------------------------------------------------------------

def test_delete_running_needs_force(rt):
    b, out = lifecycle_bundle(rt, "touch /out/ready; exec sleep 1000")
    cid = rt.create_ok(b)
    assert rt("start", cid).rc == 0
    wait_for(lambda: (out / "ready").exists(), what="container running")
    pid = rt.state(cid)["pid"]

    res = rt("delete", cid)
    assert_one_error_line(res, cid)
    assert rt.state(cid)["status"] == "running"
    assert pid_alive(pid)

    res = rt("delete", "--force", cid)
    assert res.rc == 0, res
    wait_for(lambda: not pid_alive(pid), what="process killed by delete --force")
    assert rt("state", cid).rc == 1
    assert not (Path(rt.root) / cid).exists()


def test_delete_created_without_force(rt):
    # A deliberate deviation from runtime.md shared with runc and crun.
    b, out = lifecycle_bundle(rt, "echo ran > /out/marker")
    cid = rt.create_ok(b)
    pid = rt.state(cid)["pid"]
    res = rt("delete", cid)
    assert res.rc == 0, res
    wait_for(lambda: not pid_alive(pid), what="created init to be killed")
    assert not (out / "marker").exists(), "deleting a created container ran its process"
    assert rt("state", cid).rc == 1
    assert not (Path(rt.root) / cid).exists()


def test_delete_force_created(rt):
    b, out = lifecycle_bundle(rt, "true")
    cid = rt.create_ok(b)
    pid = rt.state(cid)["pid"]
    assert rt("delete", "-f", cid).rc == 0
    wait_for(lambda: not pid_alive(pid), what="init killed")
    assert rt("state", cid).rc == 1


def test_delete_stopped(rt):
    b, out = lifecycle_bundle(rt, "true")
    cid = rt.create_ok(b)
    assert rt("start", cid).rc == 0
    rt.wait_status(cid, "stopped")
    assert rt("delete", cid).rc == 0
    assert rt("state", cid).rc == 1


def test_delete_leaves_no_mounts_or_processes(rt):
    b, out = lifecycle_bundle(rt, "exec sleep 1000")
    before = rt.snapshot_mounts()
    cid = rt.create_ok(b)
    assert rt("start", cid).rc == 0
    rt.wait_status(cid, "running")
    assert rt("delete", "--force", cid).rc == 0
    rt.assert_clean(cid, before)


# -- list ------------------------------------------------------------------

def test_list_formats(rt):
    b, out = lifecycle_bundle(rt, WAIT_FOR_GO)
    c1 = rt.create_ok(b)
    c2 = rt.create_ok(b)
    assert rt("start", c2).rc == 0
    rt.wait_status(c2, "running")

    res = rt("list", "-q")
    assert res.rc == 0, res
    assert sorted(res.out.split()) == sorted([c1, c2]), res

    res = rt("list")
    assert res.rc == 0, res
    lines = res.out_lines
    assert "ID" in lines[0].split() and "STATUS" in lines[0].split(), res
    rows = {l.split()[0]: l.split() for l in lines[1:]}
    assert set(rows) == {c1, c2}, res
    assert "created" in rows[c1] and "running" in rows[c2], res

    res = rt("list", "--format", "json")
    assert res.rc == 0, res
    items = json.loads(res.out)
    by_id = {i["id"]: i for i in items}
    assert set(by_id) == {c1, c2}
    assert by_id[c1]["status"] == "created" and by_id[c2]["status"] == "running"
    assert by_id[c1]["pid"] == rt.state(c1)["pid"]
    assert by_id[c1]["bundle"] == str(b.path.resolve())

    res = rt("list", "--format", "yaml")
    assert_one_error_line(res)


def test_list_empty_root(rt):
    res = rt("list", "-q")
    assert res.rc == 0 and res.out.strip() == "", res
    res = rt("list", "--format", "json")
    assert res.rc == 0, res
    assert json.loads(res.out) in ([], None), res


def test_delete_missing_container(rt):
    # Without --force it is an error; with --force there is nothing to do, and
    # engines (Podman after a failed create, containerd's shim cleanup) rely
    # on that succeeding quietly, as with runc and crun.
    cid = rt.new_id()
    res = rt("delete", cid)
    assert_one_error_line(res, cid, "does not exist")
    res = rt("delete", "--force", cid)
    assert res.rc == 0 and res.err == "", res
    assert not (Path(rt.root) / cid).exists()


@pytest.mark.parametrize("for_berth", [True, False])
def test_socket_activation_fds_pass_through(rt, for_berth):
    # systemd socket activation: fds 3.. named by LISTEN_FDS, for the pid in
    # LISTEN_PID, reach the container with LISTEN_FDS/LISTEN_PID=1 set, as with
    # runc. Meant for another pid, they are neither passed nor announced.
    b, out = lifecycle_bundle(
        rt, 'echo "fds=${LISTEN_FDS:-none} pid=${LISTEN_PID:-none}" > /out/env; '
            'echo via-fd3 >&3 || echo closed > /out/fd3')
    target = rt.workdir / "listen-fd3.txt"
    b.write()
    cid = rt.new_id()
    pid_expr = "$$" if for_berth else "1"
    argv = ["sh", "-c", f'exec 3>"$0"; LISTEN_FDS=1 LISTEN_PID={pid_expr} exec "$@"', str(target),
            *rt.berth.argv(["run", "-b", b.path, cid])]
    res = subprocess.run(argv, env=rt.berth.env, stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    if for_berth:
        assert (out / "env").read_text() == "fds=1 pid=1\n"
        assert target.read_text() == "via-fd3\n"
    else:
        assert (out / "env").read_text() == "fds=none pid=none\n"
        assert (out / "fd3").read_text() == "closed\n"
        assert target.read_text() == ""


NOTIFY_SENDER_C = r"""
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
/* sd_notify(3) by hand: one datagram to $NOTIFY_SOCKET. */
int main(int argc, char **argv) {
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || argc < 2) return 2;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    return sendto(fd, argv[1], strlen(argv[1]), 0, (struct sockaddr *)&addr, sizeof addr) < 0;
}
"""


@pytest.fixture(scope="module")
def notify_sender(tmp_path_factory):
    d = tmp_path_factory.mktemp("notify")
    (d / "notify.c").write_text(NOTIFY_SENDER_C)
    res = subprocess.run(["gcc", "-static", "-O2", "-o", str(d / "sd-notify"), str(d / "notify.c")],
                         capture_output=True, text=True)
    assert res.returncode == 0, f"gcc failed (apt-get install gcc libc6-dev): {res.stderr}"
    return d / "sd-notify"


def test_notify_socket_forwards_ready(rt, notify_sender):
    # A service manager's NOTIFY_SOCKET: the container sends to its own socket
    # (NOTIFY_SOCKET in its env); start returns once READY=1 came, and the
    # manager gets it with MAINPID, the init's host pid, as with runc.
    host = rt.workdir / "host-notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(host))
    listener.settimeout(20)
    b, out = lifecycle_bundle(
        rt, 'echo "env=$NOTIFY_SOCKET" > /out/env; /out/sd-notify "STATUS=warming up"; '
            'sleep 0.3; echo ready > /out/ready; /out/sd-notify READY=1; exec sleep 30')
    shutil.copy(notify_sender, out / "sd-notify")
    b.write()
    cid = rt.new_id()
    env = dict(rt.berth.env, NOTIFY_SOCKET=str(host))
    # The init keeps create's stdio: files, not pipes that would never close.
    with open(rt.workdir / "create.out", "w") as o, open(rt.workdir / "create.err", "w") as e:
        res = subprocess.run(rt.berth.argv(["create", "-b", b.path, cid]), env=env,
                             stdin=subprocess.DEVNULL, stdout=o, stderr=e, timeout=60)
    assert res.returncode == 0, (rt.workdir / "create.err").read_text()
    pid = rt.state(cid)["pid"]
    res = rt("start", cid)
    assert res.rc == 0, res
    # start returned only after the container said READY=1: the file written
    # just before sending it (0.3 s after STATUS) is there.  (A file written
    # after the send would race with start's return.)
    assert (out / "ready").exists()
    message = listener.recv(4096).decode()
    assert message.splitlines() == [f"MAINPID={pid}", "READY=1"], message
    assert (out / "env").read_text() == "env=/run/notify/notify.sock\n"
    listener.close()
    assert rt("delete", "--force", cid).rc == 0
