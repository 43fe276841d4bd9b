"""F10: the sales document (``РеализацияТоваровУслуг``) made from a base document, as
the configuration's "create based on" does.

Over OData 1C runs no form logic (research/onec.md A7): nothing is filled from the
base document by itself. So the base document is read and its header and rows are
copied here, the way the form's filling does it:

- BP 3.0: from the customer invoice (``СчетНаОплатуПокупателю``); goods go to
  ``Товары`` with the goods, income and cost accounts, services to ``Услуги`` with the
  income account; ``ВидОперации`` says which; ``СчетНаОплатуПокупателю_Key`` names the
  invoice (F4 links the shipment by it).
- UT 11: from the customer order (``ЗаказКлиента``); the header (partner, agreement,
  contract, warehouse, VAT taxation) and the rows that are not cancelled; the order is
  named in the header and in every row (``ЗаказКлиента`` + ``_Type``).

The document is created unposted under the create key's ``Ref_Key`` (a repeat answers
"made before"); posting is a separate call.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from desktop_sync.connectors.onec import convert
from desktop_sync.connectors.onec.bodies import comment_with_key, ref_for_key
from desktop_sync.connectors.onec.errors import OnecError
from desktop_sync.connectors.onec.mapping import Configuration
from desktop_sync.connectors.onec.profiles import UT_SALE_HEADER
from desktop_sync.connectors.onec.transport import CreateResult
from desktop_sync.i18n import tr

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
MAIN_WAREHOUSE = "Основной склад"
# BP 3.0: what a sale's rows and its settlements are accounted on (the form's defaults)
GOODS_ACCOUNT, INCOME_ACCOUNT, COST_ACCOUNT = "41.01", "90.01.1", "90.02.1"
SETTLEMENT_ACCOUNT, ADVANCE_ACCOUNT = "62.01", "62.02"
# UT 11: order row columns a sale has not (it ships, it does not plan)
_ORDER_ONLY = ("ВариантОбеспечения", "Склад_Key", "ДатаОтгрузки", "Отменено", "Ref_Key")


def create(config: Configuration, base_ref: str, key: str, comment: str) -> CreateResult:
    """Create (not post) the sales document based on ``base_ref`` under ``key``."""
    entity = config.profile.set("shipments")
    base = config.odata.find(config.profile.set("invoices"), base_ref)
    if base is None:
        raise OnecError(
            tr("the 1C document the sale is based on no longer exists"),
            entity=config.profile.set("invoices"),
            field="Ref_Key",
        )
    if base.get("DeletionMark"):
        raise OnecError(
            tr("{document} is marked for deletion in 1C").format(document=_title(base)),
            entity=config.profile.set("invoices"),
            field="DeletionMark",
        )
    build = _ut11 if config.profile.order_type else _bp30
    body = build(config, base, entity)
    body.update(
        {
            "Ref_Key": ref_for_key(key),
            "Date": _now(config),
            "Комментарий": comment_with_key(comment, key),
        }
    )
    return config.odata.create(entity, body)


def post(config: Configuration, ref: str) -> None:
    config.odata.post(config.profile.set("shipments"), ref)


def find(config: Configuration, ref: str) -> dict[str, Any] | None:
    """The sales document's number, date, posted and deletion mark (None: not there)."""
    return config.odata.find(
        config.profile.set("shipments"),
        ref,
        ("Ref_Key", "Number", "Date", "Posted", "DeletionMark"),
    )


def _title(base: dict[str, Any]) -> str:
    return tr("document No. {number}").format(number=convert.printed_number(str(base["Number"])))


def _now(config: Configuration) -> str:
    """The moment the document is made, in the 1C server's zone (as the form dates it)."""
    now = dt.datetime.now(config.tz).replace(microsecond=0, tzinfo=None)
    return now.isoformat()


def _rows_of(base: dict[str, Any], entity: str) -> list[dict[str, Any]]:
    rows = [dict(r) for r in base.get("Товары") or []]
    if not rows:
        raise OnecError(
            tr("{document} has no rows to ship").format(document=_title(base)),
            entity=entity,
            field="Товары",
        )
    return rows


def _bp30(config: Configuration, base: dict[str, Any], entity: str) -> dict[str, Any]:
    rows = _rows_of(base, entity)
    services = _services(config, {str(r.get("Номенклатура_Key")) for r in rows})
    goods_rows: list[dict[str, Any]] = []
    service_rows: list[dict[str, Any]] = []
    income = config.account_ref(INCOME_ACCOUNT)
    for r in rows:
        row = {
            k: r.get(k)
            for k in ("Номенклатура_Key", "Количество", "Цена", "Сумма", "СтавкаНДС", "СуммаНДС")
        }
        if str(r.get("Номенклатура_Key")) in services:
            row["Содержание"] = r.get("Содержание") or ""
            row["СчетДоходов_Key"] = income
            service_rows.append({"LineNumber": str(len(service_rows) + 1), **row})
        else:
            row["СчетУчета_Key"] = config.account_ref(GOODS_ACCOUNT)
            row["СчетДоходов_Key"] = income
            row["СчетРасходов_Key"] = config.account_ref(COST_ACCOUNT)
            goods_rows.append({"LineNumber": str(len(goods_rows) + 1), **row})
    operation = "ТоварыУслуги" if goods_rows and service_rows else "Товары"
    if not goods_rows:
        operation = "Услуги"
    return {
        "ВидОперации": operation,
        "Организация_Key": base.get("Организация_Key"),
        "Склад_Key": _bp_warehouse(config, base, entity) if goods_rows else _given(base),
        "Контрагент_Key": base.get("Контрагент_Key"),
        "ДоговорКонтрагента_Key": base.get("ДоговорКонтрагента_Key"),
        "СчетНаОплатуПокупателю_Key": base["Ref_Key"],
        "ВалютаДокумента_Key": base.get("ВалютаДокумента_Key"),
        "КурсВзаиморасчетов": base.get("КурсВзаиморасчетов") or 1,
        "КратностьВзаиморасчетов": str(base.get("КратностьВзаиморасчетов") or "1"),
        "СуммаВключаетНДС": bool(base.get("СуммаВключаетНДС", True)),
        "СуммаДокумента": base.get("СуммаДокумента"),
        "СчетУчетаРасчетовСКонтрагентом_Key": config.account_ref(SETTLEMENT_ACCOUNT),
        "СчетУчетаРасчетовПоАвансам_Key": config.account_ref(ADVANCE_ACCOUNT),
        "Товары": goods_rows,
        "Услуги": service_rows,
    }


def _given(base: dict[str, Any]) -> str:
    return str(base.get("Склад_Key") or ZERO_GUID)


def _services(config: Configuration, refs: set[str]) -> set[str]:
    """Which of the products are services (BP's ``Услуга`` flag)."""
    rows = config.odata.by_refs(config.profile.set("products"), sorted(refs), ("Ref_Key", "Услуга"))
    return {str(r["Ref_Key"]) for r in rows if r.get("Услуга")}


def _bp_warehouse(config: Configuration, base: dict[str, Any], entity: str) -> str:
    """The invoice's warehouse; else the profile's (``onec.warehouse``); else the only
    one, or «Основной склад». None of these: the person names it."""
    given = convert.ref(base.get("Склад_Key"))
    if given:
        return given
    houses = config.warehouses()
    wanted = config.settings.warehouse
    found = [w for w in houses if w.name == wanted] if wanted else []
    if not found:
        found = houses if len(houses) == 1 else [w for w in houses if w.name == MAIN_WAREHOUSE]
    if len(found) != 1 or not found[0].onec_ref:
        raise OnecError(
            tr(
                "the invoice names no warehouse and 1C has several: name the one goods "
                "ship from (desktop-sync profile set NAME onec.warehouse «name»)"
            ),
            entity=entity,
            field="Склад_Key",
        )
    return found[0].onec_ref


def _ut11(config: Configuration, base: dict[str, Any], entity: str) -> dict[str, Any]:
    order = {"ЗаказКлиента": base["Ref_Key"], "ЗаказКлиента_Type": config.profile.order_type}
    every = _rows_of(base, entity)
    rows: list[dict[str, Any]] = []
    for r in every:
        if r.get("Отменено"):
            continue
        row = {k: v for k, v in r.items() if k not in _ORDER_ONLY}
        row["LineNumber"] = str(len(rows) + 1)
        rows.append({**row, **order})
    total = base.get("СуммаДокумента")
    if len(rows) != len(every):  # rows cancelled in the order are not shipped
        total = sum(
            (convert.number(r.get("СуммаСНДС") or r.get("Сумма"), entity, "Сумма") for r in rows),
            Decimal(0),
        )
    return {
        **{k: base.get(k) for k in UT_SALE_HEADER},
        "ХозяйственнаяОперация": "РеализацияКлиенту",
        "Статус": "Отгружено",
        "СуммаДокумента": total,
        **order,
        "Товары": rows,
    }
