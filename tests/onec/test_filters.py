"""The sandbox's $filter evaluator on its own (1C's operators and functions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from desktop_sync.sandbox.onec.bp30 import build_schema
from desktop_sync.sandbox.onec.errors import ODataError
from desktop_sync.sandbox.onec.filters import Evaluator, Parser

SCHEMA = build_schema()
INV = SCHEMA.sets["Document_СчетНаОплатуПокупателю"]
REC: dict[str, Any] = {
    "Ref_Key": "11111111-1111-1111-1111-111111111111",
    "Number": "СВ00-000012",
    "Date": dt.datetime(2026, 2, 3, 10, 0, 0),
    "Posted": True,
    "DeletionMark": False,
    "СуммаДокумента": Decimal("1500.50"),
    "Контрагент_Key": "00000000-0000-0000-0000-000000000000",
    "Комментарий": "Срочно",
    "Товары": [{"LineNumber": 1, "Цена": Decimal(100)}, {"LineNumber": 2, "Цена": Decimal(5)}],
}


def ok(text: str) -> bool:
    ev = Evaluator(INV, lambda s, k: None, SCHEMA.get)
    node = Parser(text).parse()
    ev.check(node)
    return ev.matches(node, REC)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Posted eq true and DeletionMark eq false", True),
        ("not (Posted eq true)", False),
        ("Posted eq false or СуммаДокумента gt 1000", True),
        ("СуммаДокумента sub 500.50 eq 1000", True),
        ("СуммаДокумента mul 2 ge 3001", True),
        ("year(Date) eq 2026 and month(Date) eq 2 and day(Date) eq 3", True),
        ("Date ge datetime'2026-02-01T00:00:00' and Date lt datetime'2026-03-01T00:00:00'", True),
        ("startswith(Number, 'СВ00') and endswith(Number, '12')", True),
        ("concat(Number, 'x') eq 'СВ00-000012x'", True),
        ("Контрагент_Key eq guid'00000000-0000-0000-0000-000000000000'", True),
        ("Ref_Key ne guid'11111111-1111-1111-1111-111111111112'", True),
        ("Товары/any(d: d/Цена gt 50)", True),
        ("Товары/all(d: d/Цена gt 50)", False),
        ("substringof('сроч', Комментарий)", True),
        ("like(Number, 'СВ__-%')", True),
    ],
)
def test_operators(text: str, want: bool) -> None:
    assert ok(text) is want


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Ref_Key gt guid'11111111-1111-1111-1111-111111111112'", "14"),
        ("indexof(Number, 'С') eq 0", "21"),
        ("trim(Number) eq 'a'", "21"),
        ("Posted eq", "14"),
        ("(Posted eq true", "14"),
    ],
)
def test_refusals(text: str, code: str) -> None:
    with pytest.raises(ODataError) as e:
        ok(text)
    assert e.value.code == code
