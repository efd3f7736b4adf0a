"""Cgroups on the real kernel: linux.cgroupsPath, every linux.resources field
in the file that carries it, enforcement (OOM kill, pids limit, device rules),
update, pause/resume, kill --all, delete --force, ps and events.

Each test gives its container a cgroupsPath of its own, under a parent that
is unique to the test ("/berthtest-<random>"), reads the kernel's files from
the host side while the container lives, and checks that nothing is left in
any hierarchy afterwards.  The teardown removes the parent (it is the test's)
and reports any container cgroup still inside it.

The file names are the cgroup v1 ones (a legacy or hybrid host, like the
development machine); a test whose controller is owned by the unified
hierarchy is skipped, except hugetlb, checked in whichever hierarchy owns it.
"""

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from berthtest import assert_one_error_line
from host_objects import (cgroup_owner, cgroup_procs, host_cgroup_hierarchies, pid_alive,
                          remove_cgroup_trees, wait_for)

MiB = 1024 * 1024
WAIT_FOR_GO = "while [ ! -e /out/go ]; do sleep 0.05; done"


# ---------------------------------------------------------------------------
# The test's cgroups
# ---------------------------------------------------------------------------

class CgroupTest:
    def __init__(self, rt):
        self.rt = rt
        self.hs = host_cgroup_hierarchies()
        if not self.hs:
            pytest.skip("no cgroup hierarchy is mounted")
        self.parent = "/berthtest-" + uuid.uuid4().hex[:10]
        self.parents = [self.parent]   # removed in teardown (cgroup paths)
        self.kept = set()               # leaf dirs the test leaves on purpose
        self._n = 0

    # -- where things are -----------------------------------------------------
    def owner(self, controller: str, version=1):
        h = cgroup_owner(self.hs, controller)
        if h is None:
            pytest.skip(f"no hierarchy owns the {controller} controller on this host")
        if version is not None and h.version != version:
            pytest.skip(f"{controller} is owned by cgroup v{h.version} here; this test reads v{version} files")
        return h

    def path(self, cid: str) -> str:
        return f"{self.parent}/{cid}"

    def dir(self, controller: str, cgpath: str, version=1) -> Path:
        return self.owner(controller, version).dir(cgpath)

    def read(self, controller: str, cgpath: str, name: str, version=1) -> str:
        f = self.dir(controller, cgpath, version) / name
        try:
            return f.read_text().strip()
        except FileNotFoundError:
            raise AssertionError(f"{f} does not exist: berth did not create the {controller} cgroup "
                                 f"(or the file is not on this kernel)")

    def dirs(self, cgpath: str) -> dict:
        return {h.label: h.dir(cgpath) for h in self.hs}

    def existing(self, cgpath: str) -> list:
        return sorted(str(d) for d in self.dirs(cgpath).values() if d.is_dir())

    def missing(self, cgpath: str) -> list:
        return sorted(str(d) for d in self.dirs(cgpath).values() if not d.is_dir())

    def assert_exists(self, cgpath: str):
        assert self.missing(cgpath) == [], f"cgroup {cgpath} missing in: {self.missing(cgpath)}"

    def assert_gone(self, cgpath: str):
        assert self.existing(cgpath) == [], f"cgroup {cgpath} left behind: {self.existing(cgpath)}"

    def expected_proc_path(self, h, cgpath: str) -> str:
        """What /proc/<pid>/cgroup shows for a process in cgpath (no cgroup namespace)."""
        rel = str(h.dir(cgpath).relative_to(h.mount_point))
        return "/" if rel == "." else "/" + rel

    def proc_cgroup_lines(self, text: str) -> dict:
        """/proc/<pid>/cgroup as {hierarchy label: path}."""
        by_ctrls = {h.controllers: h for h in self.hs if h.version == 1}
        out = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            hid, ctrls, path = line.split(":", 2)
            if hid == "0" and ctrls == "":
                out["unified"] = path
            else:
                h = by_ctrls.get(frozenset(c for c in ctrls.split(",") if c))
                if h is not None:
                    out[h.label] = path
        return out

    def assert_placed(self, pid: int, cgpath: str):
        """The process is in cgpath in every hierarchy."""
        got = self.proc_cgroup_lines(Path(f"/proc/{pid}/cgroup").read_text())
        want = {h.label: self.expected_proc_path(h, cgpath) for h in self.hs}
        assert got == want, f"pid {pid} is not in {cgpath} everywhere:\n got  {got}\n want {want}"
        for h in self.hs:
            assert pid in cgroup_procs(h.dir(cgpath)), f"pid {pid} not in {h.dir(cgpath)}/cgroup.procs"

    def procs(self, cgpath: str) -> list:
        """Every pid in the container's cgroup (the freezer hierarchy, or the first)."""
        h = cgroup_owner(self.hs, "freezer") or self.hs[0]
        return cgroup_procs(h.dir(cgpath))

    # -- bundles --------------------------------------------------------------
    def bundle(self, script=None, cgpath=None, resources=None, args=None):
        """A bundle with /out bound to a fresh host directory; returns
        (bundle, container id, out dir, cgroup path)."""
        self._n += 1
        out = self.rt.host_dir(f"out{self._n}")
        b = self.rt.bundle(f"bundle{self._n}")
        b.bind("/out", out)
        if args is not None:
            b.args(*args)
        else:
            b.sh(script)
        cid = self.rt.new_id()
        if cgpath is None:
            cgpath = self.path(cid)
        if cgpath is not False:
            b.linux["cgroupsPath"] = cgpath
        if resources:
            b.linux["resources"].update(resources)
        return b, cid, out, cgpath

    def start_running(self, b, cid, out, ready="ready"):
        self.rt.create_ok(b, cid)
        res = self.rt("start", cid)
        assert res.rc == 0, res
        wait_for(lambda: (out / ready).exists(), what=f"{cid} to be ready")
        return self.rt.state(cid)["pid"]

    # -- teardown -------------------------------------------------------------
    def cleanup(self):
        # the containers first (pytest tears this fixture down before `rt`)
        self.rt._delete_containers()
        self.rt._kill_leftovers()
        leaked = []
        for parent in self.parents:
            tops = [h.dir(parent) for h in self.hs if h.dir(parent).is_dir()]
            for top in tops:
                leaked += [str(c) for c in top.iterdir() if c.is_dir() and str(c) not in self.kept]
            remove_cgroup_trees(tops)
        if leaked:
            raise AssertionError(f"container cgroups left behind: {leaked}")


@pytest.fixture
def cg(rt):
    c = CgroupTest(rt)
    yield c
    c.cleanup()


def read_status(pid, key):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    return None


def block_device_of(path):
    """(major, minor) of the whole disk holding path, or None (no block device)."""
    st = os.stat(path)
    sysdir = Path(f"/sys/dev/block/{os.major(st.st_dev)}:{os.minor(st.st_dev)}")
    if not sysdir.exists():
        return None
    if (sysdir / "partition").exists():
        sysdir = sysdir.resolve().parent
    major, minor = (sysdir / "dev").read_text().strip().split(":")
    return int(major), int(minor)


def cpu_list(text):
    cpus = set()
    for part in text.strip().split(","):
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-")
            cpus.update(range(int(lo), int(hi) + 1))
        else:
            cpus.add(int(part))
    return cpus


# ---------------------------------------------------------------------------
# cgroupsPath and placement
# ---------------------------------------------------------------------------

def test_cgroup_in_every_hierarchy_init_placed_before_user_code(rt, cg):
    b, cid, out, path = cg.bundle("cat /proc/self/cgroup > /out/cgroup")
    rt.create_ok(b, cid)
    cg.assert_exists(path)
    pid = rt.state(cid)["pid"]
    cg.assert_placed(pid, path)
    assert rt("start", cid).rc == 0
    rt.wait_status(cid, "stopped")
    # the very first thing the user process did: it was already in the cgroup
    inside = cg.proc_cgroup_lines((out / "cgroup").read_text())
    want = {h.label: cg.expected_proc_path(h, path) for h in cg.hs}
    assert inside == want, f"/proc/self/cgroup inside the container:\n got  {inside}\n want {want}"
    assert rt("delete", cid).rc == 0
    cg.assert_gone(path)


def test_relative_cgroups_path_is_under_berths_own_cgroup(rt, cg):
    parent = "berthtest-rel-" + uuid.uuid4().hex[:8]
    cg.parents.append(parent)
    b, cid, out, _ = cg.bundle("touch /out/ready; exec sleep 1000")
    path = f"{parent}/{cid}"
    b.linux["cgroupsPath"] = path
    pid = cg.start_running(b, cid, out)
    cg.assert_exists(path)  # resolved from our own cgroup, which berth shares
    cg.assert_placed(pid, path)
    assert rt("delete", "--force", cid).rc == 0
    cg.assert_gone(path)


def test_default_cgroups_path_is_the_id(rt, cg):
    b, cid, out, _ = cg.bundle("touch /out/ready; exec sleep 1000", cgpath=False)
    assert "cgroupsPath" not in b.linux
    pid = cg.start_running(b, cid, out)
    cg.assert_exists(cid)  # relative "<id>", from berth's own cgroup
    cg.assert_placed(pid, cid)
    assert rt("delete", "--force", cid).rc == 0
    cg.assert_gone(cid)


def test_cgroup_namespace_shows_root(rt, cg):
    b, cid, out, path = cg.bundle("cat /proc/self/cgroup > /out/cgroup; touch /out/ready; exec sleep 1000")
    b.set_namespace("cgroup")
    pid = cg.start_running(b, cid, out)
    cg.assert_placed(pid, path)  # the host sees the real path
    inside = cg.proc_cgroup_lines((out / "cgroup").read_text())
    assert inside == {h.label: "/" for h in cg.hs}, \
        f"with a cgroup namespace every hierarchy should show '/': {inside}"
    assert rt("delete", "--force", cid).rc == 0
    cg.assert_gone(path)


# ---------------------------------------------------------------------------
# Each resource in its file
# ---------------------------------------------------------------------------

def created(rt, cg, resources, script="exec sleep 1000"):
    b, cid, out, path = cg.bundle(script, resources=resources)
    rt.create_ok(b, cid)
    return cid, path


def finish(rt, cg, cid, path):
    res = rt("delete", "--force", cid)
    assert res.rc == 0, res
    cg.assert_gone(path)


def test_memory_limit_reservation_swap(rt, cg):
    cid, path = created(rt, cg, {"memory": {"limit": 32 * MiB, "reservation": 16 * MiB,
                                            "swap": 64 * MiB}})
    assert cg.read("memory", path, "memory.limit_in_bytes") == str(32 * MiB)
    assert cg.read("memory", path, "memory.soft_limit_in_bytes") == str(16 * MiB)
    if (cg.owner("memory").mount_point / "memory.memsw.limit_in_bytes").exists():
        # OCI swap is memory+swap: v1's memsw limit
        assert cg.read("memory", path, "memory.memsw.limit_in_bytes") == str(64 * MiB)
    finish(rt, cg, cid, path)


# What Docker writes for a container without limits: 0 for each, which runc
# reads as "not set" (it writes nothing). Written, cpu.shares 0 becomes 2.
DOCKER_ZEROS = {"memory": {"limit": 0, "reservation": 0, "swap": 0, "kernel": 0, "kernelTCP": 0},
                "cpu": {"shares": 0, "quota": 0, "period": 0,
                        "realtimeRuntime": 0, "realtimePeriod": 0},
                "pids": {"limit": 0},
                "blockIO": {"weight": 0, "leafWeight": 0}}
NO_MEMORY_LIMIT = "9223372036854771712"  # PAGE_COUNTER_MAX pages, as v1 shows "none"


def test_zero_limits_are_not_set(rt, cg):
    for controller in ("memory", "cpu", "pids"):
        cg.owner(controller)
    cid, path = created(rt, cg, json.loads(json.dumps(DOCKER_ZEROS)))
    assert cg.read("cpu", path, "cpu.shares") == "1024", "cpu.shares 0 was written (the kernel's 2)"
    assert cg.read("cpu", path, "cpu.cfs_quota_us") == "-1"
    assert cg.read("cpu", path, "cpu.cfs_period_us") == "100000"
    assert cg.read("memory", path, "memory.limit_in_bytes") == NO_MEMORY_LIMIT
    assert cg.read("memory", path, "memory.soft_limit_in_bytes") == NO_MEMORY_LIMIT
    assert cg.read("pids", path, "pids.max") == "max"
    finish(rt, cg, cid, path)


def test_update_zero_limits_change_nothing(rt, cg):
    for controller in ("memory", "cpu", "pids"):
        cg.owner(controller)
    b, cid, out, path = cg.bundle("touch /out/ready; exec sleep 1000", resources={
        "memory": {"limit": 32 * MiB}, "pids": {"limit": 20},
        "cpu": {"shares": 512, "quota": 20000, "period": 50000}})
    cg.start_running(b, cid, out)
    # containerd's shim for `docker update --memory 64m`: the rest is 0
    doc = json.loads(json.dumps(DOCKER_ZEROS))
    doc["memory"]["limit"] = 64 * MiB
    res = rt("update", "-r", "-", cid, stdin=json.dumps(doc).encode())
    assert res.rc == 0, res
    assert cg.read("memory", path, "memory.limit_in_bytes") == str(64 * MiB)
    assert cg.read("cpu", path, "cpu.shares") == "512"
    assert cg.read("cpu", path, "cpu.cfs_quota_us") == "20000"
    assert cg.read("cpu", path, "cpu.cfs_period_us") == "50000"
    assert cg.read("pids", path, "pids.max") == "20"
    # `docker update --restart always`: nothing but zeros, nothing changes
    res = rt("update", "-r", "-", cid, stdin=json.dumps(DOCKER_ZEROS).encode())
    assert res.rc == 0, res
    assert cg.read("memory", path, "memory.limit_in_bytes") == str(64 * MiB)
    # flags of 0 leave their limit as it is, as in runc
    res = rt("update", "--memory", "48m", "--cpu-shares", "0", "--cpu-period", "0",
             "--cpu-quota", "0", "--pids-limit", "0", "--blkio-weight", "0", cid)
    assert res.rc == 0, res
    assert cg.read("memory", path, "memory.limit_in_bytes") == str(48 * MiB)
    assert cg.read("cpu", path, "cpu.shares") == "512"
    assert cg.read("cpu", path, "cpu.cfs_period_us") == "50000"
    assert cg.read("pids", path, "pids.max") == "20"
    finish(rt, cg, cid, path)


def test_update_memory_unlimited_lifts_the_swap_limit(rt, cg):
    cg.owner("memory")
    b, cid, out, path = cg.bundle("touch /out/ready; exec sleep 1000", resources={
        "memory": {"limit": 32 * MiB, "swap": 64 * MiB}})
    cg.start_running(b, cid, out)
    res = rt("update", "--memory", "-1", cid)
    assert res.rc == 0, res
    assert cg.read("memory", path, "memory.limit_in_bytes") == NO_MEMORY_LIMIT
    if (cg.owner("memory").mount_point / "memory.memsw.limit_in_bytes").exists():
        assert cg.read("memory", path, "memory.memsw.limit_in_bytes") == NO_MEMORY_LIMIT
    finish(rt, cg, cid, path)


def test_memory_disable_oom_killer(rt, cg):
    cid, path = created(rt, cg, {"memory": {"limit": 64 * MiB, "disableOOMKiller": True}})
    oom = dict(l.split() for l in cg.read("memory", path, "memory.oom_control").splitlines())
    assert oom.get("oom_kill_disable") == "1", f"memory.oom_control: {oom}"
    finish(rt, cg, cid, path)


def test_cpu_shares_quota_period(rt, cg):
    cid, path = created(rt, cg, {"cpu": {"shares": 512, "quota": 50000, "period": 200000}})
    assert cg.read("cpu", path, "cpu.shares") == "512"
    assert cg.read("cpu", path, "cpu.cfs_quota_us") == "50000"
    assert cg.read("cpu", path, "cpu.cfs_period_us") == "200000"
    finish(rt, cg, cid, path)


def test_cpu_burst_and_idle(rt, cg):
    root = cg.owner("cpu").mount_point
    if not (root / "cpu.cfs_burst_us").exists() or not (root / "cpu.idle").exists():
        pytest.skip("cpu.cfs_burst_us or cpu.idle not on this kernel")
    cid, path = created(rt, cg, {"cpu": {"quota": 50000, "period": 100000, "burst": 20000, "idle": 1}})
    assert cg.read("cpu", path, "cpu.cfs_burst_us") == "20000"
    assert cg.read("cpu", path, "cpu.idle") == "1"
    finish(rt, cg, cid, path)


def test_cpuset_cpus_mems_and_affinity(rt, cg):
    root = cg.owner("cpuset").mount_point
    cpus = sorted(cpu_list((root / "cpuset.effective_cpus").read_text()))
    mems = sorted(cpu_list((root / "cpuset.effective_mems").read_text()))
    cpu, mem = str(cpus[-1]), str(mems[0])
    b, cid, out, path = cg.bundle(
        "grep -E '^(Cpus|Mems)_allowed_list' /proc/self/status > /out/status; touch /out/ready; exec sleep 1000",
        resources={"cpu": {"cpus": cpu, "mems": mem}})
    rt.create_ok(b, cid)
    assert cg.read("cpuset", path, "cpuset.cpus") == cpu
    assert cg.read("cpuset", path, "cpuset.mems") == mem
    assert rt("start", cid).rc == 0
    wait_for(lambda: (out / "ready").exists(), what="container ready")
    status = dict(l.split(":\t") for l in (out / "status").read_text().splitlines())
    assert status["Cpus_allowed_list"] == cpu, status
    assert status["Mems_allowed_list"] == mem, status
    finish(rt, cg, cid, path)


def test_pids_limit(rt, cg):
    cid, path = created(rt, cg, {"pids": {"limit": 20}})
    assert cg.read("pids", path, "pids.max") == "20"
    finish(rt, cg, cid, path)


def test_blkio_throttle_device_lines(rt, cg):
    cg.owner("blkio")
    probe = rt.bundle("probe")
    dev = block_device_of(probe.rootfs)
    if dev is None:
        pytest.skip("the bundle's rootfs is not on a block device")
    major, minor = dev
    cid, path = created(rt, cg, {"blockIO": {
        "throttleReadBpsDevice": [{"major": major, "minor": minor, "rate": 1048576}],
        "throttleWriteBpsDevice": [{"major": major, "minor": minor, "rate": 2097152}],
        "throttleReadIOPSDevice": [{"major": major, "minor": minor, "rate": 300}],
        "throttleWriteIOPSDevice": [{"major": major, "minor": minor, "rate": 100}],
    }})
    want = {"blkio.throttle.read_bps_device": 1048576, "blkio.throttle.write_bps_device": 2097152,
            "blkio.throttle.read_iops_device": 300, "blkio.throttle.write_iops_device": 100}
    for name, rate in want.items():
        lines = cg.read("blkio", path, name).splitlines()
        assert f"{major}:{minor} {rate}" in lines, f"{name}: {lines}, expected '{major}:{minor} {rate}'"
    finish(rt, cg, cid, path)


def test_blkio_weight(rt, cg):
    root = cg.owner("blkio").mount_point
    names = [n for n in ("blkio.weight", "blkio.bfq.weight") if (root / n).exists()]
    if not names:
        pytest.skip("no blkio weight file on this host (the disk's I/O scheduler has no "
                    "proportional weights): blockIO.weight cannot be applied here")
    cid, path = created(rt, cg, {"blockIO": {"weight": 300}})
    got = cg.read("blkio", path, names[0]).split()
    # bfq prints "default 300"
    assert "300" in got, f"{names[0]}: {got}"
    finish(rt, cg, cid, path)


def device_rule_covers(rules, kind, major, minor, access):
    """Whether a devices.list line grants `access` on the device."""
    for r in rules:
        t, nums, acc = r.split()
        maj, mi = nums.split(":")
        if t not in ("a", kind):
            continue
        if maj not in ("*", str(major)) or mi not in ("*", str(minor)):
            continue
        if set(access) <= set(acc):
            return True
    return False


def test_device_rules_in_devices_list(rt, cg):
    cid, path = created(rt, cg, {"devices": [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 10, "minor": 200, "access": "rwm"},
        {"allow": True, "type": "b", "major": 7, "minor": 0, "access": "m"},
    ]})
    rules = cg.read("devices", path, "devices.list").splitlines()
    assert "a *:* rwm" not in rules, f"'deny all' not applied: {rules}"
    assert device_rule_covers(rules, "c", 10, 200, "rwm"), f"c 10:200 rwm not allowed: {rules}"
    assert device_rule_covers(rules, "b", 7, 0, "m"), f"b 7:0 m not allowed: {rules}"
    assert not device_rule_covers(rules, "b", 7, 0, "r"), f"b 7:0 readable, nothing allowed it: {rules}"
    assert not device_rule_covers(rules, "b", 254, 0, "rw"), f"a disk is readable: {rules}"
    # the default devices stay usable
    for name, (major, minor) in {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8),
                                 "urandom": (1, 9), "tty": (5, 0)}.items():
        assert device_rule_covers(rules, "c", major, minor, "rw"), f"/dev/{name} not allowed: {rules}"
    finish(rt, cg, cid, path)


def test_hugetlb_limits(rt, cg):
    h = cg.owner("hugetlb", version=None)
    sizes = {"2MB": "hugepages-2048kB", "1GB": "hugepages-1048576kB"}
    present = {s: d for s, d in sizes.items() if Path("/sys/kernel/mm/hugepages", d).is_dir()}
    if not present:
        pytest.skip("no 2MB or 1GB huge pages on this kernel")
    limits = {"2MB": 4 * 2 * MiB, "1GB": 1024 * MiB}
    cid, path = created(rt, cg, {"hugepageLimits": [{"pageSize": s, "limit": limits[s]} for s in present]})
    for s in present:
        name = f"hugetlb.{s}.max" if h.version == 2 else f"hugetlb.{s}.limit_in_bytes"
        f = h.dir(path) / name
        assert f.exists(), f"{f} missing (hugetlb not enabled for the container's cgroup?)"
        assert f.read_text().strip() == str(limits[s]), f"{f}: {f.read_text().strip()}"
    finish(rt, cg, cid, path)


# ---------------------------------------------------------------------------
# Enforcement
# ---------------------------------------------------------------------------

# dd reads /dev/zero into one 200 MiB buffer: anonymous memory, all touched
HOG = ["dd", "if=/dev/zero", "of=/dev/null", "bs=209715200", "count=1"]
HOG_SH = " ".join(HOG)
NO_SWAP_32M = {"memory": {"limit": 32 * MiB, "swap": 32 * MiB}}


def test_memory_hog_is_oom_killed_run_exits_137(rt, cg):
    cg.owner("memory")
    b, cid, out, path = cg.bundle(args=HOG, resources=NO_SWAP_32M)
    res = rt.run(b, cid)
    assert res.rc == 137, f"a 200 MiB allocation under a 32 MiB limit was not SIGKILLed\n{res}"
    assert rt("state", cid).rc != 0, "run did not delete the container"
    cg.assert_gone(path)


def test_oom_kill_reported_by_events(rt, cg):
    cg.owner("memory")
    # the hog is a child: the init survives it, so the container keeps running
    b, cid, out, path = cg.bundle(
        f"touch /out/ready; {WAIT_FOR_GO}; {HOG_SH}; echo rc=$? > /out/rc; exec sleep 1000",
        resources=NO_SWAP_32M)
    cg.start_running(b, cid, out)
    log = rt.workdir / "events.out"
    with open(log, "w") as fo, open(rt.workdir / "events.err", "w") as fe:
        events = rt.berth.popen("events", cid, stdout=fo, stderr=fe)
    try:
        time.sleep(1.0)  # let events set up its watch
        assert events.poll() is None, f"events exited early: {(rt.workdir / 'events.err').read_text()}"
        (out / "go").touch()
        wait_for(lambda: (out / "rc").exists(), timeout=30, what="the hog to finish")
        assert (out / "rc").read_text().strip() == "rc=137", f"hog was not killed: {(out / 'rc').read_text()}"

        oom = dict(l.split() for l in cg.read("memory", path, "memory.oom_control").splitlines())
        assert int(oom.get("oom_kill", "0")) >= 1, f"the kernel counted no OOM kill: {oom}"

        def oom_line():
            for line in log.read_text().splitlines():
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if ev.get("type") == "oom":
                    return ev
            return None
        try:
            ev = wait_for(oom_line, timeout=15, what="an oom event")
        except AssertionError:
            raise AssertionError(f"events printed no oom event; stdout: {log.read_text()!r} "
                                 f"stderr: {(rt.workdir / 'events.err').read_text()!r}")
        assert ev.get("id") == cid, ev
    finally:
        events.terminate()
        events.wait(timeout=10)
    finish(rt, cg, cid, path)


def test_fork_beyond_pids_limit_fails(rt, cg):
    cg.owner("pids")
    # builtins only after the loop: once the limit is reached even `touch` cannot run
    b, cid, out, path = cg.bundle(
        "( for i in $(seq 30); do sleep 1000 & done ) 2> /out/err; echo > /out/ready; exec sleep 1000",
        resources={"pids": {"limit": 10}})
    cg.start_running(b, cid, out)
    err = (out / "err").read_text()
    assert "fork" in err.lower() or "resource temporarily unavailable" in err.lower(), \
        f"no fork failure reported inside the container: {err!r}"
    procs = cg.procs(path)
    assert 1 <= len(procs) <= 10, f"{len(procs)} processes in a cgroup limited to 10: {procs}"
    current = int(cg.read("pids", path, "pids.current"))
    assert current <= 10, f"pids.current {current} above pids.max 10"
    events = dict(l.split() for l in cg.read("pids", path, "pids.events").splitlines())
    assert int(events.get("max", "0")) > 0, f"pids.events counts no refused fork: {events}"
    finish(rt, cg, cid, path)


def run_with_mknod(rt, b, cid, out) -> list:
    """Runs the bundle's script with CAP_MKNOD added; returns the words it
    logged to /out/log."""
    caps = b.process["capabilities"]
    for s in ("bounding", "effective", "permitted"):
        caps[s].append("CAP_MKNOD")
    res = rt.run(b, cid)
    assert res.rc == 0, res
    return (out / "log").read_text().split()


def test_device_cgroup_denies_and_allows(rt, cg):
    cg.owner("devices")
    script = """
        mknod /dev/denied b 7 0 && echo mknod-denied-ok || echo mknod-denied-failed
        mknod /dev/allowed b 7 1 && echo mknod-allowed-ok || echo mknod-allowed-failed
        (exec 3</dev/denied) 2>/out/denied.err && echo open-denied-ok || echo open-denied-failed
        (exec 3</dev/allowed) && echo open-allowed-ok || echo open-allowed-failed
        echo x > /dev/null && echo null-ok || echo null-failed
        head -c 4 /dev/zero | wc -c
    """
    b, cid, out, path = cg.bundle(f"exec > /out/log 2>&1; {script}", resources={"devices": [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "b", "major": 7, "minor": 0, "access": "m"},    # node, no open
        {"allow": True, "type": "b", "major": 7, "minor": 1, "access": "rwm"},  # control: usable
    ]})
    log = run_with_mknod(rt, b, cid, out)
    assert "mknod-denied-ok" in log and "mknod-allowed-ok" in log, log
    assert "open-allowed-ok" in log, f"an allowed block device could not be opened: {log}"
    assert "open-denied-failed" in log, f"the device cgroup let a denied device be opened: {log}"
    err = (out / "denied.err").read_text()
    assert "not permitted" in err.lower(), f"open of the denied device failed, but not with EPERM: {err!r}"
    assert "null-ok" in log and "4" in log, f"/dev/null or /dev/zero not usable: {log}"
    cg.assert_gone(path)


def test_default_rules_allow_any_mknod_but_no_open(rt, cg):
    """runc's defaults: mknod of any char or block device (c *:* m, b *:* m)
    after the config's "deny all"; opening the node needs a rule of its own."""
    cg.owner("devices")
    script = """
        mknod /dev/blk b 7 0 && echo mknod-b-ok || echo mknod-b-failed
        mknod /dev/chr c 42 42 && echo mknod-c-ok || echo mknod-c-failed
        (exec 3</dev/blk) 2>/out/blk.err && echo open-b-ok || echo open-b-failed
    """
    b, cid, out, path = cg.bundle(f"exec > /out/log 2>&1; {script}", resources={"devices": [
        {"allow": False, "access": "rwm"}]})
    log = run_with_mknod(rt, b, cid, out)
    assert "mknod-b-ok" in log and "mknod-c-ok" in log, log
    assert "open-b-failed" in log, f"mknod's rule let the node be opened: {log}"
    assert "not permitted" in (out / "blk.err").read_text().lower()
    cg.assert_gone(path)


def test_default_rules_allow_dev_net_tun(rt, cg):
    cg.owner("devices")
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("the host has no /dev/net/tun (no tun driver) to open")
    b, cid, out, path = cg.bundle(
        "exec > /out/log 2>&1; mkdir -p /dev/net; mknod /dev/net/tun c 10 200; "
        "[ -c /dev/net/tun ] && (exec 3</dev/net/tun) && echo tun-ok || echo tun-failed",
        resources={"devices": [{"allow": False, "access": "rwm"}]})
    caps = b.process["capabilities"]
    for s in ("bounding", "effective", "permitted"):
        caps[s].append("CAP_MKNOD")
    res = rt.run(b, cid)
    assert res.rc == 0, res
    assert "tun-ok" in (out / "log").read_text().split(), (out / "log").read_text()
    cg.assert_gone(path)


# ---------------------------------------------------------------------------
# update, pause/resume
# ---------------------------------------------------------------------------

def test_update_flags_change_live_limits(rt, cg):
    cg.owner("memory"), cg.owner("pids"), cg.owner("cpu")
    b, cid, out, path = cg.bundle("touch /out/ready; exec sleep 1000", resources={
        "memory": {"limit": 32 * MiB, "swap": 32 * MiB}, "pids": {"limit": 20}, "cpu": {"shares": 512}})
    pid = cg.start_running(b, cid, out)
    memsw = (cg.owner("memory").mount_point / "memory.memsw.limit_in_bytes").exists()

    # raising memory above the old memory+swap limit: the order of writes matters
    res = rt("update", "--memory", 64 * MiB, "--memory-swap", 128 * MiB, "--pids-limit", 50,
             "--cpu-shares", 1024, "--cpu-quota", 20000, "--cpu-period", 100000, cid)
    assert res.rc == 0, res
    assert cg.read("memory", path, "memory.limit_in_bytes") == str(64 * MiB)
    if memsw:
        assert cg.read("memory", path, "memory.memsw.limit_in_bytes") == str(128 * MiB)
    assert cg.read("pids", path, "pids.max") == "50"
    assert cg.read("cpu", path, "cpu.shares") == "1024"
    assert cg.read("cpu", path, "cpu.cfs_quota_us") == "20000"
    assert cg.read("cpu", path, "cpu.cfs_period_us") == "100000"

    # and lowering both below the old memory limit
    res = rt("update", "--memory", 16 * MiB, "--memory-swap", 16 * MiB, cid)
    assert res.rc == 0, res
    assert cg.read("memory", path, "memory.limit_in_bytes") == str(16 * MiB)
    if memsw:
        assert cg.read("memory", path, "memory.memsw.limit_in_bytes") == str(16 * MiB)
    assert cg.read("pids", path, "pids.max") == "50", "an update of memory alone changed pids.max"

    cpus = sorted(cpu_list((cg.owner("cpuset").mount_point / "cpuset.effective_cpus").read_text()))
    res = rt("update", "--cpuset-cpus", cpus[-1], cid)
    assert res.rc == 0, res
    assert cg.read("cpuset", path, "cpuset.cpus") == str(cpus[-1])
    assert read_status(pid, "Cpus_allowed_list") == str(cpus[-1]), "the process's affinity did not follow"

    assert rt.state(cid)["status"] == "running"
    finish(rt, cg, cid, path)


def test_update_resources_file_and_stdin(rt, cg):
    cg.owner("memory"), cg.owner("pids"), cg.owner("cpu")
    b, cid, out, path = cg.bundle("touch /out/ready; exec sleep 1000",
                                  resources={"memory": {"limit": 32 * MiB}, "pids": {"limit": 20}})
    cg.start_running(b, cid, out)
    f = rt.workdir / "resources.json"
    f.write_text(json.dumps({"memory": {"limit": 48 * MiB}, "pids": {"limit": 42}, "cpu": {"shares": 300}}))
    res = rt("update", "--resources", f, cid)
    assert res.rc == 0, res
    assert cg.read("memory", path, "memory.limit_in_bytes") == str(48 * MiB)
    assert cg.read("pids", path, "pids.max") == "42"
    assert cg.read("cpu", path, "cpu.shares") == "300"

    res = rt("update", "--resources", "-", cid, stdin=json.dumps({"pids": {"limit": 33}}).encode())
    assert res.rc == 0, res
    assert cg.read("pids", path, "pids.max") == "33"
    assert cg.read("memory", path, "memory.limit_in_bytes") == str(48 * MiB), \
        "an update of pids alone changed the memory limit"
    finish(rt, cg, cid, path)


COUNTER = "i=0; while :; do i=$((i+1)); echo $i > /out/counter; [ $i -eq 3 ] && touch /out/ready; sleep 0.05; done"


def counter(out):
    return int((out / "counter").read_text().strip() or 0)


def test_pause_freezes_and_resume_thaws(rt, cg):
    cg.owner("freezer")
    b, cid, out, path = cg.bundle(COUNTER)
    cg.start_running(b, cid, out)

    res = rt("pause", cid)
    assert res.rc == 0, res
    assert cg.read("freezer", path, "freezer.state") == "FROZEN"
    assert rt.state(cid)["status"] == "paused"
    before = counter(out)
    time.sleep(0.7)
    assert counter(out) == before, "the container's process kept running while paused"
    for p in cg.procs(path):
        # v1 freezer: frozen tasks sleep uninterruptibly in the refrigerator
        assert read_status(p, "State")[0] in "DT", f"pid {p} not frozen: {read_status(p, 'State')}"

    res = rt("resume", cid)
    assert res.rc == 0, res
    assert cg.read("freezer", path, "freezer.state") == "THAWED"
    assert rt.state(cid)["status"] == "running"
    wait_for(lambda: counter(out) > before + 2, what="the counter to move again after resume")
    finish(rt, cg, cid, path)


def test_delete_force_of_paused_container(rt, cg):
    cg.owner("freezer")
    b, cid, out, path = cg.bundle(COUNTER)
    cg.start_running(b, cid, out)
    pids = cg.procs(path)
    assert pids
    assert rt("pause", cid).rc == 0
    assert rt.state(cid)["status"] == "paused"
    res = rt("delete", "--force", cid, timeout=30)
    assert res.rc == 0, res
    wait_for(lambda: not any(pid_alive(p) for p in pids), timeout=5, what="the paused processes to die")
    assert rt("state", cid).rc != 0
    cg.assert_gone(path)


def set_freezer(d: Path, state: str):
    if (d / "freezer.state").exists():
        (d / "freezer.state").write_text(state)


def test_create_in_a_frozen_cgroup_is_refused(rt, cg):
    # runc: "container's cgroup unexpectedly frozen"; berth used to join it
    # and hang (`run -d` never returned).
    h = cg.owner("freezer")
    b, cid, out, path = cg.bundle("echo ran > /out/marker")
    frozen = h.dir(path)
    frozen.mkdir(parents=True)
    cg.kept.add(str(frozen))
    set_freezer(frozen, "FROZEN")
    try:
        before = rt.snapshot_mounts()
        res = rt.run(b, cid, "-d", timeout=30)
        line = assert_one_error_line(res, "frozen")
        assert str(frozen) in line or path in line, line
        rt.assert_clean(cid, before)
        assert not (out / "marker").exists()
        # what berth made is gone; the frozen cgroup it did not make is kept
        left = [d for d in cg.existing(path) if d != str(frozen)]
        assert left == [], f"cgroups left behind: {left}"
        assert frozen.is_dir() and cgroup_procs(frozen) == []
    finally:
        set_freezer(frozen, "THAWED")
    remove_cgroup_trees([frozen])


def test_delete_force_of_a_container_an_ancestor_froze(rt, cg):
    # Something else froze a v1 freezer cgroup above the container's: delete
    # --force must still kill it and remove its cgroups (runc times out).
    h = cg.owner("freezer")
    b, cid, out, path = cg.bundle(COUNTER)
    ancestor = h.dir(cg.parent)
    ancestor.mkdir()  # someone else's (the caller's, a pod's): berth keeps it
    cg.start_running(b, cid, out)
    pids = cg.procs(path)
    assert pids
    set_freezer(ancestor, "FROZEN")
    try:
        wait_for(lambda: cg.read("freezer", path, "freezer.state") == "FROZEN", timeout=5,
                 what="the container to be frozen with its ancestor")
        started = time.monotonic()
        res = rt("delete", "--force", cid, timeout=60)
        took = time.monotonic() - started
        assert res.rc == 0, res
        assert took < 8, f"delete --force took {took:.1f}s"
        wait_for(lambda: not any(pid_alive(p) for p in pids), timeout=5,
                 what="the frozen processes to die")
        assert rt("state", cid).rc != 0
        cg.assert_gone(path)
        assert (ancestor / "freezer.state").read_text().strip() == "FROZEN", \
            "berth thawed a cgroup that is not the container's"
    finally:
        set_freezer(ancestor, "THAWED")


def test_empty_cpuset_of_a_precreated_parent_is_filled(rt, cg):
    # runc: a parent made by someone else with empty cpuset.cpus/mems (a pod's,
    # made without cgroup.clone_children) gets them from its nearest ancestor
    # that has them; else joining fails with ENOSPC.
    h = cg.owner("cpuset")
    top = h.dir(cg.parent)
    mid_path = cg.parent + "/mid"
    top.mkdir()
    h.dir(mid_path).mkdir()
    cg.kept.add(str(h.dir(mid_path)))
    if (top / "cpuset.cpus").read_text().strip():
        pytest.skip("cgroup.clone_children is set: a new cpuset cgroup is not empty here")
    want = {f: (top.parent / f).read_text().strip() for f in ("cpuset.cpus", "cpuset.mems")}
    b, cid, out, _ = cg.bundle("touch /out/ready; exec sleep 1000")
    path = f"{mid_path}/{cid}"
    b.linux["cgroupsPath"] = path
    pid = cg.start_running(b, cid, out)
    for d in (top, h.dir(mid_path), h.dir(path)):
        got = {f: (d / f).read_text().strip() for f in want}
        assert got == want, f"{d}: {got}, want {want}"
    assert pid in cgroup_procs(h.dir(path))
    assert rt("delete", "--force", cid).rc == 0
    cg.assert_gone(path)
    assert h.dir(mid_path).is_dir(), "berth removed a parent it did not make"


# ---------------------------------------------------------------------------
# kill --all and delete --force without a pid namespace
# ---------------------------------------------------------------------------

def host_pid_bundle(cg):
    b, cid, out, path = cg.bundle("sleep 1000 & echo $! > /out/bg; touch /out/ready; exec sleep 1000")
    b.drop_namespace("pid")
    return b, cid, out, path


def test_kill_all_reaches_background_process_in_host_pid_namespace(rt, cg):
    b, cid, out, path = host_pid_bundle(cg)
    init = cg.start_running(b, cid, out)
    bg = int((out / "bg").read_text())
    assert pid_alive(bg) and bg in cg.procs(path), f"background pid {bg} not in the cgroup {cg.procs(path)}"
    res = rt("kill", "--all", cid, "KILL")
    assert res.rc == 0, res
    wait_for(lambda: not pid_alive(bg), timeout=5, what="kill --all to reach the background process")
    wait_for(lambda: not pid_alive(init), timeout=5, what="kill --all to reach the init")
    rt.wait_status(cid, "stopped")
    assert rt("delete", cid).rc == 0
    cg.assert_gone(path)


def test_kill_all_after_the_init_exited_reaches_what_it_left(rt, cg):
    """A pod's container shares a pid namespace it does not own: when its init
    exits, what it started lives on in its cgroup. `kill --all` of that
    stopped container must reach it and succeed, as runc's does (containerd
    stops a pod this way); a plain kill says "container not running", the
    words containerd's shim reads as "already gone"."""
    b, cid, out, path = cg.bundle("sleep 1000 & echo $! > /out/bg; touch /out/ready; sleep 1")
    b.drop_namespace("pid")
    init = cg.start_running(b, cid, out)
    bg = int((out / "bg").read_text())
    wait_for(lambda: not pid_alive(init), timeout=10, what="the init to exit")
    rt.wait_status(cid, "stopped")
    assert pid_alive(bg) and bg in cg.procs(path), f"background pid {bg} not in the cgroup {cg.procs(path)}"
    res = rt("kill", cid, "KILL")
    assert res.rc != 0 and "container not running" in res.err, res
    res = rt("kill", "--all", cid, "KILL")
    assert res.rc == 0, res
    wait_for(lambda: not pid_alive(bg), timeout=5, what="kill --all to reach the background process")
    assert rt("delete", cid).rc == 0
    cg.assert_gone(path)


def test_delete_force_kills_every_process_in_host_pid_namespace(rt, cg):
    b, cid, out, path = host_pid_bundle(cg)
    init = cg.start_running(b, cid, out)
    bg = int((out / "bg").read_text())
    assert bg in cg.procs(path)
    res = rt("delete", "--force", cid)
    assert res.rc == 0, res
    wait_for(lambda: not pid_alive(bg) and not pid_alive(init), timeout=5,
             what="delete --force to kill the background process too")
    cg.assert_gone(path)


# ---------------------------------------------------------------------------
# Nothing left over, nothing removed that berth did not make
# ---------------------------------------------------------------------------

def _missing_exec(b, cg):
    b.args("/no/such/binary")


def _bogus_mount(b, cg):
    b.add_mount("/weird", "bogusfs", "none", [])


def _bad_cpuset(b, cg):
    # a value the kernel refuses when berth writes cpuset.cpus
    cg.owner("cpuset")
    b.linux["resources"]["cpu"] = {"cpus": "4095"}


FAILED_CREATES = {"missing-executable": _missing_exec, "bogus-mount": _bogus_mount,
                  "kernel-refuses-a-value": _bad_cpuset}


@pytest.mark.parametrize("case", sorted(FAILED_CREATES))
@pytest.mark.parametrize("command", ["create", "run"])
def test_failed_create_leaves_no_cgroup(rt, cg, case, command):
    b, cid, out, path = cg.bundle("echo ran > /out/marker")
    FAILED_CREATES[case](b, cg)
    before = rt.snapshot_mounts()
    if command == "create":
        _, res = rt.create(b, cid)
    else:
        res = rt.run(b, cid)
    assert res.rc == 1, f"expected a failure\n{res}"
    cg.assert_gone(path)
    rt.assert_clean(cid, before)
    assert not (out / "marker").exists()


def test_preexisting_cgroup_is_not_removed(rt, cg):
    b, cid, out, path = cg.bundle("touch /out/ready; exec sleep 1000", resources={"pids": {"limit": 30}})
    made = []
    for h in cg.hs:
        for p in (cg.parent, path):
            d = h.dir(p)
            d.mkdir()
            made.append(d)
            if "cpuset" in h.controllers:  # a usable cpuset, as a cgroup manager would leave it
                for f in ("cpuset.cpus", "cpuset.mems"):
                    (d / f).write_text((d.parent / f).read_text())
    leaves = {str(h.dir(path)) for h in cg.hs}
    cg.kept |= leaves
    pid = cg.start_running(b, cid, out)
    cg.assert_placed(pid, path)
    if cgroup_owner(cg.hs, "pids") and cgroup_owner(cg.hs, "pids").version == 1:
        assert cg.read("pids", path, "pids.max") == "30"
    res = rt("delete", "--force", cid)
    assert res.rc == 0, res
    wait_for(lambda: not pid_alive(pid), timeout=5, what="the init to die")
    assert rt("state", cid).rc != 0
    cg.assert_exists(path)  # the leaf and its parent were there before: berth must keep them
    for h in cg.hs:
        assert h.dir(cg.parent).is_dir(), f"berth removed the pre-existing parent {h.dir(cg.parent)}"
        assert cgroup_procs(h.dir(path)) == [], f"processes left in {h.dir(path)}"
    remove_cgroup_trees(leaves)


# ---------------------------------------------------------------------------
# ps and events
# ---------------------------------------------------------------------------

def test_ps_lists_the_cgroups_processes(rt, cg):
    b, cid, out, path = cg.bundle("sleep 1000 & sleep 1000 & touch /out/ready; wait")
    init = cg.start_running(b, cid, out)
    wait_for(lambda: len(cg.procs(path)) >= 3, what="three processes in the cgroup")
    res = rt("ps", "--format", "json", cid)
    assert res.rc == 0, res
    try:
        listed = json.loads(res.out)
    except ValueError as e:
        raise AssertionError(f"ps --format json printed no JSON ({e})\n{res}")
    assert isinstance(listed, list) and all(isinstance(p, int) for p in listed), res
    assert sorted(listed) == sorted(cg.procs(path)), f"ps: {listed}, cgroup.procs: {cg.procs(path)}"
    assert init in listed

    res = rt("ps", cid)
    assert res.rc == 0, res
    tokens = res.out.split()
    assert all(str(p) in tokens for p in listed), f"ps (table) does not show every pid {listed}\n{res}"
    finish(rt, cg, cid, path)


def test_events_stats(rt, cg):
    cg.owner("memory"), cg.owner("pids")
    b, cid, out, path = cg.bundle("sleep 1000 & touch /out/ready; exec sleep 1000",
                                  resources={"memory": {"limit": 64 * MiB}, "pids": {"limit": 50}})
    cg.start_running(b, cid, out)
    res = rt("events", "--stats", cid, timeout=30)
    assert res.rc == 0, res
    lines = res.out_lines
    assert len(lines) == 1, f"events --stats should print one JSON line and exit\n{res}"
    ev = json.loads(lines[0])
    assert ev.get("type") == "stats" and ev.get("id") == cid, ev
    data = ev.get("data")
    assert isinstance(data, dict), ev
    for part in ("cpu", "memory", "pids", "blkio", "hugetlb"):
        assert part in data, f"stats without {part}: {sorted(data)}"
    mem = data["memory"]
    assert mem["usage"]["usage"] > 0, f"memory usage: {mem}"
    assert mem["usage"]["limit"] == 64 * MiB, f"memory limit: {mem}"
    assert data["pids"]["current"] >= 2, data["pids"]
    assert data["pids"]["limit"] == 50, data["pids"]
    assert isinstance(data["cpu"]["usage"]["total"], int), data["cpu"]

    # without --stats: stats again and again, every --interval
    log = rt.workdir / "events.out"
    with open(log, "w") as fo:
        proc = rt.berth.popen("events", "--interval", "200ms", cid, stdout=fo, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: proc.poll() is not None or log.read_text().count('"stats"') >= 3,
                 timeout=10, what="three stats lines from events --interval 200ms")
        assert proc.poll() is None, f"events exited ({proc.returncode}): {log.read_text()!r}"
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=10)
    stats = [json.loads(l) for l in log.read_text().splitlines() if l.startswith("{")]
    assert len(stats) >= 3 and all(s["type"] == "stats" and s["id"] == cid for s in stats), stats
    finish(rt, cg, cid, path)


# ---------------------------------------------------------------------------
# Realtime CPU bandwidth (cgroup v1, CONFIG_RT_GROUP_SCHED) for a realtime
# process.scheduler
# ---------------------------------------------------------------------------

SCHED_FIFO = 1


def rt_cpu_hierarchy(cg):
    """The v1 cpu hierarchy, when it has realtime group scheduling: a new
    cgroup there starts with cpu.rt_runtime_us 0."""
    h = cg.owner("cpu")
    if not (h.mount_point / "cpu.rt_runtime_us").exists():
        pytest.skip("no realtime group scheduling (cpu.rt_runtime_us) on this kernel")
    return h


def rt_values(directory: Path) -> tuple:
    return tuple(int((directory / f).read_text()) for f in ("cpu.rt_period_us", "cpu.rt_runtime_us"))


def sched_policy(pid: int) -> int:
    text = Path(f"/proc/{pid}/stat").read_text()
    return int(text[text.rindex(")") + 2:].split()[41 - 3])


def test_realtime_scheduler_gets_runtime_in_created_parents(rt, cg):
    """The cgroupsPath's parent is new too, so it starts at 0 like the
    container's own: berth gives both the config's period and runtime, the
    parent first, and the host's existing cgroups keep theirs."""
    h = rt_cpu_hierarchy(cg)
    root_before = rt_values(h.mount_point)
    b, cid, out, path = cg.bundle("touch /out/ready; exec sleep 1000",
                                  resources={"cpu": {"realtimeRuntime": 20000,
                                                     "realtimePeriod": 500000}})
    b.process["scheduler"] = {"policy": "SCHED_FIFO", "priority": 10}
    pid = cg.start_running(b, cid, out)
    assert sched_policy(pid) == SCHED_FIFO
    assert rt_values(h.dir(cg.parent)) == (500000, 20000)
    assert rt_values(h.dir(path)) == (500000, 20000)
    assert rt_values(h.mount_point) == root_before
    assert rt("delete", "--force", cid).rc == 0
    cg.assert_gone(path)


def test_realtime_scheduler_without_realtime_runtime_is_refused(rt, cg):
    rt_cpu_hierarchy(cg)
    b, cid, out, path = cg.bundle("true")
    b.process["scheduler"] = {"policy": "SCHED_RR", "priority": 5}
    before = rt.snapshot_mounts()
    res = rt.run(b, cid)
    assert_one_error_line(res, "/process/scheduler", "SCHED_RR", "realtimeRuntime")
    rt.assert_clean(cid, before)
    cg.assert_gone(path)


def test_realtime_runtime_never_raised_in_an_existing_parent(rt, cg):
    """A parent someone else made (with no realtime runtime) is theirs: berth
    fails with a reason rather than change it."""
    h = rt_cpu_hierarchy(cg)
    h.dir(cg.parent).mkdir()
    b, cid, out, path = cg.bundle("true", resources={"cpu": {"realtimeRuntime": 20000,
                                                           "realtimePeriod": 500000}})
    b.process["scheduler"] = {"policy": "SCHED_FIFO", "priority": 10}
    res = rt.run(b, cid)
    assert_one_error_line(res, "cpu.rt_runtime_us", "parent")
    assert int((h.dir(cg.parent) / "cpu.rt_runtime_us").read_text()) == 0
    cg.assert_gone(path)
