#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan, libFuzzer's
# coverage instrumentation on all of libberth) and, for each target:
#   1. replays every kept crasher (tests/fuzz/crashers/<target>/*), one test
#      each, then the seed corpus (tests/fuzz/corpus/<target>/), one test;
#   2. fuzzes for FUZZ_TIME seconds from the seeds plus what earlier runs in
#      the same build directory found, one test: it fails on a crash, a
#      sanitizer report, a leak, a timeout or an out-of-memory, and the input
#      that caused it is kept as tests/fuzz/crashers/<target>/<kind>-<sha1>,
#      to be replayed first from then on (commit it with the fix).
# The targets run side by side (one core each).
#
# Prints one "ok N - ..." / "not ok N - ..." line per test and ends with
# "fuzz: N passed, N failed"; the exit status is non-zero if anything failed.
#
# Environment:
#   FUZZ_TIME       seconds of fuzzing per target (default 60; 0 only replays)
#   FUZZ_BUILD_DIR  build directory (default <repo>/build-fuzz); the corpus each
#                   run grows is kept in it (corpus/<target>)
#   FUZZ_CXX        the clang++ to build with (default: clang++-16, or clang++
#                   when it is 16 or newer)
#   FUZZ_ARGS       extra libFuzzer flags for the fuzzing runs
#   SKIP_APT=1      never call apt-get (otherwise, as root, clang-16 and
#                   libclang-rt-16-dev are installed when missing)

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FUZZ_DIR="$REPO/tests/fuzz"
BUILD=${FUZZ_BUILD_DIR:-$REPO/build-fuzz}
FUZZ_TIME=${FUZZ_TIME:-60}
TARGETS=(fuzz_config fuzz_translate)

# shellcheck source=../tap.sh
. "$REPO/tests/tap.sh"
# The section's own numbers, for the summary line.
replayed=0
total_runs=0
crashes=0
SECONDS=0
finish() {
    echo "fuzz summary: ${#TARGETS[@]} targets, ${replayed} kept inputs replayed," \
        "${total_runs} fuzzing runs (${FUZZ_TIME} s a target), ${crashes} crashes, ${SECONDS} s"
    echo "fuzz: ${passed} passed, ${failed} failed"
    [ "$failed" -eq 0 ]
    exit
}

# clang 14 (Debian 12's default) lacks what libstdc++'s std::expected needs.
clang_is_new_enough() {
    local major
    major=$("$1" -dumpversion 2>/dev/null | cut -d. -f1)
    [ -n "$major" ] && [ "$major" -ge 16 ]
}

find_clang() {
    if [ -n "${FUZZ_CXX:-}" ]; then
        echo "$FUZZ_CXX"
        return
    fi
    local candidate
    for candidate in clang++-16 clang++; do
        if command -v "$candidate" >/dev/null && clang_is_new_enough "$candidate"; then
            echo "$candidate"
            return
        fi
    done
}

# libFuzzer and the sanitizer runtimes are in libclang-rt-16-dev, which clang-16
# only recommends.
ensure_clang() {
    CXX_FUZZ=$(find_clang)
    if [ -n "$CXX_FUZZ" ] && [ -e "$("$CXX_FUZZ" -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]; then
        return 0
    fi
    if [ -n "${SKIP_APT:-}" ] || [ "$(id -u)" -ne 0 ]; then
        say "clang 16 with libFuzzer is missing (install clang-16 libclang-rt-16-dev)"
        return 1
    fi
    say "installing clang-16 libclang-rt-16-dev"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        clang-16 libclang-rt-16-dev >/dev/null ||
        { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
          DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
              clang-16 libclang-rt-16-dev >/dev/null; } || return 1
    CXX_FUZZ=$(find_clang)
    [ -n "$CXX_FUZZ" ]
}

if ! ensure_clang; then
    not_ok "build: no clang 16 with libFuzzer"
    finish
fi

# -- build ----------------------------------------------------------------------

cd "$REPO" || exit 1
if [ ! -f "$BUILD/build.ninja" ]; then
    say "meson setup $BUILD (CXX=$CXX_FUZZ)"
    # Sanitizer findings must stop the run (libFuzzer then keeps the input):
    # UBSan would otherwise print and carry on.
    if ! CXX=$CXX_FUZZ meson setup "$BUILD" -Dfuzz=enabled -Dstatic=false \
        -Dunit_tests=disabled -Dbuildtype=debugoptimized -Db_ndebug=false \
        -Db_sanitize=address,undefined -Dcpp_args=-fno-sanitize-recover=all \
        >"$BUILD.setup.log" 2>&1; then
        cat "$BUILD.setup.log"
        rm -f "$BUILD.setup.log"
        not_ok "build: meson setup"
        finish
    fi
    mv "$BUILD.setup.log" "$BUILD/meson-logs/setup-output.log"
fi
say "building ${TARGETS[*]}"
build_started=$SECONDS
if ! ninja -C "$BUILD" "${TARGETS[@]/#/tests/fuzz/}" >"$BUILD/fuzz-build.log" 2>&1; then
    tail -n 50 "$BUILD/fuzz-build.log"
    not_ok "build: ninja (see $BUILD/fuzz-build.log)"
    finish
fi

say "built in $((SECONDS - build_started)) s"

# halt_on_error: a UBSan report is a failure, never a warning.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# -- replay ---------------------------------------------------------------------

# Runs `target` once over the given files; libFuzzer stops at the first one
# that fails. The output goes to `log`.
replay() {
    local target=$1 log=$2
    shift 2
    "$BUILD/tests/fuzz/$target" -timeout=30 -rss_limit_mb=2048 "$@" >"$log" 2>&1
}

for target in "${TARGETS[@]}"; do
    mkdir -p "$BUILD/logs"
    for input in "$FUZZ_DIR/crashers/$target"/*; do
        [ -f "$input" ] || continue
        name=${input#"$FUZZ_DIR/"}
        replayed=$((replayed + 1))
        if replay "$target" "$BUILD/logs/replay.log" "$input"; then
            ok "$target: regression input $name"
        else
            sed -n '/ERROR\|runtime error\|fuzz_.*:/p' "$BUILD/logs/replay.log" | head -n 20
            not_ok "$target: regression input $name"
            crashes=$((crashes + 1))
        fi
    done
    seeds=("$FUZZ_DIR/corpus/$target"/*)
    replayed=$((replayed + ${#seeds[@]}))
    if replay "$target" "$BUILD/logs/replay.log" "${seeds[@]}"; then
        ok "$target: ${#seeds[@]} seed inputs"
    else
        sed -n '/ERROR\|runtime error\|fuzz_.*:\|Running:/p' "$BUILD/logs/replay.log" | tail -n 20
        not_ok "$target: seed inputs (see $BUILD/logs/replay.log)"
        crashes=$((crashes + 1))
    fi
done

# -- fuzz -----------------------------------------------------------------------

if [ "$FUZZ_TIME" -le 0 ]; then
    say "FUZZ_TIME is 0: replay only"
    finish
fi

# The grown corpus comes first: libFuzzer adds new inputs to the first
# directory, and the repository's seeds stay as they are.
fuzz_one() {
    local target=$1
    local corpus="$BUILD/corpus/$target" artifacts="$BUILD/artifacts/$target/"
    mkdir -p "$corpus" "$artifacts"
    rm -f "$artifacts"*
    # shellcheck disable=SC2086
    "$BUILD/tests/fuzz/$target" -max_total_time="$FUZZ_TIME" -timeout=10 -rss_limit_mb=2048 \
        -max_len=8192 -dict="$FUZZ_DIR/config.dict" -print_final_stats=1 \
        -artifact_prefix="$artifacts" ${FUZZ_ARGS:-} "$corpus" "$FUZZ_DIR/corpus/$target" \
        >"$BUILD/logs/$target.log" 2>&1
}

say "fuzzing ${TARGETS[*]} for ${FUZZ_TIME} s each"
pids=()
for target in "${TARGETS[@]}"; do
    fuzz_one "$target" &
    pids+=($!)
done
for i in "${!TARGETS[@]}"; do
    target=${TARGETS[$i]}
    wait "${pids[$i]}"
    rc=$?
    log="$BUILD/logs/$target.log"
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    corpus_size=$(find "$BUILD/corpus/$target" -type f | wc -l)
    kept=()
    for artifact in "$BUILD/artifacts/$target"/*; do
        [ -f "$artifact" ] || continue
        kind=$(basename "$artifact" | cut -d- -f1)
        case $kind in
        crash | leak | timeout | oom) ;;
        *) continue ;; # slow-unit: a note, not a failure
        esac
        mkdir -p "$FUZZ_DIR/crashers/$target"
        dest="$FUZZ_DIR/crashers/$target/$kind-$(sha1sum "$artifact" | cut -c1-40)"
        cp "$artifact" "$dest"
        kept+=("${dest#"$REPO/"}")
    done
    total_runs=$((total_runs + ${runs:-0}))
    crashes=$((crashes + ${#kept[@]}))
    [ "$rc" -eq 0 ] || [ "${#kept[@]}" -gt 0 ] || crashes=$((crashes + 1)) # died without an artifact
    summary="$target: ${runs:-?} runs in ${FUZZ_TIME} s, ${#kept[@]} crashes, corpus ${corpus_size}"
    if [ "$rc" -eq 0 ] && [ "${#kept[@]}" -eq 0 ]; then
        ok "$summary"
    else
        grep -E 'ERROR|runtime error|^fuzz_|SUMMARY' "$log" | head -n 20
        for k in "${kept[@]}"; do say "kept $k"; done
        not_ok "$summary (exit $rc, see $log)"
    fi
done

finish
