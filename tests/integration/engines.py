"""containerd and Podman, each started with its own state under the suite's
directory and configured to run berth (no systemd, cgroupfs, no network)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import host_objects
import itlib
from command import COMMAND_TIMEOUT, Result, run
from itlib import HostSnapshot, ok, wait_for


def default_state_root(runtime: str) -> str:
    """The --root a runtime uses when the engine passes none (Podman as root)."""
    name = os.path.basename(runtime)
    if name in ("runc", "crun"):
        return f"/run/{name}"
    return "/run/berth"


class Engine:
    """What both engines share: a directory, a token in the environment of
    every process they start, and the bookkeeping of the leftover checks."""

    name = "engine"

    def __init__(self, workdir: Path, berth: str, rootfs_template: Path, token: str):
        self.dir = workdir / self.name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.berth = berth
        self.token = token
        self.rootfs = self.dir / "rootfs"
        # Each engine gets its own copy: Podman creates files in the rootfs
        # (mount points for /etc/hosts and friends).
        shutil.copytree(rootfs_template, self.rootfs, symlinks=True)
        self.env = dict(os.environ, BERTH_IT_TOKEN=token)
        self.counter = 0
        self.before: HostSnapshot | None = None
        self.down = False

    # -- shutdown -------------------------------------------------------------
    def shutdown(self) -> None:
        """Once, before the leftover checks: what the engine still runs goes,
        then the engine itself."""
        if self.down:
            return
        self.down = True
        self.stop()

    def stop(self) -> None:
        raise NotImplementedError

    def new_name(self, what: str) -> str:
        self.counter += 1
        return f"it-{what}-{self.counter}-{self.token}"

    # -- leftovers ----------------------------------------------------------
    def container_ids(self) -> list:
        raise NotImplementedError

    def leftover_state(self) -> list:
        raise NotImplementedError

    def leftover_cgroups(self) -> list:
        raise NotImplementedError

    def leftover_mounts(self) -> list:
        ids = self.container_ids()
        wd = str(self.workdir)
        roots = self.state_roots()

        def related(m):
            text = " ".join(m)
            return (wd in text or any(i in text for i in ids)
                    or any(m.mountpoint == r or m.mountpoint.startswith(r + "/") for r in roots))
        return [" ".join(m) for m in host_objects.new_mounts(self.before.mounts, related)]

    def process_words(self) -> list:
        """Strings that only this suite's processes have in their command line
        or cgroup path."""
        return self.container_ids()

    def suite_processes(self) -> list:
        """(pid, command line) of the live processes of this engine: the
        engine and everything it started carry BERTH_IT_TOKEN in their
        environment; a container's processes are found by its root or cwd in
        the engine's directory, or by a process word in their command line or
        cgroup."""
        return host_objects.processes_of(f"BERTH_IT_TOKEN={self.token}\0".encode(), str(self.dir),
                                         [str(self.dir), *self.process_words()])

    def leftover_processes(self) -> list:
        return [f"pid {pid}: {cmd}" for pid, cmd in self.suite_processes()]

    def state_roots(self) -> list:
        return []

    def final_cleanup(self) -> None:
        """Undo whatever the leftover checks found (after they reported it), so
        that one failing run does not poison the next."""
        itlib.thaw_cgroups(self.leftover_cgroups())
        host_objects.kill_pids(pid for pid, _ in self.suite_processes())
        for m in self.leftover_mounts():
            mnt = m.split(" ")[1]
            subprocess.run(["umount", "-l", mnt], stderr=subprocess.DEVNULL)


# ---------------------------------------------------------------------------

class DaemonEngine(Engine):
    """An engine run as a daemon of the suite's own (containerd, dockerd, the
    CRI plugin): stopping it removes what it runs while it still answers,
    then sends SIGTERM."""

    stop_timeout = 15.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.proc: subprocess.Popen | None = None
        self.stopped_in_time = True  # False: SIGTERM did not end the daemon in time

    def remove_everything(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.remove_everything()
            self.stopped_in_time = itlib.stop_daemon(self.proc, timeout=self.stop_timeout)
        self.after_stop()

    def after_stop(self) -> None:
        """What an engine checks once its daemon is gone (nothing by default)."""


class Containerd(DaemonEngine):
    name = "containerd"

    def __init__(self, *args):
        super().__init__(*args)
        self.sock = self.dir / "containerd.sock"
        self.namespace = f"berth-it-{self.token}"
        self.berth_root = self.dir / "berth-root"
        self.fifo = self.dir / "fifo"
        self.fifo.mkdir(exist_ok=True)
        self.config = self.dir / "config.toml"
        self.log_path = self.dir / "containerd.log"
        self.ids: list = []
        self.config.write_text(f"""\
version = 2
root = "{self.dir}/root"
state = "{self.dir}/state"
# The CRI plugin needs CNI and a sandbox image: ctr does not use it.
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "{self.sock}"

[ttrpc]
  address = "{self.sock}.ttrpc"

[debug]
  level = "debug"
""")

    def start(self) -> None:
        self.before = HostSnapshot.take()
        self.proc = itlib.launch_daemon(["containerd", "--config", str(self.config)],
                                        self.log_path, self.env)
        itlib.wait_until_answers(self.proc, self.log_path,
                                 lambda: self.ctr("version", timeout=5).rc == 0, timeout=30,
                                 what="containerd to answer on its socket")

    def ctr_argv(self, *args) -> list:
        return ["ctr", "--address", str(self.sock), "--namespace", self.namespace, *args]

    def ctr(self, *args, timeout=COMMAND_TIMEOUT, input=None) -> Result:
        return run(self.ctr_argv(*args), timeout=timeout, env=self.env, input=input)

    def new_id(self, what: str) -> str:
        cid = self.new_name(what)
        self.ids.append(cid)
        return cid

    def run_argv(self, cid: str, *cmd, flags=()) -> list:
        """ctr run with berth as the shim's runtime; --rootfs is a switch:
        the rootfs path goes where the image would."""
        return self.ctr_argv("run", "--runc-binary", self.berth, "--runc-root", str(self.berth_root),
                             "--fifo-dir", str(self.fifo), *flags, "--rootfs", str(self.rootfs),
                             cid, *cmd)

    def exec_argv(self, cid: str, exec_id: str, *cmd, flags=()) -> list:
        return self.ctr_argv("task", "exec", "--fifo-dir", str(self.fifo), "--exec-id", exec_id,
                             *flags, cid, *cmd)

    def tasks(self) -> dict:
        """id -> (pid, status) from `ctr task ls`."""
        res = ok(self.ctr("task", "ls"))
        found = {}
        for line in res.out.splitlines()[1:]:
            f = line.split()
            if len(f) >= 3:
                found[f[0]] = (int(f[1]), f[2])
        return found

    def task(self, cid: str):
        return self.tasks().get(cid)

    def containers(self) -> list:
        return ok(self.ctr("container", "ls", "--quiet")).out.split()

    def remove(self, cid: str) -> None:
        """What a user does to get rid of a container, whatever state it is in."""
        if self.task(cid) is not None:
            self.ctr("task", "resume", cid)
            self.ctr("task", "kill", "--signal", "SIGKILL", "--all", cid)
            try:
                wait_for(lambda: (self.task(cid) or (0, "STOPPED"))[1] == "STOPPED", timeout=10,
                         what=f"task {cid} to stop")
            except AssertionError:
                pass
            self.ctr("task", "delete", "--force", cid)
        if cid in self.containers():
            self.ctr("container", "delete", cid)

    # -- shutdown and leftovers ---------------------------------------------
    def remove_everything(self) -> None:
        for cid in self.containers() if self.ctr("version", timeout=5).rc == 0 else []:
            self.remove(cid)

    def container_ids(self) -> list:
        return list(self.ids)

    def state_roots(self) -> list:
        return [str(self.berth_root)]

    def process_words(self) -> list:
        return self.container_ids() + [f"/{self.namespace}/"]

    def leftover_state(self) -> list:
        """berth's state under the --root the shim passes (<runc-root>/<namespace>)."""
        return [str(e) for e in host_objects.state_entries(self.berth_root / self.namespace)]

    def leftover_cgroups(self) -> list:
        """ctr puts a task in cgroup /<namespace>/<id>: nothing may be left below
        /<namespace> (the namespace's own directory is the parent berth made,
        as runc does, and goes in final_cleanup)."""
        prefix = f"/{self.namespace}/"
        ids = self.container_ids()
        return sorted(d for d in host_objects.all_cgroup_dirs() - self.before.cgroups
                      if prefix in d or any(i in d for i in ids))

    def final_cleanup(self) -> None:
        super().final_cleanup()
        itlib.remove_cgroup_dirs([f"/{self.namespace}"])


# ---------------------------------------------------------------------------

class Podman(Engine):
    name = "podman"

    def __init__(self, *args):
        super().__init__(*args)
        self.cids = self.dir / "cids"
        self.cids.mkdir(exist_ok=True)
        self.global_flags = [
            "--root", str(self.dir / "root"),
            "--runroot", str(self.dir / "runroot"),
            "--tmpdir", str(self.dir / "tmp"),
            "--volumepath", str(self.dir / "volumes"),
            "--network-config-dir", str(self.dir / "networks"),
            "--storage-driver", "vfs",
            "--runtime", self.berth,
            "--cgroup-manager", "cgroupfs",
            "--events-backend", "file",
        ]
        self.berth_root = Path(default_state_root(self.berth))
        self.berth_root_before: set = set()
        self.lock_existed = Path("/dev/shm/libpod_lock").exists()

    def start(self) -> None:
        self.before = HostSnapshot.take()
        self.berth_root_before = set(os.listdir(self.berth_root)) if self.berth_root.is_dir() else set()
        ok(self.podman("info", "--format", "{{.Host.OCIRuntime.Path}}"))

    def argv(self, *args) -> list:
        return ["podman", *self.global_flags, *args]

    def podman(self, *args, timeout=COMMAND_TIMEOUT, input=None) -> Result:
        return run(self.argv(*args), timeout=timeout, env=self.env, input=input)

    def ulimits(self) -> list:
        """Podman (as root) puts RLIMIT_NOFILE and RLIMIT_NPROC of 1048576 in
        every container's config.json. This host's processes lack
        CAP_SYS_RESOURCE and have lower hard limits (nofile 20000, nproc
        96365), so no runtime can set those (runc fails the same way): ask for
        limits the host allows."""
        return ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"]

    def run_argv(self, name: str, *cmd, flags=(), run="run") -> list:
        """podman run (or create) with a --rootfs: the rootfs path goes where the
        image would."""
        return self.argv(run, "--name", name, "--cidfile", str(self.cids / name),
                         "--network", "none", *self.ulimits(), *flags,
                         "--rootfs", str(self.rootfs), *cmd)

    def inspect(self, name: str, fmt: str) -> str:
        return ok(self.podman("inspect", "--format", fmt, name)).out.strip()

    def remove(self, name: str) -> None:
        self.podman("unpause", name)
        self.podman("rm", "--force", "--time", "0", name)

    def stop(self) -> None:
        res = self.podman("ps", "--all", "--format", "{{.Names}}")
        for name in res.out.split() if res.rc == 0 else []:
            self.remove(name)
        # No daemon: conmon and `podman container cleanup` finish on their own.
        try:
            wait_for(lambda: not any("conmon" in p for p in self.leftover_processes()),
                     timeout=10, what="conmon to exit")
        except AssertionError:
            pass

    def container_ids(self) -> list:
        """Every container this suite made: from the --cidfile of each run, and
        from Podman's storage for one that a failure left without its file."""
        ids = set()
        for f in self.cids.iterdir():
            cid = f.read_text().strip()
            if cid:
                ids.add(cid)
        for d in (self.dir / "root" / "vfs-containers", self.dir / "runroot" / "vfs-containers"):
            if d.is_dir():
                ids.update(e for e in os.listdir(d) if re.fullmatch(r"[0-9a-f]{64}", e))
        return sorted(ids)

    def state_roots(self) -> list:
        return [str(self.berth_root / c) for c in self.container_ids()]

    def leftover_state(self) -> list:
        """Podman passes no --root: berth keeps its state in its default root."""
        if not self.berth_root.is_dir():
            return []
        ids = set(self.container_ids())
        new = set(os.listdir(self.berth_root)) - self.berth_root_before - {host_objects.SECCOMP_CACHE}
        return [str(self.berth_root / e) for e in sorted(new) if e in ids or re.fullmatch(r"[0-9a-f]{64}", e)]

    def leftover_cgroups(self) -> list:
        """With cgroupfs, Podman puts a container in /libpod_parent/libpod-<id>
        and conmon in /libpod_parent/conmon (both parents are Podman's own)."""
        ids = self.container_ids()
        engine_own = {"/libpod_parent", "/libpod_parent/conmon"}
        return sorted(d for d in host_objects.all_cgroup_dirs() - self.before.cgroups
                      if d.split(":", 1)[1] not in engine_own
                      and (d.split(":", 1)[1].startswith("/libpod_parent/") or any(i in d for i in ids)))

    def final_cleanup(self) -> None:
        super().final_cleanup()
        for entry in self.leftover_state():
            cid = os.path.basename(entry)
            run([self.berth, "--root", str(self.berth_root), "delete", "--force", cid], timeout=20)
            if os.path.isdir(entry) and not os.path.ismount(entry):
                shutil.rmtree(entry, ignore_errors=True)
        parents = [p for p in ("/libpod_parent/conmon", "/libpod_parent")
                   if not any(d.endswith(":" + p) for d in self.before.cgroups)]
        itlib.remove_cgroup_dirs(parents)
        if not self.lock_existed:
            try:
                os.unlink("/dev/shm/libpod_lock")
            except OSError:
                pass
