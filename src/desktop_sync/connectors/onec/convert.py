"""1C's JSON records → domain objects (and back for writes).

1C sends naive server-local times; business dates become ``datetime.date``,
``0001-01-01T00:00:00`` becomes ``None``, the zero GUID becomes ``None``.
Numbers arrive as ``Decimal`` (the transport parses JSON so); Int64 arrives as text.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from desktop_sync.connectors.onec.errors import OnecBadResponse
from desktop_sync.domain.entities import (
    Contract,
    Counterparty,
    CounterpartyKind,
    InvoiceLine,
    PriceType,
    Product,
    ProductKind,
    Unit,
    Warehouse,
)
from desktop_sync.domain.money import ZERO, to_decimal
from desktop_sync.domain.vat import VatRate, standard_rate

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
EMPTY_DATE = "0001-01-01T00:00:00"

VAT_KIND_TO_RATE = {"Льготная": VatRate.VAT10, "Нулевая": VatRate.VAT0, "БезНДС": VatRate.WITHOUT}
RATE_TO_VAT_KIND = {
    VatRate.VAT22: "Общая",
    VatRate.VAT20: "Общая",
    VatRate.VAT10: "Льготная",
    VatRate.VAT0: "Нулевая",
    VatRate.WITHOUT: "БезНДС",
}


def key(value: Any) -> str:
    """A record's own ``Ref_Key``, interned: the snapshot, its index and the scan of
    versions share one string per record."""
    return sys.intern(str(value))


def ref(value: Any) -> str | None:
    """A reference: the zero GUID (and "") is "no reference". Interned: the same
    counterparty or product named by thousands of documents is one string in memory."""
    if value in (None, "", ZERO_GUID):
        return None
    return sys.intern(str(value))


def timestamp(value: Any, tz: ZoneInfo) -> dt.datetime | None:
    """A naive server-local 1C time → an aware datetime in the server's zone."""
    if value in (None, "", EMPTY_DATE):
        return None
    try:
        naive = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise OnecBadResponse(f"1C sent a date that cannot be read: {value!r}") from None
    return naive.replace(tzinfo=tz)


def date(value: Any) -> dt.date | None:
    """A business date (document date): the day 1C shows, no zone conversion."""
    if value in (None, "", EMPTY_DATE):
        return None
    try:
        return dt.datetime.fromisoformat(str(value)).date()
    except ValueError:
        raise OnecBadResponse(f"1C sent a date that cannot be read: {value!r}") from None


def to_onec_date(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00"


@functools.lru_cache(maxsize=4096)
def _whole(value: int) -> Decimal:
    """A whole number as one shared Decimal (quantities repeat: 1, 2, 10…)."""
    return Decimal(value)


def number(value: Any, entity: str = "", field: str = "") -> Decimal:
    if value is None:
        return ZERO
    if type(value) is int:
        return _whole(value)
    try:
        return to_decimal(value)
    except ValueError:
        raise OnecBadResponse(
            f"1C sent {field} of {entity} that is not a number: {value!r}",
            entity=entity,
            field=field,
        ) from None


def head(r: dict[str, Any]) -> dict[str, Any] | None:
    """A document's header as the domain has it (number as printed, date, counterparty,
    posted, deleted, its key); None without a date."""
    day = date(r.get("Date"))
    if day is None:
        return None
    return {
        "number": printed_number(str(r.get("Number") or "")),
        "date": day,
        "counterparty_ref": ref(r.get("Контрагент_Key")),
        "posted": bool(r.get("Posted")),
        "deleted": bool(r.get("DeletionMark")),
        "onec_ref": key(r["Ref_Key"]),
    }


def printed_number(value: str) -> str:
    """``СВ00-000012`` → ``12``: the number as 1C prints it (no prefix, no leading zeros)."""
    text = value.rsplit("-", 1)[-1] if "-" in value else value
    digits = text.lstrip("0")
    return digits or ("0" if text else "")


def vat_rate(value: Any, entity: str, field: str = "СтавкаНДС") -> VatRate:
    text = str(value or "")
    if not text:
        return VatRate.WITHOUT
    try:
        return VatRate.from_onec(text)
    except ValueError:
        raise OnecBadResponse(
            f"1C sent an unknown VAT rate {text!r} in {entity}", entity=entity, field=field
        ) from None


def counterparty(rec: dict[str, Any]) -> Counterparty:
    inn = str(rec.get("ИНН") or "").strip()
    name = str(rec.get("Description") or "")
    legal = rec.get("ЮридическоеФизическоеЛицо")
    if legal == "ЮридическоеЛицо":
        kind = CounterpartyKind.ORGANIZATION
    elif len(inn) == 12 and name.upper().startswith("ИП "):
        kind = CounterpartyKind.SOLE_TRADER
    else:
        kind = CounterpartyKind.PERSON
    phone = email = ""
    for row in rec.get("КонтактнаяИнформация") or []:
        if row.get("Тип") == "Телефон" and not phone:
            phone = str(row.get("НомерТелефона") or row.get("Представление") or "")
        if row.get("Тип") == "АдресЭлектроннойПочты" and not email:
            email = str(row.get("АдресЭП") or row.get("Представление") or "")
    return Counterparty(
        name=name,
        kind=kind,
        inn=inn,
        kpp=str(rec.get("КПП") or "").strip(),
        full_name=str(rec.get("НаименованиеПолное") or ""),
        onec_ref=key(rec["Ref_Key"]),
        phone=phone,
        email=email,
        deleted=bool(rec.get("DeletionMark")),
    )


def contract(rec: dict[str, Any]) -> Contract:
    return Contract(
        name=str(rec.get("Description") or ""),
        counterparty_ref=str(rec.get("Owner_Key")),
        kind=str(rec.get("ВидДоговора") or ""),
        onec_ref=key(rec["Ref_Key"]),
    )


def unit(rec: dict[str, Any]) -> Unit:
    return Unit(
        okei=str(rec.get("Code") or "").strip(),
        name=str(rec.get("Description") or ""),
        onec_ref=key(rec["Ref_Key"]),
    )


def warehouse(rec: dict[str, Any]) -> Warehouse:
    return Warehouse(name=str(rec.get("Description") or ""), onec_ref=key(rec["Ref_Key"]))


def price_type(rec: dict[str, Any], base_ref: str | None = None) -> PriceType:
    return PriceType(
        name=str(rec.get("Description") or ""),
        onec_ref=key(rec["Ref_Key"]),
        base=base_ref == rec["Ref_Key"],
    )


def product(rec: dict[str, Any], units: dict[str, Unit], today: dt.date) -> Product:
    kind_name = str(rec.get("ВидСтавкиНДС") or "")
    rate = VAT_KIND_TO_RATE.get(kind_name, standard_rate(today))
    return Product(
        name=str(rec.get("Description") or ""),
        kind=ProductKind.SERVICE if rec.get("Услуга") else ProductKind.GOODS,
        article=str(rec.get("Артикул") or ""),
        unit=units.get(str(rec.get("ЕдиницаИзмерения_Key"))),
        vat_rate=rate,
        onec_ref=key(rec["Ref_Key"]),
        deleted=bool(rec.get("DeletionMark")),
    )


def lines(
    rows: list[dict[str, Any]],
    entity: str,
    included: bool,
    names: dict[str, Product],
    start: int = 1,
) -> list[InvoiceLine]:
    out: list[InvoiceLine] = []
    for n, row in enumerate(rows, start=start):
        product_ref = ref(row.get("Номенклатура_Key"))
        p = names.get(product_ref or "")
        out.append(
            InvoiceLine(
                line_no=n,
                product_name=line_name(row.get("Содержание"), p),
                quantity=number(row.get("Количество"), entity, "Количество"),
                price=number(row.get("Цена"), entity, "Цена"),
                amount=number(row.get("Сумма"), entity, "Сумма"),
                vat_rate=vat_rate(row.get("СтавкаНДС"), entity),
                vat_amount=number(row.get("СуммаНДС"), entity, "СуммаНДС"),
                vat_included=included,
                discount=number(row.get("СуммаСкидки"), entity, "СуммаСкидки"),
                product_ref=product_ref,
                unit_okei=p.unit.okei if p and p.unit else "796",
            )
        )
    return out


def line_name(text: Any, product: Product | None) -> str:
    """A row's product name: the product's own string when the row repeats it."""
    if product is not None and (not text or text == product.name):
        return product.name
    return str(text or "")
