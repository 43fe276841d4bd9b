"""UT 11's own objects (partners, packages, characteristics, agreements) and its write
bodies: what the UT mapping (:mod:`.ut11`) reads into and sends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from desktop_sync.connectors.onec import bodies, convert
from desktop_sync.connectors.onec.bodies import comment_with_key, ref_for_key
from desktop_sync.connectors.onec.errors import OnecError
from desktop_sync.domain.entities import (
    Counterparty,
    CounterpartyKind,
    Invoice,
    InvoiceLine,
    Product,
)
from desktop_sync.domain.entities import ProductKind as Kind
from desktop_sync.domain.vat import VatRate
from desktop_sync.i18n import tr

UNDEFINED = "StandardODATA.Undefined"
CUSTOMER = "СКлиентом"  # UT's ТипДоговора of a contract with a customer
DOMAIN_CUSTOMER = "СПокупателем"  # the domain's word (BP's) for the same
GOODS = ("Товар", "МногооборотнаяТара", "Набор")  # ТипНоменклатуры kept in stock


@dataclass(frozen=True, slots=True)
class Agreement:
    name: str
    onec_ref: str
    partner_ref: str | None
    typical: bool
    uses_contracts: bool
    price_type_ref: str | None
    vat_taxation: str


def legal(kind: CounterpartyKind) -> tuple[str, str, str]:
    """(partner ЮрФизЛицо, counterparty ЮрФизЛицо, ЮридическоеФизическоеЛицо)."""
    if kind is CounterpartyKind.ORGANIZATION:
        return "Компания", "ЮрЛицо", "ЮридическоеЛицо"
    if kind is CounterpartyKind.SOLE_TRADER:
        return "ЧастноеЛицо", "ИндивидуальныйПредприниматель", "ФизическоеЛицо"
    return "ЧастноеЛицо", "ФизЛицо", "ФизическоеЛицо"


KIND_OF = {
    "ЮрЛицо": CounterpartyKind.ORGANIZATION,
    "ЮрЛицоНеРезидент": CounterpartyKind.ORGANIZATION,
    "ИндивидуальныйПредприниматель": CounterpartyKind.SOLE_TRADER,
    "ФизЛицо": CounterpartyKind.PERSON,
}


def counterparty_from(rec: dict[str, Any]) -> Counterparty:
    """A UT counterparty: BP's fields, its partner, and the kind from ``ЮрФизЛицо``."""
    cp = replace(convert.counterparty(rec), partner_ref=convert.ref(rec.get("Партнер_Key")))
    kind = KIND_OF.get(str(rec.get("ЮрФизЛицо") or ""))
    return replace(cp, kind=kind) if kind is not None else cp


def in_force(row: dict[str, Any], on: dt.date) -> bool:
    start = convert.date(row.get("ДатаНачалаДействия"))
    end = convert.date(row.get("ДатаОкончанияДействия"))
    return (start is None or start <= on) and (end is None or on <= end)


def agreement(r: dict[str, Any]) -> Agreement:
    return Agreement(
        str(r.get("Description") or ""),
        convert.key(r["Ref_Key"]),
        convert.ref(r.get("Партнер_Key")),
        bool(r.get("Типовое")),
        bool(r.get("ИспользуютсяДоговорыКонтрагентов")),
        convert.ref(r.get("ВидЦен_Key")),
        str(r.get("НалогообложениеНДС") or "ПродажаОблагаетсяНДС"),
    )


def partner(cp: Counterparty, key: str) -> dict[str, Any]:
    fields = {
        "НаименованиеПолное": cp.full_name or cp.name,
        "ЮрФизЛицо": legal(cp.kind)[0],
        "Клиент": True,
    }
    return bodies.catalog_item(key + "/partner", cp.name, fields)


def counterparty(cp: Counterparty, key: str, partner_ref: str) -> dict[str, Any]:
    _company, kind, legal_kind = legal(cp.kind)
    own = {"Партнер_Key": partner_ref, "ЮрФизЛицо": kind, "ЮридическоеФизическоеЛицо": legal_kind}
    return bodies.counterparty_item(cp, key, own)


def contract(
    key: str, name: str, partner_ref: str, counterparty_ref: str, org_ref: str, currency_ref: str
) -> dict[str, Any]:
    own = {
        "Партнер_Key": partner_ref,
        "Контрагент_Key": counterparty_ref,
        "ТипДоговора": CUSTOMER,
        "Статус": "Действует",
        "ПорядокРасчетов": "ПоДоговорамКонтрагентов",
    }
    return bodies.contract_item(key, name, org_ref, currency_ref, own)


def product(
    p: Product, key: str, vat_ref: str, unit_ref: str | None, kind_ref: str | None
) -> dict[str, Any]:
    own = {
        "ТипНоменклатуры": "Товар" if p.kind is Kind.GOODS else "Услуга",
        "СтавкаНДС_Key": vat_ref,
        "ИспользованиеХарактеристик": "НеИспользовать",
    }
    return bodies.product(p, key, unit_ref, kind_ref, own)


@dataclass(frozen=True, slots=True)
class OrderHead:
    """What an order takes from 1C beyond the CRM invoice."""

    organization_ref: str
    partner_ref: str
    agreement: Agreement
    contract_ref: str
    warehouse_ref: str
    currency_ref: str
    included: bool  # ЦенаВключаетНДС


def order_row(
    n: int, line: InvoiceLine, vat_ref: str, goods: bool, head: OrderHead
) -> dict[str, Any]:
    """One ``Товары`` row of an order."""
    return {
        "LineNumber": str(n),
        "КодСтроки": str(n),
        "Номенклатура_Key": line.product_ref,
        "КоличествоУпаковок": line.quantity,
        "Количество": line.quantity,
        "ВидЦены_Key": head.agreement.price_type_ref or convert.ZERO_GUID,
        "Цена": line.price,
        "СуммаРучнойСкидки": line.discount,
        "Сумма": line.amount,
        "СтавкаНДС_Key": vat_ref,
        "СуммаНДС": line.vat_amount,
        "СуммаСНДС": line.total_with_vat,
        "ВариантОбеспечения": "КОбеспечению" if goods else "НеТребуется",
        "Склад_Key": head.warehouse_ref,
    }


def order(
    invoice: Invoice, key: str, head: OrderHead, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """A ``ЗаказКлиента`` with every field UT needs (no form defaults over OData)."""
    day = convert.to_onec_date(invoice.date)
    return {
        "Ref_Key": ref_for_key(key),
        "Date": day,
        "Организация_Key": head.organization_ref,
        "Партнер_Key": head.partner_ref,
        "Контрагент_Key": invoice.counterparty_ref,
        "Соглашение_Key": head.agreement.onec_ref,
        "Договор_Key": head.contract_ref or convert.ZERO_GUID,
        "Склад_Key": head.warehouse_ref,
        "Валюта_Key": head.currency_ref,
        "ЦенаВключаетНДС": head.included,
        "НалогообложениеНДС": head.agreement.vat_taxation,
        "ХозяйственнаяОперация": "РеализацияКлиенту",
        "Статус": "НеСогласован",
        "ЖелаемаяДатаОтгрузки": day,
        "ФормаОплаты": "Безналичная",
        "СуммаДокумента": invoice.total,
        "Комментарий": comment_with_key(invoice.comment, key),
        "Товары": rows,
        "ЭтапыГрафикаОплаты": [
            {
                "LineNumber": "1",
                "ВариантОплаты": "КредитПослеОтгрузки",
                "ДатаПлатежа": day,
                "ПроцентПлатежа": 100,
                "СуммаПлатежа": invoice.total,
            }
        ],
    }


def one_vat_mode(invoice: Invoice, entity: str) -> bool:
    """``ЦенаВключаетНДС`` of the order: one setting for all rows, or an error."""
    return bodies.one_vat_mode(
        invoice,
        entity,
        "ЦенаВключаетНДС",
        tr(
            "invoice {number}: some rows include VAT and some do not; a 1C order has "
            "one setting for all rows"
        ),
    )


def order_rows(
    invoice: Invoice,
    head: OrderHead,
    entity: str,
    product_row: Callable[[str], dict[str, Any] | None],
    vat_ref: Callable[[VatRate, str, str], str],
) -> list[dict[str, Any]]:
    """The order's ``Товары``: a product 1C lacks, or one with characteristics the CRM
    row cannot name, is refused with the row named."""
    rows = []
    for n, line in enumerate(invoice.lines, start=1):
        what = tr("invoice {number}, row {n} «{name}»").format(
            number=invoice.number, n=n, name=line.product_name
        )
        product = product_row(line.product_ref) if line.product_ref else None
        if product is None:
            raise OnecError(
                tr("{what}: the product is not in 1C").format(what=what),
                entity=entity,
                field="Товары/Номенклатура_Key",
            )
        if product.get("ИспользованиеХарактеристик") not in ("НеИспользовать", "", None):
            # The CRM row cannot say which characteristic: refuse rather than pick one.
            raise OnecError(
                tr(
                    "{what}: the product has characteristics in 1C and the CRM row does "
                    "not say which one"
                ).format(what=what),
                entity=entity,
                field="Товары/Характеристика_Key",
            )
        vat = vat_ref(line.vat_rate, entity, what)
        goods = product.get("ТипНоменклатуры") in GOODS
        rows.append(order_row(n, line, vat, goods, head))
    return rows
