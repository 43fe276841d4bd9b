"""Method registry: lower-case name -> (scope, handler), and what a handler returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from desktop_sync.sandbox.bitrix24.store import Store, Table, User, Webhook, iso

if TYPE_CHECKING:
    from desktop_sync.sandbox.bitrix24.query import Page


@dataclass(frozen=True, slots=True)
class Ctx:
    store: Store
    user: User
    hook: Webhook


@dataclass(frozen=True, slots=True)
class Outcome:
    """A method's ``result`` (already rendered) plus what the envelope and cost need."""

    result: Any
    total: int | None = None
    next: int | None = None
    rows: int = 0
    skipped: int = 0
    counted: int = 0
    writes: int = 0


def removed(table: Table, row_id: int) -> Outcome:
    """Delete one stored row; the portal answers ``true``, one write."""
    del table.rows[row_id]
    return Outcome(True, writes=1)


def paged(result: Any, rendered: int, page: Page) -> Outcome:
    """A list method's outcome: ``result`` (``rendered`` rows of ``page``) and the page's
    total, next start and what it scanned."""
    return Outcome(
        result,
        page.total,
        page.next,
        rows=rendered,
        skipped=page.skipped,
        counted=page.counted,
    )


Handler = Callable[[Ctx, dict[str, Any]], Outcome]

# scope None = basic methods every webhook may call (scope, profile, batch...)
METHODS: dict[str, tuple[frozenset[str] | None, Handler]] = {}


def method(name: str, scope: str | tuple[str, ...] | None) -> Callable[[Handler], Handler]:
    scopes: frozenset[str] | None
    if scope is None:
        scopes = None
    elif isinstance(scope, str):
        scopes = frozenset({scope})
    else:
        scopes = frozenset(scope)

    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = (scopes, handler)
        return handler

    return register


# --- rendering per family ----------------------------------------------------


def legacy(value: Any) -> Any:
    """Legacy CRM (CDBResult) values: every scalar is text; datetimes ISO 8601."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, dict):
        return {k: legacy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [legacy(v) for v in value]
    return value


def orm(value: Any) -> Any:
    """``crm.item``/``catalog`` values: real numbers; datetimes ISO 8601."""
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: orm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [orm(v) for v in value]
    return value


def as_int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {}


def as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    if value in (None, ""):
        return []
    return [value]


def param(params: dict[str, Any], name: str) -> Any:
    """A top-level parameter, looked up as written, then upper/lower case (CRM's resolveParam)."""
    for key in (name, name.upper(), name.lower()):
        if key in params:
            return params[key]
    return None


def yes(value: Any) -> bool:
    return str(value).upper() in ("Y", "1", "TRUE") or value is True
