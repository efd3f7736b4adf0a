#!/usr/bin/env bash
# The inner loop: build, the unit tests and a conformance smoke (the command
# line and the lifecycle), in about two minutes after the first build. Run
# tests/run-all.sh before you push: it runs every suite.
#
#   tests/quick.sh               # build/ (made on first use)
#   BUILD_DIR=b tests/quick.sh   # another build directory
#   tests/quick.sh -k exec       # extra arguments go to pytest
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build}

[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" "$REPO" -Dunit_tests=enabled
meson compile -C "$BUILD"
meson test -C "$BUILD" --suite unit --print-errorlogs
# /usr/bin/python3: a python from pyenv or a venv on PATH may lack pytest.
BERTH="$BUILD/src/berth" /usr/bin/python3 -m pytest -q -p no:cacheprovider -x \
    "$REPO/tests/oci-conformance/test_cli.py" "$REPO/tests/oci-conformance/test_lifecycle.py" "$@"
