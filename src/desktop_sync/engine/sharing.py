"""One object per equal value across a snapshot: what a read or a load shares."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import typing
from decimal import Decimal
from typing import Any

from desktop_sync.domain.entities import Unit

_BY_VALUE = (Unit,)  # frozen records of plain values, one object per value once shared


class Sharing:
    """One object per text and per decimal spelling across a snapshot.

    A decoder makes a new string for every occurrence: a product's reference and name
    repeated over every row that sells it, the same price on thousands of rows, a date
    on every document of the day. A loaded snapshot (``engine.cache``) is made to share
    them: the large set's 332 MB of decoded objects became 221 MB. So is a fresh read,
    a part at a time (``engine.read``): the large set's 95 MB of texts, decimals and
    dates held 44 MB of second copies (issue 18: the large set in 300 MB).

    Records are given their shared values in place: call it only on records just
    made, which nothing else has seen (or has seen only as equal values)."""

    __slots__ = ("decimals", "fields", "texts", "values")

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.decimals: dict[str, Decimal] = {}  # by spelling: 1.0 and 1.00 stay apart
        self.fields: dict[type, tuple[str, ...]] = {}
        # Dates, times and units of measure by value (a document's day, the stock's
        # moment, "796 шт" on every product); a time with its offset, never only the
        # instant (12:00+03:00 is not 09:00+00:00 to whoever prints it).
        self.values: dict[tuple[Any, ...], Any] = {}

    def __call__(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is str:
            return self.texts.setdefault(obj, obj)
        if kind is Decimal:
            return self.decimals.setdefault(str(obj), obj)
        if kind is dt.date:
            return self.values.setdefault((kind, obj), obj)
        if kind is dt.datetime or kind is dt.time:
            return self.values.setdefault((kind, obj, obj.utcoffset()), obj)
        if kind is tuple:
            return tuple([self(item) for item in obj])
        if kind is dict:
            return {self(k): self(v) for k, v in obj.items()}
        if kind is list:
            return [self(item) for item in obj]
        names = self.fields.get(kind)
        if names is None:
            names = self.fields[kind] = _record_fields(kind)
        for name in names:
            value = getattr(obj, name)
            shared = self(value)
            if shared is not value:  # a frozen record just decoded, seen by no one yet
                object.__setattr__(obj, name, shared)
        if kind in _BY_VALUE:
            return self.values.setdefault((kind, obj), obj)
        return obj


def _record_fields(kind: type) -> tuple[str, ...]:
    """The fields of a snapshot record that may hold text, decimals, dates or units (none
    of a number or an enum)."""
    if not dataclasses.is_dataclass(kind):
        return ()
    hints = typing.get_type_hints(kind)
    plain = (bool, int)
    return tuple(
        f.name
        for f in dataclasses.fields(kind)
        if not (
            hints[f.name] in plain
            or (isinstance(hints[f.name], type) and issubclass(hints[f.name], enum.Enum))
        )
    )
