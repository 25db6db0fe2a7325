#!/bin/sh
# Linux: freeze the app (one folder), then dist/capi-desktop-VERSION-linux-ARCH.tar.gz and
# dist/capi-desktop_VERSION_ARCH.deb (app in /opt/capi-desktop, `capi-desktop` on PATH, menu entry, icons).
# PYTHON is an interpreter with the app and PyInstaller installed (default: python3).
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VERSION=$("$PYTHON" -c 'import capi_desktop; print(capi_desktop.__version__)')
ARCH=$(dpkg --print-architecture 2>/dev/null || uname -m)
start=$(date +%s)

"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
	--distpath build/pyinstaller/dist --workpath build/pyinstaller/work installer/capi-desktop.spec
BUNDLE=build/pyinstaller/dist/capi-desktop
frozen=$(date +%s)
mkdir -p dist

TARBALL=dist/capi-desktop-$VERSION-linux-$(uname -m).tar.gz
tar -C "$(dirname "$BUNDLE")" -czf "$TARBALL" capi-desktop

ROOT=build/deb/root
rm -rf build/deb
mkdir -p "$ROOT/DEBIAN" "$ROOT/opt" "$ROOT/usr/bin" "$ROOT/usr/share/applications"
cp -a "$BUNDLE" "$ROOT/opt/capi-desktop"
ln -s /opt/capi-desktop/capi-desktop "$ROOT/usr/bin/capi-desktop"
install -m 644 installer/linux/capi-desktop.desktop "$ROOT/usr/share/applications/"
for size in 16 32 64 128 256; do
	dir="$ROOT/usr/share/icons/hicolor/${size}x${size}/apps"
	mkdir -p "$dir"
	install -m 644 "resources/icons/capi-desktop-$size.png" "$dir/capi-desktop.png"
done
mkdir -p "$ROOT/usr/share/icons/hicolor/scalable/apps"
install -m 644 resources/icons/capi-desktop.svg "$ROOT/usr/share/icons/hicolor/scalable/apps/capi-desktop.svg"

cat >"$ROOT/DEBIAN/control" <<CONTROL
Package: capi-desktop
Version: $VERSION
Architecture: $ARCH
Maintainer: CAPI Desktop maintainers <capi-desktop@example.com>
Installed-Size: $(du -sk "$ROOT" | cut -f1)
Depends: libc6, libegl1, libgl1, libfontconfig1, libfreetype6, libdbus-1-3, libxkbcommon0, libxkbcommon-x11-0, libx11-6, libx11-xcb1, libxcb1, libxcb-cursor0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, libxcb-randr0, libxcb-render-util0, libxcb-shape0, libxcb-xinerama0, libxcb-xkb1, libglib2.0-0 | libglib2.0-0t64
Recommends: gnome-keyring | kwalletmanager, fonts-dejavu-core
Section: utils
Priority: optional
Homepage: https://github.com/capi-desktop/capi-desktop
Description: Send offline conversions to the LinkedIn Conversions API
 CAPI Desktop uploads offline conversions (CRM leads, closed deals, in-store
 sales) from a spreadsheet to the LinkedIn Conversions API, step by step,
 with a built-in practice sandbox.
CONTROL
for script in postinst postrm; do
	cat >"$ROOT/DEBIAN/$script" <<'SCRIPT'
#!/bin/sh
set -e
if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q /usr/share/applications || true; fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true; fi
SCRIPT
	chmod 755 "$ROOT/DEBIAN/$script"
done

# xz -9: its 64 MB window finds the repeats inside the big native libraries (3 MB smaller than -6).
DEB=dist/capi-desktop_${VERSION}_$ARCH.deb
dpkg-deb --root-owner-group -Zxz -z9 --build "$ROOT" "$DEB" >/dev/null
done_at=$(date +%s)

echo "Built in $((done_at - start)) s (freezing $((frozen - start)) s):"
for file in "$TARBALL" "$DEB"; do
	echo "  $file  $(du -h "$file" | cut -f1)  ($(stat -c %s "$file") bytes)"
done
limit=$((80 * 1000 * 1000))
if [ "$(stat -c %s "$DEB")" -gt "$limit" ]; then
	echo "The .deb is larger than the 80 MB target." >&2
	exit 1
fi
