# The cgroup v2 suite: limits applied *and enforced* on a pure v2 hierarchy
# with every controller, update, pause/resume, and no cgroup left behind.
# Sourced by run-tests.sh (see lib.sh for the conventions).
#
# These are real tests: until berth's cgroup layer applies linux.resources
# they fail, and the runner reports them as failed.

# container_cgroup PID: sets D to the container's cgroup directory, from its
# init's /proc/PID/cgroup; fails if that is the root cgroup.
container_cgroup() {
    _rel=$(cgroup_of "$1")
    [ -n "$_rel" ] || fail "no cgroup v2 entry in /proc/$1/cgroup"
    [ "$_rel" != / ] || fail "the init $1 is in the root cgroup"
    D=$CG$_rel
}

# delete_ok ID: delete --force succeeds and the container is gone.
delete_ok() {
    b_capture "$WORK/delete-$1" delete --force "$1"
    [ "$RC" -eq 0 ] || { show "$WORK/delete-$1"; fail "delete --force $1 exited $RC"; }
    assert_no_state "$1"
}

# The init runs in the cgroup linux.cgroupsPath names (an absolute path, from
# the root of the hierarchy), parents created as needed; the default (no
# cgroupsPath) is a cgroup of its own, not berth's.  (What is left after
# delete is checked by the tests further down.)
t_cg_placement() {
    C_CGROUPS_PATH=/berth-vm-a/b/cg-place start_sleeper cg-place
    got=$(cgroup_of "$PID")
    [ "$got" = /berth-vm-a/b/cg-place ] || fail "init $PID is in cgroup '$got', expected /berth-vm-a/b/cg-place"
    grep -qx "$PID" "$CG/berth-vm-a/b/cg-place/cgroup.procs" || fail "$PID not in cgroup.procs"
    start_sleeper cg-default
    got=$(cgroup_of "$PID")
    echo "default cgroup: $got"
    [ -n "$got" ] && [ "$got" != / ] || fail "without cgroupsPath the init stays in the root cgroup"
    [ "$got" != "$(cgroup_of $$)" ] || fail "without cgroupsPath the init stays in berth's own cgroup $got"
    delete_ok cg-place
    delete_ok cg-default
}

# Each resource lands in its v2 file with the right value.
t_cg_limit_files() {
    C_CGROUPS_PATH=/berth-vm-files \
        C_RESOURCES='"memory": {"limit": 67108864, "reservation": 33554432, "swap": 100663296},
                     "pids": {"limit": 50},
                     "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "burst": 10000,
                             "cpus": "1", "mems": "0"},
                     "hugepageLimits": [{"pageSize": "2MB", "limit": 8388608}],
                     "unified": {"memory.high": "60000000"}' \
        start_sleeper cg-files
    d=$CG/berth-vm-files
    bad=0
    expect_file "$d/memory.max" 67108864 || bad=1
    expect_file "$d/memory.low" 33554432 || bad=1
    # the spec's swap is memory+swap; v2's swap.max is swap alone
    expect_file "$d/memory.swap.max" 33554432 || bad=1
    expect_file "$d/pids.max" 50 || bad=1
    # shares 1024 -> weight 1 + (1024 - 2) * 9999 / 262142
    expect_file "$d/cpu.weight" 39 || bad=1
    expect_file "$d/cpu.max" "50000 100000" || bad=1
    expect_file "$d/cpu.max.burst" 10000 || bad=1
    expect_file "$d/cpuset.cpus" 1 || bad=1
    expect_file "$d/cpuset.mems" 0 || bad=1
    expect_file "$d/hugetlb.2MB.max" 8388608 || bad=1
    # unified is written verbatim (memory.high rounds down to whole pages)
    expect_file "$d/memory.high" 59998208 || bad=1
    [ "$bad" -eq 0 ] || fail "limits not applied"
    delete_ok cg-files
}

# A memory hog beyond memory.limit is OOM-killed: `berth run` exits 137.
t_cg_oom_run() {
    cg_snapshot "$WORK/cg.before"
    C_RESOURCES='"memory": {"limit": 33554432, "swap": 33554432}' \
        make_bundle "$WORK/hog" dd if=/dev/zero of=/dev/null bs=96M count=1
    b_capture "$WORK/out" run --bundle "$WORK/hog" cg-oom
    show "$WORK/out" 10
    [ "$RC" -eq 137 ] || fail "run exited $RC, expected 137 (SIGKILL by the OOM killer)"
    assert_no_state cg-oom
    cg_compare "$WORK/cg.before"
}

# oom_event_or_exit PID FILE: FILE has an oom event, or `events` (PID) ended.
oom_event_or_exit() {
    grep -q '"type"[[:space:]]*:[[:space:]]*"oom"' "$2" || ! kill -0 "$1" 2>/dev/null
}

# `berth events` reports the OOM kill; memory.events counts it.
t_cg_oom_events() {
    C_RESOURCES='"memory": {"limit": 33554432, "swap": 33554432}' \
        start_sleeper cg-oomev sh -c 'sleep 1; dd if=/dev/zero of=/dev/null bs=96M count=1; exec sleep 1000'
    container_cgroup "$PID"
    d=$D
    "$BERTH" --root "$ROOT" events --interval 1s cg-oomev >"$WORK/events" 2>&1 &
    ev=$!
    found=0
    wait_until 20 oom_event_or_exit "$ev" "$WORK/events" &&
        grep -q '"type"[[:space:]]*:[[:space:]]*"oom"' "$WORK/events" && found=1
    kill "$ev" 2>/dev/null
    wait "$ev" 2>/dev/null
    echo "memory.events: $(tr '\n' ' ' <"$d/memory.events" 2>/dev/null)"
    show "$WORK/events" 10
    grep -q '^oom_kill [1-9]' "$d/memory.events" 2>/dev/null || fail "memory.events shows no oom_kill"
    [ "$found" -eq 1 ] || fail "events printed no {\"type\":\"oom\"} within 20 s"
    delete_ok cg-oomev
}

# Forks beyond pids.limit fail (with pids.max = 10 the init and at most nine
# children can exist).
t_cg_pids_limit() {
    cg_snapshot "$WORK/cg.before"
    C_RESOURCES='"pids": {"limit": 10}' make_bundle "$WORK/forks" sh -c \
        'i=0; while [ $i -lt 20 ]; do sleep 30 & i=$((i+1)); echo "started $i"; done; echo "all started"'
    b_capture "$WORK/out" run --bundle "$WORK/forks" cg-pids
    tail -n 4 "$WORK/out" | sed 's/^/    /'
    if grep -q '^all started' "$WORK/out"; then
        fail "20 background processes started under pids.limit 10"
    fi
    last=$(sed -n 's/^started //p' "$WORK/out" | tail -n 1)
    [ -n "$last" ] || last=0
    [ "$last" -le 9 ] || fail "$last children started under pids.limit 10"
    grep -qi 'fork' "$WORK/out" || fail "no fork error reported"
    assert_no_state cg-pids
    cg_compare "$WORK/cg.before"
}

# The device program: a block device not in the rules cannot be opened (even
# with CAP_MKNOD and a node made inside the container), /dev/null and
# /dev/zero work.
DEVICE_PROBE='if mknod /dev/probe b 7 0 2>/tmp/err; then echo mknod-ok; else echo "mknod-failed: $(cat /tmp/err)"; fi
if [ -e /dev/probe ]; then if (exec 3</dev/probe) 2>/tmp/err; then echo open-ok; else echo "open-failed: $(cat /tmp/err)"; fi; fi
if echo x >/dev/null && [ "$(head -c 3 /dev/zero | od -An -tx1 | tr -d " ")" = 000000 ]; then echo null-zero-ok; fi'

loop0_usable() {
    [ -b /dev/loop0 ] || fail "the VM has no /dev/loop0 (loop module not loaded?)"
    (exec 3</dev/loop0) 2>/dev/null || fail "/dev/loop0 cannot be opened even outside a container"
}

t_cg_devices_deny() {
    loop0_usable
    C_CAPS="$DEFAULT_CAPS, \"CAP_MKNOD\"" make_bundle "$WORK/dev" sh -c "$DEVICE_PROBE"
    b_capture "$WORK/out" run --bundle "$WORK/dev" cg-dev-deny
    show "$WORK/out"
    [ "$RC" -eq 0 ] || fail "run exited $RC"
    grep -q '^null-zero-ok' "$WORK/out" || fail "/dev/null or /dev/zero did not work"
    if grep -q '^open-ok' "$WORK/out"; then
        fail "block device 7:0 opened although no rule allows it"
    fi
    grep -q 'Operation not permitted' "$WORK/out" || fail "mknod/open did not fail with EPERM"
}

# The positive control: a rule allowing b 7:0 lets the same probe open it.
t_cg_devices_allow() {
    loop0_usable
    C_CAPS="$DEFAULT_CAPS, \"CAP_MKNOD\"" \
        C_DEVICES="$DENY_ALL_DEVICES, {\"allow\": true, \"type\": \"b\", \"major\": 7, \"minor\": 0, \"access\": \"rwm\"}" \
        make_bundle "$WORK/dev" sh -c "$DEVICE_PROBE"
    b_capture "$WORK/out" run --bundle "$WORK/dev" cg-dev-allow
    show "$WORK/out"
    [ "$RC" -eq 0 ] || fail "run exited $RC"
    grep -q '^open-ok' "$WORK/out" || fail "block device 7:0 not opened although a rule allows it"
    grep -q '^null-zero-ok' "$WORK/out" || fail "/dev/null or /dev/zero did not work"
}

# `update` changes the live limits, with runc's flags and with --resources.
t_cg_update() {
    C_CGROUPS_PATH=/berth-vm-upd \
        C_RESOURCES='"memory": {"limit": 67108864}, "pids": {"limit": 100}' \
        start_sleeper cg-upd
    d=$CG/berth-vm-upd
    b_capture "$WORK/upd1" update --memory 52428800 --pids-limit 20 --cpu-quota 20000 --cpu-period 100000 cg-upd
    [ "$RC" -eq 0 ] || { show "$WORK/upd1"; fail "update (flags) exited $RC"; }
    bad=0
    expect_file "$d/memory.max" 52428800 || bad=1
    expect_file "$d/pids.max" 20 || bad=1
    expect_file "$d/cpu.max" "20000 100000" || bad=1
    [ "$bad" -eq 0 ] || fail "update flags not applied"
    echo '{"memory": {"limit": 41943040}, "pids": {"limit": 30}}' >"$WORK/res.json"
    b_capture "$WORK/upd2" update --resources "$WORK/res.json" cg-upd
    [ "$RC" -eq 0 ] || { show "$WORK/upd2"; fail "update --resources exited $RC"; }
    expect_file "$d/memory.max" 41943040 || bad=1
    expect_file "$d/pids.max" 30 || bad=1
    [ "$bad" -eq 0 ] || fail "update --resources not applied"
    # cpu.max holds quota and period together: a period alone keeps the quota.
    b_capture "$WORK/upd3" update --cpu-period 200000 cg-upd
    [ "$RC" -eq 0 ] || { show "$WORK/upd3"; fail "update --cpu-period exited $RC"; }
    expect_file "$d/cpu.max" "20000 200000" || fail "update --cpu-period lost the quota"
    status_is cg-upd running || fail "not running after update: $(b state cg-upd 2>&1)"
    delete_ok cg-upd
}

COUNTER='i=0; while :; do i=$((i+1)); echo $i >/tmp/count; usleep 20000; done'

counter_of() {
    cat "/proc/$1/root/tmp/count" 2>/dev/null
}

# pause freezes every process (cgroup.events frozen 1, the counter stops),
# resume thaws them.
t_cg_pause_resume() {
    start_sleeper cg-pause sh -c "$COUNTER"
    container_cgroup "$PID"
    d=$D
    wait_until 10 test -s "/proc/$PID/root/tmp/count" || fail "the counter never started"
    b_capture "$WORK/pause" pause cg-pause
    [ "$RC" -eq 0 ] || { show "$WORK/pause"; fail "pause exited $RC"; }
    status_is cg-pause paused || fail "status after pause: $(state_field cg-pause status)"
    wait_until 5 grep -qx 'frozen 1' "$d/cgroup.events" || fail "cgroup.events never showed frozen 1"
    c1=$(counter_of "$PID")
    sleep 1
    c2=$(counter_of "$PID")
    [ "$c1" = "$c2" ] || fail "the counter went on while paused ($c1 -> $c2)"
    b_capture "$WORK/resume" resume cg-pause
    [ "$RC" -eq 0 ] || { show "$WORK/resume"; fail "resume exited $RC"; }
    status_is cg-pause running || fail "status after resume: $(state_field cg-pause status)"
    wait_until 5 grep -qx "frozen 0" "$d/cgroup.events" || fail "cgroup.events never showed frozen 0"
    wait_until 5 sh -c "[ \"\$(cat /proc/$PID/root/tmp/count)\" != \"$c2\" ]" ||
        fail "the counter did not move after resume"
    delete_ok cg-pause
}

# delete --force of a paused container kills it and removes everything.
t_cg_delete_paused() {
    cg_snapshot "$WORK/cg.before"
    start_sleeper cg-delp
    b_capture "$WORK/pause" pause cg-delp
    [ "$RC" -eq 0 ] || { show "$WORK/pause"; fail "pause exited $RC"; }
    b_capture "$WORK/delete" delete --force cg-delp
    [ "$RC" -eq 0 ] || { show "$WORK/delete"; fail "delete --force exited $RC"; }
    wait_until 5 pid_gone "$PID" || fail "init $PID still alive after delete --force"
    assert_no_state cg-delp
    cg_compare "$WORK/cg.before"
}

# The container's cgroup is gone after delete; the parent, which existed
# before, is left alone.
t_cg_gone_after_delete() {
    mkdir "$CG/berth-vm-keep" || fail "cannot make $CG/berth-vm-keep"
    cg_snapshot "$WORK/cg.before"
    C_CGROUPS_PATH=/berth-vm-keep/cg-del start_sleeper cg-del
    [ -d "$CG/berth-vm-keep/cg-del" ] || fail "cgroup $CG/berth-vm-keep/cg-del was not made"
    b_capture "$WORK/kill" kill cg-del KILL
    wait_until 10 pid_gone "$PID" || fail "init $PID still alive 10 s after SIGKILL"
    b_capture "$WORK/delete" delete cg-del
    [ "$RC" -eq 0 ] || { show "$WORK/delete"; fail "delete exited $RC"; }
    assert_no_state cg-del
    [ -d "$CG/berth-vm-keep" ] || fail "delete removed $CG/berth-vm-keep, which berth did not create"
    cg_compare "$WORK/cg.before"
    rmdir "$CG/berth-vm-keep"
}

# A create that fails (here: a cpuset the VM does not have, which only the
# kernel refuses when the value is written) leaves no cgroup and no state.
t_cg_gone_after_failed_create_cpuset() {
    cg_snapshot "$WORK/cg.before"
    C_CGROUPS_PATH=/berth-vm-fail1 C_RESOURCES='"cpu": {"cpus": "7"}' \
        make_bundle "$WORK/bad" sleep 1000
    b_capture "$WORK/create" create --bundle "$WORK/bad" cg-fail1
    show "$WORK/create" 5
    [ "$RC" -ne 0 ] || fail "create succeeded with cpuset.cpus 7 on a 2-CPU VM"
    assert_no_state cg-fail1
    cg_compare "$WORK/cg.before"
}

# Same after a failure in the init (no such executable), after the cgroup was
# made and the init placed in it.
t_cg_gone_after_failed_create_exec() {
    cg_snapshot "$WORK/cg.before"
    C_CGROUPS_PATH=/berth-vm-fail2 C_RESOURCES='"pids": {"limit": 10}' \
        make_bundle "$WORK/bad" /no/such/binary
    b_capture "$WORK/create" create --bundle "$WORK/bad" cg-fail2
    show "$WORK/create" 5
    [ "$RC" -ne 0 ] || fail "create succeeded with a missing executable"
    assert_no_state cg-fail2
    cg_compare "$WORK/cg.before"
}

# berth removes the parents it made for a nested cgroupsPath too (its cgroup
# Manager records what it created; runc and crun leave them): after delete,
# and after a create that failed.
t_cg_parents_removed() {
    cg_snapshot "$WORK/cg.before"
    C_CGROUPS_PATH=/berth-vm-made/sub/cg-par start_sleeper cg-par
    b_capture "$WORK/delete" delete --force cg-par
    [ "$RC" -eq 0 ] || { show "$WORK/delete"; fail "delete --force exited $RC"; }
    echo "after delete:"
    cg_compare "$WORK/cg.before"
    C_CGROUPS_PATH=/berth-vm-made/sub/cg-par2 C_RESOURCES='"cpu": {"cpus": "7"}' \
        make_bundle "$WORK/bad" sleep 1000
    b_capture "$WORK/create" create --bundle "$WORK/bad" cg-par2
    [ "$RC" -ne 0 ] || fail "create succeeded with cpuset.cpus 7 on a 2-CPU VM"
    echo "after the failed create:"
    cg_compare "$WORK/cg.before"
}

# exec clones its process straight into the container's cgroup
# (CLONE_INTO_CGROUP, pure v2) or into a sub-cgroup of it with --cgroup; a
# sub-cgroup that does not exist is refused with nothing left running.
t_cg_exec() {
    start_sleeper cg-exec
    container_cgroup "$PID"
    b_capture "$WORK/exec" exec cg-exec cat /proc/self/cgroup
    [ "$RC" -eq 0 ] || { show "$WORK/exec"; fail "exec exited $RC"; }
    # with no cgroup namespace, the container sees the host's paths
    grep -qx "0::$(cgroup_of "$PID")" "$WORK/exec" || { show "$WORK/exec"; fail "exec ran outside $D"; }
    mkdir "$D/sub" || fail "mkdir $D/sub"
    b_capture "$WORK/exec-d" exec -d --pid-file "$WORK/exec.pid" --cgroup sub cg-exec sleep 1000
    [ "$RC" -eq 0 ] || { show "$WORK/exec-d"; fail "exec -d --cgroup sub exited $RC"; }
    got=$(cgroup_of "$(cat "$WORK/exec.pid")")
    [ "$got" = "$(cgroup_of "$PID")/sub" ] || fail "exec --cgroup sub ran in '$got'"
    b_capture "$WORK/exec-missing" exec --cgroup missing cg-exec true
    [ "$RC" -eq 1 ] || { show "$WORK/exec-missing"; fail "exec --cgroup missing exited $RC"; }
    [ "$(wc -l <"$D/cgroup.procs")" -eq 1 ] || fail "processes left in $D: $(cat "$D/cgroup.procs")"
    delete_ok cg-exec
}

test_case "cgroup: the init runs in linux.cgroupsPath (parents made), else in a cgroup of its own" t_cg_placement
test_case "cgroup: exec runs in the container's cgroup, or in a sub-cgroup with --cgroup" t_cg_exec
test_case "cgroup: memory, swap, pids, cpu (weight, max, burst), cpuset, hugetlb and unified land in their v2 files" t_cg_limit_files
test_case "cgroup: a memory hog is OOM-killed, run exits 137" t_cg_oom_run
test_case "cgroup: events reports the oom kill, memory.events counts it" t_cg_oom_events
test_case "cgroup: forks beyond pids.limit fail" t_cg_pids_limit
test_case "cgroup: the device program denies a block device (mknod + open), allows /dev/null" t_cg_devices_deny
test_case "cgroup: a device rule allowing b 7:0 lets it open" t_cg_devices_allow
test_case "cgroup: update changes the live limits (flags and --resources)" t_cg_update
test_case "cgroup: pause freezes the processes, resume thaws them" t_cg_pause_resume
test_case "cgroup: delete --force of a paused container" t_cg_delete_paused
test_case "cgroup: gone after delete, a parent berth did not make is kept" t_cg_gone_after_delete
test_case "cgroup: gone after a failed create (bad cpuset)" t_cg_gone_after_failed_create_cpuset
test_case "cgroup: gone after a failed create (missing executable)" t_cg_gone_after_failed_create_exec
test_case "cgroup: parents berth made for cgroupsPath are removed (delete, failed create)" t_cg_parents_removed
