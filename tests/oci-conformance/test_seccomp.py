"""linux.seccomp (config-linux.md "Seccomp"): every action, errnoRet and
defaultErrnoRet, argument conditions with every operator, architectures,
flags, the SCMP_ACT_NOTIFY listener and its container process state, config
errors, where the filter is loaded, and the default profiles of Docker and
Podman.

Each check looks at what the kernel did to the container's process: the errno
a system call failed with, the signal that ended it, a file that was or was
not made on the host, the audit record the kernel logged, /proc/self/status.

Two tools beside busybox:
  /bin/sys   a small static program (built here with gcc) that makes raw system
             calls with exact 64-bit arguments and prints "ret N" / "errno N";
  getppid    the call most checks filter: it has no side effect, and seccomp
             sees all six argument registers whatever the call reads.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import select
import shutil
import socket
import struct
import subprocess
import threading
import traceback
from pathlib import Path

import pytest

import engine_profiles
from berthtest import (RUNC_DEFAULT_CAPS, assert_one_error_line, is_sanitizer_build,
                       missing_ia32_entry, parse_status)
from host_objects import wait_for

# x86_64 system call numbers (asm/unistd_64.h) and the i386 ones the 32-bit
# entry uses (asm/unistd_32.h).
NR = {"getpid": 39, "mkdir": 83, "chmod": 90, "getppid": 110, "personality": 135,
      "userfaultfd": 323}
NR_I386 = {"getppid": 64}

pytestmark = pytest.mark.skipif(os.uname().machine != "x86_64",
                                reason="system call numbers and profiles here are x86_64's")

SIGSYS_STATUS = 128 + 31


# -- profiles ---------------------------------------------------------------------------

def profile(default="SCMP_ACT_ALLOW", *syscalls, **extra) -> dict:
    p = {"defaultAction": default, "syscalls": list(syscalls)}
    p.update(extra)
    return p


def rule(names, action, errno_ret=None, args=None) -> dict:
    r = {"names": [names] if isinstance(names, str) else list(names), "action": action}
    if errno_ret is not None:
        r["errnoRet"] = errno_ret
    if args:
        r["args"] = list(args)
    return r


def arg(index, op, value, value_two=None) -> dict:
    a = {"index": index, "value": value, "op": op}
    if value_two is not None:
        a["valueTwo"] = value_two
    return a


def writable(b):
    """A writable rootfs, so that mkdir and chmod only fail when seccomp says so."""
    b.config["root"]["readonly"] = False
    return b


def mkdir_failed(out: str, path: str, err: int) -> bool:
    return f"mkdir: can't create directory '{path}': {os.strerror(err)}" in out


# -- the syscall helper -------------------------------------------------------------------

HELPER_C = r"""
/* Raw system calls for test_seccomp.py: "sys [-t] CALL...", CALL being
 * NR[:ARG...] (strtoull syntax), or iNR[:ARG...] for the 32-bit x86 entry.
 * Prints "ret N" or "errno N" per call. -t: the calls run in a second thread
 * and the main thread prints "main alive" after joining it. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static char **calls;
static int ncalls;

static long call_ia32(unsigned long long v[7]) {
  long ret;
  __asm__ volatile("int $0x80"
                   : "=a"(ret)
                   : "a"(v[0]), "b"(v[1]), "c"(v[2]), "d"(v[3]), "S"(v[4]), "D"(v[5])
                   : "memory");
  if (ret < 0 && ret >= -4095) {
    errno = (int)-ret;
    return -1;
  }
  return ret;
}

static void make_call(const char *spec) {
  unsigned long long v[7] = {0};
  int ia32 = spec[0] == 'i';
  char *copy = strdup(spec + ia32);
  char *save = NULL;
  int n = 0;
  for (char *tok = strtok_r(copy, ":", &save); tok && n < 7; tok = strtok_r(NULL, ":", &save))
    v[n++] = strtoull(tok, NULL, 0);
  free(copy);
  errno = 0;
  long r = ia32 ? call_ia32(v) : syscall((long)v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
  if (r == -1 && errno != 0)
    printf("errno %d\n", errno);
  else
    printf("ret %ld\n", r);
  fflush(stdout);
}

static void *make_calls(void *unused) {
  (void)unused;
  for (int i = 0; i < ncalls; i++)
    make_call(calls[i]);
  return NULL;
}

int main(int argc, char **argv) {
  int threaded = argc > 1 && strcmp(argv[1], "-t") == 0;
  calls = argv + 1 + threaded;
  ncalls = argc - 1 - threaded;
  if (!threaded) {
    make_calls(NULL);
    return 0;
  }
  pthread_t thread;
  if (pthread_create(&thread, NULL, make_calls, NULL) != 0) {
    perror("pthread_create");
    return 2;
  }
  pthread_join(thread, NULL);
  printf("main alive\n");
  fflush(stdout);
  return 0;
}
"""

# What the static helper needs from start to exit (strace), and more that a
# static glibc program may call; execve is the runtime's last call.
HELPER_ALLOW = ["execve", "arch_prctl", "brk", "mmap", "munmap", "mprotect", "set_tid_address",
                "set_robust_list", "rseq", "prlimit64", "readlink", "readlinkat", "getrandom",
                "newfstatat", "fstat", "uname", "write", "exit", "exit_group", "rt_sigprocmask",
                "rt_sigaction", "futex", "getpid", "close", "close_range", "fcntl", "read"]


@pytest.fixture(scope="session")
def helper(session_dir) -> Path:
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.fail("gcc not found: the seccomp tests build a small static helper "
                    "(apt-get install gcc libc6-dev)", pytrace=False)
    src = session_dir / "sys.c"
    out = session_dir / "sys"
    src.write_text(HELPER_C)
    res = subprocess.run([gcc, "-static", "-O2", "-pthread", "-o", str(out), str(src)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.fail(f"cannot build the static helper:\n{res.stderr}", pytrace=False)
    return out


def with_helper(b, helper: Path, *argv):
    shutil.copy2(helper, b.rootfs / "bin" / "sys")
    b.args("/bin/sys", *argv)
    return b


def helper_lines(out: str) -> list:
    return [l for l in out.splitlines() if l.startswith(("ret ", "errno ", "main alive"))]


# -- the kernel's audit records of seccomp ------------------------------------------------

NETLINK_AUDIT = 9
AUDIT_NLGRP_READLOG = 1
AUDIT_SECCOMP = 1326
NLMSGHDR = struct.Struct("=IHHII")


class SeccompAudit:
    """The kernel's seccomp audit records (type 1326), read from the audit
    netlink multicast group that every record goes to, auditd or not (the
    kernel log's copy is rate-limited)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_AUDIT)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind((0, AUDIT_NLGRP_READLOG))
        self.sock.settimeout(0.1)
        self.records: list = []

    def _drain(self):
        while True:
            try:
                data = self.sock.recv(1 << 16)
            except socket.timeout:
                return
            except OSError as e:
                if e.errno == errno.ENOBUFS:   # records lost to a burst: go on
                    continue
                raise
            off = 0
            while off + NLMSGHDR.size <= len(data):
                length, mtype, _, _, _ = NLMSGHDR.unpack_from(data, off)
                if length < NLMSGHDR.size:
                    break
                if mtype == AUDIT_SECCOMP:
                    self.records.append(data[off + NLMSGHDR.size:off + length]
                                        .rstrip(b"\0").decode(errors="replace"))
                off += (length + 3) & ~3

    def of(self, pid: int, syscall: int, code: int) -> list:
        """Records received so far for host pid `pid`, system call number
        `syscall`, and seccomp action `code` (the action alone: the kernel
        leaves its data, e.g. the errno, out)."""
        self._drain()
        return [r for r in self.records if re.search(rf"\bpid={pid}\b", r)
                and re.search(rf"\bsyscall={syscall}\b", r)
                and re.search(rf"\bcode=0x{code:x}\b", r)]

    def close(self):
        self.sock.close()


@pytest.fixture
def audit():
    try:
        reader = SeccompAudit()
    except OSError as e:
        pytest.fail(f"cannot read the kernel's audit records (netlink audit multicast): {e}",
                    pytrace=False)
    yield reader
    reader.close()


def actions_logged() -> list:
    return Path("/proc/sys/kernel/seccomp/actions_logged").read_text().split()


def run_created(rt, b) -> tuple[str, int]:
    """create, note the init's host pid, start, wait for it to end."""
    cid = rt.create_ok(b)
    pid = rt.state(cid)["pid"]
    res = rt("start", cid)
    assert res.rc == 0, f"start failed\n{res}"
    rt.wait_status(cid, "stopped")
    return cid, pid


# -- errnoRet and defaultErrnoRet ---------------------------------------------------------

@pytest.mark.parametrize("errno_ret", [None, errno.ENOSPC, errno.EDQUOT])
def test_errno_ret_reaches_the_process(rt, errno_ret):
    b = writable(rt.bundle())
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule("mkdir", "SCMP_ACT_ERRNO", errno_ret))
    b.sh("mkdir /tmp/denied 2>&1; echo status=$?; echo after")
    out = rt.run_ok(b)
    expected = errno.EPERM if errno_ret is None else errno_ret  # the spec's default
    assert mkdir_failed(out, "/tmp/denied", expected), out
    assert "status=1" in out and "after" in out, out
    assert not (b.rootfs / "tmp" / "denied").exists()


def test_other_syscalls_are_untouched(rt):
    b = writable(rt.bundle())
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule("mkdir", "SCMP_ACT_ERRNO"))
    b.sh("mkdir /tmp/d 2>/dev/null || echo denied; "
         "touch /tmp/file && ln -s file /tmp/link && rm /tmp/file /tmp/link && echo ok")
    assert rt.run_ok(b).split() == ["denied", "ok"]


@pytest.mark.parametrize("default_errno", [None, errno.ENXIO])
def test_default_errno_ret(rt, helper, default_errno):
    b = rt.bundle()
    extra = {} if default_errno is None else {"defaultErrnoRet": default_errno}
    b.linux["seccomp"] = profile("SCMP_ACT_ERRNO", rule(HELPER_ALLOW, "SCMP_ACT_ALLOW"), **extra)
    with_helper(b, helper, NR["getpid"], NR["getppid"], f"{NR['personality']}:0x40000")
    expected = errno.EPERM if default_errno is None else default_errno
    assert helper_lines(rt.run_ok(b)) == ["ret 1", f"errno {expected}", f"errno {expected}"]


def test_default_kill_process_with_an_allow_list(rt, helper):
    b = rt.bundle()
    b.linux["seccomp"] = profile("SCMP_ACT_KILL_PROCESS", rule(HELPER_ALLOW, "SCMP_ACT_ALLOW"))
    with_helper(b, helper, NR["getpid"], NR["getppid"], NR["getpid"])
    res = rt.run(b)
    assert res.rc == SIGSYS_STATUS, res
    assert helper_lines(res.out) == ["ret 1"], res


# -- actions -----------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                    "SCMP_ACT_TRAP"])
def test_killing_actions_end_a_child_with_sigsys(rt, action):
    b = writable(rt.bundle())
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule("mkdir", action))
    b.sh("mkdir /tmp/d; echo status=$?; test -e /tmp/d && echo made || echo absent")
    out = rt.run_ok(b)
    assert out.split() == [f"status={SIGSYS_STATUS}", "absent"], out
    assert not (b.rootfs / "tmp" / "d").exists()


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                    "SCMP_ACT_TRAP"])
def test_killing_actions_end_the_container_init_with_sigsys(rt, action):
    b = writable(rt.bundle())
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule("mkdir", action))
    b.args("/bin/mkdir", "/tmp/d")
    res = rt.run(b)
    assert res.rc == SIGSYS_STATUS, res
    assert not (b.rootfs / "tmp" / "d").exists()


@pytest.mark.parametrize("action,whole_process", [
    ("SCMP_ACT_KILL_THREAD", False), ("SCMP_ACT_KILL", False),
    ("SCMP_ACT_KILL_PROCESS", True), ("SCMP_ACT_TRAP", True)])
def test_kill_thread_and_kill_process_differ(rt, helper, action, whole_process):
    """The filtered call is made by a second thread: KILL_THREAD (and KILL, its
    old name) ends that thread only, KILL_PROCESS every thread, and TRAP's
    SIGSYS, unhandled, the whole process."""
    b = rt.bundle()
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule("getppid", action))
    with_helper(b, helper, "-t", NR["getpid"], NR["getppid"], NR["getpid"])
    res = rt.run(b)
    if whole_process:
        assert res.rc == SIGSYS_STATUS, res
        assert helper_lines(res.out) == ["ret 1"], res
    else:
        assert res.rc == 0, res
        assert helper_lines(res.out) == ["ret 1", "main alive"], res


def test_trace_without_a_tracer_fails_with_enosys(rt):
    b = writable(rt.bundle())
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule("mkdir", "SCMP_ACT_TRACE", 42))
    b.sh("mkdir /tmp/traced 2>&1; echo status=$?")
    out = rt.run_ok(b)
    assert mkdir_failed(out, "/tmp/traced", errno.ENOSYS), out
    assert not (b.rootfs / "tmp" / "traced").exists()


def test_allow_rule_in_an_allow_profile_is_accepted(rt):
    """A rule that says what the default already says (engine profiles have
    them) changes nothing."""
    b = writable(rt.bundle())
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule("mkdir", "SCMP_ACT_ALLOW"),
                                 rule("rmdir", "SCMP_ACT_ERRNO"))
    b.sh("mkdir /tmp/d && echo made; rmdir /tmp/d; echo status=$?")
    out = rt.run_ok(b)
    assert "made" in out and "status=1" in out, out
    assert (b.rootfs / "tmp" / "d").is_dir()


def test_log_allows_the_call_and_the_kernel_logs_it(rt, audit):
    b = writable(rt.bundle())
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule("mkdir", "SCMP_ACT_LOG"))
    b.args("/bin/mkdir", "/tmp/logged")
    _, pid = run_created(rt, b)
    assert (b.rootfs / "tmp" / "logged").is_dir(), "SCMP_ACT_LOG must let the call through"
    if "log" not in actions_logged():
        pytest.skip("the host's kernel.seccomp.actions_logged leaves out 'log'")
    wait_for(lambda: audit.of(pid, NR["mkdir"], 0x7FFC0000), timeout=5,
             what=f"the kernel's SECCOMP_RET_LOG audit record of mkdir by pid {pid}")


# -- argument conditions --------------------------------------------------------------------

V = 0x1_0000_0005   # a value with bits in both 32-bit halves
PROBES = [0, 5, V - 1, V, V + 1, 0x1_0000_0000, 0x2_0000_0004, 0xFFFF_FFFF_0000_0005,
          0xFFFF_FFFF_FFFF_FFFF]
MASK, DATUM = 0xFF00_0000_0000_00F0, 0x1200_0000_0000_0030
MASK_PROBES = [DATUM, 0x12AB_CDEF_0123_453F, 0x1300_0000_0000_0030, 0x1200_0000_0000_0040,
               0x0000_0000_0000_0030, 0, 0xFFFF_FFFF_FFFF_FFFF]

OPERATORS = {
    "SCMP_CMP_NE": (V, None, lambda a: a != V, PROBES),
    "SCMP_CMP_LT": (V, None, lambda a: a < V, PROBES),
    "SCMP_CMP_LE": (V, None, lambda a: a <= V, PROBES),
    "SCMP_CMP_EQ": (V, None, lambda a: a == V, PROBES),
    "SCMP_CMP_GE": (V, None, lambda a: a >= V, PROBES),
    "SCMP_CMP_GT": (V, None, lambda a: a > V, PROBES),
    "SCMP_CMP_MASKED_EQ": (MASK, DATUM, lambda a: (a & MASK) == DATUM, MASK_PROBES),
}


@pytest.mark.parametrize("op", list(OPERATORS))
def test_argument_operator(rt, helper, op):
    """Every operator on full 64-bit values (unsigned, as the kernel passes
    them), each on another argument index."""
    value, value_two, matches, probes = OPERATORS[op]
    index = list(OPERATORS).index(op) % 6
    b = rt.bundle()
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule("getppid", "SCMP_ACT_ERRNO", errno.EXDEV,
                                                        [arg(index, op, value, value_two)]))
    calls = []
    for p in probes:
        args = ["0"] * 6
        args[index] = hex(p)
        calls.append(":".join([str(NR["getppid"]), *args]))
    with_helper(b, helper, *calls)
    got = helper_lines(rt.run_ok(b))
    # the container's init has no parent in its pid namespace: getppid() is 0
    expected = [f"errno {errno.EXDEV}" if matches(p) else "ret 0" for p in probes]
    assert got == expected, "\n".join(f"{hex(p)}: got {g!r}, expected {e!r}"
                                      for p, g, e in zip(probes, got, expected))


def test_conditions_of_one_rule_must_all_match(rt, helper):
    b = rt.bundle()
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule(
        "getppid", "SCMP_ACT_ERRNO", errno.EXDEV,
        [arg(0, "SCMP_CMP_EQ", 1), arg(3, "SCMP_CMP_GT", 10)]))
    g = NR["getppid"]
    with_helper(b, helper, f"{g}:1:0:0:11", f"{g}:1:0:0:10", f"{g}:2:0:0:11", f"{g}:1:7:7:99")
    assert helper_lines(rt.run_ok(b)) == [f"errno {errno.EXDEV}", "ret 0", "ret 0",
                                          f"errno {errno.EXDEV}"]


def test_conditions_on_one_argument_are_alternatives_as_in_runc(rt, helper):
    """libseccomp refuses a rule comparing one argument twice; runc and crun
    add one rule per condition, so that any of them applies the action."""
    b = rt.bundle()
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule(
        "getppid", "SCMP_ACT_ERRNO", errno.EXDEV,
        [arg(0, "SCMP_CMP_EQ", 1), arg(0, "SCMP_CMP_EQ", 2)]))
    g = NR["getppid"]
    with_helper(b, helper, f"{g}:1", f"{g}:2", f"{g}:3")
    assert helper_lines(rt.run_ok(b)) == [f"errno {errno.EXDEV}", f"errno {errno.EXDEV}", "ret 0"]


def test_rules_for_one_syscall_each_apply(rt, helper):
    b = rt.bundle()
    b.linux["seccomp"] = profile(
        "SCMP_ACT_ALLOW",
        rule("getppid", "SCMP_ACT_ERRNO", errno.EXDEV, [arg(0, "SCMP_CMP_EQ", 1)]),
        rule("getppid", "SCMP_ACT_ERRNO", errno.ENXIO, [arg(1, "SCMP_CMP_EQ", 2)]))
    g = NR["getppid"]
    with_helper(b, helper, f"{g}:1:0", f"{g}:0:2", f"{g}:0:0")
    assert helper_lines(rt.run_ok(b)) == [f"errno {errno.EXDEV}", f"errno {errno.ENXIO}", "ret 0"]


def test_chmod_denied_for_one_mode_only(rt):
    """busybox chmod calls chmod(path, mode): mode is argument 1."""
    b = writable(rt.bundle())
    modes = [0o700, 0o755, 0o600, 0o777]
    for m in modes:
        f = b.rootfs / "tmp" / f"f{m:o}"
        f.write_text("x")
        f.chmod(0o644)
    b.linux["seccomp"] = profile(
        "SCMP_ACT_ALLOW",
        rule("chmod", "SCMP_ACT_ERRNO", args=[arg(1, "SCMP_CMP_EQ", 0o700)]),
        rule("fchmodat", "SCMP_ACT_ERRNO", args=[arg(2, "SCMP_CMP_EQ", 0o700)]))
    b.sh("; ".join(f"chmod {m:o} /tmp/f{m:o} 2>&1" for m in modes) + "; echo done")
    out = rt.run_ok(b)
    assert f"chmod: /tmp/f700: {os.strerror(errno.EPERM)}" in out, out
    got = {m: (b.rootfs / "tmp" / f"f{m:o}").stat().st_mode & 0o7777 for m in modes}
    assert got == {0o700: 0o644, 0o755: 0o755, 0o600: 0o600, 0o777: 0o777}, \
        {oct(k): oct(v) for k, v in got.items()}


def test_chmod_masked_eq_denies_world_writable_modes(rt):
    b = writable(rt.bundle())
    modes = [0o777, 0o646, 0o755, 0o640]
    for m in modes:
        f = b.rootfs / "tmp" / f"f{m:o}"
        f.write_text("x")
        f.chmod(0o600)
    b.linux["seccomp"] = profile(
        "SCMP_ACT_ALLOW",
        rule("chmod", "SCMP_ACT_ERRNO", errno.EACCES, [arg(1, "SCMP_CMP_MASKED_EQ", 0o002, 0o002)]),
        rule("fchmodat", "SCMP_ACT_ERRNO", errno.EACCES, [arg(2, "SCMP_CMP_MASKED_EQ", 0o002, 0o002)]))
    b.sh("; ".join(f"chmod {m:o} /tmp/f{m:o}" for m in modes) + "; echo done")
    out = rt.run_ok(b)
    got = {m: (b.rootfs / "tmp" / f"f{m:o}").stat().st_mode & 0o7777 for m in modes}
    assert got == {0o777: 0o600, 0o646: 0o600, 0o755: 0o755, 0o640: 0o640}, (
        out, {oct(k): oct(v) for k, v in got.items()})


# -- names and architectures -------------------------------------------------------------

def test_unknown_syscall_names_are_skipped(rt):
    b = writable(rt.bundle())
    b.linux["seccomp"] = profile(
        "SCMP_ACT_ALLOW",
        rule(["berth_no_such_syscall", "mkdir", "another_unknown_call"], "SCMP_ACT_ERRNO", errno.ENOSPC),
        rule(["berth_no_such_syscall"], "SCMP_ACT_KILL_PROCESS"))
    b.sh("mkdir /tmp/d 2>&1; echo status=$?")
    out = rt.run_ok(b)
    assert mkdir_failed(out, "/tmp/d", errno.ENOSPC) and "status=1" in out, out


def test_architectures_extend_rules_to_the_32bit_entry(rt, helper):
    """With SCMP_ARCH_X86 listed, a rule for getppid also catches the i386
    getppid made through int $0x80 (another number: 64). A kernel without
    IA-32 emulation offers no such entry (int $0x80 raises SIGSEGV), so there
    is nothing for the filter to cover: the test says so and skips."""
    missing = missing_ia32_entry()
    if missing:
        pytest.skip(missing)
    b = rt.bundle()
    b.linux["seccomp"] = profile(
        "SCMP_ACT_ALLOW", rule("getppid", "SCMP_ACT_ERRNO", errno.EXDEV),
        architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
    with_helper(b, helper, NR["getppid"], f"i{NR_I386['getppid']}", f"i{NR['getppid']}")
    # i386 number 110 is iopl(level 0): not getppid, and allowed by this profile
    got = helper_lines(rt.run_ok(b))
    assert got[:2] == [f"errno {errno.EXDEV}", f"errno {errno.EXDEV}"], got
    assert got[2] != f"errno {errno.EXDEV}", got


# -- flags -------------------------------------------------------------------------------

def test_flag_log_makes_the_kernel_log_errno_actions(rt, audit):
    """ERRNO is only audited by a filter loaded with SECCOMP_FILTER_FLAG_LOG:
    the same profile without the flag leaves no record."""
    if "errno" not in actions_logged():
        pytest.skip("the host's kernel.seccomp.actions_logged leaves out 'errno'")
    pids = {}
    for flagged in (False, True):   # the unflagged one first: records come in order
        b = writable(rt.bundle(f"bundle-{flagged}"))
        extra = {"flags": ["SECCOMP_FILTER_FLAG_LOG"]} if flagged else {}
        b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule("mkdir", "SCMP_ACT_ERRNO", errno.ENOSPC),
                                     **extra)
        b.args("/bin/mkdir", "/tmp/d")
        _, pids[flagged] = run_created(rt, b)
        assert not (b.rootfs / "tmp" / "d").exists()
    wait_for(lambda: audit.of(pids[True], NR["mkdir"], 0x50000), timeout=5,
             what="the audit record of the filter with SECCOMP_FILTER_FLAG_LOG")
    assert audit.of(pids[False], NR["mkdir"], 0x50000) == [], \
        "ERRNO was audited without SECCOMP_FILTER_FLAG_LOG"


@pytest.mark.parametrize("flags", [["SECCOMP_FILTER_FLAG_SPEC_ALLOW"], ["SECCOMP_FILTER_FLAG_TSYNC"],
                                   ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                    "SECCOMP_FILTER_FLAG_TSYNC"]])
def test_flags_are_accepted(rt, flags):
    b = writable(rt.bundle())
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule("mkdir", "SCMP_ACT_ERRNO"), flags=flags)
    b.sh("grep Seccomp: /proc/self/status; mkdir /tmp/d; echo status=$?")
    out = rt.run_ok(b)
    assert re.search(r"^Seccomp:\s+2$", out, re.M) and "status=1" in out, out


# -- where the filter is loaded -------------------------------------------------------------

@pytest.mark.parametrize("nnp", [True, False])
def test_proc_status_shows_the_filter(rt, nnp):
    b = writable(rt.bundle())
    b.process["noNewPrivileges"] = nnp
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule("mkdir", "SCMP_ACT_ERRNO"))
    b.sh("cat /proc/self/status; mkdir /tmp/d; echo status=$?")
    out = rt.run_ok(b)
    st = parse_status(out)
    assert st["Seccomp"] == "2", out
    assert st["NoNewPrivs"] == ("1" if nnp else "0"), out
    assert "status=1" in out and not (b.rootfs / "tmp" / "d").exists(), out


# What berth itself does while it sets the container up: none of it may be
# filtered when the filter comes right before execve.
SETUP_SYSCALLS = ["setgroups", "setresuid", "setresgid", "setuid", "setgid", "setreuid", "setregid",
                  "capset", "prctl", "chdir", "fchdir", "mount", "umount2", "pivot_root",
                  "sethostname", "unshare", "setns", "keyctl", "prlimit64", "setrlimit",
                  "close_range", "accept", "accept4", "mknodat", "symlinkat"]


def _identity_script():
    return "cat /proc/self/status; pwd; hostname; mkdir /tmp/d; echo status=$?"


def _assert_identity(out, uid, nnp):
    st = parse_status(out)
    assert st["Seccomp"] == "2", out
    assert st["NoNewPrivs"] == ("1" if nnp else "0"), out
    assert st["Uid"].split() == [str(uid)] * 4, out
    assert set(st["Groups"].split()) == {"5", "100"}, out
    assert "/home/test\n" in out and "seccomp-host\n" in out, out
    assert "status=1" in out, out


def test_with_no_new_privileges_the_filter_comes_after_the_setup(rt):
    """The profile forbids every call of berth's setup (user, groups,
    capabilities, mounts, hostname, cwd, rlimits...): with noNewPrivileges it is
    loaded right before execve, so the container still gets all of them."""
    b = writable(rt.bundle())
    b.config["hostname"] = "seccomp-host"
    b.process["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [5, 100]}
    b.process["cwd"] = "/home/test"
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule(SETUP_SYSCALLS, "SCMP_ACT_ERRNO"),
                                 rule("mkdir", "SCMP_ACT_ERRNO"))
    b.sh(_identity_script())
    _assert_identity(rt.run_ok(b), 1000, True)


def test_with_cap_sys_admin_the_filter_comes_after_the_setup(rt):
    """Without noNewPrivileges, CAP_SYS_ADMIN in the effective set lets the
    filter load after the switch to the process' capabilities: right before
    execve again."""
    b = writable(rt.bundle())
    b.config["hostname"] = "seccomp-host"
    b.process["noNewPrivileges"] = False
    caps = RUNC_DEFAULT_CAPS + ["CAP_SYS_ADMIN"]
    b.process["capabilities"] = {k: list(caps) for k in ("bounding", "effective", "permitted")}
    b.process["user"] = {"uid": 0, "gid": 0, "additionalGids": [5, 100]}
    b.process["cwd"] = "/home/test"
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule(SETUP_SYSCALLS, "SCMP_ACT_ERRNO"),
                                 rule("mkdir", "SCMP_ACT_ERRNO"))
    b.sh(_identity_script())
    _assert_identity(rt.run_ok(b), 0, False)


def test_without_no_new_privileges_the_filter_comes_before_the_user_switch(rt):
    """No noNewPrivileges and no CAP_SYS_ADMIN: the filter has to be loaded
    while berth still has its privileges, before it switches to the process'
    user. A profile that allows the switch works (and binds the process); one
    that forbids setresuid and its kin must make the start fail, never run
    the process as root."""
    def bundle(name, forbid_switch):
        b = writable(rt.bundle(name))
        b.config["hostname"] = "seccomp-host"
        b.process["noNewPrivileges"] = False
        b.process["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [5, 100]}
        b.process["cwd"] = "/home/test"
        rules = [rule("mkdir", "SCMP_ACT_ERRNO")]
        if forbid_switch:
            rules.append(rule(["setuid", "setreuid", "setresuid", "setfsuid"], "SCMP_ACT_ERRNO"))
        b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", *rules)
        b.sh("touch /tmp/ran; " + _identity_script())
        return b

    good = bundle("allowed", False)
    _assert_identity(rt.run_ok(good), 1000, False)

    bad = bundle("forbidden", True)
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt.run(bad, cid)
    assert res.rc != 0, f"the container ran though its user could not be set\n{res}"
    assert "Uid:" not in res.out, res
    assert not (bad.rootfs / "tmp" / "ran").exists(), "the process ran"
    rt.assert_clean(cid, before)


# -- SCMP_ACT_NOTIFY -------------------------------------------------------------------------

# linux/seccomp.h: struct seccomp_notif (80 bytes) and struct seccomp_notif_resp
# (24 bytes), and SECCOMP_IOCTL_NOTIF_RECV/SEND = _IOWR('!', 0/1, those structs).
SECCOMP_NOTIF = struct.Struct("=QIIiIQ6Q")
SECCOMP_NOTIF_RESP = struct.Struct("=QqiI")
SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101
assert SECCOMP_NOTIF.size == 80 and SECCOMP_NOTIF_RESP.size == 24


def _iowr(magic: str, nr: int, size: int) -> int:
    return (3 << 30) | (size << 16) | (ord(magic) << 8) | nr


assert _iowr("!", 0, SECCOMP_NOTIF.size) == SECCOMP_IOCTL_NOTIF_RECV
assert _iowr("!", 1, SECCOMP_NOTIF_RESP.size) == SECCOMP_IOCTL_NOTIF_SEND


class NotifyAgent:
    """A seccomp agent at a unix socket: takes the container process state and
    its seccomp fd from the runtime, then answers every notification with
    answer(nr, args) -> (value, -errno)."""

    def __init__(self, path: Path, answer):
        self.path = path
        self.answer = answer
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(4)
        self.sock.settimeout(30)
        self.payload = None
        self.raw = b""
        self.fds: list = []
        self.connections = 0
        self.closed_after_sending = None
        self.trailing = b""
        self.notifications: list = []   # (pid, nr, args)
        self.error = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            self._serve()
        except Exception:  # noqa: BLE001 - reported by the test
            self.error = traceback.format_exc()

    def _serve(self):
        conn, _ = self.sock.accept()
        self.connections += 1
        conn.settimeout(30)
        with conn:
            while True:      # the state may come in several sendmsg calls
                data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 8)
                self.fds += fds
                if not data:
                    self.closed_after_sending = True
                    break
                self.raw += data
                try:
                    self.payload = json.loads(self.raw)
                except ValueError:
                    continue
                break
            if self.payload is None:
                raise AssertionError(f"no complete JSON from the runtime: {self.raw!r}")
            names = self.payload.get("fds") or []
            if "seccompFd" not in names or len(names) != len(self.fds):
                raise AssertionError(f"fds {names} do not name the {len(self.fds)} fds received")
            notify_fd = self.fds[names.index("seccompFd")]
            self._answer_all(notify_fd, conn)

    def _answer_all(self, fd, conn):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while not self._stop.is_set():
            events = poller.poll(100)
            if not events:
                continue
            _, ev = events[0]
            if not ev & select.POLLIN:
                return   # every filtered process is gone
            buf = bytearray(SECCOMP_NOTIF.size)
            try:
                fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, buf, True)
            except OSError as e:
                if e.errno in (errno.ENOENT, errno.EINTR):
                    continue
                raise
            nid, pid, _flags, nr, _arch, _ip, *args = SECCOMP_NOTIF.unpack(buf)
            if self.closed_after_sending is None:
                # The container's process waits for this answer: the runtime
                # is done with the connection, it MUST have closed it.
                self.closed_after_sending = self._eof(conn)
            self.notifications.append((pid, nr, args))
            value, error = self.answer(nr, args)
            resp = bytearray(SECCOMP_NOTIF_RESP.pack(nid, value, error, 0))
            try:
                fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp, True)
            except OSError as e:
                if e.errno != errno.ENOENT:   # the caller died meanwhile
                    raise

    def _eof(self, conn) -> bool:
        """True when the runtime has closed the connection (whatever it sent
        after the JSON is kept in self.trailing)."""
        conn.settimeout(5)
        self.trailing = b""
        try:
            while True:
                data = conn.recv(4096)
                if not data:
                    return True
                self.trailing += data
        except (socket.timeout, OSError):
            return False

    def close(self):
        self._stop.set()
        self._thread.join(10)
        self.sock.close()
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass


def _answer(nr, args):
    if nr == NR["getppid"]:
        return 4242, 0
    if nr == NR["mkdir"]:
        return 0, -errno.EXDEV
    return 0, -errno.ENOSYS


@pytest.mark.parametrize("nnp,flags", [(True, []), (False, []),
                                       (True, ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"])],
                         ids=["nnp", "no-nnp", "wait-killable-recv"])
def test_notify_listener_gets_the_fd_and_answers(rt, nnp, flags):
    b = writable(rt.bundle())
    b.process["noNewPrivileges"] = nnp
    b.config["annotations"] = {"org.berth.test": "seccomp-notify", "other": "x"}
    sock_path = rt.workdir / "agent.sock"
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule(["getppid", "mkdir"], "SCMP_ACT_NOTIFY"),
                                 listenerPath=str(sock_path), listenerMetadata="meta=data;x=1",
                                 flags=flags)
    b.sh('echo "ppid=$PPID"; mkdir /tmp/notified 2>&1; echo "status=$?"')
    agent = NotifyAgent(sock_path, _answer)
    cid = rt.new_id()
    try:
        res = rt.run(b, cid, timeout=30)
    finally:
        agent.close()
    assert agent.error is None, agent.error
    assert res.rc == 0, res
    # the agent's answers are what the process saw
    assert "ppid=4242" in res.out, res
    assert mkdir_failed(res.out, "/tmp/notified", errno.EXDEV) and "status=1" in res.out, res
    assert not (b.rootfs / "tmp" / "notified").exists()

    p = agent.payload
    assert agent.connections == 1
    assert agent.closed_after_sending, \
        f"the runtime kept the listener connection open (sent after the state: {agent.trailing!r})"
    assert p["fds"] == ["seccompFd"] and len(agent.fds) == 1, p
    assert isinstance(p["ociVersion"], str) and p["ociVersion"], p
    assert p["metadata"] == "meta=data;x=1", p
    st = p["state"]
    assert st["id"] == cid, p
    assert st["bundle"] == str(b.path), p
    assert st["annotations"] == b.config["annotations"], p
    assert st["status"] in ("creating", "created", "running"), p
    assert isinstance(st["ociVersion"], str) and st["ociVersion"], p
    assert p["pid"] == st["pid"] and p["pid"] > 0, p
    # the container's init (the shell) asked for its ppid first: the kernel
    # names it by its pid here, which is the one the runtime reported
    calls = [(pid, nr) for pid, nr, _ in agent.notifications]
    assert (p["pid"], NR["getppid"]) == calls[0], calls
    assert NR["mkdir"] in [nr for _, nr in calls], calls


@pytest.mark.parametrize("nnp", [True, False], ids=["nnp", "no-nnp"])
def test_notify_listener_is_reached_through_create_and_start(rt, nnp):
    # The filter goes in during start (right before execve, or before the
    # credential switch): the agent gets the fd then, from a detached init.
    b = writable(rt.bundle())
    b.process["noNewPrivileges"] = nnp
    sock_path = rt.workdir / "agent-create-start.sock"
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule("getppid", "SCMP_ACT_NOTIFY"),
                                 listenerPath=str(sock_path))
    b.sh('echo "ppid=$PPID" > /result')
    agent = NotifyAgent(sock_path, _answer)
    try:
        cid = rt.create_ok(b)
        try:
            res = rt("start", cid)
            assert res.rc == 0, res
            rt.wait_status(cid, "stopped")
        finally:
            rt("delete", "-f", cid)
    finally:
        agent.close()
    assert agent.error is None, agent.error
    assert agent.connections == 1
    assert agent.payload["state"]["id"] == cid, agent.payload
    assert (b.rootfs / "result").read_text() == "ppid=4242\n"


def test_notify_without_a_listener_fails_cleanly(rt):
    b = rt.bundle()
    missing = rt.workdir / "nobody-listens.sock"
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule("getppid", "SCMP_ACT_NOTIFY"),
                                 listenerPath=str(missing))
    b.sh("true")
    before = rt.snapshot_mounts()
    cid, res = rt.create(b)
    line = assert_one_error_line(res)
    if not os.environ.get("BERTH_TEST_REFERENCE"):
        assert str(missing) in line or "listenerPath" in line, line
    rt.assert_clean(cid, before)


@pytest.mark.parametrize("nnp", [True, False], ids=["nnp", "no-nnp"])
def test_notify_agent_that_refuses_fails_cleanly(rt, nnp):
    """An agent that accepts the connection and closes it at once: the
    container's program never runs, and berth says why instead of hanging."""
    b = writable(rt.bundle())
    b.process["noNewPrivileges"] = nnp
    sock_path = rt.workdir / "refusing.sock"
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule("getppid", "SCMP_ACT_NOTIFY"),
                                 listenerPath=str(sock_path))
    b.sh("touch /tmp/ran")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(sock_path))
    server.listen(1)

    def refuse():
        conn, _ = server.accept()
        conn.close()
    thread = threading.Thread(target=refuse, daemon=True)
    thread.start()
    try:
        cid = rt.new_id()
        res = rt.run(b, cid, timeout=30)
    finally:
        thread.join(5)
        server.close()
    assert res.rc != 0, res
    assert not (b.rootfs / "tmp" / "ran").exists(), "the program ran"
    if not os.environ.get("BERTH_TEST_REFERENCE"):
        assert "seccomp listener" in res.err, res


# -- config errors ---------------------------------------------------------------------------

BASE = profile("SCMP_ACT_ALLOW", rule("mkdir", "SCMP_ACT_ERRNO"),
               rule("getppid", "SCMP_ACT_ERRNO", args=[arg(0, "SCMP_CMP_EQ", 1)]))

CONFIG_ERRORS = {
    "default-action": ({"defaultAction": "SCMP_ACT_BOGUS"}, "/linux/seccomp/defaultAction"),
    "syscall-action": ({"syscalls": [rule("mkdir", "SCMP_ACT_MAYBE")]}, "/linux/seccomp/syscalls/0/action"),
    "operator": ({"syscalls": [rule("mkdir", "SCMP_ACT_ERRNO"),
                               rule("getppid", "SCMP_ACT_ERRNO", args=[arg(0, "SCMP_CMP_APPROX", 1)])]},
                 "/linux/seccomp/syscalls/1/args/0/op"),
    "architecture": ({"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"]},
                     "/linux/seccomp/architectures/1"),
    "flag": ({"flags": ["SECCOMP_FILTER_FLAG_BOGUS"]}, "/linux/seccomp/flags/0"),
    "errno-on-allow": ({"syscalls": [rule("mkdir", "SCMP_ACT_ALLOW", 1)]}, "/linux/seccomp/syscalls/0/errnoRet"),
    "errno-on-kill": ({"syscalls": [rule("mkdir", "SCMP_ACT_KILL_PROCESS", 1)]},
                      "/linux/seccomp/syscalls/0/errnoRet"),
    "errno-on-notify": ({"syscalls": [rule("mkdir", "SCMP_ACT_NOTIFY", 1)], "listenerPath": "/x.sock"},
                        "/linux/seccomp/syscalls/0/errnoRet"),
    "default-errno-on-allow": ({"defaultErrnoRet": 1}, "/linux/seccomp/defaultErrnoRet"),
    "default-errno-on-log": ({"defaultAction": "SCMP_ACT_LOG", "defaultErrnoRet": 1},
                             "/linux/seccomp/defaultErrnoRet"),
    "arg-index": ({"syscalls": [rule("mkdir", "SCMP_ACT_ERRNO", args=[arg(6, "SCMP_CMP_EQ", 1)])]},
                  "/linux/seccomp/syscalls/0/args/0/index"),
    "metadata-without-listener": ({"listenerMetadata": "m"}, "/linux/seccomp/listenerMetadata"),
    "empty-names": ({"syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]}, "/linux/seccomp/syscalls/0/names"),
    "missing-default-action": (None, "/linux/seccomp/defaultAction"),
}


@pytest.mark.parametrize("case", sorted(CONFIG_ERRORS))
def test_config_error_names_the_json_path(rt, case):
    change, path = CONFIG_ERRORS[case]
    b = rt.bundle()
    b.sh("true")
    seccomp = json.loads(json.dumps(BASE))
    if change is None:
        del seccomp["defaultAction"]
    else:
        seccomp.update(change)
    b.linux["seccomp"] = seccomp
    before = rt.snapshot_mounts()
    cid, res = rt.create(b)
    line = assert_one_error_line(res)
    if not os.environ.get("BERTH_TEST_REFERENCE"):
        assert re.search(re.escape(path) + r"(?=[:/ ,]|$)", line), f"error line does not name {path}: {line!r}"
    rt.assert_clean(cid, before)


# -- the engines' default profiles -------------------------------------------------------------

@pytest.fixture(scope="module")
def engine_profile_dir() -> Path:
    try:
        return engine_profiles.fetch()
    except engine_profiles.ProfileError as e:
        pytest.fail(f"cannot fetch the engines' seccomp profiles:\n{e}", pytrace=False)


def engine_bundle(rt, profile_dir, engine, capset, name="bundle"):
    caps = list(RUNC_DEFAULT_CAPS) if capset == "runc" else list(engine_profiles.ENGINE_DEFAULT_CAPS[engine])
    b = writable(rt.bundle(name))
    b.process["capabilities"] = {k: list(caps) for k in ("bounding", "effective", "permitted")}
    b.linux["seccomp"] = engine_profiles.to_oci(engine_profiles.load(profile_dir, engine), caps)
    return b, caps


SHELL_WORKLOAD = r"""
set -e
ls / > /tmp/ls.out
grep -q bin /tmp/ls.out
mkdir -p /tmp/w/a/b
echo hello > /tmp/w/a/b/f
cat /tmp/w/a/b/f | tr a-z A-Z
ln -s /tmp/w/a/b/f /tmp/w/link
test "$(cat /tmp/w/link)" = hello
chmod 600 /tmp/w/a/b/f
rm -r /tmp/w
test ! -e /tmp/w
sleep 0.2 &
wait $!
sleep 100 &
ps | grep -q '[s]leep 100'
kill $!
wait $! || true
echo "$(id -u) $(hostname) $(echo sub | wc -c)"
date > /dev/null
uname -a > /dev/null
echo workload-ok
"""


@pytest.mark.parametrize("nnp", [True, False], ids=["nnp", "no-nnp"])
@pytest.mark.parametrize("capset", ["runc", "engine"])
@pytest.mark.parametrize("engine", ["docker", "podman"])
def test_engine_profile_runs_a_shell(rt, engine_profile_dir, engine, capset, nnp):
    b, caps = engine_bundle(rt, engine_profile_dir, engine, capset)
    b.process["noNewPrivileges"] = nnp
    script = SHELL_WORKLOAD
    if "CAP_SYS_CHROOT" in caps:
        # allowed by both profiles only with the capability
        script += "chroot / /bin/true && echo chroot-ok\n"
    b.sh(script + "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status\n")
    out = rt.run_ok(b)
    assert "HELLO" in out and "0 runc 4" in out and "workload-ok" in out, out
    if "CAP_SYS_CHROOT" in caps:
        assert "chroot-ok" in out, out
    assert re.search(r"^Seccomp:\s+2$", out, re.M), out
    assert re.search(rf"^NoNewPrivs:\s+{1 if nnp else 0}$", out, re.M), out


# personality(ADDR_NO_RANDOMIZE) and userfaultfd(O_CLOEXEC | UFFD_USER_MODE_ONLY)
# need no privilege, and neither profile allows them: Docker's default action
# is EPERM; Podman's is ENOSYS, and it names userfaultfd for EPERM.
DENIED_CALLS = [f"{NR['personality']}:0x40000", f"{NR['userfaultfd']}:0x80001"]
DENIED_ERRNOS = {"docker": [errno.EPERM, errno.EPERM], "podman": [errno.ENOSYS, errno.EPERM]}


@pytest.mark.parametrize("capset", ["runc", "engine"])
@pytest.mark.parametrize("engine", ["docker", "podman"])
def test_engine_profile_denies(rt, helper, engine_profile_dir, engine, capset):
    b, _ = engine_bundle(rt, engine_profile_dir, engine, capset)
    with_helper(b, helper, *DENIED_CALLS)
    got = helper_lines(rt.run_ok(b))
    assert got == [f"errno {e}" for e in DENIED_ERRNOS[engine]], got

    # the same calls in the same container without the profile succeed
    control = rt.bundle("control")
    control.process["capabilities"] = b.process["capabilities"]
    with_helper(control, helper, *DENIED_CALLS)
    got = helper_lines(rt.run_ok(control))
    assert all(l.startswith("ret ") for l in got) and len(got) == 2, got


def test_docker_profile_denies_unshare_without_cap_sys_admin(rt, engine_profile_dir):
    """unshare -U needs no privilege; Docker's profile allows unshare(2) only
    with CAP_SYS_ADMIN."""
    b, _ = engine_bundle(rt, engine_profile_dir, "docker", "engine")
    b.sh("unshare -U true 2>&1; echo status=$?")
    out = rt.run_ok(b)
    assert "status=1" in out and os.strerror(errno.EPERM) in out, out

    control = rt.bundle("control")
    control.process["capabilities"] = b.process["capabilities"]
    control.sh("unshare -U true; echo status=$?")
    assert "status=0" in rt.run_ok(control)


# -- profiles of any age (issue 15) ------------------------------------------------------------
#
# A profile only knows the system calls of its time, and berth's own calls
# between the filter and execve must be ones every profile allows. Three
# profiles, each for run, create + start and exec, with noNewPrivileges true
# and false, as root and in a user namespace: Podman's as shipped; the same
# written as before 2021 (every call added after Linux 5.0 removed, and the
# default errno EPERM, as Docker's profiles had it); and one that allows only
# what busybox echo, the probe (/bin/sys) and sleep need plus berth(8)'s list.
# In each the container starts, a call newer than the profile fails with
# ENOSYS and a call the profile denies with its errno.

# x86_64 numbers of the calls added after Linux 5.0 (asm/unistd_64.h).
AFTER_5_0 = {
    "pidfd_send_signal": 424, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430,
    "fsconfig": 431, "fsmount": 432, "fspick": 433, "pidfd_open": 434, "clone3": 435,
    "close_range": 436, "openat2": 437, "pidfd_getfd": 438, "faccessat2": 439,
    "process_madvise": 440, "epoll_pwait2": 441, "mount_setattr": 442, "quotactl_fd": 443,
    "landlock_create_ruleset": 444, "landlock_add_rule": 445, "landlock_restrict_self": 446,
    "memfd_secret": 447, "process_mrelease": 448, "futex_waitv": 449,
    "set_mempolicy_home_node": 450, "cachestat": 451, "fchmodat2": 452,
    "map_shadow_stack": 453, "futex_wake": 454, "futex_wait": 455, "futex_requeue": 456,
    "statmount": 457, "listmount": 458, "lsm_get_self_attr": 459, "lsm_set_self_attr": 460,
    "lsm_list_modules": 461, "mseal": 462,
}

# What berth(8) says berth calls after the filter (without a listener).
BERTH_AFTER_FILTER = ["prctl", "setgroups", "setresgid", "setresuid", "capset", "execve"]
ECHO_NEEDS = ["arch_prctl", "brk", "execve", "exit_group", "getrandom", "getuid", "mprotect",
              "prctl", "prlimit64", "readlink", "rseq", "set_robust_list", "set_tid_address",
              "write"]
SLEEP_NEEDS = ["nanosleep", "clock_nanosleep", "rt_sigreturn"]


def _pre_2021(oci: dict) -> dict:
    old = json.loads(json.dumps(oci))
    old.pop("defaultErrnoRet", None)
    kept = []
    for entry in old["syscalls"]:
        entry["names"] = [n for n in entry["names"] if n not in AFTER_5_0]
        if entry["names"]:
            kept.append(entry)
    old["syscalls"] = kept
    return old


def _minimal() -> dict:
    allowed = sorted(set(ECHO_NEEDS + BERTH_AFTER_FILTER + SLEEP_NEEDS + HELPER_ALLOW)
                     - set(AFTER_5_0))
    return {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [rule(allowed, "SCMP_ACT_ALLOW")]}


def _old_profile(engine_profile_dir, kind: str, caps) -> tuple[dict, list]:
    """(profile, probes): each probe a /bin/sys call and the errno expected."""
    closed = f"{AFTER_5_0['close_range']}:3:2:0"         # EINVAL were it allowed
    faccessat2 = f"{AFTER_5_0['faccessat2']}:0xffffff9c:0:0:0"  # EFAULT were it allowed
    if kind == "minimal":
        return _minimal(), [(closed, errno.ENOSYS), (faccessat2, errno.ENOSYS),
                            (f"{NR['personality']}:0x40000", errno.EPERM)]
    oci = engine_profiles.to_oci(engine_profiles.load(engine_profile_dir, "podman"), caps)
    userfaultfd = (f"{NR['userfaultfd']}:0x80001", errno.EPERM)
    if kind == "podman":
        named = [AFTER_5_0[n] for e in oci["syscalls"] for n in e["names"] if n in AFTER_5_0]
        return oci, [(f"{max(named) + 1}", errno.ENOSYS), userfaultfd]
    return _pre_2021(oci), [(closed, errno.ENOSYS), (faccessat2, errno.ENOSYS), userfaultfd,
                            (f"{NR['personality']}:0x40000", errno.EPERM)]


def _in_user_namespace(b):
    b.set_namespace("user")
    b.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.linux["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    b.drop_mount("/sys/fs/cgroup")
    return b


@pytest.mark.parametrize("userns", [False, True], ids=["root", "userns"])
@pytest.mark.parametrize("nnp", [True, False], ids=["nnp", "no-nnp"])
@pytest.mark.parametrize("how", ["run", "create-start", "exec"])
@pytest.mark.parametrize("kind", ["podman", "pre-2021", "minimal"])
def test_profiles_of_any_age_start_and_answer_enosys(rt, helper, engine_profile_dir, kind, how,
                                                     nnp, userns):
    caps = list(engine_profiles.PODMAN_DEFAULT_CAPS)
    profile_, probes = _old_profile(engine_profile_dir, kind, caps)
    b = rt.bundle()
    b.process["capabilities"] = {k: list(caps) for k in ("bounding", "effective", "permitted")}
    b.process["noNewPrivileges"] = nnp
    b.linux["seccomp"] = profile_
    if userns:
        _in_user_namespace(b)
    shutil.copy2(helper, b.rootfs / "bin" / "sys")
    calls = [c for c, _ in probes]
    expected = [f"errno {e}" for _, e in probes]
    if how == "run":
        b.args("/bin/sys", *calls)
        assert helper_lines(rt.run_ok(b)) == expected
        return
    if how == "create-start":
        # the init writes to create's stdout after create is gone: a file
        b.args("/bin/sys", *calls)
        b.write()
        cid = rt.new_id()
        out, err = rt.workdir / f"{cid}.out", rt.workdir / f"{cid}.err"
        with open(out, "w") as fo, open(err, "w") as fe:
            res = subprocess.run(rt.berth.argv(["create", "--bundle", b.path, cid]),
                                 stdin=subprocess.DEVNULL, stdout=fo, stderr=fe,
                                 env=rt.berth.env, timeout=60)
        assert res.returncode == 0, err.read_text()
        try:
            res = rt("start", cid)
            assert res.rc == 0, res
            rt.wait_status(cid, "stopped")
        finally:
            rt("delete", "-f", cid)
        assert helper_lines(out.read_text()) == expected
        return
    b.args("sleep", "1000")
    cid = rt.create_ok(b)
    try:
        res = rt("start", cid)
        assert res.rc == 0, res
        res = rt("exec", cid, "/bin/sys", *calls)
        assert res.rc == 0, res
        assert helper_lines(res.out) == expected, res
        res = rt("exec", cid, "echo", "exec-ok")
        assert res.rc == 0 and "exec-ok" in res.out, res
    finally:
        rt("delete", "-f", cid)


# -- berth's own calls after the filter, as berth(8) lists them ---------------------------------

MAN_PAGE = Path(__file__).resolve().parents[2] / "man" / "berth.8"


def documented_after_filter() -> dict:
    """berth(8)'s lists: {"without noNewPrivileges": [...], "with noNewPrivileges": [...]}."""
    lists = {}
    for line in MAN_PAGE.read_text().splitlines():
        m = re.match(r"^(without|with) noNewPrivileges:\s+(.*)$", line)
        if m:
            lists[f"{m.group(1)} noNewPrivileges"] = m.group(2).split()
    assert set(lists) == {"without noNewPrivileges", "with noNewPrivileges"}, lists
    return lists


STRACE_LINE = re.compile(r"^(\d+)\s+(?:<\.\.\. )?([a-z_0-9]+)(\(| resumed>)")


def calls_after_filter(trace: Path) -> list:
    """The system calls of the process that loaded the filter, from the
    seccomp(SECCOMP_SET_MODE_FILTER) that succeeded (excluded) to its execve
    (included)."""
    lines = trace.read_text().splitlines()
    pid, calls = None, []
    # strace splits a call that another traced process interrupts into
    # "<unfinished ...>" and "<... seccomp resumed>": the filter's load may end
    # on the resumed line.
    unfinished_load = set()
    for line in lines:
        m = STRACE_LINE.match(line)
        if not m:
            continue
        if pid is None:
            # libseccomp probes the kernel with calls that fail: the one that loads
            resumed = " resumed>" in line
            loads = m.group(2) == "seccomp" and (
                m.group(1) in unfinished_load if resumed else "SECCOMP_SET_MODE_FILTER" in line)
            if resumed:
                unfinished_load.discard(m.group(1))
            if loads and line.endswith("<unfinished ...>"):
                unfinished_load.add(m.group(1))
            elif loads and re.search(r"= \d+$", line):
                pid = m.group(1)
            continue
        if " resumed>" in line:
            continue
        if m.group(1) != pid:
            continue
        calls.append(m.group(2))
        if m.group(2) == "execve":
            break
    assert pid is not None, "no seccomp(SECCOMP_SET_MODE_FILTER) in the trace"
    return calls


@pytest.fixture(scope="session")
def strace():
    path = shutil.which("strace")
    if path is None:
        pytest.fail("strace not found: apt-get install strace", pytrace=False)
    return path


@pytest.mark.parametrize("how", ["run", "exec"])
@pytest.mark.parametrize("nnp", [True, False], ids=["nnp", "no-nnp"])
def test_berth_calls_after_the_filter_are_the_documented_ones(rt, strace, nnp, how):
    if is_sanitizer_build(rt.berth.binary):
        pytest.skip("the documented list is the release build's: LeakSanitizer cannot run "
                    "under strace, and ASan's runtime makes calls of its own")
    b = rt.bundle()
    b.process["noNewPrivileges"] = nnp
    b.process["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [5, 100]}
    b.process["capabilities"] = {k: list(RUNC_DEFAULT_CAPS)
                                 for k in ("bounding", "effective", "permitted")}
    b.linux["seccomp"] = profile("SCMP_ACT_ALLOW", rule("mkdir", "SCMP_ACT_ERRNO"))
    trace = rt.workdir / f"trace-{how}-{nnp}"
    wrapped = [strace, "-f", "-qq", "-o", str(trace)]
    if how == "run":
        b.args("true")
        b.write()
        res = subprocess.run(wrapped + rt.berth.argv(["run", "--bundle", b.path, rt.new_id()]),
                             stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             env=rt.berth.env, timeout=60)
        assert res.returncode == 0, res
    else:
        b.args("sleep", "1000")
        cid = rt.create_ok(b)
        try:
            assert rt("start", cid).rc == 0
            res = subprocess.run(wrapped + rt.berth.argv(["exec", cid, "true"]),
                                 stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                 env=rt.berth.env, timeout=60)
            assert res.returncode == 0, res
        finally:
            rt("delete", "-f", cid)
    want = documented_after_filter()["with noNewPrivileges" if nnp else "without noNewPrivileges"]
    assert calls_after_filter(trace) == want
