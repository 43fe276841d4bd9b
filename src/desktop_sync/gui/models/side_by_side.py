"""One model behind both halves of a side-by-side table: 1C columns, the state, CRM columns.

Virtualized: ``data`` formats only the cells a view asks for, so 100,000 rows cost
a list. Filtering and sorting run in Python over that list (one pass, no per-row
Qt calls); ``SortRole`` gives each cell's native value (``Decimal``, ``date``) so
sums and dates sort as numbers and dates, never as text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from desktop_sync.gui import fmt
from desktop_sync.i18n import tr
from desktop_sync.readmodel import ColumnKind, Row, SyncState, Table, field_value

SortRole = Qt.ItemDataRole.UserRole  # native, comparable values
RowRole = Qt.ItemDataRole.UserRole + 1  # the backing Row
StateRole = Qt.ItemDataRole.UserRole + 2  # the row's SyncState

ONEC, STATE, CRM = "onec", "state", "crm"

# Soft tints that read on light and dark palettes; the text always says the state too.
STATE_COLOURS: dict[SyncState, str] = {
    SyncState.IN_SYNC: "#2e7d32",
    SyncState.DIFFERS: "#b26a00",
    SyncState.ONLY_ONEC: "#1565c0",
    SyncState.ONLY_CRM: "#6a1b9a",
    SyncState.CONFLICT: "#c62828",
    SyncState.WAITING: "#ad1457",
    SyncState.ERROR: "#b71c1c",
    SyncState.WILL_CHANGE: "#1565c0",
}
STATE_SYMBOLS: dict[SyncState, str] = {
    SyncState.IN_SYNC: "✓",
    SyncState.DIFFERS: "≠",
    SyncState.ONLY_ONEC: "◧",
    SyncState.ONLY_CRM: "◨",
    SyncState.CONFLICT: "⚠",
    SyncState.WAITING: "!",
    SyncState.ERROR: "✖",
    SyncState.WILL_CHANGE: "→",
}


def row_story(row: Row, table: Table) -> tuple[str, str]:
    """A row's state as the column says it («→ Synchronize will: link in the CRM») and the
    rest of its story in one line: what differs, then each reason the column cut short."""
    head = f"{STATE_SYMBOLS[row.state]} {row.state_text()}"
    differs = ", ".join(table.column_label(k) for k in row.differs)
    parts = [tr("Differs") + ": " + differs] if differs and differs not in head else []
    for line in row.detail.splitlines():
        if line and line not in head and line != differs:
            parts.append(line)
    return head, "; ".join(parts)


@dataclass
class RowFilter:
    pending_only: bool = False
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    counterparty: str = ""
    states: frozenset[SyncState] = field(default_factory=frozenset)  # empty: all
    search: str = ""
    record: str = ""  # the invoice table's kind of record (a smart invoice, a deal); "": all

    def accepts(self, row: Row) -> bool:
        if self.pending_only and not row.pending:
            return False
        kind = (row.crm or row.onec or {}).get("record")
        if self.record and kind is not None and kind != self.record:
            return False
        if self.states and row.state not in self.states:
            return False
        if self.date_from is not None and (row.date is None or row.date < self.date_from):
            return False
        if self.date_to is not None and (row.date is None or row.date > self.date_to):
            return False
        if self.counterparty and self.counterparty.casefold() not in row.counterparty.casefold():
            return False
        return not (self.search and self.search.casefold() not in row.search)


_DIGITS = re.compile(r"(\d+)")


def _sort_key(value: Any) -> tuple[int, Any]:
    """Native order; text in natural order ("СЧ-2" before "СЧ-10"); empty cells last."""
    if value is None or value == "":
        return (1, ())
    if isinstance(value, str):
        parts = _DIGITS.split(value.casefold())
        return (0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p))
    return (0, (value,))


class SideBySideModel(QAbstractTableModel):
    """Columns: each 1C column, then the state, then each CRM column."""

    def __init__(self, table: Table | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._table = table or Table("", (), ())
        self._rows: list[Row] = list(self._table.rows)
        self._filter = RowFilter()
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._layout: list[tuple[str, int]] = []
        self._rebuild_layout()

    # -- set-up ------------------------------------------------------------------------

    def _rebuild_layout(self) -> None:
        n = len(self._table.columns)
        self._layout = [(ONEC, i) for i in range(n)] + [(STATE, -1)] + [(CRM, i) for i in range(n)]

    def set_table(self, table: Table) -> None:
        self.beginResetModel()
        self._table = table
        self._rebuild_layout()
        self._rows = self._filtered(table.rows)
        if self._sort is not None:
            self._sort_rows(*self._sort)
        self.endResetModel()

    def set_filter(self, row_filter: RowFilter) -> None:
        self.beginResetModel()
        self._filter = row_filter
        self._rows = self._filtered(self._table.rows)
        if self._sort is not None:
            self._sort_rows(*self._sort)
        self.endResetModel()

    def _filtered(self, rows: Iterable[Row]) -> list[Row]:
        f = self._filter
        if f == RowFilter():
            return list(rows)
        return [r for r in rows if f.accepts(r)]

    @property
    def table(self) -> Table:
        return self._table

    def side_columns(self, side: str) -> list[int]:
        return [i for i, (s, _) in enumerate(self._layout) if s == side]

    def column_key(self, column: int) -> str:
        """The key of a 1C or CRM column ("total"); "" for the state."""
        side, i = self._layout[column]
        return "" if side == STATE else self._table.columns[i].key

    @property
    def state_column(self) -> int:
        return len(self._table.columns)

    def total_count(self) -> int:
        return len(self._table.rows)

    def pending_count(self) -> int:
        return sum(1 for r in self._table.rows if r.pending)

    def waiting_count(self) -> int:
        return sum(1 for r in self._table.rows if r.waits)

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    # -- the model API -----------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._layout)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._layout):
            return None
        side, i = self._layout[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return tr("State") if side == STATE else tr(self._table.columns[i].label)
        if role == Qt.ItemDataRole.ToolTipRole:
            where = {ONEC: tr("1C"), CRM: tr("CRM"), STATE: ""}[side]
            name = tr("State") if side == STATE else tr(self._table.columns[i].label)
            return f"{where}: {name}" if where else name
        return None

    def _native(self, row: Row, side: str, i: int) -> Any:
        if side == STATE:
            return row.state.weight
        values = row.onec if side == ONEC else row.crm
        if values is None:
            return None
        return values.get(self._table.columns[i].key)

    def _display(self, row: Row, side: str, i: int) -> str:
        if side == STATE:
            return f"{STATE_SYMBOLS[row.state]} {row.state_text()}"
        v = self._native(row, side, i)
        kind = self._table.columns[i].kind
        if v is None:
            return ""
        if kind is ColumnKind.MONEY and isinstance(v, Decimal):
            return fmt.money(v)
        if kind is ColumnKind.QTY and isinstance(v, Decimal):
            return fmt.qty(v)
        if kind is ColumnKind.DATE and isinstance(v, dt.date):
            return fmt.date(v)
        if kind is ColumnKind.PHONE:
            return fmt.phone(str(v))
        # codes in words: «Товар», «шт», «22 %», not goods/796/НДС22
        return str(field_value(self._table.columns[i].key, v))

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        side, i = self._layout[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, side, i)
        if role == SortRole:
            return self._native(row, side, i)
        if role == RowRole:
            return row
        if role == StateRole:
            return row.state
        if role == Qt.ItemDataRole.ForegroundRole:
            if side == STATE:
                return QBrush(QColor(STATE_COLOURS[row.state]))
            if side != STATE and self._table.columns[i].key in row.differs:
                return QBrush(QColor(STATE_COLOURS[SyncState.DIFFERS]))
            return None
        if role == Qt.ItemDataRole.FontRole and side == STATE and row.pending:
            from PySide6.QtGui import QFont

            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and side != STATE:
            if self._table.columns[i].kind in (ColumnKind.MONEY, ColumnKind.QTY):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if side == STATE or (side != STATE and self._table.columns[i].key in row.differs):
                return f"{row.state.label}\n{row.detail}" if row.detail else row.state_text()
            return None
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._layout):
            return
        self.beginResetModel()  # a reset: no persistent index points at a moved row
        self._sort = (column, order)
        self._sort_rows(column, order)
        self.endResetModel()

    def _sort_rows(self, column: int, order: Qt.SortOrder) -> None:
        side, i = self._layout[column]
        reverse = order == Qt.SortOrder.DescendingOrder
        self._rows.sort(key=lambda r: _sort_key(self._native(r, side, i)), reverse=reverse)

    def rows(self) -> Sequence[Row]:
        return self._rows
