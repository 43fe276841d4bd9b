"""CRM-neutral records: what the engine keeps of a CRM's companies, products,
invoices (with the sync's own fields: payment and shipment marks), stages, stock and
store documents, custom fields and timeline notes.

Each wraps the domain object where the CRM holds more than the domain does. The field
names follow the first connector (Bitrix24), but every field is a notion any CRM has:
``xml_id`` is the record's external (1C) key, ``originator_id``/``origin_id`` the
source system and the record's key there, ``stage_id``/``category_id`` the stage and
the pipeline, ``iblock_id`` the catalog, ``entity`` a company or a person. A connector
maps its records to these and back (docs/decisions/crm-port.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from desktop_sync.domain.entities import Counterparty, Invoice, Product, Warehouse


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
    closing_number: str | None = None  # F10: the 1C sales document made at the CRM's request
    closing_date: dt.date | None = None


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
    deal_id: int | None = None  # a smart invoice: the deal it belongs to (parentId2)
    title: str = ""  # a deal's title (a deal travels to 1C as an invoice does: F9)


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
    id: int  # 0: not made yet (its kind and title say what to make)
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


@dataclass(frozen=True)
class Known:
    """What the last read saw: a record the probe finds unchanged is not read again
    (the probe's window overlaps the last read, so it finds some every time).

    Unchanged means the same stamp, and a stamp older than the second that read
    began in (``before``): the portal stamps whole seconds, so a record changed again
    in the second it was read carries the stamp it was read with."""

    invoices: Mapping[int, dt.datetime] = field(default_factory=dict)  # id -> updatedTime
    companies: Mapping[int, CrmCompany] = field(default_factory=dict)
    before: dt.datetime | None = None  # when the last read began (the portal's clock)

    def unchanged(self, stamp: dt.datetime | None, seen: dt.datetime | None) -> bool:
        return (
            stamp is not None
            and stamp == seen
            and self.before is not None
            and stamp < self.before.replace(microsecond=0)
        )


@dataclass
class CrmLists:
    """The lists of one read: everything (``since`` None) or what changed since."""

    companies: list[CrmCompany]  # with ``since``: those changed or with a changed requisite
    products: list[CrmProduct]  # with ``since``: priced from ``prices`` only
    prices: dict[int, Decimal]  # base prices: all, or those set since
    invoices: list[CrmInvoice] = field(default_factory=list)
    unreadable: dict[int, str] = field(default_factory=dict)  # invoice id -> why
    stores: list[Warehouse] | None = None  # None: not asked for
    stock: list[StoreAmount] | None = None  # None: not read (no store document moved)
    stock_at: str = ""  # the portal's time when the stock was read (ISO 8601)
    read_at: str = ""  # the portal's time when this read began (ISO 8601)
    requests: int = 0
    # A full read (``since`` None): every 1C key it saw on a CRM record (a company's
    # ORIGIN_ID, a requisite's XML_ID, a product's xmlId; lower case). None: a read of
    # what changed, which cannot say that a key is on no record.
    keys: frozenset[str] | None = None
    stages: list[Stage] | None = None  # the invoice pipeline's stages (with ``stores``)
    chosen: dict[int, int] | None = None  # a full read: invoice id -> the requisite chosen
    # A full read: the contacts buying on an invoice without a company, read with the
    # lists (None: not read with them).
    contacts: list[CrmCompany] | None = None
    # A read of what changed: (contact id, ИНН) of the contacts' requisites changed or
    # added since (a contact given a 1C private person's ИНН, or its ИНН taken away)
    contact_inns: list[tuple[int, str]] = field(default_factory=list)
    # A full read: (contact id, ИНН) of every contact's requisite, listed with the
    # companies' (None: not listed). The 1C private persons' contacts are found among
    # them (engine/read_persons): no look-up request of their own.
    contact_requisites: list[tuple[int, str]] | None = None


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    """A CRM invoice to make from a 1C invoice (F8); its rows are set apart.

    ``xml_id``: its key (the 1C Ref_Key); ``stage_id`` empty: the pipeline's first stage;
    ``assigned_by`` None: the CRM's own choice; ``fields``: our custom fields by their
    keys (``SyncFields`` names)."""

    xml_id: str
    title: str
    date: dt.date
    company_id: int | None
    contact_id: int | None
    stage_id: str
    assigned_by: int | None
    currency: str
    fields: Mapping[str, object]


def read_moment(stamp: str) -> dt.datetime | None:
    """A read's stored ``read_at``/``stock_at`` (ISO 8601 with its offset) as a time;
    "" (never read) and a stamp without a zone give None, so the caller starts afresh."""
    if not stamp:
        return None
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return moment if moment.utcoffset() is not None else None
