# TAP counting shared by the section runners (tests/fuzz/run.sh,
# tests/sanitize/run.sh): source it, then report each step with ok/not_ok; the
# runner prints "<section>: $passed passed, $failed failed" at its end.
# shellcheck shell=bash

passed=0
failed=0
count=0

say() { printf '==> %s\n' "$*"; }
ok() {
    count=$((count + 1))
    passed=$((passed + 1))
    echo "ok $count - $*"
}
not_ok() {
    count=$((count + 1))
    failed=$((failed + 1))
    echo "not ok $count - $*"
}
