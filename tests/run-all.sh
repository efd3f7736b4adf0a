#!/usr/bin/env bash
# Build berth and run every test suite: the Criterion unit tests and the OCI
# conformance suite (pytest, as root).  Installs missing build and test
# dependencies with apt-get first (Debian 12).
#
# The output ends with a "skipped:" section, one line per test that did not
# run and why ("suite: test: reason", e.g. a kernel feature this machine
# lacks), and the last line is always "N passed, N failed, N skipped", summed
# over every suite (each unit subtest and each conformance test counts once; a
# section turned off with SKIP_* counts as one skip).  The exit status is
# non-zero if anything failed or could not run; a skip never makes it so.
#
# Environment:
#   BUILD_DIR          build directory (default: <repo>/build)
#   PYTEST_ARGS        extra arguments for pytest (e.g. "-k lifecycle -x")
#   SKIP_APT=1         never call apt-get
#   SKIP_VM=1, SKIP_ENGINES=1  skip the cgroup v2 VM or the engine suites
#   SKIP_RELIABILITY=1 skip the reliability suite (tests/reliability)
#   SKIP_DIFFERENTIAL=1 skip the runc-against-berth suite (tests/differential);
#                      BERTH_DIFF_SEEDS=N runs N new random seeds there too
#   CONFORMANCE_TIMEOUT  seconds for the conformance suite (default 3600)
#   RELIABILITY_TIMEOUT  seconds for the reliability suite (default 3600)
#   SKIP_SANITIZE=1, SKIP_FUZZ=1  skip the sanitizer or the fuzzing suites
#   ASAN_BUILD_DIR, FUZZ_BUILD_DIR  their build directories (default:
#                      <repo>/build-asan, <repo>/build-fuzz)
#   FUZZ_TIME          seconds of fuzzing per target (default 60)

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build}
PY=/usr/bin/python3
LOGS="$BUILD/meson-logs"

PACKAGES=(meson ninja-build g++ pkg-config libyajl-dev libseccomp-dev libcap-ng-dev
          libselinux1-dev libcriterion-dev busybox-static python3-pytest iproute2
          libcap2-bin gcc libc6-dev uidmap criu runc)
# The sanitizer section builds with g++'s own ASan/UBSan runtimes (libasan8 and
# libubsan1 come with g++) and needs valgrind; fuzzing needs clang 16 (Debian
# 12's default clang 14 lacks std::expected) and its libFuzzer runtime.
[ -n "${SKIP_SANITIZE:-}" ] || PACKAGES+=(valgrind)
[ -n "${SKIP_FUZZ:-}" ] || PACKAGES+=(clang-16 libclang-rt-16-dev)

total_passed=0
total_failed=0
total_skipped=0
# One "suite: test: reason" line per skip, printed by finish.
SKIPS=$(mktemp "${TMPDIR:-/tmp}/berth-skips.XXXXXX") || exit 1
trap 'rm -f "$SKIPS"' EXIT

say() { printf '==> %s\n' "$*"; }

finish() {
    if [ -s "$SKIPS" ]; then
        echo "skipped:"
        sed 's/^/  /' "$SKIPS"
    fi
    echo "${total_passed} passed, ${total_failed} failed, ${total_skipped} skipped"
    if [ "$total_failed" -gt 0 ]; then exit 1; fi
    exit 0
}

# Adds skips to the summary: SUITE, then "test<TAB>reason" lines on stdin.
add_skips() {
    local suite=$1 test reason
    while IFS=$'\t' read -r test reason; do
        [ -n "$test" ] || continue
        echo "$suite: $test: ${reason:-no reason given}" >>"$SKIPS"
        total_skipped=$((total_skipped + 1))
    done
}

# A whole section turned off (SKIP_VM=1 and the like) counts as one skip.
skip_section() {
    say "$1: skipped ($2)"
    add_skips "$1" < <(printf '(the whole section)\t%s\n' "$2")
}

# "passed failed skipped" of a pytest JUnit XML report (errors count as
# failed); writes "test<TAB>reason" for each skipped test to the file $2.
junit_counts() {
    "$PY" - "$1" "$2" <<'EOF'
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
tests = failures = errors = skipped = 0
for s in suites:
    tests += int(s.get("tests", 0))
    failures += int(s.get("failures", 0))
    errors += int(s.get("errors", 0))
    skipped += int(s.get("skipped", 0))
with open(sys.argv[2], "w") as out:
    for case in root.iter("testcase"):
        for e in case.findall("skipped"):
            module = case.get("classname", "").rsplit(".", 1)[-1]
            reason = " ".join((e.get("message") or e.text or "").split())
            out.write(f"{module}::{case.get('name')}\t{reason}\n")
print(tests - failures - errors - skipped, failures + errors, skipped)
EOF
}

# A step that could not run at all counts as one failure.
fail_step() {
    say "FAILED: $*"
    total_failed=$((total_failed + 1))
}

# Adds a pytest suite's JUnit report (SUITE, XML, then EXTRA for its summary
# line) to the totals and its skips to the summary; a missing report (the
# suite could not run) is one failure.
count_junit_report() {
    local suite=$1 xml=$2 extra=${3:-} p f s
    if [ ! -f "$xml" ]; then
        fail_step "the $suite suite produced no report"
        return
    fi
    read -r p f s < <(junit_counts "$xml" "$LOGS/$suite-skips.txt")
    say "$suite: $p passed, $f failed, $s skipped$extra"
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
    add_skips "$suite" <"$LOGS/$suite-skips.txt"
}

# -- dependencies ---------------------------------------------------------------

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ -n "${SKIP_APT:-}" ]; then
        say "missing packages (SKIP_APT is set): ${missing[*]}"
    elif [ "$(id -u)" -ne 0 ]; then
        say "missing packages: ${missing[*]} (run as root to install them)"
    else
        say "installing: ${missing[*]}"
        if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
               DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; }; then
            fail_step "apt-get install ${missing[*]}"
            finish
        fi
    fi
fi

# The engines' default seccomp profiles, from Debian's packages (the conformance
# suite converts them to OCI form; no profile text is kept in the repository).
if [ -z "${SKIP_APT:-}" ] && [ "$(id -u)" -eq 0 ]; then
    "$REPO/tests/oci-conformance/fetch_engine_profiles.sh" >/dev/null ||
        fail_step "fetch engine seccomp profiles"
fi

# -- build ----------------------------------------------------------------------

cd "$REPO" || exit 1
# A test build: the unit tests, and BERTH_TEST_KILL_AT (fault injection, which
# the default build that gets installed leaves out) for the reliability suite.
if [ ! -f "$BUILD/build.ninja" ]; then
    say "meson setup $BUILD"
    if ! meson setup "$BUILD" -Dunit_tests=enabled -Dfault_injection=true; then
        fail_step "meson setup"
        finish
    fi
elif ! meson configure "$BUILD" -Dunit_tests=enabled -Dfault_injection=true >/dev/null; then
    fail_step "meson configure $BUILD"
    finish
fi
say "meson compile -C $BUILD"
if ! meson compile -C "$BUILD"; then
    fail_step "build"
    finish
fi

# -- unit tests -----------------------------------------------------------------

say "unit tests"
rm -f "$LOGS/testlog.json"
meson test -C "$BUILD" --suite unit --print-errorlogs
unit_rc=$?
if [ -f "$LOGS/testlog.json" ]; then
    # One JSON object per test binary; a TAP binary's subtests are in its stdout.
    read -r up uf us < <("$PY" - "$LOGS/testlog.json" "$LOGS/unit-skips.txt" <<'EOF'
import json, re, sys

passed = failed = skipped = 0
skips = []
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    t = json.loads(line)
    ok = t.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
    plan = None
    seen = good = bad = skip = 0
    for l in (t.get("stdout") or "").splitlines():
        m = re.match(r"^1\.\.(\d+)", l)
        if m:
            plan = int(m.group(1))
            continue
        m = re.match(r"^(not )?ok\b(.*)$", l)
        if not m:
            continue
        seen += 1
        directive = m.group(2).upper()
        if "# SKIP" in directive:
            # "ok 3 - suite::test # SKIP reason"
            at = directive.index("# SKIP")
            name = re.sub(r"^\s*\d*\s*-?\s*", "", m.group(2)[:at]).strip()
            skips.append((name or t.get("name"), m.group(2)[at + len("# SKIP"):]))
            skip += 1
            continue
        if m.group(1) and "# TODO" not in directive:
            bad += 1
        else:
            good += 1
    if plan is not None and seen < plan:
        bad += plan - seen          # the binary stopped before reporting them
    if seen == 0 and plan is None:
        if t.get("result") == "SKIP":
            skips.append((t.get("name"), "the test binary skipped itself (exit status 77)"))
            skip = 1
        else:
            good, bad = (1, 0) if ok else (0, 1)
    elif not ok and bad == 0:
        bad = 1                     # crashed or timed out after its subtests
    passed += good
    failed += bad
    skipped += skip
    if not ok:
        print(f"unit: {t.get('name')}: {t.get('result')}", file=sys.stderr)
with open(sys.argv[2], "w") as out:
    for name, reason in skips:
        out.write(f"{name}\t{' '.join(reason.split())}\n")
print(passed, failed, skipped)
EOF
)
    up=${up:-0}; uf=${uf:-1}; us=${us:-0}
    say "unit: ${up} passed, ${uf} failed, ${us} skipped"
    total_passed=$((total_passed + up))
    total_failed=$((total_failed + uf))
    [ -f "$LOGS/unit-skips.txt" ] && add_skips unit <"$LOGS/unit-skips.txt"
elif [ "$unit_rc" -ne 0 ]; then
    fail_step "meson test --suite unit (no testlog.json)"
else
    say "unit: no unit tests were run"
fi

# -- conformance ----------------------------------------------------------------

say "conformance tests"
if [ "$(id -u)" -ne 0 ]; then
    fail_step "the conformance suite needs root"
    finish
fi
XML="$LOGS/conformance.xml"
rm -f "$XML"
# shellcheck disable=SC2086
BERTH="$BUILD/src/berth" PYTHONDONTWRITEBYTECODE=1 timeout "${CONFORMANCE_TIMEOUT:-3600}" \
    "$PY" -m pytest "$REPO/tests/oci-conformance" -p no:cacheprovider -q \
    --junitxml="$XML" ${PYTEST_ARGS:-}
count_junit_report conformance "$XML"

# -- differential (tests/differential) ---------------------------------------------
# The corpus (engine configs, runc spec, a pod), a fixed list of seeds of the
# config grammar and the error cases, each under runc and under berth; the probe's
# reports must match but for tests/differential/allowlist.  Under a minute.
# SKIP_DIFFERENTIAL=1 skips it.

if [ -n "${SKIP_DIFFERENTIAL:-}" ]; then
    skip_section differential "SKIP_DIFFERENTIAL is set"
else
    say "differential tests (runc against berth)"
    DXML="$LOGS/differential.xml"
    rm -f "$DXML"
    (cd "$REPO/tests/differential" &&
        BERTH="$BUILD/src/berth" PYTHONDONTWRITEBYTECODE=1 timeout "${DIFFERENTIAL_TIMEOUT:-1800}" \
        "$PY" -m pytest . -p no:cacheprovider -q --junitxml="$DXML")
    count_junit_report differential "$DXML"
fi

# -- reliability (tests/reliability) ----------------------------------------------
# Bad input, faults (BERTH_TEST_KILL_AT), racing commands and a soak of 1000
# containers, each test with leak accounting (mounts, cgroups, state entries,
# processes, zombies, temporary files).  About 5 to 8 minutes on 2 busy cores.
# SKIP_RELIABILITY=1 skips it; BERTH_SOAK_COUNT sizes the soak.

if [ -n "${SKIP_RELIABILITY:-}" ]; then
    skip_section reliability "SKIP_RELIABILITY is set"
else
    say "reliability tests"
    RXML="$LOGS/reliability.xml"
    RLOG="$LOGS/reliability.log"
    rm -f "$RXML"
    BERTH="$BUILD/src/berth" PYTHONDONTWRITEBYTECODE=1 timeout "${RELIABILITY_TIMEOUT:-3600}" \
        "$PY" -m pytest "$REPO/tests/reliability" -p no:cacheprovider -q \
        --junitxml="$RXML" 2>&1 | tee "$RLOG"
    soak=$(grep -E '^soak: ' "$RLOG" | tail -n 1)
    count_junit_report reliability "$RXML" "${soak:+; $soak}"
    counts=$(grep -E '^reliability: [0-9]+ cases tried, leaks found: [0-9]+$' "$RLOG" | tail -n 1)
    say "${counts:-reliability: no case count (see $RLOG)}"
fi

# -- engines (tests/integration) ---------------------------------------------------
# containerd (ctr --runc-binary berth) and Podman (--runtime berth) from Debian's
# packages, each with its own state directories; run.sh installs them, starts and
# stops the engines and checks nothing is left behind.  SKIP_ENGINES=1 skips it.

if [ -n "${SKIP_ENGINES:-}" ]; then
    skip_section "engine integration" "SKIP_ENGINES is set"
else
    say "engine integration tests"
    IT_LOG="$LOGS/integration.log"
    "$REPO/tests/integration/run.sh" --berth "$BUILD/src/berth" --out "$LOGS/integration" 2>&1 |
        tee "$IT_LOG"
    it_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$IT_LOG" | tail -n 1)
    if [ -n "$it_line" ]; then
        read -r ip if_ < <(sed -E 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/' <<<"$it_line")
        say "engine integration: ${ip} passed, ${if_} failed"
        total_passed=$((total_passed + ip))
        total_failed=$((total_failed + if_))
        # its TAP lines: "ok N - suite: test # SKIP reason"
        add_skips "engine integration" < <(sed -nE 's/^ok [0-9]+ - (.*) # SKIP ?(.*)$/\1\t\2/p' "$IT_LOG")
    else
        fail_step "the integration suite printed no summary (see $IT_LOG)"
    fi
fi

# -- cgroup v2 VM (tests/vm) -----------------------------------------------------
# Boots Debian's kernel (linux-image-amd64, fetched with apt-get download and
# unpacked into a cache: nothing is installed, /boot is not touched) in qemu
# with -machine accel=tcg, from an initramfs holding busybox, the static berth
# and the suite of tests/vm/ on a pure cgroup v2 hierarchy with every
# controller.  About 1.5 minutes.  SKIP_VM=1 skips it; VM_TIMEOUT is the VM's
# limit in seconds (default 900); the logs go to $LOGS/vm/.

if [ -n "${SKIP_VM:-}" ]; then
    skip_section "cgroup v2 VM" "SKIP_VM is set"
else
    say "cgroup v2 VM tests"
    vm_ready=1
    if ! command -v qemu-system-x86_64 >/dev/null; then
        if [ -n "${SKIP_APT:-}" ]; then
            fail_step "qemu-system-x86_64 is missing (SKIP_APT is set)"
            vm_ready=""
        elif ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-system-x86; then
            # the package lists may be older than the mirror
            if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
                   DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-system-x86; }; then
                fail_step "apt-get install qemu-system-x86"
                vm_ready=""
            fi
        fi
    fi
    if [ -n "$vm_ready" ]; then
        VM_LOG="$LOGS/vm.log"
        "$REPO/tests/vm/run.sh" --berth "$BUILD/src/berth" --out "$LOGS/vm" 2>&1 | tee "$VM_LOG"
        vm_line=$(grep -E '^vm: [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$VM_LOG" | tail -n 1)
        if [ -n "$vm_line" ]; then
            read -r vp vf vs < <(sed -E 's/^vm: ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$/\1 \2 \4/' <<<"$vm_line")
            say "cgroup v2 VM: ${vp} passed, ${vf} failed, ${vs:-0} skipped"
            total_passed=$((total_passed + vp))
            total_failed=$((total_failed + vf))
            # its TAP lines: "ok N - test # SKIP reason"
            add_skips "cgroup v2 VM" < <(sed -nE 's/^ok [0-9]+ - (.*) # SKIP ?(.*)$/\1\t\2/p' "$VM_LOG")
        else
            fail_step "the VM suite printed no summary (see $VM_LOG)"
        fi
    fi
fi

# Runs one of the suites that end with "<name>: N passed, N failed" and adds
# its counts; its "<name> summary:" line is repeated after it.
run_counted_suite() {
    local name=$1 log=$2 line p f
    shift 2
    "$@" 2>&1 | tee "$log"
    line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed$" "$log" | tail -n 1)
    if [ -z "$line" ]; then
        fail_step "$name printed no summary (see $log)"
        return
    fi
    read -r p f < <(sed -E "s/^$name: ([0-9]+) passed, ([0-9]+) failed$/\\1 \\2/" <<<"$line")
    grep -E "^$name summary:" "$log" | tail -n 1 | sed 's/^/==> /'
    say "$name: ${p} passed, ${f} failed"
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
}

# -- sanitizers (tests/sanitize) --------------------------------------------------
# The unit and conformance suites against an ASan + UBSan (+ LSan) build of berth
# in its own directory ($ASAN_BUILD_DIR, default build-asan: build/ stays as the
# suites above used it), and the parser unit tests of build/ under valgrind
# memcheck.  Each sanitizer report and each valgrind error is a failure.
# About 16 minutes on 2 cores without ccache, most of it the sanitized build and
# conformance suite (numbers in tests/sanitize/README.md).  SKIP_SANITIZE=1 skips
# it; the logs go to build-asan/sanitize-logs/.

if [ -n "${SKIP_SANITIZE:-}" ]; then
    skip_section sanitizers "SKIP_SANITIZE is set"
elif [ "$(id -u)" -ne 0 ]; then
    fail_step "the sanitizer suite needs root (its conformance run)"
else
    say "sanitizers: unit + conformance under ASan + UBSan, parser tests under valgrind"
    run_counted_suite sanitize "$LOGS/sanitize.log" \
        env BUILD_DIR="$BUILD" "$REPO/tests/sanitize/run.sh"
fi

# -- fuzzing (tests/fuzz) ---------------------------------------------------------
# libFuzzer targets for the config parser and the seccomp / mount option
# translation, built with clang 16 + ASan + UBSan in their own directory
# ($FUZZ_BUILD_DIR, default build-fuzz): the kept crashers and the seed corpus
# are replayed, then each target is fuzzed FUZZ_TIME seconds (default here 60;
# the two run side by side).  A crash, leak, timeout or sanitizer report is a
# failure and its input is kept in tests/fuzz/crashers/.  SKIP_FUZZ=1 skips it.

if [ -n "${SKIP_FUZZ:-}" ]; then
    skip_section fuzzing "SKIP_FUZZ is set"
else
    say "fuzzing"
    run_counted_suite fuzz "$LOGS/fuzz.log" env FUZZ_TIME="${FUZZ_TIME:-60}" "$REPO/tests/fuzz/run.sh"
fi

finish
