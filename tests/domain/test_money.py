from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_sync.domain.money import (
    MoneyError,
    dumps_decimal,
    format_rub,
    loads_decimal,
    money,
    round_money,
    row_sum,
    to_decimal,
    total,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.005", "10.01"),  # half up, as 1C rounds
        ("10.004", "10.00"),
        ("-10.005", "-10.01"),  # half away from zero
        ("0.015", "0.02"),
        ("2.675", "2.68"),  # a float would give 2.67
        ("1 234,50", "1234.50"),
        ("1\u00a0000", "1000.00"),
        (7, "7.00"),
        (Decimal("0.1"), "0.10"),
    ],
)
def test_money_rounds_like_1c(raw: object, expected: str) -> None:
    assert money(raw) == Decimal(expected)  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", [1.5, "abc", "", "NaN", "Infinity", True, None])
def test_money_refuses_non_numbers(raw: object) -> None:
    with pytest.raises(MoneyError):
        to_decimal(raw)


def test_json_numbers_are_decimal_and_exact() -> None:
    data = loads_decimal('{"sum": 1234.10, "qty": 3, "price": 0.1}')
    assert data == {"sum": Decimal("1234.10"), "qty": 3, "price": Decimal("0.1")}
    assert isinstance(data["qty"], int)
    text = dumps_decimal({"sum": Decimal("1234.10"), "name": "ООО «Ромашка»"})
    assert text == '{"sum": "1234.10", "name": "ООО «Ромашка»"}'


def test_row_sum_and_total_round_per_row() -> None:
    rows = [row_sum(Decimal("3"), Decimal("33.335")), row_sum(Decimal("1"), Decimal("0.005"))]
    assert rows == [Decimal("100.01"), Decimal("0.01")]
    assert total(rows) == Decimal("100.02")


def test_format_rub() -> None:
    assert format_rub(Decimal("1234567.8")) == "1\u00a0234\u00a0567,80\u00a0₽"
    assert format_rub(Decimal("-5")) == "-5,00\u00a0₽"


@given(st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, places=4))
def test_rounding_is_within_half_kopeck(value: Decimal) -> None:
    rounded = round_money(value)
    assert abs(rounded - value) <= Decimal("0.005")
    assert rounded == round_money(rounded)
    assert round_money(-value) == -rounded  # symmetric: half away from zero


def test_an_answer_holds_each_number_spelling_once() -> None:
    """Issue 18: a CRM answer of 2,500 product rows made a Decimal for every number in
    it (six a row); one per spelling now, and 1.0 and 1.00 stay apart (a Decimal keeps
    its exponent: the spelling is what was sent)."""
    rows = loads_decimal('[{"p": 1.50, "q": 1.0}, {"p": 1.50, "q": 1.00}, {"p": 2.5}]')
    assert rows[0]["p"] is rows[1]["p"] and rows[0]["p"] == Decimal("1.50")
    assert rows[0]["q"] is not rows[1]["q"] and str(rows[1]["q"]) == "1.00"
    again = loads_decimal('{"p": 1.50}')
    assert again["p"] == rows[0]["p"]
