#!/usr/bin/env bash
# Builds the test VM's initramfs (a gzipped newc cpio archive):
#
#   /init                 stage 1 (init.sh): copies itself to a tmpfs and
#                         switch_roots onto it, so that containers can pivot_root
#   /bin/*                busybox (static) and one symlink per applet
#   /etc/inittab          busybox init runs /vmtests/vm-init.sh
#   /usr/sbin/berth       the (static) binary under test
#   /vmtests/*.sh         the in-VM runner and the test files
#   /vmtests/modules/     kernel modules the tests need (decompressed), with
#                         their dependencies, and `order`, the insmod order
#   /vmtests/rootfs/      the busybox rootfs the test containers share, with
#                         bin/ia32-getppid (ia32-getppid.c, built static here
#                         with gcc) for the seccomp test of the 32-bit entry
#   /usr/sbin/criu        the host's criu with its libraries, and GNU tar as
#                         /bin/tar (criu archives tmpfs mounts with its
#                         options), for the checkpoint/restore tests; left out
#                         when the host has no criu (those tests then fail)
#
# Usage: build-initramfs.sh --berth PATH --modules /lib/modules/VERSION
#                           --output FILE [--busybox PATH] [--module NAME]...
#                           [--with-libs]
# --with-libs accepts a dynamically linked binary and copies the shared
# libraries it needs (ldd) into the VM: for checking the suite itself against
# another runtime (e.g. --berth /usr/sbin/runc --with-libs).
# Needs no root: the archive's files are owned by root through cpio -R 0:0,
# and the device nodes come from devtmpfs at boot.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { printf 'build-initramfs: %s\n' "$*" >&2; exit 1; }

berth="" moddir="" output="" busybox="" with_libs=""
# loop: /dev/loop0, the block device the device-program tests try to open.
# The socket diag modules: criu finds a task's sockets through them; nf_tables:
# criu's kernel probe asks libnftables whether set concatenations work
# (crc32c_generic: the soft dependency of its libcrc32c, which .modinfo's
# depends= does not list).
modules=(loop unix_diag inet_diag tcp_diag udp_diag netlink_diag crc32c_generic nf_tables)
while [ $# -gt 0 ]; do
    case "$1" in
    --berth) berth=$2; shift 2 ;;
    --modules) moddir=$2; shift 2 ;;
    --output) output=$2; shift 2 ;;
    --busybox) busybox=$2; shift 2 ;;
    --module) modules+=("$2"); shift 2 ;;
    --with-libs) with_libs=1; shift ;;
    -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
    esac
done
[ -n "$berth" ] && [ -n "$moddir" ] && [ -n "$output" ] || die "usage: $0 --berth PATH --modules DIR --output FILE"
busybox=${busybox:-$(command -v busybox || echo /bin/busybox)}
[ -x "$berth" ] || die "no berth binary at $berth"
[ -x "$busybox" ] || die "no busybox at $busybox (apt-get install busybox-static)"
[ -d "$moddir/kernel" ] || die "no kernel modules in $moddir"

is_static() {
    ! LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'program interpreter'
}
is_static "$berth" || [ -n "$with_libs" ] ||
    die "$berth is dynamically linked: the VM has no libraries (build with -Dstatic=true)"
is_static "$busybox" || die "$busybox is dynamically linked (apt-get install busybox-static)"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# busybox: the binary and a link per applet, in DIR/bin
install_busybox() {
    mkdir -p "$1/bin"
    cp "$busybox" "$1/bin/busybox"
    chmod 755 "$1/bin/busybox"
    local applet
    for applet in $("$busybox" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$1/bin/$applet"
    done
}

# -- the VM's own root ----------------------------------------------------------
install_busybox "$stage"
mkdir -p "$stage"/{dev,proc,sys,tmp,run,root,etc,usr/sbin,vmtests/modules}
ln -s bin "$stage/sbin"
chmod 1777 "$stage/tmp"
cp "$berth" "$stage/usr/sbin/berth"
chmod 755 "$stage/usr/sbin/berth"
# copy_libs BINARY: the shared libraries ldd lists for it, at the same paths.
copy_libs() {
    local lib
    for lib in $(ldd "$1" | grep -o '/[^ ]*'); do
        mkdir -p "$stage$(dirname "$lib")"
        cp -L "$lib" "$stage$lib"
    done
}
if [ -n "$with_libs" ] && ! is_static "$berth"; then
    copy_libs "$berth"
fi
criu=$(command -v criu || echo /usr/sbin/criu)
if [ -x "$criu" ]; then
    install -m 755 "$criu" "$stage/usr/sbin/criu"
    copy_libs "$criu"
    tar=$(command -v tar)
    rm -f "$stage/bin/tar"
    install -m 755 "$tar" "$stage/bin/tar"
    copy_libs "$tar"
fi
install -m 755 "$HERE/init.sh" "$stage/init"
install -m 755 "$HERE/vm-init.sh" "$HERE/run-tests.sh" "$stage/vmtests/"
install -m 644 "$HERE/lib.sh" "$HERE/vm-tests.sh" "$HERE/cgroup-tests.sh" \
    "$HERE/security-tests.sh" "$HERE/criu-tests.sh" "$stage/vmtests/"
printf '::sysinit:/vmtests/vm-init.sh\n' >"$stage/etc/inittab"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$stage/etc/passwd"
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$stage/etc/group"

# -- the containers' rootfs -----------------------------------------------------
rootfs="$stage/vmtests/rootfs"
install_busybox "$rootfs"
mkdir -p "$rootfs"/{dev,proc,sys,tmp,run,root,etc}
chmod 1777 "$rootfs/tmp"
cp "$stage/etc/passwd" "$stage/etc/group" "$rootfs/etc/"
cc=${CC:-gcc}
command -v "$cc" >/dev/null || die "no C compiler ($cc) for ia32-getppid.c (apt-get install gcc libc6-dev)"
"$cc" -static -O2 -o "$rootfs/bin/ia32-getppid" "$HERE/ia32-getppid.c" ||
    die "cannot build ia32-getppid.c"

# -- kernel modules ---------------------------------------------------------------
# Each module's dependencies come from the depends= string in its .modinfo (so
# no modules.dep is needed: Debian's package leaves it to depmod at install);
# built-in ones (modules.builtin) are skipped.  Compressed modules are
# decompressed here: busybox insmod may not read them.
declare -A seen=()
order=()

module_file() {
    local n f
    for n in "$1" "${1//_/-}" "${1//-/_}"; do
        f=$(find "$moddir/kernel" \( -name "$n.ko" -o -name "$n.ko.xz" -o -name "$n.ko.zst" -o -name "$n.ko.gz" \) -print -quit)
        if [ -n "$f" ]; then
            echo "$f"
            return 0
        fi
    done
}

is_builtin() {
    [ -f "$moddir/modules.builtin" ] || return 1
    local n1=${1//-/_}
    sed 's|.*/||; s|\.ko$||; s|-|_|g' "$moddir/modules.builtin" | grep -qx "$n1"
}

add_module() {
    local name=${1//-/_}
    [ -z "${seen[$name]:-}" ] || return 0
    seen[$name]=1
    if is_builtin "$name"; then
        return 0
    fi
    local src
    src=$(module_file "$name")
    [ -n "$src" ] || die "module $name not found under $moddir/kernel"
    local dst="$stage/vmtests/modules/$name.ko"
    case "$src" in
    *.xz) xz -dc "$src" >"$dst" ;;
    *.zst) zstd -qdc "$src" >"$dst" ;;
    *.gz) gzip -dc "$src" >"$dst" ;;
    *) cp "$src" "$dst" ;;
    esac
    local deps dep
    deps=$(tr '\0' '\n' <"$dst" | sed -n 's/^depends=//p' | sed -n 1p)
    for dep in ${deps//,/ }; do
        add_module "$dep"
    done
    order+=("$name.ko")
}

for m in "${modules[@]}"; do
    add_module "$m"
done
printf '%s\n' "${order[@]}" >"$stage/vmtests/modules/order"

# -- the archive -------------------------------------------------------------------
mkdir -p "$(dirname "$output")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) |
    gzip -6 >"$output.tmp"
mv "$output.tmp" "$output"
printf 'initramfs %s: %s bytes, modules: %s\n' "$output" "$(stat -c %s "$output")" "${order[*]:-none}"
