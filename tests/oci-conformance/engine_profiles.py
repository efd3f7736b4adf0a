"""The default seccomp profiles of container engines, turned into the OCI
`linux.seccomp` object a runtime receives.

Docker and Podman keep their profiles in an engine format of their own: one
file for every architecture and every capability set, with

  defaultAction, defaultErrnoRet (Podman also names it: defaultErrno),
  archMap: [{architecture, subArchitectures}]   (or a plain architectures list),
  syscalls: [{names (or name), action, errnoRet (or errno), args,
              includes: {arches, caps, minKernel}, excludes: {...}}]

and turn it into the OCI form when they make a container's config.json: they
keep the architectures of the machine's entry in archMap, and drop every
syscall entry whose includes or excludes rule it out for this machine and for
the container's capabilities.  A rule:

  includes.arches   kept only on one of these architectures (engine names: amd64, x32...)
  excludes.arches   dropped on one of these
  includes.caps     kept only when every one of these is in the bounding set
  excludes.caps     dropped when any one of these is in the bounding set
  includes.minKernel kept only on a kernel at least this recent
  excludes.minKernel dropped on a kernel at least this recent

The profiles themselves are not in this repository: fetch_engine_profiles.sh
fetches them from Debian's packages.
"""

from __future__ import annotations

import errno as errno_mod
import json
import os
import re
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
FETCH_SCRIPT = HERE / "fetch_engine_profiles.sh"
DEFAULT_CACHE = "/var/cache/berth-test/profiles"
PROFILE_FILES = {"podman": "podman-seccomp.json", "docker": "docker-seccomp.json"}

# The capabilities each engine gives a container when the user asks for
# nothing else (Docker: oci/caps/defaults.go; Podman: default_capabilities in
# containers.conf), as of the versions Debian 12 packages.
DOCKER_DEFAULT_CAPS = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
]
PODMAN_DEFAULT_CAPS = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
    "CAP_SETUID", "CAP_SYS_CHROOT",
]
ENGINE_DEFAULT_CAPS = {"docker": DOCKER_DEFAULT_CAPS, "podman": PODMAN_DEFAULT_CAPS}

# uname -m -> (the engines' architecture name, the OCI/libseccomp one)
MACHINES = {
    "x86_64": ("amd64", "SCMP_ARCH_X86_64"),
    "aarch64": ("arm64", "SCMP_ARCH_AARCH64"),
}

# Actions whose errnoRet means something to the kernel filter.
ACTIONS_WITH_ERRNO = {"SCMP_ACT_ERRNO", "SCMP_ACT_TRACE"}


class ProfileError(Exception):
    pass


def fetch(cache: str | None = None) -> Path:
    """Runs fetch_engine_profiles.sh; returns the cache directory. Raises
    ProfileError with the script's output when the profiles cannot be had."""
    env = dict(os.environ)
    if cache:
        env["BERTH_PROFILE_CACHE"] = cache
    res = subprocess.run(["bash", str(FETCH_SCRIPT)], capture_output=True, text=True, env=env,
                         timeout=600)
    if res.returncode != 0:
        raise ProfileError(f"{FETCH_SCRIPT} failed (exit {res.returncode}):\n"
                           f"{res.stdout}{res.stderr}")
    directory = Path(res.stdout.strip().splitlines()[-1])
    for name in PROFILE_FILES.values():
        if not (directory / name).is_file():
            raise ProfileError(f"{FETCH_SCRIPT} did not leave {directory / name}")
    return directory


def load(directory: Path, engine: str) -> dict:
    return json.loads((directory / PROFILE_FILES[engine]).read_text())


def _version(text: str) -> tuple:
    """'4.8' or '6.1.0-13-amd64' -> (4, 8) / (6, 1, 0)."""
    m = re.match(r"^(\d+(?:\.\d+)*)", text.strip())
    if not m:
        raise ProfileError(f"cannot read kernel version {text!r}")
    return tuple(int(x) for x in m.group(1).split("."))


def _at_least(kernel: tuple, wanted: str) -> bool:
    want = _version(wanted)
    n = max(len(kernel), len(want))
    return kernel + (0,) * (n - len(kernel)) >= want + (0,) * (n - len(want))


def _errno_value(entry: dict, number_key: str, name_key: str):
    """errnoRet as a number: the number when given, else the errno's name."""
    if entry.get(number_key) is not None:
        return int(entry[number_key])
    name = entry.get(name_key)
    if name:
        value = getattr(errno_mod, name, None)
        if value is None:
            raise ProfileError(f"unknown errno name {name!r}")
        return value
    return None


def _applies(entry: dict, arch: str, caps: set, kernel: tuple) -> bool:
    inc = entry.get("includes") or {}
    exc = entry.get("excludes") or {}
    if exc.get("arches") and arch in exc["arches"]:
        return False
    if exc.get("caps") and any(c in caps for c in exc["caps"]):
        return False
    if exc.get("minKernel") and _at_least(kernel, exc["minKernel"]):
        return False
    if inc.get("arches") and arch not in inc["arches"]:
        return False
    if inc.get("caps") and not all(c in caps for c in inc["caps"]):
        return False
    if inc.get("minKernel") and not _at_least(kernel, inc["minKernel"]):
        return False
    return True


def to_oci(profile: dict, bounding_caps, machine: str | None = None,
           kernel: str | None = None) -> dict:
    """The OCI linux.seccomp object an engine would put in config.json for a
    container with these bounding capabilities, on this machine and kernel
    (default: the running ones)."""
    machine = machine or os.uname().machine
    if machine not in MACHINES:
        raise ProfileError(f"no engine architecture known for {machine}")
    engine_arch, seccomp_arch = MACHINES[machine]
    kernel_version = _version(kernel or os.uname().release)
    caps = set(bounding_caps)

    if profile.get("architectures") and profile.get("archMap"):
        raise ProfileError("profile has both architectures and archMap")
    out: dict = {"defaultAction": profile["defaultAction"]}
    default_errno = _errno_value(profile, "defaultErrnoRet", "defaultErrno")
    if default_errno is not None and profile["defaultAction"] in ACTIONS_WITH_ERRNO:
        out["defaultErrnoRet"] = default_errno
    arches = list(profile.get("architectures") or [])
    for entry in profile.get("archMap") or []:
        if entry.get("architecture") == seccomp_arch:
            arches = [seccomp_arch, *(entry.get("subArchitectures") or [])]
            break
    if arches:
        out["architectures"] = arches
    for key in ("flags", "listenerPath", "listenerMetadata"):
        if profile.get(key):
            out[key] = profile[key]

    syscalls = []
    for entry in profile.get("syscalls") or []:
        if not _applies(entry, engine_arch, caps, kernel_version):
            continue
        if entry.get("name") and entry.get("names"):
            raise ProfileError(f"syscall entry has both name and names: {entry}")
        names = [entry["name"]] if entry.get("name") else list(entry.get("names") or [])
        if not names:
            continue
        rule: dict = {"names": names, "action": entry["action"]}
        err = _errno_value(entry, "errnoRet", "errno")
        if err is not None and entry["action"] in ACTIONS_WITH_ERRNO:
            rule["errnoRet"] = err
        args = []
        for arg in entry.get("args") or []:
            a = {"index": int(arg["index"]), "value": int(arg.get("value") or 0), "op": arg["op"]}
            if arg.get("valueTwo"):
                a["valueTwo"] = int(arg["valueTwo"])
            args.append(a)
        if args:
            rule["args"] = args
        syscalls.append(rule)
    out["syscalls"] = syscalls
    return out
