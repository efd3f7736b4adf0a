#!/usr/bin/env bash
# Boots the test VM and reports the suite's results.
#
# Usage: run-vm.sh --kernel VMLINUZ --initrd INITRAMFS [--timeout SECONDS]
#                  [--out DIR] [--filter PATTERN]
#
# qemu emulates the machine (TCG: no KVM), the kernel's console goes to the
# first serial port (DIR/console.log) and the runner's TAP output to the second
# (DIR/results.tap), which is shown here as it arrives.  The 9p/virtio share
# would need six modules in the initramfs; a serial port needs none.
#
# The last line is "vm: N passed, N failed, N skipped".  Tests the VM never reported
# (it crashed or hit the timeout, default 900 s) count as failed, as does a VM
# that did not boot.  Exit status 0 only when every test passed.

set -uo pipefail

kernel="" initrd="" out="" filter=""
timeout_s=${VM_TIMEOUT:-900}
while [ $# -gt 0 ]; do
    case "$1" in
    --kernel) kernel=$2; shift 2 ;;
    --initrd) initrd=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --filter) filter=$2; shift 2 ;;
    -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "run-vm: unknown argument: $1" >&2; exit 2 ;;
    esac
done

summary() {
    echo "vm: $1 passed, $2 failed, ${3:-0} skipped"
    [ "$2" -eq 0 ] && [ $(($1 + ${3:-0})) -gt 0 ]
    exit $?
}

if [ -z "$kernel" ] || [ -z "$initrd" ]; then
    echo "usage: $0 --kernel VMLINUZ --initrd INITRAMFS [--timeout S] [--out DIR] [--filter PATTERN]" >&2
    exit 2
fi
[ -r "$kernel" ] || { echo "run-vm: cannot read $kernel" >&2; summary 0 1; }
[ -r "$initrd" ] || { echo "run-vm: cannot read $initrd" >&2; summary 0 1; }
command -v qemu-system-x86_64 >/dev/null ||
    { echo "run-vm: qemu-system-x86_64 not found (apt-get install qemu-system-x86)" >&2; summary 0 1; }

out=${out:-$(mktemp -d /tmp/berth-vm.XXXXXX)}
mkdir -p "$out"
console="$out/console.log"
results="$out/results.tap"
: >"$console"
: >"$results"

append="console=ttyS0 quiet panic=-1 oops=panic"
[ -n "$filter" ] && append="$append berthvm.filter=$filter"

echo "==> booting $kernel in qemu (TCG), timeout ${timeout_s}s; logs in $out"
start=$(date +%s)
timeout -k 10 "$timeout_s" qemu-system-x86_64 \
    -machine accel=tcg -cpu max -m 1024 -smp 2 \
    -nographic -monitor none -no-reboot -nic none \
    -serial "file:$console" -serial "file:$results" \
    -kernel "$kernel" -initrd "$initrd" -append "$append" \
    </dev/null >"$out/qemu.log" 2>&1 &
qemu=$!
tail -n +1 -f --pid="$qemu" "$results" 2>/dev/null | tr -d '\r'
wait "$qemu"
rc=$?
elapsed=$(($(date +%s) - start))

tap=$(tr -d '\r' <"$results")
plan=$(printf '%s\n' "$tap" | sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' | head -n 1)
ok=$(printf '%s\n' "$tap" | grep -c '^ok ')
notok=$(printf '%s\n' "$tap" | grep -c '^not ok ')
skipped=$(printf '%s\n' "$tap" | grep -c '^ok .* # SKIP')
done_marker=$(printf '%s\n' "$tap" | grep -c '^# berth-vm: done$')
own=$(printf '%s\n' "$tap" | grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' | tail -n 1)

echo "==> qemu exited $rc after ${elapsed}s"
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "run-vm: the VM did not finish within ${timeout_s}s"
fi
if [ -z "$plan" ]; then
    echo "run-vm: the VM never started the suite; the end of its console:"
    tail -n 40 "$console" | tr -d '\r' | sed 's/^/  | /'
    [ -s "$out/qemu.log" ] && sed 's/^/  qemu: /' "$out/qemu.log"
    summary 0 1
fi
failed=$notok
missing=$((plan - ok - notok))
if [ "$done_marker" -eq 0 ] || [ "$missing" -gt 0 ]; then
    echo "run-vm: the suite stopped early: $missing of $plan tests not reported; the end of the console:"
    tail -n 30 "$console" | tr -d '\r' | sed 's/^/  | /'
    [ "$missing" -gt 0 ] && failed=$((failed + missing))
    [ "$missing" -le 0 ] && failed=$((failed + 1))
fi
if [ -n "$own" ] && [ "$own" != "$((ok - skipped)) passed, $notok failed, $skipped skipped" ]; then
    echo "run-vm: the runner said '$own' but reported $ok ok ($skipped of them skipped) and $notok not ok"
fi
summary "$((ok - skipped))" "$failed" "$skipped"
