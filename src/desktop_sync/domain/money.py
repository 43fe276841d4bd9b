"""Money: ``Decimal`` with two places and 1C's rounding (ROUND_HALF_UP).

Floats never appear here. JSON from either system is parsed with
:func:`loads_decimal`, so a sum such as ``1234.10`` arrives as ``Decimal('1234.10')``.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

KOPECK = Decimal("0.01")
ZERO = Decimal("0.00")
NBSP = "\u00a0"


class MoneyError(ValueError):
    """A value that cannot be a sum of money (text, NaN, infinity, float)."""


def to_decimal(value: object) -> Decimal:
    """Convert an API value (str, int, Decimal) to ``Decimal`` without rounding.

    Floats are refused: they have already lost the kopecks' exactness.
    """
    if type(value) is Decimal and value.is_finite():  # most calls: as JSON was parsed
        return value
    if isinstance(value, bool):
        raise MoneyError(f"not a number: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        if not text:
            raise MoneyError("empty value where a number was expected")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise MoneyError(f"not a number: {value!r}") from None
    elif isinstance(value, float):
        raise MoneyError(f"float {value!r} refused: parse JSON with loads_decimal")
    else:
        raise MoneyError(f"not a number: {value!r}")
    if not result.is_finite():
        raise MoneyError(f"not a finite number: {value!r}")
    return result


def round_money(value: Decimal | int | str) -> Decimal:
    """Round to kopecks the way 1C does (half away from zero)."""
    if type(value) is Decimal and value.is_finite():  # most calls: no conversion to make
        return value.quantize(KOPECK, rounding=ROUND_HALF_UP)
    return to_decimal(value).quantize(KOPECK, rounding=ROUND_HALF_UP)


def money(value: Decimal | int | str) -> Decimal:
    """Parse and round a sum of money: ``money("10.005") == Decimal("10.01")``."""
    return round_money(value)


def row_sum(quantity: Decimal, price: Decimal, discount: Decimal = ZERO) -> Decimal:
    """A document row's sum: quantity × price − discount, rounded per row."""
    return round_money(quantity * price - discount)


def total(sums: list[Decimal] | tuple[Decimal, ...]) -> Decimal:
    """A document total: the sum of already rounded row sums."""
    return round_money(sum(sums, ZERO))


def format_rub(value: Decimal) -> str:
    """``1234567.8`` → ``'1 234 567,80 ₽'`` (Russian grouping, non-breaking spaces)."""
    q = round_money(value)
    sign = "-" if q < 0 else ""
    grouped = f"{abs(q):,.2f}".replace(",", NBSP).replace(".", ",")
    return f"{sign}{grouped}{NBSP}₽"


def _parse_int(text: str) -> int:
    return int(text)


def loads_decimal(data: str | bytes) -> Any:
    """``json.loads`` with every non-integer number parsed as ``Decimal``, one object per
    spelling in the answer (a Decimal is immutable): a batch of 2,500 product rows holds
    six numbers a row, most of them the same few prices and rates (issue 18: the large
    set's CRM read held its raw rows' 360,000 numbers until they were mapped)."""
    spelled: dict[str, Decimal] = {}

    def parse_float(text: str) -> Decimal:
        found = spelled.get(text)
        if found is None:
            found = spelled[text] = Decimal(text)
        return found

    return json.loads(data, parse_float=parse_float, parse_int=_parse_int)


class _DecimalEncoder(json.JSONEncoder):
    def default(self, o: object) -> Any:
        if isinstance(o, Decimal):
            # Sent as a string: both 1C and Bitrix24 accept numeric strings, and no
            # float conversion can creep in.
            return str(o)
        return super().default(o)


def dumps_decimal(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` that writes ``Decimal`` as an exact string and keeps Cyrillic."""
    kwargs.setdefault("ensure_ascii", False)
    return json.dumps(obj, cls=_DecimalEncoder, **kwargs)
