# Confinement on Debian's own kernel: AppArmor is built in and active there
# (this suite's host runs without it), a pure cgroup v2 tree to hide, and
# IA-32 emulation (the 32-bit entry a seccomp filter must cover, which this
# suite's host may lack).
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

# The 32-bit x86 entry point (int $0x80) is another way into the kernel, with
# its own system call numbers: a filter that lists SCMP_ARCH_X86 catches the
# i386 getppid (64) with the same rule as the x86_64 one (110), and a filter
# that leaves i386 out kills a process that uses it (the bad-architecture
# action), so the entry never bypasses the filter.  Debian's kernel has IA-32
# emulation; one without it (ia32_emulation=off) offers no such entry and the
# test skips, saying so.
t_seccomp_covers_the_32bit_entry() {
    # The probe runs in its own process: int $0x80 raises SIGSEGV on a kernel
    # without IA-32 emulation.
    /vmtests/rootfs/bin/ia32-getppid >"$WORK/probe" 2>&1
    probe_rc=$?
    show "$WORK/probe"
    if [ "$probe_rc" -ge 128 ]; then
        skip "the VM's kernel has no IA-32 emulation (int \$0x80 raises signal $((probe_rc - 128)))"
    fi
    grep -qE '^int80 [1-9][0-9]*$' "$WORK/probe" || fail "the unfiltered i386 getppid returned no pid"

    _rule='{"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18}'
    C_LINUX_EXTRA="\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",
        \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],
        \"syscalls\": [$_rule]}," make_bundle "$WORK/listed" /bin/ia32-getppid
    b_capture "$WORK/out" run --bundle "$WORK/listed" vm-sc-ia32-1
    show "$WORK/out"
    [ "$RC" -eq 0 ] || fail "run exited $RC"
    grep -qx 'int80 -18' "$WORK/out" || fail "the i386 getppid was not refused with EXDEV (18)"
    grep -qx 'syscall -18' "$WORK/out" || fail "the x86_64 getppid was not refused with EXDEV (18)"

    C_LINUX_EXTRA="\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",
        \"architectures\": [\"SCMP_ARCH_X86_64\"], \"syscalls\": [$_rule]}," \
        make_bundle "$WORK/unlisted" sh -c '/bin/ia32-getppid; echo "status=$?"'
    b_capture "$WORK/out2" run --bundle "$WORK/unlisted" vm-sc-ia32-2
    show "$WORK/out2"
    [ "$RC" -eq 0 ] || fail "run exited $RC"
    if grep -q '^int80 ' "$WORK/out2"; then fail "the i386 call went through a filter without i386"; fi
    grep -qx 'status=159' "$WORK/out2" || fail "the i386 call was not killed with SIGSYS (status 128+31)"
    assert_no_state vm-sc-ia32-1
    assert_no_state vm-sc-ia32-2
}

test_case "apparmor: process.apparmorProfile is the profile the program runs under" t_apparmor_profile_applied
test_case "apparmor: an unknown profile fails create with its name" t_apparmor_unknown_profile
test_case "cgroup mount: without a cgroup namespace the container sees its own cgroup only" t_cgroup_mount_shows_own_cgroup
test_case "seccomp: a filter covers the 32-bit entry (int \$0x80) whenever the kernel offers it" t_seccomp_covers_the_32bit_entry
