"""OCI hooks (config.md "POSIX-platform Hooks", runtime.md "Lifecycle").

Every hook here is a small /bin/sh script that appends one line to a log
file: its name, the mount namespace it ran in, the fds it got beyond stdio,
and the state JSON it read on stdin. The runtime-namespace hooks (prestart,
createRuntime, createContainer, poststart, poststop) are host paths; the
startContainer hook's path resolves in the container, so the script and the
log live in a host directory bind-mounted at /out.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from berthtest import assert_one_error_line, is_warning
from host_objects import ns_link, pid_alive

KINDS = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
FATAL = ["prestart", "createRuntime", "createContainer", "startContainer"]
IN_CONTAINER = {"createContainer", "startContainer"}

# Appends "<label>\t<mnt ns>\t<fds above 2>\t<stdin>" to $LOG/log. The fd test
# uses the shell's own /proc/self (a builtin, so no child and no pipe), fds 3
# to 63, but for the one the shell reads this script from.
LOG_SCRIPT = r"""#!/bin/sh
fds=""
fd=3
while [ "$fd" -lt 64 ]; do
  [ -e /proc/self/fd/$fd ] && ! [ /proc/self/fd/$fd -ef "$0" ] && fds="$fds $fd"
  fd=$((fd + 1))
done
state=$(cat)
printf '%s\t%s\t%s\t%s\n' "$1" "$(readlink /proc/self/ns/mnt)" "${fds# }" "$state" >> "$LOG/log"
exit "${2:-0}"
"""


class HookSetup:
    """A bundle with hooks that log to `out`/log (out is /out in the container)."""

    def __init__(self, rt, bundle=None):
        self.rt = rt
        self.b = bundle or rt.bundle()
        self.out = rt.host_dir("out")
        self.script = self.out / "hook.sh"
        self.script.write_text(LOG_SCRIPT)
        os.chmod(self.script, 0o755)
        self.b.bind("/out", self.out)
        self.b.config["annotations"] = {"org.example.hooks": "yes", "org.example.other": "x y"}
        self.hooks: dict[str, list] = {}

    def entry(self, kind: str, label: str | None = None, status: int = 0, **extra) -> dict:
        inside = kind == "startContainer"
        path = "/out/hook.sh" if inside else str(self.script)
        log = "/out" if inside else str(self.out)
        hook = {"path": path, "args": ["hook.sh", label or kind, str(status)],
                "env": [f"LOG={log}", "PATH=/usr/bin:/bin", f"BERTH_TEST_TOKEN={self.rt.berth.token}"]}
        hook.update(extra)
        return hook

    def add(self, kind: str, hook: dict) -> "HookSetup":
        self.hooks.setdefault(kind, []).append(hook)
        self.b.config["hooks"] = self.hooks
        return self

    def log(self) -> list:
        path = self.out / "log"
        if not path.exists():
            return []
        lines = []
        for line in path.read_text().splitlines():
            label, mnt, fds, state = line.split("\t", 3)
            lines.append({"label": label, "mnt": mnt, "fds": fds,
                          "state": json.loads(state) if state else None})
        return lines

    def labels(self) -> list:
        return [entry["label"] for entry in self.log()]


def all_kinds(rt, sleep=True) -> HookSetup:
    setup = HookSetup(rt)
    for kind in KINDS:
        setup.add(kind, setup.entry(kind))
    # Two of a kind: run in the order listed.
    setup.add("createRuntime", setup.entry("createRuntime", "createRuntime-2"))
    if sleep:
        setup.b.args("sleep", "1000")
    return setup


def warnings(res) -> list:
    """berth's warnings about hooks (the default config's ambient capabilities
    bring warnings of their own)."""
    return [line for line in res.err_lines if is_warning(line) and "hook" in line]


# -- order, state, namespaces ------------------------------------------------------------

def test_all_six_in_order_across_create_start_delete(rt):
    setup = all_kinds(rt)
    before = rt.snapshot_mounts()
    cid = rt.create_ok(setup.b)
    assert setup.labels() == ["prestart", "createRuntime", "createRuntime-2", "createContainer"]
    assert rt.state(cid)["status"] == "created"
    res = rt("start", cid)
    assert res.rc == 0, res
    assert setup.labels()[4:] == ["startContainer", "poststart"]
    assert rt("kill", cid, "KILL").rc == 0
    rt.wait_status(cid, "stopped")
    assert setup.labels()[6:] == []
    res = rt("delete", cid)
    assert res.rc == 0, res
    assert setup.labels() == ["prestart", "createRuntime", "createRuntime-2", "createContainer",
                              "startContainer", "poststart", "poststop"]
    rt.assert_clean(cid, before)


def test_state_on_stdin_and_namespaces(rt):
    setup = all_kinds(rt)
    # fd 3, kept for the container (--preserve-fds 1), is berth's and the
    # init's, not the hooks': create runs with it open, not close-on-exec
    setup.b.write()
    cid = rt.new_id()
    argv = rt.berth.argv(["create", "--bundle", setup.b.path, "--preserve-fds", "1", cid])
    with tempfile.TemporaryFile() as out:
        proc = subprocess.run(["/bin/sh", "-c", 'exec "$@" 3</dev/null', "sh", *argv],
                              env=rt.berth.env, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                              timeout=60)
        out.seek(0)
        assert proc.returncode == 0, out.read()
    assert rt("start", cid).rc == 0
    pid = rt.state(cid)["pid"]
    container_mnt = ns_link("mnt", pid)
    host_mnt = ns_link("mnt")
    assert container_mnt != host_mnt
    assert rt("delete", "--force", cid).rc == 0
    expected_status = {"prestart": "creating", "createRuntime": "creating",
                       "createRuntime-2": "creating", "createContainer": "creating",
                       "startContainer": "created", "poststart": "running", "poststop": "stopped"}
    entries = setup.log()
    assert [e["label"] for e in entries] == list(expected_status)
    for e in entries:
        state = e["state"]
        label = e["label"]
        assert state["id"] == cid, e
        assert state["status"] == expected_status[label], e
        assert state["bundle"] == str(setup.b.path), e
        assert state["ociVersion"] == setup.b.config["ociVersion"], e
        assert state["annotations"] == setup.b.config["annotations"], e
        if label == "poststop":
            assert state.get("pid", 0) == 0, e  # the container is gone
        else:
            assert state["pid"] == pid, e
        where = container_mnt if label in IN_CONTAINER else host_mnt
        assert e["mnt"] == where, f"{label} ran in {e['mnt']}, expected {where}"
        # nothing of berth's (or the init's) beyond stdio reaches a hook
        assert e["fds"] == "", f"{label} got fds {e['fds']}"


def test_run_runs_every_kind(rt):
    setup = all_kinds(rt, sleep=False)
    setup.b.sh("echo program >> /out/log.program")
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt.run(setup.b, cid)
    assert res.rc == 0, res
    assert setup.labels() == ["prestart", "createRuntime", "createRuntime-2", "createContainer",
                              "startContainer", "poststart", "poststop"]
    assert (setup.out / "log.program").read_text() == "program\n"
    rt.assert_clean(cid, before)


@pytest.mark.parametrize("joined_netns", [False, True], ids=["userns", "userns-staged"])
def test_with_a_user_namespace(rt, joined_netns):
    # The init is root of its own user namespace when it runs createContainer
    # and startContainer; joining a network namespace as well makes berth
    # spawn the init in two stages (spawn.cpp): the hooks' handshake is the same.
    b = rt.bundle()
    b.set_namespace("user")
    b.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.linux["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    b.drop_mount("/sys/fs/cgroup")  # a v1 hierarchy cannot be mounted from a user namespace
    if joined_netns:
        b.set_namespace("network", rt.add_netns())
    setup = HookSetup(rt, b)
    log = setup.out / "log"
    log.touch()
    os.chmod(log, 0o666)  # written by host root and by the container's root
    for kind in KINDS:
        setup.add(kind, setup.entry(kind))
    b.args("true")
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt.run(b, cid)
    assert res.rc == 0, res
    assert setup.labels() == KINDS
    assert [e["fds"] for e in setup.log()] == [""] * len(KINDS)
    rt.assert_clean(cid, before)


def test_hooks_come_from_create_not_a_later_config(rt):
    # runtime.md: "Any updates to config.json after this step MUST NOT affect
    # the container": start and delete use the hooks create saw.
    setup = HookSetup(rt)
    setup.add("poststart", setup.entry("poststart"))
    setup.add("poststop", setup.entry("poststop"))
    setup.b.args("sleep", "1000")
    cid = rt.create_ok(setup.b)
    setup.b.config["hooks"] = {"poststart": [setup.entry("poststart", "changed-poststart")],
                               "poststop": [setup.entry("poststop", "changed-poststop")]}
    setup.b.write()
    assert rt("start", cid).rc == 0
    assert rt("delete", "--force", cid).rc == 0
    assert setup.labels() == ["poststart", "poststop"]


@pytest.mark.parametrize("command", ["start", "run-d"])
def test_poststart_hook_can_ask_berth_for_the_state(rt, command):
    # start holds the container's lock while it releases the init; the
    # poststart hooks run once it let go, so `berth state` answers them
    setup = HookSetup(rt)
    setup.b.args("sleep", "1000")
    cid = rt.new_id()
    script = f'exec "$0" --root "$1" state "$2" > {setup.out}/state.json'
    setup.add("poststart", {"path": "/bin/sh",
                            "args": ["sh", "-c", script, rt.berth.binary, rt.root, cid],
                            "timeout": 20})
    if command == "start":
        rt.create_ok(setup.b, cid)
        res = rt("start", cid)
    else:
        res = rt.run(setup.b, cid, "-d")
    assert res.rc == 0, res
    assert warnings(res) == [], res
    assert json.loads((setup.out / "state.json").read_text())["status"] == "running"


# -- what a hook gets ----------------------------------------------------------------

@pytest.mark.parametrize("kind", ["createRuntime", "createContainer", "poststop"])
def test_args_and_env_exactly(rt, kind):
    setup = HookSetup(rt)
    out = setup.out
    args = ["custom-argv0", "-c",
            f"/usr/bin/tr '\\0' '\\n' < /proc/self/cmdline > {out}/args;"
            f" /usr/bin/tr '\\0' '\\n' < /proc/self/environ > {out}/env",
            "one", "two words", ""]
    env = ["A=1", "B=two words", "EMPTY=", f"BERTH_TEST_TOKEN={rt.berth.token}"]
    setup.add(kind, {"path": "/bin/sh", "args": args, "env": env})
    setup.b.args("true")
    cid = rt.new_id()
    res = rt.run(setup.b, cid)
    assert res.rc == 0, res
    assert (out / "args").read_text().split("\n")[:-1] == args
    assert (out / "env").read_text().split("\n")[:-1] == env


@pytest.mark.parametrize("kind", ["createRuntime", "createContainer", "poststart", "poststop"])
def test_no_env_means_berths_environment(rt, kind):
    """runc and crun run a hook without env in their own environment (Go's
    exec with a nil Env); engines' hooks count on PATH from it."""
    setup = HookSetup(rt)
    out = setup.out
    setup.add(kind, {"path": "/bin/sh",
                     "args": ["sh", "-c", f"/usr/bin/tr '\\0' '\\n' < /proc/self/environ > {out}/env"]})
    setup.b.args("true")
    rt.berth.env["BT_HOOK_INHERITED"] = "from berth's caller"
    res = rt.run(setup.b, rt.new_id())
    assert res.rc == 0, res
    env = (out / "env").read_text().split("\n")
    assert "BT_HOOK_INHERITED=from berth's caller" in env, env
    assert f"BERTH_TEST_TOKEN={rt.berth.token}" in env, env
    assert f"PATH={rt.berth.env['PATH']}" in env, env


def test_no_args_means_the_path_is_argv0(rt):
    setup = HookSetup(rt)
    script = setup.out / "argv0.sh"
    script.write_text(f"#!/bin/sh\necho \"$0\" > {setup.out}/argv0\n")
    os.chmod(script, 0o755)
    setup.add("createRuntime", {"path": str(script)})
    setup.b.args("true")
    assert rt.run(setup.b).rc == 0
    assert (setup.out / "argv0").read_text() == f"{script}\n"


def test_stdout_and_stderr_are_berths(rt):
    setup = HookSetup(rt)
    setup.add("createRuntime", {"path": "/bin/sh", "args": ["sh", "-c", "echo hook-out; echo hook-err >&2"]})
    setup.b.args("true")
    cid, res = rt.create(setup.b)
    assert res.rc == 0, res
    assert "hook-out" in res.out_lines, res
    assert "hook-err" in res.err_lines, res


def test_a_hook_that_does_not_read_its_stdin(rt):
    # a big state (annotations) and a hook that exits at once: no SIGPIPE death
    setup = HookSetup(rt)
    setup.b.config["annotations"] = {f"org.example.k{i}": "v" * 1000 for i in range(200)}
    setup.add("createRuntime", {"path": "/bin/true"})
    setup.add("poststart", {"path": "/bin/true"})
    setup.add("poststop", setup.entry("poststop"))
    setup.b.args("true")
    res = rt.run(setup.b)
    assert res.rc == 0, res
    assert warnings(res) == [], res
    assert setup.labels() == ["poststop"]
    assert len(setup.log()[0]["state"]["annotations"]) == 200


# -- failures ------------------------------------------------------------------------

def _marker_program(setup):
    setup.b.sh("echo ran > /out/program-ran; exec sleep 1000")


@pytest.mark.parametrize("command", ["create", "run"])
@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer"])
def test_failing_create_hook_fails_and_leaves_nothing(rt, kind, command):
    setup = HookSetup(rt)
    setup.add(kind, setup.entry(kind, "ok-before"))
    setup.add(kind, setup.entry(kind, "failing", status=3))
    setup.add(kind, setup.entry(kind, "never"))
    setup.add("poststop", setup.entry("poststop"))
    _marker_program(setup)
    before = rt.snapshot_mounts()
    if command == "create":
        cid, res = rt.create(setup.b)
    else:
        cid = rt.new_id()
        res = rt.run(setup.b, cid)
    assert_one_error_line(res, f"{kind} hook 1 ({setup.script})", "exited with status 3")
    rt.assert_clean(cid, before)
    assert not (setup.out / "program-ran").exists()
    # the failing hook stops the list; the container is destroyed, then the
    # poststop hooks run (runtime.md: "continue the lifecycle at step 12")
    labels = setup.labels()
    assert labels == ["ok-before", "failing", "poststop"], labels
    assert setup.log()[-1]["state"]["status"] == "stopped"


def test_create_failing_before_any_hook_runs_no_poststop(rt):
    setup = HookSetup(rt)
    setup.add("createRuntime", setup.entry("createRuntime"))
    setup.add("poststop", setup.entry("poststop"))
    setup.b.config["root"]["path"] = "no-such-rootfs"
    before = rt.snapshot_mounts()
    cid, res = rt.create(setup.b)
    assert_one_error_line(res, "rootfs")
    rt.assert_clean(cid, before)
    assert setup.labels() == []


@pytest.mark.parametrize("command", ["start", "run"])
def test_failing_start_container_hook_fails_start(rt, command):
    setup = HookSetup(rt)
    setup.add("startContainer", setup.entry("startContainer", "failing", status=4))
    setup.add("startContainer", setup.entry("startContainer", "never"))
    setup.add("poststart", setup.entry("poststart"))
    setup.add("poststop", setup.entry("poststop"))
    _marker_program(setup)
    before = rt.snapshot_mounts()
    if command == "start":
        cid = rt.create_ok(setup.b)
        res = rt("start", cid)
        assert_one_error_line(res, "startContainer hook 0 (/out/hook.sh)", "exited with status 4")
        assert rt.state(cid)["status"] == "stopped"
        assert rt("delete", cid).rc == 0
    else:
        cid = rt.new_id()
        res = rt.run(setup.b, cid)
        assert_one_error_line(res, "startContainer hook 0 (/out/hook.sh)", "exited with status 4")
    rt.assert_clean(cid, before)
    assert not (setup.out / "program-ran").exists()
    assert setup.labels() == ["failing", "poststop"]


@pytest.mark.parametrize("kind", FATAL)
def test_missing_hook_binary_fails(rt, kind):
    setup = HookSetup(rt)
    setup.add(kind, {"path": "/no/such/hook"})
    _marker_program(setup)
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt.run(setup.b, cid)
    assert_one_error_line(res, f"{kind} hook 0 (/no/such/hook)", "No such file or directory")
    rt.assert_clean(cid, before)
    assert not (setup.out / "program-ran").exists()


@pytest.mark.parametrize("kind", ["createRuntime", "createContainer", "startContainer"])
def test_timeout_kills_the_hook_and_fails(rt, kind):
    setup = HookSetup(rt)
    log = "/out" if kind == "startContainer" else str(setup.out)
    path = "/bin/sh"
    setup.add(kind, {"path": path, "args": ["sh", "-c", f"echo $$ > {log}/hook-pid; exec sleep 1000"],
                     "env": ["PATH=/usr/bin:/bin", f"BERTH_TEST_TOKEN={rt.berth.token}"],
                     "timeout": 1})
    _marker_program(setup)
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt.run(setup.b, cid)
    assert_one_error_line(res, f"{kind} hook 0 (/bin/sh)", "timed out after 1 s")
    rt.assert_clean(cid, before)
    assert not (setup.out / "program-ran").exists()
    # (assert_clean found no process with the test's token: the hook had it)
    if kind == "createRuntime":  # a pid of the container's pid namespace means nothing here
        hook_pid = int((setup.out / "hook-pid").read_text())
        assert not pid_alive(hook_pid) or \
            "sleep" not in Path(f"/proc/{hook_pid}/cmdline").read_text(errors="replace")


def test_killed_hook_fails(rt):
    setup = HookSetup(rt)
    setup.add("createRuntime", {"path": "/bin/sh", "args": ["sh", "-c", "kill -TERM $$"]})
    setup.b.args("true")
    before = rt.snapshot_mounts()
    cid, res = rt.create(setup.b)
    assert_one_error_line(res, "createRuntime hook 0 (/bin/sh)", "killed by SIGTERM")
    rt.assert_clean(cid, before)


def test_failing_poststart_is_a_warning(rt):
    setup = HookSetup(rt)
    setup.add("poststart", setup.entry("poststart", "failing", status=5))
    setup.add("poststart", setup.entry("poststart", "second"))
    setup.b.args("sleep", "1000")
    cid = rt.create_ok(setup.b)
    res = rt("start", cid)
    assert res.rc == 0, res
    warned = warnings(res)
    assert len(warned) == 1 and f"poststart hook 0 ({setup.script})" in warned[0] \
        and "exited with status 5" in warned[0], res
    assert setup.labels() == ["failing", "second"]
    assert rt.state(cid)["status"] == "running"


@pytest.mark.parametrize("command", ["delete", "run"])
def test_failing_poststop_is_a_warning(rt, command):
    setup = HookSetup(rt)
    setup.add("poststop", setup.entry("poststop", "failing", status=6))
    setup.add("poststop", setup.entry("poststop", "second"))
    before = rt.snapshot_mounts()
    if command == "delete":
        setup.b.args("true")
        cid = rt.create_ok(setup.b)
        res = rt("delete", cid)
        assert res.rc == 0, res
    else:
        setup.b.sh("exit 7")
        cid = rt.new_id()
        res = rt.run(setup.b, cid)
        assert res.rc == 7, res
    warned = warnings(res)
    assert len(warned) == 1 and "poststop hook 0" in warned[0] and "status 6" in warned[0], res
    assert setup.labels() == ["failing", "second"]
    rt.assert_clean(cid, before)


def test_poststop_timeout_is_a_warning(rt):
    setup = HookSetup(rt)
    setup.add("poststop", {"path": "/bin/sleep", "args": ["sleep", "1000"], "timeout": 1,
                           "env": [f"BERTH_TEST_TOKEN={rt.berth.token}"]})
    setup.add("poststop", setup.entry("poststop", "second"))
    setup.b.args("true")
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt.run(setup.b, cid)
    assert res.rc == 0, res
    warned = warnings(res)
    assert len(warned) == 1 and "timed out after 1 s" in warned[0], res
    assert setup.labels() == ["second"]
    rt.assert_clean(cid, before)
