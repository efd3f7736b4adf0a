#!/bin/sh
# The in-VM test runner (POSIX sh; busybox sh in the VM).
#
#   run-tests.sh [FILE...]          run the tests registered by FILE...
#                                   (default: vm-tests.sh cgroup-tests.sh security-tests.sh
#                                   criu-tests.sh)
#   run-tests.sh --one FILE FUNC    run one test function (used internally)
#
# Prints TAP: "1..N", then "ok N - name", "ok N - name # SKIP reason" or
# "not ok N - name" per test with the test's output as "# ..." diagnostics when
# it fails, a "# FILE: N passed, N failed" line per file, the summary
# "N passed, N failed, N skipped" and the end marker "# berth-vm: done".  Each
# test runs in its own process under a timeout
# ($VM_TEST_TIMEOUT seconds, default 120) with a fresh berth --root and work
# directory; afterwards whatever it left (containers, processes, cgroups,
# mounts) is removed so that the next test starts clean, and reported.
#
# Environment: BERTH (default /usr/sbin/berth), ROOTFS (default
# /vmtests/rootfs), VM_FILTER (run only functions whose name contains it).

HERE=$(cd "$(dirname "$0")" && pwd)
export BERTH=${BERTH:-/usr/sbin/berth}
export ROOTFS=${ROOTFS:-$HERE/rootfs}

if [ "${1:-}" = "--one" ]; then
    . "$HERE/lib.sh"
    . "$HERE/$2"
    set +e
    "$3"
    exit $?
fi

. "$HERE/lib.sh"
[ $# -gt 0 ] || set -- vm-tests.sh cgroup-tests.sh security-tests.sh criu-tests.sh

# Register every test, remembering its file.
for file in "$@"; do
    first=$((N_TESTS + 1))
    . "$HERE/$file"
    i=$first
    while [ "$i" -le "$N_TESTS" ]; do
        eval "T_FILE_$i=\$file"
        i=$((i + 1))
    done
done

# The selection (VM_FILTER).
selected=""
count=0
i=1
while [ "$i" -le "$N_TESTS" ]; do
    eval "func=\$T_FUNC_$i"
    case "$func" in
    *"${VM_FILTER:-}"*) selected="$selected $i"; count=$((count + 1)) ;;
    esac
    i=$((i + 1))
done

STATE_BASE=/run/berth-vmtests
WORK_BASE=/tmp/berth-vmtests
mkdir -p "$STATE_BASE" "$WORK_BASE"

# What exists before any test: processes and cgroups to keep.
cg_snapshot "$WORK_BASE/cgroups.baseline"
BASELINE_PIDS=" $(cd /proc && echo [0-9]*) "

uptime_cs() {
    read -r _up _ </proc/uptime
    _s=${_up%.*}
    _f=${_up#*.}
    echo $((_s * 100 + ${_f#0}))
}

# Removes what a test left and prints a line per thing found.
cleanup_after() {
    _root=$1
    _work=$2
    if [ -d "$_root" ]; then
        for _c in "$_root"/*; do
            [ -e "$_c" ] || continue
            _id=${_c##*/}
            # berth's seccomp cache, not a container (removed with the root below)
            [ "$_id" = "@cache" ] && continue
            echo "cleanup: container $_id was left; deleting it"
            timeout -s KILL 20 "$BERTH" --root "$_root" delete --force "$_id" >/dev/null 2>&1
        done
    fi
    # processes that were not there before (user processes only: kernel
    # threads have an empty command line)
    _strays=""
    for _p in /proc/[0-9]*; do
        _n=${_p#/proc/}
        case "$BASELINE_PIDS" in *" $_n "*) continue ;; esac
        [ "$_n" = "$$" ] && continue
        _cmd=""
        IFS= read -r _cmd <"$_p/cmdline" 2>/dev/null
        [ -n "$_cmd" ] || continue
        # busybox timeout's watcher outlives its program by up to a second
        case "$_cmd" in timeout*) continue ;; esac
        _strays="$_strays $_n"
    done
    if [ -n "$_strays" ]; then
        for _n in $_strays; do
            echo "cleanup: killing process $_n: $(tr '\0' ' ' <"/proc/$_n/cmdline" 2>/dev/null)"
            kill -KILL "$_n" 2>/dev/null
        done
        usleep 200000
    fi
    # cgroups that were not there before, deepest first
    find "$CG" -type d | sort >"$WORK_BASE/cgroups.now"
    _new=$(grep -vxF -f "$WORK_BASE/cgroups.baseline" "$WORK_BASE/cgroups.now" | sort -r)
    for _d in $_new; do
        echo "cleanup: removing cgroup $_d"
        [ -f "$_d/cgroup.freeze" ] && echo 0 >"$_d/cgroup.freeze" 2>/dev/null
        [ -f "$_d/cgroup.kill" ] && echo 1 >"$_d/cgroup.kill" 2>/dev/null
        _i=0
        while ! rmdir "$_d" 2>/dev/null && [ "$_i" -lt 20 ]; do
            usleep 100000
            _i=$((_i + 1))
        done
    done
    # mounts under the test's directories
    for _m in $(awk -v w="$_work" -v r="$_root" 'index($2, w) == 1 || index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
        echo "cleanup: unmounting $_m"
        umount -l "$_m" 2>/dev/null
    done
    rm -rf "$_work" "$_root"
}

echo "1..$count"
passed=0
failed=0
skipped=0
n=0
for i in $selected; do
    n=$((n + 1))
    eval "name=\$T_NAME_$i; func=\$T_FUNC_$i; file=\$T_FILE_$i"
    ROOT="$STATE_BASE/$n"
    WORK="$WORK_BASE/$n"
    rm -rf "$ROOT" "$WORK"
    mkdir -p "$WORK"
    export ROOT WORK
    t0=$(uptime_cs)
    timeout -s KILL "${VM_TEST_TIMEOUT:-120}" sh "$HERE/run-tests.sh" --one "$file" "$func" \
        >"$WORK_BASE/$n.log" 2>&1 </dev/null
    rc=$?
    t1=$(uptime_cs)
    elapsed=$(((t1 - t0) / 100)).$(printf '%02d' $(((t1 - t0) % 100)))
    [ "$rc" -eq 137 ] && echo "TIMEOUT: killed after ${VM_TEST_TIMEOUT:-120} s" >>"$WORK_BASE/$n.log"
    cleanup_after "$ROOT" "$WORK" >>"$WORK_BASE/$n.cleanup" 2>&1
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok $n - $name # time=${elapsed}s"
    elif [ "$rc" -eq 77 ] && grep -q '^SKIP: ' "$WORK_BASE/$n.log"; then
        skipped=$((skipped + 1))
        echo "ok $n - $name # SKIP $(sed -n 's/^SKIP: //p' "$WORK_BASE/$n.log" | tail -n 1)"
    else
        failed=$((failed + 1))
        echo "not ok $n - $name # time=${elapsed}s"
        sed 's/^/#   /' "$WORK_BASE/$n.log"
    fi
    if [ -s "$WORK_BASE/$n.cleanup" ]; then
        sed 's/^/#   /' "$WORK_BASE/$n.cleanup"
    fi
    eval "R_${func}=$rc"
done

# Per-file counts.
for file in "$@"; do
    fp=0
    ff=0
    i=1
    while [ "$i" -le "$N_TESTS" ]; do
        eval "f=\$T_FILE_$i; func=\$T_FUNC_$i"
        eval "r=\${R_$func:-}"
        if [ "$f" = "$file" ] && [ -n "$r" ]; then
            if [ "$r" -eq 0 ]; then
                fp=$((fp + 1))
            elif [ "$r" -ne 77 ]; then
                ff=$((ff + 1))
            fi
        fi
        i=$((i + 1))
    done
    echo "# $file: $fp passed, $ff failed"
done
echo "$passed passed, $failed failed, $skipped skipped"
echo "# berth-vm: done"
