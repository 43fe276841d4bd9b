"""The payment QR code of the invoice: ГОСТ Р 56042-2014, made by segno."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from desktop_sync.domain.money import round_money
from desktop_sync.printing.data import PrintableInvoice, PrintingError

if TYPE_CHECKING:  # imported where a code is made: a sync that prints none never loads it
    import segno

_GOST_HEADER = "ST0001" + "2"  # format ST, version 0001, encoding 2 = UTF-8
_GOST_SEPARATORS = "|#;:^~"
# Maximum lengths of the standard's fields (table 1 and 2).
_GOST_LIMITS = {"Name": 160, "BankName": 45, "Purpose": 210}


def digits(value: str) -> str:
    """The digits of an account, a БИК or an ИНН, whatever separates them."""
    return "".join(ch for ch in value if ch.isdigit())


def gost_payload(invoice: PrintableInvoice) -> str:
    """The payment string of ГОСТ Р 56042-2014, UTF-8 («ST00012»).

    ``ST00012|Name=…|PersonalAcc=…|BankName=…|BIC=…|CorrespAcc=…|PayeeINN=…|KPP=…|
    Purpose=…|Sum=<kopecks>``: the five mandatory fields first, then the additional
    ones. The separator is the character after the header; «|» unless a value holds it,
    then the first of ``#;:^~`` no value holds. Line breaks become spaces; values longer
    than the standard allows are cut to its limit.
    """
    fields = _gost_fields(invoice)
    values = "".join(v for _, v in fields)
    sep = next((s for s in _GOST_SEPARATORS if s not in values), None)
    if sep is None:
        raise PrintingError(
            f"{invoice.title}: the payment details hold every separator the QR code may use"
        )
    return sep.join([_GOST_HEADER, *(f"{k}={v}" for k, v in fields)])


def _gost_fields(invoice: PrintableInvoice) -> list[tuple[str, str]]:
    seller, bank = invoice.seller, invoice.bank
    problems = []
    if len(digits(bank.account)) != 20:
        problems.append("расчётный счёт (20 цифр)")
    if len(digits(bank.bic)) != 9:
        problems.append("БИК (9 цифр)")
    if not bank.bank_name.strip():
        problems.append("банк")
    if not seller.name.strip():
        problems.append("наименование организации")
    if problems:
        raise PrintingError(
            f"{invoice.title}: для QR-кода оплаты не заполнено или неверно: " + ", ".join(problems)
        )
    kopecks = int(round_money(invoice.total) * 100)
    raw = [
        ("Name", seller.name),
        ("PersonalAcc", digits(bank.account)),
        ("BankName", bank.bank_name),
        ("BIC", digits(bank.bic)),
        ("CorrespAcc", digits(bank.correspondent_account) or "0"),
        ("PayeeINN", digits(seller.inn)),
        ("KPP", digits(seller.kpp)),
        ("Purpose", invoice.payment_purpose),
        ("Sum", str(kopecks)),
    ]
    fields = []
    for key, value in raw:
        text = " ".join(value.split())
        if not text:
            continue
        limit = _GOST_LIMITS.get(key)
        fields.append((key, text[:limit] if limit else text))
    return fields


def qr_code(payload: str) -> segno.QRCode:
    """Byte mode in UTF-8 without an ECI header (what bank apps read), level M."""
    import segno  # imported when a code is made (issue 18: the sync process)

    return segno.make(payload, error="m", encoding="utf-8", micro=False, boost_error=False)


def qr_png(payload: str, scale: int = 8) -> bytes:
    """The QR code as PNG (for a screen), with the standard's quiet zone of four modules."""
    out = io.BytesIO()
    qr = qr_code(payload)
    qr.save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
