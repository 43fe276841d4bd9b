"""``userfieldconfig.*``: the custom fields of the smart invoice (research §4 "Payments").

A field ``UF_CRM_SMART_INVOICE_ONEC_NUMBER`` is read and written by ``crm.item.*``
as ``ufCrmSmartInvoiceOnecNumber`` (or under its original name with
``useOriginalUfNames=Y``). Adding or changing a field needs the scopes
``userfieldconfig`` and ``crm`` and a user allowed to change CRM settings (an
administrator here). As documented (apidocs userfieldconfig-add/list): the
name must start with ``UF_{entityId}_`` and use only ``A-Z``, ``0-9`` and ``_``
(at most 50 characters); errors are HTTP 400 with an empty code ("Access
denied", "You cannot create custom fields", "The 'FIELD_NAME' field is not
found", "Field … already exists", "The current method required more scopes.
(crm)"); ``id`` and ``sort`` come back as text; ``showInList`` and
``listColumnLabel`` are not taken by ``add``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop_sync.sandbox.bitrix24.args import as_dict, as_int, by_id, param, yes
from desktop_sync.sandbox.bitrix24.errors import RestError
from desktop_sync.sandbox.bitrix24.query import (
    FilterRules,
    compile_filter,
    paginate,
    parse_datetime,
    resolver,
    sort_rows,
)
from desktop_sync.sandbox.bitrix24.registry import Ctx, Outcome, method, paged, removed
from desktop_sync.sandbox.bitrix24.render import orm
from desktop_sync.sandbox.bitrix24.store import day_start, iso

TYPES = frozenset(
    {
        "string",
        "integer",
        "double",
        "boolean",
        "date",
        "datetime",
        "enumeration",
        "money",
        "url",
        "employee",
    }
)
_NAME = re.compile(r"^UF_[A-Z0-9_]{1,47}$")
PREFIX = {"CRM_SMART_INVOICE": "UF_CRM_SMART_INVOICE_"}


def camel_uf_name(name: str) -> str:
    parts = name.lower().split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:] if p)


def coerce_uf_value(field: dict[str, Any], value: Any) -> Any:
    """Store a written value natively; ``ValueError`` when it does not fit the type."""
    if field["multiple"] == "Y":
        values = (
            value
            if isinstance(value, list)
            else (list(value.values()) if isinstance(value, dict) else [value])
        )
        return [_coerce_one(field["userTypeId"], v) for v in values if v not in (None, "")]
    return _coerce_one(field["userTypeId"], value)


def _coerce_one(kind: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if kind == "double":
        try:
            return Decimal(str(value).replace(",", "."))
        except InvalidOperation:
            raise ValueError(value) from None
    if kind == "integer":
        try:
            return int(str(value))
        except ValueError:
            raise ValueError(value) from None
    if kind == "boolean":
        return yes(value) or str(value) == "1"
    if kind in ("date", "datetime"):
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(value)
        return day_start(parsed.date()) if kind == "date" else parsed
    return str(value)


def render_uf_value(field: dict[str, Any], value: Any) -> Any:
    if field["multiple"] == "Y":
        return [_render_one(field["userTypeId"], v) for v in (value or [])]
    if value is None:
        return None
    return _render_one(field["userTypeId"], value)


def _render_one(kind: str, value: Any) -> Any:
    if kind == "boolean":
        return "Y" if value else "N"
    if isinstance(value, dt.datetime):
        return iso(value)
    return orm(value)


def _uf_error(description: str) -> RestError:
    return RestError(400, "", description)


def _check_module(ctx: Ctx, module_id: Any) -> None:
    if str(module_id or "") != "crm":
        raise _uf_error("No settings for UserFieldAccess")
    if "crm" not in ctx.hook.scopes:
        raise _uf_error("The current method required more scopes. (crm)")


def _check_rights(ctx: Ctx, module_id: Any) -> None:
    _check_module(ctx, module_id)
    if not ctx.user.admin:
        raise _uf_error("Access denied")


_LANGS = ("ru", "en")


def _render(field: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in field.items():
        if key in ("id", "sort"):
            out[key] = str(value)
        elif isinstance(value, dict):
            out[key] = dict(value)
        else:
            out[key] = value
    out["languageId"] = {lang: lang for lang in _LANGS}
    for key in ("listColumnLabel", "listFilterLabel", "errorMessage", "helpMessage"):
        out.setdefault(key, dict.fromkeys(_LANGS))
    return out


def _texts(texts: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in texts.items()}


def new_field(entity: str, name: str, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A user field as the portal stores it, from what an ``add`` gave (``data`` in
    ``userfieldconfig.add``'s camelCase names, the help message already decided)."""
    return {
        "entityId": entity,
        "fieldName": name,
        "userTypeId": kind,
        "xmlId": data.get("xmlId"),
        "sort": as_int(data.get("sort"), 100),
        "multiple": "Y" if yes(data.get("multiple")) else "N",
        "mandatory": "Y" if yes(data.get("mandatory")) else "N",
        "showFilter": str(data.get("showFilter") or "N"),
        "showInList": "Y",  # not taken by add
        "editInList": str(data.get("editInList") or "Y"),
        "isSearchable": str(data.get("isSearchable") or "N"),
        "settings": as_dict(data.get("settings")),
        "editFormLabel": _texts(as_dict(data.get("editFormLabel"))),
        "helpMessage": data.get("helpMessage") or {},
    }


@method("userfieldconfig.add", "userfieldconfig")
def uf_add(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _check_rights(ctx, param(params, "moduleId"))
    data = as_dict(param(params, "field"))
    entity = str(data.get("entityId") or "")
    name = str(data.get("fieldName") or "")
    kind = str(data.get("userTypeId") or "")
    if not name:
        raise _uf_error("The 'FIELD_NAME' field is not found.")
    if not kind:
        raise _uf_error("The 'USER_TYPE_ID' field is not found.")
    if entity not in PREFIX or not _NAME.match(name) or not name.startswith(PREFIX[entity]):
        raise _uf_error("You cannot create custom fields")
    if kind not in TYPES:
        raise _uf_error("Fail to create new user field")
    if any(f["fieldName"] == name and f["entityId"] == entity for f in ctx.store.userfields):
        raise _uf_error(f"Field {name} already exists")
    help_message = _texts(as_dict(data.get("helpMessage"))) or dict.fromkeys(_LANGS)
    field = new_field(entity, name, kind, data | {"helpMessage": help_message})
    ctx.store.userfields.insert(field, "id")
    return Outcome({"field": _render(field)}, writes=1)


@method("userfieldconfig.list", "userfieldconfig")
def uf_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _check_module(ctx, param(params, "moduleId"))
    names = [
        "id",
        "entityId",
        "fieldName",
        "userTypeId",
        "xmlId",
        "sort",
        "multiple",
        "mandatory",
        "showFilter",
        "showInList",
        "editInList",
        "isSearchable",
    ]
    rules = FilterRules(
        resolver(names), strict=True, allow_logic=False, samples={"id": 0, "sort": 0}
    )
    test = compile_filter(param(params, "filter"), rules)
    rows = sort_rows(
        [r for r in ctx.store.userfields if test(r)], param(params, "order"), resolver(names), "id"
    )
    page = paginate(rows, params.get("start", 0), legacy=False)
    return paged({"fields": [_render(f) for f in page.rows]}, len(page.rows), page)


def _field(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return by_id(ctx.store.userfields, params, _uf_error, "The user field is not found")


@method("userfieldconfig.get", "userfieldconfig")
def uf_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _check_module(ctx, param(params, "moduleId"))
    return Outcome({"field": _render(_field(ctx, params))}, rows=1)


@method("userfieldconfig.update", "userfieldconfig")
def uf_update(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _check_rights(ctx, param(params, "moduleId"))
    field = _field(ctx, params)
    data = as_dict(param(params, "field"))
    for key in (
        "sort",
        "mandatory",
        "showFilter",
        "showInList",
        "editInList",
        "xmlId",
        "settings",
        "editFormLabel",
        "listColumnLabel",
    ):
        if key in data:
            field[key] = as_int(data[key]) if key == "sort" else data[key]
    return Outcome({"field": _render(field)}, writes=1)


@method("userfieldconfig.delete", "userfieldconfig")
def uf_delete(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    _check_rights(ctx, param(params, "moduleId"))
    field = _field(ctx, params)
    return removed(ctx.store.userfields, field["id"])
