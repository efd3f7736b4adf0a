"""`--systemd-cgroup` end to end, against a fake system bus.

This host runs no systemd, so berth talks to the fake bus peer the unit tests
use (build/tests/unit/fake_systemd_bus: the real D-Bus protocol over a unix
socket, with systemd's replies and its JobRemoved signal), named in
DBUS_SYSTEM_BUS_ADDRESS. berth also checks that systemd runs
(/run/systemd/system): each berth command here runs in a private mount
namespace (unshare -m) with a tmpfs on /run/systemd holding that directory,
never on the host. The fake systemd records the calls but makes no cgroup:
berth then creates the scope's directories itself, as it does for the
hierarchies a real systemd leaves alone, so the placement can be checked on
this host's cgroups. What a real systemd would do with the calls is not
shown here.
"""

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from berthtest import Berth, assert_one_error_line
from host_objects import (cgroup_owner, existing_cgroup_dirs, host_cgroup_hierarchies, pid_alive,
                          remove_cgroup_trees, wait_for)

MiB = 1024 * 1024


def fake_bus_binary(berth: str) -> Path:
    # build/src/berth -> build/tests/unit/fake_systemd_bus
    return Path(berth).resolve().parents[1] / "tests" / "unit" / "fake_systemd_bus"


class FakeSystemd:
    def __init__(self, rt, behaviour: str):
        binary = fake_bus_binary(rt.berth.binary)
        if not binary.exists():
            pytest.skip(f"{binary} not built (meson setup -Dunit_tests=enabled)")
        self.dir = rt.host_dir("systemd-" + behaviour, 0o700)
        self.socket = self.dir / "system_bus_socket"
        self.log = self.dir / "calls"
        self.proc = subprocess.Popen([str(binary), str(self.socket), str(self.log), behaviour],
                                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        assert self.proc.stdout.readline() == b"listening\n"
        # berth in a mount namespace of its own where systemd seems to run.
        wrapper = self.dir / "berth-with-systemd"
        wrapper.write_text(
            "#!/bin/sh\n"
            "exec unshare -m --propagation private sh -c "
            "'mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system && exec \"$@\"' "
            f"sh {rt.berth.binary} \"$@\"\n")
        wrapper.chmod(0o755)
        self.berth = Berth(str(wrapper), rt.root, rt.token)
        self.berth.env["DBUS_SYSTEM_BUS_ADDRESS"] = f"unix:path={self.socket}"
        # A slice of the test's own: "btXXXX.slice" is /btXXXX.slice.
        self.slice = "bt" + uuid.uuid4().hex[:10] + ".slice"
        self.ids = []

    def calls(self) -> list:
        """[(member, [args], {property: value})] in the order received."""
        arg_counts = {"Hello": 0, "AddMatch": 1, "StartTransientUnit": 2, "StopUnit": 2}
        out = []
        text = self.log.read_text() if self.log.exists() else ""
        for line in text.splitlines():
            assert not line.startswith("Problem"), f"the fake bus found: {line}"
            if line.startswith("AuthLine") or line in ("--", ""):
                continue
            member, *fields = line.split("\t")
            n = arg_counts.get(member, len(fields))
            props = dict(f.split("=", 1) for f in fields[n:])
            out.append((member, fields[:n], props))
        return out

    def create(self, rt, b, cid):
        self.ids.append(cid)
        b.linux["cgroupsPath"] = f"{self.slice}:berth:{cid}"
        b.write()
        return self.berth("create", "--bundle", b.path, cid, global_args=("--systemd-cgroup",))

    def close(self):
        for cid in self.ids:
            self.berth("delete", "--force", cid, timeout=30)
        self.proc.kill()
        self.proc.wait()
        remove_cgroup_trees(existing_cgroup_dirs(f"/{self.slice}"))


@pytest.fixture
def fake_systemd(rt, request):
    made = []

    def make(behaviour):
        fake = FakeSystemd(rt, behaviour)
        made.append(fake)
        return fake

    yield make
    for fake in made:
        fake.close()


def scope_dirs(fake) -> list:
    return existing_cgroup_dirs(f"/{fake.slice}")


def test_create_places_the_init_in_the_scope_and_delete_stops_it(rt, fake_systemd):
    fake = fake_systemd("done")
    b = rt.bundle()
    b.sh("sleep 1000")
    b.linux["resources"] = {"memory": {"limit": 64 * MiB}, "pids": {"limit": 50}}
    cid = rt.new_id()
    res = fake.create(rt, b, cid)
    assert res.rc == 0, res
    pid = rt.state(cid)["pid"]
    unit = f"berth-{cid}.scope"

    calls = fake.calls()
    members = [c[0] for c in calls]
    assert members == ["Hello", "AddMatch", "StartTransientUnit"], calls
    _, args, props = calls[2]
    assert args == [unit, "replace"]
    assert props["PIDs"] == f"[{pid}]"
    assert props["Delegate"] == "true"
    assert props["Slice"] == fake.slice
    assert props["MemoryMax"] == str(64 * MiB)
    assert props["TasksMax"] == "50"

    # The init is in the scope's cgroup in every hierarchy, before it runs.
    scope = f"/{fake.slice}/{unit}"
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        assert line.split(":", 2)[2] == scope, line
    memory = cgroup_owner(host_cgroup_hierarchies(), "memory")
    if memory is not None and memory.version == 1:
        assert int((memory.dir(scope) / "memory.limit_in_bytes").read_text()) == 64 * MiB
    state = json.loads((Path(rt.root) / cid / "state.json").read_text())
    assert state["cgroup"]["systemd"]["unit"] == unit

    res = fake.berth("delete", "--force", cid)
    assert res.rc == 0, res
    assert fake.calls()[-1][:2] == ("StopUnit", [unit, "replace"])
    wait_for(lambda: not pid_alive(pid), what="the init to be gone")
    assert scope_dirs(fake) == []
    assert not (Path(rt.root) / cid).exists()


@pytest.mark.parametrize("behaviour,message", [
    ("failed", 'ended with result "failed"'),
    ("error", "org.freedesktop.systemd1.UnitExists: Unit berth-"),
])
def test_a_failed_start_leaves_nothing(rt, fake_systemd, behaviour, message):
    fake = fake_systemd(behaviour)
    b = rt.bundle()
    b.sh("sleep 1000")
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = fake.create(rt, b, cid)
    assert_one_error_line(res, "--systemd-cgroup", message)
    calls = fake.calls()
    members = [c[0] for c in calls]
    # The scope was asked for with the init's pid, then stopped on the way out.
    assert members == ["Hello", "AddMatch", "StartTransientUnit",
                       "Hello", "AddMatch", "StopUnit"], calls
    pid = int(calls[2][2]["PIDs"].strip("[]"))
    wait_for(lambda: not pid_alive(pid), what="the init to be gone")
    assert calls[5][1] == [f"berth-{cid}.scope", "replace"]
    rt.assert_clean(cid, before)
    assert scope_dirs(fake) == []
