#!/usr/bin/env bash
# Installs everything (scripts/setup.sh), then runs the whole test suite:
# ruff, mypy (strict on audio_engine/ and sync/), the frozen bundle's smoke test (packaging/ci.sh) and pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
echo "== ruff"
.venv/bin/ruff check .
echo "== mypy (strict: audio_engine, sync)"
.venv/bin/mypy
echo "== frozen bundle: build when needed (cached in ~/.cache/mashups-build), then smoke-test it"
packaging/ci.sh
echo "== pytest"
.venv/bin/python -m pytest -q -ra --durations=30 "$@"
