"""Product row arithmetic, as the portal derives a row's prices (research §4).

``price`` is the final unit price: after the discount, with the tax. The rest
follows: ``priceExclusive`` = price without tax; ``priceNetto`` = before the
discount, without tax; ``priceBrutto`` = before the discount, with tax;
``discountSum`` = per unit, on the price without tax. The documented example
(price 80000, 20% discount, 20% tax included) gives 66666.67 / 83333.34 /
100000.01 / 16666.67, and so does this.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def dec(value: Any, default: str = "0") -> Decimal:
    if value is None or value == "":
        return Decimal(default)
    return Decimal(str(value).strip().replace(",", "."))


def compute(row: dict[str, Any]) -> None:
    """Fill the derived prices of ``row`` (native Decimals) in place."""
    price = money(row["price"])
    rate = row["taxRate"]
    factor = Decimal(1) + (rate / 100 if rate is not None else Decimal(0))
    exclusive = money(price / factor)
    if row["discountTypeId"] == 1:
        discount = money(row["discountSum"])
        netto = exclusive + discount
        row["discountRate"] = money(discount * 100 / netto) if netto else Decimal(0)
    else:
        disc_rate = row["discountRate"]
        netto = money(exclusive / (1 - disc_rate / 100)) if disc_rate < 100 else exclusive
        discount = netto - exclusive
    row["price"] = price
    row["priceAccount"] = price
    row["priceExclusive"] = exclusive
    row["priceNetto"] = netto
    row["priceBrutto"] = money(netto * factor)
    row["discountSum"] = money(discount)


def row_total(row: dict[str, Any]) -> Decimal:
    return money(row["price"] * row["quantity"])


def row_tax(row: dict[str, Any]) -> Decimal:
    return money((row["price"] - row["priceExclusive"]) * row["quantity"])
