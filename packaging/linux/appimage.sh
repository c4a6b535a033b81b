#!/usr/bin/env bash
# AppImage from the bundle: packaging/linux/appimage.sh [BUNDLE_DIR]
#   -> dist/mashups-studio-<version>-<arch>.AppImage
# Stages the AppDir (AppRun, desktop entry, icon, the bundle) and runs appimagetool.
# appimagetool is not in Debian or PyPI: the release workflow downloads it from
# github.com/AppImage/appimagetool; set APPIMAGETOOL to its path. Without it the
# AppDir is left in dist/ and the script says so (exit 0).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PY=${PYTHON:-.venv/bin/python}
BUNDLE=${1:-$(packaging/bundle.sh | tail -1)}
VERSION=$($PY -c "import audio_engine; print(audio_engine.__version__)")
ARCH=$(uname -m)
APPDIR="dist/MashupsStudio.AppDir"
rm -rf "$APPDIR"
mkdir -p "$APPDIR/usr/lib/mashups-studio" "$APPDIR/usr/share/metainfo"
cp -a "$BUNDLE/." "$APPDIR/usr/lib/mashups-studio/"
cat > "$APPDIR/AppRun" <<'RUN'
#!/bin/sh
# `mashups-studio.AppImage` opens the studio; `… cli ARGS` (or a symlink named mashups) runs the CLI.
HERE=$(dirname "$(readlink -f "$0")")
if [ "$1" = "cli" ]; then shift; exec "$HERE/usr/lib/mashups-studio/mashups" "$@"; fi
case "$(basename "${ARGV0:-$0}")" in mashups|mashups-*.AppImage-cli) exec "$HERE/usr/lib/mashups-studio/mashups" "$@";; esac
exec "$HERE/usr/lib/mashups-studio/mashups-studio" "$@"
RUN
chmod +x "$APPDIR/AppRun"
sed 's|^Exec=.*|Exec=mashups-studio %F|' packaging/linux/mashups-studio.desktop > "$APPDIR/mashups-studio.desktop"
cp packaging/icons/mashups.png "$APPDIR/mashups-studio.png"
cp packaging/linux/studio.mashups.MashupsStudio.metainfo.xml "$APPDIR/usr/share/metainfo/"
OUT="dist/mashups-studio-$VERSION-$ARCH.AppImage"
if [ -n "${APPIMAGETOOL:-}" ] && [ -x "$APPIMAGETOOL" ]; then
    ARCH=$ARCH "$APPIMAGETOOL" --no-appstream "$APPDIR" "$OUT"
    rm -rf "$APPDIR"
    ls -l "$OUT"
else
    echo "AppImage skipped: set APPIMAGETOOL to appimagetool (the AppDir is ready in $APPDIR)" >&2
fi
