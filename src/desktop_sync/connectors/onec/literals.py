"""OData v3 literals and ``$filter`` building as 1C expects them (research/onec.md A2, A3).

Every value goes through :func:`literal`; a name with ``'`` or ``"`` can never
break out of its string literal or widen a filter. Field names are checked
against a strict pattern, so a name cannot smuggle an operator either.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
_NAME = re.compile(
    r"^[A-Za-zА-Яа-яЁё_][0-9A-Za-zА-Яа-яЁё_]*(/[A-Za-zА-Яа-яЁё_][0-9A-Za-zА-Яа-яЁё_]*)*$"
)


@dataclass(frozen=True, slots=True)
class Guid:
    """A reference value: ``guid'…'`` in a filter."""

    value: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", str(uuid.UUID(self.value)))


def name(text: str) -> str:
    """A field or path name, refused unless it is a plain identifier path."""
    if not _NAME.match(text):
        raise ValueError(f"not a field name: {text!r}")
    return text


def string(text: str) -> str:
    """``'it''s'``: apostrophes doubled; quotes and «ёлочки» need nothing."""
    return "'" + text.replace("'", "''") + "'"


def guid(value: str | uuid.UUID) -> str:
    return f"guid'{uuid.UUID(str(value))}'"


def datetime(value: dt.datetime | dt.date) -> str:
    """A naive, server-local ``datetime'…'``; an aware value must be converted first."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise ValueError("convert an aware datetime to 1C server time before filtering")
        return f"datetime'{value.replace(microsecond=0).isoformat()}'"
    return f"datetime'{value.isoformat()}T00:00:00'"


def literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Guid):
        return guid(value.value)
    if isinstance(value, uuid.UUID):
        return guid(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite number: {value}")
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date):
        return datetime(value)
    if isinstance(value, str):
        return string(value)
    if value is None:
        return "null"
    raise TypeError(f"no OData literal for {type(value).__name__}")


def _comparison(op: str) -> Callable[[str, object], str]:
    def compare(field_name: str, value: object) -> str:
        return f"{name(field_name)} {op} {literal(value)}"

    compare.__name__ = op
    return compare


eq = _comparison("eq")
ne = _comparison("ne")
ge = _comparison("ge")
le = _comparison("le")
lt = _comparison("lt")
gt = _comparison("gt")


def substringof(needle: str, field_name: str) -> str:
    """1C's substring test (there is no ``contains``)."""
    return f"substringof({string(needle)}, {name(field_name)})"


def and_(*parts: str) -> str:
    """Each part parenthesized, so an ``or`` inside one can never widen the whole."""
    kept = [p for p in parts if p]
    return " and ".join(f"({p})" for p in kept) if len(kept) > 1 else "".join(kept)


def or_(*parts: str) -> str:
    kept = [p for p in parts if p]
    return "(" + " or ".join(kept) + ")" if len(kept) > 1 else (kept[0] if kept else "")


def any_of(field_name: str, refs: list[str]) -> str:
    """``Ref_Key eq guid'a' or Ref_Key eq guid'b' …`` (1C has no ``in``)."""
    return or_(*(eq(field_name, Guid(r)) for r in refs))


@dataclass(slots=True)
class Query:
    """Query options for one request; ``params()`` gives them in 1C's spelling."""

    filter: str = ""
    select: tuple[str, ...] = ()
    expand: tuple[str, ...] = ()
    orderby: tuple[str, ...] = ()
    top: int | None = None
    skip: int | None = None
    inlinecount: bool = False
    allowed_only: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def params(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = [("$format", "json")]
        if self.filter:
            out.append(("$filter", self.filter))
        if self.select:
            out.append(
                ("$select", ",".join(name(s) if s not in ("*", "**") else s for s in self.select))
            )
        if self.expand:
            out.append(("$expand", ",".join(name(e) for e in self.expand)))
        if self.orderby:
            for item in self.orderby:
                name(item.split()[0])
            out.append(("$orderby", ",".join(self.orderby)))
        if self.skip:
            out.append(("$skip", str(self.skip)))
        if self.top is not None:
            out.append(("$top", str(self.top)))
        if self.inlinecount:
            out.append(("$inlinecount", "allpages"))
        if self.allowed_only:
            out.append(("allowedOnly", "true"))
        out.extend(self.extra.items())
        return out


def query_string(params: list[tuple[str, str]]) -> str:
    """Percent-encode with ``%20`` for spaces (1C may not read ``+`` as a space)."""
    return "&".join(f"{quote(k, safe='$')}={quote(v, safe=chr(39) + '(),$:/*')}" for k, v in params)
