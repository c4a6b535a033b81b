#!/usr/bin/env bash
# macOS: "Mashups Studio.app" and a .dmg, signed and notarised when the secrets exist.
#
#   packaging/macos/build.sh     -> dist/mashups-studio-<version>-macos-<arch>.dmg
#
# Signing (all optional; without them the .app/.dmg are built unsigned and the
# script says so):
#   MACOS_CERTIFICATE (base64 .p12), MACOS_CERTIFICATE_PASSWORD, MACOS_SIGN_IDENTITY
#     ("Developer ID Application: …") -> codesign --options runtime with entitlements.plist
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD -> xcrun notarytool submit --wait, stapler staple
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export PYTHON=${PYTHON:-.venv/bin/python}
ARCH=$(uname -m)
# The icon first: the spec picks up packaging/icons/mashups.icns when it exists.
if [ ! -f packaging/icons/mashups.icns ]; then
    SET=$(mktemp -d)/mashups.iconset
    mkdir -p "$SET"
    for s in 16 32 128 256 512; do
        sips -z $s $s packaging/icons/mashups.png --out "$SET/icon_${s}x${s}.png" > /dev/null
        sips -z $((s * 2)) $((s * 2)) packaging/icons/mashups.png --out "$SET/icon_${s}x${s}@2x.png" > /dev/null
    done
    iconutil -c icns "$SET" -o packaging/icons/mashups.icns
fi
BUNDLE=$(MASHUPS_BUNDLE_FULL=${MASHUPS_BUNDLE_FULL:-1} packaging/bundle.sh | tail -1)
APP="$(dirname "$BUNDLE")/Mashups Studio.app"
[ -d "$APP" ] || { echo "PyInstaller made no .app at $APP" >&2; exit 2; }
VERSION=$($PYTHON -c "import audio_engine; print(audio_engine.__version__)")
plutil -lint "$APP/Contents/Info.plist"
mkdir -p dist
STAGE=$(mktemp -d)
cp -R "$APP" "$STAGE/"
APP="$STAGE/Mashups Studio.app"

if [ -n "${MACOS_CERTIFICATE:-}" ] && [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
    SECRETS=$(mktemp -d)
    trap 'rm -rf "$SECRETS"' EXIT
    KC="$SECRETS/build.keychain"
    KCPASS=$(uuidgen)
    security create-keychain -p "$KCPASS" "$KC"
    security set-keychain-settings -lut 3600 "$KC"
    security unlock-keychain -p "$KCPASS" "$KC"
    echo "$MACOS_CERTIFICATE" | base64 --decode > "$SECRETS/cert.p12"
    security import "$SECRETS/cert.p12" -k "$KC" -P "${MACOS_CERTIFICATE_PASSWORD:-}" -T /usr/bin/codesign
    security set-key-partition-list -S apple-tool:,apple: -s -k "$KCPASS" "$KC" > /dev/null
    security list-keychains -d user -s "$KC" $(security list-keychains -d user | tr -d '"')
    # Inside out: every library and executable, then the app.
    find "$APP/Contents" -type f \( -name '*.so' -o -name '*.dylib' -o -perm -u+x \) -print0 |
        xargs -0 codesign --force --timestamp --options runtime \
            --entitlements packaging/macos/entitlements.plist --sign "$MACOS_SIGN_IDENTITY"
    codesign --force --timestamp --options runtime --entitlements packaging/macos/entitlements.plist \
        --sign "$MACOS_SIGN_IDENTITY" "$APP"
    codesign --verify --deep --strict --verbose=2 "$APP"
    SIGNED=1
else
    echo "macOS signing skipped: MACOS_CERTIFICATE / MACOS_SIGN_IDENTITY are not set (unsigned build;" \
         "Gatekeeper will ask users to allow it in System Settings → Privacy & Security)." >&2
    codesign --force --deep --sign - "$APP"  # ad-hoc: required to run on Apple silicon at all
    SIGNED=0
fi

DMG="dist/mashups-studio-$VERSION-macos-$ARCH.dmg"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "Mashups Studio" -srcfolder "$STAGE" -fs HFS+ -format UDZO -imagekey zlib-level=9 -ov "$DMG"

if [ "$SIGNED" = 1 ]; then
    codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" "$DMG"
    if [ -n "${APPLE_ID:-}" ] && [ -n "${APPLE_TEAM_ID:-}" ] && [ -n "${APPLE_APP_PASSWORD:-}" ]; then
        xcrun notarytool submit "$DMG" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
            --password "$APPLE_APP_PASSWORD" --wait
        xcrun stapler staple "$DMG"
    else
        echo "macOS notarisation skipped: APPLE_ID / APPLE_TEAM_ID / APPLE_APP_PASSWORD are not set." >&2
    fi
fi
ls -l dist
