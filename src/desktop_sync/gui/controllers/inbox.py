"""The inbox tab: pick items (one or many alike), then take 1C, take CRM, type a value,
skip, or confirm. The decision is recorded by the controller in a worker; the next
plan carries it out.
"""

from __future__ import annotations

from collections.abc import Collection

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_sync.engine.records import InboxRecord
from desktop_sync.gui import fmt, labels
from desktop_sync.gui.controllers.lookup import invoice_url
from desktop_sync.gui.models.inbox_model import InboxModel
from desktop_sync.gui.views.detail_pane import DETAIL_HEIGHT, DetailPane, MiddleElide, esc
from desktop_sync.i18n import ntr, tr


def crm_invoice_id(e: InboxRecord) -> int | None:
    """The CRM invoice an item is about (F1 items name the CRM invoice by its id)."""
    if e.entity_type == "invoice" and e.dedup_key.startswith("F1:") and e.record_id.isdigit():
        return int(e.record_id)
    return None


class InboxWidget(QWidget):
    resolve_requested = Signal(list, str, object)  # item ids, action, value
    open_url = Signal(str)  # an address to open in the browser

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = InboxModel(self)
        self.planned: set[str] = set()  # the last plan's items: they join at a run
        self.portal = ""  # the profile's Bitrix24 address
        lay = QVBoxLayout(self)
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        lay.addWidget(self.headline)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        hh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for col, width in enumerate((150, 250, 130, 150, 150, 150, 420)):
            self.table.setColumnWidth(col, width)
        self._elide = MiddleElide(self.table)  # «Счёт № СЧ-0012…05.03.2026»: both ends
        self.table.setItemDelegateForColumn(1, self._elide)
        self.detail = DetailPane()  # the selected item whole, wrapped: no hovering
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setSizes([560, max(140, DETAIL_HEIGHT)])
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        lay.addWidget(split, 1)

        row = QHBoxLayout()
        self.take_onec = QPushButton(tr("Take the 1C value"))
        self.take_crm = QPushButton(tr("Take the CRM value"))
        self.edit = QPushButton(tr("Type the right value…"))
        self.confirm = QPushButton(tr("Confirm"))
        self.skip = QPushButton(tr("Skip"))
        self.select_alike = QPushButton(tr("Select all alike"))
        self.open_crm = QPushButton(tr("Open the invoice in Bitrix24"))
        self.open_crm.setToolTip(
            tr("Choose the company and its requisite there, or correct the invoice")
        )
        for b in (self.open_crm, self.take_onec, self.take_crm, self.edit, self.confirm, self.skip):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.select_alike)
        lay.addLayout(row)

        self.take_onec.clicked.connect(lambda: self._resolve("take_onec"))
        self.take_crm.clicked.connect(lambda: self._resolve("take_crm"))
        self.confirm.clicked.connect(lambda: self._resolve("confirm"))
        self.skip.clicked.connect(lambda: self._resolve("skip"))
        self.edit.clicked.connect(self._edit)
        self.open_crm.clicked.connect(self._open_crm)
        self.select_alike.clicked.connect(self._select_alike)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.modelReset.connect(self._selection_changed)
        self._selection_changed()

    def set_entries(
        self, entries: list[InboxRecord], planned: Collection[str] | None = None
    ) -> None:
        """``planned``: the keys of the last plan's items (a read's), some not here yet."""
        self.model.set_entries(entries)
        if planned is not None:
            self.planned = set(planned)
        n = len(entries)
        any_conflict = any(e.is_conflict for e in entries)
        for col in (3, 4, 5):  # the values only mean something for conflicts
            self.table.setColumnHidden(col, not any_conflict)
        conflicts = sum(1 for e in entries if e.is_conflict)
        new = len(self.planned - {e.dedup_key for e in entries})
        text = tr("Nothing waits for you.") if not n else _waiting_text(n, conflicts)
        if new:  # the demo before its first run said «Nothing waits» with 4 on the tabs
            text = (
                (text if n else tr("Nothing waits for you yet."))
                + " "
                + ntr(
                    "{new} more will join it when you synchronize; on the tabs it reads "
                    "«Waiting for a person».",
                    "{new} more will join it when you synchronize; on the tabs they read "
                    "«Waiting for a person».",
                    new,
                ).format(new=new)
            )
        self.headline.setText(text)

    def selected(self) -> list[InboxRecord]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.entry(r) for r in rows]

    def _selection_changed(self, *_: object) -> None:
        sel = self.selected()
        conflicts = bool(sel) and all(e.is_conflict for e in sel)
        attention = bool(sel) and all(not e.is_conflict for e in sel)
        # a choice the engine cannot carry out (a product's CRM value: 1C leads products)
        self.take_onec.setEnabled(conflicts and all(e.allows("take_onec") for e in sel))
        self.take_crm.setEnabled(conflicts and all(e.allows("take_crm") for e in sel))
        self.edit.setEnabled(conflicts and all(e.allows("value") for e in sel))
        self.confirm.setEnabled(attention and all(e.confirmable for e in sel))
        self.skip.setEnabled(bool(sel))
        self.select_alike.setEnabled(len(sel) == 1)
        self.open_crm.setVisible(len(sel) == 1 and self._invoice_url(sel[0]) != "")
        self.detail.setHtml(_detail_html(sel[0]) if len(sel) == 1 else "")

    def _invoice_url(self, e: InboxRecord) -> str:
        crm_id = crm_invoice_id(e)
        return invoice_url(self.portal, crm_id) if crm_id is not None and self.portal else ""

    def _open_crm(self) -> None:
        sel = self.selected()
        if len(sel) == 1 and (url := self._invoice_url(sel[0])):
            self.open_url.emit(url)

    def _resolve(self, action: str, value: object = None) -> None:
        sel = self.selected()
        if sel:
            self.resolve_requested.emit([e.id for e in sel], action, value)

    def _edit(self) -> None:
        sel = self.selected()
        if not sel:
            return
        text, ok = QInputDialog.getText(
            self, tr("The right value"), tr("{field}:").format(field=sel[0].field),
            text=fmt.value(sel[0].onec_value) if sel[0].onec_value is not None else "",
        )  # fmt: skip
        if ok:
            self._resolve("value", text.strip())

    def _select_alike(self) -> None:
        sel = self.selected()
        if len(sel) != 1:
            return
        first = sel[0]
        selection = self.table.selectionModel()
        for r, e in enumerate(self.model.entries()):
            if (e.kind, e.entity_type, e.field, e.message) == (
                first.kind, first.entity_type, first.field, first.message,
            ):  # fmt: skip
                selection.select(
                    self.model.index(r, 0),
                    selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
                )


def _waiting_text(n: int, conflicts: int) -> str:
    """«Ждут вашего решения: 3 (конфликтов — 0, …)» said the kind there was none of."""
    if conflicts and conflicts < n:
        return tr(
            "{n} items wait for you: {c} conflicts and {a} that need attention. "
            "Select one or several alike, then choose what to do."
        ).format(n=n, c=conflicts, a=n - conflicts)
    head = (
        ntr("{n} conflict waits for you.", "{n} conflicts wait for you.", n)
        if conflicts
        else ntr("{n} item needs your attention.", "{n} items need your attention.", n)
    )
    return head.format(n=n) + " " + tr("Select one or several alike, then choose what to do.")


def _detail_html(e: InboxRecord) -> str:
    parts = [
        f"<b>{esc(e.record_label)}</b> — {esc(e.field)}<br>",
        f"<span style='color:gray'>{esc(labels.flow(e.flow))}</span>",
        f"<p>{esc(e.message)}</p>",
    ]
    if e.is_conflict:
        parts.append(
            "<table cellpadding=4>"
            f"<tr><td>{tr('1C value')}</td><td><b>{esc(fmt.value(e.onec_value))}</b></td></tr>"
            f"<tr><td>{tr('CRM value')}</td><td><b>{esc(fmt.value(e.crm_value))}</b></td></tr>"
            f"<tr><td>{tr('Last synced')}</td><td>{esc(fmt.value(e.base_value))}</td></tr>"
            "</table>"
        )
    if e.action:
        parts.append(f"<p><i>{tr('What to do')}:</i> {esc(e.action)}</p>")
    if e.dedup_key.startswith("F1:no_company:"):
        parts.append(
            "<p>"
            + esc(
                tr(
                    "«Open the invoice in Bitrix24»: in the invoice card, in the client "
                    "block, choose the company and its requisite and save. The next "
                    "synchronization sends the invoice to 1C."
                )
            )
            + "</p>"
        )
    return "".join(parts)
