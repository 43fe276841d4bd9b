"""Invoice lookup for the sales manager: type a number or a name, see paid, outstanding,
each payment and shipment at a glance. Answers from the last read; touches nothing.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_sync.gui import fmt
from desktop_sync.gui.debounce import debounced
from desktop_sync.i18n import tr
from desktop_sync.printing.files import default_name
from desktop_sync.readmodel import InvoiceStatus

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
Finder = Callable[[str], list[InvoiceStatus]]


class LookupWidget(QWidget):
    print_requested = Signal(object, str)  # the invoice (InvoiceStatus), the PDF's path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.finder: Finder = lambda _q: []
        self.results: list[InvoiceStatus] = []
        lay = QVBoxLayout(self)
        self.query = QLineEdit()
        self.query.setPlaceholderText(
            tr("Invoice number, number/year, CRM id, a deal, or part of the counterparty's name")
        )
        self.query.setClearButtonEnabled(True)
        lay.addWidget(self.query)
        self.hint = QLabel(tr("The answer comes from the last read of both systems."))
        self.hint.setStyleSheet("color: gray")
        lay.addWidget(self.hint)
        self.table = QTableWidget(0, 9)
        self.table.setHorizontalHeaderLabels([
            tr("No. in 1C"), tr("No. in the CRM"), tr("Date"), tr("Counterparty"), tr("Total"),
            tr("Paid"), tr("Outstanding"), tr("Shipped"), tr("Stage"),
        ])  # fmt: skip
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        self.table.horizontalHeader().setMinimumSectionSize(60)
        self.table.horizontalHeader().setSectionResizeMode(
            3,
            QHeaderView.ResizeMode.Stretch,  # the name takes what is left; nothing clipped
        )
        self.table.horizontalHeader().setStretchLastSection(False)
        for col in (0, 1, 2, 4, 5, 6, 7, 8):
            self.table.horizontalHeader().setSectionResizeMode(
                col, QHeaderView.ResizeMode.ResizeToContents
            )
        self.portal = ""  # the profile's Bitrix24 address: a link opens the invoice there
        self.detail = QTextBrowser()
        self.detail.setOpenExternalLinks(True)
        self.print_button = QPushButton(tr("Print the invoice (PDF)"))
        self.print_button.setToolTip(
            tr("The invoice «Счёт на оплату» with the payment QR code, from 1C's data")
        )
        self.print_button.setEnabled(False)
        self.print_button.clicked.connect(self._ask_print)
        card = QWidget()
        card_lay = QVBoxLayout(card)
        card_lay.setContentsMargins(0, 0, 0, 0)
        card_lay.addWidget(self.detail, 1)
        card_lay.addWidget(self.print_button)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(card)
        split.setSizes([900, 420])
        lay.addWidget(split, 1)
        self._debounce = debounced(self, 200, self.search)
        self.query.textChanged.connect(lambda _t: self._debounce.start())
        self.query.returnPressed.connect(self.search)
        self.table.itemSelectionChanged.connect(self._show_detail)

    def search(self) -> None:
        self._debounce.stop()
        self.results = self.finder(self.query.text())
        t = self.table
        t.setRowCount(len(self.results))
        for r, s in enumerate(self.results):
            cells = [s.number if s.onec_ref else "—", s.crm_number or "—", fmt.date(s.date)]
            cells += [s.counterparty, fmt.money(s.total), fmt.money(s.paid)]
            cells += [fmt.money(s.outstanding), fmt.money(s.shipped), s.stage]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if 4 <= c <= 7:  # money
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                t.setItem(r, c, item)
        if self.results:
            t.selectRow(0)
        else:
            self.print_button.setEnabled(False)
            self.detail.setHtml(
                f"<p>{tr('No invoice or deal found.')}</p>" if self.query.text().strip() else ""
            )

    def selected(self) -> InvoiceStatus | None:
        rows = self.table.selectionModel().selectedRows()
        return self.results[rows[0].row()] if rows else None

    def _show_detail(self) -> None:
        chosen = self.selected()
        # the printed form is 1C's document: an invoice only in the CRM has none yet
        self.print_button.setEnabled(chosen is not None and bool(chosen.onec_ref))
        if chosen is not None:
            self.detail.setHtml(status_html(chosen, self.portal))

    def _ask_print(self) -> None:
        chosen = self.selected()
        if chosen is None or not chosen.onec_ref:
            return
        day = f"{chosen.date:%d.%m.%Y}" if chosen.date else ""
        suggested = Path.home() / default_name(chosen.number, day)
        path, _ = QFileDialog.getSaveFileName(
            self, tr("Save the invoice as PDF"), str(suggested), tr("PDF files (*.pdf)")
        )
        if path:
            self.print_requested.emit(chosen, path)


def invoice_url(portal: str, crm_id: int, deal: bool = False) -> str:
    """The smart invoice's card on the portal (entity type 31), or the ``deal``'s."""
    where = "deal" if deal else "type/31"
    return f"{portal.rstrip('/')}/crm/{where}/details/{crm_id}/"


def status_html(s: InvoiceStatus, portal: str = "") -> str:
    paid_colour = "#2e7d32" if s.outstanding == 0 and s.total > 0 else "#b26a00"
    numbers = []
    if s.onec_ref:
        numbers.append(tr("in 1C: {number}").format(number=html.escape(s.number)))
    if s.crm_number:
        crm = tr("in the CRM: deal {number}") if s.deal else tr("in the CRM: {number}")
        numbers.append(crm.format(number=html.escape(s.crm_number)))
    lines = [
        "<h3>"
        + (tr("Deal of {date}") if s.deal and not s.onec_ref else tr("Invoice of {date}")).format(
            date=fmt.date(s.date)
        )
        + "</h3>",
        f"<p>{tr('Number')} " + " · ".join(numbers) + "</p>",
        f"<p>{s.counterparty}</p>",
        "<table cellpadding=3>",
        f"<tr><td>{tr('Total')}</td><td align=right><b>{fmt.money(s.total)}</b></td></tr>",
        f"<tr><td>{tr('Paid')}</td><td align=right style='color:{paid_colour}'>"
        f"<b>{fmt.money(s.paid)}</b></td></tr>",
        f"<tr><td>{tr('Outstanding')}</td>"
        f"<td align=right><b>{fmt.money(s.outstanding)}</b></td></tr>",
        f"<tr><td>{tr('Shipped')}</td><td align=right>{fmt.money(s.shipped)}</td></tr>",
        "</table>",
    ]
    if s.crm_id is not None:
        stage = tr("Stage in the CRM: {stage}").format(stage=html.escape(s.stage or "—"))
        link = (
            f' · <a href="{html.escape(invoice_url(portal, s.crm_id, s.deal))}">'
            + tr("Open in Bitrix24")
            + "</a>"
            if portal
            else ""
        )
        lines.append(f"<p>{stage}{link}</p>")
        if s.note and not s.in_onec:  # not at the send stage: goes to 1C from there
            missing = tr("This deal is not in 1C: {why}.") if s.deal else tr("Not in 1C: {why}.")
            lines.append("<p>" + html.escape(missing.format(why=s.note)) + "</p>")
    elif s.note:  # e.g. a UT 11 draft order: it goes once posted (as `status` says)
        lines.append("<p>" + html.escape(tr("Not in the CRM: {why}.").format(why=s.note)) + "</p>")
    else:
        lines.append(f"<p>{tr('Not in the CRM yet.')}</p>")
    lines.append(f"<h4>{tr('Payments')}</h4>")
    if s.payments:
        lines.append("<table cellpadding=3>")
        for p in s.payments:
            lines.append(f"<tr><td>{p.number}</td><td>{fmt.date(p.date)}</td><td>{p.kind}</td>"
                         f"<td align=right>{fmt.money(p.amount)}</td></tr>")  # fmt: skip
        lines.append("</table>")
    else:
        lines.append(f"<p>{tr('No payments yet.')}</p>")
    lines.append(f"<h4>{tr('Shipments')}</h4>")
    lines.append("<p>" + ("<br>".join(s.shipments) if s.shipments else tr("Not shipped yet."))
                 + "</p>")  # fmt: skip
    return "".join(lines)
