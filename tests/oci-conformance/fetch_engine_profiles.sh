#!/usr/bin/env bash
# Fetch the default seccomp profiles of Podman and Docker for test_seccomp.py.
#
# They are not kept in this repository: they come from Debian's packages
# golang-github-containers-common (Podman's containers/common) and
# golang-github-docker-docker-dev (Docker's source), fetched with
# `apt-get download` (nothing is installed) and unpacked with dpkg-deb.
#
# Result, in the cache directory:
#   podman-seccomp.json   usr/share/containers/seccomp.json
#   docker-seccomp.json   .../github.com/docker/docker/profiles/seccomp/default.json
#
# The cache directory is BERTH_PROFILE_CACHE (default /var/cache/berth-test/profiles);
# profiles already there are reused.  Runs as root (apt-get download writes as
# the _apt user, so the download directory is made world-readable and writable
# by _apt).  Prints the cache directory on success; exits non-zero, with a
# message on stderr, on failure.

set -euo pipefail

CACHE=${BERTH_PROFILE_CACHE:-/var/cache/berth-test/profiles}
PODMAN_PKG=golang-github-containers-common
DOCKER_PKG=golang-github-docker-docker-dev
PODMAN_PATH=usr/share/containers/seccomp.json
DOCKER_PATH=usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json

die() { echo "fetch_engine_profiles: $*" >&2; exit 1; }

if [ -s "$CACHE/podman-seccomp.json" ] && [ -s "$CACHE/docker-seccomp.json" ]; then
    echo "$CACHE"
    exit 0
fi

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get download, and the cache is $CACHE)"
command -v apt-get >/dev/null || die "apt-get not found"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found"

mkdir -p "$CACHE"
work=$(mktemp -d "$CACHE/.fetch-XXXXXX")
trap 'rm -rf "$work"' EXIT
# apt-get download drops to the _apt user for the transfer: let it write here.
chmod 0755 "$work"
if id _apt >/dev/null 2>&1; then
    chown _apt "$work"
fi

download() {
    (cd "$work" && apt-get download -q "$@") >"$work/apt.log" 2>&1
}

# The package lists may be missing (a fresh machine) or older than the mirror.
if ! download "$PODMAN_PKG" "$DOCKER_PKG"; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >"$work/update.log" 2>&1 ||
        { cat "$work/update.log" >&2; die "apt-get update failed"; }
    download "$PODMAN_PKG" "$DOCKER_PKG" ||
        { cat "$work/apt.log" >&2; die "apt-get download $PODMAN_PKG $DOCKER_PKG failed"; }
fi

extract() { # package, path in the package, name in the cache
    local deb
    deb=$(find "$work" -maxdepth 1 -name "${1}_*.deb" | head -n 1)
    [ -n "$deb" ] || die "no .deb for $1 after apt-get download"
    mkdir -p "$work/x-$1"
    dpkg-deb -x "$deb" "$work/x-$1"
    [ -s "$work/x-$1/$2" ] || die "$1 has no $2"
    # the file may be a symlink inside the package: copy what it points to
    cp -L "$work/x-$1/$2" "$work/$3"
    mv -f "$work/$3" "$CACHE/$3"
}

extract "$PODMAN_PKG" "$PODMAN_PATH" podman-seccomp.json
extract "$DOCKER_PKG" "$DOCKER_PATH" docker-seccomp.json
echo "$CACHE"
