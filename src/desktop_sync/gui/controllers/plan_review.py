"""The plan before it is applied: grouped by flow, each operation with its reason and
before/after values, a checkbox to leave it out. Unticking an operation unticks what
depends on it (the service would skip those anyway; the person sees it here first).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
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

from desktop_sync.engine.model import Flow, ItemKind, Operation, Plan, System
from desktop_sync.gui import fmt, labels
from desktop_sync.i18n import tr

OpRole = Qt.ItemDataRole.UserRole


def _changes_text(op: Operation) -> str:
    if not op.changes:
        return tr("new record") if op.kind.value == "create" else ""
    return "; ".join(f"{c.label}: {fmt.value(c.before)} → {fmt.value(c.after)}" for c in op.changes)


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One operation's texts, computed off the GUI thread (see :func:`plan_rows`)."""

    op_id: str
    record: str
    what: str
    reason: str
    changes: str


def plan_rows(plan: Plan) -> dict[Flow, list[PlanRow]]:
    """The review's texts by flow. Pure Python: the read worker calls it."""
    out: dict[Flow, list[PlanRow]] = {}
    for flow, ops in sorted(plan.by_flow().items()):
        out[flow] = [
            PlanRow(op.op_id, op.record_label, f"{labels.kind(op.kind)} {labels.target(op.target)}",
                    op.reason, _changes_text(op))
            for op in ops
        ]  # fmt: skip
    return out


CHUNK = 200  # items added per turn of the event loop


class PlanReviewDialog(QDialog):
    def __init__(
        self,
        plan: Plan,
        parent: QWidget | None = None,
        rows: dict[Flow, list[PlanRow]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.plan = plan
        self.rows = rows if rows is not None else plan_rows(plan)
        self.setWindowTitle(tr("Review the plan"))
        self.resize(1100, 640)
        self._items: dict[str, QTreeWidgetItem] = {}
        self.groups: list[QTreeWidgetItem] = []
        self._bulk = False
        self.filled = False
        self._scheduled = False
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
        self.tree.setUniformRowHeights(True)  # thousands of operations stay instant
        self.tree.setWordWrap(False)
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
        for button in (self.tick_all, self.untick_all):
            button.setAutoDefault(False)  # Enter means Apply, never "tick all"
        self._update_headline()
        self.apply_button.setFocus()

    def _fill(self) -> None:
        bold = self.font()
        bold.setBold(True)
        groups: list[QTreeWidgetItem] = []
        self._pending: list[tuple[QTreeWidgetItem, list[PlanRow]]] = []
        for flow, rows in self.rows.items():
            group = QTreeWidgetItem([f"{labels.flow(flow)} ({len(rows)})"])
            group.setFont(0, bold)
            group.setFlags(
                group.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsAutoTristate
            )
            group.setCheckState(0, Qt.CheckState.Checked)
            groups.append(group)
            self._pending.append((group, list(rows)))
        self.groups = groups
        self.tree.addTopLevelItems(groups)
        for group in groups:
            group.setFirstColumnSpanned(True)
        self._fill_more()  # the first screenful now, the rest turn by turn
        if self.plan.items:
            waiting = QTreeWidgetItem(
                self.tree,
                [tr("Waiting for a person — not applied ({n})").format(n=len(self.plan.items))],
            )
            waiting.setFirstColumnSpanned(True)
            waiting.setFont(0, bold)
            children = []
            for it in self.plan.items:
                kind = tr("Conflict") if it.kind is ItemKind.CONFLICT else tr("Needs attention")
                values = ""
                if it.kind is ItemKind.CONFLICT:
                    values = tr("1C: {onec}; CRM: {crm}").format(
                        onec=fmt.value(it.onec_value), crm=fmt.value(it.crm_value)
                    )
                child = QTreeWidgetItem(
                    [it.record_label, f"{kind}: {it.field}", it.message, values]
                )
                child.setToolTip(2, it.action or it.message)
                children.append(child)
            waiting.addChildren(children)
            waiting.setExpanded(True)

    def _fill_more(self) -> None:
        """Add up to ``CHUNK`` operations; a plan of thousands never stalls the window."""
        budget = CHUNK
        self._bulk = True
        try:
            while self._pending and budget > 0:
                group, rows = self._pending[0]
                take, rest = rows[:budget], rows[budget:]
                children = []
                for r in take:
                    item = QTreeWidgetItem([r.record, r.what, r.reason, r.changes])
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    item.setCheckState(0, Qt.CheckState.Checked)
                    item.setData(0, OpRole, r.op_id)
                    item.setToolTip(2, r.reason)
                    item.setToolTip(3, r.changes.replace("; ", "\n"))
                    self._items[r.op_id] = item
                    children.append(item)
                group.addChildren(children)
                if group.childCount() == len(children):
                    group.setExpanded(True)
                budget -= len(take)
                if rest:
                    self._pending[0] = (group, rest)
                else:
                    self._pending.pop(0)
        finally:
            self._bulk = False
        if self._pending and not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(0, self._next_chunk)
        else:
            self.filled = True

    def _changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._bulk:
            return
        op_id = item.data(0, OpRole)
        if column == 0 and op_id and item.checkState(0) == Qt.CheckState.Unchecked:
            for dep in self._dependents.get(op_id, []):
                child = self._items.get(dep)
                if child is not None and child.checkState(0) != Qt.CheckState.Unchecked:
                    child.setCheckState(0, Qt.CheckState.Unchecked)
        self._update_headline()

    def _next_chunk(self) -> None:
        self._scheduled = False
        if self._pending:
            self._fill_more()

    def finish_filling(self) -> None:
        while self._pending:
            self._fill_more()

    def _set_all(self, state: Qt.CheckState) -> None:
        self.finish_filling()
        self._bulk = True
        try:
            for group in self.groups:  # a tristate group passes its state to its children
                group.setCheckState(0, state)
        finally:
            self._bulk = False
        self._update_headline()

    def set_checked(self, op_id: str, checked: bool) -> None:
        if op_id not in self._items:
            self.finish_filling()
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
        excluded = self.excluded()
        chosen = [op for op in self.plan.operations if op.op_id not in excluded]
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
        # Items alone still need a run: it is what puts them in the Inbox.
        self.apply_button.setEnabled(bool(chosen) or bool(self.plan.items))
        self.apply_button.setText(
            tr("Apply") if chosen or not self.plan.items else tr("Put in the Inbox")
        )
