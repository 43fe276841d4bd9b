"""Seed a portal from the shared story (``sandbox.dataset``), as it is *before* the first sync.

- one administrator (user 1) and a sales manager (user 2) who sees only what is
  assigned to them;
- our own company (``IS_MY_COMPANY=Y``) with its requisite;
- companies for the counterparties the CRM knows: organizations with an
  organization requisite (preset 1, ИНН+КПП), a branch (same ИНН, other КПП) as
  a second requisite of its head company, sole traders (preset 2, 12-digit ИНН,
  no КПП), private persons as contacts (preset 3), one duplicate company;
- a catalog that is behind 1C (two thirds of the products, some with old names
  or prices), plus one product that exists only in the CRM; measures by ОКЕИ,
  VAT rates, the two price types, stores for the warehouses and their stock;
- smart invoices in every stage with product and service rows, discounts, VAT
  included or not.

Nothing is linked by desktop-sync yet: no ``ORIGIN_ID`` holds a 1C GUID. Catalog
products that came from 1C's standard catalog exchange carry the 1C GUID in
``xmlId`` (``Dataset.products_exchanged``); those typed in by hand have their own id.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from desktop_sync.domain.entities import Counterparty, CounterpartyKind, ProductKind
from desktop_sync.domain.vat import VatRate
from desktop_sync.sandbox.bitrix24 import rows as rowcalc
from desktop_sync.sandbox.bitrix24.crm_items import recalc_opportunity
from desktop_sync.sandbox.bitrix24.dataset_bridge import Dataset, build_dataset
from desktop_sync.sandbox.bitrix24.deals import seed_deals
from desktop_sync.sandbox.bitrix24.store import PORTAL_TZ, Store, User, day_start

ADMIN_ID = 1
MANAGER_ID = 2
INVOICE_CATEGORY = 1
PRODUCT_IBLOCK = 25
OFFERS_IBLOCK = 27

STAGES = (
    # code, name, sort, semantics (None process, "S" success, "F" failure)
    ("N", "Новый", 10, None),
    ("S", "Отправлен клиенту", 20, None),
    ("UC_TO1C", "Передать в 1С", 30, None),
    ("UC_PART", "Частично оплачен", 40, None),
    ("P", "Оплачен", 50, "S"),
    ("D", "Отклонён", 60, "F"),
    ("UC_SHIP", "Доставлено", 45, None),  # F10's "ship": 1C makes the sales document
)
OKEI = {
    "796": ("Штука", "шт", "pcs", "PCE"),
    "166": ("Килограмм", "кг", "kg", "KGM"),
    "112": ("Литр", "л", "l", "LTR"),
    "006": ("Метр", "м", "m", "MTR"),
    "778": ("Упаковка", "упак", "pack", "NMP"),
    "356": ("Час", "ч", "h", "HUR"),
}
VATS = (
    (1, "Без НДС", None),
    (2, "НДС 0%", Decimal(0)),
    (3, "НДС 10%", Decimal(10)),
    (4, "НДС 20%", Decimal(20)),
    (5, "НДС 22%", Decimal(22)),
)


def vat_id_for(rate: VatRate) -> int:
    pct = rate.percent
    for vat_id, _name, vat_rate in VATS:
        if vat_rate == pct:
            return vat_id
    return 1


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=PORTAL_TZ)


def seed(store: Store, seed_value: int, size: str) -> Dataset:
    ds = build_dataset(seed_value, size)
    created = _at(ds.today - dt.timedelta(days=200))
    store.users[ADMIN_ID] = User(ADMIN_ID, "Анна", "Админова", True, "admin@example.ru")
    store.users[MANAGER_ID] = User(MANAGER_ID, "Михаил", "О'Брайен", False, "sales@example.ru")
    store.presets.extend(
        [
            {
                "ID": 1,
                "ENTITY_TYPE_ID": 8,
                "COUNTRY_ID": 1,
                "NAME": "Организация",
                "ACTIVE": "Y",
                "SORT": 500,
                "XML_ID": "#CRM_REQUISITE_PRESET_DEF_RU_COMPANY#",
            },
            {
                "ID": 2,
                "ENTITY_TYPE_ID": 8,
                "COUNTRY_ID": 1,
                "NAME": "ИП",
                "ACTIVE": "Y",
                "SORT": 500,
                "XML_ID": "#CRM_REQUISITE_PRESET_DEF_RU_INDIVIDUAL#",
            },
            {
                "ID": 3,
                "ENTITY_TYPE_ID": 8,
                "COUNTRY_ID": 1,
                "NAME": "Физ. лицо",
                "ACTIVE": "Y",
                "SORT": 500,
                "XML_ID": "#CRM_REQUISITE_PRESET_DEF_RU_PERSON#",
            },
        ]
    )
    _seed_stages(store)
    _seed_catalog_setup(store, ds)
    my_company = _seed_my_company(store, ds, created)
    owners = _seed_counterparties(store, ds, created)
    products = _seed_products(store, ds, created)
    _seed_stock(store, ds, products)
    _seed_invoices(store, ds, owners, products, my_company)
    seed_deals(store)
    return ds


def _seed_stages(store: Store) -> None:
    store.categories.append(
        {"id": INVOICE_CATEGORY, "name": "Общая", "sort": 500, "entityTypeId": 31, "isDefault": "Y"}
    )
    entity = f"SMART_INVOICE_STAGE_{INVOICE_CATEGORY}"
    for n, (code, name, sort, semantics) in enumerate(STAGES, start=1):
        extra = {"S": "success", "F": "failure"}.get(semantics or "", "process")
        store.statuses.append(
            {
                "ID": n,
                "ENTITY_ID": entity,
                "STATUS_ID": f"DT31_{INVOICE_CATEGORY}:{code}",
                "NAME": name,
                "NAME_INIT": name if not code.startswith("UC_") else "",
                "SORT": sort,
                "SYSTEM": "N" if code.startswith("UC_") else "Y",
                "CATEGORY_ID": INVOICE_CATEGORY,
                "COLOR": "#39A8EF",
                "SEMANTICS": semantics,
                "EXTRA": {"SEMANTICS": extra, "COLOR": "#39A8EF"},
            }
        )


def _seed_catalog_setup(store: Store, ds: Dataset) -> None:
    store.catalogs.extend(
        [
            {
                "id": PRODUCT_IBLOCK,
                "iblockId": PRODUCT_IBLOCK,
                "iblockTypeId": "CRM_PRODUCT_CATALOG",
                "lid": "s1",
                "name": "Товарный каталог CRM",
                "productIblockId": None,
                "skuPropertyId": None,
                "subscription": "N",
                "vatId": None,
                "yandexExport": "N",
            },
            {
                "id": OFFERS_IBLOCK,
                "iblockId": OFFERS_IBLOCK,
                "iblockTypeId": "CRM_PRODUCT_CATALOG",
                "lid": "s1",
                "name": "Товарный каталог CRM (предложения)",
                "productIblockId": PRODUCT_IBLOCK,
                "skuPropertyId": 101,
                "subscription": "N",
                "vatId": None,
                "yandexExport": "N",
            },
        ]
    )
    for n, unit in enumerate(ds.units, start=1):
        title, symbol, intl, letter = OKEI.get(unit.okei, (unit.name, unit.name, "", ""))
        store.measures.append(
            {
                "id": n,
                "code": unit.okei,
                "measureTitle": title,
                "symbol": symbol,
                "symbolIntl": intl,
                "symbolLetterIntl": letter,
                "isDefault": "Y" if unit.okei == "796" else "N",
            }
        )
    stamp = _at(ds.today - dt.timedelta(days=365))
    for vat_id, name, rate in VATS:
        store.vats.append(
            {
                "id": vat_id,
                "name": name,
                "rate": rate,
                "active": "Y",
                "sort": vat_id * 100,
                "excludeVat": "Y" if rate is None else "N",
                "timestampX": stamp,
            }
        )
    for n, pt in enumerate(ds.price_types, start=1):
        store.price_types.append(
            {
                "id": n,
                "name": "BASE" if pt.base else pt.name,
                "base": "Y" if pt.base else "N",
                "sort": n * 100,
                "xmlId": None,
                "createdBy": ADMIN_ID,
                "modifiedBy": ADMIN_ID,
                "dateCreate": stamp,
                "timestampX": stamp,
            }
        )
    for wh in ds.warehouses:
        store.stores.insert(
            {
                "title": wh.name,
                "active": "Y",
                "address": "г. Москва",
                "description": None,
                "code": None,
                "xmlId": None,
                "sort": 100,
                "isDefault": "N",
                "dateCreate": stamp,
                "dateModify": stamp,
            },
            "id",
        )


def _seed_my_company(store: Store, ds: Dataset, created: dt.datetime) -> int:
    from desktop_sync.sandbox.bitrix24.dataset_bridge import ORGANIZATION

    name, inn, kpp = ORGANIZATION
    company_id = _company(store, name, created, ADMIN_ID, my=True)
    _requisite(store, 4, company_id, 1, name, inn, kpp, created)
    return company_id


def _company(
    store: Store,
    title: str,
    created: dt.datetime,
    assigned: int,
    *,
    my: bool = False,
    phone: str = "",
    email: str = "",
) -> int:
    row: dict[str, Any] = {
        "TITLE": title,
        "COMPANY_TYPE": "CUSTOMER" if not my else "",
        "INDUSTRY": "OTHER",
        "CURRENCY_ID": "RUB",
        "REVENUE": Decimal(0),
        "COMMENTS": None,
        "ASSIGNED_BY_ID": assigned,
        "CREATED_BY_ID": ADMIN_ID,
        "MODIFY_BY_ID": ADMIN_ID,
        "IS_MY_COMPANY": "Y" if my else "N",
        "OPENED": "Y",
        "ORIGINATOR_ID": None,
        "ORIGIN_ID": None,
        "ORIGIN_VERSION": None,
        "DATE_CREATE": created,
        "DATE_MODIFY": created,
        "PHONE": _mf(store, "PHONE", phone),
        "EMAIL": _mf(store, "EMAIL", email),
    }
    row["HAS_PHONE"] = "Y" if phone else "N"
    row["HAS_EMAIL"] = "Y" if email else "N"
    return store.companies.insert(row)


def _mf(store: Store, kind: str, value: str) -> list[dict[str, Any]]:
    if not value:
        return []
    return [
        {
            "ID": store.multifield_ids.insert({}),
            "VALUE_TYPE": "WORK",
            "VALUE": value,
            "TYPE_ID": kind,
        }
    ]


def _requisite(
    store: Store,
    etype: int,
    owner: int,
    preset: int,
    name: str,
    inn: str,
    kpp: str,
    created: dt.datetime,
    *,
    full_name: str = "",
    person: tuple[str, str, str] | None = None,
) -> int:
    row: dict[str, Any] = {
        "ENTITY_TYPE_ID": etype,
        "ENTITY_ID": owner,
        "PRESET_ID": preset,
        "NAME": {1: "Организация", 2: "ИП", 3: "Физ. лицо"}[preset],
        "CODE": None,
        "XML_ID": None,
        "ORIGINATOR_ID": None,
        "ACTIVE": "Y",
        "ADDRESS_ONLY": "N",
        "SORT": 500,
        "RQ_NAME": name if preset != 1 else None,
        "RQ_FIRST_NAME": None,
        "RQ_LAST_NAME": None,
        "RQ_SECOND_NAME": None,
        "RQ_COMPANY_NAME": name if preset == 1 else None,
        "RQ_COMPANY_FULL_NAME": full_name or None if preset == 1 else None,
        "RQ_INN": inn or None,
        "RQ_KPP": kpp or None,
        "RQ_OGRN": None,
        "RQ_OGRNIP": None,
        "CREATED_BY_ID": ADMIN_ID,
        "MODIFY_BY_ID": ADMIN_ID,
        "DATE_CREATE": created,
        "DATE_MODIFY": created,
    }
    if person is not None:
        row["RQ_LAST_NAME"], row["RQ_FIRST_NAME"], row["RQ_SECOND_NAME"] = person
    return store.requisites.insert(row)


def _person_parts(name: str) -> tuple[str, str, str]:
    parts = name.removeprefix("ИП ").split()
    parts += [""] * (3 - len(parts))
    return parts[0], parts[1], parts[2]


def _seed_counterparties(
    store: Store, ds: Dataset, created: dt.datetime
) -> dict[str, tuple[str, int, int]]:
    """-> onec_ref -> ("company"|"contact", id, assigned user)."""
    owners: dict[str, tuple[str, int, int]] = {}
    heads: dict[str, int] = {}  # ИНН -> head company id
    duplicate_done = False
    for n, cp in enumerate(c for c in ds.counterparties if c.onec_ref in ds.counterparties_in_crm):
        assert cp.onec_ref is not None
        assigned = MANAGER_ID if n % 3 == 1 else ADMIN_ID
        when = created + dt.timedelta(days=n % 150, minutes=n)
        if cp.kind is CounterpartyKind.PERSON:
            contact = _contact(store, cp, when, assigned)
            if cp.inn:
                _requisite(
                    store, 3, contact, 3, cp.name, cp.inn, "", when, person=_person_parts(cp.name)
                )
            owners[cp.onec_ref] = ("contact", contact, assigned)
            continue
        is_branch = cp.name.endswith("(филиал)")
        if is_branch and cp.inn in heads:
            head = heads[cp.inn]
            _requisite(store, 4, head, 1, cp.name, cp.inn, cp.kpp, when, full_name=cp.full_name)
            owners[cp.onec_ref] = ("company", head, store.companies.rows[head]["ASSIGNED_BY_ID"])
            continue
        company = _company(store, cp.name, when, assigned, phone=cp.phone, email=cp.email)
        if cp.kind is CounterpartyKind.SOLE_TRADER:
            _requisite(
                store, 4, company, 2, cp.name, cp.inn, "", when, person=_person_parts(cp.name)
            )
        else:
            _requisite(store, 4, company, 1, cp.name, cp.inn, cp.kpp, when, full_name=cp.full_name)
            heads.setdefault(cp.inn, company)
            if not duplicate_done:  # a manager typed the same customer in twice
                _company(store, cp.name, when + dt.timedelta(days=30), MANAGER_ID, phone=cp.phone)
                duplicate_done = True
        owners[cp.onec_ref] = ("company", company, assigned)
    return owners


def _contact(store: Store, cp: Counterparty, when: dt.datetime, assigned: int) -> int:
    last, first, middle = _person_parts(cp.name)
    row: dict[str, Any] = {
        "NAME": first,
        "SECOND_NAME": middle,
        "LAST_NAME": last,
        "TYPE_ID": "CLIENT",
        "COMMENTS": None,
        "ASSIGNED_BY_ID": assigned,
        "CREATED_BY_ID": ADMIN_ID,
        "MODIFY_BY_ID": ADMIN_ID,
        "COMPANY_ID": None,
        "OPENED": "Y",
        "ORIGINATOR_ID": None,
        "ORIGIN_ID": None,
        "DATE_CREATE": when,
        "DATE_MODIFY": when,
        "PHONE": _mf(store, "PHONE", cp.phone),
        "EMAIL": [],
        "HAS_PHONE": "Y" if cp.phone else "N",
        "HAS_EMAIL": "N",
    }
    return store.contacts.insert(row)


_HOURS_BEFORE_TODAY = 200 * 24  # ``created`` is 200 days before the story's today


def _seed_products(store: Store, ds: Dataset, created: dt.datetime) -> dict[str, int]:
    """-> product onec_ref -> catalog product id."""
    measure_by_okei = {m["code"]: m["id"] for m in store.measures}
    out: dict[str, int] = {}
    for n, p in enumerate(x for x in ds.products if x.onec_ref in ds.products_in_crm):
        assert p.onec_ref is not None and p.price is not None
        stale = n % 7 == 3  # the catalog is behind 1C: an old name or an old price
        name = f"{p.name} (старое название)" if stale and n % 2 else p.name
        price = (p.price * Decimal("0.95")).quantize(Decimal("0.01")) if stale else p.price
        product_id = _add_product(
            store,
            name,
            price,
            # an hour apart, all before the story's today (a portal stamps with its
            # clock): the large set's 13,334 products reached 2027 without the wrap
            created + dt.timedelta(hours=n % _HOURS_BEFORE_TODAY),
            type_=7 if p.kind is ProductKind.SERVICE else 1,
            measure=measure_by_okei.get(p.unit.okei if p.unit else "796", 1),
            vat_id=vat_id_for(p.vat_rate),
            by=ADMIN_ID,
            # Loaded by the standard 1C exchange: xmlId is the 1C GUID; typed by hand: its id.
            xml_id=p.onec_ref if p.onec_ref in ds.products_exchanged else None,
        )
        out[p.onec_ref] = product_id
    name = "Подарочный сертификат «Д'Артаньян»"
    _add_product(store, name, Decimal(5000), created, type_=7, measure=1, vat_id=1, by=MANAGER_ID)
    return out


def _add_product(
    store: Store,
    name: str,
    price: Decimal,
    when: dt.datetime,
    *,
    type_: int,
    measure: int,
    vat_id: int,
    by: int,
    xml_id: str | None = None,
) -> int:
    """A catalog product and its base price; ``xml_id`` None: the portal's default, its id."""
    row: dict[str, Any] = {
        "iblockId": PRODUCT_IBLOCK,
        "name": name,
        "code": None,
        "xmlId": None,
        "active": "Y",
        "sort": 500,
        "type": type_,
        "measure": measure,
        "vatId": vat_id,
        "vatIncluded": "Y",
        "purchasingPrice": None,
        "purchasingCurrency": "RUB",
        "quantity": Decimal(0),
        "quantityReserved": Decimal(0),
        "iblockSectionId": None,
        "detailText": None,
        "createdBy": by,
        "modifiedBy": by,
        "dateCreate": when,
        "timestampX": when,
    }
    product_id = store.products.insert(row, "id")
    row["xmlId"] = xml_id if xml_id is not None else str(product_id)
    store.prices.insert(
        {
            "productId": product_id,
            "catalogGroupId": 1,
            "price": price,
            "currency": "RUB",
            "quantityFrom": None,
            "quantityTo": None,
            "extraId": None,
            "timestampX": when,
        },
        "id",
    )
    return product_id


def _seed_stock(store: Store, ds: Dataset, products: dict[str, int]) -> None:
    store_ids = {wh.onec_ref: n for n, wh in enumerate(ds.warehouses, start=1)}
    for k, level in enumerate(ds.stock):
        product_id = products.get(level.product_ref)
        store_id = store_ids.get(level.warehouse_ref)
        if product_id is None or store_id is None:
            continue
        amount = level.quantity if k % 5 else max(level.quantity - 3, Decimal(0))  # behind
        row = store.stock_row(product_id, store_id)
        row["amount"] = amount
        store.products.rows[product_id]["quantity"] += amount


def _seed_invoices(
    store: Store,
    ds: Dataset,
    owners: dict[str, tuple[str, int, int]],
    products: dict[str, int],
    my_company: int,
) -> None:
    stage_map = {"DT31_1:SE": "DT31_1:UC_TO1C"}
    for i, inv in enumerate(ds.crm_invoices):
        stage = stage_map.get(inv.stage, inv.stage)
        if i % 9 == 5:
            stage = "DT31_1:P"
        elif i % 13 == 7:
            stage = "DT31_1:D"
        elif i % 11 == 4:
            stage = "DT31_1:UC_PART"
        kind, owner_id, assigned = owners.get(inv.counterparty_ref or "", ("company", 0, 1))
        created = _at(inv.date, 9) + dt.timedelta(minutes=i % 60)
        row: dict[str, Any] = {
            "xmlId": None,
            "title": f"Счёт {inv.number} для {inv.counterparty_name}",
            "accountNumber": inv.number,
            "categoryId": INVOICE_CATEGORY,
            "stageId": stage,
            "previousStageId": None,
            "movedTime": created,
            "movedBy": assigned,
            "begindate": day_start(inv.date),
            "closedate": day_start(inv.date + dt.timedelta(7)),
            "companyId": owner_id if kind == "company" else None,
            "contactId": owner_id if kind == "contact" else None,
            "contactIds": [owner_id] if kind == "contact" else [],
            "mycompanyId": my_company,
            "opportunity": Decimal("0.00"),
            "isManualOpportunity": "N",
            "taxValue": Decimal("0.00"),
            "currencyId": "RUB",
            "comments": "Клиент просит «срочно», см. письмо от O'Neill" if i % 6 == 1 else None,
            "sourceId": None,
            "sourceDescription": None,
            "assignedById": assigned,
            "observers": [],
            "opened": "Y",
            "createdTime": created,
            "updatedTime": created,
            "createdBy": assigned,
            "updatedBy": assigned,
            "parentId2": None,
            "parentId7": None,
            "webformId": None,
            "locationId": None,
        }
        item_id = store.items.insert(row, "id")
        tax_included = i % 3 != 2
        discount = Decimal(5) if i % 5 == 1 else Decimal(0)
        for n, line in enumerate(inv.lines, start=1):
            pct = line.vat_rate.percent
            factor = Decimal(1) + (pct / 100 if pct else Decimal(0))
            unit_price = line.price * (1 - discount / 100)
            if not tax_included:  # the list price was without VAT: the row price gets it on top
                unit_price = unit_price * factor
            product_id = products.get(line.product_ref or "", 0)
            prow: dict[str, Any] = {
                "ownerId": item_id,
                "ownerType": "SI",
                "productId": product_id,
                "productName": line.product_name,
                "price": unit_price,
                "quantity": line.quantity,
                "discountTypeId": 2,
                "discountRate": discount,
                "discountSum": Decimal(0),
                "taxRate": pct,
                "taxIncluded": "Y" if tax_included else "N",
                "customized": "Y",
                "measureCode": int(line.unit_okei),
                "measureName": OKEI.get(line.unit_okei, ("", "шт"))[1],
                "sort": n * 10,
                "xmlId": None,
                "type": 1,
                "storeId": None,
            }
            if product_id:
                prow["type"] = store.products.rows[product_id]["type"]
            rowcalc.compute(prow)
            store.product_rows.insert(prow, "id")
        recalc_opportunity(store, row)
