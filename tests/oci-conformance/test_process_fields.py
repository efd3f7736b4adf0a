"""process.ioPriority, process.scheduler, process.execCPUAffinity,
linux.personality, linux.memoryPolicy, linux.netDevices and linux.intelRdt.

Each field is read back from inside the container the way a user would check
it: busybox's ionice, uname and ip, and the kernel's own view in
/proc/self/stat, /proc/self/status, /proc/self/personality and
/proc/self/numa_maps; for `exec` the same from the exec'd process. Bad values
fail with one line naming the field, and leave nothing behind.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import uuid

import pytest

from berthtest import assert_one_error_line, expect_clean_failure, parse_status
from host_objects import cgroup_owner, host_cgroup_hierarchies, wait_for


def stat_fields(text: str) -> dict:
    """/proc/<pid>/stat: the fields proc(5) numbers, from 3 on (after comm)."""
    rest = text[text.rindex(")") + 2:].split()
    return {"nice": int(rest[19 - 3]), "rt_priority": int(rest[40 - 3]),
            "policy": int(rest[41 - 3])}


def start_container(rt, b=None) -> str:
    b = b or rt.bundle()
    b.sh("sleep 1000")
    cid = rt.create_ok(b)
    res = rt("start", cid)
    assert res.rc == 0, f"start failed\n{res}"
    return cid


def exec_process_file(rt, cid, process: dict):
    path = rt.workdir / f"process-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(process))
    return rt("exec", "--process", path, cid)


def base_process(*args) -> dict:
    return {"args": list(args), "env": ["PATH=/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0}}


SCHED_OTHER, SCHED_FIFO, SCHED_BATCH, SCHED_IDLE = 0, 1, 3, 5


# -- ioPriority ------------------------------------------------------------------------

@pytest.mark.parametrize("io_class, level, shown", [
    ("IOPRIO_CLASS_BE", 5, "best-effort: prio 5"),
    # RT needs CAP_SYS_ADMIN, which the default config drops: applied before that
    ("IOPRIO_CLASS_RT", 2, "realtime: prio 2"),
    ("IOPRIO_CLASS_IDLE", 0, "idle"),
])
def test_io_priority(rt, io_class, level, shown):
    b = rt.bundle()
    b.process["ioPriority"] = {"class": io_class, "priority": level}
    b.args("ionice")
    assert rt.run_ok(b).strip() == shown


def test_io_priority_for_exec(rt):
    cid = start_container(rt)
    process = base_process("ionice")
    process["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 1}
    res = exec_process_file(rt, cid, process)
    assert res.rc == 0 and res.out.strip() == "best-effort: prio 1", res


def test_io_priority_bad_class_fails_cleanly(rt):
    b = rt.bundle()
    b.process["ioPriority"] = {"class": "IOPRIO_CLASS_FAST", "priority": 0}
    expect_clean_failure(rt, b, "/process/ioPriority/class", "IOPRIO_CLASS_FAST")


def test_io_priority_level_out_of_range_fails_cleanly(rt):
    b = rt.bundle()
    b.process["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 8}
    expect_clean_failure(rt, b, "/process/ioPriority/priority", command="create")


# -- scheduler ---------------------------------------------------------------------------

def give_realtime_runtime(b):
    """With RT group scheduling (a v1 cpu hierarchy with cpu.rt_runtime_us), a
    new cgroup has no real-time runtime and the kernel refuses SCHED_FIFO in
    it (EPERM): the config gives it some, as a user would."""
    cpu = cgroup_owner(host_cgroup_hierarchies(), "cpu")
    if cpu is not None and cpu.version == 1 and (cpu.mount_point / "cpu.rt_runtime_us").exists():
        b.linux["resources"]["cpu"] = {"realtimeRuntime": 10000, "realtimePeriod": 1000000}


def test_scheduler_batch_with_nice(rt):
    b = rt.bundle()
    b.process["scheduler"] = {"policy": "SCHED_BATCH", "nice": 7}
    b.args("cat", "/proc/self/stat")
    got = stat_fields(rt.run_ok(b))
    assert (got["policy"], got["nice"]) == (SCHED_BATCH, 7), got


def test_scheduler_fifo_needs_no_capability_in_the_config(rt):
    # CAP_SYS_NICE is not in the default config: applied while berth still has it
    b = rt.bundle()
    b.process["scheduler"] = {"policy": "SCHED_FIFO", "priority": 10}
    give_realtime_runtime(b)
    b.args("cat", "/proc/self/stat")
    got = stat_fields(rt.run_ok(b))
    assert (got["policy"], got["rt_priority"]) == (SCHED_FIFO, 10), got


def test_scheduler_reset_on_fork_reaches_the_process_not_its_children(rt):
    b = rt.bundle()
    b.process["scheduler"] = {"policy": "SCHED_BATCH", "nice": -5,
                              "flags": ["SCHED_FLAG_RESET_ON_FORK"]}
    # sh itself is the exec'd process; cat is its child, whose negative nice
    # the kernel resets to 0
    b.sh("cat /proc/$$/stat; cat /proc/self/stat; true")  # not the last: forked, not exec'd
    own, child = (stat_fields(line) for line in rt.run_ok(b).splitlines())
    assert (own["policy"], own["nice"]) == (SCHED_BATCH, -5), own
    assert (child["policy"], child["nice"]) == (SCHED_BATCH, 0), child


def test_scheduler_for_exec(rt):
    cid = start_container(rt)
    process = base_process("cat", "/proc/self/stat")
    process["scheduler"] = {"policy": "SCHED_BATCH", "nice": 3}
    res = exec_process_file(rt, cid, process)
    assert res.rc == 0, res
    got = stat_fields(res.out)
    assert (got["policy"], got["nice"]) == (SCHED_BATCH, 3), got


def test_scheduler_reset_on_fork_for_exec(rt):
    """exec forks its process from a stager: the flag must reach the process
    itself, not be spent on that fork."""
    cid = start_container(rt)
    process = base_process("sh", "-c", "cat /proc/$$/stat; cat /proc/self/stat; true")
    process["scheduler"] = {"policy": "SCHED_BATCH", "nice": -5,
                            "flags": ["SCHED_FLAG_RESET_ON_FORK"]}
    res = exec_process_file(rt, cid, process)
    assert res.rc == 0, res
    own, child = (stat_fields(line) for line in res.out.splitlines())
    assert (own["policy"], own["nice"]) == (SCHED_BATCH, -5), own
    assert (child["policy"], child["nice"]) == (SCHED_BATCH, 0), child


def test_scheduler_kernel_refusal_fails_cleanly(rt):
    b = rt.bundle()
    b.process["scheduler"] = {"policy": "SCHED_FIFO"}  # priority 0: EINVAL
    give_realtime_runtime(b)  # else refused before, for want of realtime runtime
    expect_clean_failure(rt, b, "process.scheduler", "SCHED_FIFO", "Invalid argument",
                         command="create")


def test_scheduler_unknown_policy_fails_cleanly(rt):
    b = rt.bundle()
    b.process["scheduler"] = {"policy": "SCHED_FAST"}
    expect_clean_failure(rt, b, "/process/scheduler/policy", "SCHED_FAST")


# -- execCPUAffinity ----------------------------------------------------------------

def needs_two_cpus():
    if len(os.sched_getaffinity(0)) < 2 or not {0, 1} <= os.sched_getaffinity(0):
        pytest.skip("needs CPUs 0 and 1")


def test_exec_cpu_affinity_final(rt):
    needs_two_cpus()
    b = rt.bundle()
    b.process["execCPUAffinity"] = {"initial": "0", "final": "1"}
    b.args("cat", "/proc/self/status")
    assert parse_status(rt.run_ok(b))["Cpus_allowed_list"] == "1"


def test_exec_cpu_affinity_final_for_exec(rt):
    needs_two_cpus()
    cid = start_container(rt)
    for final in ("0", "1"):
        process = base_process("cat", "/proc/self/status")
        process["execCPUAffinity"] = {"initial": "1", "final": final}
        res = exec_process_file(rt, cid, process)
        assert res.rc == 0, res
        assert parse_status(res.out)["Cpus_allowed_list"] == final


def test_exec_cpu_affinity_bad_list_fails_cleanly(rt):
    b = rt.bundle()
    b.process["execCPUAffinity"] = {"final": "0-"}
    expect_clean_failure(rt, b, "/process/execCPUAffinity/final", "0-")


def test_exec_cpu_affinity_absent_cpu_fails_cleanly(rt):
    b = rt.bundle()
    b.process["execCPUAffinity"] = {"final": "4000"}
    expect_clean_failure(rt, b, "process.execCPUAffinity.final", "4000", "Invalid argument",
                         command="create")


def test_exec_cpu_affinity_bad_list_for_exec(rt):
    cid = start_container(rt)
    process = base_process("true")
    process["execCPUAffinity"] = {"initial": "x"}
    res = exec_process_file(rt, cid, process)
    assert_one_error_line(res, "/execCPUAffinity/initial")


# -- personality ---------------------------------------------------------------------

@pytest.mark.skipif(platform.machine() != "x86_64", reason="LINUX32 reads as i686 on x86_64")
def test_personality_linux32(rt):
    b = rt.bundle()
    b.linux["personality"] = {"domain": "LINUX32"}
    b.sh("uname -m; cat /proc/self/personality")
    assert rt.run_ok(b).split() == ["i686", "00000008"]


def test_personality_linux(rt):
    b = rt.bundle()
    b.linux["personality"] = {"domain": "LINUX"}
    b.args("cat", "/proc/self/personality")
    assert rt.run_ok(b).strip() == "00000000"


@pytest.mark.skipif(platform.machine() != "x86_64", reason="LINUX32 reads as i686 on x86_64")
def test_personality_for_exec(rt):
    b = rt.bundle()
    b.linux["personality"] = {"domain": "LINUX32"}
    cid = start_container(rt, b)
    res = rt("exec", cid, "uname", "-m")
    assert res.rc == 0 and res.out.strip() == "i686", res


def test_personality_unknown_flag_fails_cleanly(rt):
    b = rt.bundle()
    b.linux["personality"] = {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]}
    expect_clean_failure(rt, b, "/linux/personality/flags/0", "ADDR_NO_RANDOMIZE")


# -- memoryPolicy ------------------------------------------------------------------------

def numa_policies(numa_maps: str) -> set:
    return {line.split()[1] for line in numa_maps.splitlines() if len(line.split()) > 1}


@pytest.mark.parametrize("mode, nodes, shown", [
    ("MPOL_BIND", "0", "bind:0"),
    ("MPOL_INTERLEAVE", "0", "interleave:0"),
    ("MPOL_PREFERRED", "0", "prefer:0"),
])
def test_memory_policy(rt, mode, nodes, shown):
    b = rt.bundle()
    b.linux["memoryPolicy"] = {"mode": mode, "nodes": nodes}
    b.args("cat", "/proc/self/numa_maps")
    assert shown in numa_policies(rt.run_ok(b))


def test_memory_policy_with_a_flag(rt):
    b = rt.bundle()
    b.linux["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]}
    b.args("cat", "/proc/self/numa_maps")
    assert "bind=static:0" in numa_policies(rt.run_ok(b))


def test_memory_policy_for_exec(rt):
    b = rt.bundle()
    b.linux["memoryPolicy"] = {"mode": "MPOL_INTERLEAVE", "nodes": "0"}
    cid = start_container(rt, b)
    res = rt("exec", cid, "cat", "/proc/self/numa_maps")
    assert res.rc == 0 and "interleave:0" in numa_policies(res.out), res


def test_memory_policy_kernel_refusal_fails_cleanly(rt):
    b = rt.bundle()
    b.linux["memoryPolicy"] = {"mode": "MPOL_DEFAULT", "nodes": "0"}  # takes no nodes
    expect_clean_failure(rt, b, "linux.memoryPolicy", "MPOL_DEFAULT", "Invalid argument")


def test_memory_policy_bad_nodes_fail_cleanly(rt):
    b = rt.bundle()
    b.linux["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "1-0"}
    expect_clean_failure(rt, b, "/linux/memoryPolicy/nodes", "1-0")


# -- netDevices ------------------------------------------------------------------------

@pytest.fixture
def dummy_interface():
    """One end of a veth pair on the host, with a permanent address (this
    kernel has no dummy driver). The kernel destroys a virtual interface with
    the network namespace it is in, and its peer with it; the peer is deleted
    at the end if it is still there."""
    name = "bt" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "link", "add", name, "type", "veth", "peer", "name", name + "p"],
                   check=True)
    subprocess.run(["ip", "addr", "add", "192.0.2.7/24", "dev", name], check=True)
    yield name
    subprocess.run(["ip", "link", "del", name + "p"], capture_output=True)
    subprocess.run(["ip", "link", "del", name], capture_output=True)


def host_has_interface(name: str) -> bool:
    return os.path.exists(f"/sys/class/net/{name}")


def test_net_device_moved_renamed_with_its_address(rt, dummy_interface):
    b = rt.bundle()
    b.linux["netDevices"] = {dummy_interface: {"name": "eth9"}}
    out = rt.host_dir("out")
    b.bind("/out", out)
    b.sh("ip -o addr show dev eth9 > /out/addr; ip -o link show dev eth9 > /out/link; sleep 1000")
    cid = rt.create_ok(b)
    assert not host_has_interface(dummy_interface), "the interface is still on the host"
    assert rt("start", cid).rc == 0
    wait_for(lambda: (out / "link").exists() and (out / "link").read_text(), what="ip output")
    assert "192.0.2.7/24" in (out / "addr").read_text()
    flags = (out / "link").read_text().split("<", 1)[1].split(">", 1)[0].split(",")
    assert "UP" in flags
    assert rt("kill", cid, "KILL").rc == 0
    rt.wait_status(cid, "stopped")
    assert rt("delete", cid).rc == 0
    # berth moves nothing back: a virtual interface goes with the namespace (a
    # physical one would return to the host under its container name)
    wait_for(lambda: not host_has_interface(dummy_interface) and not host_has_interface("eth9")
             and not host_has_interface(dummy_interface + "p"),
             what="the veth pair to go with the container's network namespace")


def test_net_device_keeps_its_name_without_one(rt, dummy_interface):
    b = rt.bundle()
    b.linux["netDevices"] = {dummy_interface: {}}
    b.args("cat", f"/sys/class/net/{dummy_interface}/ifindex")
    # /sys is the container's: the interface is in its network namespace
    assert rt.run_ok(b).strip().isdigit()


def test_net_device_missing_on_host_fails_cleanly(rt):
    b = rt.bundle()
    b.linux["netDevices"] = {"btmissing0": {"name": "eth9"}}
    expect_clean_failure(rt, b, "/linux/netDevices/btmissing0", "no network interface",
                         command="create")


def test_net_device_needs_a_network_namespace(rt, dummy_interface):
    b = rt.bundle()
    b.linux["namespaces"] = [ns for ns in b.linux["namespaces"] if ns["type"] != "network"]
    b.linux["netDevices"] = {dummy_interface: {}}
    expect_clean_failure(rt, b, "/linux/netDevices", "network namespace")
    assert host_has_interface(dummy_interface)


def test_net_device_into_the_hosts_namespace_fails_cleanly(rt, dummy_interface):
    b = rt.bundle()
    b.set_namespace("network", f"/proc/{os.getpid()}/ns/net")
    b.linux["netDevices"] = {dummy_interface: {}}
    expect_clean_failure(rt, b, "/linux/netDevices", "host", command="create")
    assert host_has_interface(dummy_interface)


def test_net_device_name_taken_in_the_container_fails_cleanly(rt, dummy_interface):
    b = rt.bundle()
    b.linux["netDevices"] = {dummy_interface: {"name": "lo"}}
    expect_clean_failure(rt, b, f"/linux/netDevices/{dummy_interface}", "File exists",
                         command="create")
    assert host_has_interface(dummy_interface), "the failed create did not give it back"
    addr = subprocess.run(["ip", "-o", "addr", "show", "dev", dummy_interface],
                          capture_output=True, text=True).stdout
    assert "192.0.2.7/24" in addr, "given back without its address"


def test_net_devices_given_back_when_a_later_one_fails(rt, dummy_interface):
    b = rt.bundle()
    # moved in key order: the host's interface first, then the missing one
    b.linux["netDevices"] = {dummy_interface: {"name": "eth9"}, "bz-missing": {}}
    expect_clean_failure(rt, b, "/linux/netDevices/bz-missing", "no network interface",
                         command="create")
    assert host_has_interface(dummy_interface), "the failed create did not give it back"
    addr = subprocess.run(["ip", "-o", "addr", "show", "dev", dummy_interface],
                          capture_output=True, text=True).stdout
    assert "192.0.2.7/24" in addr, "given back without its address"


# -- intelRdt ------------------------------------------------------------------------

@pytest.mark.skipif(os.path.ismount("/sys/fs/resctrl"), reason="resctrl is mounted here")
def test_intel_rdt_without_resctrl_fails_cleanly(rt):
    b = rt.bundle()
    b.linux["intelRdt"] = {"closID": "berth"}
    line = expect_clean_failure(rt, b, command="create")
    assert line.endswith("config.json: /linux/intelRdt: resctrl is not mounted at /sys/fs/resctrl")


# -- in a user namespace -------------------------------------------------------------

def userns_bundle(rt):
    b = rt.bundle()
    b.set_namespace("user")
    b.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.linux["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    b.drop_mount("/sys/fs/cgroup")  # a v1 hierarchy cannot be mounted from a user namespace
    return b


def test_attributes_in_a_user_namespace(rt):
    b = userns_bundle(rt)
    b.process["ioPriority"] = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}
    b.process["scheduler"] = {"policy": "SCHED_BATCH", "nice": 2}
    b.linux["personality"] = {"domain": "LINUX"}
    b.linux["memoryPolicy"] = {"mode": "MPOL_INTERLEAVE", "nodes": "0"}
    b.sh("ionice; cat /proc/self/stat; grep -c interleave:0 /proc/self/numa_maps")
    io, stat, interleaved = rt.run_ok(b).splitlines()
    assert io == "idle"
    assert (stat_fields(stat)["policy"], stat_fields(stat)["nice"]) == (SCHED_BATCH, 2)
    assert int(interleaved) > 0


def test_real_time_io_class_in_a_user_namespace_fails_cleanly(rt):
    # the init is in the container's user namespace already: CAP_SYS_ADMIN
    # there is not the host's, which IOPRIO_CLASS_RT needs
    b = userns_bundle(rt)
    b.process["ioPriority"] = {"class": "IOPRIO_CLASS_RT", "priority": 0}
    expect_clean_failure(rt, b, "process.ioPriority", "IOPRIO_CLASS_RT", "Operation not permitted",
                         command="create")
