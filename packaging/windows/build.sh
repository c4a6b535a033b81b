#!/usr/bin/env bash
# Windows installer (Git Bash on a Windows runner): the bundle, then Inno Setup.
#
#   packaging/windows/build.sh        -> dist/mashups-studio-<version>-windows-x64-setup.exe
#
# Needs Inno Setup 6 (`iscc` on the PATH or in its default folder; GitHub's
# windows runners have it). PYTHON defaults to .venv/Scripts/python.exe.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export PYTHON=${PYTHON:-.venv/Scripts/python.exe}
BUNDLE=$(MASHUPS_BUNDLE_FULL=${MASHUPS_BUNDLE_FULL:-1} packaging/bundle.sh | tail -1)
VERSION=$($PYTHON -c "import audio_engine; print(audio_engine.__version__)")
ISCC=$(command -v iscc || command -v ISCC.exe || echo "/c/Program Files (x86)/Inno Setup 6/ISCC.exe")
[ -x "$ISCC" ] || { echo "Inno Setup's ISCC.exe not found" >&2; exit 2; }
mkdir -p dist
cp -a "$BUNDLE" dist/mashups-bundle
SPAN=""
[ "${FLAVOUR:-cpu}" = nvidia ] && SPAN="/DSpanning=1"
"$ISCC" /Qp $SPAN "/DAppVersion=$VERSION" "/DBundleDir=$(cygpath -w "$PWD/dist/mashups-bundle")" \
    "/DOutputDir=$(cygpath -w "$PWD/dist")" packaging/windows/mashups-studio.iss
rm -rf dist/mashups-bundle
[ "${FLAVOUR:-cpu}" = nvidia ] || (cd "$(dirname "$BUNDLE")" && 7z a -tzip -mx=7 "$OLDPWD/dist/mashups-studio-$VERSION-windows-x64-portable.zip" mashups > /dev/null)
ls -l dist
