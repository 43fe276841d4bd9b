"""The legacy CRM list (CDBResult): UPPER_CASE fields, text values, ``start`` floored to 50."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from desktop_sync.sandbox.bitrix24.args import as_list
from desktop_sync.sandbox.bitrix24.query import (
    FilterRules,
    Page,
    compile_filter,
    list_page,
    resolver,
)
from desktop_sync.sandbox.bitrix24.registry import Outcome, paged
from desktop_sync.sandbox.bitrix24.render import legacy_fields


def select_fields(
    select: Any, fields: Sequence[str], multi: Sequence[str] = (), ufs: Sequence[str] = ()
) -> list[str]:
    """``*`` (default) = every plain field; ``UF_*`` = custom fields; multifields by name."""
    wanted = [str(s) for s in as_list(select)]
    if not wanted:
        wanted = ["*", "UF_*"]
    lookup = {f.upper(): f for f in [*fields, *multi, *ufs]}
    out: list[str] = []
    for name in wanted:
        up = name.upper()
        if up == "*":
            out.extend(f for f in fields if f not in out)
        elif up == "UF_*":
            out.extend(f for f in ufs if f not in out)
        elif up in lookup and lookup[up] not in out:
            out.append(lookup[up])
    if "ID" not in out and "ID" in fields:
        out.insert(0, "ID")
    return out


def legacy_page(
    params: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    names: list[str],
    samples: dict[str, Any],
) -> Page:
    """The page of ``rows`` a legacy list's filter, order and ``start`` ask for (any
    field of ``names``; ``samples`` gives a field's type for the filter's values)."""
    rules = FilterRules(resolver(names), strict=False, allow_logic=False, samples=samples)
    raw_filter = params.get("filter") or params.get("FILTER")
    return list_page(
        rows,
        compile_filter(raw_filter, rules),
        order=params.get("order") or params.get("ORDER"),
        resolve=resolver(names),
        id_field="ID",
        start=params.get("start", 0),
        legacy=True,
        raw_filter=raw_filter,
    )


def legacy_list(
    params: dict[str, Any],
    rows: Iterable[dict[str, Any]],
    fields: Sequence[str],
    *,
    multi: Sequence[str] = (),
    samples: dict[str, Any] | None = None,
) -> Outcome:
    page = legacy_page(params, list(rows), list(fields) + list(multi), samples or {})
    chosen = select_fields(params.get("select") or params.get("SELECT"), fields, multi)
    result = [legacy_fields(r, chosen) for r in page.rows]
    return paged(result, len(result), page)


def samples_of(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """One non-empty typed value per field, for coercing filter values."""
    out: dict[str, Any] = {}
    for row in rows:
        for k, v in row.items():
            if k not in out and v not in (None, "", []):
                out[k] = v
    return out
