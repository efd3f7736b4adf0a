#!/bin/sh
# Stage 1 of the test VM (the initramfs's /init).
#
# pivot_root cannot move away from the initial rootfs, so containers could
# not pivot_root inside a VM that runs from it.  This copies the initramfs
# into a tmpfs and switch_roots onto it; busybox init (reaping orphans, as a
# real PID 1 must) then runs /vmtests/vm-init.sh from /etc/inittab.
export PATH=/bin

mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

mkdir -p /newroot
mount -t tmpfs -o mode=0755 tmpfs /newroot
for entry in /*; do
    case "$entry" in
    /newroot | /dev | /proc | /sys | /init) ;;
    *) cp -a "$entry" /newroot/ ;;
    esac
done
mkdir -p /newroot/dev /newroot/proc /newroot/sys
mount --move /dev /newroot/dev
exec switch_root -c /dev/console /newroot /bin/init
