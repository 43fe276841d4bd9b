"""The business objects both systems are translated into.

Frozen, typed dataclasses. Identity across systems is kept by references:
``onec_ref`` (a 1C GUID as text) and ``crm_id`` (a Bitrix24 integer id), either
of which may be ``None`` when the record exists only on the other side.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from desktop_sync.domain.money import ZERO, round_money, total
from desktop_sync.domain.vat import VatRate, vat_in_sum, vat_on_top


class CounterpartyKind(Enum):
    """Юридическое лицо, индивидуальный предприниматель, физическое лицо."""

    ORGANIZATION = "organization"
    SOLE_TRADER = "sole_trader"
    PERSON = "person"


class ProductKind(Enum):
    GOODS = "goods"
    SERVICE = "service"


@dataclass(frozen=True, slots=True)
class Requisite:
    """One set of tax requisites (ИНН + КПП); a company may hold several."""

    inn: str
    kpp: str = ""
    full_name: str = ""
    crm_id: int | None = None
    name: str = ""  # the short name the requisite carries (ООО «Ромашка»)


@dataclass(frozen=True, slots=True)
class Counterparty:
    name: str
    kind: CounterpartyKind
    inn: str = ""
    kpp: str = ""
    full_name: str = ""
    onec_ref: str | None = None
    crm_id: int | None = None
    phone: str = ""
    email: str = ""
    requisites: tuple[Requisite, ...] = ()
    deleted: bool = False
    # UT 11: the Партнёр (the customer) this legal entity belongs to; several
    # counterparties of one partner are one CRM company with a requisite each.
    partner_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Contract:
    """Договор контрагента; ``kind`` is 1C's ВидДоговора (``СПокупателем``...)."""

    name: str
    counterparty_ref: str
    kind: str = "СПокупателем"
    onec_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit of measure by its ОКЕИ code (796 = шт)."""

    okei: str
    name: str
    onec_ref: str | None = None
    crm_id: int | None = None


@dataclass(frozen=True, slots=True)
class PriceType:
    name: str
    onec_ref: str | None = None
    crm_id: int | None = None
    base: bool = False


@dataclass(frozen=True, slots=True)
class Warehouse:
    name: str
    onec_ref: str | None = None
    crm_id: int | None = None


@dataclass(frozen=True, slots=True)
class Product:
    name: str
    kind: ProductKind = ProductKind.GOODS
    article: str = ""
    unit: Unit | None = None
    vat_rate: VatRate = VatRate.VAT22
    price: Decimal | None = None
    onec_ref: str | None = None
    crm_id: int | None = None
    deleted: bool = False
    # UT 11: packages ("Коробка (10 шт)", base units in one) and characteristics
    # (sizes, colours): 1C sells by them, a CRM catalog product holds neither.
    packages: tuple[tuple[str, Decimal], ...] = ()
    characteristics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """A document row. ``amount`` is the row sum as the document states it."""

    line_no: int
    product_name: str
    quantity: Decimal
    price: Decimal
    amount: Decimal
    vat_rate: VatRate
    vat_amount: Decimal
    vat_included: bool = True
    discount: Decimal = ZERO
    product_ref: str | None = None
    product_crm_id: int | None = None
    unit_okei: str = "796"

    @property
    def total_with_vat(self) -> Decimal:
        return self.amount if self.vat_included else round_money(self.amount + self.vat_amount)


def make_line(
    line_no: int,
    product_name: str,
    quantity: Decimal,
    price: Decimal,
    vat_rate: VatRate,
    *,
    vat_included: bool = True,
    discount: Decimal = ZERO,
    product_ref: str | None = None,
    product_crm_id: int | None = None,
    unit_okei: str = "796",
) -> InvoiceLine:
    """Build a row the way 1C computes it: sum and VAT rounded per row."""
    amount = round_money(quantity * price - discount)
    vat = vat_in_sum(amount, vat_rate) if vat_included else vat_on_top(amount, vat_rate)
    return InvoiceLine(
        line_no=line_no,
        product_name=product_name,
        quantity=quantity,
        price=price,
        amount=amount,
        vat_rate=vat_rate,
        vat_amount=vat,
        vat_included=vat_included,
        discount=discount,
        product_ref=product_ref,
        product_crm_id=product_crm_id,
        unit_okei=unit_okei,
    )


@dataclass(frozen=True, slots=True)
class LinesDocument:
    """What an invoice, a shipment and a return share: number, date, customer, lines."""

    number: str
    date: dt.date
    counterparty_ref: str | None
    lines: tuple[InvoiceLine, ...]

    @property
    def total(self) -> Decimal:
        return total([line.total_with_vat for line in self.lines])


@dataclass(frozen=True, slots=True)
class Invoice(LinesDocument):
    """Счёт на оплату покупателю (BP) / Заказ клиента (UT) / smart invoice (CRM)."""

    currency: str = "RUB"
    onec_ref: str | None = None
    crm_id: int | None = None
    counterparty_crm_id: int | None = None
    counterparty_name: str = ""
    contract_ref: str | None = None
    comment: str = ""
    stage: str = ""
    posted: bool = False
    deleted: bool = False
    organization_ref: str | None = None  # 1C: the organisation that issued it

    @property
    def vat_total(self) -> Decimal:
        return total([line.vat_amount for line in self.lines])

    @property
    def year_number(self) -> str:
        """``number/year``: 1C numbers restart every year, so a number alone is ambiguous."""
        return f"{self.number}/{self.date.year}"


class PaymentKind(Enum):
    BANK = "bank"  # Поступление на расчётный счёт
    CASH = "cash"  # ПКО
    CARD = "card"  # Операция по платёжной карте
    BANK_REFUND = "bank_refund"  # Списание с расчётного счёта (возврат покупателю)
    CASH_REFUND = "cash_refund"  # РКО (возврат покупателю)

    @property
    def is_refund(self) -> bool:
        return self in (PaymentKind.BANK_REFUND, PaymentKind.CASH_REFUND)


@dataclass(frozen=True, slots=True)
class Allocation:
    """One row of РасшифровкаПлатежа: part of a payment allocated to an invoice.

    ``invoice_ref`` is ``None`` when the row names no invoice (to be matched and
    confirmed by the accountant).
    """

    amount: Decimal
    invoice_ref: str | None = None
    contract_ref: str | None = None
    line_no: int = 1


@dataclass(frozen=True, slots=True)
class Payment:
    number: str
    date: dt.date
    kind: PaymentKind
    amount: Decimal
    counterparty_ref: str | None
    allocations: tuple[Allocation, ...] = ()
    purpose: str = ""
    posted: bool = True
    deleted: bool = False
    onec_ref: str | None = None

    @property
    def effect(self) -> Decimal:
        """Signed effect on what the customer has paid: refunds lower it."""
        return -self.amount if self.kind.is_refund else self.amount

    @property
    def is_effective(self) -> bool:
        """Only posted, not deleted documents count."""
        return self.posted and not self.deleted

    @property
    def unallocated(self) -> Decimal:
        return round_money(self.amount - sum((a.amount for a in self.allocations), ZERO))


@dataclass(frozen=True, slots=True)
class Shipment(LinesDocument):
    """Реализация товаров и услуг (УПД), linked to its invoice."""

    invoice_ref: str | None = None
    posted: bool = True
    deleted: bool = False
    onec_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Return(LinesDocument):
    """Возврат товаров от покупателя, against a shipment (and so an invoice)."""

    shipment_ref: str | None = None
    invoice_ref: str | None = None
    posted: bool = True
    deleted: bool = False
    onec_ref: str | None = None


@dataclass(frozen=True, slots=True)
class StockLevel:
    """Quantity of a product in a warehouse at a moment."""

    product_ref: str
    warehouse_ref: str
    quantity: Decimal
    reserved: Decimal = ZERO
    as_of: dt.datetime | None = None

    @property
    def free(self) -> Decimal:
        return self.quantity - self.reserved


@dataclass(frozen=True, slots=True)
class PaymentState:
    """What an invoice's payments add up to: what the CRM's custom fields carry."""

    invoice_total: Decimal
    paid: Decimal
    last_payment_date: dt.date | None
    payments: tuple[Payment, ...] = field(default=())

    @property
    def outstanding(self) -> Decimal:
        return round_money(max(self.invoice_total - self.paid, ZERO))

    @property
    def overpaid(self) -> Decimal:
        return round_money(max(self.paid - self.invoice_total, ZERO))

    @property
    def fully_paid(self) -> bool:
        return self.invoice_total > 0 and self.paid >= self.invoice_total

    @property
    def partly_paid(self) -> bool:
        return ZERO < self.paid < self.invoice_total


def payment_state(
    invoice_ref: str, invoice_total: Decimal, payments: tuple[Payment, ...] | list[Payment]
) -> PaymentState:
    """Sum the effective allocations of ``payments`` to one invoice (refunds subtract)."""
    paid = ZERO
    last: dt.date | None = None
    counted: list[Payment] = []
    for p in sorted(payments, key=lambda x: (x.date, x.number)):
        if not p.is_effective:
            continue
        share = sum((a.amount for a in p.allocations if a.invoice_ref == invoice_ref), ZERO)
        if share == 0:
            continue
        paid += -share if p.kind.is_refund else share
        counted.append(p)
        if not p.kind.is_refund:
            last = p.date if last is None or p.date > last else last
    return PaymentState(invoice_total, round_money(paid), last, tuple(counted))
