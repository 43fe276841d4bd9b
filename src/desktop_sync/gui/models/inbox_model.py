"""The inbox as a table: conflicts and attention items waiting for a person."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from desktop_sync.engine.records import InboxRecord
from desktop_sync.gui import fmt, labels
from desktop_sync.i18n import N_, tr

SortRole = Qt.ItemDataRole.UserRole
EntryRole = Qt.ItemDataRole.UserRole + 1


COLUMNS = (
    ("kind", N_("Kind")),
    ("record", N_("Record")),
    ("field", N_("Field")),
    ("onec", N_("1C value")),
    ("crm", N_("CRM value")),
    ("base", N_("Before")),
    ("message", N_("What is wrong")),
    ("action", N_("What to do")),
)


class InboxModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[InboxRecord] = []

    def set_entries(self, entries: Sequence[InboxRecord]) -> None:
        self.beginResetModel()
        self._rows = list(entries)
        self.endResetModel()

    def entries(self) -> list[InboxRecord]:
        return list(self._rows)

    def entry(self, row: int) -> InboxRecord:
        return self._rows[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(COLUMNS)
        ):
            return tr(COLUMNS[section][1])
        return None

    def _value(self, e: InboxRecord, key: str) -> Any:
        return {
            "kind": tr("Conflict") if e.is_conflict else tr("Needs attention"),
            "record": e.record_label,
            "field": e.field,
            "onec": fmt.value(e.onec_value) if e.is_conflict else "",
            "crm": fmt.value(e.crm_value) if e.is_conflict else "",
            "base": fmt.value(e.base_value) if e.is_conflict else "",
            "message": e.message,
            "action": e.action,
        }[key]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        e = self._rows[index.row()]
        key = COLUMNS[index.column()][0]
        if role in (Qt.ItemDataRole.DisplayRole, SortRole):
            return self._value(e, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{labels.flow(e.flow)}\n{e.message}\n{e.action}".strip()
        if role == EntryRole:
            return e
        if role == Qt.ItemDataRole.ToolTipRole and key in ("message", "action"):
            return self._value(e, key)
        if role == Qt.ItemDataRole.ForegroundRole and key == "kind":
            return QBrush(QColor("#c62828" if e.is_conflict else "#ad1457"))
        return None
