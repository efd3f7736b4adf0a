#!/usr/bin/env python3
"""Fails the build when a file includes against berth's layering.

The layers, from the top (a file may include its own folder and any folder of
a lower layer, never a folder of its own layer or of a higher one):

    src, src/commands        the command line
    container, features      the lifecycle; the features document
    process                  what runs in the container's init and exec child
    linux, cgroup, seccomp   the kernel interfaces, each on its own
    lsm                      SELinux and AppArmor labels
    spec                     the OCI config model, parser and validation
    json, tables             yajl; the lookup tables (signals, capabilities, ...)
    sys                      Result/Error, fds, syscalls, the mount API, mountinfo

Usage: check_layers.py SOURCE_ROOT STAMP  (meson runs it on every build).
"""

import re
import sys
from pathlib import Path

LAYERS = [
    {"src"},
    {"container", "features"},
    {"process"},
    {"linux", "cgroup", "seccomp"},
    {"lsm"},
    {"spec"},
    {"json", "tables"},
    {"sys"},
]
RANK = {folder: rank for rank, layer in enumerate(LAYERS) for folder in layer}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')


def folder_of(path: Path, root: Path) -> str:
    parts = path.relative_to(root).parts
    return "src" if parts[0] == "src" else parts[1]  # libberth/<folder>/...


def violations(root: Path):
    files = [p for d in ("src", "libberth") for p in (root / d).rglob("*")
             if p.suffix in (".cpp", ".hpp", ".h")]
    for path in sorted(files):
        folder = folder_of(path, root)
        if folder not in RANK:
            yield f"{path.relative_to(root)}: folder {folder!r} has no layer in libberth/check_layers.py"
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            target = match.group(1)
            target = "src" if target == "commands" else target  # src/commands/
            if target == folder or target not in RANK:
                continue  # its own folder, or not a libberth folder ("criterion/...")
            if RANK[target] <= RANK[folder]:
                where = "its own layer" if RANK[target] == RANK[folder] else "a higher layer"
                yield (f"{path.relative_to(root)}:{number}: {folder}/ may not include "
                       f"{target}/ ({where}; see the layers in libberth/check_layers.py)")


def main() -> int:
    root, stamp = Path(sys.argv[1]), Path(sys.argv[2])
    found = list(violations(root))
    for line in found:
        print(f"layering: {line}", file=sys.stderr)
    if found:
        return 1
    stamp.write_text("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
