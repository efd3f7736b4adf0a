#!/usr/bin/python3
"""Docker with berth against Docker with runc: N sequential
`docker run --rm IMAGE true` and N sequential `docker exec C true` per
runtime, interleaved (berth, runc, berth, ...), one dockerd for both.

dockerd is started as tests/integration's Docker suite starts it (its own
data root, exec root and socket under a temporary directory, the cgroupfs
driver, a busybox image imported from a local rootfs), with berth as
`--add-runtime berth=PATH` and runc as dockerd's built-in `runc`; each
command picks its runtime with `--runtime`.  Everything is stopped and the
host's network settings put back at the end.

Usage (as root): bench/docker.py [--berth PATH] [-n 20] [--out FILE.json]
Times are the wall time of each docker client command (time.perf_counter_ns),
in ms.
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
from command import run  # noqa: E402
from docker_engine import DOCKER, Docker  # noqa: E402
from itlib import ok  # noqa: E402
from results_file import write_results  # noqa: E402

RUNC = "runc"   # dockerd's built-in runtime: `runc` from PATH


def timed(argv, env) -> int:
    t0 = time.perf_counter_ns()
    res = run(argv, env=env)
    dt = time.perf_counter_ns() - t0
    assert res.rc == 0, f"command failed:\n{res}"
    return dt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--berth", default=str(REPO / "build" / "src" / "berth"))
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "docker.json"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/docker.py: run it as root (it starts dockerd)")
    berth = str(Path(args.berth).resolve())
    runc = shutil.which("runc")
    if not runc:
        sys.exit("bench/docker.py: runc not found (apt-get install runc)")

    load_start = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="berth-bench-docker.", dir="/tmp"))
    os.chmod(work, 0o755)
    rootfs = make_busybox_rootfs(work / "rootfs-template")
    dk = Docker(work, berth, rootfs, "bench" + itlib.token()[:6])
    samples = {("run", "berth"): [], ("run", "runc"): [], ("exec", "berth"): [], ("exec", "runc"): []}
    try:
        dk.start()
        versions = {"docker": ok(dk.docker("version", "--format", "{{.Server.Version}}")).out.strip(),
                    "berth": run([berth, "--version"]).out.splitlines()[0],
                    "runc": run([runc, "--version"]).out.splitlines()[0]}
        runtimes = {"berth": "berth", "runc": RUNC}
        # one warm-up of each, not counted (the first run loads the image's layers)
        for rt in runtimes.values():
            timed([DOCKER, "run", "--rm", "--runtime", rt, dk.image, "true"], dk.env)
        for _ in range(args.n):
            for name, rt in runtimes.items():
                samples[("run", name)].append(
                    timed([DOCKER, "run", "--rm", "--runtime", rt, dk.image, "true"], dk.env))
        conts = {}
        for name, rt in runtimes.items():
            conts[name] = dk.new_name("bench")
            ok(dk.docker("run", "--detach", "--name", conts[name], "--runtime", rt, dk.image,
                         "sleep", "100000"))
            timed([DOCKER, "exec", conts[name], "true"], dk.env)
        for _ in range(args.n):
            for name in runtimes:
                samples[("exec", name)].append(timed([DOCKER, "exec", conts[name], "true"], dk.env))
        for c in conts.values():
            dk.remove(c)
    finally:
        dk.shutdown()
        left = dk.leftover_state() + dk.leftover_cgroups() + dk.leftover_processes()
        dk.final_cleanup()
        shutil.rmtree(work, ignore_errors=True)

    ms = lambda v: v / 1e6
    load_end = os.getloadavg()[0]
    print(f"# docker {versions['docker']}, {versions['berth']}, {versions['runc']}; n={args.n} each, "
          f"interleaved; load average {load_start:.2f} at the start, {load_end:.2f} at the end")
    print("| command | runtime | median ms | min | max | berth/runc | n |")
    print("|---|---|---|---|---|---|---|")
    for what, label in (("run", "`docker run --rm IMAGE true`"), ("exec", "`docker exec C true`")):
        med = {r: statistics.median(samples[(what, r)]) for r in ("berth", "runc")}
        for r in ("berth", "runc"):
            s = samples[(what, r)]
            ratio = f"{med['berth'] / med['runc']:.2f}" if r == "runc" else ""
            print(f"| {label} | {r} | {ms(med[r]):.1f} | {ms(min(s)):.1f} | {ms(max(s)):.1f} | {ratio} | {len(s)} |")
    return write_results(args.out, {
        "versions": versions, "n": args.n, "load_average": [load_start, load_end],
        "samples_ns": {f"{w} {r}": v for (w, r), v in samples.items()}}, left)


if __name__ == "__main__":
    sys.exit(main())
