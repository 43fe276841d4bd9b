"""What the planner hands to the writers: the entity types and one frozen payload per
kind of operation (instead of a dict of string keys).

Plain data, imported by the planner, the executor and the writers (which import
nothing else of the engine's planning). The journal keeps a JSON image of an
operation's intent (``journal_image``); an operation left unsettled by a run is read
back from that image (``Unsettled.from_image``), also from rows written before these
types existed: the image and the stored entity names are the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from desktop_sync.domain.entities import Contract, Counterparty, Invoice, InvoiceLine, Product
from desktop_sync.printing.data import PrintableInvoice


class EntityType(StrEnum):
    """What an operation, a link or an inbox item is about. The values are what the
    journal stores (``entity_type`` of operations, links and items): never change one."""

    COUNTERPARTY = "counterparty"
    CONTRACT = "contract"
    PRODUCT = "product"
    INVOICE = "invoice"
    INVOICE_BACK = "invoice_number"  # the 1C number and date written back to the CRM
    INVOICE_PAYMENT = "invoice_payment"  # the CRM invoice's paid / outstanding fields
    INVOICE_SHIPMENT = "invoice_shipment"  # the CRM invoice's shipped fields
    PAYMENT_NOTE = "payment_note"  # a 1C payment noted on the invoice's timeline
    CRM_PAYMENT = "crm_payment"  # Bitrix24's own payment of a fully paid invoice
    STORE_DOCUMENT = "store_document"
    INVOICE_PDF = "invoice_pdf"  # the printed invoice on the CRM invoice's timeline (F11)
    DEAL = "deal"  # F9: a CRM deal sent to 1C as an invoice (BP) or customer order (UT)
    SALES_DOCUMENT = "sales_document"  # F10: a 1C sales document made at the CRM's request
    SALES_BACK = "sales_back"  # F10: its number and date, and a note, on the CRM item


ORIGINATOR = "desktop-sync"  # ORIGINATOR_ID of the CRM companies desktop-sync made
DEAL_TAG = "deal-"  # F10: a deal's id in its links and keys (a smart invoice's is bare)
SENT = "отправлен в 1С"  # the sync-status field once the invoice is in 1C (for the managers)

# What F5 keeps equal: the fields a CRM catalog product holds and desktop-sync writes.
# The article and the kind are not among them: the CRM catalog has no article (it is
# only a matching key), and a product's type is fixed when it is created.
PRODUCT_SYNCED = ("name", "unit", "vat", "price")

# The fields an update of each system carries, per record type (what the writers can do).
CRM_WRITABLE: dict[EntityType, frozenset[str]] = {
    EntityType.PRODUCT: frozenset(PRODUCT_SYNCED),
    EntityType.COUNTERPARTY: frozenset({"name"}),
    EntityType.INVOICE: frozenset({"rows", "total", "date"}),
    EntityType.DEAL: frozenset({"rows", "total", "date"}),  # F9: 1C's changes reach the deal
}
ONEC_WRITABLE: dict[EntityType, frozenset[str]] = {
    EntityType.PRODUCT: frozenset(),  # 1C leads products
    EntityType.COUNTERPARTY: frozenset({"name"}),
    EntityType.INVOICE: frozenset(),  # after sending, 1C leads the invoice
    EntityType.DEAL: frozenset(),  # and the deal sent as one (F9)
}


def document_title(key: str) -> str:
    """The store document's title: it carries the key that finds it again."""
    return f"desktop-sync {key}"


# -- payloads: one per kind of operation --------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoPayload:
    """An operation that carries nothing but its envelope (tests, reviews)."""


NO_RESULT: Mapping[str, Any] = {}  # one for every link without a result (read, never written)


@dataclass(frozen=True, slots=True)
class LinkOnly:
    """A record found on both sides (or values both sides reached): only the link is new."""

    onec_values: Mapping[str, Any]
    crm_values: Mapping[str, Any]
    result: Mapping[str, Any] = field(default_factory=lambda: NO_RESULT)  # for dependents
    rebase: bool = False  # the link's base takes values both sides already agree on


@dataclass(frozen=True, slots=True)
class CounterpartyCreate:
    """A counterparty made on the other side: a CRM company with its requisite, or a 1C
    counterparty. ``company_id`` / ``company_of``: UT 11, the partner's company it joins
    (known, or made by that earlier operation)."""

    counterparty: Counterparty
    values: Mapping[str, Any]
    company_id: int | None = None
    company_of: str | None = None

    @property
    def joins(self) -> bool:
        return self.company_id is not None or bool(self.company_of)


@dataclass(frozen=True, slots=True)
class ProductCreate:
    product: Product
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ContractCreate:
    contract: Contract


@dataclass(frozen=True, slots=True)
class InvoiceCreate:
    """A CRM invoice created in 1C."""

    invoice: Invoice
    crm_id: str
    crm_values: Mapping[str, Any]


def products_in_1c_invoices(payloads: Iterable[object]) -> set[str]:
    """The 1C products of the invoices these operations create in 1C: what reading one
    back names its rows with (the rest of the catalog need not be kept; issue 18)."""
    return {
        line.product_ref
        for p in payloads
        if isinstance(p, InvoiceCreate)
        for line in p.invoice.lines
        if line.product_ref
    }


@dataclass(frozen=True, slots=True)
class NumberBack:
    """The 1C number and date written back to the CRM invoice once ``from_op`` is done."""

    from_op: str
    crm_id: str
    deal: bool = False  # the CRM record is a deal (F9), not a smart invoice


@dataclass(frozen=True, slots=True)
class Update:
    """A linked record's changed fields; ``onec_values``/``crm_values``: both sides as
    read (the link's new base is them with ``values`` applied)."""

    values: Mapping[str, Any]
    onec_values: Mapping[str, Any]
    crm_values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CounterpartyUpdate(Update):
    """``requisite_id``: one of several requisites of a CRM company takes the name, not
    the company's title (``organisation``: an organisation's legal name; else a
    person's, a sole trader's)."""

    requisite_id: int | None = None
    organisation: bool = True


@dataclass(frozen=True, slots=True)
class ProductUpdate(Update):
    pass


@dataclass(frozen=True, slots=True)
class InvoiceUpdate(Update):
    lines: tuple[InvoiceLine, ...] = ()  # the rows the CRM invoice gets when they changed


UPDATES: dict[EntityType, type[Update]] = {
    EntityType.COUNTERPARTY: CounterpartyUpdate,
    EntityType.PRODUCT: ProductUpdate,
    EntityType.INVOICE: InvoiceUpdate,
    EntityType.DEAL: InvoiceUpdate,  # a deal's rows and date (F9)
}


@dataclass(frozen=True, slots=True)
class PaymentState:
    """The CRM invoice's payment fields (keys of the CRM's sync fields) and its stage."""

    crm_id: int
    fields: Mapping[str, Any]
    stage: str | None = None
    deal: bool = False  # the CRM record is a deal (F9), not a smart invoice


@dataclass(frozen=True, slots=True)
class ShipmentState:
    """The CRM invoice's shipment fields (keys of the CRM's sync fields)."""

    crm_id: int
    fields: Mapping[str, Any]
    deal: bool = False  # the CRM record is a deal (F9), not a smart invoice


@dataclass(frozen=True, slots=True)
class PaymentNote:
    crm_id: int
    text: str
    deal: bool = False  # on a deal's timeline (F9), not a smart invoice's


@dataclass(frozen=True, slots=True)
class CrmPayment:
    """Bitrix24's payment of a whole invoice: made (``payment_id`` None) or marked."""

    crm_id: int
    total: Decimal
    paid: bool
    payment_id: str | None = None


@dataclass(frozen=True, slots=True)
class StoreDocument:
    """A CRM store document bringing ``store_id`` to 1C's quantities: ``target`` by CRM
    product id, ``pending`` by the op id of a product created earlier in the run."""

    store_id: int
    doc_type: str  # S: receipt, D: write-off
    target: Mapping[str, Decimal]
    pending: Mapping[str, Decimal]
    title: str


@dataclass(frozen=True, slots=True)
class SalesCreate:
    """F10: a 1C sales document, unposted, based on the 1C document ``base_ref`` (the
    invoice or order linked to CRM item ``crm_id``)."""

    base_ref: str
    crm_id: str
    comment: str = ""


@dataclass(frozen=True, slots=True)
class SalesPost:
    """F10: the sales document posted at once (a profile setting allows it)."""

    crm_id: str


@dataclass(frozen=True, slots=True)
class SalesBack:
    """F10: the sales document's number and date on CRM item ``crm_id`` and a note on its
    timeline; made by ``from_op`` in this run, or known already (``number``, ``date``)."""

    crm_id: str
    from_op: str = ""
    number: str = ""
    date: str = ""  # ISO
    note: str = ""  # the timeline text ({number} and {date} filled in when known)


@dataclass(frozen=True, slots=True)
class IssuedInvoice:
    """F8: a customer invoice issued in 1C, created as a CRM invoice whose key (``xmlId``)
    is its Ref_Key. The buyer: ``company`` (a CRM key ``company/requisite`` known when
    planned) or ``company_of`` (the operation creating it in this run); each row's CRM
    product likewise, ``products[n]`` = (CRM id, or the operation creating it).
    ``fields``: our custom fields at creation; ``values``: the invoice in 1C terms (the
    link's base on both sides)."""

    invoice: Invoice
    title: str
    company: str | None
    company_of: str | None
    products: tuple[tuple[int | None, str | None], ...]
    stage: str
    responsible: int | None
    fields: Mapping[str, Any]
    values: Mapping[str, Any]
    contact: bool = False


@dataclass(frozen=True, slots=True)
class InvoiceHeader:
    """F8: the CRM invoice of a 1C invoice moves to ``stage`` (marked for deletion in 1C:
    the "cancelled" stage) or takes ``title`` (the 1C number or date changed); "": kept."""

    crm_id: int
    stage: str = ""
    title: str = ""


@dataclass(frozen=True, slots=True)
class InvoicePdf:
    """The printed invoice «Счёт на оплату» (F11) on the CRM invoice's timeline, once per
    version. ``document``: the form without the seller and its bank (read from 1C when
    the PDF is made); ``values``: what the version shows, kept in the link for the next
    version's words on what changed (``changed``); ``from_op``: the operation creating
    the invoice in this run: the CRM's (``crm_id`` 0 until it is done), or 1C's
    (``document`` without a number: 1C's number, date and rows are read when the PDF is
    made, with ``units``, ОКЕИ code → name)."""

    crm_id: int
    document: PrintableInvoice
    values: Mapping[str, Any]
    changed: str = ""
    from_op: str = ""
    units: Mapping[str, str] = field(default_factory=dict)


Payload = (
    NoPayload
    | LinkOnly
    | CounterpartyCreate
    | ProductCreate
    | ContractCreate
    | InvoiceCreate
    | NumberBack
    | Update
    | PaymentState
    | ShipmentState
    | PaymentNote
    | CrmPayment
    | StoreDocument
    | InvoicePdf
    | SalesCreate
    | SalesPost
    | SalesBack
    | IssuedInvoice
    | InvoiceHeader
)

NO_PAYLOAD = NoPayload()

# -- the journal boundary -------------------------------------------------------------------

_IMAGED = ("crm_id", "from_op", "values")  # what of a payload the journal keeps


def journal_image(payload: Payload) -> dict[str, Any]:
    """The part of a payload the journal keeps (JSON; the names are those of the rows
    journalled before payloads were typed, so old and new rows read alike)."""
    image = {name: getattr(payload, name) for name in _IMAGED if hasattr(payload, name)}
    if getattr(payload, "deal", False):  # a deal's (F9) id, not a smart invoice's
        image["deal"] = True
    return image


@dataclass(frozen=True, slots=True)
class Unsettled:
    """An operation journalled "sending" or "outcome unknown", as a writer looks it up
    by its key: read from the journal's image, or from the operation itself."""

    entity_type: EntityType
    kind: str  # an OpKind value
    key: str
    source_id: str = ""
    crm_id: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    deal: bool = False  # ``crm_id`` is a deal's (F9), not a smart invoice's

    @classmethod
    def from_image(
        cls, entity_type: str, kind: str, key: str, image: Mapping[str, Any] | None
    ) -> Unsettled | None:
        """From a journal row; None for an entity this version no longer writes."""
        try:
            entity = EntityType(entity_type)
        except ValueError:
            return None
        image = image or {}
        crm_id = image.get("crm_id")
        return cls(
            entity,
            kind,
            key,
            source_id=str(image.get("source_id") or ""),
            crm_id="" if crm_id is None else str(crm_id),
            values=dict(image.get("values") or {}),
            deal=bool(image.get("deal")),
        )
