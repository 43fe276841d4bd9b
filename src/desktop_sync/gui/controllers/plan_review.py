"""The plan before it is applied: grouped by flow, each operation with its reason and
before/after values, a checkbox to leave it out. Unticking an operation unticks what
depends on it (the service would skip those anyway; the person sees it here first).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_sync.engine.model import ItemKind, Operation, Plan, System
from desktop_sync.gui import fmt, labels
from desktop_sync.i18n import tr

OpRole = Qt.ItemDataRole.UserRole


def _changes_text(op: Operation) -> str:
    if not op.changes:
        return tr("new record") if op.kind.value == "create" else ""
    return "\n".join(f"{c.label}: {fmt.value(c.before)} → {fmt.value(c.after)}" for c in op.changes)


class PlanReviewDialog(QDialog):
    def __init__(self, plan: Plan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan = plan
        self.setWindowTitle(tr("Review the plan"))
        self.resize(1100, 640)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._dependents: dict[str, list[str]] = {}
        for op in plan.operations:
            for dep in op.depends_on:
                self._dependents.setdefault(dep, []).append(op.op_id)

        lay = QVBoxLayout(self)
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.headline.setObjectName("planHeadline")
        lay.addWidget(self.headline)

        self.tree = QTreeWidget()
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(
            [tr("Record"), tr("What will be done"), tr("Why"), tr("Before → after")]
        )
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setWordWrap(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        hh = self.tree.header()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        self.tree.setColumnWidth(0, 300)
        self.tree.setColumnWidth(1, 190)
        self.tree.setColumnWidth(2, 340)
        lay.addWidget(self.tree, 1)
        self._fill()
        self.tree.itemChanged.connect(self._changed)

        row = QHBoxLayout()
        self.tick_all = QPushButton(tr("Tick all"))
        self.untick_all = QPushButton(tr("Untick all"))
        self.tick_all.clicked.connect(lambda: self._set_all(Qt.CheckState.Checked))
        self.untick_all.clicked.connect(lambda: self._set_all(Qt.CheckState.Unchecked))
        row.addWidget(self.tick_all)
        row.addWidget(self.untick_all)
        row.addStretch(1)
        self.buttons = QDialogButtonBox()
        self.apply_button = self.buttons.addButton(
            tr("Apply"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.apply_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        row.addWidget(self.buttons)
        lay.addLayout(row)
        self._update_headline()

    def _fill(self) -> None:
        bold = self.font()
        bold.setBold(True)
        for flow, ops in sorted(self.plan.by_flow().items()):
            group = QTreeWidgetItem(self.tree, [f"{labels.flow(flow)} ({len(ops)})"])
            group.setFirstColumnSpanned(True)
            group.setFont(0, bold)
            group.setFlags(
                group.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsAutoTristate
            )
            group.setCheckState(0, Qt.CheckState.Checked)
            for op in ops:
                what = f"{labels.kind(op.kind)} {labels.target(op.target)}"
                item = QTreeWidgetItem(group, [op.record_label, what, op.reason, _changes_text(op)])
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(0, Qt.CheckState.Checked)
                item.setData(0, OpRole, op.op_id)
                item.setToolTip(2, op.reason)
                self._items[op.op_id] = item
            group.setExpanded(True)
        if self.plan.items:
            waiting = QTreeWidgetItem(
                self.tree,
                [tr("Waiting for a person — not applied ({n})").format(n=len(self.plan.items))],
            )
            waiting.setFirstColumnSpanned(True)
            waiting.setFont(0, bold)
            for it in self.plan.items:
                kind = tr("Conflict") if it.kind is ItemKind.CONFLICT else tr("Needs attention")
                values = ""
                if it.kind is ItemKind.CONFLICT:
                    values = tr("1C: {onec}; CRM: {crm}").format(
                        onec=fmt.value(it.onec_value), crm=fmt.value(it.crm_value)
                    )
                child = QTreeWidgetItem(
                    waiting, [it.record_label, f"{kind}: {it.field}", it.message, values]
                )
                child.setToolTip(2, it.action or it.message)
            waiting.setExpanded(True)

    def _changed(self, item: QTreeWidgetItem, column: int) -> None:
        op_id = item.data(0, OpRole)
        if column == 0 and op_id and item.checkState(0) == Qt.CheckState.Unchecked:
            for dep in self._dependents.get(op_id, []):
                child = self._items.get(dep)
                if child is not None and child.checkState(0) != Qt.CheckState.Unchecked:
                    child.setCheckState(0, Qt.CheckState.Unchecked)
        self._update_headline()

    def _set_all(self, state: Qt.CheckState) -> None:
        for item in self._items.values():
            item.setCheckState(0, state)

    def set_checked(self, op_id: str, checked: bool) -> None:
        self._items[op_id].setCheckState(
            0, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        )

    def excluded(self) -> set[str]:
        """The op ids the person unticked."""
        return {
            op_id
            for op_id, item in self._items.items()
            if item.checkState(0) != Qt.CheckState.Checked
        }

    def _update_headline(self) -> None:
        chosen = [op for op in self.plan.operations if op.op_id not in self.excluded()]
        to_onec = sum(1 for op in chosen if op.target is System.ONEC)
        to_crm = len(chosen) - to_onec
        text = tr(
            "{n} changes will be made: {onec} in 1C and {crm} in the CRM. "
            "{waiting} items wait for a person and are not applied."
        ).format(n=len(chosen), onec=to_onec, crm=to_crm, waiting=len(self.plan.items))
        if not self.plan.operations:
            text = tr("Nothing to change: both systems agree.") + (
                " " + tr("{waiting} items wait for a person.").format(waiting=len(self.plan.items))
                if self.plan.items
                else ""
            )
        self.headline.setText(text)
        self.apply_button.setEnabled(bool(chosen))
