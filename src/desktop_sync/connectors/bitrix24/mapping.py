"""Bitrix24 JSON -> domain objects (and back for writes).

Legacy values arrive as text (``"ID": "12"``), ``crm.item``/``catalog`` values as
numbers; both are read with the same helpers. Times are ISO 8601 with the
portal's offset and become aware datetimes; a date-only field (``begindate``)
is midnight in the portal's zone and becomes a ``date``. Money is ``Decimal``.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from desktop_sync.connectors.bitrix24.errors import Bitrix24BadResponse
from desktop_sync.connectors.bitrix24.fields import SYNC_FIELDS
from desktop_sync.connectors.bitrix24.models import (
    CrmCompany,
    CrmInvoice,
    CrmProduct,
    Stage,
    SyncFields,
)
from desktop_sync.domain.entities import (
    Counterparty,
    CounterpartyKind,
    Invoice,
    InvoiceLine,
    Product,
    ProductKind,
    Requisite,
    Unit,
)
from desktop_sync.domain.money import ZERO, round_money, to_decimal
from desktop_sync.domain.vat import VatRate, vat_in_sum

PRESET_KIND = {
    1: CounterpartyKind.ORGANIZATION,
    2: CounterpartyKind.SOLE_TRADER,
    3: CounterpartyKind.PERSON,
}


T = TypeVar("T")
Command = tuple[str, dict[str, Any]]  # a REST method and its parameters
Row = Mapping[str, Any]


def readable(
    rows: Iterable[Row],
    lines: Mapping[int, Sequence[Row]],
    convert: Callable[[Row, Sequence[Row]], T],
    keys: tuple[str, str],
    unreadable: dict[int, str] | None,
) -> list[T]:
    """Each row converted with its lines (found by its id, the field ``keys[0]``); one the
    sync cannot understand is named in ``unreadable`` (its id -> its ``keys[1]`` field
    and why) and left out, or raised when that is None."""
    out: list[T] = []
    key, name = keys
    for row in rows:
        try:
            out.append(convert(row, lines.get(int(row[key]), [])))
        except Bitrix24BadResponse as exc:
            if unreadable is None:
                raise
            unreadable[int(row[key])] = f"{row.get(name) or row[key]}: {exc}"
    return out


def as_int(value: Any) -> int | None:
    if value in (None, "", False):
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def as_decimal(value: Any, what: str = "number") -> Decimal:
    if value in (None, ""):
        return ZERO
    try:
        return to_decimal(value)
    except ValueError:
        raise Bitrix24BadResponse(f"Bitrix24 sent {value!r} where {what} was expected.") from None


def as_datetime(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise Bitrix24BadResponse(f"Bitrix24 sent {value!r} where a time was expected.") from None
    offset = parsed.utcoffset()
    if offset is None:
        raise Bitrix24BadResponse(f"Bitrix24 sent the time {value!r} without its time zone.")
    return parsed.replace(tzinfo=_zone(offset))  # one zone object per offset, not per time


@functools.lru_cache(maxsize=64)
def _zone(offset: dt.timedelta) -> dt.timezone:
    return dt.timezone(offset)


def as_date(value: Any) -> dt.date | None:
    """A date-only field: the portal sends midnight in its own zone; keep that calendar day."""
    stamp = as_datetime(value)
    return stamp.date() if stamp is not None else None


def yes(value: Any) -> bool:
    return value is True or str(value).upper() in ("Y", "1", "TRUE")


def vat_from_rate(rate: Any) -> VatRate:
    if rate in (None, "", "null"):
        return VatRate.WITHOUT
    return VatRate.from_percent(as_decimal(rate, "a VAT rate"))


def rate_for(vat: VatRate) -> Decimal | None:
    return vat.percent


# --- companies ---------------------------------------------------------------------


def requisite(row: Mapping[str, Any]) -> Requisite:
    return Requisite(
        inn=str(row.get("RQ_INN") or ""),
        kpp=str(row.get("RQ_KPP") or ""),
        full_name=str(
            row.get("RQ_COMPANY_FULL_NAME")
            or row.get("RQ_NAME")
            or row.get("RQ_COMPANY_NAME")
            or ""
        ),
        crm_id=as_int(row.get("ID")),
        name=str(row.get("RQ_COMPANY_NAME") or row.get("RQ_NAME") or ""),
    )


def company(row: Mapping[str, Any], requisites: Sequence[Mapping[str, Any]]) -> CrmCompany:
    reqs = tuple(requisite(r) for r in requisites)
    preset = as_int(requisites[0].get("PRESET_ID")) if requisites else 1
    kind = PRESET_KIND.get(preset or 1, CounterpartyKind.ORGANIZATION)
    first = reqs[0] if reqs else Requisite(inn="")
    phones = row.get("PHONE") or []
    emails = row.get("EMAIL") or []
    cp = Counterparty(
        name=str(row.get("TITLE") or ""),
        kind=kind,
        inn=first.inn,
        kpp=first.kpp,
        full_name=first.full_name,
        crm_id=as_int(row.get("ID")),
        phone=str(phones[0].get("VALUE", "")) if phones else "",
        email=str(emails[0].get("VALUE", "")) if emails else "",
        requisites=reqs,
    )
    return _crm_company(row, cp, yes(row.get("IS_MY_COMPANY")))


def _crm_company(
    row: Mapping[str, Any], cp: Counterparty, mine: bool, entity: str = "company"
) -> CrmCompany:
    """A CRM company or contact: the counterparty, its keys, owner and last change."""
    modified = as_datetime(row.get("DATE_MODIFY")) or as_datetime(row.get("DATE_CREATE"))
    assert modified is not None
    return CrmCompany(
        cp,
        row.get("ORIGINATOR_ID") or None,
        row.get("ORIGIN_ID") or None,
        mine,
        as_int(row.get("ASSIGNED_BY_ID")),
        modified,
        entity=entity,
    )


def contact(row: Mapping[str, Any], requisites: Sequence[Mapping[str, Any]]) -> CrmCompany:
    name = " ".join(str(row.get(k) or "") for k in ("LAST_NAME", "NAME", "SECOND_NAME")).strip()
    reqs = tuple(requisite(r) for r in requisites)
    first = reqs[0] if reqs else Requisite(inn="")
    phones = row.get("PHONE") or []
    cp = Counterparty(
        name=name,
        kind=CounterpartyKind.PERSON,
        inn=first.inn,
        full_name=name,
        crm_id=as_int(row.get("ID")),
        requisites=reqs,
        phone=str(phones[0].get("VALUE", "")) if phones else "",
        email=str(emails[0].get("VALUE", "")) if (emails := row.get("EMAIL") or []) else "",
    )
    return _crm_company(row, cp, False, "contact")


# --- products ---------------------------------------------------------------------------


def _guid_or_none(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError):
        return None


def product(
    row: Mapping[str, Any],
    measures: Mapping[int, Unit],
    vats: Mapping[int, VatRate],
    price: Decimal | None,
) -> CrmProduct:
    measure_id = as_int(row.get("measure"))
    vat_id = as_int(row.get("vatId"))
    p = Product(
        name=str(row.get("name") or ""),
        kind=ProductKind.SERVICE if as_int(row.get("type")) == 7 else ProductKind.GOODS,
        unit=measures.get(measure_id) if measure_id is not None else None,
        vat_rate=vats.get(vat_id, VatRate.WITHOUT) if vat_id is not None else VatRate.WITHOUT,
        price=price,
        onec_ref=_guid_or_none(row.get("xmlId")),
        crm_id=as_int(row.get("id")),
    )
    return CrmProduct(
        p,
        str(row["xmlId"]) if row.get("xmlId") is not None else None,
        as_int(row.get("iblockId")) or 0,
        yes(row.get("active")),
        as_datetime(row.get("timestampX")),
    )


# --- invoices ----------------------------------------------------------------------------


def invoice_line(n: int, row: Mapping[str, Any]) -> InvoiceLine:
    """A product row as the manager wrote it, in the shape a 1C row takes.

    ``price`` is final (after discount, with tax) and the portal's row sum is
    ``price × quantity``: that sum is kept to the kopeck. The unit price is the
    manager's: ``price`` itself when VAT is included and there is no discount;
    ``priceBrutto`` (before the discount) when there is one; without VAT on top,
    ``priceExclusive`` / ``priceNetto``. Never a price derived back from rounded
    per-unit figures, so 1C's price × quantity − discount equals the row sum. With VAT
    on top the portal rounds the price with tax per unit: the VAT is what makes the
    row sum agree, and the plan says when it differs from 1C's own formula.
    """
    qty = as_decimal(row.get("quantity"), "a quantity")
    price = as_decimal(row.get("price"), "a price")
    exclusive = as_decimal(row.get("priceExclusive"), "a price")
    netto = as_decimal(row.get("priceNetto"), "a price")
    brutto = as_decimal(row.get("priceBrutto"), "a price")
    try:
        vat = vat_from_rate(row.get("taxRate"))
    except ValueError as exc:
        raise Bitrix24BadResponse(f"Invoice row «{row.get('productName')}»: {exc}") from None
    included = yes(row.get("taxIncluded"))
    gross = round_money(price * qty)  # the portal's row sum, with tax
    discounted = bool(netto) and netto != exclusive
    if included:
        amount = gross
        own_price = price
        unit_price = brutto if discounted and brutto else price
        vat_amount = vat_in_sum(amount, vat)
    else:
        own_price = exclusive if exclusive or not price else _net(price, vat)
        amount = round_money(own_price * qty)
        unit_price = netto if discounted else own_price
        vat_amount = gross - amount  # the row sum with tax stays the portal's
    discount = round_money(unit_price * qty) - amount
    if discount < 0:  # a per-unit rounding above the final price: no discount invented
        unit_price, discount = own_price, ZERO
    code = as_int(row.get("measureCode"))
    return InvoiceLine(
        line_no=n,
        product_name=str(row.get("productName") or ""),
        quantity=qty,
        price=unit_price,
        amount=amount,
        vat_rate=vat,
        vat_amount=vat_amount,
        vat_included=included,
        discount=discount,
        product_crm_id=as_int(row.get("productId")) or None,
        unit_okei=f"{code:03d}" if code is not None else "796",
    )


def _net(price: Decimal, vat: VatRate) -> Decimal:
    """The price without VAT, when the portal did not say it (rounded per unit, as it does)."""
    pct = vat.percent or Decimal(0)
    return round_money(price * 100 / (100 + pct))


def sync_fields(item: Mapping[str, Any]) -> SyncFields:
    values: dict[str, Any] = {}
    for f in SYNC_FIELDS:
        raw = item.get(f.camel)
        if f.multiple:
            values[f.key] = tuple(str(v) for v in (raw or []))
        elif raw in (None, ""):
            values[f.key] = None
        elif f.user_type == "double":
            values[f.key] = round_money(as_decimal(raw, f.label_en))
        elif f.user_type == "date":
            values[f.key] = as_date(raw)
        else:
            values[f.key] = str(raw)
    return SyncFields(**values)


# The fields of a product row and of a smart invoice that the two functions around here
# read (and the read's own: an invoice's ``updatedTime``, a row's owner and order): a list
# read cuts its rows to them as each page is decoded (``paging.ListScan.keep``), so the
# portal's other fields are not kept in memory for the whole read (issue 18). A field
# read here must be listed here (tests/bitrix24/test_slim_rows.py).
LINE_FIELDS = (
    "id", "ownerId", "sort", "quantity", "price", "priceExclusive", "priceNetto",
    "priceBrutto", "taxRate", "taxIncluded", "measureCode", "productName", "productId",
)  # fmt: skip
ITEM_FIELDS = (
    "id", "begindate", "createdTime", "updatedTime", "companyId", "contactId",
    "accountNumber", "currencyId", "comments", "stageId", "xmlId", "categoryId",
    "mycompanyId", "opportunity", "taxValue", "isManualOpportunity", "assignedById",
    "title", "parentId2", *(f.camel for f in SYNC_FIELDS),
)  # fmt: skip


def invoice(
    item: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], counterparty_name: str = ""
) -> CrmInvoice:
    item_id = as_int(item.get("id"))
    begin = as_date(item.get("begindate"))
    created = as_datetime(item.get("createdTime"))
    updated = as_datetime(item.get("updatedTime"))
    if item_id is None or created is None or updated is None:
        raise Bitrix24BadResponse("Bitrix24 sent a smart invoice without id or times.")
    lines = tuple(invoice_line(n, r) for n, r in enumerate(rows, start=1))
    company_id = as_int(item.get("companyId"))
    contact_id = as_int(item.get("contactId"))
    inv = Invoice(
        number=str(item.get("accountNumber") or item_id),
        date=begin or created.date(),
        counterparty_ref=None,
        lines=lines,
        currency=str(item.get("currencyId") or "RUB"),
        crm_id=item_id,
        counterparty_crm_id=company_id or contact_id,
        counterparty_name=counterparty_name,
        comment=str(item.get("comments") or ""),
        stage=str(item.get("stageId") or ""),
    )
    return CrmInvoice(
        invoice=inv,
        xml_id=item.get("xmlId") or None,
        stage_id=str(item.get("stageId") or ""),
        category_id=as_int(item.get("categoryId")) or 0,
        company_id=company_id,
        contact_id=contact_id,
        mycompany_id=as_int(item.get("mycompanyId")),
        opportunity=round_money(as_decimal(item.get("opportunity"), "a sum")),
        tax_value=round_money(as_decimal(item.get("taxValue"), "a sum")),
        manual_opportunity=yes(item.get("isManualOpportunity")),
        created=created,
        updated=updated,
        assigned_by=as_int(item.get("assignedById")),
        fields=sync_fields(item),
        title=str(item.get("title") or ""),
        deal_id=as_int(item.get("parentId2")),
    )


def stage(row: Mapping[str, Any]) -> Stage:
    extra = row.get("EXTRA") or {}
    semantics = str(extra.get("SEMANTICS") or "") if isinstance(extra, Mapping) else ""
    if not semantics:
        semantics = {"S": "success", "F": "failure"}.get(str(row.get("SEMANTICS") or ""), "process")
    return Stage(
        str(row["STATUS_ID"]),
        str(row.get("NAME") or ""),
        as_int(row.get("SORT")) or 0,
        semantics,
        as_int(row.get("CATEGORY_ID")) or 0,
    )


def product_row_payload(line: InvoiceLine, sort: int) -> dict[str, Any]:
    """A domain line as a ``productRows`` entry: the final unit price with tax."""
    gross = line.total_with_vat
    price = (gross / line.quantity).quantize(Decimal("0.01")) if line.quantity else gross
    payload: dict[str, Any] = {
        "productName": line.product_name,
        "price": price,
        "quantity": line.quantity,
        "discountTypeId": 1,
        "discountSum": Decimal("0"),
        "taxRate": rate_for(line.vat_rate),
        "taxIncluded": "Y" if line.vat_included else "N",
        "measureCode": int(line.unit_okei),
        "sort": sort,
    }
    if line.discount and line.quantity:
        pct = line.vat_rate.percent or Decimal(0)
        per_unit = line.discount / line.quantity
        if line.vat_included:
            per_unit = per_unit / (1 + pct / 100)
        payload["discountSum"] = per_unit.quantize(Decimal("0.01"))
    if line.product_crm_id:
        payload["productId"] = line.product_crm_id
    return payload


def rows_set(owner_type: str, owner_id: int | str, lines: Sequence[InvoiceLine]) -> Command:
    """``crm.item.productrow.set``: all the rows of a smart invoice (``SI``) or a deal
    (``D``) at once; ``owner_id`` may be a ``$result`` reference inside a batch."""
    rows = [product_row_payload(line, (n + 1) * 10) for n, line in enumerate(lines)]
    params = {"ownerType": owner_type, "ownerId": owner_id, "productRows": rows}
    return "crm.item.productrow.set", params
