"""Which berth binary a suite tests: $BERTH, else the repository's
build/src/berth, else the newest build*/src/berth.

Shared by the conformance, differential and integration suites; each suite's
conftest.py puts tests/pylib on sys.path.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_berth() -> str | None:
    """The binary under test, or None when there is none (the caller says how
    to build one)."""
    env = os.environ.get("BERTH")
    if env:
        return str(Path(env).resolve())
    default = REPO / "build" / "src" / "berth"
    if _executable(default):
        return str(default)
    candidates = [p for p in REPO.glob("build*/src/berth") if _executable(p)]
    if not candidates:
        return None
    return str(max(candidates, key=lambda p: p.stat().st_mtime))
