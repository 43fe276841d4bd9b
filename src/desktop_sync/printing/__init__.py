"""Printed forms: the invoice «Счёт на оплату» as PDF with its payment QR code (F11).

Qt-free and connector-free: it renders (:mod:`.invoice`) from plain data (:mod:`.data`)
with its payment QR code (:mod:`.qr`), so the CLI, the window and the sync can all print
the same document.
"""

from desktop_sync.printing.data import (
    BankAccount,
    InvoiceRow,
    Party,
    PrintableInvoice,
    PrintingError,
    amount_in_words,
)
from desktop_sync.printing.qr import gost_payload, qr_png


def render_invoice_pdf(invoice: PrintableInvoice) -> bytes:
    """The whole invoice as PDF bytes (:func:`.invoice.render_invoice_pdf`).

    fpdf2 is imported here, on the first invoice printed, not with the package: every
    command imports the door, the door imports this package, and fpdf2 costs about
    0.3 s of start-up that a sync never needs.
    """
    from desktop_sync.printing.invoice import render_invoice_pdf as render

    return render(invoice)


__all__ = [
    "BankAccount",
    "InvoiceRow",
    "Party",
    "PrintableInvoice",
    "PrintingError",
    "amount_in_words",
    "gost_payload",
    "qr_png",
    "render_invoice_pdf",
]
