#!/usr/bin/env bash
# berth under real engines: containerd (ctr, runc v2 shim), Podman (conmon),
# containerd's CRI plugin driven by crictl (pods, as a Kubernetes node) and
# Docker (dockerd, docker-compose), each started with its own state under a
# temporary directory, no registry (a busybox --rootfs, locally made images),
# no systemd.  Installs what it needs with
# apt-get (Debian 12), runs the pytest suites of this directory, stops and
# removes everything, and prints TAP ("1..N", "ok N - name", "not ok N - name"
# with the failure as "# " lines) and then one line "N passed, N failed".
# Exit status: 0 if everything passed.
#
# Usage: tests/integration/run.sh [--berth PATH] [--suite containerd|podman|cri|docker]...
#                                 [--filter EXPR] [--out DIR] [--keep]
#   --berth   the runtime under test (default: build/src/berth); another
#             runtime (--berth /usr/sbin/runc) checks the suites themselves
#   --suite   run only this suite (repeatable; default: containerd podman cri docker)
#   --filter  pytest -k expression
#   --out     where the pytest log and junit XML go (default:
#             build/meson-logs/integration)
#   --keep    keep the engines' directory (state, logs) for inspection
# Environment: SKIP_APT=1 never calls apt-get; INTEGRATION_TIMEOUT (seconds,
# default 900) bounds the whole pytest run.

set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3

berth="$REPO/build/src/berth" out="$REPO/build/meson-logs/integration" filter="" keep=""
suites=()
while [ $# -gt 0 ]; do
    case "$1" in
    --berth) berth=$2; shift 2 ;;
    --suite) suites+=("$2"); shift 2 ;;
    --filter) filter=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
[ "${#suites[@]}" -eq 0 ] && suites=(containerd podman cri docker)

# A run that cannot start counts as one failed test.
give_up() {
    echo "1..1"
    echo "not ok 1 - integration suites: $*"
    echo "0 passed, 1 failed"
    exit 1
}

[ "$(id -u)" -eq 0 ] || give_up "they start containerd, Podman and dockerd: run them as root"

files=()
for s in "${suites[@]}"; do
    [ -f "$HERE/test_$s.py" ] || give_up "no suite named $s"
    files+=("$HERE/test_$s.py")
done

# -- packages -------------------------------------------------------------------
# containerd brings ctr, containerd-shim-runc-v2 (and runc, its dependency);
# podman brings conmon, golang-github-containers-common (/etc/containers and
# /usr/share/containers config) and a network stack (containernetworking-
# plugins), none of which the suites use: --network none.  Not needed:
# catatonit (no --init), slirp4netns and uidmap (root, no network),
# fuse-overlayfs (the vfs driver with a --rootfs needs no layers).
# The cri suite adds the CNI plugins (bridge, host-local, loopback) and gcc
# (it builds its pause program statically); crictl is not packaged (see
# README.md).  docker.io brings dockerd, the client (/usr/bin/docker),
# docker-init (tini) and docker-proxy; docker-compose is the Python 1.29 one.
PACKAGES=(containerd podman conmon golang-github-containers-common busybox-static python3-pytest
          containernetworking-plugins gcc libc6-dev docker.io docker-compose)
missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    [ -n "${SKIP_APT:-}" ] && give_up "missing packages (SKIP_APT is set): ${missing[*]}"
    echo "# installing: ${missing[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
        # the package lists may be older than the mirror
        { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
          DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } >/dev/null 2>&1 ||
            give_up "apt-get install ${missing[*]} failed"
    fi
fi

berth=$(readlink -f "$berth" 2>/dev/null || echo "$berth")
[ -x "$berth" ] || give_up "no runtime at $berth (build berth first: ninja -C build)"

# -- run --------------------------------------------------------------------------

mkdir -p "$out" || give_up "cannot create $out"
run_id=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
workdir=$(mktemp -d "/tmp/berth-it.XXXXXX") || give_up "mktemp failed"
chmod 755 "$workdir"
log="$out/pytest.log" junit="$out/junit.xml"
rm -f "$log" "$junit"

# Directories the engines make outside their own state, whatever they are told:
# containerd's shims put their sockets in /run/containerd/s and ctr its FIFOs
# in /run/containerd/fifo; Podman's lock is /dev/shm/libpod_lock.
host_paths=(/run/containerd/s /run/containerd/fifo /run/containerd /dev/shm/libpod_lock)
existed=()
for p in "${host_paths[@]}"; do [ -e "$p" ] && existed+=("$p"); done
shim_sockets_before=$(ls /run/containerd/s 2>/dev/null)
libpod_parent_before=$(ls -d /sys/fs/cgroup/*/libpod_parent 2>/dev/null)

args=(-p no:cacheprovider -q -rfE --junitxml="$junit" -o junit_family=xunit1)
[ -n "$filter" ] && args+=(-k "$filter")

echo "# runtime: $berth"
echo "# engines' directory: $workdir; pytest log: $log"
t0=$(date +%s)
(cd "$HERE" && BERTH="$berth" BERTH_IT_WORKDIR="$workdir" BERTH_IT_RUN="$run_id" BERTH_IT_OUT="$out" PYTHONDONTWRITEBYTECODE=1 \
    timeout --kill-after=30 "${INTEGRATION_TIMEOUT:-900}" "$PY" -m pytest "${args[@]}" "${files[@]}") >"$log" 2>&1
rc=$?
echo "# pytest exited with $rc after $(($(date +%s) - t0))s"

# -- cleanup ------------------------------------------------------------------------
# The suites stop their engines and remove what they find; this is the safety
# net for a run that was killed (timeout): everything of this run carries
# BERTH_IT_RUN=<run_id> in its environment, names the work directory in its
# command line, or lives in a cgroup named after the run or its containers.

kill_marked() {
    local dir pid
    for dir in /proc/[0-9]*; do
        pid=${dir#/proc/}
        [ "$pid" = "$$" ] && continue
        # conmon does not inherit podman's environment: its command line
        # names the work directory
        if tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qx "BERTH_IT_RUN=$run_id" ||
           tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "$workdir/"; then
            kill -KILL "$pid" 2>/dev/null && found=1
        fi
    done
}
podman_ids=$({ cat "$workdir"/podman/cids/* 2>/dev/null
                ls "$workdir/podman/root/vfs-containers" "$workdir/podman/runroot/vfs-containers" 2>/dev/null
              } | grep -xE '[0-9a-f]{64}' | sort -u)
docker_ids=$(ls "$workdir/docker/data/containers" 2>/dev/null | grep -xE '[0-9a-f]{64}' | sort -u)
cgroup_dirs() {
    local id
    for h in /sys/fs/cgroup/*; do
        ls -d "$h/berth-it-$run_id"* 2>/dev/null
        for id in $podman_ids; do ls -d "$h/libpod_parent/libpod-$id" 2>/dev/null; done
        for id in $docker_ids; do ls -d "$h/docker/$id" 2>/dev/null; done
    done
}
# until none is left: what conmon starts meanwhile (podman's exit command),
# a shim on its way out (it removes its socket)
for _ in $(seq 20); do
    found=""
    kill_marked
    [ -z "$found" ] && break
    sleep 0.25
done
for d in $(cgroup_dirs); do
    [ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null
    # shellcheck disable=SC2046  # pids: one word each
    kill -KILL $(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null) 2>/dev/null
done
sleep 0.2
for d in $(cgroup_dirs); do find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null; done
# Podman's own parents, if this run made them (rmdir: only when empty)
for d in /sys/fs/cgroup/*/libpod_parent; do
    [ -d "$d" ] || continue
    grep -qxF "$d" <<<"$libpod_parent_before" && continue
    rmdir "$d/conmon" "$d" 2>/dev/null
done
for id in $podman_ids; do
    if [ -d "/run/berth/$id" ]; then
        "$berth" --root /run/berth delete --force "$id" >/dev/null 2>&1
        rm -rf --one-file-system "/run/berth/$id"
    fi
done
# mounts under the work directory, deepest first, then the directory itself
awk -v w="$workdir" '$5 == w || index($5, w "/") == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null; done
if [ -z "$keep" ]; then
    rm -rf --one-file-system "$workdir"
else
    echo "# kept $workdir"
fi
# the CRI suite's CNI bridge (bcri<run>), if its own cleanup did not run
ip link delete "bcri$run_id" 2>/dev/null
# a shim killed by the safety net leaves its socket
for f in /run/containerd/s/*; do
    [ -e "$f" ] || continue
    grep -qxF "${f##*/}" <<<"$shim_sockets_before" || rm -f "$f"
done
for p in "${host_paths[@]}"; do
    case " ${existed[*]} " in *" $p "*) continue ;; esac
    if [ -d "$p" ]; then rmdir "$p" 2>/dev/null; elif [ -e "$p" ] && ! pgrep -x podman >/dev/null && ! pgrep -x conmon >/dev/null; then rm -f "$p"; fi
done

# -- report -------------------------------------------------------------------------

if [ ! -s "$junit" ]; then
    sed 's/^/# /' "$log" | tail -n 40
    give_up "pytest produced no report (exit $rc; see $log)"
fi
"$PY" - "$junit" <<'EOF'
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
cases = [c for s in suites for c in s.iter("testcase")]
print(f"1..{len(cases)}")
passed = failed = 0
for n, case in enumerate(cases, 1):
    suite = case.get("classname", "").rsplit(".", 1)[-1].removeprefix("test_")
    name = f"{suite}: {case.get('name')}"
    bad = [e for e in case if e.tag in ("failure", "error")]
    skipped = [e for e in case if e.tag == "skipped"]
    if bad:
        failed += 1
        print(f"not ok {n} - {name}")
        for e in bad:
            text = (e.text or e.get("message") or "").strip().splitlines()
            # the assertion and its explanation: the "E   " lines pytest marks
            lines = [l[1:].strip() for l in text if l.startswith("E ")] or text[-15:]
            lines = [l for l in lines if not l.startswith("+  where")]
            if e.tag == "error":
                lines.insert(0, f"(error: {e.get('message', '')})")
            for l in lines[:25]:
                print(f"#   {l}")
    elif skipped:
        print(f"ok {n} - {name} # SKIP {skipped[0].get('message', '')}")
    else:
        passed += 1
        print(f"ok {n} - {name}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
EOF
