"""Helpers of the virtual tables (A4): function parameters and result row types."""

from __future__ import annotations

import datetime as dt
import re

from desktop_sync.sandbox.onec import errors as E  # noqa: N812
from desktop_sync.sandbox.onec.errors import ODataError
from desktop_sync.sandbox.onec.schema import EntitySet, Field, SetKind, composite, number, ref
from desktop_sync.sandbox.onec.values import parse_datetime


def period_param(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    pm = re.fullmatch(r"datetime'([^']*)'", text)
    if pm is None:
        raise ODataError(400, E.BAD_FUNCTION, "Неверное значение параметра Period")
    try:
        return parse_datetime(pm.group(1))
    except ValueError:
        raise ODataError(400, E.BAD_FUNCTION, "Неверное значение параметра Period") from None


def function_params(text: str) -> dict[str, str]:
    """``Period=datetime'…',Condition='X eq guid'…''``: inner quotes are not doubled (A4)."""
    names = ("Period", "AccountCondition", "Condition", "ExtraDimensions", "Dimensions")
    marks = list(re.finditer(r"(?:^|,)\s*(" + "|".join(names) + r")\s*=", text))
    out: dict[str, str] = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        value = text[m.end() : end].strip()
        if m.group(1) != "Period" and len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        out[m.group(1)] = value
    if text.strip() and not marks:
        raise ODataError(400, E.BAD_FUNCTION, f"Неверные аргументы функции: {text}")
    return out


def balance_set(name: str) -> EntitySet:
    fields: list[Field] = [
        ref("Account", "ChartOfAccounts_Хозрасчетный"),
        ref("Организация", "Catalog_Организации"),
    ]
    for i in (1, 2, 3):
        fields.extend(composite(f"ExtDimension{i}"))
    for r in ("Сумма", "Количество"):
        for suffix in ("Balance", "BalanceDr", "BalanceCr"):
            fields.append(number(r + suffix))
    return EntitySet(f"{name}_Balance", SetKind.VIRTUAL, tuple(fields))
