"""Rootless containers: berth run by an unprivileged user (uid 65534 here),
with a user namespace mapping either its own id only (written by berth) or a
range of /etc/subuid and /etc/subgid (written by newuidmap and newgidmap);
and, as root, user namespaces whose mappings decide who owns what the
container writes on the host."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import resource
import tempfile
from pathlib import Path

import pytest

from berthtest import assert_one_error_line, is_warning, missing_unprivileged_userns
from command import Result
from host_objects import host_mountinfo, pid_alive, wait_for

NOBODY = 65534
SUBID_BASE = 200000  # what the subids fixture gives uid 65534
SUBID_COUNT = 65536
# By full path: some tests give berth a PATH without the id map helpers.
AS_NOBODY = [shutil.which("setpriv") or "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]

pytestmark = pytest.mark.skipif(missing_unprivileged_userns() is not None,
                                reason=str(missing_unprivileged_userns()))


@pytest.fixture
def subids():
    """An /etc/subuid and /etc/subgid entry for uid 65534, and the host's
    files put back exactly as they were (or removed, when there were none)."""
    saved = {}
    for name in ("/etc/subuid", "/etc/subgid"):
        path = Path(name)
        saved[path] = path.read_bytes() if path.exists() else None
    try:
        for path, before in saved.items():
            text = (before or b"").decode()
            if text and not text.endswith("\n"):
                text += "\n"
            path.write_text(text + f"{NOBODY}:{SUBID_BASE}:{SUBID_COUNT}\n")
        yield SUBID_BASE
    finally:
        for path, before in saved.items():
            if before is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(before)


class Rootless:
    """berth as uid 65534 with its own state root (a directory that user
    owns), the test's token in the environment so leftovers are found."""

    def __init__(self, rt):
        self.rt = rt
        self.root = rt.workdir / "rootless-state"
        self.root.mkdir()
        os.chown(self.root, NOBODY, NOBODY)
        self.env = dict(rt.berth.env)
        self.env.pop("XDG_RUNTIME_DIR", None)
        self.ids: list[str] = []

    def __call__(self, *args, env=None, root=True, global_args=(), timeout=60) -> Result:
        argv = [*AS_NOBODY, self.rt.berth.binary]
        if root:
            argv += ["--root", str(self.root)]
        argv += [*global_args, *[str(a) for a in args]]
        # Files, not pipes: a detached container keeps berth's stdout.
        with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe,
                                  env=env or self.env, timeout=timeout)
            fo.seek(0)
            fe.seek(0)
            return Result(argv, proc.returncode, fo.read().decode(errors="replace"),
                          fe.read().decode(errors="replace"))

    def new_id(self) -> str:
        cid = self.rt.new_id("rl")
        self.ids.append(cid)
        return cid

    def cleanup(self):
        for cid in self.ids:
            self("delete", "--force", cid, timeout=20)


@pytest.fixture
def rl(rt):
    runner = Rootless(rt)
    yield runner
    runner.cleanup()


def rootless_bundle(rt, rl, *, terminal=False):
    """A bundle whose config.json is what `berth spec --rootless` writes for
    uid 65534, left as it is but for the terminal and the environment's
    token; the rootfs is root's, readable by everyone."""
    b = rt.bundle()
    spec_dir = rt.workdir / "spec"
    spec_dir.mkdir(exist_ok=True)
    os.chown(spec_dir, NOBODY, NOBODY)
    config = spec_dir / "config.json"
    config.unlink(missing_ok=True)
    res = rl("spec", "--rootless", "--bundle", spec_dir, root=False)
    assert res.rc == 0, res
    b.config = json.loads(config.read_text())
    b.process["terminal"] = terminal
    b.process["env"].append(f"BERTH_TEST_TOKEN={rt.token}")
    return b


def range_mappings(b):
    """Container root is the caller; container ids 1.. are the subordinate range."""
    for key in ("uidMappings", "gidMappings"):
        b.linux[key] = [{"containerID": 0, "hostID": NOBODY, "size": 1},
                        {"containerID": 1, "hostID": SUBID_BASE, "size": SUBID_COUNT}]


def shared_dir(rt, name="shared") -> Path:
    return rt.host_dir(name, mode=0o777)


def no_cgroup_warning(res: Result):
    warnings = [l for l in res.err_lines if is_warning(l)]
    assert len(warnings) == 1 and "cgroup" in warnings[0], res


def assert_nothing_left(rt, rl, cid):
    assert not (rl.root / cid).exists(), f"state directory of {cid} left behind"
    wait_for(lambda: not rt.leftovers(), timeout=3, what="no leftover processes")
    assert rl("state", cid).rc != 0


# ---------------------------------------------------------------------------
# spec --rootless and the state root
# ---------------------------------------------------------------------------

def test_spec_rootless_config_runs_unchanged_as_an_unprivileged_user(rt, rl):
    """The config `berth spec --rootless` writes, terminal and all, runs as uid
    65534 on a root-owned rootfs: a shell as root of the container, mapped to
    the caller."""
    if shutil.which("script") is None:
        pytest.skip("needs script(1) for a terminal")
    b = rootless_bundle(rt, rl, terminal=True)
    b.write()
    cid = rl.new_id()
    cmd = " ".join([*AS_NOBODY, rt.berth.binary, "--root", str(rl.root), "run",
                    "--bundle", str(b.path), cid])
    proc = subprocess.run(["script", "-qec", cmd, "/dev/null"], env=rl.env, timeout=60,
                          input="echo U$(id -u)G$(id -g); cat /proc/self/uid_map; exit 7\n", capture_output=True,
                          text=True)
    assert proc.returncode == 7, proc
    assert "U0G0" in proc.stdout, proc
    assert f"0 {NOBODY} 1" in " ".join(proc.stdout.split()), proc
    assert_nothing_left(rt, rl, cid)


def test_xdg_runtime_dir_holds_the_rootless_state(rt, rl):
    xdg = rt.workdir / "xdg"
    xdg.mkdir(mode=0o700)
    os.chown(xdg, NOBODY, NOBODY)
    env = dict(rl.env, XDG_RUNTIME_DIR=str(xdg))
    b = rootless_bundle(rt, rl)
    b.args("sleep", "1000").write()
    cid = rt.new_id("rl")
    try:
        res = rl("run", "-d", "--bundle", b.path, cid, env=env, root=False)
        assert res.rc == 0, res
        assert (xdg / "berth" / cid / "state.json").is_file()
        listed = rl("list", "-q", env=env, root=False)
        assert listed.out_lines == [cid], listed
        # --root still wins over XDG_RUNTIME_DIR
        assert rl("state", cid, env=env).rc != 0
    finally:
        res = rl("delete", "--force", cid, env=env, root=False)
    assert res.rc == 0, res
    assert not (xdg / "berth" / cid).exists()


def test_rootless_without_a_writable_state_root_says_how_to_fix_it(rt, rl):
    b = rootless_bundle(rt, rl)
    b.args("true").write()
    forbidden = rt.workdir / "root-only"
    forbidden.mkdir(mode=0o755)
    res = rl("--root", forbidden / "state", "run", "--bundle", b.path, rl.new_id(), root=False)
    assert_one_error_line(res, "--root", "XDG_RUNTIME_DIR")
    assert not (forbidden / "state").exists()


# ---------------------------------------------------------------------------
# the lifecycle, rootless
# ---------------------------------------------------------------------------

def test_rootless_lifecycle_with_its_own_id_mapped(rt, rl):
    b = rootless_bundle(rt, rl)
    b.args("sleep", "1000").write()
    cid = rl.new_id()
    res = rl("create", "--bundle", b.path, cid)
    assert res.rc == 0, res
    no_cgroup_warning(res)
    state = json.loads(rl("state", cid).out)
    assert state["status"] == "created"
    assert rl("start", cid).rc == 0
    state = json.loads(rl("state", cid).out)
    assert state["status"] == "running"
    init = state["pid"]
    assert Path(f"/proc/{init}").stat().st_uid == NOBODY
    assert f"0 {NOBODY} 1" in " ".join(Path(f"/proc/{init}/uid_map").read_text().split())
    assert Path(f"/proc/{init}/setgroups").read_text().strip() == "deny"

    listed = rl("list", "--format", "json")
    assert [c["id"] for c in json.loads(listed.out)] == [cid], listed

    ex = rl("exec", cid, "sh", "-c", "id -u; cat /proc/self/uid_map")
    assert ex.rc == 0, ex
    assert ex.out_lines[0] == "0" and ex.out_lines[1].split() == ["0", str(NOBODY), "1"], ex

    assert rl("exec", "-d", cid, "sleep", "999").rc == 0
    ps = rl("ps", "--format", "json", cid)
    assert ps.rc == 0, ps
    pids = json.loads(ps.out)
    assert init in pids and len(pids) == 2, ps

    paused = rl("pause", cid)
    assert_one_error_line(paused, "no cgroup", "freezer")

    assert rl("kill", "--all", cid, "KILL").rc == 0
    wait_for(lambda: json.loads(rl("state", cid).out)["status"] == "stopped", what="stopped")
    deleted = rl("delete", cid)
    assert deleted.rc == 0, deleted
    assert_nothing_left(rt, rl, cid)


def test_rootless_exec_with_a_process_limit_of_one(rt, rl):
    """RLIMIT_NPROC 1 for a caller other than root: the exec'd process is
    forked into the container before it takes that limit (a fork under it
    would fail while the container's init counts), and has it at its exec."""
    b = rootless_bundle(rt, rl)
    b.process["rlimits"] = [{"type": "RLIMIT_NPROC", "soft": 1, "hard": 1}]
    b.args("sleep", "1000").write()
    cid = rl.new_id()
    assert rl("run", "-d", "--bundle", b.path, cid).rc == 0
    ex = rl("exec", cid, "cat", "/proc/self/limits")
    assert ex.rc == 0, ex
    line = next(l for l in ex.out_lines if l.startswith("Max processes"))
    assert line.split()[2:4] == ["1", "1"], ex


def test_rootless_run_exit_code_and_a_file_owned_by_the_caller(rt, rl):
    shared = shared_dir(rt)
    b = rootless_bundle(rt, rl)
    b.bind("/shared", shared).sh("touch /shared/by-root; exit 3").write()
    res = rl("run", "--bundle", b.path, rl.new_id())
    assert res.rc == 3, res
    st = (shared / "by-root").stat()
    assert (st.st_uid, st.st_gid) == (NOBODY, NOBODY)


def test_rootless_false_keeps_cgroup_errors_fatal(rt, rl):
    b = rootless_bundle(rt, rl)
    b.args("true").write()
    cid = rl.new_id()
    res = rl("run", "--bundle", b.path, cid, global_args=["--rootless=false"])
    assert_one_error_line(res, "cgroup", "permission denied")
    assert_nothing_left(rt, rl, cid)


def test_rootless_refuses_limits_it_cannot_apply(rt, rl):
    """Without a delegated cgroup a memory limit would silently not apply:
    create refuses, naming the controller, and leaves nothing."""
    b = rootless_bundle(rt, rl)
    b.args("true")
    b.linux["resources"] = {"memory": {"limit": 64 << 20}, "pids": {"limit": 100}}
    b.write()
    cid = rl.new_id()
    res = rl("run", "--bundle", b.path, cid)
    line = assert_one_error_line(res, "rootless", "memory", "pids", "cgroup")
    assert "not delegated" in line, res
    assert_nothing_left(rt, rl, cid)


def test_rootless_oom_score_adj_may_only_be_raised(rt, rl):
    b = rootless_bundle(rt, rl)
    b.args("cat", "/proc/self/oom_score_adj")
    b.process["oomScoreAdj"] = 500
    b.write()
    res = rl("run", "--bundle", b.path, rl.new_id())
    assert res.rc == 0 and res.out.strip() == "500", res
    b.process["oomScoreAdj"] = -500
    b.write()
    cid = rl.new_id()
    res = rl("run", "--bundle", b.path, cid)
    assert_one_error_line(res, "oomScoreAdj", "-500", "privileged")
    assert_nothing_left(rt, rl, cid)


def test_rootless_hard_rlimit_above_the_callers_is_a_clear_error(rt, rl):
    b = rootless_bundle(rt, rl)
    b.args("true")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    b.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": hard + 1}]
    b.write()
    cid = rl.new_id()
    res = rl("run", "--bundle", b.path, cid)
    assert_one_error_line(res, "RLIMIT_NOFILE", str(hard + 1), str(hard))
    assert_nothing_left(rt, rl, cid)


# ---------------------------------------------------------------------------
# subordinate id ranges through newuidmap/newgidmap
# ---------------------------------------------------------------------------

def test_rootless_range_mapping_through_newuidmap(rt, rl, subids):
    if shutil.which("newuidmap") is None:
        pytest.skip("needs newuidmap (the uidmap package)")
    shared = shared_dir(rt)
    b = rootless_bundle(rt, rl)
    range_mappings(b)
    b.bind("/shared", shared).args("sleep", "1000").write()
    cid = rl.new_id()
    res = rl("run", "-d", "--bundle", b.path, cid)
    assert res.rc == 0, res
    init = json.loads(rl("state", cid).out)["pid"]
    lines = [l.split() for l in Path(f"/proc/{init}/uid_map").read_text().splitlines()]
    assert lines == [["0", str(NOBODY), "1"], ["1", str(subids), str(SUBID_COUNT)]]

    ex = rl("exec", cid, "touch", "/shared/by-root")
    assert ex.rc == 0, ex
    ex = rl("exec", "--user", "1000:1000", cid, "sh", "-c", "id -u; id -g; touch /shared/by-1000")
    assert ex.rc == 0 and ex.out_lines == ["1000", "1000"], ex
    root_file = (shared / "by-root").stat()
    user_file = (shared / "by-1000").stat()
    assert (root_file.st_uid, root_file.st_gid) == (NOBODY, NOBODY)
    assert (user_file.st_uid, user_file.st_gid) == (subids + 999, subids + 999)

    assert rl("delete", "--force", cid).rc == 0
    assert_nothing_left(rt, rl, cid)


def test_newuidmap_refusing_a_range_is_one_clear_line(rt, rl, subids):
    if shutil.which("newuidmap") is None:
        pytest.skip("needs newuidmap (the uidmap package)")
    b = rootless_bundle(rt, rl)
    range_mappings(b)
    b.linux["uidMappings"][1]["hostID"] = subids + SUBID_COUNT  # past the caller's range
    b.args("true").write()
    cid = rl.new_id()
    res = rl("run", "--bundle", b.path, cid)
    line = assert_one_error_line(res, "uid mappings", "newuidmap", str(subids + SUBID_COUNT))
    assert "not allowed" in line, res  # what newuidmap itself said
    assert_nothing_left(rt, rl, cid)


def test_missing_newuidmap_is_one_clear_line(rt, rl, subids):
    b = rootless_bundle(rt, rl)
    range_mappings(b)
    b.args("true").write()
    cid = rl.new_id()
    env = dict(rl.env, PATH=str(rt.workdir / "empty-path"))
    res = rl("run", "--bundle", b.path, cid, env=env)
    assert_one_error_line(res, "newuidmap", "not installed")
    assert_nothing_left(rt, rl, cid)


# ---------------------------------------------------------------------------
# joining a user namespace
# ---------------------------------------------------------------------------

def nobody_holder(rt) -> int:
    """A process of uid 65534 in a user namespace of its own (root in it is
    65534), for a rootless container to join."""
    proc = subprocess.Popen([*AS_NOBODY, "unshare", "--user", "--map-root-user",
                             "sh", "-c", "exec sleep 1000"], stdin=subprocess.DEVNULL)
    rt.holders.append(proc)
    wait_for(lambda: Path(f"/proc/{proc.pid}/comm").read_text().strip() == "sleep",
             what="user namespace holder")
    return proc.pid


def test_rootless_joins_an_existing_user_namespace(rt, rl):
    holder = nobody_holder(rt)
    shared = shared_dir(rt)
    b = rootless_bundle(rt, rl)
    del b.linux["uidMappings"], b.linux["gidMappings"]
    b.set_namespace("user", f"/proc/{holder}/ns/user")
    b.bind("/shared", shared).args("sleep", "1000").write()
    cid = rl.new_id()
    res = rl("run", "-d", "--bundle", b.path, cid)
    assert res.rc == 0, res
    init = json.loads(rl("state", cid).out)["pid"]
    assert os.readlink(f"/proc/{init}/ns/user") == os.readlink(f"/proc/{holder}/ns/user")
    ex = rl("exec", cid, "sh", "-c", "id -u; touch /shared/joined")
    assert ex.rc == 0 and ex.out_lines == ["0"], ex
    assert (shared / "joined").stat().st_uid == NOBODY
    assert rl("delete", "--force", cid).rc == 0
    assert_nothing_left(rt, rl, cid)
    assert pid_alive(holder), "the joined namespace's holder must outlive the container"


# ---------------------------------------------------------------------------
# as root: mappings decide the host owner
# ---------------------------------------------------------------------------

def test_root_user_namespace_mapping_owns_written_files(rt):
    base = 300000
    shared = shared_dir(rt)
    b = rt.bundle()
    b.set_namespace("user")
    for key in ("uidMappings", "gidMappings"):
        b.linux[key] = [{"containerID": 0, "hostID": base, "size": 65536}]
    b.bind("/shared", shared).sh("touch /shared/by-root")
    b.write()
    out = rt.run_ok(b)
    assert out == "", out
    st = (shared / "by-root").stat()
    assert (st.st_uid, st.st_gid) == (base, base)
    b2 = rt.bundle("b2")
    b2.set_namespace("user")
    for key in ("uidMappings", "gidMappings"):
        b2.linux[key] = [{"containerID": 0, "hostID": base, "size": 65536}]
    b2.process["user"] = {"uid": 1000, "gid": 1000}
    b2.bind("/shared", shared).sh("touch /shared/by-1000")
    b2.write()
    rt.run_ok(b2)
    st = (shared / "by-1000").stat()
    assert (st.st_uid, st.st_gid) == (base + 1000, base + 1000)


def test_root_joins_an_existing_user_namespace(rt):
    holder = rt.holder("--user", "--map-root-user")
    b = rt.bundle()
    # the holder maps root alone: devpts's gid=5 (tty) does not exist there
    for m in b.config["mounts"]:
        if "options" in m:
            m["options"] = [o for o in m["options"] if not o.startswith(("uid=", "gid="))]
    b.set_namespace("user", f"/proc/{holder}/ns/user")
    b.args("cat", "/proc/self/uid_map").write()
    cid = rt.create_ok(b)
    init = rt.state(cid)["pid"]
    assert os.readlink(f"/proc/{init}/ns/user") == os.readlink(f"/proc/{holder}/ns/user")
    assert rt("delete", "--force", cid).rc == 0


def test_rootless_without_a_user_namespace_is_refused_up_front(rt, rl):
    b = rt.bundle()  # root's usual config: no user namespace
    b.args("true").write()
    cid = rl.new_id()
    res = rl("run", "--bundle", b.path, cid)
    assert_one_error_line(res, "/linux/namespaces", "user namespace", "rootless")
    assert_nothing_left(rt, rl, cid)


# ---------------------------------------------------------------------------
# a delegated cgroup
# ---------------------------------------------------------------------------

def cgroup_mounts() -> list[Path]:
    """Every cgroup hierarchy mounted on the host."""
    return [Path(m.mountpoint) for m in host_mountinfo() if m.fstype in ("cgroup", "cgroup2")]


@pytest.fixture
def delegated_cgroup(rt):
    """A cgroup in every hierarchy handed to uid 65534 (as a systemd user
    session would be), with a "launcher" child for berth itself: on v2 a
    process may only be moved between cgroups below one the mover may write."""
    name = "berth-rl-" + rt.token[-8:]
    made = []
    try:
        for mount in cgroup_mounts():
            top = mount / name
            top.mkdir()
            made.append(top)
            for knob in ("cpuset.cpus", "cpuset.mems"):
                if (mount / knob).exists():
                    (top / knob).write_text((mount / knob).read_text())
            (top / "launcher").mkdir()
            for path in [top, *top.rglob("*")]:
                os.chown(path, NOBODY, NOBODY)
        yield name
    finally:
        # whatever the test left running there (rl's cleanup comes later)
        for top in made:
            for procs in top.rglob("cgroup.procs"):
                for pid in procs.read_text().split():
                    try:
                        os.kill(int(pid), 9)
                    except ProcessLookupError:
                        pass
        for top in made:
            wait_for(lambda: not any(p.read_text().strip() for p in top.rglob("cgroup.procs")),
                     what=f"{top} to empty")
        for top in made:
            for child in sorted((p for p in top.rglob("*") if p.is_dir()),
                                key=lambda p: len(str(p)), reverse=True):
                try:
                    child.rmdir()
                except OSError:
                    pass
            try:
                top.rmdir()
            except OSError:
                pass


def test_rootless_in_a_delegated_cgroup_gets_limits_and_pause(rt, rl, delegated_cgroup):
    unified = [m for m in cgroup_mounts() if m.name == "unified" or
               (m == Path("/sys/fs/cgroup") and (m / "cgroup.controllers").exists())]
    launcher = [m / delegated_cgroup / "launcher" / "cgroup.procs" for m in unified]
    b = rootless_bundle(rt, rl)
    b.args("sleep", "1000")
    b.linux["cgroupsPath"] = f"/{delegated_cgroup}/ctr"
    b.linux["resources"] = {"memory": {"limit": 64 << 20}, "pids": {"limit": 64}}
    b.write()
    cid = rl.new_id()
    enter = "".join(f"echo $$ > {p}; " for p in launcher)
    argv = [*AS_NOBODY, rt.berth.binary, "--root", str(rl.root), "run", "-d",
            "--bundle", str(b.path), cid]
    # stderr to a file: the detached container keeps berth's
    with tempfile.TemporaryFile() as fe:
        proc = subprocess.run(["sh", "-c", enter + 'exec "$@"', "sh", *argv], env=rl.env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=fe,
                              timeout=60)
        fe.seek(0)
        err = fe.read().decode(errors="replace")
    assert proc.returncode == 0, err
    assert "warning" not in err, err
    init = json.loads(rl("state", cid).out)["pid"]
    memory = [m for m in cgroup_mounts() if "memory" in m.name.split(",")]
    if memory:
        ctr = memory[0] / delegated_cgroup / "ctr"
        assert int((ctr / "memory.limit_in_bytes").read_text()) == 64 << 20
        assert str(init) in (ctr / "cgroup.procs").read_text().split()
    # a freezer the user owns: pause works rootless too
    assert rl("pause", cid).rc == 0
    assert json.loads(rl("state", cid).out)["status"] == "paused"
    assert rl("resume", cid).rc == 0
    assert rl("delete", "--force", cid).rc == 0
    for m in cgroup_mounts():
        assert not (m / delegated_cgroup / "ctr").exists(), f"cgroup left in {m}"
    assert_nothing_left(rt, rl, cid)
