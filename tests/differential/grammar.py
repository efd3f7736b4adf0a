"""Configs generated from a seed: random.Random(seed) picks, over the spec's
fields, values both runtimes must accept on this host (valid, and nothing this
machine cannot give: no rlimit raised, no oomScoreAdj lowered, no device that
is not there).  The same seed always gives the same config.

    python3 grammar.py 42              # print the config of seed 42
"""

from __future__ import annotations

import copy
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
        "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_ADMIN",
        "CAP_SYS_NICE", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_SETFCAP",
        "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ"]

# (type, largest value the host lets a process without CAP_SYS_RESOURCE keep)
RLIMITS = [("RLIMIT_NOFILE", 4096), ("RLIMIT_NPROC", 4096), ("RLIMIT_CORE", 0),
           ("RLIMIT_MEMLOCK", 65536), ("RLIMIT_STACK", 8388608), ("RLIMIT_MSGQUEUE", 819200),
           ("RLIMIT_FSIZE", 1 << 30), ("RLIMIT_CPU", 3600), ("RLIMIT_AS", 1 << 32),
           ("RLIMIT_LOCKS", 1024), ("RLIMIT_SIGPENDING", 1024), ("RLIMIT_NICE", 0),
           ("RLIMIT_RTPRIO", 0)]

IPC_SYSCTLS = {"kernel.msgmax": ["4096", "8192", "65536"], "kernel.msgmnb": ["16384", "32768"],
               "kernel.shmmni": ["1024", "4096"], "kernel.sem": ["250 32000 32 128",
                                                                 "100 1000 10 64"],
               "fs.mqueue.msg_max": ["10", "64"], "kernel.shm_rmid_forced": ["0", "1"]}
NET_SYSCTLS = {"net.ipv4.ip_forward": ["0", "1"],
               "net.ipv4.ping_group_range": ["0 0", "0 2147483647", "1 0"],
               "net.ipv4.ip_unprivileged_port_start": ["0", "80", "1024"],
               "net.core.somaxconn": ["128", "4096"], "net.ipv4.tcp_syncookies": ["0", "1"]}

# at most one of a group of options that contradict each other (runc ORs the
# flags and lets the kernel pick; berth lets the last one win: the spec does
# not say which is right)
ATIME = ["relatime", "noatime", "strictatime"]
TMPFS_OPTIONS = ["nosuid", "nodev", "noexec", "nodiratime", "mode=755", "mode=1777", "mode=700", "size=1m", "size=65536k",
                 "nr_inodes=1k", "uid=1000", "gid=100"]
BIND_OPTIONS = ["nosuid", "nodev", "noexec"]
PROPAGATION = ["rprivate", "private", "rslave", "slave"]
MASKABLE = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/acpi",
            "/sys/firmware", "/proc/scsi", "/etc/group", "/mnt", "/var"]
READONLY = ["/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sysrq-trigger", "/etc",
            "/home", "/tmp"]


def base_config() -> dict:
    return json.loads((HERE / "corpus" / "runc-spec.json").read_text())


def generate(seed: int) -> dict:
    r = random.Random(seed)
    c = base_config()
    p, lx = c["process"], c["linux"]
    c["root"]["readonly"] = r.random() < 0.5

    # -- process --------------------------------------------------------------
    user = r.choice([(0, 0), (1000, 1000), (65534, 65534), (1000, 100), (123, 456)])
    p["user"] = {"uid": user[0], "gid": user[1]}
    if r.random() < 0.5:
        p["user"]["additionalGids"] = sorted(r.sample([5, 100, 1000, 4242, 65534], r.randint(1, 3)))
    if r.random() < 0.4:
        p["user"]["umask"] = r.choice([0, 0o22, 0o27, 0o77])
    p["cwd"] = r.choice(["/", "/tmp", "/home/test", "/root", "/var"])
    env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    for i in range(r.randint(0, 4)):
        env.append(f"GEN{i}=" + r.choice(["", "x", "a b c", "=", "v=w", "ünïcode"]))
    if r.random() < 0.3:
        env.append("HOME=/home/gen")
    p["env"] = env
    caps = sorted(r.sample(CAPS, r.randint(0, 10)))
    sets = {"bounding": caps, "effective": caps, "permitted": caps}
    if r.random() < 0.5:
        sets["inheritable"] = caps
    if r.random() < 0.5:
        sets["ambient"] = caps
    p["capabilities"] = sets
    p["rlimits"] = []
    for typ, top in r.sample(RLIMITS, r.randint(0, 4)):
        hard = r.choice([top, top // 2 or 0])
        p["rlimits"].append({"type": typ, "hard": hard, "soft": r.choice([hard, hard // 2])})
    p["noNewPrivileges"] = r.random() < 0.6
    if r.random() < 0.4:
        p["oomScoreAdj"] = r.choice([0, 100, 500, 1000])

    # -- uts, namespaces ------------------------------------------------------------
    nss = [{"type": "pid"}, {"type": "mount"}]
    for t in ("network", "ipc", "uts", "cgroup"):
        if r.random() < 0.7:
            nss.append({"type": t})
    lx["namespaces"] = nss
    have = {n["type"] for n in nss}
    if "uts" in have:
        c["hostname"] = r.choice(["gen", "a-b.c", "x" * 63])
        if r.random() < 0.3:
            c["domainname"] = r.choice(["example.org", "d"])
    else:
        c.pop("hostname", None)
    if "network" not in have:
        # sysfs cannot be mounted without a network namespace of one's own
        c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys"] + [
            {"destination": "/sys", "type": "bind", "source": "/sys",
             "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}]

    # -- sysctls ----------------------------------------------------------------------
    sysctl = {}
    if "ipc" in have:
        for k in r.sample(sorted(IPC_SYSCTLS), r.randint(0, 2)):
            sysctl[k] = r.choice(IPC_SYSCTLS[k])
    if "network" in have:
        for k in r.sample(sorted(NET_SYSCTLS), r.randint(0, 2)):
            sysctl[k] = r.choice(NET_SYSCTLS[k])
    if sysctl:
        lx["sysctl"] = sysctl

    # -- mounts -------------------------------------------------------------------------
    for i in range(r.randint(0, 4)):
        kind = r.choice(["tmpfs", "bind", "bind", "mqueue"])
        dest = r.choice(["/mnt/g%d" % i, "/tmp/g%d" % i, "/var/g%d" % i, "/run/g%d" % i])
        if kind == "tmpfs":
            opts = r.sample(TMPFS_OPTIONS, r.randint(0, 4))
            if r.random() < 0.5:
                opts.append(r.choice(ATIME))
            if r.random() < 0.3:
                opts.append(r.choice(["ro", "rw"]))
            c["mounts"].append({"destination": dest, "type": "tmpfs", "source": "tmpfs",
                                "options": opts})
        elif kind == "bind":
            opts = ["rbind" if r.random() < 0.5 else "bind"] + r.sample(BIND_OPTIONS, r.randint(0, 3))
            for group in (PROPAGATION, ["ro", "rw"], ATIME):
                if r.random() < 0.5:
                    opts.append(r.choice(group))
            c["mounts"].append({"destination": dest, "type": "bind",
                                "source": f"@BUNDLE@/files/g{i}-dir", "options": opts})
        elif "ipc" in have:
            c["mounts"].append({"destination": dest, "type": "mqueue", "source": "mqueue",
                                "options": r.sample(["nosuid", "nodev", "noexec"], r.randint(0, 3))})

    # -- masked and read-only paths -------------------------------------------------------
    lx["maskedPaths"] = sorted(r.sample(MASKABLE, r.randint(0, 5)))
    lx["readonlyPaths"] = sorted(r.sample(READONLY, r.randint(0, 3)))

    # -- resources and devices ---------------------------------------------------------
    res = {"devices": [{"allow": False, "access": "rwm"}]}
    if r.random() < 0.5:
        res["devices"].append({"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rw"})
    if r.random() < 0.5:
        res["memory"] = {"limit": r.choice([64, 128, 256]) << 20}
    if r.random() < 0.5:
        res["pids"] = {"limit": r.choice([64, 1024])}
    if r.random() < 0.5:
        res["cpu"] = {"shares": r.choice([2, 512, 1024, 4096])}
        if r.random() < 0.5:
            res["cpu"]["quota"], res["cpu"]["period"] = r.choice([50000, 200000]), 100000
    lx["resources"] = res
    if r.random() < 0.4:
        lx["devices"] = [{"path": "/dev/gen-null", "type": "c", "major": 1, "minor": 3,
                          "fileMode": r.choice([0o666, 0o600, 0o640]), "uid": user[0],
                          "gid": user[1]}]
        res["devices"].append({"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"})
    lx["cgroupsPath"] = "/berth-diff/@ID@"
    return c


# the seeds CI runs (a failing seed, once fixed, goes to corpus/seed-N.json)
CI_SEEDS = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89]

if __name__ == "__main__":
    print(json.dumps(generate(int(sys.argv[1])), indent=2))
