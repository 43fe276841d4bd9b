"""How each method family renders stored values: legacy CRM as text, ``crm.item`` and
``catalog`` as real numbers; datetimes ISO 8601 in both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from desktop_sync.sandbox.bitrix24.store import iso


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


def legacy_fields(row: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The fields ``names`` of a stored row, rendered as legacy CRM renders them."""
    return {f: legacy(row.get(f)) for f in names}


def orm_fields(row: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The fields ``names`` of a stored row, rendered as ``crm.item``/``catalog`` do."""
    return {f: orm(row.get(f)) for f in names}
