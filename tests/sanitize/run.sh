#!/usr/bin/env bash
# Runs berth's tests under memory and undefined-behaviour checkers:
#   1. builds berth and the unit tests with ASan + UBSan (g++, -Dstatic=false:
#      the sanitizer runtimes are shared libraries) in ASAN_BUILD_DIR and runs
#      the unit suite there, one test per Criterion subtest;
#   2. runs the conformance suite (tests/oci-conformance, as root) against that
#      sanitized berth, LeakSanitizer on, one test per pytest test;
#   3. runs the parser unit tests (test_json, test_spec_*) of the normal build
#      under valgrind memcheck, one test per binary: every process must report
#      zero errors and no definite leak.
# Every sanitizer report fails the run, also one from a process whose exit
# status no test looks at: reports go to files (ASAN_OPTIONS log_path), and
# each file counts as one failure.
#
# Prints one "ok/not ok" line per step and ends with "sanitize: N passed,
# N failed"; the exit status is non-zero if anything failed.
#
# Environment:
#   ASAN_BUILD_DIR       the sanitized build (default <repo>/build-asan)
#   BUILD_DIR            the normal build, for valgrind (default <repo>/build;
#                        built here when it is not)
#   SKIP_CONFORMANCE=1   skip step 2 (it needs root)
#   PYTEST_ARGS          extra pytest arguments for step 2
#   CONFORMANCE_TIMEOUT  seconds for step 2 (default 3600)
#   SKIP_APT=1           never call apt-get (otherwise valgrind is installed
#                        when missing and this runs as root)

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ASAN_BUILD=${ASAN_BUILD_DIR:-$REPO/build-asan}
BUILD=${BUILD_DIR:-$REPO/build}
PY=/usr/bin/python3
LOGS="$ASAN_BUILD/sanitize-logs"

# shellcheck source=../tap.sh
. "$REPO/tests/tap.sh"
# Adds counts that a step computed for itself ("P F").
add_counts() {
    passed=$((passed + $1))
    failed=$((failed + $2))
}
# The section's own numbers, for the summary line.
unit_summary="not run"
conformance_summary="not run"
valgrind_errors=0
valgrind_summary="not run"
SECONDS=0
started=$SECONDS
took() { echo "$((SECONDS - started)) s"; }
finish() {
    echo "sanitize summary: unit ${unit_summary}; conformance ${conformance_summary};" \
        "ASan/UBSan/LSan reports ${reports}; valgrind ${valgrind_summary}, ${valgrind_errors} errors"
    echo "sanitize: ${passed} passed, ${failed} failed"
    [ "$failed" -eq 0 ]
    exit
}

# What a sanitizer prints when it finds something (or cannot write its report
# to log_path, e.g. in a process that has pivoted into a container's rootfs:
# then the report goes to stderr).
REPORT_PATTERN='ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:|ERROR: Can.t open file'
reports=0

# Each sanitizer report under $LOGS/reports (asan.<pid>, ubsan.<pid>) is one
# failure, and so is each report that reached the step's output ($2) instead;
# the first lines of each are shown.
count_reports() {
    local what=$1 output=$2 report n=0 on_stderr=0
    for report in "$LOGS/reports"/*; do
        [ -f "$report" ] || continue
        n=$((n + 1))
        say "sanitizer report during $what: $report"
        grep -m 1 -E 'ERROR|runtime error' "$report" | head -c 400
        echo
    done
    if [ -f "$output" ]; then
        on_stderr=$(grep -c -E "$REPORT_PATTERN" "$output")
        [ "$on_stderr" -eq 0 ] || grep -m 5 -E "$REPORT_PATTERN" "$output"
    fi
    n=$((n + on_stderr))
    reports=$((reports + n))
    if [ "$n" -eq 0 ]; then
        ok "$what: no sanitizer reports"
    else
        not_ok "$what: $n sanitizer reports (in $LOGS/reports-$what, $on_stderr in $output)"
        add_counts 0 $((n - 1))
        mkdir -p "$LOGS/reports-$what"
        mv "$LOGS/reports"/* "$LOGS/reports-$what/" 2>/dev/null
    fi
}

if ! command -v valgrind >/dev/null && [ -z "${SKIP_APT:-}" ] && [ "$(id -u)" -eq 0 ]; then
    say "installing valgrind"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends valgrind >/dev/null ||
        { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
          DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends valgrind >/dev/null; }
fi

cd "$REPO" || exit 1

# -- the sanitized build --------------------------------------------------------

if [ ! -f "$ASAN_BUILD/build.ninja" ]; then
    say "meson setup $ASAN_BUILD (ASan + UBSan)"
    # -fno-sanitize-recover: a UBSan finding ends the process like an ASan one,
    # instead of a line on stderr that a passing test would hide. g++ 12 warns
    # maybe-uninitialized wrongly when the sanitizers instrument std::optional.
    if ! meson setup "$ASAN_BUILD" -Db_sanitize=address,undefined -Dstatic=false \
        -Dunit_tests=enabled -Dfault_injection=true -Dbuildtype=debugoptimized \
        -Dcpp_args='-fno-sanitize-recover=all -Wno-maybe-uninitialized' >"$REPO/.sanitize-setup.log" 2>&1; then
        cat "$REPO/.sanitize-setup.log"
        rm -f "$REPO/.sanitize-setup.log"
        not_ok "sanitized build: meson setup"
        finish
    fi
    rm -f "$REPO/.sanitize-setup.log"
fi
say "building $ASAN_BUILD"
started=$SECONDS
if ! ninja -C "$ASAN_BUILD" >"$ASAN_BUILD/sanitize-build.log" 2>&1; then
    tail -n 50 "$ASAN_BUILD/sanitize-build.log"
    not_ok "sanitized build: ninja (see $ASAN_BUILD/sanitize-build.log)"
    finish
fi
say "built $ASAN_BUILD in $(took)"
rm -rf "$LOGS"
mkdir -p "$LOGS/reports"

# detect_leaks: LSan checks each unit test process at exit. allocator_may_return_null:
# tests that set RLIMIT_AS see malloc fail rather than ASan abort.
asan_options="halt_on_error=1:abort_on_error=0:allocator_may_return_null=1:log_path=$LOGS/reports/asan"
export ASAN_OPTIONS="detect_leaks=1:$asan_options"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$LOGS/reports/ubsan"

# -- 1. unit tests under ASan + UBSan -------------------------------------------

say "unit tests (ASan + UBSan)"
started=$SECONDS
rm -f "$ASAN_BUILD/meson-logs/testlog.json"
meson test -C "$ASAN_BUILD" --suite unit --print-errorlogs >"$LOGS/unit.log" 2>&1
if [ -f "$ASAN_BUILD/meson-logs/testlog.json" ]; then
    # A binary's TAP subtests each count once; a binary that died before its
    # plan was done counts the missing ones as failures.
    read -r up uf < <("$PY" - "$ASAN_BUILD/meson-logs/testlog.json" <<'EOF'
import json
import re
import sys

good = bad = 0
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    record = json.loads(line)
    passed_binary = record.get("result") in ("OK", "SKIP", "EXPECTEDFAIL")
    planned = None
    ok_lines = failed_lines = 0
    for out in (record.get("stdout") or "").splitlines():
        plan = re.match(r"^1\.\.(\d+)", out)
        if plan:
            planned = int(plan.group(1))
        result = re.match(r"^(not )?ok\b(.*)$", out)
        if result:
            if result.group(1) and "# TODO" not in result.group(2).upper():
                failed_lines += 1
            else:
                ok_lines += 1
    if planned is not None and ok_lines + failed_lines < planned:
        failed_lines += planned - ok_lines - failed_lines
    if ok_lines + failed_lines == 0:
        ok_lines, failed_lines = (1, 0) if passed_binary else (0, 1)
    elif not passed_binary and failed_lines == 0:
        failed_lines = 1
    if not passed_binary:
        print(f"unit: {record.get('name')}: {record.get('result')}", file=sys.stderr)
    good += ok_lines
    bad += failed_lines
print(good, bad)
EOF
)
    up=${up:-0}
    uf=${uf:-1}
    unit_summary="$up passed, $uf failed"
    # One line for the step; every subtest counts in the totals.
    if [ "$uf" -eq 0 ]; then
        ok "unit tests under ASan + UBSan: $up passed"
        add_counts $((up > 0 ? up - 1 : 0)) 0
    else
        grep -E '^(not ok|unit:)|ERROR|runtime error' "$LOGS/unit.log" | head -n 30
        not_ok "unit tests under ASan + UBSan: $uf of $((up + uf)) failed (see $LOGS/unit.log)"
        add_counts "$up" $((uf - 1))
    fi
else
    not_ok "unit tests under ASan + UBSan: meson test wrote no testlog.json"
fi
say "unit tests took $(took)"
count_reports unit "$LOGS/unit.log"

# -- 2. conformance against the sanitized berth ---------------------------------

if [ -n "${SKIP_CONFORMANCE:-}" ]; then
    say "conformance: skipped (SKIP_CONFORMANCE is set)"
elif [ "$(id -u)" -ne 0 ]; then
    not_ok "conformance under ASan + UBSan: needs root"
else
    say "conformance tests against $ASAN_BUILD/src/berth"
    started=$SECONDS
    # LSan checks every berth command at its exit, as in the unit tests. (It
    # once could not after `berth exec` or a create that joins a pid namespace:
    # LSan stops the world from a tracer that it clones, and berth's children
    # were born in the container's pid namespace after the setns, where the
    # tracer cannot see its parent; it quit and berth spun at exit, waiting for
    # it. berth now gives its own pid namespace back to its children after the
    # clone: see OwnPidNamespace in libberth/process/namespaces.hpp.)
    # The container's init is a clone of berth that execs or _exits, and is
    # never checked.
    export ASAN_OPTIONS="detect_leaks=1:$asan_options"
    XML="$LOGS/conformance.xml"
    # shellcheck disable=SC2086
    BERTH="$ASAN_BUILD/src/berth" PYTHONDONTWRITEBYTECODE=1 \
        timeout "${CONFORMANCE_TIMEOUT:-3600}" "$PY" -m pytest "$REPO/tests/oci-conformance" \
        -p no:cacheprovider -q --junitxml="$XML" ${PYTEST_ARGS:-} >"$LOGS/conformance.log" 2>&1
    if [ -f "$XML" ]; then
        read -r cp cf cs < <("$PY" - "$XML" <<'EOF'
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
total = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(total - bad - skipped, bad, skipped)
EOF
)
        conformance_summary="$cp passed, $cf failed, $cs skipped"
        if [ "$cf" -eq 0 ]; then
            ok "conformance under ASan + UBSan: $cp passed, $cs skipped"
            add_counts $((cp > 0 ? cp - 1 : 0)) 0
        else
            grep -E '^(FAILED|ERROR) ' "$LOGS/conformance.log" | head -n 30
            not_ok "conformance under ASan + UBSan: $cf failed (see $LOGS/conformance.log)"
            add_counts "$cp" $((cf - 1))
        fi
    else
        tail -n 20 "$LOGS/conformance.log"
        not_ok "conformance under ASan + UBSan: pytest wrote no report"
    fi
    say "conformance tests took $(took)"
    count_reports conformance "$LOGS/conformance.log"
fi

unset ASAN_OPTIONS UBSAN_OPTIONS

# -- 3. parser tests under valgrind ---------------------------------------------

if ! command -v valgrind >/dev/null; then
    not_ok "valgrind: not installed"
    finish
fi
if [ ! -f "$BUILD/build.ninja" ]; then
    say "meson setup $BUILD"
    meson setup "$BUILD" -Dunit_tests=enabled >"$LOGS/normal-setup.log" 2>&1 ||
        { not_ok "valgrind: meson setup $BUILD"; finish; }
fi
say "building the parser tests in $BUILD"
parser_tests=(test_json)
for source in "$REPO"/tests/unit/test_spec_*.cpp; do
    parser_tests+=("$(basename "$source" .cpp)")
done
if ! ninja -C "$BUILD" "${parser_tests[@]/#/tests/unit/}" >"$LOGS/normal-build.log" 2>&1; then
    tail -n 30 "$LOGS/normal-build.log"
    not_ok "valgrind: building ${parser_tests[*]}"
    finish
fi
say "valgrind memcheck on ${parser_tests[*]}"
started=$SECONDS
valgrind_processes=0
for test in "${parser_tests[@]}"; do
    dir="$LOGS/valgrind/$test"
    mkdir -p "$dir"
    # Criterion runs each test in a child of its own: follow them all, one log
    # a process.
    valgrind --tool=memcheck --trace-children=yes --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite --log-file="$dir/%p.log" \
        "$BUILD/tests/unit/$test" --tap -j1 >"$dir/output.txt" 2>&1
    rc=$?
    subtests=$(grep -c '^ok ' "$dir/output.txt")
    dirty=$(grep -L 'ERROR SUMMARY: 0 errors' "$dir"/*.log | wc -l)
    errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$dir"/*.log | tr -d , |
        awk '{ n += $1 } END { print n + 0 }')
    valgrind_errors=$((valgrind_errors + errors))
    valgrind_processes=$((valgrind_processes + $(find "$dir" -name '*.log' | wc -l)))
    if [ "$rc" -eq 0 ] && [ "$dirty" -eq 0 ] && ! grep -q '^not ok' "$dir/output.txt"; then
        ok "valgrind $test: $subtests subtests, 0 errors"
    else
        grep -h -A 12 -E '== (Invalid|Conditional|Use of|Mismatched|[0-9,]+ bytes .* definitely)' \
            "$dir"/*.log | head -n 40
        not_ok "valgrind $test: exit $rc, $errors errors in $dirty processes (see $dir)"
    fi
done
valgrind_summary="${#parser_tests[@]} parser test binaries, $valgrind_processes processes in $(took)"

finish
