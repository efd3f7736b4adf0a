"""Fixtures for berth's integration suites (containerd and Podman).

Environment:
  BERTH              the runtime under test (default: build/src/berth of the
                     repository, else the newest build*/src/berth);
                     BERTH=/usr/sbin/runc checks the suites themselves
  BERTH_IT_WORKDIR   the directory for the engines' state (default: a new one
                     under /tmp, removed afterwards); run.sh sets it
  BERTH_IT_RUN       a short id for the names of this run (run.sh sets it)
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# this suite's modules, and the helpers the suites share (tests/pylib)
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO / "tests" / "pylib"))

import itlib  # noqa: E402
from berth_binary import find_berth  # noqa: E402
from busybox_rootfs import make_busybox_rootfs  # noqa: E402


def pytest_configure(config):
    if os.geteuid() != 0:
        pytest.exit("the integration suites start containerd and Podman: run them as root",
                    returncode=2)


@pytest.fixture(scope="session")
def berth_binary() -> str:
    path = find_berth()
    if path is None or not os.access(path, os.X_OK):
        pytest.fail(f"runtime not found at {path or REPO / 'build*/src/berth'}: build berth or set BERTH",
                    pytrace=False)
    return path


@pytest.fixture(scope="session")
def workdir():
    given = os.environ.get("BERTH_IT_WORKDIR")
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="berth-it-", dir="/tmp"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def rootfs_template(workdir) -> Path:
    try:
        return make_busybox_rootfs(workdir / "rootfs-template")
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


def engine_fixture(cls, workdir, berth_binary, rootfs_template):
    """Start an engine for one test module; the module's last tests stop it and
    look at what is left; whatever is left is removed here afterwards."""
    # run.sh sets BERTH_IT_RUN: it names everything of this run (containerd's
    # namespace, container names) so that it can clean up after a crash.
    run_id = os.environ.get("BERTH_IT_RUN") or itlib.token()
    engine = cls(workdir, berth_binary, rootfs_template, f"{run_id}{cls.name[0]}")
    try:
        engine.start()
        yield engine
    finally:
        try:
            engine.shutdown()
        finally:
            engine.final_cleanup()
