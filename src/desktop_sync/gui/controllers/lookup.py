"""Invoice lookup for the sales manager: type a number or a name, see paid, outstanding,
each payment and shipment at a glance. Answers from the last read; touches nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_sync.engine.views import InvoiceStatus
from desktop_sync.gui import fmt
from desktop_sync.i18n import tr

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
Finder = Callable[[str], list[InvoiceStatus]]


class LookupWidget(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.finder: Finder = lambda _q: []
        self.results: list[InvoiceStatus] = []
        lay = QVBoxLayout(self)
        self.query = QLineEdit()
        self.query.setPlaceholderText(
            tr("Invoice number, number/year, CRM id, or part of the counterparty's name")
        )
        self.query.setClearButtonEnabled(True)
        lay.addWidget(self.query)
        self.hint = QLabel(tr("The answer comes from the last read of both systems."))
        self.hint.setStyleSheet("color: gray")
        lay.addWidget(self.hint)
        self.table = QTableWidget(0, 8)
        self.table.setHorizontalHeaderLabels([
            tr("Number"), tr("Date"), tr("Counterparty"), tr("Total"), tr("Paid"),
            tr("Outstanding"), tr("Shipped"), tr("Stage"),
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
        for col, w in enumerate((90, 96, 230, 125, 125, 125, 125)):
            self.table.setColumnWidth(col, w)
        self.detail = QTextBrowser()
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setSizes([900, 420])
        lay.addWidget(split, 1)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self.search)
        self.query.textChanged.connect(lambda _t: self._debounce.start())
        self.query.returnPressed.connect(self.search)
        self.table.itemSelectionChanged.connect(self._show_detail)

    def search(self) -> None:
        self._debounce.stop()
        self.results = self.finder(self.query.text())
        t = self.table
        t.setRowCount(len(self.results))
        for r, s in enumerate(self.results):
            cells = [s.number, fmt.date(s.date), s.counterparty, fmt.money(s.total)]
            cells += [fmt.money(s.paid), fmt.money(s.outstanding), fmt.money(s.shipped), s.stage]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if 3 <= c <= 6:  # money
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                t.setItem(r, c, item)
        if self.results:
            t.selectRow(0)
        else:
            self.detail.setHtml(
                f"<p>{tr('No invoice found.')}</p>" if self.query.text().strip() else ""
            )

    def _show_detail(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.detail.setHtml(status_html(self.results[rows[0].row()]))


def status_html(s: InvoiceStatus) -> str:
    paid_colour = "#2e7d32" if s.outstanding == 0 and s.total > 0 else "#b26a00"
    lines = [
        "<h3>"
        + tr("Invoice {number} of {date}").format(number=s.number, date=fmt.date(s.date))
        + "</h3>",
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
        lines.append(f"<p>{tr('In the CRM: invoice {id}').format(id=s.crm_id)}"
                     + (f" — {s.stage}" if s.stage else "") + "</p>")  # fmt: skip
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
