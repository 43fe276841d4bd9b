"""Numbers and dates as the person's language writes them."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from desktop_sync.i18n import day_label, language, money_label, time_label

NBSP = "\u00a0"


def money(value: Decimal | None) -> str:
    return "" if value is None else money_label(value)


def qty(value: Decimal | None) -> str:
    if value is None:
        return ""
    q = value.normalize()
    text = format(q, "f") if q != q.to_integral_value() else f"{int(q):,}"
    return text.replace(",", NBSP).replace(".", ",") if language() == "ru" else text


def date(value: dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return time_label(value)
    return day_label(value)


def date_edit_format() -> str:
    """What a date field shows, the way the tables write dates (``date``)."""
    return "dd.MM.yyyy" if language() == "ru" else "yyyy-MM-dd"


def phone(text: str) -> str:
    """A Russian number as people write it: +7 (495) 123-45-67; anything else as it is."""
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    if len(digits) != 10 or re.search(r"[^\d\s()+\-.]", text):
        return text  # an extension, a foreign number, words: never mangled
    d = digits
    return f"+7 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}"


def value(v: Any) -> str:
    """Any journal or plan value, readable: money-like Decimals, dates, row tables."""
    if v is None:
        return "—"
    if isinstance(v, Decimal):
        return money(v) if v == v.quantize(Decimal("0.01")) else qty(v)
    if isinstance(v, dt.date):
        return date(v)
    if isinstance(v, list | tuple):
        return "; ".join(value(x) for x in v) or "—"  # an empty list: nothing, as None
    if isinstance(v, dict):
        return ", ".join(f"{k}: {value(x)}" for k, x in v.items())
    text = str(v)
    return text if text else "—"
