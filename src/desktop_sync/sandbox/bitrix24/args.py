"""What a method reads from its parameters, as leniently as the portal reads them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop_sync.sandbox.bitrix24.errors import RestError
from desktop_sync.sandbox.bitrix24.store import Table


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


def by_id(
    table: Table,
    params: dict[str, Any],
    error: Callable[[str], RestError],
    missing: str,
    *,
    key: str = "id",
    visible: Callable[[dict[str, Any]], bool] | None = None,
    check: Callable[[dict[str, Any]], object] | None = None,
) -> dict[str, Any]:
    """The stored row the parameter ``key`` names. The portal's ``error`` says
    ``missing`` when there is none and "Access denied." when the caller may not see it
    (``visible``); ``check`` raises what else the portal refuses the row for."""
    row = table.rows.get(as_int(param(params, key)))
    if row is None:
        raise error(missing)
    if visible is not None and not visible(row):
        raise error("Access denied.")
    if check is not None:
        check(row)
    return row


def yes(value: Any) -> bool:
    return str(value).upper() in ("Y", "1", "TRUE") or value is True
