#!/usr/bin/env bash
# The cgroup v2 VM suite in one command: finds (or fetches) Debian's kernel,
# builds the initramfs around a static berth, boots it in qemu and prints the
# results; the last line is "vm: N passed, N failed, N skipped".
#
# Usage: tests/vm/run.sh [--berth PATH] [--filter PATTERN] [--out DIR] [--with-libs]
#   --berth   the static binary to test (default: build/src/berth)
#   --with-libs  accept a dynamic binary and copy its libraries into the VM
#             (to check the suite itself against another runtime)
#   --filter  run only the test functions whose name contains PATTERN
#   --out     where the initramfs and the VM's logs go (default: a new
#             directory under /tmp)
# Environment: VM_TIMEOUT (seconds, default 900), VM_KERNEL + VM_MODULES (use
# this kernel and module tree), BERTH_VM_CACHE (where a fetched kernel is
# unpacked, default /var/cache/berth-vm).
#
# Needs qemu-system-x86 and busybox-static; tests/run-all.sh installs them.

set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

berth="$REPO/build/src/berth" filter="" out=""
build_args=()
while [ $# -gt 0 ]; do
    case "$1" in
    --berth) berth=$2; shift 2 ;;
    --filter) filter=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --with-libs) build_args+=(--with-libs); shift ;;
    -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done

out=${out:-$(mktemp -d /tmp/berth-vm.XXXXXX)}
mkdir -p "$out"

if ! found=$("$HERE/fetch-kernel.sh"); then
    echo "run.sh: no kernel for the VM"
    echo "vm: 0 passed, 1 failed, 0 skipped"
    exit 1
fi
kernel=$(printf '%s\n' "$found" | sed -n 's/^KERNEL=//p')
modules=$(printf '%s\n' "$found" | sed -n 's/^MODULES=//p')
echo "==> kernel $kernel"

t0=$(date +%s)
if ! "$HERE/build-initramfs.sh" --berth "$berth" --modules "$modules" --output "$out/initramfs.cpio.gz" "${build_args[@]}"; then
    echo "run.sh: building the initramfs failed"
    echo "vm: 0 passed, 1 failed, 0 skipped"
    exit 1
fi
echo "==> initramfs built in $(($(date +%s) - t0))s"

args=(--kernel "$kernel" --initrd "$out/initramfs.cpio.gz" --out "$out")
[ -n "$filter" ] && args+=(--filter "$filter")
exec "$HERE/run-vm.sh" "${args[@]}"
