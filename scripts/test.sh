#!/usr/bin/env bash
# Installs everything (scripts/setup.sh), then runs the whole test suite:
# ruff, mypy (strict on audio_engine/ and sync/) and pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
echo "== ruff"
.venv/bin/ruff check .
echo "== mypy (strict: audio_engine, sync)"
.venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest -q -ra "$@"
