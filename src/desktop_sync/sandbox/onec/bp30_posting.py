"""BP 3.0 posting rules of the sandbox: what a document writes to the registers when posted.

Apart from the seed (``seed.py``), which only fills the base: the rules are the
configuration's behaviour, the seed is one company's data.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from desktop_sync.sandbox.dataset import ref
from desktop_sync.sandbox.onec import bp30
from desktop_sync.sandbox.onec.posting import refuse, zero_quantities
from desktop_sync.sandbox.onec.schema import ZERO_GUID, EntitySet
from desktop_sync.sandbox.onec.store import Movement, Record, Store
from desktop_sync.sandbox.onec.values import UNDEFINED

NOMENCLATURE = "StandardODATA.Catalog_Номенклатура"
WAREHOUSE = "StandardODATA.Catalog_Склады"


@functools.cache
def account_ref(code: str) -> str:
    return ref("account", code)


Ext = tuple[tuple[str, str], ...]


def _move(
    rec: Record,
    recorder_type: str,
    dr: tuple[str, Ext],
    cr: tuple[str, Ext],
    amount: Decimal,
    quantity_dr: Decimal = Decimal(0),
    quantity_cr: Decimal = Decimal(0),
) -> Movement:
    """One Дт/Кт record of the document ``rec``: (account, subconto) on each side."""
    return Movement(
        rec["Date"],
        rec["Ref_Key"],
        recorder_type,
        rec["Организация_Key"],
        dr[0],
        cr[0],
        dr[1],
        cr[1],
        amount,
        quantity_dr=quantity_dr,
        quantity_cr=quantity_cr,
    )


def stock_place(product: str, warehouse: str) -> Ext:
    """The subconto of 41.01: the product, no batch, the warehouse."""
    return ((product, NOMENCLATURE), ("", UNDEFINED), (warehouse, WAREHOUSE))


def install(store: Store) -> None:
    """The rules of every document the sandbox posts, by entity set."""
    store.posting_rules.update(
        {
            bp30.SHIPMENTS: post_shipment,
            "Document_ВозвратТоваровОтПокупателя": post_return,
            "Document_ОперацияБух": post_operation,
            bp30.PRICE_SETTINGS: post_prices,
            bp30.RECEIPTS: post_receipt,
            bp30.MOVES: post_move,
        }
    )


def post_operation(store: Store, s: object, rec: Record) -> list[Movement]:
    # Re-posting the opening operation is not modelled: it keeps no movements.
    return []


def _stock_rows(store: Store, rec: Record, tabular: str) -> list[tuple[str, Decimal, Decimal]]:
    out = []
    for row in rec.get(tabular, []):
        product = row["Номенклатура_Key"]
        qty: Decimal = row["Количество"]
        cost = (qty * store.unit_cost.get(product, Decimal(0))).quantize(Decimal("0.01"))
        out.append((product, qty, cost))
    return out


def post_shipment(store: Store, s: object, rec: Record) -> list[Movement]:
    """Реализация: goods leave 41.01 at cost (Дт 90.02.1), the buyer owes the total
    (Дт 62.01 Кт 90.01.1), the VAT in it is charged (Дт 90.03 Кт 68.02). Refused: a
    contract not «с покупателем» or not the buyer's, a row without a quantity, an
    invoice (the base document) of another buyer."""
    if isinstance(s, EntitySet):
        refuse(s, rec, _sale_problems(store, rec))
    wh, kind = rec["Склад_Key"], "StandardODATA." + bp30.SHIPMENTS
    moves = [
        _move(
            rec,
            kind,
            (account_ref("90.02.1"), ()),
            (account_ref("41.01"), stock_place(product, wh)),
            cost,
            quantity_cr=qty,
        )
        for product, qty, cost in _stock_rows(store, rec, "Товары")
    ]
    party = (
        (rec["Контрагент_Key"], "StandardODATA.Catalog_Контрагенты"),
        (rec["ДоговорКонтрагента_Key"], "StandardODATA.Catalog_ДоговорыКонтрагентов"),
    )
    debt = (account_ref("62.01"), party)
    moves.append(_move(rec, kind, debt, (account_ref("90.01.1"), ()), rec["СуммаДокумента"]))
    vat = sum((r["СуммаНДС"] for t in ("Товары", "Услуги") for r in rec.get(t, [])), Decimal(0))
    if vat:
        moves.append(_move(rec, kind, (account_ref("90.03"), ()), (account_ref("68.02"), ()), vat))
    return moves


def _sale_problems(store: Store, rec: Record) -> list[str]:
    problems = _check_contract(store, rec, "СПокупателем", "с покупателем")
    problems += zero_quantities(rec)
    problems += [
        f'Не заполнена колонка "Количество" в строке {row["LineNumber"]} списка "Услуги"'
        for row in rec.get("Услуги", [])
        if row["Количество"] <= 0
    ]
    invoice = store.get(bp30.INVOICES, rec.get("СчетНаОплатуПокупателю_Key") or ZERO_GUID)
    if invoice is not None and invoice["Контрагент_Key"] != rec["Контрагент_Key"]:
        problems.append("Счет на оплату выписан другому контрагенту")
    return problems


def post_return(store: Store, s: object, rec: Record) -> list[Movement]:
    wh, kind = rec["Склад_Key"], "StandardODATA.Document_ВозвратТоваровОтПокупателя"
    return [
        _move(
            rec,
            kind,
            (account_ref("41.01"), stock_place(product, wh)),
            (account_ref("90.02.1"), ()),
            cost,
            quantity_dr=qty,
        )
        for product, qty, cost in _stock_rows(store, rec, "Товары")
    ]


def post_prices(store: Store, s: EntitySet, rec: Record) -> list[Movement]:
    """Установка цен номенклатуры: one ``ЦеныНоменклатуры`` record per row, dated by the
    document; a zero price is recorded unless «Не проводить нулевые значения» is set."""
    price_type = store.get(bp30.PRICE_TYPES, rec["ТипЦен_Key"])
    currency = price_type["ВалютаЦены_Key"] if price_type else ZERO_GUID
    rows = [
        {
            "LineNumber": row["LineNumber"],
            "Номенклатура_Key": row["Номенклатура_Key"],
            "ТипЦен_Key": rec["ТипЦен_Key"],
            "Цена": row["Цена"],
            "Валюта_Key": currency,
        }
        for row in rec.get("Товары", [])
        if row["Цена"] or not rec["НеПроводитьНулевыеЗначения"]
    ]
    store.record_info(bp30.PRICES, s, rec, rows)
    return []


def _check_contract(store: Store, rec: Record, kind: str, title: str) -> list[str]:
    contract = store.get(bp30.CONTRACTS, rec["ДоговорКонтрагента_Key"])
    if contract is None:
        return []
    problems = []
    if contract["Owner_Key"] != rec["Контрагент_Key"]:
        problems.append("Договор не соответствует контрагенту документа")
    if contract["ВидДоговора"] != kind:
        problems.append(f"Вид договора не соответствует виду операции документа ({title})")
    return problems


def post_receipt(store: Store, s: EntitySet, rec: Record) -> list[Movement]:
    """Поступление товаров: Дт 41.01 (product, warehouse) Кт 60.01 at the price without
    VAT, quantity in; the VAT Дт 19.03 Кт 60.01. The contract must be «с поставщиком»."""
    refuse(
        s,
        rec,
        _check_contract(store, rec, "СПоставщиком", "с поставщиком") + zero_quantities(rec),
    )
    wh = rec["Склад_Key"]
    party = (
        (rec["Контрагент_Key"], "StandardODATA." + bp30.COUNTERPARTIES),
        (rec["ДоговорКонтрагента_Key"], "StandardODATA." + bp30.CONTRACTS),
    )
    owed = (rec["СчетУчетаРасчетовСКонтрагентом_Key"], party)
    moves: list[Movement] = []
    for row in rec.get("Товары", []):
        vat: Decimal = row["СуммаНДС"]
        net: Decimal = row["Сумма"] - vat if rec["СуммаВключаетНДС"] else row["Сумма"]
        place = stock_place(row["Номенклатура_Key"], wh)
        moves.append(
            _move(
                rec,
                s.type_name,
                (row["СчетУчета_Key"], place),
                owed,
                net,
                quantity_dr=row["Количество"],
            )
        )
        if vat:
            vat_account = row["СчетУчетаНДС_Key"]
            account = vat_account if vat_account != ZERO_GUID else account_ref("19.03")
            moves.append(_move(rec, s.type_name, (account, (party[0],)), owed, vat))
    return moves


def post_move(store: Store, s: EntitySet, rec: Record) -> list[Movement]:
    """Перемещение товаров: 41.01 of the receiving warehouse from 41.01 of the sending
    one, at the sandbox's unit cost."""
    problems = zero_quantities(rec)
    if rec["СкладОтправитель_Key"] == rec["СкладПолучатель_Key"]:
        problems.append("Склад-получатель совпадает со складом-отправителем")
    refuse(s, rec, problems)
    src, dst = rec["СкладОтправитель_Key"], rec["СкладПолучатель_Key"]
    return [
        _move(
            rec,
            s.type_name,
            (row["СчетУчета_Key"], stock_place(product, dst)),
            (row["СчетУчета_Key"], stock_place(product, src)),
            cost,
            quantity_dr=qty,
            quantity_cr=qty,
        )
        for row, (product, qty, cost) in zip(
            rec.get("Товары", []), _stock_rows(store, rec, "Товары"), strict=True
        )
    ]
