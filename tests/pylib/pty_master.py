"""Reading the master side of a terminal (a pty) whose replica a container or
an engine writes to.

Shared by the conformance suite (test_terminal.py, test_exec.py) and the
integration suite (itlib.run_on_terminal); each suite's conftest.py puts
tests/pylib on sys.path.
"""

from __future__ import annotations

import errno
import os
import select


def read_available(fd: int, wait: float) -> bytes | None:
    """What the pty master `fd` gives within `wait` seconds: the bytes read;
    b"" once the other side is gone (with every replica fd closed, a read
    fails with EIO); None when nothing came in time."""
    ready, _, _ = select.select([fd], [], [], wait)
    if not ready:
        return None
    try:
        return os.read(fd, 65536)
    except OSError as e:
        if e.errno == errno.EIO:
            return b""
        raise
