"""``crm.item.*`` for smart invoices (entityTypeId 31), product rows, payments, categories.

ORM family: camelCase fields, real numbers, ``{"item": …}`` / ``{"items": […]}``,
delete answers ``[]``; errors ``NOT_FOUND``, ``INVALID_ARG_VALUE``,
``ACCESS_DENIED``, ``OWNER_NOT_FOUND`` (research/bitrix24.md §4).

Open question 3 (do row changes bump ``updatedTime``?), answered the stricter
way for a client: a row change saves the invoice (and so moves ``updatedTime``)
only when it changes ``opportunity``; payments never move it, and a full
payment never moves the stage by itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from decimal import Decimal
from typing import Any

from desktop_sync.sandbox.bitrix24 import rows as rowcalc
from desktop_sync.sandbox.bitrix24.args import as_dict, as_int, as_list, by_id, param, yes
from desktop_sync.sandbox.bitrix24.errors import RestError, access_denied, bad_argument, not_found
from desktop_sync.sandbox.bitrix24.query import (
    DATETIME_SAMPLE,
    FilterRules,
    candidates,
    compile_filter,
    orm_page,
    paginate,
    parse_datetime,
    resolver,
    sort_rows,
)
from desktop_sync.sandbox.bitrix24.registry import Ctx, Outcome, deleting, method, paged
from desktop_sync.sandbox.bitrix24.render import orm, orm_fields
from desktop_sync.sandbox.bitrix24.store import Store, day_start, now_portal
from desktop_sync.sandbox.bitrix24.userfields import (
    camel_uf_name,
    coerce_uf_value,
    render_uf_value,
)

INVOICE = 31

ITEM_FIELDS: dict[str, Any] = {
    # name -> typed sample (for filter coercion)
    "id": 0,
    "xmlId": "",
    "title": "",
    "accountNumber": "",
    "categoryId": 0,
    "stageId": "",
    "previousStageId": "",
    "movedTime": DATETIME_SAMPLE,
    "movedBy": 0,
    "begindate": DATETIME_SAMPLE,
    "closedate": DATETIME_SAMPLE,
    "companyId": 0,
    "contactId": 0,
    "contactIds": 0,
    "mycompanyId": 0,
    "opportunity": Decimal(0),
    "isManualOpportunity": "",
    "taxValue": Decimal(0),
    "currencyId": "",
    "comments": "",
    "sourceId": "",
    "sourceDescription": "",
    "assignedById": 0,
    "observers": 0,
    "opened": "",
    "createdTime": DATETIME_SAMPLE,
    "updatedTime": DATETIME_SAMPLE,
    "createdBy": 0,
    "updatedBy": 0,
    "parentId2": 0,
    "parentId7": 0,
    "webformId": 0,
    "locationId": "",
}
_READ_ONLY = {
    "id",
    "createdTime",
    "updatedTime",
    "createdBy",
    "updatedBy",
    "movedTime",
    "movedBy",
    "previousStageId",
    "taxValue",
}
_INT_FIELDS = {k for k, v in ITEM_FIELDS.items() if isinstance(v, int) and k != "id"}
_DATE_FIELDS = {"begindate", "closedate"}


def _check_entity(params: dict[str, Any]) -> None:
    etype = as_int(param(params, "entityTypeId"))
    if etype == INVOICE:
        return
    if etype == 5:
        raise RestError(400, "ENTITY_TYPE_NOT_SUPPORTED", "Entity type 5 is not supported")
    if etype in (1, 2, 3, 4, 7):
        # crm.item works for these on a real portal; the sandbox emulates smart invoices only
        raise RestError(
            400, "ENTITY_TYPE_NOT_SUPPORTED", f"Entity type {etype} is not emulated by the sandbox"
        )
    raise not_found("Smart process not found")


def _uf_map(store: Store) -> dict[str, dict[str, Any]]:
    return {f["fieldName"]: f for f in store.invoice_userfields()}


def _resolve_field(store: Store) -> Any:
    names = list(ITEM_FIELDS)
    lookup = {n.lower(): n for n in names}
    for uf in _uf_map(store):
        lookup[uf.lower()] = uf
        lookup[camel_uf_name(uf).lower()] = uf
        # the form many integrations write, "ufCrm_SMART_INVOICE_…", is accepted too
        lookup[("ufCrm_" + uf.removeprefix("UF_CRM_")).lower()] = uf
    return lambda name: lookup.get(name.lower())


def render_item(
    store: Store, row: dict[str, Any], *, select: list[str] | None = None, original_uf: bool = False
) -> dict[str, Any]:
    ufs = _uf_map(store)
    out: dict[str, Any] = {}
    for name in ITEM_FIELDS:
        if select is None or name in select:
            out[name] = orm(row.get(name))
    for uf_name, uf in ufs.items():
        if select is None or uf_name in select:
            key = uf_name if original_uf else camel_uf_name(uf_name)
            out[key] = render_uf_value(uf, row.get(uf_name))
    if select is None or "entityTypeId" in select:
        out["entityTypeId"] = INVOICE
    return out


def _select(store: Store, raw: Any) -> list[str] | None:
    """The keys an answer carries: only the selected ones, as the portal answers (no
    ``id`` or ``entityTypeId`` added behind the caller's back)."""
    wanted = [str(s) for s in as_list(raw)]
    if not wanted or "*" in wanted:
        return None
    resolve = _resolve_field(store)
    out: list[str] = []
    for name in wanted:
        field_name = "entityTypeId" if name == "entityTypeId" else resolve(name)
        if field_name is not None and field_name not in out:
            out.append(field_name)
    return out


def _visible_items(
    ctx: Ctx, raw_filter: Any = None, resolve: Callable[[str], str | None] | None = None
) -> list[dict[str, Any]]:
    if resolve is None:
        rows = ctx.store.items.ordered()
    else:  # an id list or id range is looked up, not scanned
        rows = candidates(ctx.store.items, raw_filter, resolve, id_field="id")
    if ctx.user.sees_all():
        return rows
    return [r for r in rows if ctx.sees_item(r)]


def _get_item(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    _check_entity(params)
    row = by_id(ctx.store.items, params, not_found, "Item not found")
    if not ctx.sees_item(row):
        raise access_denied(description="Access denied")
    return row


def _check_order(order: Any, resolve: Any) -> None:
    if order in (None, "", []):
        return
    if not isinstance(order, dict):
        raise bad_argument("Parameter 'order' must be array.")
    for name, direction in order.items():
        if resolve(str(name)) is None:
            raise bad_argument(f"Invalid order: field '{name}' is not allowed in order")
        if str(direction).upper() not in ("ASC", "DESC"):
            raise bad_argument(
                "Invalid order: allowed sort directions are ASC, DESC. "
                f"But got '{direction}' for field '{name}'"
            )


@method("crm.item.list", "crm")
def item_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _check_entity(params)
    resolve = _resolve_field(ctx.store)
    samples = dict(ITEM_FIELDS)
    for uf_name, uf in _uf_map(ctx.store).items():
        samples[uf_name] = {
            "double": Decimal(0),
            "integer": 0,
            "datetime": DATETIME_SAMPLE,
            "date": DATETIME_SAMPLE,
            "boolean": True,
        }.get(uf["userTypeId"], "")

    def visible(raw_filter: Any) -> list[dict[str, Any]]:
        _check_order(param(params, "order"), resolve)
        return _visible_items(ctx, raw_filter, resolve)

    page = orm_page(params, resolve, samples, visible)
    select = _select(ctx.store, param(params, "select"))
    original = yes(param(params, "useOriginalUfNames"))
    items = [render_item(ctx.store, r, select=select, original_uf=original) for r in page.rows]
    return paged({"items": items}, len(items), page)


@method("crm.item.get", "crm")
def item_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    row = _get_item(ctx, params)
    original = yes(param(params, "useOriginalUfNames"))
    return Outcome({"item": render_item(ctx.store, row, original_uf=original)}, rows=1)


def _field_error(title: str) -> RestError:
    return RestError(400, "CRM_FIELD_ERROR_VALUE_NOT_VALID", f'Incorrect value for field "{title}"')


def field_value(
    name: str,
    value: Any,
    *,
    ints: Collection[str],
    dates: Collection[str],
    money: str,
    error: Callable[[str], RestError],
) -> Any:
    """A CRM record's field value as the portal stores it: an id (0 or empty is none),
    a day (refused when unreadable), the amount (refused as «Сумма»), else text."""
    if name in ints:
        return None if value in (None, "", 0, "0") else as_int(value)
    if name in dates:
        parsed = parse_datetime(value)
        if parsed is None and value not in (None, ""):
            raise error(name)
        return day_start(parsed.date()) if parsed else None
    if name == money:
        try:
            return rowcalc.money(rowcalc.dec(value))
        except ArithmeticError:
            raise error("Сумма") from None
    return None if value is None else str(value)


def _apply_item_fields(ctx: Ctx, row: dict[str, Any], fields: dict[str, Any]) -> None:
    resolve = _resolve_field(ctx.store)
    ufs = _uf_map(ctx.store)
    for key, value in fields.items():
        name = resolve(key)
        if name is None or name in _READ_ONLY:
            continue  # unknown keys are ignored (research §4)
        if name in ufs:
            try:
                row[name] = coerce_uf_value(ufs[name], value)
            except ValueError:
                raise _field_error(ufs[name]["editFormLabel"].get("ru", name)) from None
            continue
        if name in ("contactIds", "observers"):
            row[name] = [as_int(v) for v in as_list(value)]
        elif name == "isManualOpportunity":
            row[name] = "Y" if yes(value) else "N"
        else:
            row[name] = field_value(
                name,
                value,
                ints=_INT_FIELDS,
                dates=_DATE_FIELDS,
                money="opportunity",
                error=_field_error,
            )
    if row.get("companyId") and row["companyId"] not in ctx.store.companies.rows:
        raise _field_error("Компания")
    if row.get("contactId") and row["contactId"] not in ctx.store.contacts.rows:
        raise _field_error("Контакт")
    category = row.get("categoryId")
    if category not in {c["id"] for c in ctx.store.categories if c["entityTypeId"] == INVOICE}:
        raise _field_error("Воронка")
    stages = [s["STATUS_ID"] for s in ctx.store.invoice_stages(as_int(category))]
    if row.get("stageId") in (None, ""):
        row["stageId"] = stages[0]
    if row["stageId"] not in stages:
        raise _field_error("Стадия")


def recalc_opportunity(store: Store, row: dict[str, Any]) -> bool:
    """Recompute opportunity/taxValue from rows unless manual; True if it changed."""
    rows = store.rows_of(row["id"])
    before = (row.get("opportunity"), row.get("taxValue"))
    row["taxValue"] = sum((rowcalc.row_tax(r) for r in rows), Decimal("0.00"))
    if rows and row.get("isManualOpportunity") != "Y":
        row["opportunity"] = sum((rowcalc.row_total(r) for r in rows), Decimal("0.00"))
    return before != (row.get("opportunity"), row.get("taxValue"))


def _touch(ctx: Ctx, row: dict[str, Any]) -> None:
    row["updatedTime"] = now_portal()
    row["updatedBy"] = ctx.user.id


@method("crm.item.add", "crm")
def item_add(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _check_entity(params)
    now = now_portal()
    default_cat = next(
        c["id"]
        for c in ctx.store.categories
        if c["entityTypeId"] == INVOICE and c["isDefault"] == "Y"
    )
    row: dict[str, Any] = {
        "xmlId": None,
        "title": None,
        "accountNumber": None,
        "categoryId": default_cat,
        "stageId": None,
        "previousStageId": None,
        "movedTime": now,
        "movedBy": ctx.user.id,
        "begindate": day_start(now.date()),
        "closedate": day_start(now.date()) + dt.timedelta(7),
        "companyId": None,
        "contactId": None,
        "contactIds": [],
        "mycompanyId": None,
        "opportunity": Decimal("0.00"),
        "isManualOpportunity": "N",
        "taxValue": Decimal("0.00"),
        "currencyId": "RUB",
        "comments": None,
        "sourceId": None,
        "sourceDescription": None,
        "assignedById": ctx.user.id,
        "observers": [],
        "opened": "Y",
        "createdTime": now,
        "updatedTime": now,
        "createdBy": ctx.user.id,
        "updatedBy": ctx.user.id,
        "parentId2": None,
        "parentId7": None,
        "webformId": None,
        "locationId": None,
    }
    _apply_item_fields(ctx, row, as_dict(param(params, "fields")))
    new_id = ctx.store.items.insert(row, "id")
    if not row["title"]:
        row["title"] = f"Invoice #{new_id}"
    if not row["accountNumber"]:
        row["accountNumber"] = str(new_id)
    original = yes(param(params, "useOriginalUfNames"))
    return Outcome({"item": render_item(ctx.store, row, original_uf=original)}, rows=1, writes=1)


@method("crm.item.update", "crm")
def item_update(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    row = _get_item(ctx, params)
    fields = as_dict(param(params, "fields"))
    trial = dict(row)
    _apply_item_fields(ctx, trial, fields)
    if trial["stageId"] != row["stageId"]:
        trial["previousStageId"] = row["stageId"]
        trial["movedTime"] = now_portal()
        trial["movedBy"] = ctx.user.id
    row.update(trial)
    recalc_opportunity(ctx.store, row)
    _touch(ctx, row)
    original = yes(param(params, "useOriginalUfNames"))
    return Outcome({"item": render_item(ctx.store, row, original_uf=original)}, rows=1, writes=1)


@method("crm.item.delete", "crm")
def item_delete(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    row = _get_item(ctx, params)
    del ctx.store.items.rows[row["id"]]
    for r in ctx.store.rows_of(row["id"]):
        del ctx.store.product_rows.rows[r["id"]]
    return Outcome([], writes=1)


@method("crm.item.fields", "crm")
def item_fields(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _check_entity(params)
    fields: dict[str, Any] = {}
    for name, sample in ITEM_FIELDS.items():
        kind = (
            "integer"
            if isinstance(sample, int)
            else "datetime"
            if isinstance(sample, dt.datetime)
            else "double"
            if isinstance(sample, Decimal)
            else "string"
        )
        fields[name] = {
            "type": kind,
            "isRequired": False,
            "isReadOnly": name in _READ_ONLY,
            "isImmutable": False,
            "isMultiple": name in ("contactIds", "observers"),
            "isDynamic": False,
            "title": name,
            "upperName": name.upper(),
        }
    for uf_name, uf in _uf_map(ctx.store).items():
        fields[camel_uf_name(uf_name)] = {
            "type": uf["userTypeId"],
            "isRequired": uf["mandatory"] == "Y",
            "isReadOnly": False,
            "isImmutable": False,
            "isMultiple": uf["multiple"] == "Y",
            "isDynamic": True,
            "title": uf["editFormLabel"].get("ru", uf_name),
            "upperName": uf_name,
        }
    return Outcome({"fields": fields})


# --- categories -------------------------------------------------------------------


@method("crm.category.list", "crm")
def category_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _check_entity(params)
    cats = [orm(c) for c in ctx.store.categories if c["entityTypeId"] == INVOICE]
    return Outcome({"categories": cats}, total=len(cats), rows=len(cats))


@method("crm.category.get", "crm")
def category_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _check_entity(params)
    cat_id = as_int(param(params, "id"))
    for c in ctx.store.categories:
        if c["entityTypeId"] == INVOICE and c["id"] == cat_id:
            return Outcome({"category": orm(c)}, rows=1)
    raise not_found("Category not found")


# --- product rows -------------------------------------------------------------------

_ROW_OUT = (
    "id",
    "ownerId",
    "ownerType",
    "productId",
    "productName",
    "price",
    "priceAccount",
    "priceExclusive",
    "priceNetto",
    "priceBrutto",
    "quantity",
    "discountTypeId",
    "discountRate",
    "discountSum",
    "taxRate",
    "taxIncluded",
    "customized",
    "measureCode",
    "measureName",
    "sort",
    "xmlId",
    "type",
    "storeId",
)


_ROW_FIELD = resolver(_ROW_OUT)


def _owner(ctx: Ctx, owner_type: Any, owner_id: Any) -> dict[str, Any]:
    kind = str(owner_type or "")
    if kind == "I":
        raise RestError(400, "ENTITY_TYPE_NOT_SUPPORTED", "Entity type is not supported")
    if kind != "SI":
        raise RestError(
            400,
            "OWNER_NOT_FOUND",
            "Owner type is not supported by the sandbox"
            if kind in ("D", "L", "Q")
            else "Owner not found",
        )
    row = ctx.store.items.rows.get(as_int(owner_id))
    if row is None:
        raise RestError(400, "OWNER_NOT_FOUND", "Owner not found")
    if not ctx.sees_item(row):
        raise access_denied()
    return row


def _build_row(ctx: Ctx, owner: dict[str, Any], data: dict[str, Any], sort: int) -> dict[str, Any]:
    product_id = as_int(data.get("productId"))
    product = ctx.store.products.rows.get(product_id) if product_id else None
    if product_id and product is None:
        raise RestError(400, "100", f"Product {product_id} is not found")
    measure_code, measure_name = _measure(ctx, data, product)
    try:
        tax_rate = (
            None if data.get("taxRate") in (None, "", "null") else rowcalc.dec(data["taxRate"])
        )
        row: dict[str, Any] = {
            "ownerId": owner["id"],
            "ownerType": "SI",
            "productId": product_id,
            "productName": str(data.get("productName") or (product or {}).get("name") or ""),
            "price": rowcalc.dec(data.get("price")),
            "quantity": rowcalc.dec(data.get("quantity"), "1"),
            "discountTypeId": as_int(data.get("discountTypeId"), 2) or 2,
            "discountRate": rowcalc.dec(data.get("discountRate")),
            "discountSum": rowcalc.dec(data.get("discountSum")),
            "taxRate": tax_rate,
            "taxIncluded": "Y" if yes(data.get("taxIncluded")) else "N",
            "customized": "Y",
            "measureCode": measure_code,
            "measureName": measure_name,
            "sort": as_int(data.get("sort"), sort),
            "xmlId": data.get("xmlId"),
            "type": (product or {}).get("type", 1) if product else 1,
            "storeId": None,
        }
    except ArithmeticError:
        raise RestError(400, "100", "Invalid numeric value in product row") from None
    if row["quantity"] <= 0:
        raise RestError(400, "100", "Quantity must be greater than zero")
    rowcalc.compute(row)
    return row


def _measure(ctx: Ctx, data: dict[str, Any], product: dict[str, Any] | None) -> tuple[int, str]:
    """A row's unit (OKEI code, symbol): the one written, else the product's, else «шт»."""
    code = as_int(data.get("measureCode"), 0) or None
    if code is None and product is not None:
        measure = next((m for m in ctx.store.measures if m["id"] == product["measure"]), None)
        code = int(measure["code"]) if measure else None
    code = code or 796
    return code, next((m["symbol"] for m in ctx.store.measures if int(m["code"]) == code), "шт")


def _render_row(row: dict[str, Any]) -> dict[str, Any]:
    return orm_fields(row, _ROW_OUT)


def _after_rows_change(ctx: Ctx, owner: dict[str, Any]) -> None:
    if recalc_opportunity(ctx.store, owner):
        _touch(ctx, owner)  # the invoice was saved with a new sum


@method("crm.item.productrow.set", "crm")
def productrow_set(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    owner = _owner(ctx, param(params, "ownerType"), param(params, "ownerId"))
    raw_rows = [as_dict(r) for r in as_list(param(params, "productRows"))]
    new_rows = [_build_row(ctx, owner, r, (i + 1) * 10) for i, r in enumerate(raw_rows)]
    for old in ctx.store.rows_of(owner["id"]):
        del ctx.store.product_rows.rows[old["id"]]  # set replaces all rows
    for r in new_rows:
        ctx.store.product_rows.insert(r, "id")
    _after_rows_change(ctx, owner)
    return Outcome(
        {"productRows": [_render_row(r) for r in new_rows]},
        rows=len(new_rows),
        writes=max(1, len(new_rows)),
    )


@method("crm.item.productrow.add", "crm")
def productrow_add(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    fields = as_dict(param(params, "fields"))
    owner = _owner(ctx, fields.get("ownerType"), fields.get("ownerId"))
    count = len(ctx.store.rows_of(owner["id"]))
    row = _build_row(ctx, owner, fields, (count + 1) * 10)
    ctx.store.product_rows.insert(row, "id")
    _after_rows_change(ctx, owner)
    return Outcome({"productRow": _render_row(row)}, rows=1, writes=1)


def _product_row(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    row = by_id(ctx.store.product_rows, params, not_found, "Product row not found")
    _owner(ctx, row["ownerType"], row["ownerId"])
    return row


@method("crm.item.productrow.get", "crm")
def productrow_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return Outcome({"productRow": _render_row(_product_row(ctx, params))}, rows=1)


@method("crm.item.productrow.update", "crm")
def productrow_update(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    row = _product_row(ctx, params)
    owner = ctx.store.items.rows[row["ownerId"]]
    merged = {k: orm(v) for k, v in row.items()}
    merged.update(as_dict(param(params, "fields")))
    new = _build_row(ctx, owner, merged, row["sort"])
    new["id"] = row["id"]
    row.clear()
    row.update(new)
    _after_rows_change(ctx, owner)
    return Outcome({"productRow": _render_row(row)}, rows=1, writes=1)


@method("crm.item.productrow.delete", "crm")
def productrow_delete(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    row = _product_row(ctx, params)
    del ctx.store.product_rows.rows[row["id"]]
    _after_rows_change(ctx, ctx.store.items.rows[row["ownerId"]])
    return Outcome([], writes=1)


@method("crm.item.productrow.list", "crm")
def productrow_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    filt = as_dict(param(params, "filter"))
    keys = {k.lstrip("="): k for k in filt}
    if "ownerType" not in keys or "ownerId" not in keys:
        raise bad_argument("Filter must contain both '=ownerType' and '=ownerId'")
    # a list value is an IN, as in the portal's ORM filters
    owner_ids = {as_int(v) for v in as_list(filt[keys["ownerId"]])}
    for oid in sorted(owner_ids):
        _owner(ctx, filt[keys["ownerType"]], oid)
    # the other keys filter as in any ORM list (``>id`` for the ID scan); ``order`` sorts
    others = {k: v for k, v in filt.items() if k.lstrip("=") not in ("ownerType", "ownerId")}
    test = compile_filter(others, FilterRules(_ROW_FIELD, strict=False, allow_logic=False,
                                              samples={"id": 0, "sort": 0}))  # fmt: skip
    matched = sorted(
        (r for oid in owner_ids for r in ctx.store.rows_of(oid) if test(r)),
        key=lambda r: (r["ownerId"], r["sort"], r["id"]),
    )
    if isinstance(param(params, "order"), dict):
        matched = sort_rows(matched, param(params, "order"), _ROW_FIELD, "id")
    page = paginate(matched, params.get("start", 0), legacy=False)
    out = [_render_row(r) for r in page.rows]
    return paged({"productRows": out}, len(out), page)


# --- payments -------------------------------------------------------------------------
# A payment has no settable sum: it is the sum of the product rows attached to it.


def payment_error(description: str, code: Any = 0) -> RestError:
    return RestError(400, code, description)


def _payment_sum(store: Store, payment_id: int) -> Decimal:
    total = Decimal("0.00")
    for link in store.payment_products:
        if link["paymentId"] == payment_id:
            row = store.product_rows.rows.get(link["rowId"])
            if row is not None:
                total += rowcalc.money(row["price"] * link["quantity"])
    return total


def _render_payment(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    out = {k: orm(v) for k, v in p.items() if k != "entityId"}
    out["sum"] = orm(_payment_sum(store, p["id"]))
    return out


@method("crm.item.payment.add", "crm")
def payment_add(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    if param(params, "entityId") in (None, "") or param(params, "entityTypeId") in (None, ""):
        raise payment_error("Required fields: entityTypeId, entityId", code=100)
    _check_entity(params)
    owner = by_id(ctx.store.items, params, payment_error, "Entity not found", key="entityId")
    count = sum(1 for p in ctx.store.payments if p["entityId"] == owner["id"])
    row = {
        "entityId": owner["id"],
        "accountNumber": f"{owner['accountNumber']}/{count + 1}",
        "paid": "N",
        "datePaid": None,
        "empPaidId": None,
        "paySystemId": 1,
        "currency": owner["currencyId"],
        "paySystemName": "Наличные",
    }
    return Outcome(ctx.store.payments.insert(row, "id"), writes=1)


def _payment(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return by_id(ctx.store.payments, params, payment_error, "Payment not found")


@method("crm.item.payment.list", "crm")
def payment_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _check_entity(params)
    entity_id = as_int(param(params, "entityId"))
    found = [
        _render_payment(ctx.store, p) for p in ctx.store.payments if p["entityId"] == entity_id
    ]
    return Outcome(found, rows=len(found))


@method("crm.item.payment.get", "crm")
def payment_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return Outcome(_render_payment(ctx.store, _payment(ctx, params)), rows=1)


def _set_paid(ctx: Ctx, p: dict[str, Any], paid: bool) -> None:
    p["paid"] = "Y" if paid else "N"
    p["datePaid"] = now_portal() if paid else None
    p["empPaidId"] = ctx.user.id if paid else None


@method("crm.item.payment.pay", "crm")
def payment_pay(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _set_paid(ctx, _payment(ctx, params), True)
    return Outcome(True, writes=1)


@method("crm.item.payment.unpay", "crm")
def payment_unpay(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _set_paid(ctx, _payment(ctx, params), False)
    return Outcome(True, writes=1)


@method("crm.item.payment.update", "crm")
def payment_update(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    p = _payment(ctx, params)
    fields = as_dict(param(params, "fields"))
    if set(fields) - {"paid", "paySystemId"}:
        raise payment_error("Only 'paid' and 'paySystemId' can be updated")
    if "paid" in fields:
        _set_paid(ctx, p, yes(fields["paid"]))
    if "paySystemId" in fields:
        p["paySystemId"] = as_int(fields["paySystemId"])
    return Outcome(True, writes=1)


payment_delete = deleting("crm.item.payment.delete", "crm", _payment, lambda s: s.payments)


@method("crm.item.payment.product.add", "crm")
def payment_product_add(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    p = _payment(ctx, params | {"id": param(params, "paymentId")})
    row = ctx.store.product_rows.rows.get(as_int(param(params, "rowId")))
    if row is None or row["ownerId"] != p["entityId"]:
        raise payment_error("Product row not found")
    quantity = rowcalc.dec(param(params, "quantity"), "1")
    link = {"paymentId": p["id"], "rowId": row["id"], "quantity": quantity}
    return Outcome(ctx.store.payment_products.insert(link, "id"), writes=1)
