"""A command's run as the tests report it: argv, exit status, stdout, stderr.

Shared by the conformance suite (berthtest.Berth) and the integration suite
(itlib: the engines' CLIs); each suite's conftest.py puts tests/pylib on
sys.path.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

# A command the tests run gets this long by default: a hang is a failure,
# never a stuck suite.
COMMAND_TIMEOUT = 60


@dataclass
class Result:
    argv: list
    rc: int       # -1 when run() gave up waiting
    out: str
    err: str

    @property
    def err_lines(self) -> list:
        return [l for l in self.err.splitlines() if l.strip()]

    @property
    def out_lines(self) -> list:
        return [l for l in self.out.splitlines() if l.strip()]

    def __str__(self) -> str:
        return (f"$ {' '.join(map(str, self.argv))}\n  exit {self.rc}\n"
                f"  stdout: {self.out!r}\n  stderr: {self.err!r}")

    __repr__ = __str__


def _text(stream) -> str:
    return stream.decode(errors="replace") if isinstance(stream, bytes) else (stream or "")


def run(argv, *, timeout=COMMAND_TIMEOUT, env=None, input=None) -> Result:
    """Runs argv to the end, its stdin /dev/null unless `input` (text) is
    given; a command still running after `timeout` seconds is killed and its
    Result says so (rc -1) instead of raising."""
    argv = [str(a) for a in argv]
    try:
        p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout,
                           input=input, stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        return Result(argv, -1, _text(e.stdout), _text(e.stderr) + f"\n[timed out after {timeout}s]")
    return Result(argv, p.returncode, p.stdout, p.stderr)
