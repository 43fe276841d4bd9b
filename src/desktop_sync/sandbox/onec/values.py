"""Field values: defaults, parsing what a client writes, and 1C's JSON forms."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop_sync.sandbox.onec.errors import BAD_VALUE, ODataError
from desktop_sync.sandbox.onec.schema import EMPTY_DATE, ZERO_GUID, Field, Kind, Schema

GUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
UNDEFINED = "StandardODATA.Undefined"

Value = str | bool | Decimal | int | dt.datetime | None


def default(f: Field) -> Value:
    match f.kind:
        case Kind.GUID:
            return ZERO_GUID
        case Kind.BOOL:
            return False
        case Kind.DOUBLE:
            return Decimal(0)
        case Kind.INT64:
            return 0
        case Kind.DATETIME:
            return None
        case Kind.COMPOSITE_TYPE:
            return UNDEFINED
        case _:
            return ""


def _bad(f: Field, value: object, owner: str) -> ODataError:
    return ODataError(
        400, BAD_VALUE, f"Неверное значение свойства '{f.name}' сущности '{owner}': {value!r}"
    )


def parse_datetime(text: str) -> dt.datetime | None:
    """1C's naive ``YYYY-MM-DDTHH:MM:SS``; offsets are refused (stricter than maybe-1C)."""
    if text == EMPTY_DATE:
        return None
    if not DATE_RE.match(text):
        raise ValueError(text)
    return dt.datetime.fromisoformat(text)


def coerce(f: Field, value: Any, schema: Schema, owner: str) -> Value:
    """Turn a JSON value written by a client into the stored value, or refuse it."""
    try:
        return _COERCE.get(f.kind, _string)(f, value, schema)
    except (ValueError, InvalidOperation):
        raise _bad(f, value, owner) from None


# Each kind's reading of a written value: the stored value, or ValueError.


def _guid(f: Field, value: Any, schema: Schema) -> Value:
    if value is None or value == "":
        return ZERO_GUID
    if not isinstance(value, str) or not GUID_RE.match(value):
        raise ValueError
    return value.lower()


def _bool(f: Field, value: Any, schema: Schema) -> Value:
    if not isinstance(value, bool):
        raise ValueError
    return value


def _double(f: Field, value: Any, schema: Schema) -> Value:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise ValueError
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError
    return number


def _int64(f: Field, value: Any, schema: Schema) -> Value:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    raise ValueError


def _datetime(f: Field, value: Any, schema: Schema) -> Value:
    if not isinstance(value, str):
        raise ValueError
    return parse_datetime(value)


def _enum(f: Field, value: Any, schema: Schema) -> Value:
    if not isinstance(value, str):
        raise ValueError
    if value and value not in schema.enums.get(f.enum, ()):
        raise ValueError
    return value


def _string(f: Field, value: Any, schema: Schema) -> Value:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError
    # 1C silently cuts a string to the attribute's length.
    return value[: f.length] if f.length else value


_COERCE: dict[Kind, Callable[[Field, Any, Schema], Value]] = {
    Kind.GUID: _guid,
    Kind.BOOL: _bool,
    Kind.DOUBLE: _double,
    Kind.INT64: _int64,
    Kind.DATETIME: _datetime,
    Kind.ENUM: _enum,
}


def to_json(f: Field, value: Value) -> Any:
    """A stored value in 1C's JSON form (Int64 as a string, empty date as year 1)."""
    if f.kind is Kind.INT64:
        return str(value)
    if f.kind is Kind.DATETIME:
        return EMPTY_DATE if value is None else format_datetime(value)  # type: ignore[arg-type]
    return value


def format_datetime(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def format_decimal(value: Decimal) -> str:
    """``150129``, ``22729.17``: no exponent, no trailing zeros (1C's Edm.Double)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text
