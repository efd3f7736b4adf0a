#!/usr/bin/python3
"""berth vs crun vs runc, side by side, interleaved (see bench/README.md).

Run it through bench/run.sh: it must run as root inside a private mount
namespace where cgroup2 is mounted at /sys/fs/cgroup. Python standard library
only; no timing assertions, it only measures and reports.
"""

import argparse
import json
import os
import platform
import random
import resource
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# The engine profile converter of the conformance tests: workload 2 runs with
# Podman's default seccomp profile in the OCI form Podman would hand a runtime.
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "oci-conformance"))
import engine_profiles  # noqa: E402
PEERS = ("crun", "runc")
ORDER = ("berth", "crun", "runc")  # interleaving order
FLOOR = "floor"
THROUGHPUT_N = 50
# Before each burst: wait until the CPUs are this idle over SETTLE_WINDOW_S
# (at most SETTLE_MAX_S). The kernel frees network namespaces in a worker
# after their last process exits, so 50 containers leave ~100 ms of CPU work
# behind that would otherwise land in whichever runtime's burst comes next.
SETTLE_IDLE = 0.9
SETTLE_WINDOW_S = 0.1
SETTLE_MAX_S = 5.0


def cpu_busy_idle():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, idle


def settle():
    deadline = time.monotonic() + SETTLE_MAX_S
    while time.monotonic() < deadline:
        b0, i0 = cpu_busy_idle()
        time.sleep(SETTLE_WINDOW_S)
        b1, i1 = cpu_busy_idle()
        total = (b1 - b0) + (i1 - i0)
        if total > 0 and (i1 - i0) / total >= SETTLE_IDLE:
            return
MEM_LIMIT = 256 << 20
PIDS_LIMIT = 1024


def log(msg):
    print(f"==> {msg}", file=sys.stderr, flush=True)


def die(msg):
    print(f"bench.py: {msg}", file=sys.stderr)
    sys.exit(1)


class Bench:
    def __init__(self, args):
        self.args = args
        self.prefix = f"bb{os.getpid()}"
        self.work = tempfile.mkdtemp(prefix="berth-bench.", dir="/tmp")
        self.rootfs = os.path.join(self.work, "rootfs")
        self.cmds = {
            "berth": [os.path.abspath(args.berth)],
            "runc": [shutil.which("runc") or "runc"],
            "crun": [shutil.which("crun") or "crun", "--cgroup-manager=disabled"],
        }
        for rt in ORDER:
            root = os.path.join(self.work, f"root-{rt}")
            os.mkdir(root, 0o700)
            self.cmds[rt] = self.cmds[rt] + ["--root", root]
        self.bundle = {}        # name -> bundle dir
        self.w2_bundle = {}     # runtime -> bundle used for workload 2
        self.notes = {}         # runtime -> what it did with config (b)
        self.notes_a = {}       # runtime -> what it did with config (a)
        self.failures = []      # (workload, runtime, id, stderr)
        self.seccomp = {}       # what workload 2's seccomp profile is
        self.seq = 0

    # ---------------------------------------------------------------- setup

    def new_id(self, tag):
        self.seq += 1
        return f"{self.prefix}-{tag}-{self.seq}"

    def make_rootfs(self):
        bindir = os.path.join(self.rootfs, "bin")
        os.makedirs(bindir)
        shutil.copy2("/bin/busybox", os.path.join(bindir, "busybox"))
        applets = subprocess.run([os.path.join(bindir, "busybox"), "--list"],
                                 check=True, capture_output=True, text=True).stdout.split()
        for a in applets:
            if a != "busybox" and not os.path.exists(os.path.join(bindir, a)):
                os.symlink("busybox", os.path.join(bindir, a))
        for d in ("proc", "sys", "dev", "tmp", "etc"):
            os.makedirs(os.path.join(self.rootfs, d), exist_ok=True)

    def default_spec(self):
        tmp = os.path.join(self.work, "spec")
        os.mkdir(tmp)
        subprocess.run(["runc", "spec"], cwd=tmp, check=True)
        with open(os.path.join(tmp, "config.json")) as f:
            spec = json.load(f)
        shutil.rmtree(tmp)
        spec["process"]["terminal"] = False
        spec["process"]["args"] = ["/bin/true"]
        spec["root"]["path"] = self.rootfs
        return spec

    def write_bundle(self, name, spec):
        d = os.path.join(self.work, f"bundle-{name}")
        os.mkdir(d)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(spec, f, indent=1)
        self.bundle[name] = d

    def podman_profile(self, spec):
        """Podman's default seccomp profile (from Debian's package, fetched
        by tests/oci-conformance/fetch_engine_profiles.sh) as Podman would
        put it in config.json for this container's bounding set."""
        try:
            directory = engine_profiles.fetch()
        except engine_profiles.ProfileError as e:
            die(f"workload 2 needs Podman's seccomp profile: {e}")
        caps = spec["process"]["capabilities"]["bounding"]
        profile = engine_profiles.to_oci(engine_profiles.load(directory, "podman"), caps)
        self.seccomp = {
            "profile": "podman default (" + str(directory / engine_profiles.PROFILE_FILES["podman"]) + ")",
            "defaultAction": profile["defaultAction"],
            "architectures": profile.get("architectures", []),
            "rules": len(profile["syscalls"]),
            "names": sum(len(r["names"]) for r in profile["syscalls"]),
        }
        log(f"seccomp: {self.seccomp['profile']}: {self.seccomp['rules']} rules, "
            f"{self.seccomp['names']} names, {', '.join(self.seccomp['architectures'])}")
        return profile

    def make_bundles(self):
        self.make_rootfs()
        spec = self.default_spec()
        # (a) runc spec's default config running /bin/true
        self.write_bundle("a", spec)
        # (b) engine-like: runc's default capabilities and masked/readonly
        # paths (already in (a)), a memory and pids limit, and Podman's
        # default seccomp profile.
        b = json.loads(json.dumps(spec))
        b["linux"].setdefault("resources", {})
        b["linux"]["resources"]["memory"] = {"limit": MEM_LIMIT}
        b["linux"]["resources"]["pids"] = {"limit": PIDS_LIMIT}
        b["linux"]["seccomp"] = self.podman_profile(spec)
        self.write_bundle("b", b)
        # (b) without the limits, for a runtime that refuses them here
        nb = json.loads(json.dumps(b))
        del nb["linux"]["resources"]["memory"]
        del nb["linux"]["resources"]["pids"]
        self.write_bundle("b-nolimits", nb)
        # Both without seccomp, for workload 5's comparison.
        for name in ("b", "b-nolimits"):
            with open(os.path.join(self.bundle[name], "config.json")) as f:
                plain = json.load(f)
            del plain["linux"]["seccomp"]
            self.write_bundle(name + "-noseccomp", plain)

    # ------------------------------------------------------------- helpers

    def rt(self, runtime, *args, timeout=60, root=None):
        """Run the runtime; stderr goes to a file, not a pipe: the init that
        `create` leaves behind inherits it and would keep a pipe open. The
        returned object has .ns, the wall time of the call alone, and
        .cpu_ns, the CPU time (user + system) of the runtime's process and of
        the children it waited for (not of a container init it left running).
        `root` replaces the runtime's --root."""
        cmd = self.cmds[runtime] if root is None else self.cmds[runtime][:-1] + [root]
        with tempfile.TemporaryFile(dir=self.work) as err:
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter_ns()
            p = subprocess.run(cmd + list(args), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=err, timeout=timeout)
            p.ns = time.perf_counter_ns() - t0
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            p.cpu_ns = round((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1e9)
            err.seek(0)
            p.stderr = err.read().decode(errors="replace")
        return p

    def force_delete(self, runtime, cid, root=None):
        try:
            self.rt(runtime, "delete", "--force", cid, root=root)
        except subprocess.TimeoutExpired:
            pass

    def fail(self, workload, runtime, cid, err):
        err = (err or "").strip().splitlines()
        msg = err[-1] if err else "(no message)"
        self.failures.append({"workload": workload, "runtime": runtime, "id": cid, "error": msg})
        if len(self.failures) <= 10:
            print(f"bench.py: {workload} {runtime} {cid}: {msg}", file=sys.stderr)

    def floor_cmd(self):
        return ["unshare", "--mount", "--uts", "--ipc", "--net", "--pid", "--fork",
                "chroot", self.rootfs, "/bin/true"]

    def timed_run(self, runtime, cid, bundle):
        if runtime == FLOOR:
            cmd = self.floor_cmd()
        else:
            cmd = self.cmds[runtime] + ["run", "--bundle", bundle, cid]
        t0 = time.perf_counter_ns()
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        t1 = time.perf_counter_ns()
        return t1 - t0, p

    # ----------------------------------------------------------- workloads

    def probe_limits(self):
        """What each runtime does here: the cgroup it creates for config (a),
        and whether it accepts config (b)'s memory/pids limits."""
        for runtime in ORDER:
            cid = self.new_id(f"probe-{runtime}")
            p = self.rt(runtime, "create", "--bundle", self.bundle["a"], cid)
            cg = self.cgroups_of(cid)
            self.force_delete(runtime, cid)
            self.notes_a[runtime] = ("create failed: " + p.stderr.strip() if p.returncode != 0 else
                                     (f"created cgroup {', '.join(cg)}" if cg else "created no cgroup"))
            log(f"config (a), {runtime}: {self.notes_a[runtime]}")
        for runtime in ORDER:
            cid = self.new_id(f"probe-{runtime}")
            p = self.rt(runtime, "create", "--bundle", self.bundle["b"], cid)
            if p.returncode == 0:
                cg = self.cgroups_of(cid)
                self.force_delete(runtime, cid)
                self.w2_bundle[runtime] = self.bundle["b"]
                self.notes[runtime] = ("accepted the memory/pids limits"
                                       + (f" (cgroup {', '.join(cg)})" if cg else
                                          " but created no cgroup: limits not applied"))
            else:
                self.force_delete(runtime, cid)
                err = (p.stderr or "").strip().splitlines()
                self.w2_bundle[runtime] = self.bundle["b-nolimits"]
                self.notes[runtime] = ("refused the memory/pids limits ("
                                       + (err[-1] if err else "no message")
                                       + "): workload 2 runs it without them")
            log(f"config (b), {runtime}: {self.notes[runtime]}")

    def cgroups_of(self, cid):
        out = []
        for dirpath, dirnames, _ in os.walk("/sys/fs/cgroup"):
            for d in dirnames:
                if cid in d:
                    out.append(os.path.join(dirpath, d))
        return out

    def workload1(self, n):
        log(f"workload 1: run /bin/true, default config, {n} x (berth, crun, runc, floor)")
        res = {r: [] for r in ORDER + (FLOOR,)}
        for i in range(n):
            for runtime in ORDER + (FLOOR,):
                cid = self.new_id(f"w1-{runtime}")
                ns, p = self.timed_run(runtime, cid, self.bundle["a"])
                if p.returncode != 0:
                    self.fail("w1", runtime, cid, p.stderr)
                    if runtime != FLOOR:
                        self.force_delete(runtime, cid)
                    continue
                res[runtime].append(ns)
        return res

    def lifecycle(self, runtime, cid, bundle):
        """create + start + wait (pidfd on the --pid-file pid) + delete; ns per phase."""
        pidfile = os.path.join(self.work, f"{cid}.pid")
        ph = {}
        p = self.rt(runtime, "create", "--bundle", bundle, "--pid-file", pidfile, cid)
        if p.returncode != 0:
            self.force_delete(runtime, cid)
            return None, p.stderr
        ph["create"] = p.ns
        try:
            with open(pidfile) as f:
                pid = int(f.read().strip())
            pidfd = os.pidfd_open(pid)
        except (OSError, ValueError) as e:
            self.force_delete(runtime, cid)
            return None, f"pid file: {e}"
        try:
            p = self.rt(runtime, "start", cid)
            t3 = time.perf_counter_ns()
            if p.returncode != 0:
                self.force_delete(runtime, cid)
                return None, p.stderr
            ph["start"] = p.ns
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)
            if not poller.poll(30000):
                self.force_delete(runtime, cid)
                return None, "container did not exit within 30 s"
            t4 = time.perf_counter_ns()
            ph["wait"] = t4 - t3
        finally:
            os.close(pidfd)
            try:
                os.unlink(pidfile)
            except OSError:
                pass
        p = self.rt(runtime, "delete", cid)
        if p.returncode != 0:
            self.force_delete(runtime, cid)
            return None, p.stderr
        ph["delete"] = p.ns
        ph["total"] = ph["create"] + ph["start"] + ph["wait"] + ph["delete"]
        return ph, None

    def workload2(self, n):
        log(f"workload 2: create + start + wait + delete, engine-like config, {n} x (berth, crun, runc)")
        res = {r: [] for r in ORDER}
        phases = {r: {k: [] for k in ("create", "start", "wait", "delete")} for r in ORDER}
        for i in range(n):
            for runtime in ORDER:
                cid = self.new_id(f"w2-{runtime}")
                ph, err = self.lifecycle(runtime, cid, self.w2_bundle[runtime])
                if ph is None:
                    self.fail("w2", runtime, cid, err)
                    continue
                res[runtime].append(ph["total"])
                for k in phases[runtime]:
                    phases[runtime][k].append(ph[k])
        return res, phases

    def burst(self, runtime):
        settle()
        ids = [self.new_id(f"w3-{runtime}") for _ in range(THROUGHPUT_N)]
        results = [None] * len(ids)
        gate = threading.Barrier(len(ids) + 1)

        def one(k):
            gate.wait()
            results[k] = self.timed_run(runtime, ids[k], self.bundle["a"])[1]

        threads = [threading.Thread(target=one, args=(k,)) for k in range(len(ids))]
        for t in threads:
            t.start()
        gate.wait()
        t0 = time.perf_counter_ns()
        for t in threads:
            t.join()
        t1 = time.perf_counter_ns()
        bad = 0
        for cid, p in zip(ids, results):
            if p is None or p.returncode != 0:
                bad += 1
                self.fail("w3", runtime, cid, p.stderr if p else "no result")
                if runtime != FLOOR:
                    self.force_delete(runtime, cid)
        return t1 - t0, bad

    def timed_create(self, runtime, tag, bundle, root=None):
        """The wall and CPU time of one `create`, then an untimed `delete
        --force`; None (and a failure recorded) when the create fails."""
        cid = self.new_id(tag)
        p = self.rt(runtime, "create", "--bundle", bundle, cid, root=root)
        self.force_delete(runtime, cid, root=root)
        if p.returncode != 0:
            self.fail("w5", runtime, cid, p.stderr)
            return None
        return p.ns, p.cpu_ns

    def workload5(self, n):
        """What the seccomp profile costs in `create`: workload 2's bundle with
        and without linux.seccomp, per runtime, interleaved. berth keeps the
        compiled program in <root>/@cache/seccomp, so its usual create is a
        cache hit; a create in a fresh --root is its first create (a miss:
        compile with libseccomp and write the cache file)."""
        log(f"workload 5: create with and without seccomp, {n} x (berth, crun, runc, berth-first)")
        kinds = ("noseccomp", "seccomp")
        res = {k: {r: [] for r in ORDER} for k in kinds}
        res["seccomp-first"] = {"berth": []}
        cpu = json.loads(json.dumps(res))
        for i in range(n):
            for runtime in ORDER:
                w2 = self.w2_bundle[runtime]
                plain = self.bundle[os.path.basename(w2)[len("bundle-"):] + "-noseccomp"]
                for kind, bundle in (("noseccomp", plain), ("seccomp", w2)):
                    t = self.timed_create(runtime, f"w5-{runtime}", bundle)
                    if t is not None:
                        res[kind][runtime].append(t[0])
                        cpu[kind][runtime].append(t[1])
            fresh = os.path.join(self.work, f"root-berth-fresh-{i}")
            os.mkdir(fresh, 0o700)
            t = self.timed_create("berth", "w5-berth-first", self.w2_bundle["berth"], root=fresh)
            if t is not None:
                res["seccomp-first"]["berth"].append(t[0])
                cpu["seccomp-first"]["berth"].append(t[1])
            left = [e for e in os.listdir(fresh) if e != "@cache"]
            if left:
                self.fail("w5", "berth", fresh, f"state left in a fresh root: {left}")
            shutil.rmtree(fresh, ignore_errors=True)
        cache_dir = os.path.join(self.cmds["berth"][-1], "@cache", "seccomp")
        cache_files = sorted(os.listdir(cache_dir)) if os.path.isdir(cache_dir) else []
        return res, cpu, cache_files

    def workload3(self, rounds):
        log(f"workload 3: {THROUGHPUT_N} concurrent runs, {rounds} rounds x (berth, crun, runc, floor)")
        res = {r: [] for r in ORDER + (FLOOR,)}
        for _ in range(rounds):
            for runtime in ORDER + (FLOOR,):
                ns, bad = self.burst(runtime)
                if bad == 0:
                    res[runtime].append(ns)
        return res

    def workload4(self, reps):
        log(f"workload 4: peak RSS of create ({reps} x each), binary sizes")
        rss = {r: [] for r in ORDER}
        out = os.path.join(self.work, "time.out")
        for _ in range(reps):
            for runtime in ORDER:
                cid = self.new_id(f"w4-{runtime}")
                with tempfile.TemporaryFile(dir=self.work) as errf:
                    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out] + self.cmds[runtime]
                                       + ["create", "--bundle", self.bundle["a"], cid],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=errf)
                    errf.seek(0)
                    p.stderr = errf.read().decode(errors="replace")
                self.force_delete(runtime, cid)
                if p.returncode != 0:
                    self.fail("w4", runtime, cid, p.stderr)
                    continue
                with open(out) as f:
                    rss[runtime].append(int(f.read().split()[-1]))
        sizes = {}
        for runtime in ORDER:
            path = self.cmds[runtime][0]
            stripped = os.path.join(self.work, f"{runtime}.stripped")
            subprocess.run(["strip", "-o", stripped, path], check=True)
            ldd = subprocess.run(["ldd", path], capture_output=True, text=True)
            libs = [l.split()[2] for l in ldd.stdout.splitlines()
                    if "=>" in l and len(l.split()) > 2] if ldd.returncode == 0 else []
            sizes[runtime] = {"path": path, "file_bytes": os.path.getsize(path),
                              "stripped_bytes": os.path.getsize(stripped),
                              "static": ldd.returncode != 0, "shared_libs": libs,
                              "shared_libs_bytes": sum(os.path.getsize(l) for l in libs
                                                       if os.path.exists(l))}
            os.unlink(stripped)
        return rss, sizes

    # ------------------------------------------------------------- cleanup

    def cleanup(self):
        """Delete everything this run created and check that nothing is left."""
        leaks = []
        for runtime in ORDER:
            root = self.cmds[runtime][-1]
            p = subprocess.run(self.cmds[runtime] + ["list", "-q"], capture_output=True, text=True)
            for cid in p.stdout.split():
                leaks.append(f"{runtime}: container {cid} still listed (deleting it)")
                self.force_delete(runtime, cid)
            if os.path.isdir(root):
                for e in os.listdir(root):
                    if self.prefix in e:
                        leaks.append(f"{runtime}: state {os.path.join(root, e)}")
        for cg in self.cgroups_of(self.prefix):
            leaks.append(f"cgroup {cg}")
            try:
                os.rmdir(cg)
            except OSError:
                pass
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if self.work.encode() in cmd or self.prefix.encode() in cmd:
                text = cmd.replace(b"\0", b" ").decode(errors="replace")
                leaks.append(f"process {pid}: {text}")
        with open("/proc/self/mountinfo") as f:
            for line in f:
                if self.work in line:
                    leaks.append(f"mount: {line.strip()}")
        shutil.rmtree(self.work, ignore_errors=True)
        if os.path.exists(self.work):
            leaks.append(f"work directory {self.work}")
        return leaks


# ------------------------------------------------------------------ report

def summary(values, scale=1e6):
    if not values:
        return None
    v = [x / scale for x in values]
    return {"n": len(v), "median": statistics.median(v), "min": min(v), "max": max(v)}


def fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


def build_table(results):
    """Rows: workload, runtime, unit, median, min, max, berth/peer."""
    rows = []

    def add(workload, unit, stats, higher_better=False, digits=2):
        b = stats.get("berth")
        for runtime in ORDER + (FLOOR,):
            s = stats.get(runtime)
            if runtime not in stats:
                continue
            ratio = ""
            if runtime != "berth" and s and b:
                ratio = f"{b['median'] / s['median']:.2f}"
            rows.append([workload, runtime, unit,
                         fmt(s and s["median"], digits), fmt(s and s["min"], digits),
                         fmt(s and s["max"], digits), ratio,
                         str(s["n"]) if s else "0"])

    w = results["workloads"]
    add("1 run /bin/true", "ms", w["1"]["stats"])
    add("2 create+start+wait+delete", "ms", w["2"]["stats"])
    add(f"3 {THROUGHPUT_N} concurrent runs", "ms total", w["3"]["stats"])
    add(f"3 {THROUGHPUT_N} concurrent runs", "containers/s", w["3"]["rate_stats"], digits=1)
    add("4 peak RSS of create", "MiB", w["4"]["rss_stats"])
    sz = {r: {"n": 1, "median": v["stripped_bytes"] / 2**20, "min": v["stripped_bytes"] / 2**20,
              "max": v["stripped_bytes"] / 2**20} for r, v in w["4"]["sizes"].items()}
    add("4 binary size (stripped)", "MiB", sz)
    w5 = w["5"]["stats"]
    add("5 create, no seccomp", "ms", w5["noseccomp"])
    add("5 create, podman seccomp", "ms", w5["seccomp"])
    add("5 create, seccomp, fresh root", "ms", w5["seccomp-first"])
    # CPU time only for berth: crun and runc spend part of theirs in the
    # container's init, which create does not wait for, so theirs would not
    # compare.
    c5 = w["5"]["cpu_stats"]
    add("5 CPU of create, no seccomp", "ms CPU", {"berth": c5["noseccomp"]["berth"]})
    add("5 CPU of create, seccomp", "ms CPU", {"berth": c5["seccomp"]["berth"]})
    add("5 CPU of create, fresh root", "ms CPU", {"berth": c5["seccomp-first"]["berth"]})
    return rows


def seccomp_costs(results):
    """Median create time with seccomp minus without, per runtime (ms)."""
    st = results["workloads"]["5"]["stats"]
    out = {}
    for runtime in ORDER:
        plain, sec = st["noseccomp"].get(runtime), st["seccomp"].get(runtime)
        if plain and sec:
            out[runtime] = sec["median"] - plain["median"]
    plain, first = st["noseccomp"].get("berth"), st["seccomp-first"].get("berth")
    if plain and first:
        out["berth, fresh root (cache miss)"] = first["median"] - plain["median"]
    cpu = results["workloads"]["5"]["cpu_stats"]
    plain = cpu["noseccomp"].get("berth")
    for kind, who in (("seccomp", "berth CPU"), ("seccomp-first", "berth CPU, fresh root (cache miss)")):
        with_it = cpu[kind].get("berth")
        if plain and with_it:
            out[who] = with_it["median"] - plain["median"]
    return out


def render_table(rows):
    head = ["workload", "runtime", "unit", "median", "min", "max", "berth/peer", "n"]
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    lines = ["| " + " | ".join(h.ljust(widths[i]) for i, h in enumerate(head)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(c).ljust(widths[i]) if i < 3 else str(c).rjust(widths[i])
                                       for i, c in enumerate(r)) + " |")
    return "\n".join(lines)


COLORS = {"berth": "#1f77b4", "crun": "#2ca02c", "runc": "#d62728", "floor": "#7f7f7f"}


def svg_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quartiles(v):
    v = sorted(v)
    if len(v) < 2:
        return v[0], v[0], v[0]
    q = statistics.quantiles(v, n=4, method="inclusive")
    return q[0], q[1], q[2]


def render_svg(panels, title):
    """Box plot (q1..q3, median, min..max whiskers) plus jittered points, one panel per workload."""
    pw, ph, left, top, gap = 300, 300, 60, 50, 30
    width = left + len(panels) * (pw + gap)
    height = top + ph + 60
    rng = random.Random(6)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="18" font-size="14">{svg_escape(title)}</text>']
    for pi, (ptitle, unit, data) in enumerate(panels):
        x0 = left + pi * (pw + gap)
        series = [(r, [x / 1e6 for x in data[r]]) for r in ORDER + (FLOOR,) if data.get(r)]
        if not series:
            continue
        vmax = max(max(v) for _, v in series) * 1.05
        vmin = 0.0

        def y(v):
            return top + ph - (v - vmin) / (vmax - vmin) * ph

        out.append(f'<text x="{x0}" y="{top - 12}" font-size="12">{svg_escape(ptitle)}</text>')
        out.append(f'<rect x="{x0}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>')
        for k in range(6):
            v = vmin + (vmax - vmin) * k / 5
            out.append(f'<line x1="{x0 - 4}" x2="{x0 + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eee"/>')
            out.append(f'<text x="{x0 - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.0f}</text>')
        out.append(f'<text x="{x0 - 42}" y="{top + ph / 2}" transform="rotate(-90 {x0 - 42} {top + ph / 2})" '
                   f'text-anchor="middle">{svg_escape(unit)}</text>')
        slot = pw / len(series)
        for si, (r, v) in enumerate(series):
            cx = x0 + slot * (si + 0.5)
            c = COLORS[r]
            q1, med, q3 = quartiles(v)
            bw = slot * 0.5
            out.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(max(v)):.1f}" y2="{y(min(v)):.1f}" stroke="{c}"/>')
            out.append(f'<rect x="{cx - bw / 2:.1f}" y="{y(q3):.1f}" width="{bw:.1f}" '
                       f'height="{max(y(q1) - y(q3), 1):.1f}" fill="{c}" fill-opacity="0.15" stroke="{c}"/>')
            out.append(f'<line x1="{cx - bw / 2:.1f}" x2="{cx + bw / 2:.1f}" y1="{y(med):.1f}" '
                       f'y2="{y(med):.1f}" stroke="{c}" stroke-width="2"/>')
            for val in v:
                jx = cx + (rng.random() - 0.5) * bw * 0.9
                out.append(f'<circle cx="{jx:.1f}" cy="{y(val):.1f}" r="1.6" fill="{c}" fill-opacity="0.6"/>')
            out.append(f'<text x="{cx:.1f}" y="{top + ph + 16}" text-anchor="middle">{r}</text>')
            out.append(f'<text x="{cx:.1f}" y="{top + ph + 30}" text-anchor="middle" fill="#555">{med:.1f}</text>')
    out.append(f'<text x="{left}" y="{height - 8}" fill="#555">box: quartiles, bar: median '
               f'(value below each name), whiskers: min..max, dots: every sample</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# -------------------------------------------------------------------- main

def check_namespace():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[4] == "/sys/fs/cgroup" and fields[sep + 1] == "cgroup2":
                return
    die("/sys/fs/cgroup is not cgroup2 here: run bench/run.sh (it sets up the namespace)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--berth", required=True, help="the berth binary")
    ap.add_argument("--quick", action="store_true", help="20 containers per sequence, 3 throughput rounds")
    ap.add_argument("-n", type=int, help="containers per runtime in workloads 1 and 2 (default 100, 20 with --quick)")
    ap.add_argument("--rounds", type=int, help="throughput rounds (default 10, 3 with --quick)")
    ap.add_argument("--out", default=os.path.join(HERE, "results"), help="directory for latest.json/latest.svg")
    args = ap.parse_args()
    n = args.n or (20 if args.quick else 100)
    rounds = args.rounds or (3 if args.quick else 10)
    if os.geteuid() != 0:
        die("must run as root")
    check_namespace()
    for tool in ("runc", "crun", "unshare", "chroot", "strip", "ldd"):
        if not shutil.which(tool):
            die(f"{tool} not found (bench/run.sh installs it)")
    if not os.access(args.berth, os.X_OK):
        die(f"{args.berth}: not executable")

    b = Bench(args)
    # Other work on the machine shows up in every number: record how busy it was.
    load_start = os.getloadavg()
    leaks = []
    try:
        b.make_bundles()
        b.probe_limits()
        w1 = b.workload1(n)
        w2, phases = b.workload2(n)
        w3 = b.workload3(rounds)
        rss, sizes = b.workload4(5)
        w5, w5_cpu, cache_files = b.workload5(n)
    finally:
        leaks = b.cleanup()
        for l in leaks:
            print(f"bench.py: LEAK (cleaned up where possible): {l}", file=sys.stderr)

    versions = {}
    for runtime in ORDER:
        p = subprocess.run([b.cmds[runtime][0], "--version"], capture_output=True, text=True)
        versions[runtime] = (p.stdout.strip().splitlines() or ["?"])[0]
    results = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": {"kernel": platform.release(), "cpus": os.cpu_count(),
                 "loadavg_start": load_start, "loadavg_end": os.getloadavg()},
        "versions": versions,
        "params": {"n": n, "throughput_containers": THROUGHPUT_N, "throughput_rounds": rounds,
                   "settle": {"idle": SETTLE_IDLE, "window_s": SETTLE_WINDOW_S, "max_s": SETTLE_MAX_S},
                   "quick": args.quick},
        "namespace": {
            "setup": "unshare -m; mount --make-rprivate /; mount -t cgroup2 none /sys/fs/cgroup",
            "cgroup2_controllers": open("/sys/fs/cgroup/cgroup.controllers").read().split(),
            "crun": "crun --cgroup-manager=disabled (creates no cgroup)",
        },
        "config_a": b.notes_a,
        "config_b": b.notes,
        "seccomp_profile": b.seccomp,
        "workloads": {
            "1": {"what": "run /bin/true, default runc spec config, sequential, ns per container",
                  "samples_ns": w1, "stats": {r: summary(v) for r, v in w1.items()}},
            "2": {"what": "create + start + wait (pidfd of --pid-file pid) + delete, engine-like config",
                  "samples_ns": w2, "phases_ns": phases,
                  "stats": {r: summary(v) for r, v in w2.items()},
                  "phase_stats": {r: {k: summary(v) for k, v in ph.items()} for r, ph in phases.items()}},
            "3": {"what": f"{THROUGHPUT_N} concurrent runs of /bin/true, wall ns per round",
                  "samples_ns": w3, "stats": {r: summary(v) for r, v in w3.items()},
                  "rate_stats": {r: summary([THROUGHPUT_N * 1e9 / x for x in v], scale=1)
                                 for r, v in w3.items()}},
            "4": {"what": "peak RSS (/usr/bin/time %M, KiB) of create with the default config; binary sizes",
                  "rss_kib": rss, "rss_stats": {r: summary(v, scale=1024) for r, v in rss.items()},
                  "sizes": sizes},
            "5": {"what": "create (then an untimed delete --force) of workload 2's bundle without "
                          "and with linux.seccomp; berth also in a fresh --root (seccomp cache miss)",
                  "samples_ns": w5, "cpu_samples_ns": w5_cpu,
                  "stats": {k: {r: summary(v) for r, v in per.items()} for k, per in w5.items()},
                  "cpu_stats": {k: {r: summary(v) for r, v in per.items()} for k, per in w5_cpu.items()},
                  "berth_seccomp_cache_files": cache_files},
        },
        "failures": b.failures,
        "leaks": leaks,
    }
    # ratios berth/peer of medians (for containers/s: berth's rate / peer's rate)
    ratios = {}
    for key, st in (("1", results["workloads"]["1"]["stats"]), ("2", results["workloads"]["2"]["stats"]),
                    ("3_ms", results["workloads"]["3"]["stats"]),
                    ("3_rate", results["workloads"]["3"]["rate_stats"]),
                    ("4_rss", results["workloads"]["4"]["rss_stats"])):
        for peer in PEERS + (FLOOR,):
            if st.get("berth") and st.get(peer):
                ratios[f"{key}/{peer}"] = st["berth"]["median"] / st[peer]["median"]
    results["ratios_berth_over_peer"] = ratios
    results["seccomp_cost_in_create_ms"] = seccomp_costs(results)
    rows = build_table(results)
    results["table"] = render_table(rows)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    panels = [("1: run /bin/true (ms)", "ms per container", w1),
              ("2: create+start+wait+delete (ms)", "ms per container", w2),
              (f"3: {THROUGHPUT_N} concurrent runs (ms)", "ms per round", w3)]
    with open(os.path.join(args.out, "latest.svg"), "w") as f:
        f.write(render_svg(panels, f"berth vs crun vs runc, {results['date']}, n={n}"))

    print()
    print(results["table"])
    print()
    for runtime in ORDER:
        print(f"config (a), {runtime}: {b.notes_a.get(runtime)}")
    for runtime in ORDER:
        print(f"config (b), {runtime}: {b.notes.get(runtime)}")
    print(f"seccomp profile of config (b): {b.seccomp}")
    for who, ms in results["seccomp_cost_in_create_ms"].items():
        print(f"seccomp cost in create (median with - median without), {who}: {ms:.2f} ms")
    print(f"berth's seccomp cache after the run: {cache_files}")
    print(f"load average (1, 5, 15 min): {load_start[0]:.1f} {load_start[1]:.1f} {load_start[2]:.1f} "
          f"at the start, {results['host']['loadavg_end'][0]:.1f} at the end")
    for peer in PEERS:
        s = sizes.get(peer)
        if s and not s["static"]:
            print(f"{peer} is dynamically linked: {len(s['shared_libs'])} shared libraries, "
                  f"{s['shared_libs_bytes'] / 2**20:.2f} MiB, not counted in its size above")
    print(f"results: {os.path.join(args.out, 'latest.json')}, {os.path.join(args.out, 'latest.svg')}")
    if b.failures:
        print(f"{len(b.failures)} container(s) failed; see 'failures' in latest.json", file=sys.stderr)
    if leaks:
        sys.exit(1)
    print("cleanup check: no container, state, cgroup, process or mount left behind")
    sys.exit(1 if b.failures else 0)


if __name__ == "__main__":
    main()
