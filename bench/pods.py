#!/usr/bin/python3
"""Pods through containerd's CRI plugin: berth against runc, side by side.

One containerd 1.6 (the integration suite's CRI setup: own root, state,
socket, CNI bridge, local pause and busybox images) with two runtime
handlers, "berth" and "runc", both through io.containerd.runc.v2. For a pod
of 1 and of 5 containers, each round measures, per runtime (interleaved):

  ready: crictl runp + create + start of every container, until crictl
         reports every container running (what the kubelet waits for);
  down:  crictl stopp + rmp.

Usage (as root): bench/pods.py [--berth PATH] [--runc PATH] [--rounds N] [--out FILE]
Needs crictl ($CRICTL, ../shared/bin/crictl next to the repository, or PATH).
It measures only; nothing asserts timings.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The integration harness drives the engine; it needs the shared test library.
sys.path[:0] = [str(REPO / "tests" / "integration"), str(REPO / "tests" / "pylib")]

import itlib  # noqa: E402
from busybox_rootfs import make_busybox_rootfs  # noqa: E402
from cri_engine import CriContainerd, find_crictl, missing_cni_plugins  # noqa: E402
from itlib import ok, wait_for  # noqa: E402
from results_file import write_results  # noqa: E402

SLEEP = ["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]


def one_pod(engine: CriContainerd, runtime: str, size: int, n: int) -> tuple:
    """(seconds to ready, seconds to stopp+rmp) of a pod of `size` containers."""
    pcfg = engine.pod_config(f"bench-{runtime}-{size}-{n}")
    ccfgs = [engine.container_config(f"c{i}", SLEEP) for i in range(size)]
    t0 = time.perf_counter()
    pod = engine.runp(pcfg, runtime=runtime)
    cids = [engine.create_start(pod, c, pcfg) for c in ccfgs]

    def all_running():
        out = ok(engine.crictl("ps", "--pod", pod, "--state", "running", "-q")).out.split()
        return len(out) == len(cids)
    wait_for(all_running, timeout=60, interval=0.02, what="every container running")
    ready = time.perf_counter() - t0
    t1 = time.perf_counter()
    ok(engine.crictl("stopp", pod))
    ok(engine.crictl("rmp", pod))
    down = time.perf_counter() - t1
    engine.pods.remove(pod)
    return ready, down


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--berth", default=str(REPO / "build" / "src" / "berth"))
    ap.add_argument("--runc", default="/usr/sbin/runc")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "pods.json"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench/pods.py: must run as root", file=sys.stderr)
        return 1
    crictl = find_crictl()
    if crictl is None or missing_cni_plugins():
        print("bench/pods.py: needs crictl and containernetworking-plugins (see "
              "tests/integration/README.md)", file=sys.stderr)
        return 1
    berth = str(Path(args.berth).resolve())
    workdir = Path(tempfile.mkdtemp(prefix="berth-bench-pods.", dir="/tmp"))
    os.chmod(workdir, 0o755)
    template = make_busybox_rootfs(workdir / "rootfs-template")
    engine = CriContainerd(workdir, berth, template, itlib.token(), crictl,
                           other_runtimes={"runc": args.runc})
    samples: dict = {}
    load_start = os.getloadavg()
    try:
        engine.start()
        # one unmeasured pod per runtime: images unpacked, caches warm
        for runtime in ("berth", "runc"):
            one_pod(engine, runtime, 1, 0)
        for n in range(1, args.rounds + 1):
            for size in (1, 5):
                for runtime in ("berth", "runc") if n % 2 else ("runc", "berth"):
                    ready, down = one_pod(engine, runtime, size, n)
                    samples.setdefault(f"{runtime} {size}", []).append((ready, down))
    finally:
        engine.shutdown()
        leftovers = (engine.leftover_state() + engine.leftover_cgroups() + engine.leftover_mounts()
                     + engine.leftover_processes())
        engine.final_cleanup()
        shutil.rmtree(workdir, ignore_errors=True)

    def ms(values):
        return f"{statistics.median(values) * 1000:7.0f}"
    load_end = os.getloadavg()
    print(f"pods through containerd {os.popen('containerd --version').read().split()[2]} CRI, "
          f"{args.rounds} rounds, median ms (load average {load_start[0]:.1f} -> {load_end[0]:.1f})")
    print(f"{'containers':>10} | {'berth ready':>11} | {'runc ready':>10} | {'berth stopp+rmp':>15} | "
          f"{'runc stopp+rmp':>14}")
    for size in (1, 5):
        b, r = samples[f"berth {size}"], samples[f"runc {size}"]
        print(f"{size:>10} | {ms([x[0] for x in b]):>11} | {ms([x[0] for x in r]):>10} | "
              f"{ms([x[1] for x in b]):>15} | {ms([x[1] for x in r]):>14}")
    return write_results(args.out, {"berth": berth, "runc": args.runc, "rounds": args.rounds,
                                    "load_average": [load_start, load_end],
                                    "samples_s": samples}, leftovers)


if __name__ == "__main__":
    sys.exit(main())
