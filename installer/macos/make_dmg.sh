#!/usr/bin/env bash
# Build the macOS disk image from the .app PyInstaller made (run on a Mac, after
# `.venv/bin/python installer/build.py`):
#   bash installer/macos/make_dmg.sh
# Output: dist/streampai-desktop-VERSION-macos.dmg — a window with the app and an Applications
# link to drag it onto. Signing and notarising (codesign, notarytool) are a release step with the
# team's Developer ID: set CODESIGN_IDENTITY to sign the .app before it goes into the image.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(python3 installer/project.py)
app="dist/Streampai Desktop.app"
dmg="dist/streampai-desktop-${version}-macos.dmg"
[ -d "$app" ] || { echo "no $app: run .venv/bin/python installer/build.py first" >&2; exit 1; }

plist_version=$(/usr/libexec/PlistBuddy -c "Print CFBundleShortVersionString" "$app/Contents/Info.plist")
[ "$plist_version" = "$version" ] || { echo "Info.plist says $plist_version, the package $version: rebuild" >&2; exit 1; }

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$app"
fi

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
rm -f "$dmg"
hdiutil create -volname "Streampai Desktop ${version}" -srcfolder "$staging" -fs HFS+ \
  -format UDZO -imagekey zlib-level=9 -ov "$dmg"
echo "$dmg"
