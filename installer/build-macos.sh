#!/bin/sh
# macOS: freeze the app into "dist/CAPI Desktop.app" (Info.plist from the spec) and wrap it in
# dist/capi-desktop-VERSION-macos-ARCH.dmg with hdiutil. PYTHON has the app and PyInstaller installed.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VERSION=$("$PYTHON" -c 'import capi_desktop; print(capi_desktop.__version__)')

# The .icns, from the PNGs (iconutil ships with macOS).
ICONSET=build/icons/capi-desktop.iconset
rm -rf "$ICONSET" && mkdir -p "$ICONSET"
for size in 16 32 128 256; do
	cp "resources/icons/capi-desktop-$size.png" "$ICONSET/icon_${size}x${size}.png"
done
cp resources/icons/capi-desktop-32.png "$ICONSET/icon_16x16@2x.png"
cp resources/icons/capi-desktop-64.png "$ICONSET/icon_32x32@2x.png"
cp resources/icons/capi-desktop-256.png "$ICONSET/icon_128x128@2x.png"
iconutil -c icns "$ICONSET" -o build/icons/capi-desktop.icns

"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
	--distpath build/pyinstaller/dist --workpath build/pyinstaller/work installer/capi-desktop.spec
mkdir -p dist
rm -rf "dist/CAPI Desktop.app"
cp -R "build/pyinstaller/dist/CAPI Desktop.app" dist/

# The disk image: the app and a shortcut to Applications, so installing is one drag.
STAGE=build/dmg
rm -rf "$STAGE" && mkdir -p "$STAGE"
cp -R "dist/CAPI Desktop.app" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
DMG="dist/capi-desktop-$VERSION-macos-$(uname -m).dmg"
rm -f "$DMG"
hdiutil create -volname "CAPI Desktop $VERSION" -srcfolder "$STAGE" -ov -format UDZO "$DMG"
echo "$DMG  $(du -h "$DMG" | cut -f1)"
