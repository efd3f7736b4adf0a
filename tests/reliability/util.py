"""Small helpers shared by the reliability tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

from berthtest import Berth, assert_one_error_line
from host_objects import pid_alive, wait_for
from leaks import ID_PREFIX


def new_id(rt) -> str:
    """A container id the leak counter recognises (its cgroups start with it)."""
    return rt.new_id(ID_PREFIX)


def sleeper(rt, name="bundle"):
    b = rt.bundle(name)
    b.sh("exec sleep 1000")
    del b.process["capabilities"]["ambient"]  # not grantable without inheritable: a warning
    return b


def quick(rt, name="bundle"):
    b = rt.bundle(name)
    b.args("/bin/true")
    del b.process["capabilities"]["ambient"]
    return b


def state_json_parses(rt, cid) -> None:
    """state.json, when it is there, is whole JSON (written atomically)."""
    path = Path(rt.root) / cid / "state.json"
    try:
        text = path.read_text()
    except FileNotFoundError:
        return
    json.loads(text)


def one_error(res, *words) -> str:
    return assert_one_error_line(res, *words)


def wait_gone(pid: int, timeout=20.0):
    wait_for(lambda: not pid_alive(pid) and not os.path.exists(f"/proc/{pid}"),
             timeout=timeout, what=f"pid {pid} to be gone")


def use_unified_cgroup_view(rt) -> None:
    """From now on rt runs berth as on a pure cgroup v2 host: each command in a
    private mount namespace with the host's cgroup2 hierarchy mounted at
    /sys/fs/cgroup. There berth clones the init straight into its cgroup
    (CLONE_INTO_CGROUP) and does not record its pid until create is done; on
    this hybrid host's v1 hierarchies it moves the init after the clone and
    records the pid first. The cgroups are the same hierarchy's in every
    command's namespace, and the host's leak count sees them."""
    wrapper = rt.host_dir("unified-view", 0o755) / "berth"
    wrapper.write_text(
        "#!/bin/sh\n"
        "exec unshare -m --propagation private sh -c "
        "'mount -t cgroup2 none /sys/fs/cgroup && exec \"$@\"' "
        f"sh {rt.berth.binary} \"$@\"\n")
    wrapper.chmod(0o755)
    env = rt.berth.env
    rt.berth = Berth(str(wrapper), rt.root, rt.token)
    rt.berth.env = env
