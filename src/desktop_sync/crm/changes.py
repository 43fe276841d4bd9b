"""Changes to records the CRM already holds, in the CRM's neutral words: the engine's
update writers say *what* changes, a connector says *how* (its methods, its fields,
its batches). One record's changes travel together and in order (``CrmChanges``).

Ids are the CRM's own (a company, a requisite, a product, an invoice, a payment, a
unit of measure, a VAT rate as the CRM numbers them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desktop_sync.domain.entities import InvoiceLine


@dataclass(frozen=True, slots=True)
class CompanyTitle:
    """A company's (or a person's) name as the CRM shows it."""

    company_id: int
    title: str


@dataclass(frozen=True, slots=True)
class RequisiteName:
    """One requisite's own name (one of several legal entities of a company).
    ``organisation``: an organisation's legal name; else a person's (a sole trader)."""

    requisite_id: int
    name: str
    organisation: bool = True


@dataclass(frozen=True, slots=True)
class ProductFields:
    """A catalog product's own fields; None leaves a field as it is. ``service``: the
    product is a service (some CRMs keep services apart)."""

    product_id: int
    service: bool
    name: str | None = None
    measure_id: int | None = None
    vat_id: int | None = None


@dataclass(frozen=True, slots=True)
class BasePrice:
    """A product's base price (the connector finds or adds the price's own record)."""

    product_id: int
    price: Decimal


# An invoice's changes reach a smart invoice, or a deal (F9: ``deal``, the CRM item
# ``item_id`` is a deal, and the document made from it in 1C changed).


@dataclass(frozen=True, slots=True)
class InvoiceRows:
    """An invoice's rows, all at once (each line's ``product_crm_id``)."""

    item_id: int
    lines: tuple[InvoiceLine, ...]
    deal: bool = False


@dataclass(frozen=True, slots=True)
class InvoiceDate:
    item_id: int
    date: dt.date | str
    deal: bool = False


@dataclass(frozen=True, slots=True)
class InvoiceMarks:
    """The sync's own fields on an invoice by their ``crm.types.SyncFields`` names (the
    1C number and date, the payment and shipment marks, the sync status)."""

    item_id: int
    values: Mapping[str, Any]
    deal: bool = False


@dataclass(frozen=True, slots=True)
class InvoiceStage:
    item_id: int
    stage_id: str
    deal: bool = False


@dataclass(frozen=True, slots=True)
class PaymentPaid:
    """A payment the CRM holds, marked paid or not paid."""

    payment_id: int
    paid: bool


Change = (
    CompanyTitle
    | RequisiteName
    | ProductFields
    | BasePrice
    | InvoiceRows
    | InvoiceDate
    | InvoiceMarks
    | InvoiceStage
    | PaymentPaid
)
