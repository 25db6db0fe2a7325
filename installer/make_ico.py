"""Write build/icons/capi-desktop.ico from resources/icons/capi-desktop-*.png (stdlib only).

An .ico may hold PNG images directly (Windows Vista and later), so no image library is needed.
"""

from __future__ import annotations

import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    pngs = sorted((ROOT / "resources" / "icons").glob("capi-desktop-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
    images = [(int(p.stem.split("-")[-1]), p.read_bytes()) for p in pngs]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = b"", b""
    for size, data in images:
        side = 0 if size >= 256 else size  # 0 means 256 in an .ico directory entry
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset + len(blobs))
        blobs += data
    out = ROOT / "build" / "icons" / "capi-desktop.ico"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(header + entries + blobs)
    print(out)


if __name__ == "__main__":
    main()
