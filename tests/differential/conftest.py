"""Fixtures of the differential suite (runc against berth).

Environment:
  BERTH             the binary under test (default: build/src/berth)
  RUNC              the reference (default: runc on PATH, /usr/sbin/runc)
  BERTH_DIFF_SEEDS=N  also run N new random seeds (same as --seeds N)
  BERTH_TEST_KEEP=1 keep the bundles
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# this suite's modules, and the helpers the suites share (tests/pylib)
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "pylib"))

import diffrun as d  # noqa: E402
from grammar import CI_SEEDS  # noqa: E402
from host_objects import host_cgroup_hierarchies, rmdir_cgroup_trees  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--seeds", type=int, default=None,
                     help="run N new random seeds besides the fixed ones")
    parser.addoption("--seed", type=int, action="append", default=None,
                     help="run exactly this seed (repeatable) instead of the fixed ones")


def pytest_configure(config):
    if os.geteuid() != 0:
        pytest.exit("the differential suite runs containers: run it as root", returncode=2)
    chosen = config.getoption("--seed")
    if chosen:
        seeds = list(chosen)
    else:
        seeds = list(CI_SEEDS)
        extra = config.getoption("--seeds")
        if extra is None and os.environ.get("BERTH_DIFF_SEEDS"):
            extra = int(os.environ["BERTH_DIFF_SEEDS"])
        if extra:
            rng = random.SystemRandom()
            seeds += [rng.randrange(1000, 10**9) for _ in range(extra)]
    config.diff_seeds = seeds


def pytest_report_header(config):
    return (f"berth: {d.find_berth()}  runc: {d.find_runc()}  "
            f"seeds: {' '.join(map(str, config.diff_seeds))}")


class Env:
    def __init__(self, base: Path):
        self.base = base
        self.berth = d.find_berth()
        self.runc = d.find_runc()
        self.rootfs = d.make_rootfs(base / "rootfs", d.build_probe(base))
        self.allowlist = d.load_allowlist()
        self.allowed_seen: set = set()
        self._n = 0

    def workdir(self, name: str) -> Path:
        self._n += 1
        path = self.base / f"{self._n:03d}-{name[:40]}"
        path.mkdir()
        os.chmod(path, 0o755)
        return path


# The parent cgroups the corpus and the grammar name (/docker/@ID@ and the
# like), in every hierarchy: runc leaves the parents it made, so the suite
# removes those that did not exist before it ran (rmdir: only empty ones go).
def parent_cgroups() -> set:
    names = {"berth-diff"}
    for path in (HERE / "corpus").glob("*.json"):
        parent = json.loads(path.read_text()).get("linux", {}).get("cgroupsPath", "").strip("/")
        if "/" in parent:
            names.add(parent.split("/", 1)[0])
    return {h.mount_point / n for h in host_cgroup_hierarchies() for n in names}


def remove_new_cgroups(before: set) -> None:
    rmdir_cgroup_trees(parent_cgroups() - before)


@pytest.fixture(scope="session")
def env():
    existing = {p for p in parent_cgroups() if p.is_dir()}
    base = Path(tempfile.mkdtemp(prefix="berth-diff-", dir=os.environ.get("BERTH_TEST_TMPDIR", "/tmp")))
    os.chmod(base, 0o755)
    e = Env(base)
    if e.berth is None or not os.access(e.berth, os.X_OK):
        pytest.fail("berth binary not found: build it or set BERTH=", pytrace=False)
    if e.runc is None:
        pytest.skip("runc is not installed (apt-get install runc)")
    yield e
    remove_new_cgroups(existing)
    if not os.environ.get("BERTH_TEST_KEEP"):
        shutil.rmtree(base, ignore_errors=True)
