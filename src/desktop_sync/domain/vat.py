"""VAT rates (Ставки НДС) and VAT extraction.

The standard rate follows the moment the tax base arises: 22% from 2026-01-01
(federal law 425-FZ of 28.11.2025), 20% before. 0% and "без НДС" are different
rates. Calculated rates (20/120, 22/122, ...) apply to prepayments and to tax
withheld by an agent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from desktop_sync.domain.money import ZERO, round_money

STANDARD_22_FROM = dt.date(2026, 1, 1)


class VatRate(Enum):
    """A VAT rate as 1C names it (``Перечисление.СтавкиНДС``)."""

    VAT22 = "НДС22"
    VAT20 = "НДС20"
    VAT18 = "НДС18"
    VAT10 = "НДС10"
    VAT7 = "НДС7"
    VAT5 = "НДС5"
    VAT0 = "НДС0"
    WITHOUT = "БезНДС"
    VAT22_122 = "НДС22_122"
    VAT20_120 = "НДС20_120"
    VAT18_118 = "НДС18_118"
    VAT10_110 = "НДС10_110"
    VAT7_107 = "НДС7_107"
    VAT5_105 = "НДС5_105"

    @property
    def percent(self) -> Decimal | None:
        """The nominal percent; ``None`` for "без НДС" (no VAT at all)."""
        return _PERCENT[self]

    @property
    def is_calculated(self) -> bool:
        """A calculated rate (22/122): the sum already contains the VAT."""
        return "_" in self.value

    @property
    def onec_name(self) -> str:
        return self.value

    @classmethod
    def from_onec(cls, name: str) -> VatRate:
        """Parse 1C's enumeration name; raises ``ValueError`` naming the value."""
        rate = _BY_NAME.get(name) if isinstance(name, str) else None
        if rate is None:  # (each row of every 1C document read asks: not a scan each time)
            raise ValueError(f"unknown VAT rate {name!r}")
        return rate

    @classmethod
    def from_percent(cls, percent: Decimal | int | None) -> VatRate:
        """A nominal rate from a percent (``None`` = without VAT).

        Raises ``ValueError`` for a percent that is no Russian VAT rate, so a CRM
        row with, say, 18.5% is reported, never silently mapped.
        """
        if percent is None:
            return cls.WITHOUT
        p = Decimal(percent).normalize()
        for rate in _NOMINAL:
            if rate.percent is not None and rate.percent == p:
                return rate
        raise ValueError(f"{percent}% is not a VAT rate in Russia")


_PERCENT: dict[VatRate, Decimal | None] = {
    VatRate.VAT22: Decimal(22),
    VatRate.VAT20: Decimal(20),
    VatRate.VAT18: Decimal(18),
    VatRate.VAT10: Decimal(10),
    VatRate.VAT7: Decimal(7),
    VatRate.VAT5: Decimal(5),
    VatRate.VAT0: Decimal(0),
    VatRate.WITHOUT: None,
    VatRate.VAT22_122: Decimal(22),
    VatRate.VAT20_120: Decimal(20),
    VatRate.VAT18_118: Decimal(18),
    VatRate.VAT10_110: Decimal(10),
    VatRate.VAT7_107: Decimal(7),
    VatRate.VAT5_105: Decimal(5),
}

_BY_NAME: dict[str, VatRate] = {rate.value: rate for rate in VatRate}

_NOMINAL = (
    VatRate.VAT22,
    VatRate.VAT20,
    VatRate.VAT18,
    VatRate.VAT10,
    VatRate.VAT7,
    VatRate.VAT5,
    VatRate.VAT0,
)

_CALCULATED = {
    VatRate.VAT22: VatRate.VAT22_122,
    VatRate.VAT20: VatRate.VAT20_120,
    VatRate.VAT18: VatRate.VAT18_118,
    VatRate.VAT10: VatRate.VAT10_110,
    VatRate.VAT7: VatRate.VAT7_107,
    VatRate.VAT5: VatRate.VAT5_105,
}


def standard_rate(tax_base_date: dt.date) -> VatRate:
    """The standard rate on the day the tax base arises (shipment or prepayment)."""
    return VatRate.VAT22 if tax_base_date >= STANDARD_22_FROM else VatRate.VAT20


def calculated_rate(rate: VatRate) -> VatRate:
    """The calculated rate for a nominal one (22% → 22/122), for prepayments."""
    if rate.is_calculated:
        return rate
    try:
        return _CALCULATED[rate]
    except KeyError:
        raise ValueError(f"{rate.value} has no calculated rate") from None


def vat_in_sum(amount: Decimal, rate: VatRate) -> Decimal:
    """VAT contained in a sum that includes it: sum × rate / (100 + rate), per row."""
    p = rate.percent
    if p is None or p == 0:
        return ZERO
    return round_money(amount * p / (Decimal(100) + p))


def vat_on_top(amount: Decimal, rate: VatRate) -> Decimal:
    """VAT to add to a sum that excludes it: sum × rate / 100, per row."""
    p = rate.percent
    if p is None or p == 0:
        return ZERO
    return round_money(amount * p / Decimal(100))


@dataclass(frozen=True, slots=True)
class VatAmount:
    """A row's VAT: the rate and the amount in roubles."""

    rate: VatRate
    amount: Decimal
