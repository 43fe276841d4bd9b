"""The inbox as a table: conflicts and attention items waiting for a person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from desktop_sync.engine.records import (
    DecisionRefused,
    InboxRecord,
    ItemView,
    check_decision,
    confirmable,
)
from desktop_sync.gui import fmt, labels
from desktop_sync.i18n import N_, tr

SortRole = Qt.ItemDataRole.UserRole
EntryRole = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True, slots=True)
class InboxEntry:
    id: int
    kind: str  # conflict | attention
    flow: str
    entity_type: str
    record_id: str
    record_label: str
    field: str
    message: str
    action: str
    onec_value: Any
    crm_value: Any
    base_value: Any
    key: str = ""

    @property
    def is_conflict(self) -> bool:
        return self.kind == "conflict"

    def allows(self, action: str) -> bool:
        """Whether the engine can carry out this decision (see engine/decisions.py): a
        button for one it cannot is disabled rather than refused after the click."""
        view = ItemView(self.key, self.kind, self.entity_type, self.field, self.record_label)
        try:
            check_decision(view, action, "-" if action == "value" else None)
        except DecisionRefused:
            return False
        return True

    @property
    def confirmable(self) -> bool:
        """Only a proposal (a link by name, a payment allocation) can be confirmed."""
        return confirmable(self.key)

    @classmethod
    def from_row(cls, row: InboxRecord) -> InboxEntry:
        return cls(
            row.id, row.kind, row.flow or "", row.entity_type or "", row.record_id or "",
            row.record_label or "", row.field or "", row.message or "", row.action or "",
            row.onec_value, row.crm_value, row.base_value, row.dedup_key or "",
        )  # fmt: skip


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
        self._rows: list[InboxEntry] = []

    def set_entries(self, entries: Sequence[InboxEntry]) -> None:
        self.beginResetModel()
        self._rows = list(entries)
        self.endResetModel()

    def entries(self) -> list[InboxEntry]:
        return list(self._rows)

    def entry(self, row: int) -> InboxEntry:
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

    def _value(self, e: InboxEntry, key: str) -> Any:
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
