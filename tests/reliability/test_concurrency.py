"""Concurrency: many containers at once, racing commands on one id, and a soak.
No timing is asserted: every command gets minutes, and only its answer and what
is left afterwards are checked."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from berthtest import is_warning
from host_objects import wait_for
from leaks import TOTALS
from util import new_id, quick, sleeper

TIMEOUT = 300  # per command: a loaded 2-core machine is slow, never wrong


def answer_is_consistent(res) -> str | None:
    """None when the command succeeded or failed with exactly one error line;
    otherwise what is wrong with it."""
    errors = [l for l in res.err_lines if not is_warning(l)]
    if res.rc == 0:
        return None if not errors else f"exit 0 with error lines: {res}"
    if res.rc != 1:
        return f"exit {res.rc}: {res}"
    if len(errors) != 1 or not errors[0].startswith("berth:"):
        return f"not one error line: {res}"
    return None


def test_50_parallel_lifecycles(rt, leaks):
    b = sleeper(rt)
    b.write()
    ids = [new_id(rt) for _ in range(50)]

    def cycle(cid):
        steps = []
        for args in (("create", "--bundle", b.path, cid), ("start", cid), ("state", cid),
                     ("kill", cid, "KILL")):
            res = rt(*args, timeout=TIMEOUT)
            steps.append(res)
            if res.rc != 0:
                return steps
        wait_for(lambda: json.loads(rt("state", cid, timeout=TIMEOUT).out)["status"] == "stopped",
                 timeout=TIMEOUT, interval=0.2, what=f"{cid} to stop")
        steps.append(rt("delete", cid, timeout=TIMEOUT))
        return steps

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(cycle, ids))
    failed = [steps[-1] for steps in results if steps[-1].rc != 0]
    assert not failed, f"{len(failed)} of 50 cycles failed; the first:\n{failed[0]}"
    for steps in results:
        state = json.loads(steps[2].out)
        assert state["status"] == "running", state
    leaks.tried(50)
    leaks.check("after 50 parallel lifecycles")


class StateWatcher(threading.Thread):
    """Reads <root>/<id>/state.json in a loop while commands race: it must
    always be whole JSON when it exists (written by rename)."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.reads = 0
        self.broken = []

    def run(self):
        while not self.stop.is_set():
            try:
                text = self.path.read_text()
            except OSError:
                time.sleep(0.001)
                continue
            self.reads += 1
            try:
                json.loads(text)
            except ValueError as e:
                self.broken.append(f"{e}: {text[:200]!r}")


ROUNDS = 5


def test_20_racing_commands_on_one_id(rt, leaks):
    b = sleeper(rt)
    b.write()
    cid = new_id(rt)
    rng = random.Random(20)  # the same shuffles every run
    commands = ([("create", "--bundle", b.path, cid)] * 5 + [("delete", cid)] * 3 +
                [("delete", "--force", cid)] * 2 + [("kill", cid, "KILL")] * 5 + [("state", cid)] * 5)
    assert len(commands) == 20
    watcher = StateWatcher(Path(rt.root) / cid / "state.json")
    watcher.start()
    problems = []
    creates_ok = 0
    try:
        for round_ in range(ROUNDS):
            order = commands[:]
            rng.shuffle(order)
            barrier = threading.Barrier(len(order))

            def go(args):
                barrier.wait()
                return args, rt(*args, timeout=TIMEOUT)

            with ThreadPoolExecutor(max_workers=len(order)) as pool:
                for args, res in pool.map(go, order):
                    why = answer_is_consistent(res)
                    if why:
                        problems.append(f"round {round_}: {why}")
                    if args[0] == "create" and res.rc == 0:
                        creates_ok += 1
                    if args[0] == "state" and res.rc == 0:
                        st = json.loads(res.out)
                        if st["status"] not in ("created", "running", "stopped"):
                            problems.append(f"round {round_}: state says {st}")
            # whatever the race left: one delete --force ends it
            res = rt("delete", "--force", cid, timeout=TIMEOUT)
            if res.rc != 0:
                problems.append(f"round {round_}: final delete --force: {res}")
            leaks.check(f"after round {round_}")
    finally:
        watcher.stop.set()
        watcher.join()
    assert not problems, "\n".join(problems[:10])
    assert not watcher.broken, f"state.json was read half-written: {watcher.broken[:3]}"
    assert creates_ok >= ROUNDS, "every round has a create that wins"
    leaks.tried(20 * ROUNDS)


def _process_fds(pid: int) -> dict:
    out = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            out[int(fd)] = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            pass
    return out


def test_fds_of_a_created_and_a_started_container(rt, leaks):
    """A created container's init holds its stdio, the start socket and the
    channel to berth (close-on-exec), nothing else: no directory of the host,
    the bundle or the state. After start the program has its stdio only."""
    b = sleeper(rt)
    cid = rt.create_ok(b, new_id(rt))
    pid = rt.state(cid)["pid"]
    fds = _process_fds(pid)
    extra = {fd: t for fd, t in fds.items() if fd > 2}
    assert all(t.startswith("socket:") for t in extra.values()) and len(extra) <= 2, \
        f"the created init holds more than its start socket and channel: {fds}"
    assert rt("start", cid).rc == 0
    wait_for(lambda: Path(f"/proc/{pid}/comm").read_text().strip() == "sleep", what="exec")
    fds = _process_fds(pid)
    assert sorted(fds) == [0, 1, 2], f"the container's program inherited fds from berth: {fds}"
    assert rt("delete", "--force", cid).rc == 0
    leaks.check()


def test_fds_of_berth_run_while_it_waits(rt, leaks):
    """A foreground `run` stays while the container runs: it holds nothing of
    the bundle, the rootfs or the state directory."""
    b = sleeper(rt)
    b.write()
    cid = new_id(rt)
    with open(rt.workdir / "run.out", "w") as out:
        proc = rt.berth.popen("run", "--bundle", b.path, cid, stdout=out, stderr=out)
        try:
            wait_for(lambda: (Path(rt.root) / cid / "state.json").exists() and
                     json.loads(rt("state", cid).out or "{}").get("status") == "running",
                     timeout=TIMEOUT, what="run to start the container")
            fds = _process_fds(proc.pid)
            bad = {fd: t for fd, t in fds.items() if str(rt.workdir) in t and not t.endswith("run.out")}
            assert not bad, f"berth run holds files of the test: {fds}"
        finally:
            assert rt("kill", cid, "KILL").rc == 0
            proc.wait(timeout=TIMEOUT)
    rt("delete", "--force", cid)
    leaks.check()


SOAK = int(os.environ.get("BERTH_SOAK_COUNT", "1000"))


def test_soak(rt, leaks):
    """SOAK containers run /bin/true (two at a time: the CI machine has 2 cores).
    Every run exits 0 and the counts before and after are the same."""
    b = quick(rt)
    b.write()
    started = time.monotonic()

    def one(i):
        cid = new_id(rt)
        return rt("run", "--bundle", b.path, cid, timeout=TIMEOUT)

    with ThreadPoolExecutor(max_workers=2) as pool:
        failed = [r for r in pool.map(one, range(SOAK)) if r.rc != 0]
    took = time.monotonic() - started
    TOTALS.soak = f"soak: {SOAK} containers in {took:.0f}s"  # reported, never asserted
    assert not failed, f"{len(failed)} of {SOAK} runs failed; the first:\n{failed[0]}"
    leaks.tried(SOAK)
    leaks.check(f"after {SOAK} containers")
