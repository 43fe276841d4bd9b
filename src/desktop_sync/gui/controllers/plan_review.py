"""The plan before it is applied: grouped by flow, each operation with its reason and
before/after values, a checkbox to leave it out. Unticking an operation unticks what
depends on it (the service would skip those anyway; the person sees it here first).

Thousands of operations stay reviewable: a search box, filters by kind and by target
system, totals per section (counts and sums of money), and one row per invoice (its
creation in 1C and the write-back of the 1C number to the CRM tick together).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_sync.engine.records import Flow, Item, OpKind, Plan, System
from desktop_sync.gui import labels
from desktop_sync.gui.controllers import plan_detail
from desktop_sync.gui.controllers.plan_rows import PlanRow, plan_rows, section_title
from desktop_sync.gui.debounce import debounced
from desktop_sync.gui.views.detail_pane import DETAIL_HEIGHT, DetailPane, MiddleElide
from desktop_sync.i18n import tr

OpRole = Qt.ItemDataRole.UserRole
NoteRole = Qt.ItemDataRole.UserRole + 1  # a section's flow; a waiting item's index

__all__ = ["NoteRole", "OpRole", "PlanReviewDialog", "PlanRow", "plan_rows", "section_title"]

CHUNK = 200  # items added per turn of the event loop
FIRST_CHUNK = 60  # with the dialog itself: a screenful
WHAT_MAX, WHY_MIN = 320, 380  # px: «What will be done» fits its words up to this
RECORD_WIDTH = 290  # px: "Invoice No. СЧ-0004 of 2026-03-13" whole (260 cut its date)


class PlanReviewDialog(QDialog):
    def __init__(
        self,
        plan: Plan,
        parent: QWidget | None = None,
        rows: dict[Flow, list[PlanRow]] | None = None,
        items: Sequence[Item] | None = None,
    ) -> None:
        super().__init__(parent)
        self.plan = plan
        self.rows = rows if rows is not None else plan_rows(plan)
        self.items = tuple(items) if items is not None else plan.items  # door.in_words's
        self.setWindowTitle(tr("Review the plan"))
        self.resize(1100, 640)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._row_of: dict[str, PlanRow] = {}
        self._carrier: dict[str, str] = {  # a companion operation -> the row that shows it
            c: r.op_id for rows_ in self.rows.values() for r in rows_ for c in r.companions
        }
        self._waiting: list[QTreeWidgetItem] = []
        self.groups: list[QTreeWidgetItem] = []
        self._bulk = False
        self.filled = False
        self._scheduled = False
        self._first = True  # the first screenful goes into the tree with the dialog
        self._made: list[tuple[QTreeWidgetItem, list[QTreeWidgetItem]]] = []
        self._dependents: dict[str, list[str]] = {}
        for op in plan.operations:
            for dep in op.depends_on:
                self._dependents.setdefault(dep, []).append(op.op_id)

        lay = QVBoxLayout(self)
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.headline.setObjectName("planHeadline")
        lay.addWidget(self.headline)

        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("Search: name, number, INN, reason…"))
        self.search.setClearButtonEnabled(True)
        self.kind_filter = QComboBox()
        self.kind_filter.addItem(tr("All kinds"), "")
        present = {op.kind for op in plan.operations}
        for k in OpKind:
            if k in present:
                self.kind_filter.addItem(labels.kind(k), k.value)
        self.target_filter = QComboBox()
        self.target_filter.addItem(tr("Both systems"), "")
        self.target_filter.addItem(tr("In 1C"), System.ONEC.value)
        self.target_filter.addItem(tr("In the CRM"), System.CRM.value)
        self.shown = QLabel()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.kind_filter)
        bar.addWidget(self.target_filter)
        bar.addWidget(self.shown)
        lay.addLayout(bar)
        self._filter_timer = debounced(self, 200, self.apply_filter)
        self.search.textChanged.connect(lambda _t: self._filter_timer.start())
        self.kind_filter.currentIndexChanged.connect(self.apply_filter)
        self.target_filter.currentIndexChanged.connect(self.apply_filter)

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
        what = self._what_width()  # «Добавить в ленту в CRM» whole, not «…в th…»
        self.tree.setColumnWidth(0, RECORD_WIDTH)
        self.tree.setColumnWidth(1, what)
        self.tree.setColumnWidth(2, max(WHY_MIN, 480 - (what - 170)))  # the rest as before
        self._elide = MiddleElide(self.tree)  # a name's start and its variant or date
        self.tree.setItemDelegateForColumn(0, self._elide)
        self.detail = DetailPane()  # the selected row whole: no hovering at 1366×768
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.tree)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 0)
        split.setSizes([640 - DETAIL_HEIGHT, DETAIL_HEIGHT])
        split.setChildrenCollapsible(False)
        lay.addWidget(split, 1)
        self._fill()
        self._closed = False
        self.finished.connect(self._close)
        self.tree.itemChanged.connect(self._changed)
        self.tree.currentItemChanged.connect(self._show_detail)

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
        self._pending: list[tuple[QTreeWidgetItem, list[PlanRow | tuple[int, Item]]]] = []
        for flow, rows in self.rows.items():
            group = QTreeWidgetItem([section_title(flow, list(rows))])
            group.setFont(0, bold)
            group.setFlags(
                group.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsAutoTristate
            )
            group.setCheckState(0, Qt.CheckState.Checked)
            group.setData(0, NoteRole, labels.flow(flow))
            groups.append(group)
            self._pending.append((group, [*rows]))
        self.groups = groups
        self.tree.addTopLevelItems(groups)
        for group in groups:
            group.setFirstColumnSpanned(True)
        if self.items:  # its rows come after the operations', turn by turn as theirs
            waiting = QTreeWidgetItem(
                self.tree,
                [tr("Waiting for a person — not applied ({n})").format(n=len(self.items))],
            )
            waiting.setFirstColumnSpanned(True)
            waiting.setFont(0, bold)
            self._pending.append((waiting, list(enumerate(self.items))))
        self._fill_more(FIRST_CHUNK)  # the first screenful now, the rest turn by turn

    def open_soon(self) -> None:
        """Show the dialog in a later turn of the event loop: its first paint (20-40 ms on
        the medium plan) apart from making it (issue 18); not if it was closed meanwhile."""
        QTimer.singleShot(1, self, self._open_now)

    def _open_now(self) -> None:
        """Show it, its rows painted in the next turn. Shown, the tree laid itself out again
        once painted and painted all its visible rows twice in the same pass (each cell's
        text shaped: 25-35 ms of the GUI thread with the dialog's own first paint)."""
        if self._closed:
            return
        self.tree.setUpdatesEnabled(False)
        self.open()
        QTimer.singleShot(1, self, lambda: self.tree.setUpdatesEnabled(True))

    def _close(self) -> None:
        self._closed = True
        self._pending.clear()  # the rest of the rows is never shown
        self._made.clear()

    def _show_detail(self, item: QTreeWidgetItem | None, *_: object) -> None:
        """The current row's whole text in the pane under the tree."""
        parent = item.parent() if item is not None else None
        op_id = item.data(0, OpRole) if item is not None else None
        row = self._row_of.get(op_id) if isinstance(op_id, str) else None
        note = item.data(0, NoteRole) if item is not None else None
        if row is not None and parent is not None:
            text = plan_detail.operation_html(row, str(parent.data(0, NoteRole) or ""))
        elif isinstance(note, int) and 0 <= note < len(self.items):
            text = plan_detail.waiting_html(self.items[note])
        else:  # a section's title, or nothing selected
            text = plan_detail.section_html(item.text(0)) if item is not None else ""
        self.detail.show_html(text)

    def _what_width(self) -> int:
        """«What will be done» wide enough for the plan's longest (a few distinct words:
        "Add to the timeline in the CRM", «Создать в 1С; номер 1С — в CRM»), at most
        ``WHAT_MAX``; 170 px cut both."""
        whats = {r.what for rows in self.rows.values() for r in rows}
        metrics = self.tree.fontMetrics()
        need = max((metrics.horizontalAdvance(w) for w in whats), default=0) + 16
        return min(max(170, need), WHAT_MAX)

    def _fill_more(self, budget: int = CHUNK) -> None:
        """Make up to ``budget`` rows (operations, then the items that wait); a plan of
        thousands never stalls the window.

        The first screenful goes into the tree at once; the rows after it are made turn by
        turn but put into the tree together once all are made (:meth:`_attach`): each rows'
        insertion under a shown section lays the whole tree out again and repaints it (its
        every visible cell's text shaped), 20-25 ms of the GUI thread a turn on the medium
        plan, in every turn of the filling (issue 18: no stall over 50 ms)."""
        self._bulk = True
        checkable = (
            QTreeWidgetItem().flags() | Qt.ItemFlag.ItemIsUserCheckable
        )  # once: enum | is slow
        try:
            while self._pending and budget > 0:
                group, rows = self._pending[0]
                take, rest = rows[:budget], rows[budget:]
                op, item = self._op_item, self._item_waiting
                children = [op(r, checkable) if isinstance(r, PlanRow) else item(*r) for r in take]
                if self._first:
                    group.addChildren(children)
                    group.setExpanded(True)
                else:
                    self._made.append((group, children))
                budget -= len(take)
                if rest:
                    self._pending[0] = (group, rest)
                else:
                    self._pending.pop(0)
        finally:
            self._bulk = False
        self._first = False
        if self._pending and not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(1, self._next_chunk)  # a timer: 0 may run in the pass under way
        elif not self._pending and self._made and not self._scheduled:
            self._scheduled = True  # put in the tree in a turn of its own
            QTimer.singleShot(1, self._next_chunk)
        self.filled = not self._pending and not self._made

    def _attach(self) -> None:
        """Every row made after the first screenful into the tree, in one go: the tree is
        laid out and repainted once."""
        made, self._made = self._made, []
        self._bulk = True
        try:
            for group, children in made:
                group.addChildren(children)
                group.setExpanded(True)
        finally:
            self._bulk = False
        self.filled = not self._pending

    def _op_item(self, r: PlanRow, checkable: Qt.ItemFlag) -> QTreeWidgetItem:
        item = QTreeWidgetItem([r.record, r.what, r.reason, r.changes])
        item.setFlags(checkable)
        item.setCheckState(0, Qt.CheckState.Checked)
        item.setData(0, OpRole, r.op_id)
        for column, tip in enumerate((r.record, r.what, r.reason, r.changes.replace("; ", "\n"))):
            item.setToolTip(column, tip)
        self._items[r.op_id] = item
        self._row_of[r.op_id] = r
        return item

    def _item_waiting(self, index: int, it: Item) -> QTreeWidgetItem:
        child = QTreeWidgetItem(plan_detail.waiting_cells(it))
        child.setToolTip(2, it.action or it.message)
        child.setData(0, NoteRole, index)
        self._waiting.append(child)
        return child

    def _changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._bulk:
            return
        op_id = item.data(0, OpRole)
        if column == 0 and op_id and item.checkState(0) == Qt.CheckState.Unchecked:
            self.finish_filling()  # a row made but not in the tree would not pass it on
            row = self._row_of.get(op_id)
            for one in (op_id, *(row.companions if row else ())):
                for dep in self._dependents.get(one, []):
                    child = self._items.get(self._carrier.get(dep, dep))
                    if child is not None and child.checkState(0) != Qt.CheckState.Unchecked:
                        child.setCheckState(0, Qt.CheckState.Unchecked)
        self._update_headline()

    def _next_chunk(self) -> None:
        self._scheduled = False
        if self._pending:
            self._fill_more()
        elif self._made:
            self._attach()

    def finish_filling(self) -> None:
        while self._pending:
            self._fill_more()
        self._attach()

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
        op_id = self._carrier.get(op_id, op_id)  # a companion ticks with its row
        self.finish_filling()  # every row in the tree: unticking passes on through it
        self._items[op_id].setCheckState(
            0, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        )

    def excluded(self) -> set[str]:
        """The op ids the person unticked (a row's companions with it)."""
        out: set[str] = set()
        for op_id, item in self._items.items():
            if item.checkState(0) != Qt.CheckState.Checked:
                out.add(op_id)
                out.update(self._row_of[op_id].companions)
        return out

    def apply_filter(self, *_: object) -> None:
        """Hide the rows the search, the kind and the target leave out; count what shows."""
        self._filter_timer.stop()
        self.finish_filling()
        words = self.search.text().casefold().split()
        kind = self.kind_filter.currentData() or ""
        target = self.target_filter.currentData() or ""
        shown = total = 0
        self.tree.setUpdatesEnabled(False)
        try:
            for group in self.groups:
                visible = 0
                for i in range(group.childCount()):
                    item = group.child(i)
                    if item is None:
                        continue
                    row = self._row_of.get(str(item.data(0, OpRole)))
                    ok = row is not None and (
                        (not kind or row.kind == kind)
                        and (not target or row.target == target)
                        and all(w in row.text() for w in words)
                    )
                    item.setHidden(not ok)
                    visible += ok
                total += group.childCount()
                shown += visible
                group.setHidden(visible == 0)
            for item in self._waiting:
                text = "\n".join(item.text(c) for c in range(4)).casefold()
                ok = not kind and not target and all(w in text for w in words)
                item.setHidden(not ok)
                parent = item.parent()
                if parent is not None:
                    children = (parent.child(i) for i in range(parent.childCount()))
                    parent.setHidden(all(ch is None or ch.isHidden() for ch in children))
        finally:
            self.tree.setUpdatesEnabled(True)
        filtered = bool(words or kind or target)
        self.shown.setText(
            tr("shown {shown} of {total}").format(shown=shown, total=total) if filtered else ""
        )

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
