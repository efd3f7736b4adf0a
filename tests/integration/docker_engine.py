"""Docker 20.10 (Debian's docker.io) with berth as its default runtime:
dockerd started by the suite with its own data root, exec root, socket,
pidfile and configuration file, the cgroupfs driver and bridge networking
with iptables; it starts its own containerd, whose root and state then lie
under the exec and data roots.  What dockerd changes on the host (the
net.ipv4.ip_forward sysctl, the FORWARD policy, its iptables chains and
bridges) is put back when it stops.

The client is always /usr/bin/docker (Debian's): a newer client elsewhere
on PATH speaks an API this daemon does not."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import host_objects
import itlib
from command import COMMAND_TIMEOUT, Result, run
from engines import DaemonEngine
from itlib import HostSnapshot, ok, wait_for

DOCKER = "/usr/bin/docker"
DOCKERD = "/usr/sbin/dockerd"
COMPOSE = "/usr/bin/docker-compose"

# Sysctls dockerd sets and never puts back.
HOST_SYSCTLS = ("net/ipv4/ip_forward", "net/bridge/bridge-nf-call-iptables",
                "net/bridge/bridge-nf-call-ip6tables")


def iptables_rules(table: str) -> list:
    res = run(["iptables", "-t", table, "-S"], timeout=30)
    return res.out.splitlines() if res.rc == 0 else []


def dockers_link(name: str) -> bool:
    """docker0 and the bridges of user-defined networks (br-<12 hex>); the
    veth pairs go with their containers.  Other suites (CNI) running at the
    same time make links and rules of their own: those are not ours."""
    return name == "docker0" or re.fullmatch(r"br-[0-9a-f]{12}", name) is not None


def dockers_rule(rule: str) -> bool:
    """dockerd's chains are DOCKER*; its other rules name its bridges."""
    return "DOCKER" in rule or any(dockers_link(w) for w in rule.split())


class HostNetwork:
    """The part of the host's network configuration dockerd changes."""

    def __init__(self):
        self.sysctls = {}
        for name in HOST_SYSCTLS:
            try:
                self.sysctls[name] = Path("/proc/sys", name).read_text().strip()
            except OSError:
                pass
        self.forward_policy = next((r.split()[2] for r in iptables_rules("filter")
                                    if r.startswith("-P FORWARD ")), "ACCEPT")
        self.rules = {t: set(iptables_rules(t)) for t in ("filter", "nat")}
        self.links = set(os.listdir("/sys/class/net"))

    def new_links(self) -> list:
        return sorted(l for l in set(os.listdir("/sys/class/net")) - self.links if dockers_link(l))

    def new_rules(self, table: str) -> list:
        return [r for r in iptables_rules(table) if r not in self.rules[table] and dockers_rule(r)]

    def leftovers(self) -> list:
        """What dockerd changed and is still changed: its chains and rules,
        its bridges, the sysctls and the FORWARD policy."""
        out = []
        for t in self.rules:
            out += [f"iptables -t {t}: {r}" for r in self.new_rules(t)]
        out += [f"network interface {l}" for l in self.new_links()]
        for name, value in self.sysctls.items():
            try:
                now = Path("/proc/sys", name).read_text().strip()
            except OSError:
                continue
            if now != value:
                out.append(f"sysctl {name} = {now} (was {value})")
        policy = next((r.split()[2] for r in iptables_rules("filter") if r.startswith("-P FORWARD ")),
                      "ACCEPT")
        if policy != self.forward_policy:
            out.append(f"FORWARD policy {policy} (was {self.forward_policy})")
        return out

    def restore(self) -> None:
        """Undo only what is new since the snapshot (another suite may add
        rules of its own meanwhile: those stay)."""
        for t in self.rules:
            new = self.new_rules(t)
            # rules first (they reference the chains), then the chains
            for r in new:
                if r.startswith("-A "):
                    run(["iptables", "-t", t, "-D", *r.split()[1:]], timeout=30)
            for r in new:
                if r.startswith("-N "):
                    run(["iptables", "-t", t, "-F", r.split()[1]], timeout=30)
            for r in new:
                if r.startswith("-N "):
                    run(["iptables", "-t", t, "-X", r.split()[1]], timeout=30)
        run(["iptables", "-P", "FORWARD", self.forward_policy], timeout=30)
        for link in self.new_links():
            run(["ip", "link", "delete", link], timeout=30)
        for name, value in self.sysctls.items():
            try:
                Path("/proc/sys", name).write_text(value)
            except OSError:
                pass


class Docker(DaemonEngine):
    name = "docker"

    def __init__(self, *args):
        super().__init__(*args)
        self.sock = self.dir / "docker.sock"
        self.data_root = self.dir / "data"
        self.exec_root = self.dir / "exec"
        self.pidfile = self.dir / "docker.pid"
        self.config = self.dir / "daemon.json"
        self.log_path = self.dir / "dockerd.log"
        self.host: HostNetwork | None = None
        self.stop_problem = ""
        self.stop_errors: list = []
        # Names of containers, images, networks and volumes carry the token.
        self.image = f"berth-it-{self.token}"
        self.env = dict(self.env, DOCKER_HOST=f"unix://{self.sock}", DOCKER_BUILDKIT="0",
                        COMPOSE_DOCKER_CLI_BUILD="0", DOCKER_CONFIG=str(self.dir / "client"))
        # An empty configuration file: the host's /etc/docker/daemon.json (if
        # any) is not this suite's business.
        self.config.write_text("{}\n")

    # -- daemon -------------------------------------------------------------
    def start(self) -> None:
        self.before = HostSnapshot.take()
        self.host = HostNetwork()
        self.proc = itlib.launch_daemon(
            [DOCKERD, "--config-file", str(self.config), "--data-root", str(self.data_root),
             "--exec-root", str(self.exec_root), "-H", f"unix://{self.sock}",
             "--pidfile", str(self.pidfile), "--exec-opt", "native.cgroupdriver=cgroupfs",
             "--add-runtime", f"berth={self.berth}", "--default-runtime", "berth",
             "--iptables=true", "--ip-forward=true", "--log-level", "debug"],
            self.log_path, self.env)
        itlib.wait_until_answers(self.proc, self.log_path,
                                 lambda: self.docker("version", timeout=5).rc == 0, timeout=60,
                                 what="dockerd to answer on its socket")
        self.make_image()

    def docker(self, *args, timeout=COMMAND_TIMEOUT, input=None) -> Result:
        return run([DOCKER, *args], timeout=timeout, env=self.env, input=input)

    def compose(self, project_dir: Path, *args, timeout=COMMAND_TIMEOUT) -> Result:
        return run([COMPOSE, "--project-directory", str(project_dir), "-f",
                    str(project_dir / "docker-compose.yml"), "-p", f"it{self.token}", *args],
                   timeout=timeout, env=self.env)

    def make_image(self) -> None:
        """The busybox rootfs, imported (no registry is reachable)."""
        tar = self.dir / "rootfs.tar"
        with tarfile.open(tar, "w") as t:
            for entry in sorted(os.listdir(self.rootfs)):
                t.add(self.rootfs / entry, arcname=entry)
        ok(self.docker("import", "--change", 'CMD ["/bin/sh"]', "--change",
                       "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                       str(tar), self.image, timeout=120))
        tar.unlink()

    def inspect(self, name: str, fmt: str) -> str:
        return ok(self.docker("inspect", "--format", fmt, name)).out.strip()

    def pid_of(self, name: str) -> int:
        return int(self.inspect(name, "{{.State.Pid}}"))

    def remove(self, name: str) -> None:
        self.docker("unpause", name)
        self.docker("rm", "--force", "--volumes", name)

    # -- shutdown and leftovers ---------------------------------------------
    stop_timeout = 30.0

    def remove_everything(self) -> None:
        if self.docker("version", timeout=5).rc == 0:
            res = self.docker("ps", "--all", "--quiet")
            for cid in res.out.split() if res.rc == 0 else []:
                self.remove(cid)

    def after_stop(self) -> None:
        if not self.stopped_in_time:
            # a dockerd that has to be killed leaves its mounts behind
            self.stop_problem = "dockerd did not exit within 30 s of SIGTERM"
        if self.proc.returncode != 0 and not self.stop_problem:
            self.stop_problem = f"dockerd exited with {self.proc.returncode}"
        # what went wrong while it stopped (the log from SIGTERM on)
        log = self.log_path.read_text(errors="replace").split("Processing signal 'terminated'")
        if len(log) > 1:
            self.stop_errors = [l for l in log[-1].splitlines() if "level=error" in l]
        # dockerd stops its containerd; wait for that one (and its shims) too
        try:
            wait_for(lambda: not self.leftover_processes(), timeout=15,
                     what="containerd and the shims to exit")
        except AssertionError:
            pass

    def container_ids(self) -> list:
        """Every container this daemon made: the directories of its data root
        (they outlive the daemon until the suite's directory goes)."""
        d = self.data_root / "containers"
        return sorted(os.listdir(d)) if d.is_dir() else []

    def runtime_root(self) -> Path:
        """berth's --root: dockerd passes <exec-root>/runtime-<name> to the
        shim, which adds containerd's namespace (moby)."""
        return self.exec_root / "runtime-berth" / "moby"

    def state_roots(self) -> list:
        return [str(self.exec_root), str(self.data_root)]

    def leftover_state(self) -> list:
        return [str(e) for e in host_objects.state_entries(self.runtime_root())]

    def leftover_mounts(self) -> list:
        """dockerd bind-mounts the host's network namespace at
        <exec-root>/netns/default for itself and leaves it when it stops
        (whatever the runtime): not the runtime's (final_cleanup unmounts it)."""
        own = str(self.exec_root / "netns" / "default")
        return [m for m in super().leftover_mounts() if m.split(" ")[1] != own]

    def leftover_cgroups(self) -> list:
        """With cgroupfs, a container's cgroup is /docker/<id>; /docker itself
        is the parent the runtime made (as runc does) and goes in final_cleanup."""
        ids = self.container_ids()
        return sorted(d for d in host_objects.all_cgroup_dirs() - self.before.cgroups
                      if d.split(":", 1)[1].startswith("/docker/") or any(i in d for i in ids))

    def leftover_host_network(self) -> list:
        return self.host.leftovers() if self.host else []

    def final_cleanup(self) -> None:
        super().final_cleanup()
        if self.host:
            self.host.restore()
        if not any(d.endswith(":/docker") for d in self.before.cgroups):
            itlib.remove_cgroup_dirs(["/docker"])
        # dockerd's own mounts under its roots (the overlay layers, netns
        # files) are gone with it; the directory goes with run.sh's workdir.
        for m in host_objects.new_mounts(self.before.mounts, lambda m: str(self.dir) in m.mountpoint):
            subprocess.run(["umount", "-l", m.mountpoint], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir / "client", ignore_errors=True)
        # the daemon's log goes next to the pytest log (run.sh removes the
        # engines' directory)
        out = os.environ.get("BERTH_IT_OUT")
        if out and self.log_path.exists():
            shutil.copy(self.log_path, Path(out) / "dockerd.log")
