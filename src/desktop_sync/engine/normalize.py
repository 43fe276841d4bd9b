"""Normalized values: what the 3-way diff compares.

Both systems' records are turned into the same plain shape (strings, Decimals
rounded as money, ISO dates, row tables as one list), so "equal" means equal to the
kopeck and a value read back after our write compares equal to what we wrote.
"""

from __future__ import annotations

import functools
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from desktop_sync.domain.entities import Counterparty, Invoice, InvoiceLine, Product
from desktop_sync.domain.money import KOPECK, round_money
from desktop_sync.i18n import N_, tr

Values = dict[str, Any]

_SPACES = re.compile(r"\s+")
_NOT_DIGITS = re.compile(r"\D")


@functools.lru_cache(maxsize=1 << 16)  # a plan normalises the same names many times
def text(value: str | None) -> str:
    """Trim and collapse whitespace; nothing else (quotes and case are real data)."""
    value = value or ""
    # Every whitespace character but the space is unprintable: a printable text with no
    # double, leading or trailing space is already as the expression would leave it.
    if value.isprintable() and "  " not in value and value[:1] != " " and value[-1:] != " ":
        return value
    return _SPACES.sub(" ", value).strip()


def phone(value: str | None) -> str:
    if not value:  # most counterparties have none
        return ""
    digits = _NOT_DIGITS.sub("", value)
    if len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    return digits


@functools.lru_cache(maxsize=1 << 12)  # a plan's rows hold few distinct quantities
def qty(value: Decimal) -> str:
    """A quantity with no trailing zeros: 2, 2.5, 0.125."""
    q = value.normalize()
    return format(q, "f") if q != q.to_integral_value() else str(int(q))


def counterparty_values(cp: Counterparty) -> Values:
    return {
        "name": text(cp.name),
        "inn": text(cp.inn),
        "kpp": text(cp.kpp),
        "phone": phone(cp.phone),
        "email": text(cp.email).lower(),
    }


def price(value: Decimal | None) -> str:
    """A price as money text; "" when there is none."""
    return "" if value is None else str(round_money(value))


def product_values(p: Product) -> Values:
    # ``_value_``: an enum member's value as ``.value`` gives it, without the descriptor
    # call (a plan of 100,000 records asks some 115,000 times; issue 18)
    return {
        "name": text(p.name),
        "article": text(p.article),
        "kind": p.kind._value_,
        "unit": p.unit.okei if p.unit else "",
        "vat": p.vat_rate._value_,
        "price": price(p.price),
    }


def money_text(value: Decimal) -> str:
    """``str(round_money(value))``; a finite ``Decimal`` without the conversions."""
    if type(value) is Decimal and value.is_finite():
        return str(value.quantize(KOPECK, rounding=ROUND_HALF_UP))
    return str(round_money(value))


def line_values(line: InvoiceLine, product_id: str) -> list[Any]:
    price = line.price
    cents = price.quantize(KOPECK)  # equal to the price: the price is in whole kopecks
    return [
        product_id,
        qty(line.quantity),
        str(cents) if price == cents else format(price.normalize(), "f"),
        money_text(line.total_with_vat),
        line.vat_rate._value_,  # ``.value`` (see ``product_values``)
    ]


def invoice_values(
    inv: Invoice, counterparty_id: str, product_ids: list[str], total: Decimal | None = None
) -> Values:
    """``counterparty_id``/``product_ids`` are already mapped to the 1C side's refs;
    ``total``: the invoice's, when the caller has added it up already."""
    return {
        "date": inv.date.isoformat(),
        "counterparty": counterparty_id,
        "rows": [line_values(ln, pid) for ln, pid in zip(inv.lines, product_ids, strict=True)],
        "total": str(inv.total if total is None else total),
        "currency": inv.currency,
    }


_LABELS: dict[str, str] = {
    "name": N_("Name"),
    "inn": N_("INN"),
    "kpp": N_("KPP"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "article": N_("Article"),
    "kind": N_("Kind"),
    "unit": N_("Unit"),
    "vat": N_("VAT rate"),
    "price": N_("Base price"),
    "date": N_("Date"),
    "counterparty": N_("Counterparty"),
    "rows": N_("Rows"),
    "total": N_("Total"),
    "currency": N_("Currency"),
    # an invoice's state as the money flows write it (engine/money.py): the journal's
    # «Было → станет» names them by this table too (it said last_payment_date)
    "sync_status": N_("Sync status"),
    "onec_number": N_("1C number"),
    "onec_date": N_("1C date"),
    "paid": N_("Paid"),
    "outstanding": N_("Outstanding"),
    "last_payment_date": N_("Last payment"),
    "payments": N_("Payments"),
    "stage": N_("Stage"),
    "shipped": N_("Shipped"),
    "shipment_doc": N_("Shipment document"),
    "crm_payment": N_("Bitrix24 payment"),
    "title": N_("Title"),
    "base": N_("Based on"),
}


def label(field: str) -> str:
    """The field's name in the user's language."""
    return tr(_LABELS.get(field, field))


# Units by their ОКЕИ code (the all-Russian classifier 1C and the CRM both use), as a
# person writes them; a code not here is shown as it is.
_UNITS: dict[str, str] = {
    "796": N_("pcs"),
    "778": N_("pack"),
    "839": N_("set"),
    "704": N_("kit"),
    "715": N_("pair"),
    "625": N_("sheet"),
    "166": N_("kg"),
    "163": N_("g"),
    "168": N_("t"),
    "006": N_("m"),
    "055": N_("m²"),
    "113": N_("m³"),
    "112": N_("l"),
    "356": N_("h"),
    "355": N_("min"),
    "359": N_("day"),
    "362": N_("month"),
    "366": N_("year"),
    "539": N_("person-hour"),
    "792": N_("person"),
}

_VALUES: dict[str, dict[str, str]] = {
    "kind": {"goods": N_("goods"), "service": N_("service")},
    "vat": {"БезНДС": N_("without VAT")},
    "unit": _UNITS,
}


def display(field: str, value: Any) -> Any:
    """A normalized value as the person reads it (kinds, units and VAT codes in words)."""
    if isinstance(value, str) and value in _VALUES.get(field, {}):
        return tr(_VALUES[field][value])
    if field == "vat" and isinstance(value, str) and value.startswith("НДС"):
        # English "22%", Russian «22 %» (a no-break space, as Russian typesetting has it)
        return tr("{rate}%").format(rate=value.removeprefix("НДС").replace("_", "/"))
    return value
