"""Leak accounting for the reliability suite.

A LeakCounter takes a snapshot of everything berth could leave behind when a
test starts, and compares a later snapshot with it:

  mounts     host mounts (/proc/self/mountinfo) that name the test's directory
             or its --root
  cgroups    directories of the test's containers (ids start with ID_PREFIX) in
             every cgroup hierarchy: each v1 one and the unified one
  state      entries under --root (recursively; the seccomp cache's files are
             berth's to keep, its temporary files are not)
  processes  live processes carrying the test's token (berth, the containers)
             or rooted in the test's directory, and the test's own children
  zombies    zombie children of the test (a berth it forgot to wait for)
  tmp        files in the TMPDIR berth runs with (one per test)

The machine may be shared: only objects that belong to this test are counted.
"""

from __future__ import annotations

import os
from pathlib import Path

from host_objects import (SECCOMP_CACHE, children_of, cmdline, host_cgroup_hierarchies,
                          mount_snapshot, proc_state, processes_of, wait_for)

ID_PREFIX = "rl"


class Totals:
    cases = 0
    leaks = 0
    soak = ""


TOTALS = Totals()


class LeakCounter:
    def __init__(self, rt):
        self.rt = rt
        self.tmpdir = rt.workdir / "tmp"
        self.tmpdir.mkdir(exist_ok=True)
        os.chmod(self.tmpdir, 0o1777)
        rt.berth.env["TMPDIR"] = str(self.tmpdir)
        self.hierarchies = host_cgroup_hierarchies()
        self.before = self.snapshot()

    # -- the counts ------------------------------------------------------------
    def mounts(self) -> set:
        base, root = str(self.rt.workdir), self.rt.root
        return {m for m in mount_snapshot()
                if m.mountpoint.startswith(base) or m.mountpoint.startswith(root)
                or base in m.source or base in m.root}

    def cgroups(self) -> set:
        found = set()
        for h in self.hierarchies:
            own = h.dir(".")
            try:
                for entry in own.iterdir():
                    if entry.is_dir() and entry.name.startswith(ID_PREFIX):
                        found.add(str(entry))
            except OSError:
                pass
        return found

    def state(self) -> set:
        root = Path(self.rt.root)
        found = set()
        if not root.is_dir():
            return found
        for dirpath, dirnames, filenames in os.walk(root):
            rel = os.path.relpath(dirpath, root)
            in_cache = rel == SECCOMP_CACHE or rel.startswith(SECCOMP_CACHE + "/")
            for name in dirnames + filenames:
                if in_cache and not (name.startswith(".") and ".tmp." in name):
                    continue
                if rel == "." and name == SECCOMP_CACHE:
                    continue
                found.add(os.path.normpath(os.path.join(rel, name)))
        return found

    def processes(self) -> set:
        found = set(processes_of(self.rt.token.encode(), str(self.rt.workdir)))
        found |= {(pid, cmdline(pid)) for pid in children_of(os.getpid())
                  if proc_state(pid) not in (None, "Z", "X")}
        return found

    def zombies(self) -> set:
        return {pid for pid in children_of(os.getpid()) if proc_state(pid) in ("Z", "X")}

    def tmp(self) -> set:
        return {p.name for p in self.tmpdir.iterdir()}

    def snapshot(self) -> dict:
        return {"mounts": self.mounts(), "cgroups": self.cgroups(), "state": self.state(),
                "processes": self.processes(), "zombies": self.zombies(), "tmp": self.tmp()}

    # -- the comparison ------------------------------------------------------------
    def new_since_start(self) -> dict:
        now = self.snapshot()
        return {kind: sorted(now[kind] - self.before[kind], key=str)
                for kind in now if now[kind] - self.before[kind]}

    def check(self, when: str = ""):
        """Fails (and counts one leak per leaked object) when something is left
        that was not there at the start. Processes get time to finish dying:
        a SIGKILLed process takes a moment to disappear on a loaded machine."""
        try:
            wait_for(lambda: not self.new_since_start(), timeout=10, interval=0.1)
        except AssertionError:
            pass
        left = self.new_since_start()
        if left:
            TOTALS.leaks += sum(len(v) for v in left.values())
            raise AssertionError(f"leaked {when}: " + "; ".join(f"{k}: {v}" for k, v in left.items()))

    def tried(self, n: int = 1):
        """Counts cases that one test function tries in a loop."""
        TOTALS.cases += n
