"""UT 11 posting rules of the sandbox: what a document writes to the registers when posted,
and the settlement object UT keeps for each order.

Apart from the seed (``ut11_seed.py``), which only fills the base: the rules are the
configuration's behaviour, the seed is one company's data.
"""

from __future__ import annotations

from decimal import Decimal

from desktop_sync.sandbox.dataset import ref
from desktop_sync.sandbox.onec import ut11
from desktop_sync.sandbox.onec.posting import no_quantity, refuse
from desktop_sync.sandbox.onec.schema import ZERO_GUID, EntitySet
from desktop_sync.sandbox.onec.store import Movement, Record, Store

RESERVING = ("КОбеспечению", "КОтгрузке")
FROM_STOCK = ("СоСклада", "Отгрузить")


def install(store: Store) -> None:
    """The rules of every document the sandbox posts, by entity set, and the order's hook."""
    store.posting_rules.update(
        {
            ut11.ORDERS: post_order,
            ut11.SHIPMENTS: post_shipment,
            ut11.RETURNS: post_return,
            ut11.PRICE_SETTINGS: post_prices,
            ut11.RECEIPTS: post_receipt,
            ut11.MOVES: post_move,
        }
    )
    store.write_hooks[ut11.ORDERS] = settlement_object


def settlement_ref(order: str) -> str:
    return ref("settlement_object", order)


def settlement_object(store: Store, s: EntitySet, rec: Record) -> None:
    """UT makes (and keeps up to date) the settlement object of an order when the order
    is written: payments name it, not the order."""
    values: Record = {
        "Description": f"{s.presentation} {rec['Number']}",
        "Объект": rec["Ref_Key"],
        "Объект_Type": s.type_name,
        "ТипОбъектаРасчетов": "РасчетыСКлиентами",
        "Организация_Key": rec["Организация_Key"],
        "Партнер_Key": rec["Партнер_Key"],
        "Контрагент_Key": rec["Контрагент_Key"],
        "Договор_Key": rec["Договор_Key"],
        "Валюта_Key": rec["Валюта_Key"],
    }
    key = settlement_ref(rec["Ref_Key"])
    existing = store.get(ut11.SETTLEMENT_OBJECTS, key)
    if existing is None:
        store.insert(ut11.SETTLEMENT_OBJECTS, {"Ref_Key": key, **values})
    elif any(existing[k] != v for k, v in values.items()):
        store.update(ut11.SETTLEMENT_OBJECTS, key, values)


def is_goods(store: Store, product: str) -> bool:
    rec = store.get(ut11.PRODUCTS, product)
    return rec is not None and rec["ТипНоменклатуры"] == "Товар"


def _check_sale(store: Store, s: EntitySet, rec: Record) -> None:
    """What UT checks when a sale document is posted: the counterparty belongs to the
    partner, the agreement is the partner's (or typical) and in force, a contract is
    given when the agreement uses contracts and is the counterparty's, characteristics
    are filled for goods that use them."""
    problems: list[str] = []
    partner = rec["Партнер_Key"]
    cp = store.get(ut11.COUNTERPARTIES, rec["Контрагент_Key"])
    if cp is not None and cp["Партнер_Key"] != partner:
        problems.append("Контрагент не относится к партнеру (клиенту) документа")
    agreement = store.get(ut11.AGREEMENTS, rec.get("Соглашение_Key") or ZERO_GUID)
    if "Соглашение_Key" in rec and rec["Соглашение_Key"] != ZERO_GUID:
        if agreement is None:
            problems.append('Поле "Соглашение" заполнено неверно')
        else:
            if not agreement["Типовое"] and agreement["Партнер_Key"] != partner:
                problems.append("Соглашение заключено с другим партнером")
            if agreement["Статус"] != "Действует":
                problems.append('Соглашение не в статусе "Действует"')
            if agreement["ИспользуютсяДоговорыКонтрагентов"] and rec["Договор_Key"] == ZERO_GUID:
                problems.append('Поле "Договор" не заполнено')
    problems.extend(_contract_problems(store, rec, "СКлиентом", "с клиентом", "С клиентом"))
    problems.extend(filter(None, (_no_characteristic(store, r) for r in rec.get("Товары", []))))
    refuse(s, rec, problems)


def _contract_problems(
    store: Store, rec: Record, kind: str, with_whom: str, kind_title: str
) -> list[str]:
    """The document's contract (if any) must be its counterparty's and of ``kind``."""
    if rec["Договор_Key"] == ZERO_GUID:
        return []
    contract = store.get(ut11.CONTRACTS, rec["Договор_Key"])
    if contract is None or contract["Контрагент_Key"] != rec["Контрагент_Key"]:
        return ["Договор заключен с другим контрагентом"]
    if contract["ТипДоговора"] != kind:
        return [f'Договор не {with_whom} (тип договора не "{kind_title}")']
    return []


def post_order(store: Store, s: EntitySet, rec: Record) -> list[Movement]:
    """An order in work reserves goods to ship from stock (КОтгрузке)."""
    _check_sale(store, s, rec)
    if rec["Статус"] not in RESERVING:
        return []
    for row in rec.get("Товары", []):
        if row["Отменено"] or row["ВариантОбеспечения"] not in FROM_STOCK:
            continue
        if not is_goods(store, row["Номенклатура_Key"]):
            continue
        store.accumulate(
            ut11.STOCK,
            s,
            rec,
            True,
            {
                "Номенклатура_Key": row["Номенклатура_Key"],
                "Характеристика_Key": row["Характеристика_Key"],
                "Склад_Key": row_wh
                if (row_wh := row["Склад_Key"]) != ZERO_GUID
                else rec["Склад_Key"],
                "КОтгрузке": row["Количество"],
            },
        )
    return []


def post_shipment(store: Store, s: EntitySet, rec: Record) -> list[Movement]:
    """Goods leave the warehouse (ВНаличии); what the order reserved there is released.
    Refused: what any sale refuses, a row without a quantity."""
    refuse(s, rec, [no_quantity(row) for row in rec.get("Товары", []) if row["Количество"] <= 0])
    _check_sale(store, s, rec)
    reserved: dict[tuple[str, str, str], Decimal] = {}
    order = rec.get("ЗаказКлиента") or ""
    if order:
        # What the order reserved (other shipments against it are not netted out: a
        # partial shipment followed by another is not modelled).
        for r in store.recorded(ut11.STOCK, order):
            key = (r["Номенклатура_Key"], r["Характеристика_Key"], r["Склад_Key"])
            reserved[key] = reserved.get(key, Decimal(0)) + r["КОтгрузке"]
    for row in rec.get("Товары", []):
        if not is_goods(store, row["Номенклатура_Key"]):
            continue
        key = (row["Номенклатура_Key"], row["Характеристика_Key"], rec["Склад_Key"])
        release = min(reserved.get(key, Decimal(0)), row["Количество"])
        reserved[key] = reserved.get(key, Decimal(0)) - release
        store.accumulate(
            ut11.STOCK,
            s,
            rec,
            False,
            {
                "Номенклатура_Key": key[0],
                "Характеристика_Key": key[1],
                "Склад_Key": key[2],
                "ВНаличии": row["Количество"],
                "КОтгрузке": release,
            },
        )
    return []


def post_return(store: Store, s: EntitySet, rec: Record) -> list[Movement]:
    """Returned goods come back into the warehouse."""
    _goods_in(store, s, rec)
    return []


def _goods_in(store: Store, s: EntitySet, rec: Record) -> None:
    """Every row of goods into the document's warehouse (``ВНаличии``)."""
    for row in rec.get("Товары", []):
        if is_goods(store, row["Номенклатура_Key"]):
            _in_stock(store, s, rec, row, rec["Склад_Key"], receipt=True)


def _in_stock(
    store: Store, s: EntitySet, rec: Record, row: Record, warehouse: str, *, receipt: bool
) -> None:
    """One row's quantity into (or out of) ``warehouse``'s stock on hand."""
    store.accumulate(
        ut11.STOCK,
        s,
        rec,
        receipt,
        {
            "Номенклатура_Key": row["Номенклатура_Key"],
            "Характеристика_Key": row["Характеристика_Key"],
            "Склад_Key": warehouse,
            "ВНаличии": row["Количество"],
        },
    )


def post_prices(store: Store, s: EntitySet, rec: Record) -> list[Movement]:
    """Установка цен номенклатуры: once «Согласован», one ``ЦеныНоменклатуры25`` record
    per row, dated by the document; a document not agreed records nothing."""
    if rec["Статус"] != "Согласован":
        return []
    rows = []
    for row in rec.get("Товары", []):
        price_type = store.get(ut11.PRICE_TYPES, row["ВидЦены_Key"])
        rows.append(
            {
                "LineNumber": row["LineNumber"],
                "Номенклатура_Key": row["Номенклатура_Key"],
                "Характеристика_Key": row["Характеристика_Key"],
                "ВидЦены_Key": row["ВидЦены_Key"],
                "Цена": row["Цена"],
                "Упаковка_Key": row["Упаковка_Key"],
                "Валюта_Key": price_type["ВалютаЦены_Key"] if price_type else ZERO_GUID,
            }
        )
    store.record_info(ut11.PRICES, s, rec, rows)
    return []


def _goods_problems(store: Store, rec: Record) -> list[str]:
    """Rows of goods: a quantity, and a characteristic where the product uses them."""
    problems = []
    for row in rec.get("Товары", []):
        if row["Количество"] <= 0:
            problems.append(no_quantity(row))
        if missing := _no_characteristic(store, row):
            problems.append(missing)
    return problems


def _no_characteristic(store: Store, row: Record) -> str:
    """The refusal for a row of a product that uses characteristics and names none; ''."""
    product = store.get(ut11.PRODUCTS, row["Номенклатура_Key"])
    if (
        product is not None
        and product["ИспользованиеХарактеристик"] != "НеИспользовать"
        and row["Характеристика_Key"] == ZERO_GUID
    ):
        return f'Не заполнена колонка "Характеристика" в строке {row["LineNumber"]} списка "Товары"'
    return ""


def post_receipt(store: Store, s: EntitySet, rec: Record) -> list[Movement]:
    """Приобретение товаров: goods come into the warehouse (``ВНаличии``). The partner
    must be a supplier, the counterparty the partner's, a contract «с поставщиком»."""
    problems = []
    partner = store.get(ut11.PARTNERS, rec["Партнер_Key"])
    if partner is not None and not partner["Поставщик"]:
        problems.append("Партнер не является поставщиком")
    cp = store.get(ut11.COUNTERPARTIES, rec["Контрагент_Key"])
    if cp is not None and cp["Партнер_Key"] != rec["Партнер_Key"]:
        problems.append("Контрагент не относится к партнеру (поставщику) документа")
    problems.extend(
        _contract_problems(store, rec, "СПоставщиком", "с поставщиком", "С поставщиком")
    )
    refuse(s, rec, problems + _goods_problems(store, rec))
    _goods_in(store, s, rec)
    return []


def post_move(store: Store, s: EntitySet, rec: Record) -> list[Movement]:
    """Перемещение товаров: out of the sending warehouse, into the receiving one."""
    problems = _goods_problems(store, rec)
    if rec["СкладОтправитель_Key"] == rec["СкладПолучатель_Key"]:
        problems.append("Склад-получатель совпадает со складом-отправителем")
    refuse(s, rec, problems)
    for row in rec.get("Товары", []):
        if is_goods(store, row["Номенклатура_Key"]):
            _in_stock(store, s, rec, row, rec["СкладОтправитель_Key"], receipt=False)
            _in_stock(store, s, rec, row, rec["СкладПолучатель_Key"], receipt=True)
    return []
