"""berth as a Kubernetes node's runtime: containerd 1.6's CRI plugin runs pods
with berth through the runc v2 shim, driven by crictl as the kubelet drives
it. Every test asserts what a cluster operator would look at: crictl's
answers (state, exit code, reason, logs, stats) and the kernel objects behind
them (namespaces, cgroup files, processes)."""

from __future__ import annotations

import json
import os
import re

import pytest

import host_objects
import itlib
from conftest import engine_fixture
from cri_engine import CriContainerd, find_crictl, missing_cni_plugins
from itlib import ok, wait_for

CRICTL = find_crictl()
pytestmark = [
    pytest.mark.skipif(CRICTL is None, reason="no crictl: set $CRICTL, or put it in "
                       "<repo>/../shared/bin/crictl or on PATH"),
    pytest.mark.skipif(bool(missing_cni_plugins()), reason="CNI plugins missing in /usr/lib/cni: "
                       "apt-get install containernetworking-plugins"),
]

SLEEP = ["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]


class _Cri(CriContainerd):
    """The engine with crictl found at import time (engine_fixture passes the
    usual four arguments)."""

    def __init__(self, *args):
        super().__init__(*args, CRICTL)


@pytest.fixture(scope="module")
def cri(workdir, berth_binary, rootfs_template):
    yield from engine_fixture(_Cri, workdir, berth_binary, rootfs_template)


@pytest.fixture
def pods(cri):
    """Start pods; whatever a test leaves is stopped and removed as the
    kubelet would (stopp, rmp)."""
    made = []

    def start(name, **kw):
        cfg = cri.pod_config(name, **kw)
        pod = cri.runp(cfg)
        made.append(pod)
        return pod, cfg

    yield start
    for pod in made:
        cri.remove_pod(pod)


def ns(pid: int, kind: str) -> str:
    return os.readlink(f"/proc/{pid}/ns/{kind}")


def status_field(pid: int, field: str) -> str:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def sandbox_pid(cri, pod: str) -> int:
    return int(cri.inspect("inspectp", pod)["info"]["pid"])


# -- lifecycle -----------------------------------------------------------------

def test_pod_and_container_lifecycle(cri, pods):
    pod, pcfg = pods("life")
    assert cri.inspect("inspectp", pod)["status"]["state"] == "SANDBOX_READY"
    ccfg = cri.container_config("app", ["/bin/sh", "-c",
                                        "echo started; echo to-stderr >&2; "
                                        "trap 'echo got-term; exit 9' TERM; "
                                        "while :; do sleep 0.1; done"])
    cid = ok(cri.create(pod, ccfg, pcfg)).out.strip()
    assert cri.state(cid) == "CONTAINER_CREATED"
    # containerd's CRI creates the task (berth create) at StartContainer
    ok(cri.crictl("start", cid))
    cri.wait_state(cid, "CONTAINER_RUNNING")
    assert (cri.berth_root / cri.namespace / cid).is_dir(), "berth holds no state for the container"
    wait_for(lambda: "to-stderr" in cri.crictl("logs", cid).err, what="the logs")
    logs = ok(cri.crictl("logs", cid))
    assert "started" in logs.out and "to-stderr" in logs.err, str(logs)

    ok(cri.crictl("stop", "--timeout", "10", cid))
    st = cri.wait_state(cid, "CONTAINER_EXITED")
    assert st["exitCode"] == 9, st
    assert "got-term" in ok(cri.crictl("logs", cid)).out
    ok(cri.crictl("rm", cid))
    assert cid not in ok(cri.crictl("ps", "-a", "-q")).out.split()
    assert not (cri.berth_root / cri.namespace / cid).exists(), "berth's state outlived crictl rm"

    ok(cri.crictl("stopp", pod))
    assert cri.inspect("inspectp", pod)["status"]["state"] == "SANDBOX_NOTREADY"
    ok(cri.crictl("rmp", pod))
    assert pod not in ok(cri.crictl("pods", "-q")).out.split()
    assert not (cri.berth_root / cri.namespace / pod).exists(), "berth's state outlived crictl rmp"


def test_stop_pod_with_exited_container_in_shared_pid_namespace(cri, pods):
    # The kubelet stops a pod by killing every container's processes: the
    # shim runs `kill --all` on a container that has already exited, and only
    # runc's answer for it lets StopPodSandbox finish.
    pod, pcfg = pods("exited", pid="POD")
    done = cri.create_start(pod, cri.container_config("done", ["/bin/sh", "-c", "exit 4"]), pcfg)
    live = cri.create_start(pod, cri.container_config("live", SLEEP), pcfg)
    assert cri.wait_state(done, "CONTAINER_EXITED")["exitCode"] == 4
    cri.wait_state(live, "CONTAINER_RUNNING")
    res = cri.crictl("stopp", pod, timeout=40)
    assert res.rc == 0, str(res)
    assert cri.inspect("inspectp", pod)["status"]["state"] == "SANDBOX_NOTREADY"
    assert cri.state(live) == "CONTAINER_EXITED"
    ok(cri.crictl("rmp", pod))


def test_exec_exit_code_and_output(cri, pods):
    pod, pcfg = pods("exec")
    cid = cri.create_start(pod, cri.container_config("app", SLEEP), pcfg)
    res = cri.crictl("exec", cid, "/bin/sh", "-c", "echo out; echo err >&2; exit 3")
    assert res.out.strip() == "out" and "err" in res.err, str(res)
    assert res.rc != 0 and "exit code 3" in res.err, str(res)
    res = cri.crictl("exec", "--sync", cid, "/bin/sh", "-c", "echo err >&2; exit 5")
    assert res.rc != 0 and "exited with 5" in res.err, str(res)
    res = ok(cri.crictl("exec", cid, "/bin/sh", "-c", "id -u; cat /proc/1/cmdline"))
    assert res.out.splitlines()[0] == "0", str(res)
    res = cri.crictl("exec", "--sync", cid, "nosuchprogram")
    assert res.rc != 0 and "executable file not found" in res.err, str(res)


def test_exec_with_terminal(cri, pods):
    pod, pcfg = pods("tty")
    cid = cri.create_start(pod, cri.container_config("app", SLEEP), pcfg)
    res = itlib.run_on_terminal(cri.crictl_argv("exec", "-it", cid, "/bin/sh", "-c",
                                                "tty; [ -t 0 ] && echo stdin-is-a-tty"),
                                env=cri.env)
    assert res.rc == 0, str(res)
    assert "/dev/pts/" in res.out and "stdin-is-a-tty" in res.out, str(res)


def test_exec_sync_timeout_kills_the_process(cri, pods):
    pod, pcfg = pods("exectimeout")
    cid = cri.create_start(pod, cri.container_config("app", SLEEP), pcfg)
    res = cri.crictl("exec", "--sync", "--timeout", "2", cid, "/bin/sh", "-c", "exec sleep 3600")
    assert res.rc != 0, str(res)
    assert "timeout" in (res.out + res.err).lower(), str(res)
    # the timed-out process does not stay behind in the container
    wait_for(lambda: "sleep 3600" not in ok(cri.crictl("exec", cid, "ps", "-o", "args")).out,
             timeout=15, what="the timed-out exec to be killed")


def test_container_restart_in_the_same_pod(cri, pods):
    pod, pcfg = pods("restart")
    first = cri.create_start(pod, cri.container_config("app", ["/bin/sh", "-c", "echo run-0; exit 1"]), pcfg)
    assert cri.wait_state(first, "CONTAINER_EXITED")["exitCode"] == 1
    # what the kubelet does on restartPolicy: the next attempt, same pod
    second = cri.create_start(pod, cri.container_config(
        "app", ["/bin/sh", "-c", "echo run-1; exec sleep 3600"], attempt=1), pcfg)
    cri.wait_state(second, "CONTAINER_RUNNING")
    assert second != first
    wait_for(lambda: "run-1" in cri.crictl("logs", second).out, what="the new attempt's log")
    assert ns(cri.pid(second), "net") == ns(sandbox_pid(cri, pod), "net")
    assert cri.inspect("inspect", second)["status"]["metadata"]["attempt"] == 1


# -- namespaces ------------------------------------------------------------------

def test_containers_share_the_pods_namespaces(cri, pods):
    pod, pcfg = pods("shared", pid="POD")
    server = cri.create_start(pod, cri.container_config(
        "server", ["/bin/sh", "-c", "echo shm-data > /dev/shm/mark; "
                   "while :; do echo hello-over-localhost | nc -l -p 8080; done"]), pcfg)
    client = cri.create_start(pod, cri.container_config("client", SLEEP), pcfg)
    sandbox = sandbox_pid(cri, pod)
    for kind in ("pid", "ipc", "uts", "net"):
        assert ns(cri.pid(server), kind) == ns(sandbox, kind) == ns(cri.pid(client), kind), kind
    # pid: the client sees the server's processes and the pause as pid 1
    ps = ok(cri.crictl("exec", client, "ps", "-o", "pid,args")).out
    assert "nc -l -p 8080" in ps and re.search(r"^\s*1\s+/pause", ps, re.M), ps
    # uts: one hostname, the pod's
    assert ok(cri.crictl("exec", client, "hostname")).out.strip() == "shared"
    assert ok(cri.crictl("exec", server, "hostname")).out.strip() == "shared"
    # ipc: the same /dev/shm
    wait_for(lambda: cri.crictl("exec", client, "cat", "/dev/shm/mark").out.strip() == "shm-data",
             what="the server's /dev/shm file seen by the client")
    # net: the client reaches the server on localhost
    wait_for(lambda: "hello-over-localhost" in cri.crictl(
        "exec", client, "sh", "-c", "nc 127.0.0.1 8080 </dev/null").out,
        timeout=15, what="the client to reach the server on 127.0.0.1:8080")


def test_private_pid_namespace_per_container(cri, pods):
    pod, pcfg = pods("private", pid="CONTAINER")
    a = cri.create_start(pod, cri.container_config("a", SLEEP), pcfg)
    b = cri.create_start(pod, cri.container_config("b", SLEEP), pcfg)
    sandbox = sandbox_pid(cri, pod)
    assert len({ns(cri.pid(a), "pid"), ns(cri.pid(b), "pid"), ns(sandbox, "pid")}) == 3
    for kind in ("ipc", "uts", "net"):
        assert ns(cri.pid(a), kind) == ns(sandbox, kind) == ns(cri.pid(b), kind), kind
    ps = ok(cri.crictl("exec", a, "ps", "-o", "pid,args")).out
    assert "/pause" not in ps, ps
    assert re.search(r"^\s*1\s+/bin/sh", ps, re.M), ps


def test_pod_network_from_the_bridge_plugin(cri, pods):
    pod, pcfg = pods("bridged")
    cid = cri.create_start(pod, cri.container_config("app", SLEEP), pcfg)
    ip = cri.inspect("inspectp", pod)["status"]["network"]["ip"]
    prefix = cri.subnet.rsplit(".", 1)[0] + "."
    assert ip.startswith(prefix), f"pod IP {ip} not in {cri.subnet}"
    addrs = ok(cri.crictl("exec", cid, "ip", "-4", "addr", "show", "eth0")).out
    assert ip in addrs, addrs
    assert ns(cri.pid(cid), "net") != os.readlink("/proc/self/ns/net")


def test_host_network_pod(cri, pods):
    pod, pcfg = pods("hostnet", host_network=True)
    cid = cri.create_start(pod, cri.container_config("app", SLEEP), pcfg)
    assert ns(cri.pid(cid), "net") == os.readlink("/proc/self/ns/net")
    assert ns(cri.pid(cid), "uts") == os.readlink("/proc/self/ns/uts")
    assert ok(cri.crictl("exec", cid, "hostname")).out.strip() == os.uname().nodename


# -- resources -------------------------------------------------------------------

def test_resource_limits_visible_in_the_cgroup(cri, pods):
    pod, pcfg = pods("limits")
    cid = cri.create_start(pod, cri.container_config("app", SLEEP, linux={"resources": {
        "memory_limit_in_bytes": 64 << 20, "cpu_shares": 256,
        "cpu_period": 100000, "cpu_quota": 50000}}), pcfg)
    pid = cri.pid(cid)
    assert itlib.cgroup_file(pid, "memory", "memory.limit_in_bytes").read_text().strip() == str(64 << 20)
    assert itlib.cgroup_file(pid, "cpu", "cpu.shares").read_text().strip() == "256"
    assert itlib.cgroup_file(pid, "cpu", "cpu.cfs_quota_us").read_text().strip() == "50000"
    assert itlib.cgroup_file(pid, "cpu", "cpu.cfs_period_us").read_text().strip() == "100000"
    # the container's cgroup is below the pod's cgroup_parent
    assert host_objects.process_cgroup(pid, "memory").startswith(cri.cgroup_root + "/")


def test_memory_limit_enforced_oom_killed(cri, pods):
    pod, pcfg = pods("oom")
    cid = cri.create_start(pod, cri.container_config(
        "hog", ["/bin/sh", "-c", "echo start; head -c 512m /dev/zero | tail > /dev/null"],
        linux={"resources": {"memory_limit_in_bytes": 32 << 20, "memory_swap_limit_in_bytes": 32 << 20}}),
        pcfg)
    st = cri.wait_state(cid, "CONTAINER_EXITED", timeout=60)
    assert st["reason"] == "OOMKilled", st
    assert st["exitCode"] == 137, st


def test_pids_limit_of_the_pod_cgroup(cri, pods):
    # Kubernetes limits pids per pod (podPidsLimit) on the pod's cgroup, which
    # the kubelet manages; CRI has no per-container pids field. The runtime's
    # part is to put the container under it: a fork bomb stops at the limit.
    pod, pcfg = pods("pids")
    cid = cri.create_start(pod, cri.container_config("app", SLEEP), pcfg)
    pid = cri.pid(cid)
    container_cgroup = itlib.cgroup_file(pid, "pids", "pids.max").parent
    (container_cgroup.parent / "pids.max").write_text("20")
    res = cri.crictl("exec", "--sync", cid, "/bin/sh", "-c",
                     "for i in $(seq 40); do sleep 30 & done; wait")
    assert "can't fork" in (res.out + res.err) or "Resource temporarily unavailable" in (res.out + res.err), str(res)
    assert int((container_cgroup / "pids.current").read_text()) <= 20


def test_update_resources_of_a_running_container(cri, pods):
    pod, pcfg = pods("update")
    cid = cri.create_start(pod, cri.container_config("app", SLEEP, linux={"resources": {
        "memory_limit_in_bytes": 64 << 20, "cpu_quota": 50000, "cpu_period": 100000}}), pcfg)
    ok(cri.crictl("update", "--memory", str(96 << 20), "--cpu-quota", "20000", "--cpu-share", "512", cid))
    pid = cri.pid(cid)
    assert itlib.cgroup_file(pid, "memory", "memory.limit_in_bytes").read_text().strip() == str(96 << 20)
    assert itlib.cgroup_file(pid, "cpu", "cpu.cfs_quota_us").read_text().strip() == "20000"
    assert itlib.cgroup_file(pid, "cpu", "cpu.shares").read_text().strip() == "512"
    assert cri.state(cid) == "CONTAINER_RUNNING"


def test_stats(cri, pods):
    pod, pcfg = pods("stats")
    cid = cri.create_start(pod, cri.container_config(
        "app", ["/bin/sh", "-c", "head -c 16m /dev/zero > /dev/shm/fill; exec sleep 3600"]), pcfg)

    def stats():
        res = cri.crictl("stats", "-o", "json", "--id", cid)
        if res.rc != 0:
            return None
        found = [s for s in json.loads(res.out).get("stats", [])
                 if s["attributes"]["id"] == cid]
        # the 16 MiB in /dev/shm (shmem: never inactive file cache) are in
        # the working set once written
        if found and int(found[0].get("memory", {}).get("workingSetBytes", {}).get("value", 0)) >= 12 << 20:
            return found[0]
        return None
    st = wait_for(stats, timeout=20, interval=0.5, what="crictl stats to report the 16 MiB written")
    assert int(st["cpu"]["usageCoreNanoSeconds"]["value"]) > 0, st


# -- security context -------------------------------------------------------------

def test_run_as_user_and_group(cri, pods):
    pod, pcfg = pods("user")
    cid = cri.create_start(pod, cri.container_config("app", SLEEP, linux={"security_context": {
        "run_as_user": {"value": 1000}, "run_as_group": {"value": 1000}}}), pcfg)
    pid = cri.pid(cid)
    assert status_field(pid, "Uid").split()[:2] == ["1000", "1000"]
    assert status_field(pid, "Gid").split()[:2] == ["1000", "1000"]
    assert ok(cri.crictl("exec", cid, "id", "-u")).out.strip() == "1000"


def test_read_only_rootfs(cri, pods):
    pod, pcfg = pods("readonly")
    cid = cri.create_start(pod, cri.container_config("app", SLEEP, linux={"security_context": {
        "readonly_rootfs": True}}), pcfg)
    res = cri.crictl("exec", "--sync", cid, "touch", "/newfile")
    assert res.rc != 0 and "Read-only file system" in (res.out + res.err), str(res)


def test_capabilities_add_and_drop(cri, pods):
    pod, pcfg = pods("caps")
    cid = cri.create_start(pod, cri.container_config("app", SLEEP, linux={"security_context": {
        "privileged": False,
        "capabilities": {"add_capabilities": ["SYS_ADMIN"], "drop_capabilities": ["CHOWN"]}}}), pcfg)
    eff = int(status_field(cri.pid(cid), "CapEff"), 16)
    CAP_CHOWN, CAP_SYS_ADMIN, CAP_SYS_MODULE = 0, 21, 16
    assert eff & (1 << CAP_SYS_ADMIN), hex(eff)
    assert not eff & (1 << CAP_CHOWN), hex(eff)
    assert not eff & (1 << CAP_SYS_MODULE), "privileged false still gives every capability"
    res = cri.crictl("exec", "--sync", cid, "chown", "1000", "/tmp")
    assert res.rc != 0, str(res)


def test_no_new_privileges(cri, pods):
    pod, pcfg = pods("nnp")
    cid = cri.create_start(pod, cri.container_config("app", SLEEP, linux={"security_context": {
        "no_new_privs": True}}), pcfg)
    assert status_field(cri.pid(cid), "NoNewPrivs") == "1"


@pytest.mark.parametrize("profile,mode", [("RuntimeDefault", "2"), ("Unconfined", "0")])
def test_seccomp_profiles(cri, pods, profile, mode):
    pod, pcfg = pods(f"seccomp-{profile.lower()}")
    cid = cri.create_start(pod, cri.container_config("app", SLEEP, linux={"security_context": {
        "seccomp": {"profile_type": {"RuntimeDefault": 0, "Unconfined": 1}[profile]}}}), pcfg)
    assert status_field(cri.pid(cid), "Seccomp") == mode
    # containerd's default profile allows unshare(2) only with CAP_SYS_ADMIN,
    # which the container lacks; a new user namespace needs no capability
    res = cri.crictl("exec", "--sync", cid, "unshare", "-U", "true")
    if profile == "RuntimeDefault":
        assert res.rc != 0 and "Operation not permitted" in (res.out + res.err), str(res)
    else:
        assert res.rc == 0, str(res)


# -- nothing left behind -------------------------------------------------------------

def test_rmp_leaves_nothing(cri):
    """Stop and remove every pod, stop containerd: nothing of berth, the
    shims, the pods' cgroups, mounts, network namespaces or the bridge
    plugin's host changes may remain."""
    cri.shutdown()
    problems = {
        "berth state": cri.leftover_state(),
        "cgroups": cri.leftover_cgroups(),
        "mounts": cri.leftover_mounts(),
        "processes": cri.leftover_processes(),
        "network namespaces": [n for n in cri.new_netns() if n.startswith("cni-")],
        "iptables rules": cri.new_iptables_lines(),
    }
    assert not any(problems.values()), problems
