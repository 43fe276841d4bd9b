"""Fill a BP 3.0 store from the shared seeded story (``sandbox.dataset``).

Besides what the data set holds, the 1C side gets what a real base has and the
CRM never sees: a supplier and a tax office among counterparties, contracts
"с покупателем", the organization's bank account, the chart of accounts, a few
deletion-marked records, returns of goods, opening stock (an «Операция» posting to
41.01) and one closed period (дата запрета изменения).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from desktop_sync.domain.entities import (
    CounterpartyKind,
    InvoiceLine,
    Payment,
    PaymentKind,
    Product,
    ProductKind,
    Shipment,
)
from desktop_sync.domain.requisites import make_inn
from desktop_sync.domain.vat import VatRate, calculated_rate, standard_rate, vat_in_sum
from desktop_sync.sandbox.dataset import Dataset, ref
from desktop_sync.sandbox.onec import bp30, bp30_posting, story
from desktop_sync.sandbox.onec.bp30_posting import account_ref, stock_place
from desktop_sync.sandbox.onec.schema import ZERO_GUID, EntitySet
from desktop_sync.sandbox.onec.store import Movement, Record, Store
from desktop_sync.sandbox.onec.story import BANK_ACCOUNT_REF, CURRENCY_REF, at, number

# The subconto kinds (виды субконто) of the accounts below: goods by product, batch and
# warehouse; settlements by counterparty, contract and settlement document.
_STOCK = ("Номенклатура", "Партии", "Склады")
_SETTLEMENTS = ("Контрагенты", "Договоры", "ДокументыРасчетовСКонтрагентами")
ACCOUNTS = (
    ("00", "Вспомогательный счет", "АктивноПассивный", False, ()),
    ("19", "НДС по приобретенным ценностям", "Активный", False, ("Контрагенты",)),
    (
        "19.03",
        "НДС по приобретенным материально-производственным запасам",
        "Активный",
        False,
        ("Контрагенты", "ДокументыРасчетовСКонтрагентами"),
    ),
    ("41", "Товары", "Активный", True, _STOCK),
    ("41.01", "Товары на складах", "Активный", True, _STOCK),
    ("50", "Касса", "Активный", False, ()),
    ("50.01", "Касса организации", "Активный", False, ()),
    ("51", "Расчетные счета", "Активный", False, ()),
    ("60", "Расчеты с поставщиками и подрядчиками", "АктивноПассивный", False, _SETTLEMENTS),
    ("60.01", "Расчеты с поставщиками и подрядчиками", "Пассивный", False, _SETTLEMENTS),
    ("60.02", "Расчеты по авансам выданным", "Активный", False, _SETTLEMENTS),
    ("62", "Расчеты с покупателями и заказчиками", "АктивноПассивный", False, _SETTLEMENTS),
    ("62.01", "Расчеты с покупателями и заказчиками", "Активный", False, _SETTLEMENTS),
    ("62.02", "Расчеты по авансам полученным", "Пассивный", False, _SETTLEMENTS),
    (
        "90.01.1",
        "Выручка по деятельности с основной системой налогообложения",
        "Пассивный",
        False,
        (),
    ),
    (
        "90.02.1",
        "Себестоимость продаж по деятельности с основной системой налогообложения",
        "Активный",
        False,
        (),
    ),
)
EXT_TYPES = (*_STOCK, *_SETTLEMENTS)


def _legal_kind(kind: CounterpartyKind) -> str:
    # BP 3.0 knows only ЮридическоеЛицо / ФизическоеЛицо (A7): a sole trader is a
    # ФизическоеЛицо with a 12-digit ИНН.
    return "ЮридическоеЛицо" if kind is CounterpartyKind.ORGANIZATION else "ФизическоеЛицо"


_VAT_KIND = {
    VatRate.VAT22: "Общая",
    VatRate.VAT20: "Общая",
    VatRate.VAT10: "Льготная",
    VatRate.VAT0: "Нулевая",
    VatRate.WITHOUT: "БезНДС",
}


# what the manager (partial rights) may read
_MANAGER_READS = {
    bp30.COUNTERPARTIES,
    bp30.CONTRACTS,
    bp30.PRODUCTS,
    bp30.UNITS,
    bp30.INVOICES,
    bp30.ORGANIZATIONS,
    bp30.CURRENCIES,
    bp30.WAREHOUSES,
}


def seed(store: Store, ds: Dataset) -> None:
    rls = {bp30.COUNTERPARTIES: lambda r: r["ЮридическоеФизическоеЛицо"] != "ФизическоеЛицо"}
    story.open_base(
        store, bp30_posting.install, story.manager(_MANAGER_READS, {bp30.INVOICES}, rls)
    )
    ins = store.insert
    for i, name in enumerate(EXT_TYPES, start=1):
        ins(
            "ChartOfCharacteristicTypes_ВидыСубконтоХозрасчетные",
            {
                "Ref_Key": ref("ext_dimension_type", name),
                "Code": f"{i:05d}",
                "Description": name,
                "Predefined": True,
                "PredefinedDataName": name,
            },
        )
    for code, title, kind, quantitative, subconto in ACCOUNTS:
        parent = code.rsplit(".", 1)[0] if "." in code else ""
        ins(
            bp30.ACCOUNTS,
            {
                "Ref_Key": account_ref(code),
                "Code": code,
                "Description": title,
                "Predefined": True,
                "PredefinedDataName": "Счет" + code.replace(".", "_"),
                "Parent_Key": account_ref(parent) if parent else ZERO_GUID,
                "Вид": kind,
                "Количественный": quantitative,
                "Order": code,
                "ExtDimensionTypes": [
                    {
                        "LineNumber": n,
                        "ExtDimensionType_Key": ref("ext_dimension_type", name),
                        "TurnoversOnly": name == "Партии" and False,
                        "Суммовой": True,
                        "Количественный": quantitative,
                    }
                    for n, name in enumerate(subconto, start=1)
                ],
            },
        )
    ins(bp30.BANKS, story.bank())
    owner = {"Owner": ds.organization_ref, "Owner_Type": "StandardODATA.Catalog_Организации"}
    ins(bp30.BANK_ACCOUNTS, story.bank_account() | owner)
    ins(
        bp30.ORGANIZATIONS,
        story.organization(ds)
        | {
            "ЮридическоеФизическоеЛицо": "ЮридическоеЛицо",
            "ОсновнойБанковскийСчет_Key": BANK_ACCOUNT_REF,
        },
    )
    for unit in ds.units:
        ins(bp30.UNITS, story.unit(unit))
    kinds = {
        ProductKind.GOODS: ref("product_kind", "goods"),
        ProductKind.SERVICE: ref("product_kind", "service"),
    }
    ins("Catalog_ВидыНоменклатуры", {"Ref_Key": kinds[ProductKind.GOODS], "Description": "Товары"})
    ins(
        "Catalog_ВидыНоменклатуры",
        {"Ref_Key": kinds[ProductKind.SERVICE], "Description": "Услуги", "Услуга": True},
    )
    for wh in ds.warehouses:
        ins(bp30.WAREHOUSES, {"Ref_Key": wh.onec_ref, "Description": wh.name})
    for pt in ds.price_types:
        ins(
            "Catalog_ТипыЦенНоменклатуры",
            {
                "Ref_Key": pt.onec_ref,
                "Description": pt.name,
                "ВалютаЦены_Key": CURRENCY_REF,
                "ЦенаВключаетНДС": True,
            },
        )
    _seed_counterparties(store, ds)
    priced: list[tuple[str, Decimal]] = []
    for i, p in enumerate(ds.products):
        assert p.onec_ref is not None
        ins(
            bp30.PRODUCTS,
            {
                "Ref_Key": p.onec_ref,
                "Description": p.name,
                "НаименованиеПолное": p.name,
                "Артикул": p.article,
                "ВидНоменклатуры_Key": kinds[p.kind],
                "ЕдиницаИзмерения_Key": (p.unit.onec_ref or ref("unit", p.unit.okei))
                if p.unit
                else ZERO_GUID,
                "Услуга": p.kind is ProductKind.SERVICE,
                "ВидСтавкиНДС": _VAT_KIND[p.vat_rate],
                "DeletionMark": i % 30 == 8 and p.onec_ref not in ds.products_in_crm,
            },
        )
        if p.price is not None:
            store.unit_cost[p.onec_ref] = story.unit_cost(p.price)
            priced.append((p.onec_ref, p.price))
    _seed_prices(store, ds, priced)
    _seed_invoices(store, ds)
    _seed_payments(store, ds)
    _seed_shipments_and_stock(store, ds)


def _seed_prices(store: Store, ds: Dataset, priced: list[tuple[str, Decimal]]) -> None:
    """Prices are set the way 1C users set them: by posted price-setting documents
    (before the story begins). The base price type carries the story's price; the
    other types are a tenth lower; an older base price shows SliceLast at work."""

    def own(price_type: str, rows: list[tuple[str, Decimal]]) -> Record:
        goods = [
            {"LineNumber": n, "Номенклатура_Key": p, "Цена": price}
            for n, (p, price) in enumerate(rows, start=1)
        ]
        return {"ТипЦен_Key": price_type, "Товары": goods}

    story.seed_prices(store, ds, priced, bp30.PRICE_SETTINGS, bp30_posting.post_prices, own)


def _seed_counterparties(store: Store, ds: Dataset) -> None:
    extra = (
        (
            ref("onec-only", "supplier"),
            "ООО «Поставщик-Опт»",
            "ЮридическоеЛицо",
            "7707083893",
            "770701001",
            "СПоставщиком",
        ),
        (
            ref("onec-only", "tax"),
            "ИФНС России № 15 по г. Москве",
            "ЮридическоеЛицо",
            "7715044490",
            "771501001",
            "Прочее",
        ),
        # A largest taxpayer: its КПП has Latin letters in positions 5-6.
        (
            ref("onec-only", "largest"),
            "ПАО «Крупнейший покупатель»",
            "ЮридическоеЛицо",
            make_inn("770812345"),
            "7708AK001",
            "СПокупателем",
        ),
    )
    for cref, name, legal, inn, kpp, contract_kind in extra:
        store.insert(
            bp30.COUNTERPARTIES,
            {
                "Ref_Key": cref,
                "Description": name,
                "НаименованиеПолное": name,
                "ЮридическоеФизическоеЛицо": legal,
                "ИНН": inn,
                "КПП": kpp,
            },
        )
        store.insert(
            bp30.CONTRACTS,
            {
                "Ref_Key": ref("contract", cref),
                "Owner_Key": cref,
                "Description": "Основной договор",
                "Организация_Key": ds.organization_ref,
                "ВидДоговора": contract_kind,
                "ВалютаВзаиморасчетов_Key": CURRENCY_REF,
            },
        )
    for kept in story.kept_counterparties(ds):
        cp = kept.cp
        contact = story.contact_rows(cp)
        store.insert(
            bp30.COUNTERPARTIES,
            {
                "Ref_Key": cp.onec_ref,
                "Description": cp.name,
                "НаименованиеПолное": cp.full_name or cp.name,
                "ЮридическоеФизическоеЛицо": _legal_kind(cp.kind),
                "ИНН": cp.inn,
                "КПП": cp.kpp,
                "ГоловнойКонтрагент_Key": kept.head_key,
                "ОсновнойДоговорКонтрагента_Key": ds.contracts[cp.onec_ref or ""],
                "КонтактнаяИнформация": contact,
                "DeletionMark": kept.deleted,
            },
        )
        store.insert(
            bp30.CONTRACTS,
            {
                "Ref_Key": ds.contracts[cp.onec_ref or ""],
                "Owner_Key": cp.onec_ref,
                "Description": "Основной договор",
                "Организация_Key": ds.organization_ref,
                "ВидДоговора": "СПокупателем",
                "ВалютаВзаиморасчетов_Key": CURRENCY_REF,
                "СрокОплаты": 5,
            },
        )


def _rows(lines: tuple[InvoiceLine, ...]) -> list[Record]:
    return [
        {
            "LineNumber": n,
            "Номенклатура_Key": ln.product_ref or ZERO_GUID,
            "Содержание": "",
            "Количество": ln.quantity,
            "Цена": ln.price,
            "Сумма": ln.amount,
            "СтавкаНДС": ln.vat_rate.value,
            "СуммаНДС": ln.vat_amount,
        }
        for n, ln in enumerate(lines, start=1)
    ]


def _seed_invoices(store: Store, ds: Dataset) -> None:
    for i, inv in enumerate(ds.onec_invoices):
        store.insert(
            bp30.INVOICES,
            {
                "Ref_Key": inv.onec_ref,
                "Number": number(inv.number),
                "Date": at(inv.date, 10, i % 3600),
                "Организация_Key": ds.organization_ref,
                "Контрагент_Key": inv.counterparty_ref,
                "ДоговорКонтрагента_Key": inv.contract_ref,
                "СтруктурнаяЕдиница_Key": BANK_ACCOUNT_REF,
                "ВалютаДокумента_Key": CURRENCY_REF,
                "КурсВзаиморасчетов": Decimal(1),
                "КратностьВзаиморасчетов": 1,
                "Склад_Key": ds.warehouses[0].onec_ref,
                "СуммаВключаетНДС": True,
                "СуммаДокумента": inv.total,
                "Комментарий": inv.comment,
                "Товары": _rows(inv.lines),
            },
        )
        if inv.posted:
            store.rows[bp30.INVOICES][inv.onec_ref or ""]["Posted"] = True


_BANK: Record = {"СчетБанк_Key": account_ref("51")}
_CASH: Record = {"СчетКасса_Key": account_ref("50.01")}
# a payment's document: its set, its operation and the account it moves
_PAYMENT_FIELDS = story.PaymentFields("ВидОперации", "ВалютаДокумента_Key", "СчетОрганизации_Key")
_PAYMENT_DOCS: dict[PaymentKind, tuple[str, str, Record]] = {
    PaymentKind.BANK: ("Document_ПоступлениеНаРасчетныйСчет", "ОплатаПокупателя", _BANK),
    PaymentKind.CASH: ("Document_ПриходныйКассовыйОрдер", "ОплатаПокупателя", _CASH),
    PaymentKind.CARD: ("Document_ОперацияПоПлатежнойКарте", "ОплатаПокупателя", {}),
    PaymentKind.BANK_REFUND: ("Document_СписаниеСРасчетногоСчета", "ВозвратПокупателю", _BANK),
    PaymentKind.CASH_REFUND: ("Document_РасходныйКассовыйОрдер", "ВозвратПокупателю", _CASH),
}


def _seed_payments(store: Store, ds: Dataset) -> None:
    def document(p: Payment) -> tuple[str, str, Record]:
        set_name, operation, account = _PAYMENT_DOCS[p.kind]
        rate = calculated_rate(standard_rate(p.date))
        rows = [
            {
                "LineNumber": a.line_no,
                "ДоговорКонтрагента_Key": ds.contracts.get(p.counterparty_ref or "", ZERO_GUID),
                "СчетНаОплату_Key": a.invoice_ref or ZERO_GUID,
                "СуммаПлатежа": a.amount,
                "СуммаВзаиморасчетов": a.amount,
                "КурсВзаиморасчетов": Decimal(1),
                "КратностьВзаиморасчетов": 1,
                "СтавкаНДС": rate.value,
                "СуммаНДС": vat_in_sum(a.amount, rate),
                "СпособПогашенияЗадолженности": "ПоДокументу" if a.invoice_ref else "Автоматически",
                "СчетУчетаРасчетовСКонтрагентом_Key": account_ref("62.01"),
                "СчетУчетаРасчетовПоАвансам_Key": account_ref("62.02"),
            }
            for a in p.allocations
        ]
        return set_name, operation, account | {"РасшифровкаПлатежа": rows}

    story.seed_payments(store, ds, document, _PAYMENT_FIELDS)


def _seed_shipments_and_stock(store: Store, ds: Dataset) -> None:
    products = {p.onec_ref: p for p in ds.products}
    moved: dict[tuple[str, str], Decimal] = {}
    shipments = store.schema.sets[bp30.SHIPMENTS]
    returns = store.schema.sets["Document_ВозвратТоваровОтПокупателя"]
    for i, sh in enumerate(ds.shipments):
        wh = ds.warehouses[0 if i % 3 else 1].onec_ref or ""
        goods, services = _shipment_rows(sh, products, wh, moved)
        contract = ds.contracts.get(sh.counterparty_ref or "", ZERO_GUID)
        rec = store.insert(
            bp30.SHIPMENTS,
            {
                "Ref_Key": sh.onec_ref,
                "Number": number(sh.number),
                "Date": at(sh.date, 15, i),
                "ВидОперации": "Товары" if goods else "Услуги",
                "Организация_Key": ds.organization_ref,
                "Склад_Key": wh,
                "Контрагент_Key": sh.counterparty_ref,
                "ДоговорКонтрагента_Key": contract,
                "СчетНаОплатуПокупателю_Key": sh.invoice_ref or ZERO_GUID,
                "ВалютаДокумента_Key": CURRENCY_REF,
                "КурсВзаиморасчетов": Decimal(1),
                "КратностьВзаиморасчетов": 1,
                "СуммаВключаетНДС": True,
                "СуммаДокумента": sh.total,
                "Товары": goods,
                "Услуги": services,
                "СчетУчетаРасчетовСКонтрагентом_Key": account_ref("62.01"),
                "СчетУчетаРасчетовПоАвансам_Key": account_ref("62.02"),
            },
        )
        if sh.posted:
            store.movements.extend(bp30_posting.post_shipment(store, shipments, rec))
            rec["Posted"] = True
        ret_day = sh.date + dt.timedelta(days=3)
        if i % 4 == 1 and goods and ret_day <= ds.today:
            first = goods[0]
            _seed_return(store, returns, ds, (i, sh, wh, contract), first)
            key = (first["Номенклатура_Key"], wh)
            moved[key] = moved.get(key, Decimal(0)) - 1
    _seed_opening_stock(store, ds, moved)


def _shipment_rows(
    sh: Shipment,
    products: dict[str | None, Product],
    wh: str,
    moved: dict[tuple[str, str], Decimal],
) -> tuple[list[Record], list[Record]]:
    """A shipment's goods and services rows; the goods counted in ``moved``."""
    goods: list[Record] = []
    services: list[Record] = []
    for ln in sh.lines:
        p = products.get(ln.product_ref)
        row = _rows((ln,))[0]
        if p is not None and p.kind is ProductKind.SERVICE:
            row.pop("Содержание")
            row.update({"Содержание": ln.product_name, "СчетДоходов_Key": account_ref("90.01.1")})
            services.append(row | {"LineNumber": len(services) + 1})
        else:
            row.pop("Содержание")
            row.update(
                {
                    "СчетУчета_Key": account_ref("41.01"),
                    "СчетДоходов_Key": account_ref("90.01.1"),
                    "СчетРасходов_Key": account_ref("90.02.1"),
                }
            )
            goods.append(row | {"LineNumber": len(goods) + 1})
            key = (ln.product_ref or "", wh)
            moved[key] = moved.get(key, Decimal(0)) + ln.quantity
    return goods, services


def _seed_return(
    store: Store,
    returns: EntitySet,
    ds: Dataset,
    of: tuple[int, Shipment, str, str],
    first: Record,
) -> None:
    """One unit of the shipment's first goods row comes back three days later, posted
    (``of``: the shipment's position, the shipment, its warehouse and contract)."""
    i, sh, wh, contract = of
    price: Decimal = first["Цена"]
    rate = VatRate.from_onec(first["СтавкаНДС"])
    ret = store.insert(
        returns.name,
        {
            "Ref_Key": ref("return", i),
            "Number": number(str(i // 4 + 1)),
            "Date": at(sh.date + dt.timedelta(days=3), 12, i),
            "Организация_Key": ds.organization_ref,
            "Склад_Key": wh,
            "Контрагент_Key": sh.counterparty_ref,
            "ДоговорКонтрагента_Key": contract,
            "ДокументРеализации_Key": sh.onec_ref,
            "ВалютаДокумента_Key": CURRENCY_REF,
            "СуммаВключаетНДС": True,
            "СуммаДокумента": price,
            "СчетУчетаРасчетовСКонтрагентом_Key": account_ref("62.01"),
            "Товары": [
                {
                    "LineNumber": 1,
                    "Номенклатура_Key": first["Номенклатура_Key"],
                    "Количество": Decimal(1),
                    "Цена": price,
                    "Сумма": price,
                    "СтавкаНДС": rate.value,
                    "СуммаНДС": vat_in_sum(price, rate),
                    "СчетУчета_Key": account_ref("41.01"),
                }
            ],
        },
    )
    store.movements.extend(bp30_posting.post_return(store, returns, ret))
    ret["Posted"] = True


def _seed_opening_stock(store: Store, ds: Dataset, moved: dict[tuple[str, str], Decimal]) -> None:
    """Opening stock: what is left now (ds.stock) plus what was moved since."""
    opening: dict[tuple[str, str], Decimal] = dict(moved)
    for level in ds.stock:
        key = (level.product_ref, level.warehouse_ref)
        opening[key] = opening.get(key, Decimal(0)) + level.quantity
    op_ref = ref("operation", "opening-stock")
    day = ds.today - dt.timedelta(days=125)
    rec = store.insert(
        "Document_ОперацияБух",
        {
            "Ref_Key": op_ref,
            "Number": number("1"),
            "Date": at(day, 9),
            "Организация_Key": ds.organization_ref,
            "Содержание": "Ввод остатков товаров",
        },
    )
    period = rec["Date"]
    for (product, wh), qty in sorted(opening.items()):
        if qty == 0:
            continue
        cost = store.unit_cost.get(product, Decimal(0))
        store.movements.append(
            Movement(
                period,
                op_ref,
                "StandardODATA.Document_ОперацияБух",
                ds.organization_ref,
                account_ref("41.01"),
                account_ref("00"),
                stock_place(product, wh),
                (),
                (qty * cost).quantize(Decimal("0.01")),
                quantity_dr=qty,
            )
        )
    rec["Posted"] = True
    rec["СуммаОперации"] = sum(
        (m.amount for m in store.movements if m.recorder == op_ref), Decimal(0)
    )
