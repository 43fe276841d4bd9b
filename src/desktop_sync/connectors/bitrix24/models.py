"""What the client returns besides the domain objects: CRM-side wrappers and small records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from desktop_sync.domain.entities import Counterparty, Invoice, Product


@dataclass(frozen=True, slots=True)
class SyncFields:
    """Our custom fields on a smart invoice (``None`` = empty)."""

    onec_number: str | None = None
    onec_date: dt.date | None = None
    paid: Decimal | None = None
    outstanding: Decimal | None = None
    last_payment_date: dt.date | None = None
    payments: tuple[str, ...] = ()
    shipped: Decimal | None = None
    shipment_doc: str | None = None
    sync_status: str | None = None


@dataclass(frozen=True, slots=True)
class CrmInvoice:
    """A smart invoice: the domain invoice plus what only the CRM has."""

    invoice: Invoice
    xml_id: str | None
    stage_id: str
    category_id: int
    company_id: int | None
    contact_id: int | None
    mycompany_id: int | None
    opportunity: Decimal
    tax_value: Decimal
    manual_opportunity: bool
    created: dt.datetime
    updated: dt.datetime
    assigned_by: int | None
    fields: SyncFields = field(default_factory=SyncFields)
    requisite_id: int | None = None  # the buyer's requisite chosen on the invoice


@dataclass(frozen=True, slots=True)
class CrmCompany:
    counterparty: Counterparty
    originator_id: str | None
    origin_id: str | None
    is_my_company: bool
    assigned_by: int | None
    modified: dt.datetime
    entity: str = "company"  # or "contact" for private persons


@dataclass(frozen=True, slots=True)
class CrmProduct:
    product: Product
    xml_id: str | None
    iblock_id: int
    active: bool
    modified: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    name: str
    sort: int
    semantics: str  # "process", "success", "failure"
    category_id: int


@dataclass(frozen=True, slots=True)
class StoreAmount:
    product_id: int
    store_id: int
    amount: Decimal
    reserved: Decimal


@dataclass(frozen=True, slots=True)
class StoreDocument:
    id: int
    doc_type: str
    title: str
    doc_number: str
    status: str  # N new, Y conducted, C cancelled


@dataclass(frozen=True, slots=True)
class CustomFieldInfo:
    id: int
    name: str
    user_type: str
    multiple: bool


@dataclass(frozen=True, slots=True)
class TimelineFile:
    """A file attached to a timeline comment, as the portal lists it."""

    id: int
    name: str
    size: int


@dataclass(frozen=True, slots=True)
class TimelineComment:
    id: int
    text: str
    files: tuple[TimelineFile, ...] = ()
