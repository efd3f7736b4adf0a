#!/bin/sh
# Stage 2 of the test VM, run by busybox init (/etc/inittab sysinit) on the
# tmpfs root: mounts the API filesystems and a pure cgroup v2 hierarchy with
# every controller enabled, loads the modules, runs the suite with its output
# on the second serial port (/dev/ttyS1, which run-vm.sh reads; the console on
# ttyS0 gets a copy and the kernel's messages), then powers off.
export PATH=/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t mqueue mqueue /dev/mqueue
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
hostname berth-vm
# criu probes TCP repair over loopback before any dump or restore.
ip link set lo up || echo "berth-vm: cannot bring up the loopback interface"
echo "berth-vm: kernel $(uname -r), $(nproc) CPUs, $(sed -n 's/^MemTotal: *//p' /proc/meminfo) memory"

while read -r module; do
    [ -n "$module" ] || continue
    insmod "/vmtests/modules/$module" || echo "berth-vm: insmod $module failed"
done </vmtests/modules/order

read -r uptime _ </proc/uptime
echo "berth-vm: booted in ${uptime}s; starting the suite"

for controller in $(cat /sys/fs/cgroup/cgroup.controllers); do
    echo "+$controller" >/sys/fs/cgroup/cgroup.subtree_control ||
        echo "berth-vm: cannot enable the $controller controller"
done

# Options from the kernel command line: berthvm.filter=PATTERN runs only the
# tests whose function name contains PATTERN.
for option in $(cat /proc/cmdline); do
    case "$option" in
    berthvm.filter=*) export VM_FILTER="${option#berthvm.filter=}" ;;
    esac
done

results=/dev/ttyS1
if [ -c "$results" ]; then
    stty -F "$results" raw -echo 2>/dev/null
else
    echo "berth-vm: no $results; the results go to the console only"
    results=/dev/null
fi
sh /vmtests/run-tests.sh 2>&1 | tee "$results"
sync
poweroff -f
# poweroff failed: with -no-reboot, a reboot ends qemu too
reboot -f
