"""Printed forms: the invoice «Счёт на оплату» as PDF with its payment QR code (F11).

Qt-free and connector-free: it renders from plain data (:mod:`.invoice`), so the CLI,
the window and the sync can all print the same document.
"""

from desktop_sync.printing.invoice import (
    BankAccount,
    InvoiceRow,
    Party,
    PrintableInvoice,
    PrintingError,
    amount_in_words,
    gost_payload,
    qr_png,
    render_invoice_pdf,
)

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
