"""The column-mapping table: one row per spreadsheet column, its examples, and what it is sent as.

Email may be chosen for several columns (the first valid address in a row wins); every other field feeds
from one column, so choosing a field already used elsewhere moves it here and frees the other column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from capi_desktop.core.mapping import Field
from capi_desktop.core.reading import Cell

NOT_USED = "— not used —"
SAMPLE_COUNT = 3
HEADERS = ("Column in your file", "Examples from your file", "Send to LinkedIn as")
# The order people think in: who, then when and how much, then the rarer identifiers.
FIELD_ORDER = (
    Field.EMAIL,
    Field.FIRST_NAME,
    Field.LAST_NAME,
    Field.COMPANY,
    Field.TITLE,
    Field.COUNTRY,
    Field.CONVERSION_TIME,
    Field.VALUE,
    Field.CURRENCY,
    Field.EVENT_NAME,
    Field.EVENT_ID,
    Field.CLICK_ID,
    Field.EXTERNAL_ID,
    Field.ACXIOM_ID,
)
_SHOWN_MAX = 40


def shown_cell(value: Cell) -> str:
    """A cell as the user would recognise it from their spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour, value.minute) != (0, 0) else value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = " ".join(str(value).split())
    return text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 1] + "…"


def column_samples(
    columns: Sequence[str], rows: Sequence[Sequence[Cell]], count: int = SAMPLE_COUNT
) -> list[list[str]]:
    """The first ``count`` non-empty values of each column, as shown text."""
    samples: list[list[str]] = [[] for _ in columns]
    for row in rows:
        for index, value in enumerate(row[: len(columns)]):
            text = shown_cell(value)
            if text and len(samples[index]) < count:
                samples[index].append(text)
    return samples


class MappingTable(QTableWidget):
    """Emits ``mappingChanged`` whenever the user's choices change (not when set from code)."""

    mappingChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(HEADERS), parent)
        self.setHorizontalHeaderLabels(HEADERS)
        self.setAccessibleName("Column mapping")
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.setColumnWidth(0, 190)
        self.setColumnWidth(2, 230)
        self._columns: tuple[str, ...] = ()
        self._combos: list[QComboBox] = []

    @property
    def columns(self) -> tuple[str, ...]:
        return self._columns

    def set_columns(
        self, columns: Sequence[str], samples: Sequence[Sequence[str]], mapping: Mapping[Field, Sequence[str]]
    ) -> None:
        """Show ``columns`` with their examples, preselecting ``mapping`` (columns not in the file are ignored)."""
        self._columns = tuple(columns)
        self._combos = []
        self.clearContents()
        self.setRowCount(len(columns))
        by_column = {name: f for f, names in mapping.items() for name in names}
        for row, name in enumerate(columns):
            item = QTableWidgetItem(name)
            item.setToolTip(name)
            self.setItem(row, 0, item)
            examples = samples[row] if row < len(samples) else []
            shown = "   ·   ".join(examples)
            sample_item = QTableWidgetItem(shown or "(empty in the first rows)")
            sample_item.setToolTip("\n".join(examples))
            if not shown:
                sample_item.setForeground(self.palette().placeholderText())
            self.setItem(row, 1, sample_item)
            combo = QComboBox()
            combo.setAccessibleName(f"Send “{name}” as")
            combo.addItem(NOT_USED, None)
            for f in FIELD_ORDER:
                combo.addItem(f.label, f)
            chosen = by_column.get(name)
            combo.setCurrentIndex(combo.findData(chosen) if chosen is not None else 0)
            combo.currentIndexChanged.connect(lambda _index, r=row: self._chosen(r))
            self.setCellWidget(row, 2, combo)
            self._combos.append(combo)
        self.resizeRowsToContents()

    def field_of(self, column: str) -> Field | None:
        combo = self._combo(column)
        return combo.currentData() if combo is not None else None

    def combo_for(self, column: str) -> QComboBox:
        combo = self._combo(column)
        if combo is None:
            raise KeyError(column)
        return combo

    def set_field(self, column: str, target: Field | None) -> None:
        """Choose ``target`` for ``column`` as the user would, moving it from another column if needed."""
        self.combo_for(column).setCurrentIndex(self.combo_for(column).findData(target) if target else 0)

    def clear_field(self, target: Field) -> None:
        """Set every column chosen for ``target`` back to "not used"."""
        changed = False
        for combo in self._combos:
            if combo.currentData() is target:
                combo.blockSignals(True)
                combo.setCurrentIndex(0)
                combo.blockSignals(False)
                changed = True
        if changed:
            self.mappingChanged.emit()

    def chosen(self) -> dict[Field, tuple[str, ...]]:
        """The mapping as chosen, in column order (so the first email column is tried first)."""
        found: dict[Field, list[str]] = {}
        for name, combo in zip(self._columns, self._combos, strict=True):
            target = combo.currentData()
            if target is not None:
                found.setdefault(target, []).append(name)
        return {f: tuple(names) for f, names in found.items()}

    def _combo(self, column: str) -> QComboBox | None:
        try:
            return self._combos[self._columns.index(column)]
        except ValueError:
            return None

    def _chosen(self, row: int) -> None:
        target = self._combos[row].currentData()
        if target is not None and target is not Field.EMAIL:
            for other, combo in enumerate(self._combos):
                if other != row and combo.currentData() is target:
                    combo.blockSignals(True)  # one change, one signal
                    combo.setCurrentIndex(0)
                    combo.blockSignals(False)
        self.mappingChanged.emit()
