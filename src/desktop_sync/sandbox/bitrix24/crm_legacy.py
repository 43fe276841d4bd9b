"""Legacy CRM methods: companies, contacts, requisites, links, duplicates, statuses, timeline.

UPPER_CASE fields with text values; ``add`` answers the new id, ``update`` and
``delete`` answer ``true``; errors carry an empty or numeric code
(research/bitrix24.md §5, §10).
"""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal
from functools import partial
from typing import Any

from desktop_sync.sandbox.bitrix24.args import as_dict, as_int, as_list, by_id, param
from desktop_sync.sandbox.bitrix24.errors import RestError
from desktop_sync.sandbox.bitrix24.legacy_list import legacy_list, select_fields
from desktop_sync.sandbox.bitrix24.query import DATETIME_SAMPLE, candidates, resolver
from desktop_sync.sandbox.bitrix24.registry import Ctx, Outcome, added, deleting, method
from desktop_sync.sandbox.bitrix24.render import legacy, legacy_fields
from desktop_sync.sandbox.bitrix24.store import Store, Table, now_portal

COMPANY_FIELDS = (
    "ID",
    "TITLE",
    "COMPANY_TYPE",
    "INDUSTRY",
    "CURRENCY_ID",
    "REVENUE",
    "COMMENTS",
    "ASSIGNED_BY_ID",
    "CREATED_BY_ID",
    "MODIFY_BY_ID",
    "IS_MY_COMPANY",
    "OPENED",
    "ORIGINATOR_ID",
    "ORIGIN_ID",
    "ORIGIN_VERSION",
    "HAS_PHONE",
    "HAS_EMAIL",
    "DATE_CREATE",
    "DATE_MODIFY",
)
CONTACT_FIELDS = (
    "ID",
    "NAME",
    "SECOND_NAME",
    "LAST_NAME",
    "TYPE_ID",
    "COMMENTS",
    "ASSIGNED_BY_ID",
    "CREATED_BY_ID",
    "MODIFY_BY_ID",
    "COMPANY_ID",
    "OPENED",
    "ORIGINATOR_ID",
    "ORIGIN_ID",
    "HAS_PHONE",
    "HAS_EMAIL",
    "DATE_CREATE",
    "DATE_MODIFY",
)
MULTI = ("PHONE", "EMAIL", "WEB")
REQUISITE_FIELDS = (
    "ID",
    "ENTITY_TYPE_ID",
    "ENTITY_ID",
    "PRESET_ID",
    "NAME",
    "CODE",
    "XML_ID",
    "ORIGINATOR_ID",
    "ACTIVE",
    "ADDRESS_ONLY",
    "SORT",
    "RQ_NAME",
    "RQ_FIRST_NAME",
    "RQ_LAST_NAME",
    "RQ_SECOND_NAME",
    "RQ_COMPANY_NAME",
    "RQ_COMPANY_FULL_NAME",
    "RQ_INN",
    "RQ_KPP",
    "RQ_OGRN",
    "RQ_OGRNIP",
    "CREATED_BY_ID",
    "MODIFY_BY_ID",
    "DATE_CREATE",
    "DATE_MODIFY",
)
_SAMPLES: dict[str, Any] = {
    "ID": 0,
    "ASSIGNED_BY_ID": 0,
    "CREATED_BY_ID": 0,
    "MODIFY_BY_ID": 0,
    "COMPANY_ID": 0,
    "ENTITY_TYPE_ID": 0,
    "ENTITY_ID": 0,
    "PRESET_ID": 0,
    "SORT": 0,
    "REVENUE": Decimal(0),
    "DATE_CREATE": DATETIME_SAMPLE,
    "DATE_MODIFY": DATETIME_SAMPLE,
    "CREATED": DATETIME_SAMPLE,
}
ENTITY_COMPANY = 4
ENTITY_CONTACT = 3


def legacy_error(description: str, status: int = 400) -> RestError:
    return RestError(status, "", description)


def _multifields(store: Store, raw: Any) -> list[dict[str, Any]]:
    out = []
    for item in as_list(raw):
        entry = as_dict(item)
        value = str(entry.get("VALUE", "")).strip()
        if not value:
            continue
        mf_id = store.multifield_ids.insert({})
        out.append(
            {
                "ID": mf_id,
                "VALUE_TYPE": str(entry.get("VALUE_TYPE", "WORK")),
                "VALUE": value,
                "TYPE_ID": "",
            }
        )
    return out


def _apply_fields(
    store: Store,
    row: dict[str, Any],
    fields: dict[str, Any],
    names: tuple[str, ...],
    int_fields: set[str],
) -> None:
    before = [row.get(k) for k in _WATCHED]
    upper = {k.upper(): v for k, v in fields.items()}
    for name in names:
        if name in ("ID", "DATE_CREATE", "DATE_MODIFY", "CREATED_BY_ID", "MODIFY_BY_ID"):
            continue
        if name in upper:
            value = upper[name]
            row[name] = (
                as_int(value) if name in int_fields else (None if value is None else str(value))
            )
    for name in MULTI:
        if name in upper:
            kind = name
            entries = _multifields(store, upper[name])
            for e in entries:
                e["TYPE_ID"] = kind
            # update semantics: new values are appended (the real portal needs an ID to edit)
            row[name] = [*row.get(name, []), *entries]
    row["HAS_PHONE"] = "Y" if row.get("PHONE") else "N"
    row["HAS_EMAIL"] = "Y" if row.get("EMAIL") else "N"
    if [row.get(k) for k in _WATCHED] != before:
        for table in (store.companies, store.contacts, store.requisites):
            if table.rows.get(row.get("ID", 0)) is row:
                table.invalidate()  # an indexed field changed in place


def _render_full(row: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    out = legacy_fields(row, names)
    for name in MULTI:
        if row.get(name):
            out[name] = legacy(row[name])
    return out


# --- companies ------------------------------------------------------------------


def _pool(
    table: Table,
    params: dict[str, Any],
    names: list[str],
    *,
    indexed: tuple[str, ...] = (),
    indexed_text: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """The rows a list's filter can match, from an index where it names an indexed field
    (as the portal's database does); the filter itself is applied after, so the answer
    is that of a scan."""
    raw_filter = params.get("filter") or params.get("FILTER")
    return candidates(
        table,
        raw_filter,
        resolver(names),
        id_field="ID",
        indexed=indexed,
        indexed_text=indexed_text,
    )


_BY_ORIGIN = ("ORIGIN_ID", "ORIGINATOR_ID")
_WATCHED = (*_BY_ORIGIN, "COMPANY_ID", "ENTITY_ID", "RQ_INN", "XML_ID")  # indexed fields


@method("crm.company.list", "crm")
def company_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    pool = _pool(ctx.store.companies, params, [*COMPANY_FIELDS, *MULTI], indexed_text=_BY_ORIGIN)
    rows = [r for r in pool if ctx.sees(r)]
    return legacy_list(params, rows, COMPANY_FIELDS, multi=MULTI, samples=_SAMPLES)


def _company(ctx: Ctx, params: dict[str, Any], *, not_found: str) -> dict[str, Any]:
    if as_int(param(params, "id")) <= 0:
        raise legacy_error("ID is not defined or invalid.")
    return by_id(ctx.store.companies, params, legacy_error, not_found, visible=ctx.sees)


@method("crm.company.get", "crm")
def company_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    row = _company(ctx, params, not_found="Not found")
    return Outcome(_render_full(row, COMPANY_FIELDS), rows=1)


_COMPANY_INTS = {"ASSIGNED_BY_ID"}


@method("crm.company.add", "crm")
def company_add(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    fields = as_dict(param(params, "fields"))
    now = now_portal()
    row: dict[str, Any] = {
        "TITLE": "",
        "COMPANY_TYPE": "CUSTOMER",
        "INDUSTRY": None,
        "CURRENCY_ID": "RUB",
        "REVENUE": Decimal(0),
        "COMMENTS": None,
        "ASSIGNED_BY_ID": ctx.user.id,
        "CREATED_BY_ID": ctx.user.id,
        "MODIFY_BY_ID": ctx.user.id,
        "IS_MY_COMPANY": "N",
        "OPENED": "Y",
        "ORIGINATOR_ID": None,
        "ORIGIN_ID": None,
        "ORIGIN_VERSION": None,
        "DATE_CREATE": now,
        "DATE_MODIFY": now,
    }
    _apply_fields(ctx.store, row, fields, COMPANY_FIELDS, _COMPANY_INTS)
    return added(ctx.store.companies, row, "Компания №{}")


@method("crm.company.update", "crm")
def company_update(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    row = _company(ctx, params, not_found="Company is not found")
    _apply_fields(ctx.store, row, as_dict(param(params, "fields")), COMPANY_FIELDS, _COMPANY_INTS)
    row["DATE_MODIFY"] = now_portal()
    row["MODIFY_BY_ID"] = ctx.user.id
    return Outcome(True, writes=1)


company_delete = deleting(
    "crm.company.delete",
    "crm",
    lambda ctx, params: _company(ctx, params, not_found="Company is not found"),
    lambda s: s.companies,
    "ID",
)


@method("crm.company.fields", "crm")
def company_fields(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return Outcome(_field_meta(COMPANY_FIELDS + MULTI))


def _field_meta(names: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for name in names:
        kind = (
            "integer"
            if name.endswith("_ID") or name == "ID"
            else (
                "datetime"
                if name.startswith("DATE_")
                else ("crm_multifield" if name in MULTI else "string")
            )
        )
        out[name] = {
            "type": kind,
            "isRequired": False,
            "isReadOnly": name in ("ID", "DATE_CREATE", "DATE_MODIFY"),
            "isImmutable": False,
            "isMultiple": name in MULTI,
            "isDynamic": False,
            "title": name,
        }
    return out


# --- contacts -------------------------------------------------------------------


@method("crm.contact.list", "crm")
def contact_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    pool = _pool(
        ctx.store.contacts,
        params,
        [*CONTACT_FIELDS, *MULTI],
        indexed=("COMPANY_ID",),
        indexed_text=_BY_ORIGIN,
    )
    rows = [r for r in pool if ctx.sees(r)]
    return legacy_list(params, rows, CONTACT_FIELDS, multi=MULTI, samples=_SAMPLES)


def _contact(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return by_id(ctx.store.contacts, params, legacy_error, "Not found", visible=ctx.sees)


@method("crm.contact.get", "crm")
def contact_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return Outcome(_render_full(_contact(ctx, params), CONTACT_FIELDS), rows=1)


@method("crm.contact.add", "crm")
def contact_add(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    now = now_portal()
    row: dict[str, Any] = {
        "NAME": "",
        "SECOND_NAME": None,
        "LAST_NAME": None,
        "TYPE_ID": "CLIENT",
        "COMMENTS": None,
        "ASSIGNED_BY_ID": ctx.user.id,
        "CREATED_BY_ID": ctx.user.id,
        "MODIFY_BY_ID": ctx.user.id,
        "COMPANY_ID": None,
        "OPENED": "Y",
        "ORIGINATOR_ID": None,
        "ORIGIN_ID": None,
        "DATE_CREATE": now,
        "DATE_MODIFY": now,
    }
    _apply_contact_fields(ctx, row, params)
    return Outcome(ctx.store.contacts.insert(row), writes=1)


def _apply_contact_fields(ctx: Ctx, row: dict[str, Any], params: dict[str, Any]) -> None:
    fields = as_dict(param(params, "fields"))
    _apply_fields(ctx.store, row, fields, CONTACT_FIELDS, {"ASSIGNED_BY_ID", "COMPANY_ID"})


@method("crm.contact.update", "crm")
def contact_update(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    row = _contact(ctx, params)
    _apply_contact_fields(ctx, row, params)
    row["DATE_MODIFY"] = now_portal()
    return Outcome(True, writes=1)


# --- requisites -----------------------------------------------------------------


def _owner_seen(ctx: Ctx, row: dict[str, Any]) -> bool:
    table = ctx.store.companies if row["ENTITY_TYPE_ID"] == ENTITY_COMPANY else ctx.store.contacts
    owner = table.rows.get(row["ENTITY_ID"])
    return owner is not None and ctx.sees(owner)


def requisite_error(description: str) -> RestError:
    return RestError(400, 0, description)


@method("crm.requisite.list", "crm")
def requisite_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    pool = _pool(
        ctx.store.requisites,
        params,
        list(REQUISITE_FIELDS),
        indexed=("ENTITY_ID",),
        indexed_text=("RQ_INN", "XML_ID"),
    )
    rows = [r for r in pool if _owner_seen(ctx, r)]
    return legacy_list(params, rows, REQUISITE_FIELDS, samples=_SAMPLES)


def _requisite(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    visible = partial(_owner_seen, ctx)
    return by_id(ctx.store.requisites, params, requisite_error, "Not found.", visible=visible)


@method("crm.requisite.get", "crm")
def requisite_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return Outcome(legacy_fields(_requisite(ctx, params), REQUISITE_FIELDS), rows=1)


_REQ_INTS = {"ENTITY_TYPE_ID", "ENTITY_ID", "PRESET_ID", "SORT"}


@method("crm.requisite.add", "crm")
def requisite_add(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    fields = {k.upper(): v for k, v in as_dict(param(params, "fields")).items()}
    for required in ("ENTITY_TYPE_ID", "ENTITY_ID", "PRESET_ID", "NAME"):
        if fields.get(required) in (None, ""):
            raise requisite_error(f"The field '{required}' is required.")
    etype = as_int(fields["ENTITY_TYPE_ID"])
    if etype not in (ENTITY_COMPANY, ENTITY_CONTACT):
        raise requisite_error("Invalid value of the field 'ENTITY_TYPE_ID'.")
    if as_int(fields["PRESET_ID"]) not in {p["ID"] for p in ctx.store.presets}:
        raise requisite_error("Preset is not found.")
    table = ctx.store.companies if etype == ENTITY_COMPANY else ctx.store.contacts
    owner = table.rows.get(as_int(fields["ENTITY_ID"]))
    if owner is None:
        raise requisite_error("Entity is not found.")
    if not ctx.sees(owner):
        raise requisite_error("Access denied.")
    now = now_portal()
    row: dict[str, Any] = dict.fromkeys(REQUISITE_FIELDS)
    row.update(
        {
            "ACTIVE": "Y",
            "ADDRESS_ONLY": "N",
            "SORT": 500,
            "CREATED_BY_ID": ctx.user.id,
            "MODIFY_BY_ID": ctx.user.id,
            "DATE_CREATE": now,
            "DATE_MODIFY": now,
        }
    )
    _apply_fields(ctx.store, row, fields, REQUISITE_FIELDS, _REQ_INTS)
    for name in MULTI:
        row.pop(name, None)
    row.pop("HAS_PHONE", None)
    row.pop("HAS_EMAIL", None)
    return Outcome(ctx.store.requisites.insert(row), writes=1)


@method("crm.requisite.update", "crm")
def requisite_update(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    row = _requisite(ctx, params)
    fields = {k.upper(): v for k, v in as_dict(param(params, "fields")).items()}
    for fixed in ("ENTITY_TYPE_ID", "ENTITY_ID"):
        fields.pop(fixed, None)
    _apply_fields(ctx.store, row, fields, REQUISITE_FIELDS, _REQ_INTS)
    for name in (*MULTI, "HAS_PHONE", "HAS_EMAIL"):
        row.pop(name, None)
    row["DATE_MODIFY"] = now_portal()
    return Outcome(True, writes=1)


requisite_delete = deleting("crm.requisite.delete", "crm", _requisite, lambda s: s.requisites, "ID")


@method("crm.requisite.fields", "crm")
def requisite_fields(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return Outcome(_field_meta(REQUISITE_FIELDS))


@method("crm.requisite.preset.list", "crm")
def preset_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    fields = ("ID", "ENTITY_TYPE_ID", "COUNTRY_ID", "NAME", "ACTIVE", "SORT", "XML_ID")
    return legacy_list(params, ctx.store.presets, fields, samples=_SAMPLES)


# --- requisite links (which requisite an invoice bills) ----------------------------

_LINK_FIELDS = (
    "ENTITY_TYPE_ID",
    "ENTITY_ID",
    "REQUISITE_ID",
    "BANK_DETAIL_ID",
    "MC_REQUISITE_ID",
    "MC_BANK_DETAIL_ID",
)


@method("crm.requisite.link.register", "crm")
def link_register(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    fields = {k.upper(): as_int(v) for k, v in as_dict(param(params, "fields")).items()}
    etype, eid = fields.get("ENTITY_TYPE_ID", 0), fields.get("ENTITY_ID", 0)
    if etype <= 0 or eid <= 0:
        raise requisite_error("Entity type or entity ID is not defined.")
    if etype == 31 and eid not in ctx.store.items.rows:
        raise requisite_error("Entity is not found.")
    req_id = fields.get("REQUISITE_ID", 0)
    if req_id and req_id not in ctx.store.requisites.rows:
        raise requisite_error("Requisite is not found.")
    ctx.store.requisite_links[(etype, eid)] = {f: fields.get(f, 0) for f in _LINK_FIELDS}
    return Outcome(True, writes=1)


@method("crm.requisite.link.get", "crm")
def link_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    key = (as_int(param(params, "entityTypeId")), as_int(param(params, "entityId")))
    link = ctx.store.requisite_links.get(key)
    if link is None:
        raise requisite_error("Not found.")
    return Outcome(legacy(link), rows=1)


@method("crm.requisite.link.list", "crm")
def link_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    rows = [dict(v, ID=i) for i, v in enumerate(ctx.store.requisite_links.values(), 1)]
    out = legacy_list(
        params, rows, ("ID", *_LINK_FIELDS), samples=dict.fromkeys(("ID", *_LINK_FIELDS), 0)
    )
    for row in out.result:
        row.pop("ID", None)
    return out


# --- duplicates -----------------------------------------------------------------


@method("crm.duplicate.findbycomm", "crm")
def find_by_comm(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    kind = str(param(params, "type") or "").upper()
    if kind not in ("EMAIL", "PHONE"):
        # the error code is the text itself (research §5)
        raise RestError(
            400, "Communication type is not defined", "Communication type is not defined"
        )
    values = [str(v).strip() for v in as_list(param(params, "values"))]
    if not values:
        raise RestError(
            400, "Communication values is not defined", "Communication values is not defined"
        )
    if len(values) > 20:
        raise RestError(400, "Too many communication values", "Too many communication values")
    wanted_types = str(param(params, "entity_type") or "").upper()
    types = [wanted_types] if wanted_types else ["LEAD", "CONTACT", "COMPANY"]

    def norm(v: str) -> str:
        return "".join(ch for ch in v if ch.isdigit())[-10:] if kind == "PHONE" else v.casefold()

    wanted = {norm(v) for v in values}
    result: dict[str, list[int]] = {}
    for etype, table in (("CONTACT", ctx.store.contacts), ("COMPANY", ctx.store.companies)):
        if etype not in types:
            continue
        ids = [
            r["ID"] for r in table if any(norm(str(m["VALUE"])) in wanted for m in r.get(kind, []))
        ]
        if ids:
            result[etype] = ids
    return Outcome(result, rows=sum(len(v) for v in result.values()))


# --- statuses ---------------------------------------------------------------------

_STATUS_FIELDS = (
    "ID",
    "ENTITY_ID",
    "STATUS_ID",
    "NAME",
    "NAME_INIT",
    "SORT",
    "SYSTEM",
    "CATEGORY_ID",
    "COLOR",
    "SEMANTICS",
    "EXTRA",
)


@method("crm.status.list", "crm")
def status_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return legacy_list(
        params, ctx.store.statuses, _STATUS_FIELDS, samples={"ID": 0, "SORT": 0, "CATEGORY_ID": 0}
    )


# --- timeline comments ------------------------------------------------------------

_COMMENT_FIELDS = ("ID", "CREATED", "ENTITY_ID", "ENTITY_TYPE", "AUTHOR_ID", "COMMENT", "FILES")
_ENTITY_TYPES = {"company": 4, "contact": 3, "deal": 2, "dynamic_31": 31, "smart_invoice": 31}


def _comment_owner(ctx: Ctx, etype_name: str, entity_id: int) -> None:
    etype = _ENTITY_TYPES.get(etype_name.lower())
    if etype is None:
        raise legacy_error("ENTITY_TYPE is not defined or invalid.")
    owner: dict[str, Any] | None
    if etype == 31:
        owner = ctx.store.items.rows.get(entity_id)
        visible = owner is not None and ctx.sees_item(owner)
    else:
        table = {4: ctx.store.companies, 3: ctx.store.contacts, 2: ctx.store.deals}[etype]
        owner = table.rows.get(entity_id)
        visible = owner is not None and ctx.sees(owner)
    if owner is None:
        raise legacy_error("Entity not found.")
    if not visible:
        raise legacy_error("Access denied.", status=403)


def _comment_files(ctx: Ctx, raw: Any) -> dict[str, dict[str, Any]]:
    """``FILES``: ``[[name, base64], …]`` (JSON) or ``FILES[0][0]=…&FILES[0][1]=…`` (form).

    Stored as the portal shows them back: an object keyed by the file's id with ``id``,
    ``name``, ``size``, ``urlDownload`` and ``urlShow``. Content that is not Base64 is
    refused, as the portal refuses a file it cannot save.
    """
    if raw in (None, "", []):
        return {}
    pairs = list(raw.values()) if isinstance(raw, dict) else list(raw)
    files: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        items = list(pair.values()) if isinstance(pair, dict) else list(pair)
        if len(items) < 2 or not str(items[0]).strip():
            raise legacy_error("Invalid file description: [name, base64 content] expected.")
        name, content = str(items[0]), str(items[1])
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise legacy_error(f"Could not save file {name}.") from None
        file_id = ctx.store.next_file_id()
        ctx.store.files[file_id] = (name, data)
        url = f"/bitrix/tools/crm_show_file.php?fileId={file_id}&ownerTypeId=0"
        files[str(file_id)] = {
            "id": file_id,
            "name": name,
            "size": len(data),
            "urlDownload": url,
            "urlShow": url + "&show=y",
        }
    return files


@method("crm.timeline.comment.add", "crm")
def comment_add(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    # since crm 23.100.0 only a lower-case "fields" key is read (Fields/FIELDS are not)
    fields = {k.upper(): v for k, v in as_dict(params.get("fields")).items()}
    text = str(fields.get("COMMENT") or "")
    if not text.strip():
        raise legacy_error("Empty comment message.")
    etype = str(fields.get("ENTITY_TYPE") or "")
    entity_id = as_int(fields.get("ENTITY_ID"))
    _comment_owner(ctx, etype, entity_id)
    row = {
        "CREATED": now_portal(),
        "ENTITY_ID": entity_id,
        "ENTITY_TYPE": etype.lower(),
        "AUTHOR_ID": ctx.user.id,
        "COMMENT": text,
        "FILES": _comment_files(ctx, fields.get("FILES")),
    }
    return Outcome(ctx.store.comments.insert(row), writes=1)


@method("crm.timeline.comment.list", "crm")
def comment_list(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    filt = {k.upper().lstrip("="): v for k, v in as_dict(params.get("filter")).items()}
    if "ENTITY_ID" not in filt or "ENTITY_TYPE" not in filt:
        raise legacy_error("ENTITY_ID and ENTITY_TYPE are required in filter.")
    _comment_owner(ctx, str(filt["ENTITY_TYPE"]), as_int(filt["ENTITY_ID"]))
    return legacy_list(
        params,
        ctx.store.comments,
        _COMMENT_FIELDS,
        samples={"ID": 0, "ENTITY_ID": 0, "AUTHOR_ID": 0, "CREATED": DATETIME_SAMPLE},
    )


def _comment(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return by_id(
        ctx.store.comments,
        params,
        legacy_error,
        "Not found.",
        check=lambda row: _comment_owner(ctx, row["ENTITY_TYPE"], row["ENTITY_ID"]),
    )


@method("crm.timeline.comment.get", "crm")
def comment_get(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return Outcome(legacy_fields(_comment(ctx, params), _COMMENT_FIELDS), rows=1)


@method("crm.timeline.comment.update", "crm")
def comment_update(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    row = _comment(ctx, params)
    if row["AUTHOR_ID"] != ctx.user.id and not ctx.user.admin:
        raise legacy_error("Access denied.", status=403)
    fields = {k.upper(): v for k, v in as_dict(params.get("fields")).items()}
    if "COMMENT" in fields:
        row["COMMENT"] = str(fields["COMMENT"])
    return Outcome(row["ID"], writes=1)


comment_delete = deleting(
    "crm.timeline.comment.delete", "crm", _comment, lambda s: s.comments, "ID"
)


def company_select(select: Any) -> list[str]:
    return select_fields(select, COMPANY_FIELDS, MULTI)
