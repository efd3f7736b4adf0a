# Helpers for the in-VM test suite (POSIX sh, run by busybox sh inside the VM).
#
# A test is a shell function registered with `test_case "name" function`.  The
# runner (run-tests.sh) calls each one in a subshell with a fresh --root and
# work directory; the function passes by returning 0 and fails by calling
# `fail MESSAGE` (which exits the subshell) or returning non-zero; it skips
# by calling `skip REASON` (exit status 77: the VM's kernel lacks what it
# tests).  Whatever it prints becomes TAP diagnostics ("# ...") under its
# result line.
#
# Variables a test can use:
#   BERTH      the binary under test (berth --root "$ROOT" ... is `b ...`)
#   ROOT       this test's --root (state directory), empty at the start
#   WORK       this test's scratch directory (bundles go here)
#   ROOTFS     the shared busybox rootfs (read-only for containers)
#   CG         /sys/fs/cgroup

CG=/sys/fs/cgroup
ROOTFS=${ROOTFS:-/vmtests/rootfs}
BERTH=${BERTH:-/usr/sbin/berth}
N_TESTS=0

test_case() {
    N_TESTS=$((N_TESTS + 1))
    eval "T_NAME_$N_TESTS=\$1; T_FUNC_$N_TESTS=\$2"
}

fail() {
    echo "FAIL: $*"
    exit 1
}

skip() {
    echo "SKIP: $*"
    exit 77
}

note() {
    echo "$*"
}

# berth with this test's --root; stdout and stderr as given by the caller.
b() {
    "$BERTH" --root "$ROOT" "$@"
}

# b_capture OUTFILE ARGS...: runs berth, output (stdout+stderr) to OUTFILE,
# sets RC.  Never fails by itself.
b_capture() {
    _out=$1
    shift
    "$BERTH" --root "$ROOT" "$@" >"$_out" 2>&1
    RC=$?
    return 0
}

# Shows a file's content as diagnostics, indented.
show() {
    echo "--- $1:"
    sed 's/^/    /' "$1" 2>/dev/null | head -n "${2:-40}"
}

# A JSON string literal for a shell string (backslash, quote, tab and newline
# escaped; no other control characters expected).
json_str() {
    printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g; s/	/\\t/g' |
        sed ':a;N;$!ba;s/\n/\\n/g')"
}

# JSON array of strings from the arguments: json_array sh -c 'echo hi'
json_array() {
    _sep=""
    printf '['
    for _a in "$@"; do
        printf '%s%s' "$_sep" "$(json_str "$_a")"
        _sep=", "
    done
    printf ']'
}

# The default devices rule of runc's `spec` (deny everything; the runtime adds
# the standard devices /dev/null, /dev/zero, ... on top).
DENY_ALL_DEVICES='{"allow": false, "access": "rwm"}'
DEFAULT_NAMESPACES='{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}'
DEFAULT_CAPS='"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"'

# make_bundle DIR ARG...: writes DIR/config.json for a busybox container whose
# process is ARG....  Optional settings, from the environment:
#   C_RESOURCES     JSON members of linux.resources besides "devices"
#                   (e.g. '"memory": {"limit": 33554432}')
#   C_DEVICES       JSON members of linux.resources.devices (default: deny all)
#   C_CGROUPS_PATH  linux.cgroupsPath (absent when empty)
#   C_CAPS          capability names, JSON-quoted and comma-separated
#   C_HOSTNAME      the container's hostname (default "berth-vm-ct")
#   C_MOUNTS_EXTRA  JSON mounts put before the standard ones, each followed by
#                   a comma
#   C_LINUX_EXTRA   JSON members of "linux", each followed by a comma
#   C_NAMESPACES    linux.namespaces members (default: pid, network, ipc,
#                   uts, mount)
make_bundle() {
    _dir=$1
    shift
    mkdir -p "$_dir"
    _res="\"devices\": [${C_DEVICES:-$DENY_ALL_DEVICES}]"
    if [ -n "${C_RESOURCES:-}" ]; then
        _res="$C_RESOURCES, $_res"
    fi
    _cgp=""
    if [ -n "${C_CGROUPS_PATH:-}" ]; then
        _cgp="\"cgroupsPath\": $(json_str "$C_CGROUPS_PATH"),"
    fi
    _caps=${C_CAPS:-$DEFAULT_CAPS}
    cat >"$_dir/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": $(json_array "$@"),
    "env": ["PATH=/bin:/sbin", "HOME=/root"],
    "cwd": "/",
    "capabilities": {
      "bounding": [$_caps],
      "effective": [$_caps],
      "permitted": [$_caps]
    },
    ${C_PROCESS_EXTRA:-}
    "noNewPrivileges": true
  },
  "root": {"path": "$ROOTFS", "readonly": true},
  "hostname": $(json_str "${C_HOSTNAME:-berth-vm-ct}"),
  "mounts": [
    ${C_MOUNTS_EXTRA:-}
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "nodev", "mode=1777", "size=16m"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
  ],
  "linux": {
    ${C_LINUX_EXTRA:-}
    $_cgp
    "resources": {$_res},
    "namespaces": [
      ${C_NAMESPACES:-$DEFAULT_NAMESPACES}
    ]
  }
}
EOF
}

# A field of `berth state ID` (string or number), or empty.
state_field() {
    b state "$1" 2>/dev/null | tr -d '\n' |
        sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"\{0,1\}\([^\",}]*\).*/\1/p"
}

# status_is ID STATUS: `berth state ID` reports STATUS.
status_is() {
    [ "$(state_field "$1" status)" = "$2" ]
}

# The cgroup v2 path (relative to /sys/fs/cgroup, with a leading /) of a pid.
cgroup_of() {
    sed -n 's/^0:://p' "/proc/$1/cgroup" 2>/dev/null
}

# Every cgroup directory, sorted: compare a before and an after snapshot.
cg_snapshot() {
    find "$CG" -type d | sort >"$1"
}

# cg_compare BEFORE: fails naming the cgroups that appeared (or vanished)
# since the snapshot BEFORE was taken.
cg_compare() {
    cg_snapshot "$1.after"
    if ! cmp -s "$1" "$1.after"; then
        echo "cgroups differ from before (+ appeared, - vanished):"
        diff "$1" "$1.after" | grep '^[-+]/' | sed 's/^/    /'
        fail "cgroup tree not as before"
    fi
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_until() {
    _limit=$(($1 * 10))
    shift
    _i=0
    while [ "$_i" -lt "$_limit" ]; do
        if "$@"; then
            return 0
        fi
        usleep 100000
        _i=$((_i + 1))
    done
    return 1
}

pid_gone() {
    ! [ -d "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# Ids of processes whose command line mentions STRING (excluding this shell).
pids_mentioning() {
    for _p in /proc/[0-9]*; do
        _n=${_p#/proc/}
        [ "$_n" = "$$" ] && continue
        if tr '\0' ' ' <"$_p/cmdline" 2>/dev/null | grep -q -- "$1"; then
            echo "$_n"
        fi
    done
}

# assert_no_state ID: the container is unknown to berth and has no state dir.
assert_no_state() {
    if [ -e "$ROOT/$1" ]; then
        echo "left in $ROOT/$1:"
        ls -la "$ROOT/$1" | sed 's/^/    /'
        fail "state directory $ROOT/$1 left behind"
    fi
    if b state "$1" >/dev/null 2>&1; then
        fail "\`berth state $1\` still answers"
    fi
}

# start_sleeper ID [ARG...]: create + start a container (default process:
# sleep 1000) with the current C_* settings; sets PID to its init.
start_sleeper() {
    _id=$1
    shift
    [ $# -gt 0 ] || set -- sleep 1000
    make_bundle "$WORK/$_id" "$@"
    b_capture "$WORK/$_id.create" create --bundle "$WORK/$_id" "$_id"
    if [ "$RC" -ne 0 ]; then
        show "$WORK/$_id.create"
        fail "create $_id exited $RC"
    fi
    b_capture "$WORK/$_id.start" start "$_id"
    if [ "$RC" -ne 0 ]; then
        show "$WORK/$_id.start"
        fail "start $_id exited $RC"
    fi
    PID=$(state_field "$_id" pid)
    [ -n "$PID" ] && [ "$PID" -gt 0 ] || fail "no pid in \`state $_id\`: $(b state "$_id" 2>&1)"
}

# read_file FILE: its content, or "<missing>".
read_file() {
    if [ -r "$1" ]; then
        cat "$1"
    else
        echo "<missing>"
    fi
}

# expect_file FILE EXPECTED: the file's content (first line) equals EXPECTED.
expect_file() {
    _got=$(head -n 1 "$1" 2>/dev/null || echo "<missing>")
    [ -r "$1" ] || _got="<missing>"
    if [ "$_got" != "$2" ]; then
        echo "$1: expected '$2', got '$_got'"
        return 1
    fi
    return 0
}
