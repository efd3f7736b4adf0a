# The VM itself and the basic run of a container on pure cgroup v2.
# Sourced by run-tests.sh (see lib.sh for the conventions).

# The VM is what the cgroup suite needs: one unified hierarchy, no v1.
t_vm_pure_v2() {
    fstype=$(awk '$2 == "/sys/fs/cgroup" { t = $3 } END { print t }' /proc/mounts)
    [ "$fstype" = cgroup2 ] || fail "/sys/fs/cgroup is '$fstype', not cgroup2"
    if awk '$3 == "cgroup" { found = 1 } END { exit !found }' /proc/mounts; then
        grep ' cgroup ' /proc/mounts
        fail "cgroup v1 hierarchies are mounted"
    fi
}

t_vm_controllers() {
    have=" $(cat "$CG/cgroup.controllers") "
    echo "cgroup.controllers:$have"
    missing=""
    for c in cpu memory pids io cpuset hugetlb; do
        case "$have" in
        *" $c "*) ;;
        *) missing="$missing $c" ;;
        esac
    done
    [ -z "$missing" ] || fail "missing controllers:$missing"
    enabled=" $(cat "$CG/cgroup.subtree_control") "
    for c in $have; do
        case "$enabled" in
        *" $c "*) ;;
        *) fail "controller $c is not enabled in the root's cgroup.subtree_control" ;;
        esac
    done
}

t_run_hostname_pid1() {
    cg_snapshot "$WORK/cg.before"
    C_HOSTNAME=berth-vm-1 make_bundle "$WORK/bundle" sh -c 'echo "hostname: $(hostname)"; echo "pid $$"'
    b_capture "$WORK/out" run --bundle "$WORK/bundle" vm-run-1
    show "$WORK/out"
    [ "$RC" -eq 0 ] || fail "run exited $RC"
    grep -qx 'hostname: berth-vm-1' "$WORK/out" || fail "no 'hostname: berth-vm-1' line"
    grep -qx 'pid 1' "$WORK/out" || fail "no 'pid 1' line"
    # and nothing left behind
    assert_no_state vm-run-1
    cg_compare "$WORK/cg.before"
    left=$(pids_mentioning "$WORK/bundle")
    [ -z "$left" ] || fail "processes left: $left"
}

t_run_exit_code() {
    make_bundle "$WORK/bundle" sh -c 'exit 3'
    b_capture "$WORK/out" run --bundle "$WORK/bundle" vm-exit-3
    [ "$RC" -eq 3 ] || { show "$WORK/out"; fail "run exited $RC, expected 3"; }
    assert_no_state vm-exit-3
}

t_lifecycle_clean() {
    cg_snapshot "$WORK/cg.before"
    start_sleeper vm-life
    [ "$(state_field vm-life status)" = running ] || fail "status is not running: $(b state vm-life 2>&1)"
    b_capture "$WORK/kill" kill vm-life KILL
    [ "$RC" -eq 0 ] || { show "$WORK/kill"; fail "kill exited $RC"; }
    wait_until 10 pid_gone "$PID" || fail "init $PID still alive 10 s after SIGKILL"
    wait_until 5 status_is vm-life stopped ||
        fail "status never became stopped: $(b state vm-life 2>&1)"
    b_capture "$WORK/delete" delete vm-life
    [ "$RC" -eq 0 ] || { show "$WORK/delete"; fail "delete exited $RC"; }
    assert_no_state vm-life
    cg_compare "$WORK/cg.before"
}

test_case "vm: /sys/fs/cgroup is a pure cgroup v2 hierarchy" t_vm_pure_v2
test_case "vm: cgroup.controllers lists cpu memory pids io cpuset hugetlb, all enabled" t_vm_controllers
test_case "run: busybox container prints its hostname and pid 1, leaves nothing behind" t_run_hostname_pid1
test_case "run: exits with the container's exit code" t_run_exit_code
test_case "create/start/kill/delete: no state dir or cgroup left" t_lifecycle_clean
