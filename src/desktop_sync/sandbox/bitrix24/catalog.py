"""``catalog.*``: catalogs, products and services, prices, measures, VAT, stores, stock documents.

ORM family: camelCase, real numbers, each list under its own key (``products``,
``prices``, ``stores``, ``storeProducts``, ``documents``...). Errors use numeric
codes (``200040300010`` access denied) or ``ERROR_DOCUMENT_*`` (research §6).
Stock balances are read-only; they change only when a document is conducted:
``A``/``S`` add to ``storeTo``, ``D`` removes from ``storeFrom``, ``M`` moves.
Reads are open to every user with the ``catalog`` scope; writes need an
administrator (stricter than a portal with tuned catalog rights).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from desktop_sync.sandbox.bitrix24 import rows as rowcalc
from desktop_sync.sandbox.bitrix24.args import as_dict, as_int, as_list, by_id, param
from desktop_sync.sandbox.bitrix24.errors import RestError
from desktop_sync.sandbox.bitrix24.query import (
    DATETIME_SAMPLE,
    candidates,
    orm_page,
    resolver,
)
from desktop_sync.sandbox.bitrix24.registry import (
    Ctx,
    Handler,
    Outcome,
    deleting,
    method,
    paged,
    removed,
)
from desktop_sync.sandbox.bitrix24.render import orm, orm_fields
from desktop_sync.sandbox.bitrix24.store import Table, now_portal

ACCESS_DENIED = 200040300010
TYPE_PRODUCT = 1
TYPE_SERVICE = 7

PRODUCT_FIELDS: dict[str, Any] = {
    "id": 0,
    "iblockId": 0,
    "name": "",
    "code": "",
    "xmlId": "",
    "active": "",
    "sort": 0,
    "type": 0,
    "measure": 0,
    "vatId": 0,
    "vatIncluded": "",
    "purchasingPrice": Decimal(0),
    "purchasingCurrency": "",
    "quantity": Decimal(0),
    "quantityReserved": Decimal(0),
    "iblockSectionId": 0,
    "detailText": "",
    "createdBy": 0,
    "modifiedBy": 0,
    "dateCreate": DATETIME_SAMPLE,
    "timestampX": DATETIME_SAMPLE,
}
PRICE_FIELDS: dict[str, Any] = {
    "id": 0,
    "productId": 0,
    "catalogGroupId": 0,
    "price": Decimal(0),
    "currency": "",
    "quantityFrom": 0,
    "quantityTo": 0,
    "extraId": 0,
    "timestampX": DATETIME_SAMPLE,
}
STORE_FIELDS: dict[str, Any] = {
    "id": 0,
    "title": "",
    "active": "",
    "address": "",
    "description": "",
    "code": "",
    "xmlId": "",
    "sort": 0,
    "isDefault": "",
    "dateCreate": DATETIME_SAMPLE,
    "dateModify": DATETIME_SAMPLE,
}
STOCK_FIELDS: dict[str, Any] = {
    "id": 0,
    "productId": 0,
    "storeId": 0,
    "amount": Decimal(0),
    "quantityReserved": Decimal(0),
}
DOCUMENT_FIELDS: dict[str, Any] = {
    "id": 0,
    "docType": "",
    "title": "",
    "docNumber": "",
    "status": "",
    "currency": "",
    "responsibleId": 0,
    "total": Decimal(0),
    "commentary": "",
    "wasCancelled": "",
    "createdBy": 0,
    "modifiedBy": 0,
    "statusBy": 0,
    "dateCreate": DATETIME_SAMPLE,
    "dateModify": DATETIME_SAMPLE,
    "dateStatus": DATETIME_SAMPLE,
    "dateDocument": DATETIME_SAMPLE,
}
ELEMENT_FIELDS: dict[str, Any] = {
    "id": 0,
    "docId": 0,
    "elementId": 0,
    "storeFrom": 0,
    "storeTo": 0,
    "amount": Decimal(0),
    "purchasingPrice": Decimal(0),
}
DOC_TYPES = {"A", "S", "M", "R", "D"}


def denied() -> RestError:
    return RestError(400, ACCESS_DENIED, "Access denied")  # HTTP 400, as documented


def catalog_error(description: str, code: Any = 0) -> RestError:
    return RestError(400, code, description)


def _list(
    params: dict[str, Any],
    rows: list[dict[str, Any]] | Table,
    schema: dict[str, Any],
    key: str,
    *,
    required_select: tuple[str, ...] = (),
    indexed: tuple[str, ...] = (),
) -> Outcome:
    resolve = resolver(list(schema))

    def pool(raw_filter: Any) -> list[dict[str, Any]]:
        if isinstance(rows, Table):
            return candidates(rows, raw_filter, resolve, id_field="id", indexed=indexed)
        return rows

    page = orm_page(params, resolve, schema, pool)
    select_raw = [str(s) for s in as_list(param(params, "select"))]
    if not select_raw and required_select:
        # catalog.product.list: select is required and must name id and iblockId
        raise catalog_error(f"Required select fields: {', '.join(required_select)}", 200040400001)
    if select_raw and "*" not in select_raw:
        names = [n for n in (resolve(s) for s in select_raw) if n is not None]
        missing = [r for r in required_select if r not in names]
        if missing:
            raise catalog_error(f"Required select fields: {', '.join(missing)}", 200040400001)
    else:
        names = list(schema)
    out = [orm_fields(r, names) for r in page.rows]
    return paged({key: out}, len(out), page)


def _by_id(
    table: Table, params: dict[str, Any], missing: str, code: int | str = 200040300020
) -> dict[str, Any]:
    """The row ``id`` names; the portal's "not exists" error (``missing``) when none."""
    return by_id(table, params, lambda text: catalog_error(text, code), missing)


def _admin(ctx: Ctx) -> None:
    if not ctx.user.admin:
        raise denied()


# --- catalogs, measures, VAT, price types ----------------------------------------


@method("catalog.catalog.list", "catalog")
def catalog_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    cats = [orm(c) for c in ctx.store.catalogs]
    return Outcome({"catalogs": cats}, total=len(cats), rows=len(cats))


_MEASURE_FIELDS = dict.fromkeys(
    ("code", "measureTitle", "symbol", "symbolIntl", "symbolLetterIntl", "isDefault"), ""
)
_VAT_FIELDS = {"name": "", "rate": Decimal(0), "active": "", "sort": 0, "excludeVat": ""}
_PRICE_TYPE_FIELDS = {"name": "", "base": "", "sort": 0, "xmlId": "", "createdBy": 0}
# the reference lists: (method, rows of the store, the list's key, fields after the id)
_REFERENCE_LISTS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("catalog.measure.list", "measures", "measures", _MEASURE_FIELDS),
    ("catalog.vat.list", "vats", "vats", {**_VAT_FIELDS, "timestampX": DATETIME_SAMPLE}),
    (
        "catalog.pricetype.list",
        "price_types",
        "priceTypes",
        {
            **_PRICE_TYPE_FIELDS,
            "modifiedBy": 0,
            "dateCreate": DATETIME_SAMPLE,
            "timestampX": DATETIME_SAMPLE,
        },
    ),
)


def _table_list(
    attr: str, key: str, schema: dict[str, Any], indexed: tuple[str, ...] = ()
) -> Handler:
    """A list method over the store's ``attr`` rows, answered under ``key``."""

    def handler(ctx: Ctx, params: dict[str, Any]) -> Outcome:
        return _list(params, getattr(ctx.store, attr), schema, key, indexed=indexed)

    return handler


for _name, _attr, _key, _fields in _REFERENCE_LISTS:
    method(_name, "catalog")(_table_list(_attr, _key, {"id": 0, **_fields}))


# --- products and services -----------------------------------------------------------


def _product_list(ctx: Ctx, params: dict[str, Any], kinds: set[int], key: str) -> Outcome:
    filt = as_dict(param(params, "filter"))
    if not any(k.lstrip("=").lower() == "iblockid" for k in filt):
        raise catalog_error("Required filter fields: iblockId", 200040400002)
    found = candidates(
        ctx.store.products,
        param(params, "filter"),
        resolver(list(PRODUCT_FIELDS)),
        id_field="id",
        indexed_text=("xmlId",),
    )
    rows = [r for r in found if r["type"] in kinds]
    return _list(params, rows, PRODUCT_FIELDS, key, required_select=("id", "iblockId"))


@method("catalog.product.list", "catalog")
def product_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return _product_list(ctx, params, {TYPE_PRODUCT, TYPE_SERVICE}, "products")


@method("catalog.product.service.list", "catalog")
def service_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return _product_list(ctx, params, {TYPE_SERVICE}, "services")


def _product(ctx: Ctx, params: dict[str, Any], kinds: set[int]) -> dict[str, Any]:
    row = ctx.store.products.rows.get(as_int(param(params, "id")))
    if row is None or row["type"] not in kinds:
        raise catalog_error("Product is not exists", 200040300020)
    return row


def _render_product(row: dict[str, Any]) -> dict[str, Any]:
    return orm_fields(row, PRODUCT_FIELDS)


@method("catalog.product.get", "catalog")
def product_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return Outcome({"product": _render_product(_product(ctx, params, {1, 7}))}, rows=1)


@method("catalog.product.service.get", "catalog")
def service_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return Outcome({"service": _render_product(_product(ctx, params, {7}))}, rows=1)


def _reindexed(
    table: Table, row: dict[str, Any], field_name: str, apply: Callable[[], None]
) -> None:
    """``apply`` a change to a stored ``row``; the table's index follows its ``field_name``."""
    before = row.get(field_name)
    try:
        apply()
    finally:
        if row.get("id") in table.rows and row.get(field_name) != before:
            table.invalidate()


def _set_fields(
    row: dict[str, Any],
    fields: dict[str, Any],
    schema: dict[str, Any],
    fixed: tuple[str, ...],
    *,
    blank_is_none: bool,
) -> None:
    """Each known field of ``fields`` into ``row``, typed like the schema's sample; the
    ``fixed`` ones (set by the portal) and unknown ones ignored, as the portal does."""
    resolve = resolver(list(schema))
    for key, value in fields.items():
        name = resolve(key)
        if name is None or name in fixed:
            continue
        sample = schema[name]
        if blank_is_none and value in (None, ""):
            row[name] = None if isinstance(sample, (int, Decimal)) or value is None else ""
        elif isinstance(sample, int):
            row[name] = as_int(value)
        elif isinstance(sample, Decimal):
            row[name] = rowcalc.dec(value)
        else:
            row[name] = str(value)


_PRODUCT_FIXED = (
    "id",
    "type",
    "dateCreate",
    "timestampX",
    "quantity",
    "quantityReserved",
    "createdBy",
    "modifiedBy",
)


def _apply_product(ctx: Ctx, row: dict[str, Any], fields: dict[str, Any]) -> None:
    table = ctx.store.products  # its index by xmlId
    _reindexed(table, row, "xmlId", lambda: _apply_product_fields(ctx, row, fields))


def _apply_product_fields(ctx: Ctx, row: dict[str, Any], fields: dict[str, Any]) -> None:
    _set_fields(row, fields, PRODUCT_FIELDS, _PRODUCT_FIXED, blank_is_none=True)
    if row.get("measure") is not None and row["measure"] not in {
        m["id"] for m in ctx.store.measures
    }:
        raise catalog_error("Measure is not exists", 200040300030)
    if row.get("vatId") is not None and row["vatId"] not in {v["id"] for v in ctx.store.vats}:
        raise catalog_error("Vat is not exists", 200040300030)
    row["timestampX"] = now_portal()
    row["modifiedBy"] = ctx.user.id


def _product_add(ctx: Ctx, params: dict[str, Any], kind: int) -> dict[str, Any]:
    _admin(ctx)
    fields = as_dict(param(params, "fields"))
    iblock = as_int(fields.get("iblockId"))
    if iblock not in {c["iblockId"] for c in ctx.store.catalogs}:
        raise catalog_error("Required fields: iblockId", 200040400002)
    if not str(fields.get("name") or "").strip():
        raise catalog_error("Required fields: name", 200040400002)
    now = now_portal()
    row: dict[str, Any] = {k: None for k in PRODUCT_FIELDS if k != "id"}
    row.update(
        {
            "active": "Y",
            "sort": 500,
            "type": kind,
            "vatIncluded": "Y",
            "quantity": Decimal(0),
            "quantityReserved": Decimal(0),
            "createdBy": ctx.user.id,
            "dateCreate": now,
            "purchasingCurrency": "RUB",
        }
    )
    _apply_product(ctx, row, fields)
    new_id = ctx.store.products.insert(row, "id")
    if row.get("xmlId") in (None, ""):
        row["xmlId"] = str(new_id)  # the portal's default external code is the id
    return row


def _written(row: dict[str, Any]) -> Outcome:
    return Outcome({"element": _render_product(row)}, rows=1, writes=1)


def _product_update(ctx: Ctx, params: dict[str, Any], kinds: set[int]) -> Outcome:
    _admin(ctx)
    row = _product(ctx, params, kinds)
    _apply_product(ctx, row, as_dict(param(params, "fields")))
    return _written(row)


@method("catalog.product.add", "catalog")
def product_add(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return _written(_product_add(ctx, params, TYPE_PRODUCT))


@method("catalog.product.service.add", "catalog")
def service_add(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return _written(_product_add(ctx, params, TYPE_SERVICE))


@method("catalog.product.update", "catalog")
def product_update(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return _product_update(ctx, params, {1, 7})


@method("catalog.product.service.update", "catalog")
def service_update(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return _product_update(ctx, params, {7})


@method("catalog.product.delete", "catalog")
def product_delete(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _admin(ctx)
    row = _product(ctx, params, {1, 7})
    return removed(ctx.store.products, row["id"])


# --- prices ----------------------------------------------------------------------------


price_list = method("catalog.price.list", "catalog")(
    _table_list("prices", "prices", PRICE_FIELDS, ("productId",))
)


def _apply_price(ctx: Ctx, row: dict[str, Any], fields: dict[str, Any]) -> None:
    table = ctx.store.prices  # its index by productId
    _reindexed(table, row, "productId", lambda: _apply_price_fields(ctx, row, fields))


def _apply_price_fields(ctx: Ctx, row: dict[str, Any], fields: dict[str, Any]) -> None:
    _set_fields(row, fields, PRICE_FIELDS, ("id", "timestampX"), blank_is_none=False)
    if row.get("productId") not in ctx.store.products.rows:
        raise catalog_error("Product is not exists", 200040300020)
    if row.get("catalogGroupId") not in {p["id"] for p in ctx.store.price_types}:
        raise catalog_error("Price type is not exists", 200040300030)
    row["timestampX"] = now_portal()


def _new_price(ctx: Ctx, fields: dict[str, Any]) -> dict[str, Any]:
    empty = dict.fromkeys(("quantityFrom", "quantityTo", "extraId"))
    row: dict[str, Any] = {"currency": "RUB", **empty, "price": Decimal(0)}
    _apply_price(ctx, row, fields)
    ctx.store.prices.insert(row, "id")
    return row


def _price(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return _by_id(ctx.store.prices, params, "Price is not exists")


@method("catalog.price.add", "catalog")
def price_add(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _admin(ctx)
    row = _new_price(ctx, as_dict(param(params, "fields")))
    return Outcome({"price": orm(row)}, rows=1, writes=1)


@method("catalog.price.update", "catalog")
def price_update(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _admin(ctx)
    row = _price(ctx, params)
    _apply_price(ctx, row, as_dict(param(params, "fields")))
    return Outcome({"price": orm(row)}, rows=1, writes=1)


@method("catalog.price.get", "catalog")
def price_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return Outcome({"price": orm(_price(ctx, params))}, rows=1)


@method("catalog.price.delete", "catalog")
def price_delete(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _admin(ctx)
    row = _price(ctx, params)
    return removed(ctx.store.prices, row["id"])


@method("catalog.price.modify", "catalog")
def price_modify(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    """Set a product's prices to exactly the list given: any price not listed is deleted."""
    _admin(ctx)
    product = as_dict(as_dict(param(params, "fields")).get("product"))
    product_id = as_int(product.get("id"))
    if product_id not in ctx.store.products.rows:
        raise catalog_error("Product is not exists", 200040300020)
    wanted = [as_dict(p) for p in as_list(product.get("prices"))]
    index = ctx.store.prices.index("productId")
    existing = (
        [ctx.store.prices.rows[i] for i in index.get(product_id, ())]
        if index is not None
        else [r for r in ctx.store.prices if r["productId"] == product_id]
    )
    keep: set[int] = set()
    out = []
    for data in wanted:
        row: dict[str, Any] | None = None
        if data.get("id") is not None:
            row = ctx.store.prices.rows.get(as_int(data["id"]))
        if row is None:
            row = _new_price(ctx, {**data, "productId": product_id})
        else:
            _apply_price(ctx, row, {**data, "productId": product_id})
        keep.add(row["id"])
        out.append(orm(row))
    for row in existing:
        if row["id"] not in keep:
            del ctx.store.prices.rows[row["id"]]
    return Outcome({"prices": out}, rows=len(out), writes=max(1, len(out)))


# --- stores and stock ---------------------------------------------------------------------


@method("catalog.store.list", "catalog")
def store_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return _list(params, list(ctx.store.stores), STORE_FIELDS, "stores")


@method("catalog.store.get", "catalog")
def store_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    row = _by_id(ctx.store.stores, params, "Store is not exists")
    return Outcome({"store": orm(row)}, rows=1)


stock_list = method("catalog.storeproduct.list", "catalog")(
    _table_list("store_products", "storeProducts", STOCK_FIELDS, ("productId", "storeId"))
)


@method("catalog.storeproduct.get", "catalog")
def stock_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    row = _by_id(ctx.store.store_products, params, "Store product is not exists")
    return Outcome({"storeProduct": orm(row)}, rows=1)


# --- stock documents ---------------------------------------------------------------------


def _mode_on(ctx: Ctx) -> None:
    if not ctx.store.inventory_mode:
        raise catalog_error("Inventory management is not enabled", "ERROR_DOCUMENT_MODE")


@method("catalog.document.mode.status", "catalog")
def mode_status(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return Outcome("Y" if ctx.store.inventory_mode else "N")


@method("catalog.document.list", "catalog")
def document_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return _list(params, ctx.store.documents, DOCUMENT_FIELDS, "documents")


def _document(ctx: Ctx, doc_id: Any) -> dict[str, Any]:
    row = ctx.store.documents.rows.get(as_int(doc_id))
    if row is None:
        raise catalog_error("Document not found", "ERROR_DOCUMENT_STATUS")
    return row


@method("catalog.document.get", "catalog")
def document_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return Outcome({"document": orm(_document(ctx, param(params, "id")))}, rows=1)


@method("catalog.document.add", "catalog")
def document_add(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _admin(ctx)
    _mode_on(ctx)
    fields = as_dict(param(params, "fields"))
    doc_type = str(fields.get("docType") or "")
    if doc_type not in DOC_TYPES:
        raise catalog_error("Invalid document type", "ERROR_DOCUMENT_TYPE")
    now = now_portal()
    row: dict[str, Any] = {
        "docType": doc_type,
        "title": str(fields.get("title") or ""),
        "docNumber": str(fields.get("docNumber") or ""),
        "status": "N",
        "currency": str(fields.get("currency") or "RUB"),
        "responsibleId": as_int(fields.get("responsibleId"), ctx.user.id) or ctx.user.id,
        "total": Decimal(0),
        "commentary": str(fields.get("commentary") or ""),
        "wasCancelled": "N",
        "createdBy": ctx.user.id,
        "modifiedBy": ctx.user.id,
        "statusBy": None,
        "dateCreate": now,
        "dateModify": now,
        "dateStatus": None,
        "dateDocument": now,
    }
    ctx.store.documents.insert(row, "id")
    return Outcome({"document": orm(row)}, rows=1, writes=1)


def _open_document(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """The document ``id``, not conducted, for a change (admin only)."""
    _admin(ctx)
    row = _document(ctx, param(params, "id"))
    if row["status"] == "Y":
        raise catalog_error("Conducted document", "ERROR_DOCUMENT_STATUS")
    return row


@method("catalog.document.update", "catalog")
def document_update(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    row = _open_document(ctx, params)
    fields = as_dict(param(params, "fields"))
    for key in ("title", "docNumber", "commentary", "currency"):
        if key in fields:
            row[key] = str(fields[key])
    row["dateModify"] = now_portal()
    return Outcome({"document": orm(row)}, rows=1, writes=1)


document_delete = deleting(
    "catalog.document.delete", "catalog", _open_document, lambda s: s.documents
)


def _elements(store_table: Table, doc_id: int) -> list[dict[str, Any]]:
    index = store_table.index("docId")
    if index is None:
        return [e for e in store_table if e["docId"] == doc_id]
    return [store_table.rows[i] for i in index.get(doc_id, ())]


def _movements(doc: dict[str, Any], element: dict[str, Any]) -> list[tuple[int, Decimal]]:
    amount = element["amount"]
    if doc["docType"] in ("A", "S", "R"):
        return [(element["storeTo"], amount)]
    if doc["docType"] == "D":
        return [(element["storeFrom"], -amount)]
    return [(element["storeFrom"], -amount), (element["storeTo"], amount)]  # M


def _apply_stock(ctx: Ctx, doc: dict[str, Any], sign: int) -> None:
    changes: dict[tuple[int, int], Decimal] = {}
    for element in _elements(ctx.store.document_elements, doc["id"]):
        for store_id, delta in _movements(doc, element):
            key = (element["elementId"], store_id)
            changes[key] = changes.get(key, Decimal(0)) + delta * sign
    for (product_id, store_id), delta in changes.items():
        if ctx.store.stock_row(product_id, store_id)["amount"] + delta < 0:
            missing = ctx.store.products.rows.get(product_id, {})
            raise catalog_error(
                f"Insufficient quantity of product «{missing.get('name', product_id)}» "
                f"in store {store_id}",
                "ERROR_DOCUMENT_CONDUCT",
            )
    for (product_id, store_id), delta in changes.items():
        ctx.store.stock_row(product_id, store_id)["amount"] += delta
        product = ctx.store.products.rows.get(product_id)
        if product is not None:
            product["quantity"] = (product.get("quantity") or Decimal(0)) + delta


def _inventory_document(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """The document ``id`` to conduct or cancel: admin only, inventory management on."""
    _admin(ctx)
    _mode_on(ctx)
    return _document(ctx, param(params, "id"))


@method("catalog.document.conduct", "catalog")
def document_conduct(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    doc = _inventory_document(ctx, params)
    if doc["status"] == "Y":
        raise catalog_error("Document already conducted", "ERROR_DOCUMENT_STATUS")
    if not _elements(ctx.store.document_elements, doc["id"]):
        raise catalog_error("Document has no products", "ERROR_DOCUMENT_CONDUCT")
    _apply_stock(ctx, doc, +1)
    doc.update(status="Y", statusBy=ctx.user.id, dateStatus=now_portal())
    return Outcome(True, writes=1)


@method("catalog.document.cancel", "catalog")
def document_cancel(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    doc = _inventory_document(ctx, params)
    if doc["status"] != "Y":
        raise catalog_error("Document is not conducted", "ERROR_DOCUMENT_STATUS")
    _apply_stock(ctx, doc, -1)
    doc.update(status="C", wasCancelled="Y", statusBy=ctx.user.id, dateStatus=now_portal())
    return Outcome(True, writes=1)


element_list = method("catalog.document.element.list", "catalog")(
    _table_list("document_elements", "documentElements", ELEMENT_FIELDS, ("docId",))
)


def _element_fields(ctx: Ctx, row: dict[str, Any], fields: dict[str, Any]) -> None:
    for key in ("elementId", "storeFrom", "storeTo"):
        if key in fields:
            row[key] = as_int(fields[key]) or None
    for key in ("amount", "purchasingPrice"):
        if key in fields:
            row[key] = rowcalc.dec(fields[key])
    doc = _document(ctx, row["docId"])
    if row.get("elementId") not in ctx.store.products.rows:
        raise catalog_error("Product is not exists", 0)
    need: Callable[[str], bool] = lambda key: row.get(key) in ctx.store.stores.rows  # noqa: E731
    if doc["docType"] in ("A", "S", "R", "M") and not need("storeTo"):
        raise catalog_error("Field storeTo is required", 0)
    if doc["docType"] in ("D", "M") and not need("storeFrom"):
        raise catalog_error("Field storeFrom is required", 0)
    if row.get("amount") is None or row["amount"] <= 0:
        raise catalog_error("Field amount must be greater than zero", 0)


@method("catalog.document.element.add", "catalog")
def element_add(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _admin(ctx)
    fields = as_dict(param(params, "fields"))
    doc = _document(ctx, fields.get("docId"))
    if doc["status"] != "N":
        raise catalog_error("Conducted document", "ERROR_DOCUMENT_STATUS")
    empty = dict.fromkeys(("elementId", "storeFrom", "storeTo", "amount"))
    row: dict[str, Any] = {"docId": doc["id"], **empty, "purchasingPrice": Decimal(0)}
    _element_fields(ctx, row, fields)
    ctx.store.document_elements.insert(row, "id")
    return Outcome({"documentElement": orm(row)}, rows=1, writes=1)


def _open_element(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """The element ``id`` of a document not conducted yet, for a change (admin only)."""
    _admin(ctx)
    row = _by_id(
        ctx.store.document_elements, params, "Document element not found", "ERROR_DOCUMENT_STATUS"
    )
    if _document(ctx, row["docId"])["status"] != "N":
        raise catalog_error("Conducted document", "ERROR_DOCUMENT_STATUS")
    return row


@method("catalog.document.element.update", "catalog")
def element_update(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    row = _open_element(ctx, params)
    trial = dict(row)
    _element_fields(ctx, trial, as_dict(param(params, "fields")))
    row.update(trial)
    return Outcome({"documentElement": orm(row)}, rows=1, writes=1)


element_delete = deleting(
    "catalog.document.element.delete", "catalog", _open_element, lambda s: s.document_elements
)
