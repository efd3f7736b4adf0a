"""The host's kernel objects a test inspects: mounts (/proc/self/mountinfo),
cgroups (every hierarchy, whatever the layout: v1, v2 or hybrid) and processes
(/proc/<pid>), and the snapshots that tell what a runtime left behind of them.

One copy for the conformance, reliability, differential and integration
suites: each suite's conftest.py puts tests/pylib on sys.path.  Nothing here
knows about a suite; what counts as "this suite's" object is the caller's
argument (a token in the environment, a directory, container ids).
"""

from __future__ import annotations

import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

# ---------------------------------------------------------------------------
# Waiting
# ---------------------------------------------------------------------------


def wait_for(predicate, timeout=10.0, interval=0.05, what="condition"):
    """predicate()'s first true value; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------------------
# Mounts: /proc/<pid>/mountinfo
# ---------------------------------------------------------------------------

def _unescape(s: str) -> str:
    """mountinfo writes space, tab, newline and backslash as \\ooo."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


@dataclass
class MountEntry:
    mount_id: int
    parent_id: int
    devno: str
    root: str
    mountpoint: str
    options: set
    optional: list
    fstype: str
    source: str
    super_options: set
    line: str

    def all_options(self) -> set:
        return self.options | self.super_options

    def super_value(self, key: str):
        for opt in self.super_options:
            if opt.startswith(key + "="):
                return opt.split("=", 1)[1]
        return None


def parse_mountinfo(text: str) -> list:
    entries = []
    for line in text.splitlines():
        if not line.strip():
            continue
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        lf = left.split()
        rf = right.split()
        if len(lf) < 6 or len(rf) < 2:
            continue
        entries.append(
            MountEntry(
                mount_id=int(lf[0]),
                parent_id=int(lf[1]),
                devno=lf[2],
                root=_unescape(lf[3]),
                mountpoint=_unescape(lf[4]),
                options=set(lf[5].split(",")),
                optional=lf[6:],
                fstype=rf[0],
                source=_unescape(rf[1]),
                super_options=set(rf[2].split(",")) if len(rf) > 2 else set(),
                line=line,
            )
        )
    return entries


def mount_at(entries: list, mountpoint: str):
    """The visible (last, i.e. top-most) mount at a mount point, or None."""
    found = None
    for e in entries:
        if e.mountpoint == mountpoint:
            found = e
    return found


def host_mountinfo() -> list:
    return parse_mountinfo(Path("/proc/self/mountinfo").read_text())


class HostMount(NamedTuple):
    """One mount as the leftover checks compare them (" ".join() of it is how
    a leftover is reported)."""
    root: str
    mountpoint: str
    fstype: str
    source: str


def mount_snapshot() -> set:
    """Every mount of our mount namespace, as a set of HostMount."""
    return {HostMount(m.root, m.mountpoint, m.fstype, m.source) for m in host_mountinfo()}


def new_mounts(before: set, related) -> list:
    """The mounts that are new since the snapshot `before` and that `related`
    (a predicate on a HostMount) says are the caller's: the machine may be
    shared, and others mount things meanwhile."""
    return sorted(m for m in mount_snapshot() - before if related(m))


# ---------------------------------------------------------------------------
# Processes: /proc/<pid>
# ---------------------------------------------------------------------------

def proc_state(pid: int) -> str | None:
    """The state letter of /proc/<pid>/stat (R, S, Z, ...), None when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def pid_alive(pid: int) -> bool:
    """True if pid exists and is not a zombie."""
    return proc_state(pid) not in (None, "Z", "X")


def cmdline(pid: int) -> str:
    """The command line of pid, its arguments joined by spaces ("?" when gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def children_of(pid: int) -> list:
    """The children of every thread of pid."""
    out = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _lies_in(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory + "/")


def processes_of(env_marker: bytes, under: str, words=()) -> list:
    """Live processes (not this one) that belong to a test or a suite, as
    sorted (pid, command line) pairs.  A process belongs when:
      - its environment holds env_marker (the runtime and its children inherit
        the caller's token, a container's process gets it from config.json);
      - its root or cwd lies in the directory `under`;
      - its command line or cgroup path names one of `words` (a container's
        processes have their own root: /proc/PID/root reads "/")."""
    found = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        if pid == me or not pid_alive(pid):
            continue
        hit = False
        try:
            hit = env_marker in Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            pass
        for link in ("root", "cwd"):
            try:
                hit = hit or _lies_in(os.readlink(f"/proc/{pid}/{link}"), under)
            except OSError:
                pass
        if words and not hit:
            try:
                hit = any(w in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                          for w in words)
            except OSError:
                pass
            try:
                hit = hit or any(w in Path(f"/proc/{pid}/cgroup").read_text() for w in words)
            except OSError:
                pass
        if hit:
            found.append((pid, cmdline(pid)))
    return sorted(found)


def kill_pids(pids, timeout=5.0) -> None:
    """SIGKILL each pid, then wait (up to `timeout` seconds) for them to die."""
    pids = list(pids)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + timeout
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)


# ---------------------------------------------------------------------------
# Namespaces: /proc/<pid>/ns
# ---------------------------------------------------------------------------

NAMESPACE_KINDS = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")


def ns_inode(path: str) -> int:
    return os.stat(path).st_ino


def ns_link(kind: str, pid="self") -> str:
    """What /proc/<pid>/ns/<kind> reads, e.g. "net:[4026531840]"."""
    return os.readlink(f"/proc/{pid}/ns/{kind}")


def namespace_links(pid="self", kinds=NAMESPACE_KINDS) -> dict:
    """{kind: ns_link} of pid's namespaces; a kind this kernel lacks (or a pid
    that is gone) has no entry."""
    out = {}
    for kind in kinds:
        try:
            out[kind] = ns_link(kind, pid)
        except FileNotFoundError:
            pass
    return out


# ---------------------------------------------------------------------------
# Cgroups: the host's hierarchies, whatever their layout (v1, v2 or hybrid)
# ---------------------------------------------------------------------------

@dataclass
class CgroupHierarchy:
    version: int          # 1 or 2
    mount_point: Path     # /sys/fs/cgroup/memory, /sys/fs/cgroup/unified, /sys/fs/cgroup
    controllers: frozenset  # v1: what the mount binds ("name=systemd" too); v2: cgroup.controllers
    own: str              # this process's cgroup in it (/proc/self/cgroup), e.g. "/" or "/a/b"

    @property
    def label(self) -> str:
        """"unified", or the v1 controllers: "memory", "cpu,cpuacct", "name=systemd"."""
        if self.version == 2:
            return "unified"
        return ",".join(sorted(self.controllers))

    def dir(self, cgroup_path: str) -> Path:
        """The directory of cgroup_path as berth resolves linux.cgroupsPath:
        absolute from the hierarchy's root, relative from our own cgroup."""
        base = "/" if cgroup_path.startswith("/") else self.own
        full = os.path.normpath(os.path.join(base, cgroup_path))
        return self.mount_point / full.lstrip("/")


_V1_CONTROLLERS = {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls",
                   "net_prio", "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc"}


def process_cgroups(pid="self") -> dict:
    """/proc/<pid>/cgroup as {controllers: path}; the cgroup2 line's
    controllers are "" (hierarchy id 0).  Raises OSError when pid is gone."""
    out = {}
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        if line.strip():
            _, controllers, path = line.split(":", 2)
            out[controllers] = path
    return out


def process_cgroup(pid, controller: str) -> str | None:
    """The cgroup path of pid in the hierarchy of controller ("" = cgroup2),
    None when pid is gone or not in that hierarchy."""
    try:
        cgroups = process_cgroups(pid)
    except OSError:
        return None
    for controllers, path in cgroups.items():
        if controllers == "" if controller == "" else controller in controllers.split(","):
            return path
    return None


def host_cgroup_hierarchies() -> list:
    """Every cgroup hierarchy mounted in our mount namespace, once each (a
    hierarchy mounted at several places counts once; only mounts of its root)."""
    own_v1 = {}
    own_v2 = "/"
    for ctrls, path in process_cgroups().items():
        if ctrls == "":
            own_v2 = path
        else:
            own_v1[frozenset(c for c in ctrls.split(",") if c)] = path
    seen = set()
    out = []
    for m in host_mountinfo():
        if m.fstype not in ("cgroup", "cgroup2") or m.root != "/" or m.devno in seen:
            continue
        seen.add(m.devno)
        if m.fstype == "cgroup2":
            try:
                ctrls = frozenset(Path(m.mountpoint, "cgroup.controllers").read_text().split())
            except OSError:
                ctrls = frozenset()
            out.append(CgroupHierarchy(2, Path(m.mountpoint), ctrls, own_v2))
        else:
            ctrls = frozenset(o for o in m.super_options
                              if o in _V1_CONTROLLERS or o.startswith("name="))
            out.append(CgroupHierarchy(1, Path(m.mountpoint), ctrls, own_v1.get(ctrls, "/")))
    return out


def cgroup_owner(hierarchies: list, controller: str):
    """The hierarchy whose files control `controller`: a v1 hierarchy that binds
    it, else the unified one if it offers it, else None."""
    for h in hierarchies:
        if h.version == 1 and controller in h.controllers:
            return h
    for h in hierarchies:
        if h.version == 2 and controller in h.controllers:
            return h
    return None


def cgroup_dirs(cgroup_path: str, hierarchies: list | None = None) -> dict:
    """{hierarchy label: directory} of cgroup_path in every hierarchy."""
    hierarchies = hierarchies if hierarchies is not None else host_cgroup_hierarchies()
    return {h.label: h.dir(cgroup_path) for h in hierarchies}


def existing_cgroup_dirs(cgroup_path: str, hierarchies: list | None = None) -> list:
    """The directories of cgroup_path that exist, in every hierarchy, sorted."""
    return sorted(str(d) for d in cgroup_dirs(cgroup_path, hierarchies).values() if d.is_dir())


def process_cgroup_dirs(pid, hierarchies: list | None = None) -> dict:
    """{hierarchy label: directory} of pid's cgroups, from /proc/<pid>/cgroup."""
    hierarchies = hierarchies if hierarchies is not None else host_cgroup_hierarchies()
    cgroups = process_cgroups(pid)
    out = {}
    for h in hierarchies:
        for controllers, path in cgroups.items():
            if (controllers == "" if h.version == 2
                    else set(controllers.split(",")) == set(h.controllers)):
                out[h.label] = h.mount_point / path.lstrip("/")
    return out


def all_cgroup_dirs(hierarchies: list | None = None) -> set:
    """Every cgroup directory of every hierarchy, as "label:/path" (e.g.
    "memory:/docker/ID", "unified:/"): a snapshot to compare with a later one."""
    hierarchies = hierarchies if hierarchies is not None else host_cgroup_hierarchies()
    dirs = set()
    for h in hierarchies:
        mnt = str(h.mount_point)
        for root, _, _ in os.walk(mnt):
            rel = "/" if root == mnt else "/" + os.path.relpath(root, mnt)
            dirs.add(f"{h.label}:{rel}")
    return dirs


def labelled_cgroup_dir(entry: str, hierarchies: list | None = None) -> Path | None:
    """The directory of an all_cgroup_dirs() entry "label:/path"."""
    hierarchies = hierarchies if hierarchies is not None else host_cgroup_hierarchies()
    label, path = entry.split(":", 1)
    for h in hierarchies:
        if h.label == label:
            return h.dir(path)
    return None


def cgroup_procs(directory: Path) -> list:
    """The pids in one cgroup directory (not its descendants)."""
    try:
        return [int(p) for p in (directory / "cgroup.procs").read_text().split()]
    except FileNotFoundError:
        return []


def thaw_cgroup_dirs(dirs) -> None:
    """Thaw cgroup directories (v1 freezer.state, v2 cgroup.freeze) where that
    file is: a frozen process cannot die of SIGKILL."""
    for d in dirs:
        for name, value in (("freezer.state", "THAWED"), ("cgroup.freeze", "0")):
            try:
                (Path(d) / name).write_text(value)
            except OSError:
                pass


def _trees(tops) -> list:
    dirs = []
    for top in tops:
        if Path(top).is_dir():
            dirs += [Path(root) for root, _, _ in os.walk(top)]
    return dirs


def rmdir_cgroup_trees(tops) -> None:
    """rmdir the cgroup directories `tops` and their descendants, deepest
    first; only the empty ones go (a parent someone else may still use)."""
    for d in sorted(_trees(tops), key=lambda p: len(p.parts), reverse=True):
        try:
            d.rmdir()
        except OSError:
            pass


def remove_cgroup_trees(tops, timeout=5.0):
    """rmdir cgroup directories and their descendants, deepest first, after
    thawing them and killing what is still in them (test teardown only: never
    for a cgroup a test did not make).  Pass the same cgroup's directories in
    every hierarchy together: a task frozen in the freezer hierarchy keeps the
    others busy until it is thawed there."""
    tops = [Path(t) for t in tops]
    deadline = time.monotonic() + timeout
    while True:
        dirs = _trees(tops)
        if not dirs:
            return
        thaw_cgroup_dirs(dirs)
        kill_pids([pid for d in dirs for pid in cgroup_procs(d)], timeout=1.0)
        rmdir_cgroup_trees(tops)
        if not any(t.exists() for t in tops):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"could not remove cgroups {[str(t) for t in tops if t.exists()]}")
        time.sleep(0.1)


# ---------------------------------------------------------------------------
# A runtime's state directory (--root)
# ---------------------------------------------------------------------------

SECCOMP_CACHE = "@cache"   # berth's compiled-filter cache: its to keep


def state_entries(root) -> list:
    """The entries of a runtime's --root (the containers' state directories),
    the seccomp cache aside; sorted paths, [] when there is no such root."""
    root = Path(root)
    if not root.is_dir():
        return []
    return [root / e for e in sorted(os.listdir(root)) if e != SECCOMP_CACHE]
