"""F11's plan, pure: the version of a printed invoice and the words on what changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from desktop_sync.domain.vat import VatRate
from desktop_sync.engine.plan_invoice_pdf import what_changed
from desktop_sync.i18n import set_language
from desktop_sync.printing import BankAccount, InvoiceRow, Party, PrintableInvoice
from desktop_sync.printing.version import digest, version_values


def _row(qty: int, price: str) -> InvoiceRow:
    amount = Decimal(price) * qty
    return InvoiceRow("Бумага", Decimal(qty), "шт", Decimal(price), amount, VatRate.VAT20,
                      (amount / 6).quantize(Decimal("0.01")))  # fmt: skip


DOC = PrintableInvoice(
    "28", dt.date(2026, 3, 3), Party("ООО «Ромашка»", "7701234567", "770101001"),
    BankAccount("40702810900000012345", "ПАО СБЕРБАНК", "044525225"),
    Party("ООО «Лютик»", "5001007322", "500101001"), [_row(2, "3000"), _row(1, "6000")],
)  # fmt: skip


def test_the_version_follows_what_a_payer_sees_not_names_or_the_seller() -> None:
    same = dataclasses.replace(
        DOC,
        rows=[dataclasses.replace(r, name="Бумага А4", unit="пач") for r in DOC.rows],
        seller=Party("другой"),
        bank=BankAccount("1", "2", "3"),
    )
    assert digest(same) == digest(DOC)
    more = dataclasses.replace(DOC, rows=[*DOC.rows, _row(1, "1200")])
    assert digest(more) != digest(DOC)
    assert digest(dataclasses.replace(DOC, number="29")) != digest(DOC)
    assert digest(dataclasses.replace(DOC, buyer=Party("ООО «Лютик»", "5001007322"))) != digest(DOC)


def test_what_changed_in_russian() -> None:
    before = version_values(DOC, 1)
    after = version_values(dataclasses.replace(DOC, rows=[*DOC.rows, _row(1, "1200")]), 2)
    try:
        set_language("ru")
        said = what_changed(before, after)
    finally:
        set_language("en")
    assert said == "сумма 12\u00a0000,00 → 13\u00a0200,00 ₽; строк 2 → 3"
    assert what_changed(before, dict(before, seq=2)) == "rows changed"
