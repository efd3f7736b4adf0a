# Checkpoint and restore with criu, on Debian's own kernel (this suite's host
# kernel is newer than Debian's criu 3.17 understands: its vdso probe fails).
# Sourced by run-tests.sh (see lib.sh for the conventions).
#
# The containers share the VM's network namespace: criu saves a network
# namespace of its own with ip(8) and iptables-save(8), which the VM does not
# carry.

CRIU_NAMESPACES='{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}'

# A counter: the number in /data/count (a bind mount of $WORK/data) goes up
# every 0.1 s. Its stdio is the container's own /dev/null, as criu can only
# save files it finds in the container's mounts.
COUNTER='exec </dev/null >/dev/null 2>&1; i=0; while :; do i=$((i + 1)); echo $i >/data/count.new; mv /data/count.new /data/count; usleep 100000; done'

count() {
    cat "$WORK/data/count" 2>/dev/null || echo 0
}

count_above() {
    [ "$(count)" -gt "$1" ]
}

count_changed() {
    [ "$(count)" != "$1" ]
}

# The end of criu's log after a failure.
show_criu_log() {
    echo "--- $1 (last lines):"
    tail -n 25 "$1" 2>/dev/null | sed 's/^/    /'
}

# Masked and read-only paths as engines send them: binds inside the
# container's own mounts (its /dev/null over a file, a read-only tmpfs over a
# directory, read-only binds of proc onto itself), which criu saves as such.
CRIU_LINUX_EXTRA='"maskedPaths": ["/proc/kcore", "/proc/timer_list", "/proc/scsi", "/sys/firmware"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],'

start_counter() {
    mkdir -p "$WORK/data"
    C_NAMESPACES=$CRIU_NAMESPACES C_LINUX_EXTRA=$CRIU_LINUX_EXTRA \
        C_MOUNTS_EXTRA="{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$WORK/data\", \"options\": [\"rbind\", \"rw\"]}," \
        start_sleeper "$1" sh -c "$COUNTER"
    wait_until 30 count_above 10 || fail "the counter never got past 10: $(count)"
}

# checkpoint --leave-running saves the processes and they go on counting.
t_checkpoint_leave_running() {
    command -v criu >/dev/null || fail "no criu in the VM"
    start_counter vm-cr-1
    b_capture "$WORK/ckpt.out" checkpoint --leave-running --image-path "$WORK/img" vm-cr-1
    if [ "$RC" -ne 0 ]; then
        show "$WORK/ckpt.out"
        show_criu_log "$WORK/img/dump.log"
        fail "checkpoint --leave-running exited $RC"
    fi
    [ -s "$WORK/img/inventory.img" ] || fail "no inventory.img in the image directory"
    status_is vm-cr-1 running || fail "not running after checkpoint --leave-running: $(b state vm-cr-1)"
    at=$(count)
    wait_until 20 count_above "$at" || fail "the counter stopped at $at"
    b delete --force vm-cr-1
    assert_no_state vm-cr-1
}

# checkpoint ends the container; restore from the images brings the same
# processes back under the same id: the counter continues from where it was
# saved, not from 0, and the restored container is deleted as usual.
t_checkpoint_restore_counter() {
    command -v criu >/dev/null || fail "no criu in the VM"
    start_counter vm-cr-2
    b_capture "$WORK/ckpt.out" checkpoint --image-path "$WORK/img" vm-cr-2
    if [ "$RC" -ne 0 ]; then
        show "$WORK/ckpt.out"
        show_criu_log "$WORK/img/dump.log"
        fail "checkpoint exited $RC"
    fi
    # As with runc, the checkpointed container is gone: its processes, its
    # state and its cgroup.
    assert_no_state vm-cr-2
    [ -z "$(find "$CG" -type d -name vm-cr-2)" ] || fail "the cgroup of vm-cr-2 is left"
    saved=$(count)
    usleep 500000
    [ "$(count)" = "$saved" ] || fail "still counting after checkpoint: $saved, then $(count)"
    note "saved at $saved"

    b_capture "$WORK/restore.out" restore --detach --image-path "$WORK/img" \
        --bundle "$WORK/vm-cr-2" --pid-file "$WORK/restored.pid" vm-cr-2
    if [ "$RC" -ne 0 ]; then
        show "$WORK/restore.out"
        show_criu_log "$WORK/img/restore.log"
        fail "restore exited $RC"
    fi
    status_is vm-cr-2 running || fail "not running after restore: $(b state vm-cr-2)"
    pid=$(state_field vm-cr-2 pid)
    [ "$(cat "$WORK/restored.pid" 2>/dev/null)" = "$pid" ] ||
        fail "--pid-file holds '$(cat "$WORK/restored.pid" 2>/dev/null)', state says $pid"
    # The restored processes are in the container's new cgroup (default
    # cgroupsPath: the id, below berth's own cgroup).
    case "$(cgroup_of "$pid")" in
    */vm-cr-2) ;;
    *) fail "the restored init is in cgroup '$(cgroup_of "$pid")', not the container's" ;;
    esac
    wait_until 20 count_changed "$saved" || fail "the restored counter does not count: $(count)"
    # The first number after the restore follows the saved one (more than
    # 10); a counter started afresh would write 1, 2, ... first.
    got=$(count)
    note "restored, now at $got"
    [ "$got" -gt "$saved" ] || fail "the counter started again: $got after $saved"
    [ "$got" -le $((saved + 50)) ] || fail "jumped from $saved to $got"
    b_capture "$WORK/delete2.out" delete --force vm-cr-2
    [ "$RC" -eq 0 ] || { show "$WORK/delete2.out"; fail "delete --force exited $RC"; }
    assert_no_state vm-cr-2
    pid_gone "$pid" || fail "the restored init $pid outlived delete --force"
}

# Checkpoints a counter into $WORK/img (which deletes the container); sets
# SAVED to the number it was saved at.
checkpoint_counter() {
    start_counter "$1"
    b_capture "$WORK/ckpt.out" checkpoint --image-path "$WORK/img" "$1"
    if [ "$RC" -ne 0 ]; then
        show "$WORK/ckpt.out"
        show_criu_log "$WORK/img/dump.log"
        fail "checkpoint exited $RC"
    fi
    SAVED=$(count)
    assert_no_state "$1"
}

# Without --detach restore waits for the restored init as run does, exits
# with its status (137: killed) and deletes the container.
t_restore_foreground_waits() {
    command -v criu >/dev/null || fail "no criu in the VM"
    checkpoint_counter vm-cr-3
    (
        b restore --image-path "$WORK/img" --bundle "$WORK/vm-cr-3" vm-cr-3 >"$WORK/restore.out" 2>&1
        echo $? >"$WORK/restore.rc"
    ) &
    wait_until 30 status_is vm-cr-3 running || {
        show "$WORK/restore.out"
        show_criu_log "$WORK/img/restore.log"
        fail "the restored container never ran"
    }
    wait_until 20 count_changed "$SAVED" || fail "the restored counter does not count"
    [ ! -e "$WORK/restore.rc" ] || fail "restore returned while the container runs: $(cat "$WORK/restore.rc")"
    b kill vm-cr-3 KILL
    wait_until 20 [ -s "$WORK/restore.rc" ] || fail "restore did not return once the container was killed"
    show "$WORK/restore.out"
    [ "$(cat "$WORK/restore.rc")" = 137 ] || fail "restore exited $(cat "$WORK/restore.rc"), expected 137"
    assert_no_state vm-cr-3
}

test_case "criu: checkpoint --leave-running saves the images and the container keeps running" t_checkpoint_leave_running
test_case "criu: a checkpointed counter, restored, counts on from where it was saved" t_checkpoint_restore_counter
test_case "criu: restore without --detach waits and exits with the container's status" t_restore_foreground_waits
