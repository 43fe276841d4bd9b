"""Two tables, 1C on the left and the CRM on the right, over one model: rows stay aligned.

Both views share the model and its selection; scrolling one scrolls the other,
and a click on either header sorts both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_sync.gui import fmt
from desktop_sync.gui.models.side_by_side import CRM, ONEC, STATE, SideBySideModel
from desktop_sync.i18n import tr
from desktop_sync.readmodel import ColumnKind

ROW_HEIGHT = 26


def _table() -> QTableView:
    view = QTableView()
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    vh = view.verticalHeader()
    vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform rows: fast and aligned
    vh.setDefaultSectionSize(ROW_HEIGHT)
    vh.hide()
    hh = view.horizontalHeader()
    hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    hh.setHighlightSections(False)
    hh.setSortIndicatorShown(True)
    hh.setMinimumSectionSize(48)
    hh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return view


_ACTIVATION = (QEvent.Type.WindowActivate, QEvent.Type.WindowDeactivate)


class SameWhenInactive(QObject):
    """Keeps a view from repainting when its window is activated or deactivated.

    An item view repaints its whole viewport then (the selection may be drawn in other
    colours in an inactive window): every visible cell a call of the model's Python
    ``data()`` for each role, about 1,300 for a tab's three panes, 10 ms of the GUI thread
    on the medium set. The plan review and the summary opening and closing did it in the
    turn of their own first paint (issue 18: no stall over 50 ms). The selection keeps its
    active colours under a dialog (the same in the Fusion style, where they do not differ).
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        return event.type() in _ACTIVATION


def _titled(title: str, view: QTableView, object_name: str) -> QWidget:
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(4)
    label = QLabel(title)
    label.setObjectName(object_name)
    label.setProperty("sideTitle", True)
    lay.addWidget(label)
    lay.addWidget(view)
    return box


class SideBySideView(QWidget):
    """1C | state | CRM: three views over one model, one selection, one scroll position.

    Above the tables, a notice can say why the tab shows little or nothing (no warehouse
    mapped) with a button that fixes it; the empty state follows the real phase
    (reading, read, not read yet)."""

    notice_action = Signal()

    def __init__(self, model: SideBySideModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.left = _table()
        self.middle = _table()
        self.right = _table()
        self.views = (self.left, self.middle, self.right)
        self.selection = QItemSelectionModel(model, self)
        for v in self.views:
            v.setModel(model)
            v.setSelectionModel(self.selection)
        self.left.setObjectName("onecTable")
        self.middle.setObjectName("stateTable")
        self.right.setObjectName("crmTable")
        for v in (self.left, self.middle):
            v.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for v in self.views:  # the same room under each: the last rows line up
            v.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.same_when_inactive = SameWhenInactive(self)
        for v in self.views:
            v.viewport().installEventFilter(self.same_when_inactive)
            v.horizontalHeader().viewport().installEventFilter(self.same_when_inactive)
        self.middle.horizontalHeader().setStretchLastSection(True)
        self.middle.setMinimumWidth(200)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(_titled(tr("1C:Enterprise"), self.left, "onecTitle"))
        split.addWidget(_titled(tr("Sync state"), self.middle, "stateTitle"))
        split.addWidget(_titled(tr("Bitrix24 CRM"), self.right, "crmTitle"))
        split.setChildrenCollapsible(False)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 0)
        split.setStretchFactor(2, 1)
        split.setSizes([500, 300, 500])
        self.splitter = split
        self.empty = QLabel()
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: gray; padding: 6px;")
        self.empty.setWordWrap(True)
        self.phase = "unread"  # "unread" | "reading" | "read"
        self.notice = QFrame()
        self.notice.setObjectName("tabNotice")
        self.notice.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.notice.setStyleSheet(
            "QFrame#tabNotice { background: rgba(178, 106, 0, 0.10); border-radius: 4px; }"
        )
        row = QHBoxLayout(self.notice)
        row.setContentsMargins(8, 4, 8, 4)
        self.notice_text = QLabel()
        self.notice_text.setWordWrap(True)
        self.notice_button = QPushButton()
        self.notice_button.clicked.connect(self.notice_action)
        row.addWidget(self.notice_text, 1)
        row.addWidget(self.notice_button)
        self.notice.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.notice)
        lay.addWidget(self.empty)
        lay.addWidget(split)

        bars = [v.verticalScrollBar() for v in self.views]
        for src in bars:
            for dst in bars:
                if src is not dst:
                    src.valueChanged.connect(dst.setValue)
        for v in self.views:
            v.horizontalHeader().sortIndicatorChanged.connect(
                lambda _s, _o, owner=v: self._sorted(owner)
            )
        self._layout: tuple[str, ...] = ()
        model.modelReset.connect(self._model_reset)
        self._model_reset()
        self.apply_columns()

    def _sorted(self, owner: QTableView) -> None:
        """Only the header that was clicked shows the sort arrow."""
        for v in self.views:
            if v is not owner:
                hh = v.horizontalHeader()
                hh.blockSignals(True)
                hh.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
                hh.blockSignals(False)

    def set_phase(self, phase: str) -> None:
        """``reading`` while both systems are read, ``read`` after, ``unread`` before."""
        self.phase = phase
        self._update_empty()

    def set_notice(self, text: str, button: str = "") -> None:
        """A reason the tab is short of rows, and the button that fixes it; "" hides it."""
        self.notice_text.setText(text)
        self.notice_button.setText(button)
        self.notice_button.setVisible(bool(button))
        self.notice.setVisible(bool(text))
        self._update_empty()

    def _update_empty(self) -> None:
        m = self.model
        if m.rowCount():
            self.empty.hide()
            return
        if m.total_count():
            text = tr("No rows match the filters.")
        elif self.phase == "reading":
            text = tr("Reading both systems…")
        elif not self.notice.isHidden():
            text = ""  # the notice above says why
        elif self.phase == "read":
            text = tr("Neither system has anything of this kind.")
        else:
            text = tr("Nothing here yet. Refresh (F5) reads both systems.")
        self.empty.setText(text)
        self.empty.setVisible(bool(text))

    def _model_reset(self) -> None:
        self._update_empty()
        layout = tuple(c.key for c in self.model.table.columns)
        if layout != self._layout:  # keep the widths the person chose across refreshes
            self._layout = layout
            self.apply_columns()

    def apply_columns(self) -> None:
        self._update_empty()
        m = self.model
        shown = (m.side_columns(ONEC), m.side_columns(STATE), m.side_columns(CRM))
        for view, cols in zip(self.views, shown, strict=True):
            for c in range(m.columnCount()):
                view.setColumnHidden(c, c not in cols)
        widths = _widths(m, self.left)
        for c, w in widths.items():
            for view in self.views:
                view.setColumnWidth(c, w)
        for view, side in ((self.left, ONEC), (self.right, CRM)):
            hh = view.horizontalHeader()
            for place, c in enumerate(_order(m, side)):
                hh.moveSection(hh.visualIndex(c), place)
        self._size_panes(widths)

    def _size_panes(self, widths: dict[int, int]) -> None:
        """Each side as wide as its key columns (number, date, counterparty, sum), the
        state pane the rest, within ``STATE_PANE``; a wider screen widens the sides."""
        m = self.model
        need = [
            _key_width(_order(m, side), widths, m) + 2 * view.frameWidth()
            for view, side in ((self.left, ONEC), (self.right, CRM))
        ]
        need[1] += self.right.verticalScrollBar().sizeHint().width()
        room = self.splitter.width() - self.splitter.handleWidth() * 2
        if room < sum(need) + STATE_PANE[0]:
            room = 1346 - self.splitter.handleWidth() * 2  # not laid out yet: a laptop
        middle = max(STATE_PANE[0], min(STATE_PANE[1], room - sum(need)))
        self.splitter.setSizes([need[0], middle, need[1]])

    def selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.selection.selectedIndexes()})


_WIDTHS = {
    "number": 90, "date": 92, "counterparty": 200, "total": 130, "paid": 130,
    "outstanding": 130, "stage": 150, "shipped": 130, "kind": 120, "amount": 130,
    "invoice": 120, "product": 240, "warehouse": 160, "quantity": 90, "name": 240,
    "inn": 120, "kpp": 100, "phone": 150, "email": 190, "article": 110, "unit": 70, "vat": 90,
}  # fmt: skip
# What a cell of a kind looks like at its widest, measured in the view's own font: the
# columns a person reads first fit whatever the font, the language or the screen's DPI.
_SAMPLES: dict[ColumnKind, Callable[[], str]] = {
    ColumnKind.DATE: lambda: fmt.date(dt.date(2026, 12, 28)),
    ColumnKind.MONEY: lambda: fmt.money(Decimal("-9999999.99")),
    ColumnKind.QTY: lambda: fmt.qty(Decimal("99999.999")),
    ColumnKind.PHONE: lambda: fmt.phone("+74951234567"),
}
# a name (a counterparty, a product) gets this many average characters; a longer one is
# cut with "…" and the detail line under the tables has it whole
_NAME_CHARS = {"counterparty": 24, "name": 34, "product": 30}
_NUMBER_SAMPLE = "БП00-000123"  # a 1C number with its prefix, the longest kind seen
# the columns read first, in this order; the others follow them, a scroll away
_AFTER = {"record": "total"}  # the kind of record (a smart invoice, a deal) after the sum
_KEYS = ("number", "date", "counterparty", "total", "amount", "name", "inn", "article",
         "product", "warehouse", "quantity")  # fmt: skip
PAD = 18  # a cell's margins and the header's sort arrow
STATE_PANE = (300, 420)  # the state pane's least and most width when the panes are sized


def _widths(m: SideBySideModel, view: QTableView) -> dict[int, int]:
    """Each column's start width: the key columns measured, the others as before."""
    cells = view.fontMetrics()
    head = view.horizontalHeader().fontMetrics()
    out: dict[int, int] = {}
    cols = m.table.columns
    for c in range(m.columnCount()):
        if c == m.state_column:
            out[c] = 290
            continue
        col = cols[c if c < len(cols) else c - len(cols) - 1]
        label = head.horizontalAdvance(tr(col.label)) + PAD
        if col.kind in _SAMPLES:
            out[c] = max(label, cells.horizontalAdvance(_SAMPLES[col.kind]()) + PAD)
        elif col.key in _NAME_CHARS:
            out[c] = max(label, cells.averageCharWidth() * _NAME_CHARS[col.key] + PAD)
        elif col.key == "number":
            out[c] = max(label, cells.horizontalAdvance(_NUMBER_SAMPLE) + PAD)
        else:
            out[c] = max(label, _WIDTHS.get(col.key, 120))
    return out


def _order(m: SideBySideModel, side: str) -> list[int]:
    """A side's columns in the order shown: each in the model's order, a column of
    ``_AFTER`` moved behind the one it follows."""
    shown = m.side_columns(side)
    keys = {m.column_key(c): c for c in shown}
    order = [c for c in shown if m.column_key(c) not in _AFTER]
    for key, after in _AFTER.items():
        if key in keys:
            at = order.index(keys[after]) + 1 if after in keys else len(order)
            order.insert(at, keys[key])
    return order


def _key_width(order: list[int], widths: dict[int, int], m: SideBySideModel) -> int:
    """The width of the leading run of key columns (what must fit without a scroll)."""
    total = 0
    for c in order:
        if m.column_key(c) not in _KEYS:
            break
        total += widths[c]
    return total
