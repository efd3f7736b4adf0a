"""Fixtures for the berth conformance suite.

Environment:
  BERTH             path of the binary under test (default: build/src/berth in the
                    repository, else the newest build*/src/berth)
  BERTH_TEST_TMPDIR where bundles are made (default /tmp)
  BERTH_TEST_KEEP=1 keep every test's directory for inspection
  BERTH_TEST_REFERENCE=1  the binary is another runtime (runc) used to check the
                    bundles themselves: error-message wording is not checked
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# the helpers the suites share: host_objects, command, busybox_rootfs, berth_binary
sys.path.insert(0, str(REPO / "tests" / "pylib"))

from berth_binary import find_berth  # noqa: E402
from berthtest import Berth, Bundle  # noqa: E402
from busybox_rootfs import make_busybox_rootfs  # noqa: E402
from command import Result  # noqa: E402
from host_objects import (children_of, existing_cgroup_dirs, host_mountinfo,  # noqa: E402
                          kill_pids, mount_snapshot, new_mounts, processes_of,
                          remove_cgroup_trees, wait_for)


def pytest_configure(config):
    if os.geteuid() != 0:
        pytest.exit("the conformance suite creates namespaces, mounts and devices: run it as root",
                    returncode=2)


def pytest_report_header(config):
    return f"berth binary: {find_berth() or 'NOT FOUND (set BERTH=...)'}"


@pytest.fixture(scope="session")
def berth_binary() -> str:
    binary = find_berth()
    if binary is None or not os.access(binary, os.X_OK):
        pytest.fail(f"berth binary not found (looked at $BERTH and {REPO}/build*/src/berth); "
                    "build it or set BERTH=/path/to/berth", pytrace=False)
    return binary


def _unified_roots() -> list[Path]:
    """The mount points of the cgroup2 hierarchies on the host."""
    return [Path(m.mountpoint) for m in host_mountinfo() if m.fstype == "cgroup2"]


@pytest.fixture(scope="session", autouse=True)
def host_cgroup_controls_restored():
    """Containers asking for a controller make berth enable it in the parents'
    cgroup.subtree_control, the host's root among them (hugetlb on a hybrid
    host). The suite puts the host's own setting back as it found it."""
    before = {}
    for root in _unified_roots():
        control = root / "cgroup.subtree_control"
        if control.exists():
            before[control] = set(control.read_text().split())
    yield
    for control, enabled in before.items():
        for controller in set(control.read_text().split()) - enabled:
            try:
                control.write_text(f"-{controller}")
            except OSError:
                pass  # something of the host's uses it now: leave it


@pytest.fixture(scope="session")
def session_dir():
    base = os.environ.get("BERTH_TEST_TMPDIR", "/tmp")
    path = Path(tempfile.mkdtemp(prefix="berth-ct-", dir=base))
    # World-traversable: containers with user namespaces or non-root users
    # must be able to reach their bundle.
    os.chmod(path, 0o755)
    yield path
    if not os.environ.get("BERTH_TEST_KEEP"):
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def rootfs_template(session_dir) -> Path:
    """A busybox rootfs: Debian's busybox-static with one symlink per applet,
    and passwd/group files with root, nobody and a test user."""
    try:
        return make_busybox_rootfs(session_dir / "rootfs-template")
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


class Runtime:
    """Per-test context: one --root, one working directory, and a record of
    everything the test made on the host so that teardown can undo it."""

    def __init__(self, binary: str, workdir: Path, rootfs_template: Path):
        self.workdir = workdir
        self.root = str(workdir / "state")
        self.token = "bt-" + uuid.uuid4().hex
        self.berth = Berth(binary, self.root, self.token)
        self.rootfs_template = rootfs_template
        self.ids: list[str] = []
        self.netns: list[str] = []
        self.holders: list[subprocess.Popen] = []
        self.host_paths: list[Path] = []
        self.sysctl_restore: dict[str, str] = {}
        self._counter = 0

    # -- things to make ----------------------------------------------------
    def new_id(self, prefix="c") -> str:
        self._counter += 1
        cid = f"{prefix}{self._counter}-{uuid.uuid4().hex[:8]}"
        self.ids.append(cid)
        return cid

    def bundle(self, name="bundle") -> Bundle:
        return Bundle(self.workdir / name, self.rootfs_template, self.token)

    def host_dir(self, name: str, mode=0o777) -> Path:
        path = self.workdir / name
        path.mkdir(parents=True)
        os.chmod(path, mode)
        return path

    def host_mount(self, *mount_args: str):
        subprocess.run(["mount", *mount_args], check=True)

    def add_netns(self) -> str:
        name = "bt" + uuid.uuid4().hex[:10]
        subprocess.run(["ip", "netns", "add", name], check=True)
        self.netns.append(name)
        return f"/run/netns/{name}"

    def holder(self, *unshare_flags: str, fork=False, script="exec sleep 1000") -> int:
        """A process in new namespaces (made by unshare(1)) that the test can
        join by /proc/<pid>/ns/<kind>; returns the pid inside them."""
        argv = ["unshare", *unshare_flags]
        if fork:
            argv.append("--fork")
        argv += ["sh", "-c", script]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
        self.holders.append(proc)
        if not fork:
            wait_for(lambda: os.readlink(f"/proc/{proc.pid}/exe").endswith("sleep")
                     or Path(f"/proc/{proc.pid}/comm").read_text().strip() == "sleep",
                     what="namespace holder to start")
            return proc.pid

        def child():
            for k in children_of(proc.pid):
                try:
                    if Path(f"/proc/{k}/comm").read_text().strip() == "sleep":
                        return int(k)
                except OSError:
                    pass
            return None

        return wait_for(child, what="namespace holder child to start")

    def set_host_sysctl_guard(self, name: str):
        path = "/proc/sys/" + name.replace(".", "/")
        self.sysctl_restore[path] = Path(path).read_text()

    # -- commands --------------------------------------------------------
    def __call__(self, *args, **kw) -> Result:
        return self.berth(*args, **kw)

    def run(self, bundle: Bundle, cid: str | None = None, *flags, **kw) -> Result:
        bundle.write()
        cid = cid or self.new_id()
        return self.berth("run", "--bundle", bundle.path, *flags, cid, **kw)

    def run_ok(self, bundle: Bundle, *flags, **kw) -> str:
        res = self.run(bundle, None, *flags, **kw)
        assert res.rc == 0, f"container did not exit 0\n{res}"
        return res.out

    def create(self, bundle: Bundle, cid: str | None = None, *flags, **kw) -> tuple[str, Result]:
        bundle.write()
        cid = cid or self.new_id()
        return cid, self.berth("create", "--bundle", bundle.path, *flags, cid, **kw)

    def create_ok(self, bundle: Bundle, cid: str | None = None, *flags, **kw) -> str:
        cid, res = self.create(bundle, cid, *flags, **kw)
        assert res.rc == 0, f"create failed\n{res}"
        return cid

    def state(self, cid: str) -> dict:
        res = self.berth("state", cid)
        assert res.rc == 0, f"state failed\n{res}"
        try:
            return json.loads(res.out)
        except ValueError as e:
            raise AssertionError(f"state printed no JSON ({e})\n{res}")

    def wait_status(self, cid: str, status: str, timeout=10.0) -> dict:
        last = {}

        def check():
            nonlocal last
            last = self.state(cid)
            return last if last.get("status") == status else None

        try:
            return wait_for(check, timeout=timeout, what=f"{cid} to be {status}")
        except AssertionError:
            raise AssertionError(f"{cid} never became {status}; last state: {last}")

    # -- leak checks -----------------------------------------------------
    def snapshot_mounts(self) -> set:
        return mount_snapshot()

    def new_mounts_since(self, before: set) -> list:
        """Host mounts that appeared since `before` and belong to this test
        (they name the test directory); other users of this machine may be
        mounting things at the same time."""
        base = str(self.workdir)
        return new_mounts(before, lambda m: base in m.mountpoint or base in m.source
                          or base in m.root or m.mountpoint.startswith(self.root))

    def leftovers(self) -> list:
        """(pid, command line) of the live processes of this test."""
        return processes_of(self.token.encode(), str(self.workdir))

    def assert_clean(self, cid: str, mounts_before: set):
        """Nothing of container `cid` is left: no state directory, no host
        mount, no process."""
        state_dir = Path(self.root) / cid
        assert not state_dir.exists(), f"state directory {state_dir} left behind: {list(state_dir.iterdir())}"
        if Path(self.root).exists():
            stray = [p.name for p in Path(self.root).iterdir() if cid in p.name]
            assert not stray, f"files for {cid} left in --root: {stray}"
        assert self.new_mounts_since(mounts_before) == [], \
            f"mounts left behind: {self.new_mounts_since(mounts_before)}"
        try:
            wait_for(lambda: not self.leftovers(), timeout=3, what="no leftover processes")
        except AssertionError:
            raise AssertionError(f"processes left behind: {self.leftovers()}")
        res = self.berth("state", cid)
        assert res.rc != 0, f"`state {cid}` still answers after a failure\n{res}"
        # the default cgroup (no linux.cgroupsPath): "<id>" under berth's own
        # cgroup in every hierarchy, and berth runs in ours
        left = existing_cgroup_dirs(cid)
        assert not left, f"cgroup directories of {cid} left behind: {left}"

    # -- teardown --------------------------------------------------------
    def cleanup(self):
        """Undo everything, whatever state the test left: every step runs even
        if an earlier one fails; the first failure is reported at the end."""
        problems = []

        def step(fn, *args):
            try:
                fn(*args)
            except Exception as e:  # noqa: BLE001 - keep cleaning up
                problems.append(f"{fn.__name__}{args}: {e!r}")

        step(self._delete_containers)
        step(self._kill_leftovers)
        step(self._stop_holders)
        step(self._remove_default_cgroups)
        step(self._unmount_all)
        for name in self.netns:
            step(subprocess.run, ["ip", "netns", "del", name])
        for path, value in self.sysctl_restore.items():
            step(Path(path).write_text, value)
        for p in self.host_paths:
            step(shutil.rmtree, p, True)
        if not os.environ.get("BERTH_TEST_KEEP"):
            step(shutil.rmtree, self.workdir, True)
        if problems:
            raise RuntimeError("cleanup: " + "; ".join(problems))

    def _delete_containers(self):
        ids = set(self.ids)
        if Path(self.root).is_dir():
            ids |= {p.name for p in Path(self.root).iterdir() if p.is_dir()}
        for cid in ids:
            try:
                self.berth("delete", "--force", cid, timeout=20)
            except AssertionError:
                pass  # timed out: the processes are killed below

    def _kill_leftovers(self):
        for _ in range(3):
            left = self.leftovers()
            if not left:
                return
            kill_pids(pid for pid, _ in left)
            try:
                wait_for(lambda: not self.leftovers(), timeout=2)
            except AssertionError:
                pass

    def _stop_holders(self):
        # the sleep children of `unshare --fork` holders first: once their
        # parent is gone they can no longer be found through it
        kill_pids(self._holder_children())
        for proc in self.holders:
            try:
                proc.kill()
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def _remove_default_cgroups(self):
        """A container's default cgroup that is still there after `delete
        --force` is a leak: removed here, and reported."""
        leaked = []
        for cid in self.ids:
            left = existing_cgroup_dirs(cid)
            remove_cgroup_trees(left)
            leaked += left
        if leaked:
            raise AssertionError(f"cgroup directories left behind after delete --force: {leaked}")

    def _unmount_all(self):
        base = str(self.workdir)
        mounts = [m.mountpoint for m in host_mountinfo() if m.mountpoint.startswith(base + "/")]
        for mp in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)

    def _holder_children(self):
        return [pid for proc in self.holders for pid in children_of(proc.pid)]


@pytest.fixture
def rt(berth_binary, session_dir, rootfs_template, request):
    name = "".join(c if c.isalnum() else "_" for c in request.node.name)[:24]
    workdir = Path(tempfile.mkdtemp(prefix=name + "-", dir=session_dir))
    os.chmod(workdir, 0o755)
    runtime = Runtime(berth_binary, workdir, rootfs_template)
    yield runtime
    runtime.cleanup()
