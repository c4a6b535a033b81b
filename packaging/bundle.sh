#!/usr/bin/env bash
# Build the one-folder bundle when needed and print its path (last line of stdout).
#
#   packaging/bundle.sh            uses the checkout's .venv
#
# The bundle is cached outside the repository in $MASHUPS_BUILD_CACHE
# (default ~/.cache/mashups-build), keyed by `packaging/buildkey.py base`:
# constraints.txt, pyproject.toml, LICENSE, the spec, hooks and rules, the
# Python version and the set of third-party modules our code imports. A new key
# means a full PyInstaller build; the same key with changed own code or
# resources only recompiles those into the cached bundle (the files a full
# build would write). The two newest bundles are kept. MASHUPS_BUNDLE_FULL=1
# forces a full build (the release workflow uses it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-.venv/bin/python}
CACHE=${MASHUPS_BUILD_CACHE:-$HOME/.cache/mashups-build}
mkdir -p "$CACHE"
t0=$(date +%s)

BASE=$($PY packaging/buildkey.py base)
SRC=$($PY packaging/buildkey.py source)
ENTRY="$CACHE/$BASE"
BUNDLE="$ENTRY/mashups"
[ "${MASHUPS_BUNDLE_FULL:-0}" = 1 ] && rm -rf "$ENTRY"

if [ ! -x "$BUNDLE/mashups" ] && [ ! -x "$BUNDLE/mashups.exe" ]; then
    echo "== bundle: full PyInstaller build (key $BASE)" >&2
    TMP="$CACHE/tmp-$$"
    rm -rf "$TMP"
    mkdir -p "$TMP/entry"
    # The work folder stays between builds (PyInstaller's own caches).
    $PY -m PyInstaller --noconfirm --log-level WARN --distpath "$TMP/dist" --workpath "$CACHE/work" \
        packaging/mashups.spec >&2
    mv "$TMP/dist/mashups" "$TMP/entry/mashups"
    if [ -d "$TMP/dist/Mashups Studio.app" ]; then mv "$TMP/dist/Mashups Studio.app" "$TMP/entry/"; fi
    cp "$CACHE/work/mashups/trim-report.json" "$TMP/entry/" 2>/dev/null || true
    echo "$SRC" > "$TMP/entry/source-key"
    $PY packaging/buildkey.py imports > "$TMP/entry/imports.txt"  # what the key covered (diagnosis)
    rm -rf "$ENTRY"
    mv "$TMP/entry" "$ENTRY"
    rm -rf "$TMP"
    echo "== bundle: built in $(( $(date +%s) - t0 )) s" >&2
elif [ "$(cat "$ENTRY/source-key" 2>/dev/null)" != "$SRC" ]; then
    echo "== bundle: cached (key $BASE); refreshing our own code and resources" >&2
    $PY packaging/buildkey.py refresh "$BUNDLE"
    echo "$SRC" > "$ENTRY/source-key"
else
    echo "== bundle: cached (key $BASE), up to date" >&2
fi
touch "$ENTRY"
# Keep the two newest bundles (and the work folder).
for old in $(ls -1dt "$CACHE"/*/ 2>/dev/null | grep -v '/work/$' | tail -n +3); do rm -rf "$old"; done
echo "$BUNDLE"
