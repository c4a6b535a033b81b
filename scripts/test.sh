#!/usr/bin/env bash
# Installs everything (scripts/setup.sh), then runs the whole test suite:
# ruff, mypy (strict on audio_engine/ and sync/), then pytest with the frozen bundle's build and smoke test
# (packaging/ci.sh) beside it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
echo "== ruff"
.venv/bin/ruff check .
echo "== mypy (strict: audio_engine, sync)"
.venv/bin/mypy
# The frozen bundle's build (when its cache key changed) and smoke test run beside pytest: the build
# is mostly one process waiting on the disk, pytest mostly waits on PostgreSQL, HTTP and Qt timers.
echo "== frozen bundle: build when needed (cached in ~/.cache/mashups-build), then smoke-test it (beside pytest)"
PKG_LOG=$(mktemp "${TMPDIR:-/tmp}/mashups-packaging.XXXXXX")
nice -n 10 packaging/ci.sh > "$PKG_LOG" 2>&1 &  # pytest first: the build only has to end before it
PKG_PID=$!
# The Xvfb soak test (a minute of playback on a real X server, mostly waiting) runs beside the rest too
# when the whole suite runs; its own pytest, its own log, printed after.
SOAK=tests/studio/test_soak_xvfb.py
SOAK_PID=""
PYTEST_ARGS=("$@")
if [ "$#" -eq 0 ]; then
  SOAK_LOG=$(mktemp "${TMPDIR:-/tmp}/mashups-soak.XXXXXX")
  .venv/bin/python -m pytest -q -ra "$SOAK" > "$SOAK_LOG" 2>&1 &
  SOAK_PID=$!
  PYTEST_ARGS=(--ignore="$SOAK")
fi
echo "== pytest"
set +e
.venv/bin/python -m pytest -q -ra --durations=30 "${PYTEST_ARGS[@]}"
TESTS_RC=$?
SOAK_RC=0
if [ -n "$SOAK_PID" ]; then
  wait "$SOAK_PID"
  SOAK_RC=$?
fi
wait "$PKG_PID"
PKG_RC=$?
set -e
if [ -n "$SOAK_PID" ]; then
  echo "== soak on a real X server ($SOAK, exit $SOAK_RC)"
  cat "$SOAK_LOG"
  rm -f "$SOAK_LOG"
fi
echo "== frozen bundle (packaging/ci.sh, exit $PKG_RC)"
cat "$PKG_LOG"
rm -f "$PKG_LOG"
[ "$PKG_RC" -eq 0 ] || { echo "packaging/ci.sh failed" >&2; exit "$PKG_RC"; }
[ "$SOAK_RC" -eq 0 ] || { echo "the soak test failed" >&2; exit "$SOAK_RC"; }
exit "$TESTS_RC"
