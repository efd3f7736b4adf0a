"""Fixtures for the reliability suite (bad input, faults, concurrency, soak).

The bundles, the per-test runtime (`rt`) and the cleanup are the conformance
suite's: its conftest.py is loaded from tests/oci-conformance under another
module name and its fixtures re-exported here, so there is one copy of them.
What this suite adds is the leak accounting of leaks.py, applied to every test
(the `leaks` fixture), and a summary line at the end:

    reliability: N cases tried, leaks found: M

Environment: as for tests/oci-conformance (BERTH, BERTH_TEST_TMPDIR, BERTH_TEST_KEEP),
and BERTH_SOAK_COUNT (containers in the soak, default 1000).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[1] / "oci-conformance"
sys.path.insert(0, str(CONFORMANCE))
# the helpers the suites share (leaks.py reads the host through host_objects)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pylib"))

_spec = importlib.util.spec_from_file_location("oci_conformance_conftest", CONFORMANCE / "conftest.py")
_conformance = importlib.util.module_from_spec(_spec)
sys.modules["oci_conformance_conftest"] = _conformance
_spec.loader.exec_module(_conformance)

# The conformance suite's fixtures, shared, not copied.
berth_binary = _conformance.berth_binary
host_cgroup_controls_restored = _conformance.host_cgroup_controls_restored
session_dir = _conformance.session_dir
rootfs_template = _conformance.rootfs_template
rt = _conformance.rt
pytest_report_header = _conformance.pytest_report_header

from leaks import LeakCounter, TOTALS  # noqa: E402  (needs the path above)


def pytest_configure(config):
    _conformance.pytest_configure(config)


@pytest.fixture(autouse=True)
def leaks(request, rt):
    """Counts everything a test could leave behind before it runs, and checks
    the same counts after it (before `rt` cleans up, so that the test's own
    deletes are what is judged)."""
    counter = LeakCounter(rt)
    TOTALS.cases += 1
    yield counter
    if request.node.rep_call_failed if hasattr(request.node, "rep_call_failed") else False:
        return  # the test failed already; its own message says more
    counter.check("at the end of the test")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call":
        item.rep_call_failed = rep.failed


def pytest_terminal_summary(terminalreporter):
    if TOTALS.soak:
        terminalreporter.write_line(TOTALS.soak)
    terminalreporter.write_line(f"reliability: {TOTALS.cases} cases tried, leaks found: {TOTALS.leaks}")
