"""A small bar chart of what LinkedIn credited per day, drawn with Qt: one bar a day over the report's
days, a line on each day something was sent, and the tallest day's figure."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from capi_desktop.core.normalise.dates import day_words

BAR = QColor("#0a66c2")
SENT = QColor("#c35a00")
AXIS = QColor("#767676")


class ResultsChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.first = self.last = date.today()
        self.counts: dict[date, int] = {}
        self.sent: set[date] = set()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(560, 150)

    def show_days(self, first: date, last: date, counts: dict[date, int], sent: set[date]) -> None:
        self.first, self.last, self.counts, self.sent = first, last, counts, sent
        total = sum(counts.values())
        self.setAccessibleDescription(
            f"{total:,} conversions credited from {day_words(first)} to {day_words(last)}; "
            f"uploads on {', '.join(day_words(d) for d in sorted(sent)) or 'no day shown'}."
        )
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = painter.fontMetrics()
        area = QRectF(self.rect()).adjusted(4, metrics.height() + 4, -4, -(metrics.height() + 6))
        days = (self.last - self.first).days + 1
        width = area.width() / max(days, 1)
        tallest = max(self.counts.values(), default=0)
        painter.setPen(QPen(AXIS, 1))
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        for offset in range(days):
            day = self.first + timedelta(days=offset)
            x = area.left() + offset * width
            if day in self.sent:
                painter.setPen(QPen(SENT, 2))
                painter.drawLine(int(x + width / 2), int(area.top()), int(x + width / 2), int(area.bottom()))
            count = self.counts.get(day, 0)
            if count and tallest:
                height = area.height() * count / tallest
                painter.fillRect(QRectF(x + 0.5, area.bottom() - height, max(width - 1, 1), height), BAR)
        painter.setPen(QPen(AXIS, 1))
        below = int(area.bottom() + metrics.ascent() + 4)
        painter.drawText(int(area.left()), below, day_words(self.first))
        last_text = day_words(self.last)
        painter.drawText(int(area.right() - metrics.horizontalAdvance(last_text)), below, last_text)
        top = f"{tallest:,} on the best day" if tallest else "Nothing credited yet"
        painter.drawText(int(area.left()), metrics.ascent(), top)
        legend = "| sent that day"
        painter.setPen(QPen(SENT, 1))
        painter.drawText(int(area.right() - metrics.horizontalAdvance(legend)), metrics.ascent(), legend)
        painter.end()
        del event
