#!/usr/bin/env bash
# Linux installers: dist/mashups-studio-<version>-linux-<arch>.tar.gz and
# dist/mashups-studio_<version>_<debarch>.deb, from the PyInstaller bundle
# (packaging/bundle.sh builds it when needed, cached outside the repository).
#
#   scripts/build-installer.sh [BUNDLE_DIR]
#
# The .deb installs the bundle in /opt/mashups-studio, puts `mashups` and
# `mashups-studio` on the PATH (/usr/bin links), adds the desktop entry, the
# icon and the .mashup MIME type, and declares the system libraries the bundle
# does not carry (PortAudio, the X11/xcb libraries Qt's platform plugin loads).
# Prints the artefacts with their sizes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
PY=${PYTHON:-.venv/bin/python}
BUNDLE=${1:-$(packaging/bundle.sh | tail -1)}
[ -x "$BUNDLE/mashups" ] || { echo "no bundle at $BUNDLE" >&2; exit 2; }
VERSION=$($PY -c "import audio_engine; print(audio_engine.__version__)")
ARCH=$(uname -m)
DEBARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
NAME=mashups-studio
OUT="$ROOT/dist"
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/mashups-installer.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$OUT"

# -- .tar.gz: the bundle plus desktop entry, icon and an install note -------------
TARDIR="$STAGE/tar/$NAME-$VERSION"
mkdir -p "$TARDIR"
cp -a "$BUNDLE/." "$TARDIR/"
cp packaging/icons/mashups.png "$TARDIR/mashups-studio.png"
sed "s|^Exec=.*|Exec=$NAME %F|" packaging/linux/mashups-studio.desktop > "$TARDIR/mashups-studio.desktop"
cp packaging/linux/README-linux.txt "$TARDIR/README.txt"
cp LICENSE "$TARDIR/LICENSE"
TARBALL="$OUT/$NAME-$VERSION-linux-$ARCH.tar.gz"
tar -C "$STAGE/tar" -cf - "$NAME-$VERSION" | gzip -6 > "$TARBALL.part"
mv "$TARBALL.part" "$TARBALL"
if [ "${FLAVOUR:-cpu}" = nvidia ]; then
    # CUDA torch makes this ~3 GB: GitHub refuses release assets over 2 GiB, so it ships in
    # parts (`cat mashups-studio-*.tar.gz.part-* | tar xz`), and without a .deb.
    if [ "$(stat -c %s "$TARBALL")" -gt 2000000000 ]; then
        split -b 1900M -d "$TARBALL" "$TARBALL.part-"
        rm "$TARBALL"
    fi
    ls -l "$OUT"
    exit 0
fi

# -- .deb --------------------------------------------------------------------------
DEB="$STAGE/deb"
mkdir -p "$DEB/DEBIAN" "$DEB/opt/$NAME" "$DEB/usr/bin" "$DEB/usr/share/applications" \
    "$DEB/usr/share/icons/hicolor/256x256/apps" "$DEB/usr/share/icons/hicolor/scalable/apps" \
    "$DEB/usr/share/mime/packages" "$DEB/usr/share/doc/$NAME"
cp -a "$BUNDLE/." "$DEB/opt/$NAME/"
ln -s "/opt/$NAME/mashups" "$DEB/usr/bin/mashups"
ln -s "/opt/$NAME/mashups-studio" "$DEB/usr/bin/mashups-studio"
cp packaging/linux/mashups-studio.desktop "$DEB/usr/share/applications/"
cp packaging/icons/mashups.png "$DEB/usr/share/icons/hicolor/256x256/apps/mashups-studio.png"
cp packaging/icons/mashups.svg "$DEB/usr/share/icons/hicolor/scalable/apps/mashups-studio.svg"
cp packaging/linux/mashups-studio-mime.xml "$DEB/usr/share/mime/packages/mashups-studio.xml"
{
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: Mashups Studio"
    echo "Files: *"
    echo "License: GPL-3.0-or-later"
    echo " On Debian systems, the full text is in /usr/share/common-licenses/GPL-3."
    echo " Third-party notices: /opt/$NAME/_internal/resources/THIRD-PARTY-NOTICES.txt"
} > "$DEB/usr/share/doc/$NAME/copyright"
INSTALLED_KB=$(du -sk --apparent-size "$DEB" | cut -f1)
GLIBC=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}'); GLIBC=${GLIBC:-2.31}  # the build machine's: the floor (ldd | head broke the pipe under pipefail)
sed -e "s/@GLIBC@/$GLIBC/" -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$DEBARCH/" -e "s/@SIZE@/$INSTALLED_KB/" \
    packaging/linux/control.in > "$DEB/DEBIAN/control"
DEBFILE="$OUT/${NAME}_${VERSION}_${DEBARCH}.deb"
# xz with threads: the smallest download; dpkg on Debian 10+ / Ubuntu 18.04+ reads it.
dpkg-deb --root-owner-group -Zxz -z6 --threads-max="$(nproc)" --build "$DEB" "$DEBFILE.part" > /dev/null 2>&1 \
    || dpkg-deb --root-owner-group -Zxz -z6 --build "$DEB" "$DEBFILE.part" > /dev/null
mv "$DEBFILE.part" "$DEBFILE"

for f in "$TARBALL" "$DEBFILE"; do
    printf '%-60s %6d MB\n' "$(basename "$f")" "$(( $(stat -c %s "$f") / 1000000 ))"
done
printf '%-60s %6d MB\n' "installed (/opt/$NAME and links)" "$(( INSTALLED_KB / 1000 ))"
