"""containerd 1.6 (Debian's) with its CRI plugin, started by the suite with its
own root, state, sockets, CNI configuration and images, berth as the default
runtime (io.containerd.runc.v2 with BinaryName), and driven with crictl as
the kubelet would drive it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import cri_images
import host_objects
import itlib
from command import COMMAND_TIMEOUT, Result, run
from engines import DaemonEngine
from itlib import HostSnapshot, ok, wait_for

REPO = Path(__file__).resolve().parents[2]
CNI_BIN = Path("/usr/lib/cni")
NETNS_DIR = Path("/var/run/netns")


def find_crictl() -> str | None:
    """$CRICTL, then the repository's sibling ../shared/bin/crictl (what CI
    provides next to its clean clone), then PATH."""
    for candidate in (os.environ.get("CRICTL"), str(REPO.parent / "shared" / "bin" / "crictl"),
                      shutil.which("crictl")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing_cni_plugins() -> list:
    return [p for p in ("bridge", "host-local", "loopback") if not (CNI_BIN / p).exists()]


class CriContainerd(DaemonEngine):
    # the first letter makes the run's token (containerd's suite has "c")
    name = "k8s-cri"

    def __init__(self, workdir: Path, berth: str, rootfs_template: Path, token: str, crictl: str,
                 other_runtimes: dict | None = None):
        """other_runtimes: handler name -> binary, more runtime handlers next
        to the default "berth" (bench/pods.py compares berth with runc)."""
        super().__init__(workdir, berth, rootfs_template, token)
        self.other_runtimes = dict(other_runtimes or {})
        self.crictl_path = crictl
        self.sock = self.dir / "containerd.sock"
        self.berth_root = self.dir / "berth-root"
        self.config = self.dir / "config.toml"
        self.log_path = self.dir / "containerd.log"
        self.cni_conf = self.dir / "net.d"
        # Kubernetes' namespace for everything the CRI plugin makes
        self.namespace = "k8s.io"
        self.pause_image = f"localhost/berth-it/pause:{token}"
        self.busybox_image = f"localhost/berth-it/busybox:{token}"
        # one cgroup parent for every pod of the run, as the kubelet's
        # /kubepods; run.sh's safety net knows the name
        self.cgroup_root = f"/berth-it-{token}"
        # A /24 of 10.0.0.0/8 picked from the token: not docker's 172.17/16,
        # and two runs at once do not collide
        third = int(token[:4], 16) % 250 + 1
        self.subnet = f"10.231.{third}.0/24"
        self.bridge = f"bcri{token[:8]}"[:15]
        self.pods: list = []
        self.netns_before: set = set()
        self.iptables_before = ""
        self.stream_port = 0

    # -- configuration --------------------------------------------------------
    def write_config(self) -> None:
        self.cni_conf.mkdir(exist_ok=True)
        (self.cni_conf / "10-berth-it.conflist").write_text(json.dumps({
            "cniVersion": "1.0.0",
            "name": f"berth-it-{self.token}",
            "plugins": [
                # No gateway and no masquerade: the bridge plugin then changes
                # nothing host-wide but its bridge (with a gateway it turns
                # net.ipv4.ip_forward on, which a Docker suite running at the
                # same time relies on: it cannot be put back safely), and the
                # pods need no route off the node.
                {"type": "bridge", "bridge": self.bridge, "isGateway": False, "ipMasq": False,
                 "hairpinMode": True,
                 "ipam": {"type": "host-local", "ranges": [[{"subnet": self.subnet}]],
                          "dataDir": str(self.dir / "ipam")}},
            ],
        }, indent=2))
        opt = 'plugins."io.containerd.grpc.v1.cri"'
        self.config.write_text(f"""\
version = 2
root = "{self.dir}/root"
state = "{self.dir}/state"

[grpc]
  address = "{self.sock}"

[ttrpc]
  address = "{self.sock}.ttrpc"

[debug]
  level = "debug"

[plugins."io.containerd.internal.v1.opt"]
  path = "{self.dir}/opt"

[{opt}]
  sandbox_image = "{self.pause_image}"
  # The sandbox asks for oomScoreAdj -998; lowering a score needs
  # CAP_SYS_RESOURCE, which root lacks on these machines: clamp it.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  [{opt}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "berth"
    [{opt}.containerd.runtimes.berth]
      runtime_type = "io.containerd.runc.v2"
      [{opt}.containerd.runtimes.berth.options]
        BinaryName = "{self.berth}"
        Root = "{self.berth_root}"
        SystemdCgroup = false
{self.runtime_tables(opt)}  [{opt}.cni]
    bin_dir = "{CNI_BIN}"
    conf_dir = "{self.cni_conf}"
    max_conf_num = 1
""")

    def runtime_tables(self, opt: str) -> str:
        text = ""
        for name, binary in self.other_runtimes.items():
            text += f"""\
    [{opt}.containerd.runtimes.{name}]
      runtime_type = "io.containerd.runc.v2"
      [{opt}.containerd.runtimes.{name}.options]
        BinaryName = "{binary}"
        Root = "{self.dir}/{name}-root"
        SystemdCgroup = false
"""
        return text

    # -- life -------------------------------------------------------------------
    def start(self) -> None:
        self.before = HostSnapshot.take()
        self.netns_before = set(os.listdir(NETNS_DIR)) if NETNS_DIR.is_dir() else set()
        self.iptables_before = self.iptables_chains()
        self.write_config()
        self.proc = itlib.launch_daemon(["containerd", "--config", str(self.config)],
                                        self.log_path, self.env)
        itlib.wait_until_answers(self.proc, self.log_path,
                                 lambda: self.crictl("info", timeout=5).rc == 0, timeout=30,
                                 what="containerd's CRI plugin to answer")
        for archive in cri_images.make_images(self.dir, self.pause_image, self.busybox_image):
            ok(self.ctr("images", "import", "--all-platforms", str(archive), timeout=60))

    def ctr(self, *args, timeout=COMMAND_TIMEOUT) -> Result:
        return run(["ctr", "--address", str(self.sock), "--namespace", self.namespace, *args],
                   timeout=timeout, env=self.env)

    def crictl_argv(self, *args, timeout=60) -> list:
        endpoint = f"unix://{self.sock}"
        return [self.crictl_path, "--runtime-endpoint", endpoint, "--image-endpoint", endpoint,
                "--timeout", f"{timeout}s", *args]

    def crictl(self, *args, timeout=COMMAND_TIMEOUT, input=None) -> Result:
        # crictl's own timeout a little under ours: its error, not a kill
        return run(self.crictl_argv(*args, timeout=max(timeout - 5, 2)), timeout=timeout,
                   env=self.env, input=input)

    def inspect(self, what: str, ident: str) -> dict:
        return json.loads(ok(self.crictl(what, "-o", "json", ident)).out)

    # -- pods and containers -------------------------------------------------
    def pod_config(self, name: str, *, host_network=False, pid="POD", extra_linux=None) -> Path:
        """A PodSandboxConfig as the kubelet sends it (a subset). pid:
        POD (one pid namespace for the pod's containers, shareProcessNamespace),
        CONTAINER (one each, Kubernetes' default) or NODE."""
        uid = f"{name}-{self.token}"
        self.counter += 1
        linux = {
            "cgroup_parent": f"{self.cgroup_root}/pod{uid}",
            "security_context": {
                "namespace_options": {"network": 2 if host_network else 0,
                                      "pid": {"POD": 0, "CONTAINER": 1, "NODE": 2}[pid],
                                      "ipc": 0},
            },
        }
        linux.update(extra_linux or {})
        cfg = {
            "metadata": {"name": name, "namespace": "berth-it", "uid": uid, "attempt": 0},
            # the kubelet gives no hostname to a host-network pod (it keeps
            # the node's uts namespace, where no runtime may set one)
            "hostname": "" if host_network else name,
            "log_directory": str(self.dir / "logs" / uid),
            "linux": linux,
        }
        path = self.dir / f"pod-{uid}.json"
        path.write_text(json.dumps(cfg))
        return path

    def container_config(self, name: str, command: list, *, linux=None, tty=False, stdin=False,
                         attempt=0) -> Path:
        cfg = {
            "metadata": {"name": name, "attempt": attempt},
            "image": {"image": self.busybox_image},
            "command": command,
            "log_path": f"{name}-{attempt}.log",
            "linux": linux or {},
            "tty": tty,
            "stdin": stdin,
        }
        self.counter += 1
        path = self.dir / f"ctr-{name}-{self.counter}.json"
        path.write_text(json.dumps(cfg))
        return path

    def runp(self, pod_json: Path, runtime: str | None = None) -> str:
        flags = ["--runtime", runtime] if runtime else []
        pod = ok(self.crictl("runp", *flags, str(pod_json))).out.strip()
        self.pods.append(pod)
        return pod

    def create(self, pod: str, ctr_json: Path, pod_json: Path) -> Result:
        """crictl create, the container's namespace options being the pod's
        (the kubelet puts the same ones in both configs)."""
        cfg = json.loads(ctr_json.read_text())
        pod_ns = json.loads(pod_json.read_text())["linux"]["security_context"]["namespace_options"]
        cfg["linux"].setdefault("security_context", {}).setdefault("namespace_options", pod_ns)
        ctr_json.write_text(json.dumps(cfg))
        return self.crictl("create", pod, str(ctr_json), str(pod_json))

    def create_start(self, pod: str, ctr_json: Path, pod_json: Path) -> str:
        cid = ok(self.create(pod, ctr_json, pod_json)).out.strip()
        ok(self.crictl("start", cid))
        return cid

    def state(self, cid: str) -> str:
        return self.inspect("inspect", cid)["status"]["state"]

    def wait_state(self, cid: str, state: str, timeout=30) -> dict:
        def reached():
            st = self.inspect("inspect", cid)["status"]
            return st if st["state"] == state else None
        return wait_for(reached, timeout=timeout, interval=0.2, what=f"container {cid} to be {state}")

    def pid(self, cid: str) -> int:
        return int(self.inspect("inspect", cid)["info"]["pid"])

    def exec(self, cid: str, *cmd, timeout=None) -> Result:
        args = ["exec"]
        if timeout is not None:
            args += ["--timeout", str(timeout)]
        return self.crictl(*args, cid, *cmd)

    def remove_pod(self, pod: str) -> None:
        self.crictl("stopp", pod)
        self.crictl("rmp", "--force", pod)

    # -- host state -------------------------------------------------------------
    @staticmethod
    def iptables_chains() -> str:
        res = run(["iptables-save"], timeout=20)
        return "\n".join(sorted(l for l in res.out.splitlines() if "CNI" in l))

    def new_iptables_lines(self) -> list:
        before = set(self.iptables_before.splitlines())
        return [l for l in self.iptables_chains().splitlines() if l and l not in before]

    def new_netns(self) -> list:
        now = set(os.listdir(NETNS_DIR)) if NETNS_DIR.is_dir() else set()
        return sorted(now - self.netns_before)

    # -- shutdown and leftovers ---------------------------------------------
    def remove_everything(self) -> None:
        res = self.crictl("pods", "-q", timeout=20)
        for pod in res.out.split() if res.rc == 0 else []:
            self.remove_pod(pod)

    def container_ids(self) -> list:
        """Every pod and container id berth was given (its state directories),
        plus the pods the suite made."""
        root = self.berth_root / self.namespace
        ids = set(self.pods)
        if root.is_dir():
            ids.update(e for e in os.listdir(root) if e != "@cache")
        return sorted(ids)

    def state_roots(self) -> list:
        return [str(self.berth_root)]

    def process_words(self) -> list:
        return self.container_ids() + [self.cgroup_root + "/"]

    def leftover_state(self) -> list:
        return [str(e) for e in host_objects.state_entries(self.berth_root / self.namespace)]

    def leftover_cgroups(self) -> list:
        """The containers' cgroups (<root>/pod<uid>/<id>). The pod's own
        directory, the cgroup_parent, is the kubelet's to make and remove
        (runc leaves the parents it made; final_cleanup plays the kubelet)."""
        prefix = self.cgroup_root + "/"
        return sorted(d for d in host_objects.all_cgroup_dirs() - self.before.cgroups
                      if d.split(":", 1)[1].startswith(prefix)
                      and d.split(":", 1)[1][len(prefix):].count("/") >= 1)

    def leftover_mounts(self) -> list:
        wd = str(self.workdir)
        roots = self.state_roots()

        def related(m):
            text = " ".join(m)
            return (wd in text or any(m.mountpoint == r or m.mountpoint.startswith(r + "/")
                                      for r in roots)
                    or m.mountpoint.startswith(str(NETNS_DIR) + "/cni-")
                    or "/run/containerd/io.containerd" in m.mountpoint)
        return [" ".join(m) for m in host_objects.new_mounts(self.before.mounts, related)]

    def leftover_bridge(self) -> bool:
        return Path(f"/sys/class/net/{self.bridge}").exists()

    def final_cleanup(self) -> None:
        super().final_cleanup()
        for ns in self.new_netns():
            if ns.startswith("cni-"):
                run(["ip", "netns", "delete", ns], timeout=10)
        itlib.remove_cgroup_dirs([self.cgroup_root])
        # What the bridge plugin leaves on the host: its bridge
        if self.leftover_bridge():
            run(["ip", "link", "delete", self.bridge], timeout=10)
        for line in self.new_iptables_lines():
            if line.startswith("-A "):
                run(["iptables", "-t", "nat", "-D", *line[3:].split()], timeout=10)
