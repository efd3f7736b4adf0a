#!/bin/sh
# One-command benchmark: berth vs crun vs runc (see bench/README.md).
# Usage (as root): bench/run.sh [--quick] [-n N] [--berth PATH]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")

if [ "$(id -u)" != 0 ]; then
    echo "bench/run.sh: must run as root" >&2
    exit 1
fi

# Tools: the two peer runtimes, GNU time (peak RSS), busybox-static (rootfs),
# util-linux (unshare), binutils (strip), the build tools for berth.
missing=""
command -v runc >/dev/null 2>&1 || missing="$missing runc"
command -v crun >/dev/null 2>&1 || missing="$missing crun"
[ -x /usr/bin/time ] || missing="$missing time"
[ -x /bin/busybox ] || missing="$missing busybox-static"
command -v strip >/dev/null 2>&1 || missing="$missing binutils"
command -v meson >/dev/null 2>&1 || missing="$missing meson ninja-build g++ pkg-config libyajl-dev libseccomp-dev libcap-ng-dev libselinux1-dev"
if [ -n "$missing" ]; then
    echo "==> apt-get install$missing"
    apt-get update -q
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
fi

berth=""
prev=""
for a in "$@"; do
    [ "$prev" = "--berth" ] && berth=$a
    prev=$a
done
if [ -z "$berth" ]; then
    echo "==> building berth in $repo/build-bench"
    if [ ! -f "$repo/build-bench/build.ninja" ]; then
        (cd "$repo" && meson setup build-bench >/dev/null)
    fi
    meson compile -C "$repo/build-bench" >/dev/null
    set -- --berth "$repo/build-bench/src/berth" "$@"
fi

# crun refuses the host's hybrid cgroups: run all three runtimes in a private
# mount namespace with cgroup2 mounted at /sys/fs/cgroup. The namespace (and
# that mount) go away when the python process exits.
echo "==> entering a private mount namespace with cgroup2 at /sys/fs/cgroup"
status=0
unshare --mount -- /bin/sh -c '
    set -e
    mount --make-rprivate /
    mount -t cgroup2 none /sys/fs/cgroup
    exec /usr/bin/python3 "$0" "$@"
' "$here/bench.py" "$@" || status=$?

# Host-side leak check (outside the namespace): bench.py names every container
# "bb<pid>-..."; nothing of it may remain in the real cgroup2 hierarchy, the
# mount table or the process list.
leaks=0
if [ -d /sys/fs/cgroup/unified ]; then
    if find /sys/fs/cgroup/unified -maxdepth 3 -type d -name 'bb[0-9]*-*' | grep -q .; then
        echo "bench/run.sh: LEAK: cgroups left in /sys/fs/cgroup/unified:" >&2
        find /sys/fs/cgroup/unified -maxdepth 3 -type d -name 'bb[0-9]*-*' >&2
        leaks=1
    fi
fi
if grep -q 'berth-bench\.' /proc/self/mountinfo; then
    echo "bench/run.sh: LEAK: mounts left:" >&2
    grep 'berth-bench\.' /proc/self/mountinfo >&2
    leaks=1
fi
if ls -d /tmp/berth-bench.* >/dev/null 2>&1; then
    echo "bench/run.sh: LEAK: work directories left: $(ls -d /tmp/berth-bench.*)" >&2
    leaks=1
fi
[ $leaks = 0 ] && echo "==> host check: no cgroup, mount or work directory left behind"
[ $status = 0 ] && [ $leaks = 0 ]
