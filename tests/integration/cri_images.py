"""Container images for the CRI suite, made locally as OCI image archives
(no registry): a pause image whose only file is a tiny static program of the
suite's own (cri/pause.c, built with gcc -static), and a busybox image
(Debian's busybox-static with one symlink per applet, as the other suites'
root filesystem)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import itlib
from busybox_rootfs import make_busybox_rootfs
from command import run

HERE = Path(__file__).resolve().parent
PAUSE_SOURCE = HERE / "cri" / "pause.c"


def build_pause(dest: Path) -> Path:
    """Compile the pause program statically into dest/pause (a rootfs)."""
    gcc = shutil.which("gcc")
    if gcc is None:
        raise RuntimeError("gcc not found: apt-get install gcc libc6-dev")
    dest.mkdir(parents=True, exist_ok=True)
    itlib.ok(run([gcc, "-static", "-O2", "-Wall", "-o", dest / "pause", PAUSE_SOURCE],
                       timeout=120))
    return dest


def _layer(rootfs: Path) -> bytes:
    """A gzip'ed tar of rootfs, owned by root, with stable timestamps."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(rootfs.rglob("*")):
            info = tar.gettarinfo(str(path), arcname=str(path.relative_to(rootfs)))
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 0
            if info.isreg():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    return raw.getvalue()


def _blob(blobs: dict, data: bytes, media_type: str) -> dict:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blobs[digest] = data
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def write_oci_archive(dest: Path, name: str, rootfs: Path, config: dict) -> Path:
    """An OCI image layout as a tar (what `ctr images import` reads), the
    image named `name` through containerd's io.containerd.image.name."""
    blobs: dict = {}
    layer_tar = _layer(rootfs)
    diff_id = "sha256:" + hashlib.sha256(layer_tar).hexdigest()
    layer = _blob(blobs, gzip.compress(layer_tar, mtime=0),
                  "application/vnd.oci.image.layer.v1.tar+gzip")
    image_config = {
        "architecture": "amd64",
        "os": "linux",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "berth CRI suite"}],
    }
    cfg = _blob(blobs, json.dumps(image_config).encode(), "application/vnd.oci.image.config.v1+json")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": cfg, "layers": [layer]}
    desc = _blob(blobs, json.dumps(manifest).encode(), "application/vnd.oci.image.manifest.v1+json")
    desc["platform"] = {"architecture": "amd64", "os": "linux"}
    desc["annotations"] = {"io.containerd.image.name": name,
                           "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]}
    index = {"schemaVersion": 2, "manifests": [desc]}
    with tarfile.open(dest, "w") as tar:
        def add(arcname: str, data: bytes):
            info = tarfile.TarInfo(arcname)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        add("oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
        add("index.json", json.dumps(index).encode())
        for digest, data in blobs.items():
            add("blobs/sha256/" + digest.split(":", 1)[1], data)
    return dest


def make_images(workdir: Path, pause_name: str, busybox_name: str) -> list:
    """Both archives under workdir; returns their paths."""
    pause_root = build_pause(workdir / "pause-rootfs")
    pause = write_oci_archive(workdir / "pause.tar", pause_name, pause_root,
                              {"Entrypoint": ["/pause"], "User": "65535:65535"})
    bb_root = make_busybox_rootfs(workdir / "busybox-rootfs")
    (bb_root / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\n"
        "app:x:1000:1000:app:/tmp:/bin/sh\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    (bb_root / "etc" / "group").write_text("root:x:0:\ntty:x:5:\napp:x:1000:\nnogroup:x:65534:\n")
    busybox = write_oci_archive(workdir / "busybox.tar", busybox_name, bb_root,
                                {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                                 "Cmd": ["sh"]})
    return [pause, busybox]

