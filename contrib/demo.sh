#!/usr/bin/env bash
# berth demo: build berth, make a busybox bundle in a temporary directory, and
# run a container that prints its hostname and its pid (1, in its own pid
# namespace). Everything it creates is removed on exit.
#
# Run as root on Debian 12 from a berth checkout:   contrib/demo.sh
# Set BERTH=/path/to/berth to skip the build, SKIP_APT=1 to never call apt-get.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build}

if [ "$(id -u)" -ne 0 ]; then
    echo "demo.sh: run me as root (a container needs namespaces and mounts)" >&2
    exit 1
fi

# 1. Build dependencies (and busybox-static for the rootfs), if missing.
PACKAGES=(meson ninja-build g++ pkg-config libyajl-dev libseccomp-dev libcap-ng-dev
          libselinux1-dev busybox-static)
if [ -z "${BERTH:-}" ]; then
    missing=()
    for pkg in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ] && [ -z "${SKIP_APT:-}" ]; then
        echo "==> installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi

    # 2. Build (the output is shown only if it fails).
    echo "==> building berth in $BUILD"
    LOG=$(mktemp /tmp/berth-demo-build.XXXXXX)
    if ! { { [ -f "$BUILD/build.ninja" ] || meson setup "$BUILD"; } && meson compile -C "$BUILD"; } >"$LOG" 2>&1; then
        cat "$LOG" >&2
        echo "demo.sh: the build failed (log above)" >&2
        rm -f "$LOG"
        exit 1
    fi
    rm -f "$LOG"
    BERTH=$BUILD/src/berth
fi
BUSYBOX=$(command -v busybox || echo /bin/busybox)

# 3. A bundle: rootfs with busybox and its applets, and a config.json.
WORK=$(mktemp -d /tmp/berth-demo.XXXXXX)
ID=demo-$$
cleanup() {
    "$BERTH" --root "$WORK/state" delete --force "$ID" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

ROOTFS=$WORK/bundle/rootfs
mkdir -p "$ROOTFS"/{bin,dev,proc,sys,tmp,etc,root}
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$ROOTFS/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOTFS/etc/passwd"
echo 'root:x:0:' > "$ROOTFS/etc/group"

cat > "$WORK/bundle/config.json" <<'JSON'
{
  "ociVersion": "1.2.1",
  "hostname": "berth-demo",
  "root": { "path": "rootfs", "readonly": true },
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": [ "/bin/sh", "-c", "echo \"hostname: $(hostname)\"; echo \"pid $$\"" ],
    "env": [ "PATH=/bin" ],
    "cwd": "/",
    "capabilities": {
      "bounding": [ "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "effective": [ "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "permitted": [ "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
    },
    "noNewPrivileges": true
  },
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": [ "nosuid", "mode=755", "size=1m" ] },
    { "destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
      "options": [ "nosuid", "nodev", "size=16m" ] }
  ],
  "linux": {
    "namespaces": [
      { "type": "pid" }, { "type": "uts" }, { "type": "mount" },
      { "type": "ipc" }, { "type": "network" }
    ],
    "maskedPaths": [ "/proc/kcore", "/proc/keys" ],
    "readonlyPaths": [ "/proc/sys", "/proc/sysrq-trigger" ]
  }
}
JSON

# 4. Run it: berth creates the container, starts it, waits, and deletes it.
echo "==> berth run --bundle $WORK/bundle $ID"
"$BERTH" --root "$WORK/state" run --bundle "$WORK/bundle" "$ID"
