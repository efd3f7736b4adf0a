"""The end of the engine benchmarks (docker.py, pods.py): the run's JSON
written to --out, and what the engine left behind said and made the exit
status."""

from __future__ import annotations

import json
from pathlib import Path


def write_results(out: str, document: dict, leftovers: list) -> int:
    """Writes `document` (with `leftovers` in it) to `out`; 1 when something was
    left behind, else 0."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(document, leftovers=leftovers), indent=1) + "\n")
    if leftovers:
        print("left behind:", *leftovers, sep="\n  ")
        return 1
    return 0
