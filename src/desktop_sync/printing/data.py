"""The invoice «Счёт на оплату» as plain data, and the figures and words its form prints.

The words are Russian whatever the window's language: the document goes to a Russian
buyer and its bank, so they are fixed text here, not interface strings. num2words says
the sum in words (docs/decisions/printable-invoice.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from desktop_sync.domain.money import ZERO, round_money
from desktop_sync.domain.vat import VatRate


class PrintingError(ValueError):
    """The invoice cannot be printed; the message names the record and the field."""


@dataclass(frozen=True, slots=True)
class Party:
    """A seller or a buyer as the form shows it."""

    name: str
    inn: str = ""
    kpp: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True)
class BankAccount:
    """The seller's settlement account and its bank."""

    account: str  # расчётный счёт, 20 digits
    bank_name: str
    bic: str  # БИК, 9 digits
    correspondent_account: str = ""  # корр. счёт, 20 digits ("" for the Bank of Russia)
    bank_city: str = ""


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    name: str
    quantity: Decimal
    unit: str
    price: Decimal
    amount: Decimal  # the row's sum as 1C holds it
    vat_rate: VatRate = VatRate.WITHOUT
    vat_amount: Decimal = ZERO

    @property
    def discount(self) -> Decimal:
        """«Скидка»: what price × quantity lacks of the row's sum (1C's СуммаСкидки with
        any automatic discount). Derived from the figures the form shows, so every printed
        row adds up to the kopeck and the version (:mod:`.version`) does not move."""
        return round_money(self.quantity * self.price) - self.amount


@dataclass(frozen=True, slots=True)
class PrintableInvoice:
    number: str
    date: dt.date
    seller: Party
    bank: BankAccount
    buyer: Party
    rows: Sequence[InvoiceRow]
    prices_include_vat: bool = True
    purpose: str = ""  # назначение платежа; by default «Оплата по счёту № … от …»
    director: str = ""  # руководитель (for the signature line)
    accountant: str = ""  # главный бухгалтер
    notes: Sequence[str] = field(default_factory=tuple)

    @property
    def subtotal(self) -> Decimal:
        """«Итого»: the sum of the rows."""
        return sum((r.amount for r in self.rows), ZERO)

    def vat_by_rate(self) -> list[tuple[VatRate, Decimal]]:
        """VAT per rate, in the order the rates first appear in the rows."""
        totals: dict[VatRate, Decimal] = {}
        for row in self.rows:
            totals[row.vat_rate] = totals.get(row.vat_rate, ZERO) + row.vat_amount
        return list(totals.items())

    @property
    def vat_total(self) -> Decimal:
        return sum((r.vat_amount for r in self.rows), ZERO)

    @property
    def total(self) -> Decimal:
        """«Всего к оплате»."""
        if self.prices_include_vat:
            return round_money(self.subtotal)
        return round_money(self.subtotal + self.vat_total)

    @property
    def title(self) -> str:
        return f"Счёт на оплату № {self.number} от {self.date:%d.%m.%Y}"

    @property
    def payment_purpose(self) -> str:
        if self.purpose:
            return self.purpose
        text = f"Оплата по счёту № {self.number} от {self.date:%d.%m.%Y}"
        vat = [(rate, amount) for rate, amount in self.vat_by_rate() if rate.percent and amount]
        if vat:
            parts = [f"НДС {rate_text(rate)} {money_text(amount)} руб." for rate, amount in vat]
            return f"{text}, в т.ч. " + ", ".join(parts)
        return f"{text}, без налога (НДС)"


def money_text(value: Decimal) -> str:
    """``1234567.5`` → ``1 234 567,50`` (a no-break space between thousands)."""
    text = f"{round_money(value):,.2f}"
    return text.replace(",", "\u00a0").replace(".", ",")


def quantity_text(value: Decimal) -> str:
    """``3`` → ``3``, ``2.500`` → ``2,5``."""
    if value == value.to_integral_value():
        return f"{int(value):,}".replace(",", "\u00a0")
    return format(value.normalize(), "f").replace(".", ",")


def rate_text(rate: VatRate) -> str:
    """``20%``, a calculated rate as ``20/120``, or «без НДС»."""
    percent = rate.percent
    if percent is None:
        return "без НДС"
    if rate.is_calculated:
        base = int(percent)
        return f"{base}/{100 + base}"
    return f"{int(percent)}%"


def amount_in_words(value: Decimal) -> str:
    """«Сто двадцать три рубля 45 копеек»: roubles in words, kopecks in digits.

    num2words says it; we only capitalise, as the form does. Older num2words releases
    (the newest with a Windows wheel) join the two parts with a comma: dropped.
    """
    from num2words import num2words  # imported when an invoice is printed (issue 18)

    text = num2words(round_money(value), lang="ru", to="currency", currency="RUB", cents=False)
    text = " ".join(str(text).replace(",", " ").split())
    return text[:1].upper() + text[1:]
