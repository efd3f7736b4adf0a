# Confinement on Debian's own kernel: AppArmor is built in and active there
# (this suite's host runs without it), and a pure cgroup v2 tree to hide.
# Sourced by run-tests.sh (see lib.sh for the conventions).

apparmor_enabled() {
    [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]
}

# The exec profile reaches AppArmor: the container's program runs under it.
# With no policy loaded, "unconfined" is the one profile there is.
t_apparmor_profile_applied() {
    apparmor_enabled || fail "AppArmor is not enabled in the VM's kernel"
    C_PROCESS_EXTRA='"apparmorProfile": "unconfined",' make_bundle "$WORK/bundle" \
        sh -c 'cat /proc/self/attr/apparmor/current 2>/dev/null || cat /proc/self/attr/current'
    b_capture "$WORK/out" run --bundle "$WORK/bundle" vm-aa-1
    show "$WORK/out"
    [ "$RC" -eq 0 ] || fail "run exited $RC"
    grep -qx 'unconfined' "$WORK/out" || fail "the process does not report the unconfined profile"
    assert_no_state vm-aa-1
}

# A profile the kernel does not know fails create, and says which.
t_apparmor_unknown_profile() {
    apparmor_enabled || fail "AppArmor is not enabled in the VM's kernel"
    C_PROCESS_EXTRA='"apparmorProfile": "berth-no-such-profile",' make_bundle "$WORK/bundle" true
    b_capture "$WORK/out" run --bundle "$WORK/bundle" vm-aa-2
    show "$WORK/out"
    [ "$RC" -eq 1 ] || fail "run exited $RC, expected 1"
    grep -q 'berth-no-such-profile' "$WORK/out" || fail "the error does not name the profile"
    assert_no_state vm-aa-2
}

# Without a cgroup namespace, /sys/fs/cgroup in the container is the
# container's own cgroup, not the host's tree.
t_cgroup_mount_shows_own_cgroup() {
    C_CGROUPS_PATH=/berth-vm/own make_bundle "$WORK/bundle" sh -c \
        'ls /sys/fs/cgroup; grep -qx 1 /sys/fs/cgroup/cgroup.procs && echo "procs: has pid 1"'
    b_capture "$WORK/out" run --bundle "$WORK/bundle" vm-cg-own
    show "$WORK/out"
    [ "$RC" -eq 0 ] || fail "run exited $RC"
    grep -qx 'memory.max' "$WORK/out" || fail "no memory.max: not the container's cgroup"
    if grep -qx 'berth-vm' "$WORK/out"; then fail "the host's cgroup tree is visible"; fi
    # The container's own cgroup.procs, in its pid namespace's numbers.
    grep -qx 'procs: has pid 1' "$WORK/out" || fail "cgroup.procs does not list the container's init"
    assert_no_state vm-cg-own
}

test_case "apparmor: process.apparmorProfile is the profile the program runs under" t_apparmor_profile_applied
test_case "apparmor: an unknown profile fails create with its name" t_apparmor_unknown_profile
test_case "cgroup mount: without a cgroup namespace the container sees its own cgroup only" t_cgroup_mount_shows_own_cgroup
