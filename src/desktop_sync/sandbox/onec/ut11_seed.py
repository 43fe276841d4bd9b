"""Fill a UT 11 store from the shared seeded story (``sandbox.dataset``).

The same business as the BP base, told in UT's terms: every counterparty of the
story keeps its Ref_Key, ИНН and КПП and belongs to a partner (a head office and its
branch share one); each partner has an agreement, each counterparty a contract with
the client; the story's 1C invoices are customer orders (same Ref_Key and number),
payments and shipments name the order, returns name the shipment, stock is
``ТоварыНаСкладах`` (opening balance + postings = the story's stock), and posted
orders reserve goods (``КОтгрузке``) where there is enough in stock.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from desktop_sync.domain.entities import (
    CounterpartyKind,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentKind,
    ProductKind,
    Shipment,
)
from desktop_sync.domain.requisites import make_inn
from desktop_sync.domain.vat import VatRate, calculated_rate, standard_rate, vat_in_sum
from desktop_sync.sandbox.dataset import Dataset, ref
from desktop_sync.sandbox.onec import story, ut11, ut11_posting
from desktop_sync.sandbox.onec.schema import ZERO_GUID, EntitySet
from desktop_sync.sandbox.onec.store import Record, Store
from desktop_sync.sandbox.onec.story import BANK_ACCOUNT_REF, CURRENCY_REF, at, number
from desktop_sync.sandbox.onec.ut11_posting import is_goods, settlement_ref

CASH_DESK_REF = ref("cash_desk", "main")
TYPICAL_AGREEMENT_REF = ref("agreement", "typical")
# the terms of every seeded agreement with a client: roubles, VAT included, by contracts
AGREEMENT_TERMS: Record = {
    "Валюта_Key": CURRENCY_REF,
    "ЦенаВключаетНДС": True,
    "НалогообложениеНДС": "ПродажаОблагаетсяНДС",
    "ХозяйственнаяОперация": "РеализацияКлиенту",
    "ПорядокРасчетов": "ПоДоговорамКонтрагентов",
    "ИспользуютсяДоговорыКонтрагентов": True,
}
ORDER_TYPE = "StandardODATA." + ut11.ORDERS
SHIPMENT_TYPE = "StandardODATA." + ut11.SHIPMENTS
PRODUCT_TYPE = "StandardODATA." + ut11.PRODUCTS


def vat_ref(rate: VatRate) -> str:
    return ref("vat_rate", rate.value)


def partner_ref(counterparty_ref: str) -> str:
    return ref("partner", counterparty_ref)


def agreement_ref(partner: str) -> str:
    return ref("agreement", partner)


def _kinds(kind: CounterpartyKind) -> tuple[str, str, str]:
    """(partner ЮрФизЛицо, counterparty ЮрФизЛицо, ЮридическоеФизическоеЛицо)."""
    if kind is CounterpartyKind.ORGANIZATION:
        return "Компания", "ЮрЛицо", "ЮридическоеЛицо"
    if kind is CounterpartyKind.SOLE_TRADER:
        return "ЧастноеЛицо", "ИндивидуальныйПредприниматель", "ФизическоеЛицо"
    return "ЧастноеЛицо", "ФизЛицо", "ФизическоеЛицо"


# what the manager (partial rights) may read
_MANAGER_READS = {
    ut11.PARTNERS,
    ut11.COUNTERPARTIES,
    ut11.AGREEMENTS,
    ut11.CONTRACTS,
    ut11.PRODUCTS,
    ut11.PACKAGES,
    ut11.VAT_RATES,
    ut11.ORDERS,
    ut11.ORGANIZATIONS,
    ut11.CURRENCIES,
    ut11.WAREHOUSES,
    ut11.PRICE_TYPES,
    ut11.CHARACTERISTICS,
    f"{ut11.PRICES}_RecordType",
}


def seed(store: Store, ds: Dataset) -> None:
    rls = {ut11.COUNTERPARTIES: lambda r: r["ЮрФизЛицо"] != "ФизЛицо"}
    story.open_base(store, ut11_posting.install, story.manager(_MANAGER_READS, {ut11.ORDERS}, rls))
    ins = store.insert
    ins(
        ut11.ORGANIZATIONS,
        story.organization(ds)
        | {"ЮрФизЛицо": "ЮрЛицо", "БанковскийСчетПоУмолчанию_Key": BANK_ACCOUNT_REF},
    )
    ins(ut11.BANKS, story.bank())
    ins(ut11.BANK_ACCOUNTS, story.bank_account() | {"Owner_Key": ds.organization_ref})
    ins(
        ut11.CASH_DESKS,
        {
            "Ref_Key": CASH_DESK_REF,
            "Owner_Key": ds.organization_ref,
            "Description": "Основная касса",
            "ВалютаДенежныхСредств_Key": CURRENCY_REF,
        },
    )
    for n, rate in enumerate(VatRate, start=1):
        ins(
            ut11.VAT_RATES,
            {
                "Ref_Key": vat_ref(rate),
                "Code": f"{n:09d}",
                "Description": _vat_title(rate),
                "Ставка": rate.percent or Decimal(0),
                "Расчетная": rate.is_calculated,
                "НеОблагается": rate is VatRate.WITHOUT,
                "ПеречислениеСтавкаНДС": rate.value,
            },
        )
    for unit in ds.units:
        kind = "Время" if unit.okei == "356" else "Количество"
        ins(ut11.PACKAGES, story.unit(unit) | {"ТипИзмеряемойВеличины": kind})
    for wh in ds.warehouses:
        ins(ut11.WAREHOUSES, {"Ref_Key": wh.onec_ref, "Description": wh.name})
    for pt in ds.price_types:
        ins(
            ut11.PRICE_TYPES,
            {
                "Ref_Key": pt.onec_ref,
                "Description": pt.name,
                "ВалютаЦены_Key": CURRENCY_REF,
                "ЦенаВключаетНДС": True,
                "Основной": pt.base,
            },
        )
    _seed_products(store, ds)
    _seed_partners(store, ds)
    _seed_documents(store, ds)


def _vat_title(rate: VatRate) -> str:
    if rate is VatRate.WITHOUT:
        return "Без НДС"
    percent = rate.percent or Decimal(0)
    if rate.is_calculated:
        return f"{percent}% / {100 + percent}%"
    return f"{percent}%"


KIND_GOODS = ref("product_kind", "goods")
KIND_SERVICE = ref("product_kind", "service")
KIND_VARIANTS = ref("product_kind", "goods-characteristics")


def characteristic_refs(product: str) -> tuple[str, str]:
    return ref("characteristic", product, 1), ref("characteristic", product, 2)


def _seed_products(store: Store, ds: Dataset) -> None:
    ins = store.insert
    for kref, name, kind, chars in (
        (KIND_GOODS, "Товары", "Товар", "НеИспользовать"),
        (KIND_SERVICE, "Услуги", "Услуга", "НеИспользовать"),
        (KIND_VARIANTS, "Товары с характеристиками", "Товар", "ИндивидуальныеДляНоменклатуры"),
    ):
        ins(
            ut11.PRODUCT_KINDS,
            {
                "Ref_Key": kref,
                "Description": name,
                "ТипНоменклатуры": kind,
                "ИспользованиеХарактеристик": chars,
                "ИспользоватьУпаковки": kind == "Товар",
            },
        )
    priced: list[tuple[str, Decimal]] = []
    for i, p in enumerate(ds.products):
        assert p.onec_ref is not None
        goods = p.kind is ProductKind.GOODS
        variants = goods and i % 7 == 3
        packaged = goods and i % 4 == 0
        unit_ref = (p.unit.onec_ref or ref("unit", p.unit.okei)) if p.unit else ZERO_GUID
        ins(
            ut11.PRODUCTS,
            {
                "Ref_Key": p.onec_ref,
                "Description": p.name,
                "НаименованиеПолное": p.name,
                "Артикул": p.article,
                "ВидНоменклатуры_Key": KIND_VARIANTS
                if variants
                else (KIND_GOODS if goods else KIND_SERVICE),
                "ТипНоменклатуры": "Товар" if goods else "Услуга",
                "ЕдиницаИзмерения_Key": unit_ref,
                "СтавкаНДС_Key": vat_ref(p.vat_rate),
                "ИспользоватьУпаковки": packaged,
                "ИспользованиеХарактеристик": "ИндивидуальныеДляНоменклатуры"
                if variants
                else "НеИспользовать",
                "DeletionMark": i % 30 == 8 and p.onec_ref not in ds.products_in_crm,
            },
        )
        if variants:
            colours = ("синий", "чёрный")
            for cref, colour in zip(characteristic_refs(p.onec_ref), colours, strict=True):
                ins(
                    ut11.CHARACTERISTICS,
                    {
                        "Ref_Key": cref,
                        "Owner": p.onec_ref,
                        "Owner_Type": PRODUCT_TYPE,
                        "Description": colour,
                        "НаименованиеПолное": f"{p.name}, {colour}",
                    },
                )
        if packaged:
            ins(
                ut11.PACKAGES,
                {
                    "Ref_Key": ref("package", p.onec_ref),
                    "Owner": p.onec_ref,
                    "Owner_Type": PRODUCT_TYPE,
                    "Description": "Коробка (10 шт)",
                    "НаименованиеПолное": "Коробка (10 шт)",
                    "ТипИзмеряемойВеличины": "Упаковка",
                    "ЕдиницаИзмерения_Key": unit_ref,
                    "Числитель": Decimal(10),
                    "Знаменатель": Decimal(1),
                },
            )
        if p.price is None:
            continue
        store.unit_cost[p.onec_ref] = story.unit_cost(p.price)
        priced.append((p.onec_ref, p.price))
    _seed_prices(store, ds, priced)


def _seed_prices(store: Store, ds: Dataset, priced: list[tuple[str, Decimal]]) -> None:
    """Prices set by agreed, posted price-setting documents before the story: the base
    type carries the story's price, the others a tenth lower; an older base price shows
    SliceLast at work (as in the BP base)."""

    def own(price_type: str, rows: list[tuple[str, Decimal]]) -> Record:
        goods = [
            {"LineNumber": n, "Номенклатура_Key": p, "ВидЦены_Key": price_type, "Цена": price}
            for n, (p, price) in enumerate(rows, start=1)
        ]
        kinds = [{"LineNumber": 1, "ВидЦены_Key": price_type}]
        return {"Статус": "Согласован", "ВидыЦен": kinds, "Товары": goods}

    story.seed_prices(store, ds, priced, ut11.PRICE_SETTINGS, ut11_posting.post_prices, own)


def _seed_partners(store: Store, ds: Dataset) -> None:
    """A partner per head counterparty; a branch (same ИНН, other КПП) joins its head's
    partner. The typical agreement serves partners without one of their own."""
    base_price = next((pt.onec_ref for pt in ds.price_types if pt.base), ZERO_GUID)
    store.insert(
        ut11.AGREEMENTS,
        {
            "Ref_Key": TYPICAL_AGREEMENT_REF,
            "Description": "Продажи по договорам (типовое)",
            "Организация_Key": ds.organization_ref,
            "Типовое": True,
            "Статус": "Действует",
            "ВидЦен_Key": base_price,
            **AGREEMENT_TERMS,
        },
    )
    _seed_onec_only(store, ds)
    for kept in story.kept_counterparties(ds):
        cp, head = kept.cp, kept.head
        owner = head if head and head in ds.counterparties_in_onec else cp.onec_ref
        partner = partner_ref(owner or "")
        p_kind, cp_kind, legal = _kinds(cp.kind)
        contacts = story.contact_rows(cp)
        if store.get(ut11.PARTNERS, partner) is None:
            name = cp.name.removesuffix(" (филиал)")
            store.insert(
                ut11.PARTNERS,
                {
                    "Ref_Key": partner,
                    "Description": name,
                    "НаименованиеПолное": cp.full_name or name,
                    "ЮрФизЛицо": p_kind,
                    "Клиент": True,
                    "КонтактнаяИнформация": contacts,
                },
            )
            store.insert(
                ut11.AGREEMENTS,
                {
                    "Ref_Key": agreement_ref(partner),
                    "Description": f"Основное соглашение с {name}",
                    "Партнер_Key": partner,
                    "Контрагент_Key": cp.onec_ref,
                    "Организация_Key": ds.organization_ref,
                    "Статус": "Действует",
                    "ДатаНачалаДействия": at(ds.today - dt.timedelta(days=400), 0),
                    "ВидЦен_Key": ds.price_types[0].onec_ref,
                    **AGREEMENT_TERMS,
                },
            )
        store.insert(
            ut11.COUNTERPARTIES,
            {
                "Ref_Key": cp.onec_ref,
                "Партнер_Key": partner,
                "Description": cp.name,
                "НаименованиеПолное": cp.full_name or cp.name,
                "ЮрФизЛицо": cp_kind,
                "ЮридическоеФизическоеЛицо": legal,
                "ИНН": cp.inn,
                "КПП": cp.kpp,
                "ОбособленноеПодразделение": kept.branch,
                "ГоловнойКонтрагент_Key": kept.head_key,
                "КонтактнаяИнформация": contacts,
                "DeletionMark": kept.deleted,
            },
        )
        store.insert(
            ut11.CONTRACTS,
            {
                "Ref_Key": ds.contracts[cp.onec_ref or ""],
                "Description": "Основной договор",
                "Партнер_Key": partner,
                "Контрагент_Key": cp.onec_ref,
                "Организация_Key": ds.organization_ref,
                "ТипДоговора": "СКлиентом",
                "Статус": "Действует",
                "ВалютаВзаиморасчетов_Key": CURRENCY_REF,
                "ПорядокРасчетов": "ПоДоговорамКонтрагентов",
            },
        )


def _seed_onec_only(store: Store, ds: Dataset) -> None:
    """What the BP base has beside the story, told in UT's terms: a supplier and a tax
    office (partners that are no customers) and a largest taxpayer (Latin letters in
    its КПП) that is a customer."""
    extra = (
        ("supplier", "ООО «Поставщик-Опт»", "7707083893", "770701001", "СПоставщиком"),
        ("tax", "ИФНС России № 15 по г. Москве", "7715044490", "771501001", "Прочее"),
        ("largest", "ПАО «Крупнейший покупатель»", make_inn("770812345"), "7708AK001", "СКлиентом"),
    )
    for tag, name, inn, kpp, contract_kind in extra:
        cref = ref("onec-only", tag)
        partner = partner_ref(cref)
        customer = contract_kind == "СКлиентом"
        store.insert(
            ut11.PARTNERS,
            {
                "Ref_Key": partner,
                "Description": name,
                "НаименованиеПолное": name,
                "ЮрФизЛицо": "Компания",
                "Клиент": customer,
                "Поставщик": contract_kind == "СПоставщиком",
                "ПрочиеОтношения": contract_kind == "Прочее",
            },
        )
        store.insert(
            ut11.COUNTERPARTIES,
            {
                "Ref_Key": cref,
                "Партнер_Key": partner,
                "Description": name,
                "НаименованиеПолное": name,
                "ЮрФизЛицо": "ЮрЛицо",
                "ЮридическоеФизическоеЛицо": "ЮридическоеЛицо",
                "ИНН": inn,
                "КПП": kpp,
            },
        )
        store.insert(
            ut11.CONTRACTS,
            {
                "Ref_Key": ref("contract", cref),
                "Description": "Основной договор",
                "Партнер_Key": partner,
                "Контрагент_Key": cref,
                "Организация_Key": ds.organization_ref,
                "ТипДоговора": contract_kind,
                "Статус": "Действует",
                "ВалютаВзаиморасчетов_Key": CURRENCY_REF,
            },
        )


def _row(
    store: Store, ln: InvoiceLine, n: int, price_type: str, extra: Record | None = None
) -> Record:
    product = store.get(ut11.PRODUCTS, ln.product_ref or ZERO_GUID)
    characteristic = ZERO_GUID
    if product is not None and product["ИспользованиеХарактеристик"] != "НеИспользовать":
        characteristic = characteristic_refs(product["Ref_Key"])[0]
    return {
        "LineNumber": n,
        "КодСтроки": n,
        "Номенклатура_Key": ln.product_ref or ZERO_GUID,
        "Характеристика_Key": characteristic,
        "Упаковка_Key": ZERO_GUID,
        "КоличествоУпаковок": ln.quantity,
        "Количество": ln.quantity,
        "ВидЦены_Key": price_type,
        "Цена": ln.price,
        "СуммаРучнойСкидки": ln.discount,
        "Сумма": ln.amount,
        "СтавкаНДС_Key": vat_ref(ln.vat_rate),
        "СуммаНДС": ln.vat_amount,
        "СуммаСНДС": ln.total_with_vat,
        **(extra or {}),
    }


def _seed_documents(store: Store, ds: Dataset) -> None:
    base_price = next((pt.onec_ref or "" for pt in ds.price_types if pt.base), ZERO_GUID)
    partner_of = {str(r["Ref_Key"]): str(r["Партнер_Key"]) for r in store.all(ut11.COUNTERPARTIES)}
    ship_wh: dict[str, str] = {}
    for i, sh in enumerate(ds.shipments):
        ship_wh[sh.invoice_ref or ""] = ds.warehouses[0 if i % 3 else 1].onec_ref or ""
    shipped = set(ship_wh)
    # Free stock while seeding: orders reserve only what is there (СоСклада), the rest
    # waits for supply (Требуется).
    free: dict[tuple[str, str], Decimal] = {}
    for level in ds.stock:
        free[(level.product_ref, level.warehouse_ref)] = level.quantity
    orders = store.schema.sets[ut11.ORDERS]
    for i, inv in enumerate(ds.onec_invoices):
        assert inv.onec_ref is not None
        cp = inv.counterparty_ref or ""
        wh = ship_wh.get(inv.onec_ref, ds.warehouses[0].onec_ref or "")
        if inv.onec_ref in shipped:
            status = "Закрыт"
        else:
            status = "КОтгрузке" if i % 2 == 0 else "НеСогласован"
        rows = _order_rows(store, inv, (status, wh, base_price), free)
        rec = store.insert(
            ut11.ORDERS,
            {
                "Ref_Key": inv.onec_ref,
                "Number": number(inv.number),
                "Date": at(inv.date, 10, i % 3600),
                "Организация_Key": ds.organization_ref,
                "Партнер_Key": partner_of.get(cp, ZERO_GUID),
                "Контрагент_Key": cp,
                "Соглашение_Key": agreement_ref(partner_of.get(cp, "")),
                "Договор_Key": inv.contract_ref or ZERO_GUID,
                "Склад_Key": wh,
                "Валюта_Key": CURRENCY_REF,
                "ЦенаВключаетНДС": True,
                "НалогообложениеНДС": "ПродажаОблагаетсяНДС",
                "ХозяйственнаяОперация": "РеализацияКлиенту",
                "Статус": status,
                "ЖелаемаяДатаОтгрузки": at(inv.date + dt.timedelta(days=5), 0),
                "ФормаОплаты": "Безналичная",
                "СуммаДокумента": inv.total,
                "Комментарий": inv.comment,
                "Товары": rows,
                "ЭтапыГрафикаОплаты": [
                    {
                        "LineNumber": 1,
                        "ВариантОплаты": "КредитПослеОтгрузки",
                        "ДатаПлатежа": at(inv.date + dt.timedelta(days=5), 0),
                        "ПроцентПлатежа": Decimal(100),
                        "СуммаПлатежа": inv.total,
                    }
                ],
            },
        )
        if status != "НеСогласован":
            ut11_posting.post_order(store, orders, rec)
            rec["Posted"] = True
    _seed_payments(store, ds, partner_of)
    _seed_shipments_and_stock(store, ds, partner_of, ship_wh)


def _order_rows(
    store: Store, inv: Invoice, how: tuple[str, str, str], free: dict[tuple[str, str], Decimal]
) -> list[Record]:
    """An order's rows (``how``: its status, warehouse and base price type): goods to
    ship (a closed order), reserved from free stock (СоСклада, taken from ``free``) or
    waiting for supply (Требуется); services need none."""
    status, wh, base_price = how
    rows = []
    for n, ln in enumerate(inv.lines, start=1):
        key = (ln.product_ref or "", wh)
        option = "Отгрузить" if status == "Закрыт" else "Требуется"
        goods = is_goods(store, key[0])
        if status == "КОтгрузке" and goods and free.get(key, Decimal(0)) >= ln.quantity:
            free[key] -= ln.quantity
            option = "СоСклада"
        if not goods:
            option = "НеТребуется"
        rows.append(
            _row(
                store,
                ln,
                n,
                base_price,
                {"ВариантОбеспечения": option, "Склад_Key": wh, "Содержание": ""},
            )
        )
    return rows


_BANK: Record = {"ПроведеноБанком": True}
_CASH: Record = {"Касса_Key": CASH_DESK_REF}
# a payment's document: its set, its business operation and where the money is
_PAYMENT_FIELDS = story.PaymentFields("ХозяйственнаяОперация", "Валюта_Key", "БанковскийСчет_Key")
_PAYMENT_DOCS: dict[PaymentKind, tuple[str, str, Record]] = {
    PaymentKind.BANK: (ut11.BANK_RECEIPTS, "ПоступлениеОплатыОтКлиента", _BANK),
    PaymentKind.CASH: (ut11.CASH_RECEIPTS, "ПоступлениеОплатыОтКлиента", _CASH),
    PaymentKind.CARD: (ut11.CARD_PAYMENTS, "ПоступлениеОплатыОтКлиента", {}),
    PaymentKind.BANK_REFUND: (ut11.BANK_REFUNDS, "ВозвратОплатыКлиенту", _BANK),
    PaymentKind.CASH_REFUND: (ut11.CASH_REFUNDS, "ВозвратОплатыКлиенту", _CASH),
}


def _seed_payments(store: Store, ds: Dataset, partner_of: dict[str, str]) -> None:
    def document(p: Payment) -> tuple[str, str, Record]:
        set_name, operation, where = _PAYMENT_DOCS[p.kind]
        rate = calculated_rate(standard_rate(p.date))
        cp = p.counterparty_ref or ""
        rows = [
            {
                "LineNumber": a.line_no,
                "Партнер_Key": partner_of.get(cp, ZERO_GUID),
                "Договор_Key": ds.contracts.get(cp, ZERO_GUID),
                "ОбъектРасчетов_Key": settlement_ref(a.invoice_ref) if a.invoice_ref else ZERO_GUID,
                "Сумма": a.amount,
                "СуммаВзаиморасчетов": a.amount,
                "СтавкаНДС_Key": vat_ref(rate),
                "СуммаНДС": vat_in_sum(a.amount, rate),
                "ВариантОплаты": "КредитПослеОтгрузки",
            }
            for a in p.allocations
        ]
        return set_name, operation, where | {"РасшифровкаПлатежа": rows}

    story.seed_payments(store, ds, document, _PAYMENT_FIELDS)


def _sale_header(ds: Dataset, partner: str, cp: str, wh: str, operation: str) -> Record:
    """The header a shipment and a return share: who, under what, from where, with VAT."""
    return {
        "Организация_Key": ds.organization_ref,
        "Партнер_Key": partner,
        "Контрагент_Key": cp,
        "Соглашение_Key": agreement_ref(partner),
        "Договор_Key": ds.contracts.get(cp, ZERO_GUID),
        "Склад_Key": wh,
        "Валюта_Key": CURRENCY_REF,
        "ЦенаВключаетНДС": True,
        "НалогообложениеНДС": "ПродажаОблагаетсяНДС",
        "ХозяйственнаяОперация": operation,
    }


def _seed_shipments_and_stock(
    store: Store, ds: Dataset, partner_of: dict[str, str], ship_wh: dict[str, str]
) -> None:
    base_price = next((pt.onec_ref or "" for pt in ds.price_types if pt.base), ZERO_GUID)
    moved: dict[tuple[str, str, str], Decimal] = {}
    shipments = store.schema.sets[ut11.SHIPMENTS]
    returns = store.schema.sets[ut11.RETURNS]
    for i, sh in enumerate(ds.shipments):
        wh = ship_wh.get(sh.invoice_ref or "", ds.warehouses[0].onec_ref or "")
        cp = sh.counterparty_ref or ""
        order = {"ЗаказКлиента": sh.invoice_ref or "", "ЗаказКлиента_Type": ORDER_TYPE}
        rows = [_row(store, ln, n, base_price, order) for n, ln in enumerate(sh.lines, start=1)]
        for row in rows:
            if is_goods(store, row["Номенклатура_Key"]):
                key = (row["Номенклатура_Key"], row["Характеристика_Key"], wh)
                moved[key] = moved.get(key, Decimal(0)) + row["Количество"]
        partner = partner_of.get(cp, ZERO_GUID)
        rec = store.insert(
            ut11.SHIPMENTS,
            {
                "Ref_Key": sh.onec_ref,
                "Number": number(sh.number),
                "Date": at(sh.date, 15, i),
                **_sale_header(ds, partner, cp, wh, "РеализацияКлиенту"),
                "Статус": "Отгружено",
                **order,
                "СуммаДокумента": sh.total,
                "Товары": rows,
            },
        )
        if sh.posted:
            ut11_posting.post_shipment(store, shipments, rec)
            rec["Posted"] = True
        ret_day = sh.date + dt.timedelta(days=3)
        goods = [r for r in rows if is_goods(store, r["Номенклатура_Key"])]
        if i % 4 == 1 and goods and ret_day <= ds.today:
            first = goods[0]
            _seed_return(store, returns, ds, (i, sh, partner, cp, wh), first)
            key = (first["Номенклатура_Key"], first["Характеристика_Key"], wh)
            moved[key] = moved.get(key, Decimal(0)) - 1
    _seed_opening_stock(store, ds, moved, shipments)


def _seed_return(
    store: Store,
    returns: EntitySet,
    ds: Dataset,
    of: tuple[int, Shipment, str, str, str],
    first: Record,
) -> None:
    """One unit of the shipment's first goods row comes back three days later, posted
    (``of``: the shipment's position, the shipment, its partner, counterparty and
    warehouse)."""
    i, sh, partner, cp, wh = of
    price: Decimal = first["Цена"]
    rate = VatRate.from_onec(next(r.value for r in VatRate if vat_ref(r) == first["СтавкаНДС_Key"]))
    ret = store.insert(
        ut11.RETURNS,
        {
            "Ref_Key": ref("return", i),
            "Number": number(str(i // 4 + 1)),
            "Date": at(sh.date + dt.timedelta(days=3), 12, i),
            **_sale_header(ds, partner, cp, wh, "ВозвратТоваровОтКлиента"),
            "СуммаДокумента": price,
            "Товары": [
                {
                    **first,
                    "LineNumber": 1,
                    "КодСтроки": 1,
                    "КоличествоУпаковок": Decimal(1),
                    "Количество": Decimal(1),
                    "Сумма": price,
                    "СуммаРучнойСкидки": Decimal(0),
                    "СуммаНДС": vat_in_sum(price, rate),
                    "СуммаСНДС": price,
                    "ДокументРеализации": sh.onec_ref,
                    "ДокументРеализации_Type": SHIPMENT_TYPE,
                }
            ],
        },
    )
    for k in ("ЗаказКлиента", "ЗаказКлиента_Type"):
        ret["Товары"][0].pop(k, None)
    ut11_posting.post_return(store, returns, ret)
    ret["Posted"] = True


def _seed_opening_stock(
    store: Store, ds: Dataset, moved: dict[tuple[str, str, str], Decimal], shipments: EntitySet
) -> None:
    # Opening stock (ввод остатков before the story): now (ds.stock) plus what moved.
    opening: dict[tuple[str, str, str], Decimal] = dict(moved)
    for level in ds.stock:
        product = store.get(ut11.PRODUCTS, level.product_ref)
        characteristic = ZERO_GUID
        if product is not None and product["ИспользованиеХарактеристик"] != "НеИспользовать":
            characteristic = characteristic_refs(level.product_ref)[0]
        key = (level.product_ref, characteristic, level.warehouse_ref)
        opening[key] = opening.get(key, Decimal(0)) + level.quantity
    day = at(ds.today - dt.timedelta(days=125), 9)
    opening_doc = EntitySet("Document_ВводОстатков", shipments.kind, ())
    pseudo: Record = {"Ref_Key": ref("operation", "opening-stock"), "Date": day}
    for (product_ref, characteristic, wh), qty in sorted(opening.items()):
        if qty:
            store.accumulate(
                ut11.STOCK,
                opening_doc,
                pseudo,
                True,
                {
                    "Номенклатура_Key": product_ref,
                    "Характеристика_Key": characteristic,
                    "Склад_Key": wh,
                    "ВНаличии": qty,
                },
            )
