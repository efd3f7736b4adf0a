#!/usr/bin/env bash
# Finds Debian's kernel for the test VM and prints two lines:
#   KERNEL=/path/to/vmlinuz-VERSION
#   MODULES=/path/to/lib/modules/VERSION
#
# In order of preference:
#   1. $VM_KERNEL and $VM_MODULES, when both are set;
#   2. an installed linux-image-*-amd64 (/boot/vmlinuz-V with /lib/modules/V);
#   3. the package linux-image-amd64 depends on, fetched with `apt-get download`
#      and unpacked with `dpkg-deb -x` into a cache directory ($BERTH_VM_CACHE,
#      default /var/cache/berth-vm): nothing is installed, /boot and the host's
#      boot loader are left alone, and the next run reuses the unpacked tree.

set -euo pipefail

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'fetch-kernel: %s\n' "$*" >&2; exit 1; }

emit() {
    [ -f "$1" ] || die "no kernel at $1"
    [ -d "$2/kernel" ] || die "no modules (kernel/) in $2"
    printf 'KERNEL=%s\nMODULES=%s\n' "$1" "$2"
    exit 0
}

if [ -n "${VM_KERNEL:-}" ] && [ -n "${VM_MODULES:-}" ]; then
    emit "$VM_KERNEL" "$VM_MODULES"
fi

# An installed Debian kernel (newest first).
for k in $(ls -1 /boot/vmlinuz-*-amd64 2>/dev/null | sort -rV); do
    ver=${k#/boot/vmlinuz-}
    if [ -r "$k" ] && [ -d "/lib/modules/$ver/kernel" ]; then
        emit "$k" "/lib/modules/$ver"
    fi
done

# The package linux-image-amd64 points at, unpacked into the cache.
command -v apt-get >/dev/null || die "no installed kernel and no apt-get to fetch one"
if [ "$(id -u)" -eq 0 ]; then
    cache=${BERTH_VM_CACHE:-/var/cache/berth-vm}
else
    cache=${BERTH_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/berth-vm}
fi

find_in() {
    local k ver
    k=$(ls -1 "$1"/boot/vmlinuz-* 2>/dev/null | awk 'NR == 1')
    [ -n "$k" ] || return 1
    ver=${k##*/vmlinuz-}
    [ -d "$1/lib/modules/$ver/kernel" ] || return 1
    emit "$k" "$1/lib/modules/$ver"
}

# Sets pkg and version: the image linux-image-amd64 depends on, and its
# candidate version.
resolve() {
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
    version=""
    [ -n "$pkg" ] || return 1
    version=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '$1 == "Version:" { print $2; exit }')
    [ -n "$version" ]
}

can_update() {
    [ "$(id -u)" -eq 0 ] && [ -z "${SKIP_APT:-}" ]
}

apt_update() {
    say "apt-get update ($1)"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true
}

download() {
    local sandbox=()
    # apt's sandbox user could not write to a root-only directory
    [ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
    (cd "$1" && apt-get download -q "${sandbox[@]}" "$pkg=$version" >&2)
}

if ! resolve && can_update; then
    apt_update "no package list knows linux-image-amd64 yet"
    resolve || true
fi
[ -n "$pkg" ] && [ -n "$version" ] || die "apt-cache does not know linux-image-amd64 (run apt-get update)"
find_in "$cache/${pkg}_${version}" || true

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
say "fetching $pkg $version"
if ! download "$tmp"; then
    # the lists may name a version the mirror no longer has
    can_update || die "apt-get download $pkg=$version failed"
    apt_update "the download failed"
    resolve || die "apt-cache does not know linux-image-amd64"
    find_in "$cache/${pkg}_${version}" || true
    say "fetching $pkg $version"
    download "$tmp" || die "apt-get download $pkg=$version failed"
fi
dir="$cache/${pkg}_${version}"
mkdir "$tmp/root"
dpkg-deb -x "$tmp"/*.deb "$tmp/root" || die "dpkg-deb -x failed"
rm -rf "$dir"
mv "$tmp/root" "$dir"
say "unpacked into $dir"
find_in "$dir" || die "unpacked $pkg but found no kernel in it"
