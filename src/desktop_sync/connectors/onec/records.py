"""What the 1C client hands out beside the domain objects, and the settings a
configuration's mapping works with."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desktop_sync.connectors.onec import convert
from desktop_sync.domain.entities import Allocation, Payment, PaymentKind


@dataclass(frozen=True, slots=True)
class Organization:
    name: str
    inn: str
    kpp: str
    onec_ref: str
    bank_account_ref: str | None


@dataclass(frozen=True, slots=True)
class BankDetails:
    """The organization's settlement account and its bank, as an invoice prints them."""

    account: str  # НомерСчета
    bank_name: str
    bic: str  # the bank's Code
    correspondent_account: str  # КоррСчет
    city: str


@dataclass(frozen=True, slots=True)
class Changes:
    """The difference between two ``Ref_Key → DataVersion`` scans."""

    created: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]  # deleted physically (or now outside the window)
    versions: dict[str, str]


@dataclass(frozen=True, slots=True)
class Settings:
    """A profile's choices for the 1C side (beyond the connection)."""

    timezone: str = "Europe/Moscow"
    organization: str | None = None
    warehouse: str | None = None  # UT 11: the warehouse of orders made from the CRM
    page_size: int | None = 1000
    # Read only the rows record-level security lets this user see (allowedOnly=true);
    # without it 1C refuses a whole set that holds one hidden row (code 20).
    allowed_only: bool = False


def payment_header(
    kind: PaymentKind, entity: str, r: dict[str, Any], allocations: tuple[Allocation, ...]
) -> Payment | None:
    """A payment document's header (the same fields in BP 3.0 and UT 11); None without
    a date."""
    h = convert.head(r)
    if h is None:
        return None
    return Payment(
        **h,
        kind=kind,
        amount=convert.number(r.get("СуммаДокумента"), entity, "СуммаДокумента"),
        allocations=allocations,
        purpose=str(r.get("НазначениеПлатежа") or r.get("Основание") or ""),
    )


def payments_of(
    rows: Iterable[tuple[PaymentKind, str, dict[str, Any]]],
    *,
    amount: str,
    contract: str,
    invoice_of: Callable[[dict[str, Any]], str | None],
) -> list[Payment]:
    """Payments from their documents: the header, and each ``РасшифровкаПлатежа`` row
    as an allocation (the configuration names the amount and contract fields and says
    which invoice a row settles)."""
    out: list[Payment] = []
    for kind, entity, r in rows:
        allocations = tuple(
            Allocation(
                amount=convert.number(row.get(amount), entity, amount),
                invoice_ref=invoice_of(row),
                contract_ref=convert.ref(row.get(contract)),
                line_no=int(str(row.get("LineNumber") or 1)),
            )
            for row in r.get("РасшифровкаПлатежа") or []
        )
        payment = payment_header(kind, entity, r, allocations)
        if payment is not None:
            out.append(payment)
    return out


# UT 11 only (BP 3.0 has no partners, packages or characteristics).


@dataclass(frozen=True, slots=True)
class Partner:
    """Партнер: the customer as UT sees it; its counterparties are the legal entities."""

    name: str
    onec_ref: str
    company: bool
    counterparty_refs: tuple[str, ...] = ()
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Package:
    """A product's package (``Коробка (10 шт)``): ``quantity`` base units in one."""

    name: str
    product_ref: str
    unit_ref: str | None
    quantity: Decimal
    onec_ref: str


@dataclass(frozen=True, slots=True)
class Characteristic:
    name: str
    product_ref: str
    onec_ref: str
