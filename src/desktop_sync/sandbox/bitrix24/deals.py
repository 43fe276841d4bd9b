"""Deals (``crm.deal.*``, the legacy UPPER_CASE family): pipelines, stages, product
rows and custom fields (research/bitrix24.md §5).

- ``crm.category.list`` / ``crm.category.get`` with ``entityTypeId`` 2: the deal
  pipelines (the default one has id 0); other entity types go to the smart invoice's
  handlers.
- Stages are ``crm.status.list`` rows: ``ENTITY_ID`` ``DEAL_STAGE`` for pipeline 0
  (``NEW``, ``PREPARATION``, …, ``WON``, ``LOSE``), ``DEAL_STAGE_{id}`` for the others
  (``C{id}:NEW``, …).
- ``crm.deal.add/update/get/list/delete``: text values; ``add`` answers the new id,
  ``update``/``delete`` ``true``; the list pages by 50 with ``next``/``total`` and
  takes ``select`` ``["*", "UF_*"]``; a stage outside the deal's pipeline is refused.
- Product rows: ``crm.deal.productrows.get/set`` (UPPER_CASE) and
  ``crm.item.productrow.set/list`` with ``ownerType`` ``D`` (camelCase); the deal's
  ``OPPORTUNITY``/``TAX_VALUE`` follow its rows unless set by hand.
- ``crm.deal.userfield.add/list``: ``FIELD_NAME`` gets the ``UF_CRM_`` prefix; the
  fields are CRM fields (``userfieldconfig.list`` shows them too, ``entityId``
  ``CRM_DEAL``).
- A smart invoice's ``parentId2`` names its deal.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from desktop_sync.sandbox.bitrix24 import crm_items
from desktop_sync.sandbox.bitrix24 import rows as rowcalc
from desktop_sync.sandbox.bitrix24.args import as_dict, as_int, as_list, by_id, param, yes
from desktop_sync.sandbox.bitrix24.errors import RestError
from desktop_sync.sandbox.bitrix24.legacy_list import legacy_page
from desktop_sync.sandbox.bitrix24.query import (
    DATETIME_SAMPLE,
    FilterRules,
    compile_filter,
    paginate,
    resolver,
)
from desktop_sync.sandbox.bitrix24.registry import METHODS, Ctx, Outcome, added, method, paged
from desktop_sync.sandbox.bitrix24.render import legacy, orm, orm_fields
from desktop_sync.sandbox.bitrix24.store import Store, day_start, now_portal
from desktop_sync.sandbox.bitrix24.userfields import coerce_uf_value, new_field, render_uf_value

DEAL = 2

DEAL_FIELDS = (
    "ID",
    "TITLE",
    "TYPE_ID",
    "CATEGORY_ID",
    "STAGE_ID",
    "STAGE_SEMANTIC_ID",
    "IS_NEW",
    "CURRENCY_ID",
    "OPPORTUNITY",
    "IS_MANUAL_OPPORTUNITY",
    "TAX_VALUE",
    "COMPANY_ID",
    "CONTACT_ID",
    "MYCOMPANY_ID",
    "BEGINDATE",
    "CLOSEDATE",
    "OPENED",
    "CLOSED",
    "COMMENTS",
    "ASSIGNED_BY_ID",
    "CREATED_BY_ID",
    "MODIFY_BY_ID",
    "DATE_CREATE",
    "DATE_MODIFY",
    "MOVED_TIME",
    "ORIGINATOR_ID",
    "ORIGIN_ID",
)
_SAMPLES: dict[str, Any] = {
    "ID": 0,
    "CATEGORY_ID": 0,
    "COMPANY_ID": 0,
    "CONTACT_ID": 0,
    "MYCOMPANY_ID": 0,
    "ASSIGNED_BY_ID": 0,
    "CREATED_BY_ID": 0,
    "MODIFY_BY_ID": 0,
    "OPPORTUNITY": Decimal(0),
    "TAX_VALUE": Decimal(0),
    "DATE_CREATE": DATETIME_SAMPLE,
    "DATE_MODIFY": DATETIME_SAMPLE,
    "BEGINDATE": DATETIME_SAMPLE,
    "CLOSEDATE": DATETIME_SAMPLE,
    "MOVED_TIME": DATETIME_SAMPLE,
}
_INTS = {"CATEGORY_ID", "COMPANY_ID", "CONTACT_ID", "MYCOMPANY_ID", "ASSIGNED_BY_ID"}
_DATES = {"BEGINDATE", "CLOSEDATE"}
_READ_ONLY = {
    "ID",
    "DATE_CREATE",
    "DATE_MODIFY",
    "CREATED_BY_ID",
    "MODIFY_BY_ID",
    "MOVED_TIME",
    "TAX_VALUE",
    "STAGE_SEMANTIC_ID",
    "IS_NEW",
    "CLOSED",
}
ENTITY = "CRM_DEAL"
_UF_NAME = re.compile(r"^[A-Z0-9_]{1,43}$")

_LOST = ("LOSE", "Сделка провалена")


def pipeline_stages(
    *working: tuple[str, str], failures: tuple[tuple[str, str], ...] = (_LOST,)
) -> tuple[tuple[str, str, int, str], ...]:
    """A pipeline's stages as the portal lays them out: (code, name, sort, semantics).
    ``NEW`` first, the ``working`` stages, then ``WON`` (S, success) and the
    ``failures`` (F); sorted in steps of ten."""
    stages = [
        ("NEW", "Новая", ""),
        *((code, name, "") for code, name in working),
        ("WON", "Сделка успешна", "S"),
        *((code, name, "F") for code, name in failures),
    ]
    return tuple((code, name, 10 * n, kind) for n, (code, name, kind) in enumerate(stages, 1))


# Pipeline 0 («Общая»): the portal's own stage codes.
DEFAULT_STAGES = pipeline_stages(
    ("PREPARATION", "Подготовка документов"),
    ("PREPAYMENT_INVOICE", "Счёт на предоплату"),
    ("EXECUTING", "В работе"),
    ("FINAL_INVOICE", "Финальный счёт"),
    failures=(_LOST, ("APOLOGY", "Анализ причины провала")),
)
# Pipeline 1 («Опт»): a wholesale pipeline whose "agreed" stage asks 1C for the invoice.
WHOLESALE_STAGES = pipeline_stages(
    ("UC_AGREED", "Согласовано"), ("UC_PAID", "Оплачено"), ("UC_SHIP", "Закрывающие документы")
)


def stage_prefix(category_id: int) -> str:
    return "" if category_id == 0 else f"C{category_id}:"


def status_entity(category_id: int) -> str:
    return "DEAL_STAGE" if category_id == 0 else f"DEAL_STAGE_{category_id}"


def add_pipeline(store: Store, category_id: int, name: str, stages: Any) -> None:
    """A deal pipeline with its stages (``crm.category.*`` and ``crm.status.*`` rows)."""
    store.categories.append(
        {
            "id": category_id,
            "name": name,
            "sort": 100 * (category_id + 1),
            "entityTypeId": DEAL,
            "isDefault": "Y" if category_id == 0 else "N",
        }
    )
    first = max((s["ID"] for s in store.statuses), default=0) + 1
    for n, (code, title, sort, semantics) in enumerate(stages):
        extra = {"S": "success", "F": "failure"}.get(semantics, "process")
        store.statuses.append(
            {
                "ID": first + n,
                "ENTITY_ID": status_entity(category_id),
                "STATUS_ID": stage_prefix(category_id) + code,
                "NAME": title,
                "NAME_INIT": title,
                "SORT": sort,
                "SYSTEM": "N" if code.startswith("UC_") else "Y",
                "CATEGORY_ID": category_id,
                "COLOR": "#39A8EF",
                "SEMANTICS": semantics or None,
                "EXTRA": {"SEMANTICS": extra, "COLOR": "#39A8EF"},
            }
        )


def deal_stages(store: Store, category_id: int) -> list[dict[str, Any]]:
    entity = status_entity(category_id)
    return [s for s in store.statuses if s["ENTITY_ID"] == entity]


def _error(description: str) -> RestError:
    return RestError(400, "", description)


# --- custom fields -----------------------------------------------------------------


def deal_userfields(store: Store) -> dict[str, dict[str, Any]]:
    return {f["fieldName"]: f for f in store.userfields if f["entityId"] == ENTITY}


def _render_uf(field: dict[str, Any]) -> dict[str, Any]:
    return {
        "ID": str(field["id"]),
        "ENTITY_ID": ENTITY,
        "FIELD_NAME": field["fieldName"],
        "USER_TYPE_ID": field["userTypeId"],
        "XML_ID": field.get("xmlId"),
        "SORT": str(field["sort"]),
        "MULTIPLE": field["multiple"],
        "MANDATORY": field["mandatory"],
        "SHOW_FILTER": field["showFilter"],
        "SHOW_IN_LIST": field["showInList"],
        "EDIT_IN_LIST": field["editInList"],
        "IS_SEARCHABLE": field["isSearchable"],
        "SETTINGS": field["settings"],
        "EDIT_FORM_LABEL": field["editFormLabel"].get("ru", ""),
    }


# what crm.deal.userfield.add takes, by userfieldconfig.add's name for it
_UF_KEYS = {
    "XML_ID": "xmlId",
    "SORT": "sort",
    "MULTIPLE": "multiple",
    "MANDATORY": "mandatory",
    "SETTINGS": "settings",
}


@method("crm.deal.userfield.add", "crm")
def userfield_add(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    if not ctx.user.admin:
        raise _error("Access denied.")
    data = {k.upper(): v for k, v in as_dict(param(params, "fields")).items()}
    short = str(data.get("FIELD_NAME") or "").upper().removeprefix("UF_CRM_")
    kind = str(data.get("USER_TYPE_ID") or "")
    if not short or not _UF_NAME.match(short):
        raise _error("The 'FIELD_NAME' field is not found.")
    if kind not in ("string", "integer", "double", "boolean", "date", "datetime", "money"):
        raise _error("The 'USER_TYPE_ID' field is not found.")
    name = "UF_CRM_" + short
    if name in deal_userfields(ctx.store):
        raise _error(f"Field {name} already exists")
    label = data.get("EDIT_FORM_LABEL")
    labels = as_dict(label) if isinstance(label, dict) else {"ru": str(label or name)}
    camel = {key: data.get(legacy_key) for legacy_key, key in _UF_KEYS.items()}
    camel["showFilter"] = "Y" if yes(data.get("SHOW_FILTER")) else "N"
    camel["editFormLabel"] = labels
    field = new_field(ENTITY, name, kind, camel)
    return Outcome(ctx.store.userfields.insert(field, "id"), writes=1)


@method("crm.deal.userfield.list", "crm")
def userfield_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    names = ["ID", "ENTITY_ID", "FIELD_NAME", "USER_TYPE_ID", "XML_ID", "SORT", "MULTIPLE"]
    rules = FilterRules(resolver(names), strict=False, allow_logic=False, samples={"ID": 0})
    test = compile_filter(param(params, "filter"), rules)
    rendered = [_render_uf(f) for f in deal_userfields(ctx.store).values()]
    rows = [r for r in rendered if test(r)]
    page = paginate(rows, params.get("start", 0), legacy=True)
    return paged(list(page.rows), len(page.rows), page)


# --- deals ---------------------------------------------------------------------------


def render_deal(store: Store, row: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    ufs = deal_userfields(store)
    out = {f: legacy(row.get(f)) for f in DEAL_FIELDS if select is None or f in select}
    for name, uf in ufs.items():
        if select is None or name in select:
            value = render_uf_value(uf, row.get(name))
            out[name] = value if uf["userTypeId"] in ("date", "datetime") else legacy(value)
    return out


def _select(store: Store, raw: Any) -> list[str] | None:
    wanted = [str(s).upper() for s in as_list(raw)]
    if not wanted:
        return None  # the portal's default: every plain field, no custom fields
    ufs = list(deal_userfields(store))
    out: list[str] = []
    for name in wanted:
        if name == "*":
            out.extend(f for f in DEAL_FIELDS if f not in out)
        elif name == "UF_*":
            out.extend(f for f in ufs if f not in out)
        elif (name in DEAL_FIELDS or name in ufs) and name not in out:
            out.append(name)
    if "ID" not in out:
        out.insert(0, "ID")
    return out


@method("crm.deal.list", "crm")
def deal_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    names = [*DEAL_FIELDS, *deal_userfields(ctx.store)]
    samples = dict(_SAMPLES)
    for name, uf in deal_userfields(ctx.store).items():
        samples[name] = {"double": Decimal(0), "integer": 0, "date": DATETIME_SAMPLE}.get(
            uf["userTypeId"], ""
        )
    page = legacy_page(
        params, [r for r in ctx.store.deals.ordered() if ctx.sees(r)], names, samples
    )
    chosen = _select(ctx.store, params.get("select") or params.get("SELECT"))
    if chosen is None:
        chosen = list(DEAL_FIELDS)
    result = [render_deal(ctx.store, r, chosen) for r in page.rows]
    return paged(result, len(result), page)


def _deal(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    if as_int(param(params, "id")) <= 0:
        raise _error("ID is not defined or invalid.")
    return by_id(ctx.store.deals, params, _error, "Not found", visible=ctx.sees)


@method("crm.deal.get", "crm")
def deal_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return Outcome(render_deal(ctx.store, _deal(ctx, params), None), rows=1)


def _field_error(title: str) -> RestError:
    return _error(f"Incorrect value for field «{title}»")


def _apply(ctx: Ctx, row: dict[str, Any], fields: dict[str, Any], *, new: bool) -> None:
    ufs = deal_userfields(ctx.store)
    for key, value in fields.items():
        name = key.upper()
        if name in ufs:
            try:
                row[name] = coerce_uf_value(ufs[name], value)
            except ValueError:
                raise _field_error(ufs[name]["editFormLabel"].get("ru", name)) from None
        elif name in DEAL_FIELDS and name not in _READ_ONLY and (new or name != "CATEGORY_ID"):
            _set(row, name, value)  # the pipeline is changed by crm.item.update only
        # unknown keys are ignored, as the portal does
    _check(ctx, row)


def _set(row: dict[str, Any], name: str, value: Any) -> None:
    row[name] = crm_items.field_value(
        name, value, ints=_INTS, dates=_DATES, money="OPPORTUNITY", error=_field_error
    )
    if name == "OPPORTUNITY":
        row["IS_MANUAL_OPPORTUNITY"] = "Y"


def _check(ctx: Ctx, row: dict[str, Any]) -> None:
    """The deal's company, contact, pipeline and stage exist; the stage's semantics."""
    if row.get("COMPANY_ID") and row["COMPANY_ID"] not in ctx.store.companies.rows:
        raise _field_error("Компания")
    if row.get("CONTACT_ID") and row["CONTACT_ID"] not in ctx.store.contacts.rows:
        raise _field_error("Контакт")
    category = as_int(row.get("CATEGORY_ID"))
    known = {c["id"] for c in ctx.store.categories if c["entityTypeId"] == DEAL}
    if category not in known:
        raise _field_error("Воронка")
    stages = deal_stages(ctx.store, category)
    codes = [s["STATUS_ID"] for s in stages]
    if not row.get("STAGE_ID"):
        row["STAGE_ID"] = codes[0]
    if row["STAGE_ID"] not in codes:
        raise _field_error("Стадия сделки")
    semantics = next(s["SEMANTICS"] for s in stages if s["STATUS_ID"] == row["STAGE_ID"])
    row["STAGE_SEMANTIC_ID"] = semantics or "P"
    row["CLOSED"] = "Y" if semantics in ("S", "F") else "N"


@method("crm.deal.add", "crm")
def deal_add(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    now = now_portal()
    row: dict[str, Any] = {
        "TITLE": None,
        "TYPE_ID": "SALE",
        "CATEGORY_ID": 0,
        "STAGE_ID": None,
        "IS_NEW": "Y",
        "CURRENCY_ID": "RUB",
        "OPPORTUNITY": Decimal("0.00"),
        "IS_MANUAL_OPPORTUNITY": "N",
        "TAX_VALUE": Decimal("0.00"),
        "COMPANY_ID": None,
        "CONTACT_ID": None,
        "MYCOMPANY_ID": None,
        "BEGINDATE": day_start(now.date()),
        "CLOSEDATE": day_start(now.date()) + dt.timedelta(7),
        "OPENED": "Y",
        "COMMENTS": None,
        "ASSIGNED_BY_ID": ctx.user.id,
        "CREATED_BY_ID": ctx.user.id,
        "MODIFY_BY_ID": ctx.user.id,
        "DATE_CREATE": now,
        "DATE_MODIFY": now,
        "MOVED_TIME": now,
        "ORIGINATOR_ID": None,
        "ORIGIN_ID": None,
    }
    _apply(ctx, row, as_dict(param(params, "fields")), new=True)
    return added(ctx.store.deals, row, "Сделка #{}")


@method("crm.deal.update", "crm")
def deal_update(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    row = _deal(ctx, params)
    trial = dict(row)
    _apply(ctx, trial, as_dict(param(params, "fields")), new=False)
    if trial["STAGE_ID"] != row["STAGE_ID"]:
        trial["MOVED_TIME"] = now_portal()
    trial["IS_NEW"] = "N"
    row.update(trial)
    recalc(ctx.store, row)
    row["DATE_MODIFY"] = now_portal()
    row["MODIFY_BY_ID"] = ctx.user.id
    return Outcome(True, writes=1)


@method("crm.deal.delete", "crm")
def deal_delete(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    row = _deal(ctx, params)
    for r in rows_of(ctx.store, row["ID"]):
        del ctx.store.deal_rows.rows[r["id"]]
    del ctx.store.deals.rows[row["ID"]]
    return Outcome(True, writes=1)


@method("crm.deal.fields", "crm")
def deal_fields(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    out: dict[str, Any] = {
        name: {"type": "string", "isRequired": False, "isReadOnly": name in _READ_ONLY,
               "isMultiple": False, "title": name}
        for name in DEAL_FIELDS
    }  # fmt: skip
    for name, uf in deal_userfields(ctx.store).items():
        out[name] = {"type": uf["userTypeId"], "isRequired": False, "isReadOnly": False,
                     "isMultiple": uf["multiple"] == "Y", "title": name,
                     "formLabel": uf["editFormLabel"].get("ru", name)}  # fmt: skip
    return Outcome(out)


# --- product rows -----------------------------------------------------------------------


def rows_of(store: Store, deal_id: int) -> list[dict[str, Any]]:
    rows = [r for r in store.deal_rows.ordered() if r["ownerId"] == deal_id]
    return sorted(rows, key=lambda r: (r["sort"], r["id"]))


def recalc(store: Store, row: dict[str, Any]) -> None:
    """OPPORTUNITY and TAX_VALUE from the rows, unless the sum was set by hand."""
    rows = rows_of(store, row["ID"])
    row["TAX_VALUE"] = sum((rowcalc.row_tax(r) for r in rows), Decimal("0.00"))
    if rows and row.get("IS_MANUAL_OPPORTUNITY") != "Y":
        row["OPPORTUNITY"] = sum((rowcalc.row_total(r) for r in rows), Decimal("0.00"))


def _set_rows(ctx: Ctx, deal: dict[str, Any], raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    owner = {"id": deal["ID"]}
    built = [crm_items._build_row(ctx, owner, r, (n + 1) * 10) for n, r in enumerate(raw)]
    for old in rows_of(ctx.store, deal["ID"]):
        del ctx.store.deal_rows.rows[old["id"]]
    for r in built:
        r["ownerType"] = "D"
        ctx.store.deal_rows.insert(r, "id")
    deal["IS_MANUAL_OPPORTUNITY"] = "N"
    recalc(ctx.store, deal)
    deal["DATE_MODIFY"] = now_portal()
    return built


_LEGACY_ROW = {
    "ID": "id",
    "OWNER_ID": "ownerId",
    "OWNER_TYPE": "ownerType",
    "PRODUCT_ID": "productId",
    "PRODUCT_NAME": "productName",
    "PRICE": "price",
    "PRICE_EXCLUSIVE": "priceExclusive",
    "PRICE_NETTO": "priceNetto",
    "PRICE_BRUTTO": "priceBrutto",
    "QUANTITY": "quantity",
    "DISCOUNT_TYPE_ID": "discountTypeId",
    "DISCOUNT_RATE": "discountRate",
    "DISCOUNT_SUM": "discountSum",
    "TAX_RATE": "taxRate",
    "TAX_INCLUDED": "taxIncluded",
    "CUSTOMIZED": "customized",
    "MEASURE_CODE": "measureCode",
    "MEASURE_NAME": "measureName",
    "SORT": "sort",
}


@method("crm.deal.productrows.get", "crm")
def productrows_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    deal = _deal(ctx, params)
    rows = rows_of(ctx.store, deal["ID"])
    return Outcome(
        [{k: legacy(r.get(v)) for k, v in _LEGACY_ROW.items()} for r in rows], rows=len(rows)
    )


@method("crm.deal.productrows.set", "crm")
def productrows_set(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    deal = _deal(ctx, params)
    camel = {k: v for k, v in _LEGACY_ROW.items() if k not in ("ID", "OWNER_ID", "OWNER_TYPE")}
    raw = [
        {camel[k.upper()]: v for k, v in as_dict(r).items() if k.upper() in camel}
        for r in as_list(param(params, "rows"))
    ]
    built = _set_rows(ctx, deal, raw)
    return Outcome(True, rows=len(built), writes=max(1, len(built)))


def _deal_owner(ctx: Ctx, owner_id: Any) -> dict[str, Any]:
    deal = ctx.store.deals.rows.get(as_int(owner_id))
    if deal is None:
        raise RestError(400, "OWNER_NOT_FOUND", "Owner not found")
    if not ctx.sees(deal):
        raise RestError(403, "ACCESS_DENIED", "Access denied")
    return deal


def _render_row(row: dict[str, Any]) -> dict[str, Any]:
    return orm_fields(row, crm_items._ROW_OUT)


def _productrow_set(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    deal = _deal_owner(ctx, param(params, "ownerId"))
    raw = [as_dict(r) for r in as_list(param(params, "productRows"))]
    built = _set_rows(ctx, deal, raw)
    return Outcome(
        {"productRows": [_render_row(r) for r in built]},
        rows=len(built),
        writes=max(1, len(built)),
    )


def _productrow_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    filt = as_dict(param(params, "filter"))
    keys = {k.lstrip("="): k for k in filt}
    owner_ids = sorted({as_int(v) for v in as_list(filt[keys["ownerId"]])})
    for oid in owner_ids:
        _deal_owner(ctx, oid)
    others = {k: v for k, v in filt.items() if k.lstrip("=") not in ("ownerType", "ownerId")}
    rules = FilterRules(resolver(crm_items._ROW_OUT), strict=False, allow_logic=False,
                        samples={"id": 0, "sort": 0})  # fmt: skip
    test = compile_filter(others, rules)
    wanted = set(owner_ids)
    matched = [r for r in ctx.store.deal_rows.ordered() if r["ownerId"] in wanted and test(r)]
    matched.sort(key=lambda r: (r["ownerId"], r["sort"], r["id"]))
    page = paginate(matched, params.get("start", 0), legacy=False)
    out = [_render_row(r) for r in page.rows]
    return paged({"productRows": out}, len(out), page)


def _owner_type(params: dict[str, Any]) -> str:
    filt = as_dict(param(params, "filter"))
    for key, value in filt.items():
        if key.lstrip("=") == "ownerType":
            return str(value)
    return str(param(params, "ownerType") or "")


def _routed(name: str, deal_handler: Any, of_params: Any) -> None:
    """``name`` answers for deals (``ownerType`` D, ``entityTypeId`` 2) here and for
    everything else as the smart invoice's module does."""
    scopes, other = METHODS[name]

    def handler(ctx: Ctx, params: dict[str, Any]) -> Outcome:
        if of_params(params):
            return deal_handler(ctx, params)  # type: ignore[no-any-return]
        return other(ctx, params)

    METHODS[name] = (scopes, handler)


def _category_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    cats = [orm(c) for c in ctx.store.categories if c["entityTypeId"] == DEAL]
    return Outcome({"categories": cats}, total=len(cats), rows=len(cats))


def _category_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    cat_id = as_int(param(params, "id"))
    for c in ctx.store.categories:
        if c["entityTypeId"] == DEAL and c["id"] == cat_id:
            return Outcome({"category": orm(c)}, rows=1)
    raise RestError(400, "NOT_FOUND", "Category not found")


def _of_deals(params: dict[str, Any]) -> bool:
    return as_int(param(params, "entityTypeId")) == DEAL


def _rows_of_deals(params: dict[str, Any]) -> bool:
    return _owner_type(params) == "D"


_routed("crm.category.list", _category_list, _of_deals)
_routed("crm.category.get", _category_get, _of_deals)
_routed("crm.item.productrow.set", _productrow_set, _rows_of_deals)
_routed("crm.item.productrow.list", _productrow_list, _rows_of_deals)


# --- the demo's deals --------------------------------------------------------------------


def seed_deals(store: Store) -> None:
    """Two pipelines («Общая», «Опт») and a few deals of the seeded companies, with rows
    of seeded products: some waiting at the wholesale pipeline's «Согласовано» stage."""
    if any(c["entityTypeId"] == DEAL for c in store.categories):
        return
    add_pipeline(store, 0, "Общая", DEFAULT_STAGES)
    add_pipeline(store, 1, "Опт", WHOLESALE_STAGES)
    companies = [c for c in store.companies.ordered() if c.get("IS_MY_COMPANY") != "Y"]
    owned: dict[int, int] = {}
    for r in store.requisites.ordered():
        if r.get("ENTITY_TYPE_ID") == 4:
            owned[r["ENTITY_ID"]] = owned.get(r["ENTITY_ID"], 0) + 1
    companies = [c for c in companies if owned.get(c["ID"]) == 1][:4]
    products = [p for p in store.products.ordered() if p.get("active") == "Y"][:6]
    titles = ("Поставка бумаги", "Картриджи для офиса", "Канцтовары на квартал", "Мебель")
    stages = ("C1:UC_AGREED", "C1:NEW", "C1:UC_AGREED", "PREPARATION")
    for n, company in enumerate(companies):
        when = store.companies.rows[company["ID"]]["DATE_CREATE"]
        deal: dict[str, Any] = {
            "TITLE": titles[n % len(titles)],
            "TYPE_ID": "SALE",
            "CATEGORY_ID": 1 if stages[n].startswith("C1:") else 0,
            "STAGE_ID": stages[n % len(stages)],
            "STAGE_SEMANTIC_ID": "P",
            "IS_NEW": "N",
            "CURRENCY_ID": "RUB",
            "OPPORTUNITY": Decimal("0.00"),
            "IS_MANUAL_OPPORTUNITY": "N",
            "TAX_VALUE": Decimal("0.00"),
            "COMPANY_ID": company["ID"],
            "CONTACT_ID": None,
            "MYCOMPANY_ID": None,
            "BEGINDATE": when,
            "CLOSEDATE": when,
            "OPENED": "Y",
            "CLOSED": "N",
            "COMMENTS": None,
            "ASSIGNED_BY_ID": company.get("ASSIGNED_BY_ID") or 1,
            "CREATED_BY_ID": 1,
            "MODIFY_BY_ID": 1,
            "DATE_CREATE": when,
            "DATE_MODIFY": when,
            "MOVED_TIME": when,
            "ORIGINATOR_ID": None,
            "ORIGIN_ID": None,
        }
        deal_id = store.deals.insert(deal)
        for k, product in enumerate(products[n : n + 2]):
            row: dict[str, Any] = {
                "ownerId": deal_id,
                "ownerType": "D",
                "productId": product["id"],
                "productName": product["name"],
                "price": Decimal("1200.00") + 100 * k,
                "quantity": Decimal(2 + k),
                "discountTypeId": 2,
                "discountRate": Decimal(5) if n == 0 and k == 0 else Decimal(0),
                "discountSum": Decimal(0),
                "taxRate": Decimal(20),
                "taxIncluded": "Y",
                "customized": "Y",
                "measureCode": 796,
                "measureName": "шт",
                "sort": (k + 1) * 10,
                "xmlId": None,
                "type": product.get("type", 1),
                "storeId": None,
            }
            rowcalc.compute(row)
            store.deal_rows.insert(row, "id")
        recalc(store, deal)
