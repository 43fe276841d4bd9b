import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_sync.domain.money import round_money
from desktop_sync.domain.vat import (
    VatRate,
    calculated_rate,
    standard_rate,
    vat_in_sum,
    vat_on_top,
)


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (dt.date(2025, 12, 31), VatRate.VAT20),
        (dt.date(2026, 1, 1), VatRate.VAT22),
        (dt.date(2026, 11, 23), VatRate.VAT22),
        (dt.date(2019, 1, 1), VatRate.VAT20),
    ],
)
def test_standard_rate_follows_the_tax_base_date(day: dt.date, rate: VatRate) -> None:
    assert standard_rate(day) is rate


@pytest.mark.parametrize(
    ("amount", "rate", "vat"),
    [
        ("122.00", VatRate.VAT22, "22.00"),
        ("120.00", VatRate.VAT20, "20.00"),
        ("110.00", VatRate.VAT10, "10.00"),
        ("100.00", VatRate.VAT0, "0.00"),
        ("100.00", VatRate.WITHOUT, "0.00"),
        ("105.00", VatRate.VAT5, "5.00"),
        ("107.00", VatRate.VAT7, "7.00"),
        ("1000.00", VatRate.VAT22_122, "180.33"),
        ("19015.84", VatRate.VAT22, "3429.09"),
        ("0.01", VatRate.VAT22, "0.00"),
    ],
)
def test_vat_in_sum(amount: str, rate: VatRate, vat: str) -> None:
    assert vat_in_sum(Decimal(amount), rate) == Decimal(vat)


def test_zero_and_without_vat_are_different_rates() -> None:
    assert VatRate.VAT0 is not VatRate.WITHOUT
    assert VatRate.VAT0.percent == 0
    assert VatRate.WITHOUT.percent is None
    assert VatRate.from_percent(0) is VatRate.VAT0
    assert VatRate.from_percent(None) is VatRate.WITHOUT


def test_calculated_rates() -> None:
    assert calculated_rate(VatRate.VAT22) is VatRate.VAT22_122
    assert calculated_rate(VatRate.VAT20) is VatRate.VAT20_120
    assert VatRate.VAT22_122.is_calculated
    with pytest.raises(ValueError, match="НДС0"):
        calculated_rate(VatRate.VAT0)


def test_unknown_rates_are_refused_by_name() -> None:
    assert VatRate.from_onec("НДС22") is VatRate.VAT22
    with pytest.raises(ValueError, match="НДС99"):
        VatRate.from_onec("НДС99")
    with pytest.raises(ValueError, match=r"18\.5"):
        VatRate.from_percent(Decimal("18.5"))


@given(
    st.decimals(min_value=0, max_value=10**8, places=2, allow_nan=False),
    st.sampled_from([VatRate.VAT22, VatRate.VAT20, VatRate.VAT10, VatRate.VAT5, VatRate.VAT7]),
)
def test_vat_extraction_is_consistent_with_adding_on_top(amount: Decimal, rate: VatRate) -> None:
    inside = vat_in_sum(amount, rate)
    net = amount - inside
    # Adding VAT back on top of the net gives the gross within one kopeck of rounding.
    assert abs(round_money(net + vat_on_top(net, rate)) - amount) <= Decimal("0.01")
    assert 0 <= inside <= amount
