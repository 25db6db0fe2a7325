"""Render the PNG app icons from capi-desktop.svg (run after editing the SVG; the PNGs are committed).

QT_QPA_PLATFORM=offscreen python resources/icons/render_icons.py
"""

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 32, 64, 128, 256)
HERE = Path(__file__).resolve().parent


def main() -> None:
    _app = QGuiApplication([])  # QPainter on QImage needs a Gui application for fonts and plugins
    renderer = QSvgRenderer(str(HERE / "capi-desktop.svg"))
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        image.save(str(HERE / f"capi-desktop-{size}.png"))


if __name__ == "__main__":
    main()
