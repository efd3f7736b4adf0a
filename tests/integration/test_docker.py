"""Docker 20.10 (Debian's docker.io, and docker-compose 1.29) with berth as
dockerd's default runtime: the everyday things a user does, each checked the
way the user would check it.  One daemon and one image (a busybox rootfs,
`docker import`ed) for the module; dockerd, its containerd and the shims run
berth as `berth --root <exec-root>/runtime-berth/moby --log ... COMMAND`."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import textwrap
import urllib.request
from pathlib import Path

import pytest

import host_objects
import itlib
from conftest import engine_fixture
from docker_engine import DOCKER, Docker
from itlib import ok, wait_for

LOOP = "trap 'exit 7' TERM; while :; do sleep 0.1; done"


@pytest.fixture(scope="module")
def dk(workdir, berth_binary, rootfs_template):
    yield from engine_fixture(Docker, workdir, berth_binary, rootfs_template)


@pytest.fixture
def started(dk):
    """Start detached containers (by default a shell that exits 7 on SIGTERM);
    whatever the test leaves is removed as a user would (rm -f)."""
    made = []

    def start(*cmd, flags=(), image=None, wait=True):
        name = dk.new_name("d")
        made.append(name)
        ok(dk.docker("run", "--detach", "--name", name, *flags, image or dk.image,
                     *(cmd or ("sh", "-c", LOOP))))
        if wait:
            wait_for(lambda: dk.inspect(name, "{{.State.Status}}") == "running",
                     what=f"container {name} to run")
        return name

    yield start
    for name in made:
        dk.remove(name)


def run_rm(dk, *args, flags=(), image=None, **kw):
    return dk.docker("run", "--rm", *flags, image or dk.image, *args, **kw)


def out_of(dk, *args, flags=(), image=None) -> str:
    res = ok(run_rm(dk, *args, flags=flags, image=image))
    return res.out.strip()


def exited(dk, name) -> int:
    wait_for(lambda: dk.inspect(name, "{{.State.Status}}") == "exited", timeout=30,
             what=f"container {name} to exit")
    return int(dk.inspect(name, "{{.State.ExitCode}}"))


def host_cgroup(dk, name, controller, file) -> Path:
    return itlib.cgroup_file(dk.pid_of(name), controller, file)


def ns(path="/proc/self/ns/net") -> str:
    return os.readlink(path)


# -- docker run: output and exit codes ------------------------------------------

def test_run_rm_output_split_and_exit_code(dk):
    res = run_rm(dk, "sh", "-c", "echo to stdout; echo to stderr >&2; exit 3")
    assert res.rc == 3, str(res)
    assert res.out == "to stdout\n", str(res)
    assert "to stderr" in res.err and "to stderr" not in res.out, str(res)
    assert ok(dk.docker("ps", "--all", "--quiet", "--filter", f"ancestor={dk.image}")).out == ""


@pytest.mark.parametrize("cmd,code", [
    (("true",), 0),
    (("false",), 1),
    (("sh", "-c", "exit 42"), 42),
    (("/etc/passwd",), 126),           # not executable: permission denied
    (("/nonexistent",), 127),          # no such file or directory
])
def test_run_exit_codes(dk, cmd, code):
    res = run_rm(dk, *cmd)
    assert res.rc == code, str(res)
    if code in (126, 127):
        # Docker maps the runtime's error text to the code: the text must be
        # the kernel's wording
        assert ("permission denied" if code == 126 else "no such file or directory") in res.err, str(res)


def test_run_killed_exits_137(dk):
    # pid 1 cannot SIGKILL itself (the kernel protects a namespace's init from
    # its own namespace): docker kill does it from outside
    name = dk.new_name("k")
    proc = subprocess.Popen([DOCKER, "run", "--rm", "--name", name, dk.image, "sleep", "1000"],
                            env=dk.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: dk.docker("inspect", "--format", "{{.State.Status}}", name).out.strip() == "running",
                 what=f"container {name} to run")
        ok(dk.docker("kill", name))
        assert proc.wait(timeout=60) == 137
    finally:
        proc.kill()
        proc.wait()
        dk.remove(name)


def test_default_environment_and_identity(dk):
    out = out_of(dk, "sh", "-c", 'echo "$HOME|$PATH|$(id -u)|$(hostname)"; cat /proc/self/cgroup')
    home, path, uid, hostname = out.splitlines()[0].split("|")
    assert home == "/root"
    assert "/bin" in path.split(":")
    assert uid == "0"
    assert re.fullmatch(r"[0-9a-f]{12}", hostname), out


# -- run -d and exec ------------------------------------------------------------

def test_exec_exit_code_user_workdir_env(dk, started):
    c = started()
    res = dk.docker("exec", c, "sh", "-c", "exit 5")
    assert res.rc == 5, str(res)
    assert ok(dk.docker("exec", "-u", "nobody", c, "id", "-u")).out.strip() == "65534"
    assert ok(dk.docker("exec", "-u", "65534:65534", c, "id", "-g")).out.strip() == "65534"
    assert ok(dk.docker("exec", "-w", "/tmp", c, "pwd")).out.strip() == "/tmp"
    assert ok(dk.docker("exec", "-e", "GREETING=hi there", c, "sh", "-c", 'echo "$GREETING"')).out == "hi there\n"
    # the exec'd process is in the container: it sees the init as pid 1
    assert "trap" in ok(dk.docker("exec", c, "cat", "/proc/1/cmdline")).out


def test_exec_missing_command(dk, started):
    # docker exec 20.10 reports any failed exec as 126 (run tells 126 from
    # 127 by the runtime's error text), and prints the runtime's error
    c = started()
    res = dk.docker("exec", c, "/nonexistent")
    assert res.rc == 126, str(res)
    assert "no such file or directory" in (res.out + res.err), str(res)
    res = dk.docker("exec", c, "/etc/passwd")
    assert res.rc == 126, str(res)
    assert "permission denied" in (res.out + res.err), str(res)


def test_exec_interactive_stdin(dk, started):
    c = started()
    res = ok(dk.docker("exec", "-i", c, "sh", "-c", "read a; read b; echo \"$b $a\"", input="world\nhello\n"))
    assert res.out == "hello world\n", str(res)


def test_exec_it_with_terminal(dk, started):
    c = started()
    res = itlib.run_on_terminal([DOCKER, "exec", "-it", c, "sh", "-c",
                                 "echo ready; read line; echo got:$line; tty; exit 6"],
                                typed=b"hello\r", after=b"ready", env=dk.env)
    assert res.rc == 6, str(res)
    assert "got:hello" in res.out, str(res)
    assert "/dev/pts/" in res.out, str(res)


def test_run_it_with_terminal(dk):
    res = itlib.run_on_terminal([DOCKER, "run", "--rm", "-it", dk.image, "sh", "-c",
                                 "echo ready; read line; echo got:$line; tty; exit 4"],
                                typed=b"hello\r", after=b"ready", env=dk.env)
    assert res.rc == 4, str(res)
    assert "got:hello" in res.out and "/dev/pts/" in res.out, str(res)


def test_logs_keep_stdout_and_stderr_apart(dk, started):
    c = started("sh", "-c", "echo out-line; echo err-line >&2", wait=False)
    assert exited(dk, c) == 0
    res = ok(dk.docker("logs", c))
    assert res.out == "out-line\n", str(res)
    assert res.err == "err-line\n", str(res)


def test_runtime_warnings_stay_out_of_the_container_output(dk, started):
    # The shim gives the runtime's create the container's stdio: a runtime
    # warning (here: the deprecated kernel memory limit Docker still passes
    # on) belongs in the runtime's --log, never in `docker logs`.
    c = started("echo", "only this", flags=("--kernel-memory", "64m"), wait=False)
    assert exited(dk, c) == 0
    res = ok(dk.docker("logs", c))
    assert (res.out, res.err) == ("only this\n", ""), str(res)


# -- lifecycle --------------------------------------------------------------------

def test_stop_sends_sigterm(dk, started):
    c = started()
    ok(dk.docker("stop", "--time", "20", c))
    assert int(dk.inspect(c, "{{.State.ExitCode}}")) == 7


def test_stop_kills_after_the_timeout(dk, started):
    # pid 1 without a handler ignores SIGTERM: stop must fall back to SIGKILL
    c = started("sleep", "1000")
    pid = dk.pid_of(c)
    ok(dk.docker("stop", "--time", "1", c))
    assert int(dk.inspect(c, "{{.State.ExitCode}}")) == 137
    assert not host_objects.pid_alive(pid)


def test_kill_with_signal(dk, started):
    c = started("sh", "-c", "trap 'exit 9' USR1; while :; do sleep 0.1; done")
    ok(dk.docker("kill", "--signal", "USR1", c))
    assert exited(dk, c) == 9


def test_pause_and_unpause(dk, started):
    c = started()
    freezer = host_cgroup(dk, c, "freezer", "freezer.state")
    ok(dk.docker("pause", c))
    assert dk.inspect(c, "{{.State.Status}}") == "paused"
    assert freezer.read_text().strip() == "FROZEN"
    assert dk.docker("exec", c, "true").rc != 0, "exec into a paused container"
    ok(dk.docker("unpause", c))
    assert dk.inspect(c, "{{.State.Status}}") == "running"
    assert freezer.read_text().strip() == "THAWED"
    ok(dk.docker("exec", c, "true"))


def test_top_lists_the_processes(dk, started):
    c = started("sleep", "1000")
    ok(dk.docker("exec", "-d", c, "sleep", "999"))
    wait_for(lambda: "sleep 999" in dk.docker("top", c).out, what="the exec'd sleep in docker top")
    res = ok(dk.docker("top", c))
    assert "sleep 1000" in res.out, str(res)
    assert str(dk.pid_of(c)) in res.out.split(), str(res)


def test_stats_reports_memory(dk, started):
    c = started()
    res = ok(dk.docker("stats", "--no-stream", "--format", "{{.MemUsage}}|{{.PIDs}}", c))
    usage, pids = res.out.strip().split("|")
    m = re.match(r"([0-9.]+)([KMG]i?B|B)", usage)
    assert m and float(m.group(1)) > 0, str(res)
    assert int(pids) >= 1, str(res)


def test_rm_force_removes_running_containers(dk, started):
    names = [started() for _ in range(2)]
    pids = [dk.pid_of(n) for n in names]
    cgroups = [host_objects.process_cgroup(p, "memory") for p in pids]
    ok(dk.docker("rm", "--force", *names))
    for n, p, cg in zip(names, pids, cgroups):
        assert dk.docker("inspect", n).rc != 0, f"{n} is still known"
        assert not host_objects.pid_alive(p)
        assert host_objects.existing_cgroup_dirs(cg) == [], f"cgroup {cg} is left"
        assert not any(n in e for e in dk.leftover_state())


# -- resources ------------------------------------------------------------------

def test_memory_limit_visible_and_enforced(dk):
    assert out_of(dk, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                  flags=("--memory", "64m")) == str(64 << 20)
    name = dk.new_name("oom")
    res = dk.docker("run", "--name", name, "--memory", "32m", "--memory-swap", "32m", dk.image,
                    "dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1")
    try:
        assert res.rc == 137, str(res)
        assert dk.inspect(name, "{{.State.OOMKilled}}") == "true"
    finally:
        dk.remove(name)


def test_pids_limit_visible_and_enforced(dk):
    res = run_rm(dk, "sh", "-c", "cat /sys/fs/cgroup/pids/pids.max; "
                 "for i in $(seq 30); do sleep 2 & done; wait", flags=("--pids-limit", "10"))
    assert res.out.splitlines()[0] == "10", str(res)
    assert "can't fork" in res.err or "Resource temporarily unavailable" in res.err, str(res)


def test_cpu_settings(dk):
    out = out_of(dk, "cat", "/sys/fs/cgroup/cpu/cpu.shares", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
                 "/sys/fs/cgroup/cpu/cpu.cfs_period_us")
    assert out.split()[0] == "1024", "Docker's default cpu weight"
    assert out.split()[1] == "-1"
    out = out_of(dk, "cat", "/sys/fs/cgroup/cpu/cpu.shares", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
                 "/sys/fs/cgroup/cpu/cpu.cfs_period_us", "/sys/fs/cgroup/cpuset/cpuset.cpus",
                 flags=("--cpu-shares", "512", "--cpus", "0.5", "--cpuset-cpus", "1"))
    assert out.split() == ["512", "50000", "100000", "1"], out
    # and the process is confined to that cpu
    assert out_of(dk, "sh", "-c", "grep Cpus_allowed_list /proc/self/status",
                  flags=("--cpuset-cpus", "1")).split()[-1] == "1"


def test_update_running_container(dk, started):
    c = started(flags=("--memory", "64m", "--memory-swap", "128m"))
    mem = host_cgroup(dk, c, "memory", "memory.limit_in_bytes")
    assert mem.read_text().strip() == str(64 << 20)
    ok(dk.docker("update", "--memory", "96m", "--memory-swap", "192m", "--cpus", "1.5",
                 "--pids-limit", "50", c))
    assert mem.read_text().strip() == str(96 << 20)
    assert host_cgroup(dk, c, "memory", "memory.memsw.limit_in_bytes").read_text().strip() == str(192 << 20)
    assert host_cgroup(dk, c, "cpu", "cpu.cfs_quota_us").read_text().strip() == "150000"
    assert host_cgroup(dk, c, "pids", "pids.max").read_text().strip() == "50"
    # the container's own view agrees, and it still runs
    assert ok(dk.docker("exec", c, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")).out.strip() == str(96 << 20)
    assert dk.inspect(c, "{{.HostConfig.Memory}}") == str(96 << 20)
    ok(dk.docker("update", "--cpu-shares", "256", c))
    assert host_cgroup(dk, c, "cpu", "cpu.shares").read_text().strip() == "256"
    assert host_cgroup(dk, c, "memory", "memory.limit_in_bytes").read_text().strip() == str(96 << 20)


def test_ulimit_sysctl_shm_oom_score(dk):
    out = out_of(dk, "sh", "-c", "ulimit -n; ulimit -Hn; cat /proc/sys/kernel/shm_rmid_forced; "
                 "df -k /dev/shm | tail -1; cat /proc/self/oom_score_adj",
                 flags=("--ulimit", "nofile=1000:2000", "--sysctl", "kernel.shm_rmid_forced=1",
                        "--shm-size", "32m", "--oom-score-adj", "500")).splitlines()
    assert out[0] == "1000" and out[1] == "2000", out
    assert out[2] == "1", out
    assert out[3].split()[1] == "32768", out
    assert out[4] == "500", out
    # the sysctl is the container's own: the host's is untouched
    assert Path("/proc/sys/kernel/shm_rmid_forced").read_text().strip() == "0"


# -- security -------------------------------------------------------------------

def cap_eff(dk, flags=()) -> int:
    out = out_of(dk, "grep", "CapEff", "/proc/self/status", flags=flags)
    return int(out.split()[1], 16)


CAP_NET_ADMIN = 12
CAP_MKNOD = 27


def test_capabilities(dk):
    default = cap_eff(dk)
    assert default & (1 << CAP_MKNOD) and not default & (1 << CAP_NET_ADMIN)
    assert cap_eff(dk, ("--cap-drop", "ALL")) == 0
    assert cap_eff(dk, ("--cap-drop", "ALL", "--cap-add", "NET_ADMIN")) == 1 << CAP_NET_ADMIN
    # and the kernel agrees
    assert run_rm(dk, "ip", "link", "set", "lo", "mtu", "1400").rc != 0
    ok(run_rm(dk, "ip", "link", "set", "lo", "mtu", "1400", flags=("--cap-add", "NET_ADMIN")))
    assert run_rm(dk, "chown", "nobody", "/tmp", flags=("--cap-drop", "ALL")).rc != 0


def test_device_and_mknod(dk):
    # --device gives the node and the right to open it
    assert out_of(dk, "sh", "-c", "head -c 3 /dev/myzero | od -An -tx1",
                  flags=("--device", "/dev/zero:/dev/myzero")).split() == ["00", "00", "00"]
    # mknod of any node is allowed (Docker's default rules), opening one that
    # is not allowed is not
    res = run_rm(dk, "sh", "-c", "mknod /tmp/mem c 1 1 && echo made && head -c 1 /tmp/mem")
    assert "made" in res.out, str(res)
    assert res.rc != 0 and "Operation not permitted" in res.err, str(res)
    assert run_rm(dk, "mknod", "/tmp/m", "c", "1", "1", flags=("--cap-drop", "MKNOD")).rc != 0


def test_read_only_with_tmpfs(dk):
    res = run_rm(dk, "sh", "-c", "touch /run/ok && echo tmpfs-writable; grep ' /run ' /proc/mounts; touch /etc/x",
                 flags=("--read-only", "--tmpfs", "/run"))
    assert res.rc != 0, str(res)
    assert "tmpfs-writable" in res.out and " tmpfs " in res.out, str(res)
    assert "Read-only file system" in res.err, str(res)


def test_no_new_privileges(dk):
    assert out_of(dk, "grep", "NoNewPrivs", "/proc/self/status").split()[1] == "0"
    assert out_of(dk, "grep", "NoNewPrivs", "/proc/self/status",
                  flags=("--security-opt", "no-new-privileges")).split()[1] == "1"


def test_default_seccomp_profile_and_unconfined(dk):
    res = run_rm(dk, "unshare", "-U", "true")
    assert res.rc != 0 and "Operation not permitted" in res.err, str(res)
    assert out_of(dk, "grep", "^Seccomp:", "/proc/self/status").split()[1] == "2"
    ok(run_rm(dk, "unshare", "-U", "true", flags=("--security-opt", "seccomp=unconfined")))
    assert out_of(dk, "grep", "^Seccomp:", "/proc/self/status",
                  flags=("--security-opt", "seccomp=unconfined")).split()[1] == "0"


def test_user_and_group_add(dk):
    assert out_of(dk, "id", flags=("--user", "nobody")).startswith("uid=65534(nobody) gid=65534(nogroup)")
    out = out_of(dk, "sh", "-c", "id -u; id -g; id -G; echo $HOME", flags=("--user", "1234:5", "--group-add", "65534"))
    uid, gid, groups, home = out.splitlines()
    assert (uid, gid) == ("1234", "5")
    assert "65534" in groups.split()
    assert home == "/", "a user without a passwd entry gets HOME=/"
    assert run_rm(dk, "touch", "/root/x", flags=("--user", "nobody")).rc != 0


# -- storage ----------------------------------------------------------------------

def test_bind_mounts_rw_and_ro(dk, workdir):
    host = workdir / f"bind-{dk.token}"
    host.mkdir(exist_ok=True)
    (host / "in").write_text("from the host\n")
    out = out_of(dk, "sh", "-c", "cat /rw/in; echo from-container > /rw/out; "
                 "touch /ro/x 2>/dev/null && echo ro-writable; cat /ro/in",
                 flags=("-v", f"{host}:/rw", "-v", f"{host}:/ro:ro"))
    assert out.splitlines() == ["from the host", "from the host"], out
    assert (host / "out").read_text() == "from-container\n"
    assert not (host / "x").exists()


def test_named_volume_outlives_containers(dk):
    vol = f"vol-{dk.token}"
    try:
        ok(dk.docker("volume", "create", vol))
        ok(run_rm(dk, "sh", "-c", "echo kept > /data/f", flags=("-v", f"{vol}:/data")))
        assert out_of(dk, "cat", "/data/f", flags=("-v", f"{vol}:/data")) == "kept"
    finally:
        ok(dk.docker("volume", "rm", vol))


def test_cp_in_and_out(dk, started, workdir):
    c = started()
    src = workdir / f"cp-in-{dk.token}"
    src.write_text("copied in\n")
    ok(dk.docker("cp", str(src), f"{c}:/tmp/copied"))
    assert ok(dk.docker("exec", c, "cat", "/tmp/copied")).out == "copied in\n"
    ok(dk.docker("exec", c, "sh", "-c", "echo made inside > /tmp/made"))
    dst = workdir / f"cp-out-{dk.token}"
    ok(dk.docker("cp", f"{c}:/tmp/made", str(dst)))
    assert dst.read_text() == "made inside\n"


# -- restart policies, init, health ------------------------------------------------

def test_restart_on_failure(dk, started):
    c = started("sh", "-c", "sleep 0.2; exit 3", flags=("--restart", "on-failure:3"), wait=False)
    wait_for(lambda: dk.inspect(c, "{{.RestartCount}} {{.State.Status}}") == "3 exited", timeout=40,
             what="three restarts and the last exit")
    assert int(dk.inspect(c, "{{.State.ExitCode}}")) == 3


def test_docker_restart(dk, started):
    c = started()
    pid = dk.pid_of(c)
    ok(dk.docker("restart", "--time", "10", c))
    assert dk.inspect(c, "{{.State.Status}}") == "running"
    new = dk.pid_of(c)
    assert new != pid and host_objects.pid_alive(new) and not host_objects.pid_alive(pid)
    ok(dk.docker("exec", c, "true"))


def test_init(dk):
    out = out_of(dk, "sh", "-c", "tr '\\0' ' ' </proc/1/cmdline; echo; echo $$", flags=("--init",))
    init, me = out.splitlines()
    assert "docker-init" in init, out
    assert me != "1", "with --init the command is not pid 1"


# -- images: build, commit -----------------------------------------------------------

@pytest.fixture(scope="module")
def built(dk, workdir):
    """An image built on the imported one, with RUN steps run by berth."""
    ctx = workdir / f"ctx-{dk.token}"
    ctx.mkdir(exist_ok=True)
    (ctx / "hello.txt").write_text("copied by COPY\n")
    (ctx / "Dockerfile").write_text(textwrap.dedent(f"""\
        FROM {dk.image}
        ENV GREETING="hello from build"
        RUN mkdir -p /app && echo "$GREETING" > /app/greeting
        RUN mknod /app/null c 1 3 && id -u > /app/uid
        WORKDIR /app
        COPY hello.txt ./hello.txt
        RUN test "$(pwd)" = /app && cat hello.txt greeting > both
        HEALTHCHECK --interval=1s --timeout=5s --retries=2 CMD test -f /tmp/ready
        CMD ["sh", "-c", "cat both; pwd; echo $GREETING"]
        """))
    tag = f"{dk.image}-built"
    res = dk.docker("build", "--tag", tag, str(ctx), timeout=180)
    return tag, res


def test_build_with_run_copy_env_workdir_cmd(dk, built):
    tag, res = built
    ok(res)
    out = ok(dk.docker("run", "--rm", tag)).out.splitlines()
    assert out == ["copied by COPY", "hello from build", "/app", "hello from build"], out
    assert out_of(dk, "sh", "-c", "stat -c '%F %t:%T' /app/null; cat /app/uid", image=tag).splitlines() == \
        ["character special file 1:3", "0"]


def test_healthcheck_turns_healthy(dk, built, started):
    tag, res = built
    ok(res)
    c = started("sh", "-c", "sleep 1; touch /tmp/ready; " + LOOP, image=tag)
    wait_for(lambda: dk.inspect(c, "{{.State.Health.Status}}") == "healthy", timeout=30,
             what="the health check to pass")


def test_commit(dk, started):
    c = started()
    ok(dk.docker("exec", c, "sh", "-c", "echo committed > /etc/marker"))
    tag = f"{dk.image}-committed"
    ok(dk.docker("commit", "--change", 'CMD ["cat", "/etc/marker"]', c, tag))
    try:
        assert ok(dk.docker("run", "--rm", tag)).out == "committed\n"
    finally:
        dk.docker("rmi", tag)


# -- networking and pid namespaces ------------------------------------------------

HTTPD = "mkdir -p /www && echo served-by-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www"


def test_network_none(dk):
    out = out_of(dk, "sh", "-c", "ls /sys/class/net; ip -o link show lo", flags=("--network", "none"))
    assert out.splitlines()[0] == "lo" and "eth0" not in out, out
    assert "UP" in out.splitlines()[-1], "loopback is up"


def test_network_host(dk):
    out = out_of(dk, "readlink", "/proc/self/ns/net", flags=("--network", "host"))
    assert out == ns()
    assert "eth0" in out_of(dk, "ls", "/sys/class/net", flags=("--network", "host")).split()


def test_network_and_pid_of_another_container(dk, started):
    c = started("sleep", "1000")
    pid = dk.pid_of(c)
    out = out_of(dk, "sh", "-c", "readlink /proc/self/ns/net; readlink /proc/self/ns/pid; ps -o args",
                 flags=("--network", f"container:{c}", "--pid", f"container:{c}"))
    lines = out.splitlines()
    assert lines[0] == ns(f"/proc/{pid}/ns/net")
    assert lines[1] == ns(f"/proc/{pid}/ns/pid")
    assert "sleep 1000" in out, out


def test_pid_host(dk):
    out = out_of(dk, "sh", "-c", "readlink /proc/self/ns/pid; cat /proc/1/comm", flags=("--pid", "host"))
    assert out.splitlines()[0] == ns("/proc/self/ns/pid")
    assert out.splitlines()[1] == Path("/proc/1/comm").read_text().strip()


def test_user_defined_bridge_resolves_names(dk, started):
    net = f"net-{dk.token}"
    ok(dk.docker("network", "create", net))
    try:
        srv = started("sh", "-c", HTTPD, flags=("--network", net, "--network-alias", "web"))
        res = ok(run_rm(dk, "sh", "-c", f"wget -qO- http://{srv}/ && wget -qO- http://web/",
                        flags=("--network", net)))
        hostname = dk.inspect(srv, "{{.Config.Hostname}}")
        assert res.out.splitlines() == [f"served-by-{hostname}"] * 2, str(res)
        dk.remove(srv)
    finally:
        ok(dk.docker("network", "rm", net))


def test_published_port_from_the_host(dk, started):
    c = started("sh", "-c", HTTPD, flags=("--publish", "127.0.0.1::80"))
    port = int(ok(dk.docker("port", c, "80")).out.strip().rsplit(":", 1)[1])

    def fetch():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                return r.read().decode()
        except (OSError, socket.timeout):
            return None
    body = wait_for(fetch, timeout=20, what=f"httpd on 127.0.0.1:{port}")
    assert body == f"served-by-{dk.inspect(c, '{{.Config.Hostname}}')}\n"


# -- docker-compose ------------------------------------------------------------------

def test_compose_two_services(dk, workdir):
    proj = workdir / f"compose-{dk.token}"
    proj.mkdir(exist_ok=True)
    (proj / "docker-compose.yml").write_text(textwrap.dedent(f"""\
        version: "2.4"
        services:
          web:
            image: {dk.image}
            command: ["sh", "-c", "mkdir -p /www && echo compose-web > /www/index.html && exec httpd -f -p 80 -h /www"]
          client:
            image: {dk.image}
            depends_on: [web]
            command: ["sh", "-c", "until wget -qO- http://web/; do sleep 0.5; done; {LOOP}"]
        """))
    try:
        ok(dk.compose(proj, "up", "-d", timeout=120))
        ps = ok(dk.compose(proj, "ps"))
        assert len([l for l in ps.out.splitlines() if " Up " in l or l.rstrip().endswith("Up")]) == 2, str(ps)
        wait_for(lambda: "compose-web" in dk.compose(proj, "logs", "--no-color", "client").out,
                 timeout=30, what="the client to reach web by its service name")
    finally:
        res = dk.compose(proj, "down", "--timeout", "5", timeout=120)
    ok(res)
    left = ok(dk.docker("ps", "--all", "--quiet", "--filter", f"label=com.docker.compose.project=it{dk.token}"))
    assert left.out == "", str(left)
    assert f"it{dk.token}_default" not in ok(dk.docker("network", "ls", "--format", "{{.Name}}")).out


# -- after the suite: dockerd stopped, nothing may be left ------------------------------

def test_dockerd_stops_cleanly(dk):
    dk.shutdown()
    assert dk.stop_problem == "", dk.stop_problem + ":\n" + dk.log_path.read_text()[-4000:]


def test_suite_leaves_no_berth_state(dk):
    dk.shutdown()
    assert dk.leftover_state() == []


def test_suite_leaves_no_cgroups(dk):
    dk.shutdown()
    assert dk.leftover_cgroups() == []


def test_suite_leaves_no_mounts(dk):
    dk.shutdown()
    # dockerd unmounts its own bind of the data root on a clean stop: if it
    # could not, its log says why
    assert dk.leftover_mounts() == [], "\n".join(dk.stop_errors)


def test_suite_leaves_no_processes(dk):
    dk.shutdown()
    assert dk.leftover_processes() == []


def test_host_network_put_back(dk):
    """dockerd sets ip_forward, the FORWARD policy, its chains and bridges
    and leaves them: the suite puts them back (only what dockerd added)."""
    dk.shutdown()
    dk.host.restore()
    assert dk.leftover_host_network() == []
