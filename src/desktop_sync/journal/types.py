"""Column types that keep money exact and time zones explicit on any database."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import Dialect, String, Text
from sqlalchemy.types import TypeDecorator


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal stored as its exact text: SQLite has no exact numeric type."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """An aware datetime stored as UTC ISO text; naive values are refused."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: the journal stores aware UTC times")
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")

    def process_result_value(self, value: str | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else dt.datetime.fromisoformat(value)


def _encode(o: object) -> Any:
    if isinstance(o, Decimal):
        return {"$dec": str(o)}
    if isinstance(o, dt.datetime | dt.date):
        return {"$date": o.isoformat()}
    raise TypeError(f"cannot store {type(o).__name__} in the journal")


def _decode(d: dict[str, Any]) -> Any:
    if len(d) == 1:
        if "$dec" in d:
            return Decimal(d["$dec"])
        if "$date" in d:
            text = d["$date"]
            return (
                dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
            )
    return d


def dumps_journal(value: Any) -> str:
    """JSON that brings Decimals, dates and times back exactly as they went in."""
    return json.dumps(value, default=_encode, ensure_ascii=False, sort_keys=True)


def loads_journal(text: str) -> Any:
    return json.loads(text, object_hook=_decode)


class SharedJson:
    """Many journal JSON texts decoded with each text, decimal and date held once.

    ``json.loads`` makes new objects for every key and value of every text: the links
    of the large set (30,000 rows, two texts each) repeat the same keys, references,
    VAT names and amounts thousands of times (issue 18, the large set in 300 MB).
    Only immutable values are shared; every dict and list is the text's own."""

    __slots__ = ("_decoder",)

    def __init__(self, texts: dict[str, str] | None = None) -> None:
        """``texts``: text -> the object to hold it as, taken over and filled (a caller
        sharing texts with what it holds already)."""
        # The decoder's hook holds the tables, never this object: no reference cycle, so
        # the tables go with the read, not at the next collection (the planner pauses
        # the collector: the large set's 3.8 MB of tables stayed through the plan).
        self._decoder = json.JSONDecoder(object_pairs_hook=_SharedObjects(texts))

    def __call__(self, text: str) -> Any:
        return self._decoder.decode(text)


class _SharedObjects:
    """:class:`SharedJson`'s hook: each JSON object with its texts and typed values shared."""

    __slots__ = ("texts", "typed")

    def __init__(self, texts: dict[str, str] | None = None) -> None:
        self.texts: dict[str, str] = {} if texts is None else texts
        self.typed: dict[tuple[str, str], Any] = {}  # ("$dec" | "$date", spelling)

    def _value(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return self.texts.setdefault(value, value)
        if kind is list:
            return [self._value(item) for item in value]
        return value  # a number, None, or an object already shared by __call__

    def __call__(self, pairs: list[tuple[str, Any]]) -> Any:
        d = {self.texts.setdefault(k, k): self._value(v) for k, v in pairs}
        if len(d) == 1 and ("$dec" in d or "$date" in d):
            [key] = d.items()
            typed = self.typed.get(key)
            if typed is None:
                typed = self.typed[key] = _decode(d)
            return typed
        return d


class JsonDecimal(TypeDecorator[Any]):
    """JSON with Decimals and dates kept exact and typed."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else dumps_journal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else loads_journal(value)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
