"""The root filesystem every suite runs its containers in: Debian's
busybox-static with one symlink per applet, and passwd/group files with root,
nobody and a test user (uid/gid 1000, home /home/test).

Shared by the conformance, differential and integration suites; each suite's
conftest.py puts tests/pylib on sys.path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "test:x:1000:1000:test user:/home/test:/bin/sh\n"
          "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
GROUP = ("root:x:0:\n"
         "tty:x:5:\n"
         "users:x:100:\n"
         "test:x:1000:\n"
         "nogroup:x:65534:\n")


def make_busybox_rootfs(dest: Path) -> Path:
    """Builds the rootfs at dest (made if missing) and returns dest; raises
    RuntimeError when busybox is not installed."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    if not os.path.exists(busybox):
        raise RuntimeError("busybox not found: apt-get install busybox-static")
    for d in ("bin", "dev", "etc", "proc", "sys", "tmp", "root", "home/test", "var", "run", "mnt"):
        (dest / d).mkdir(parents=True, exist_ok=True)
    os.chmod(dest / "tmp", 0o1777)
    shutil.copy2(busybox, dest / "bin" / "busybox")
    os.chmod(dest / "bin" / "busybox", 0o755)
    applets = subprocess.run([busybox, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for applet in applets:
        if applet == "busybox" or "/" in applet:
            continue
        link = dest / "bin" / applet
        if not link.exists():
            link.symlink_to("busybox")
    (dest / "etc" / "passwd").write_text(PASSWD)
    (dest / "etc" / "group").write_text(GROUP)
    os.chown(dest / "home" / "test", 1000, 1000)
    return dest
