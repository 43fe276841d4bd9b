"""The CRM port: what the engine reads from and writes to a CRM, as protocols.

A CRM connector implements :class:`CrmPort`: one part per kind of record, and the
sync's read of every list (or of what changed). The records
are those of :mod:`desktop_sync.crm.types` and the domain's. Every write that creates
a record carries its idempotency key (the 1C reference, or a key the engine made) and
has a look-up by that key, so that a write whose outcome is unknown is resolved before
any retry. The first connector is Bitrix24 (``connectors.bitrix24``); what a second
one would implement is in docs/decisions/crm-port.md.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol, TypeVar, runtime_checkable

from desktop_sync.crm.changes import Change
from desktop_sync.crm.types import (
    CrmCompany,
    CrmInvoice,
    CrmLists,
    InvoiceDraft,
    Known,
    Stage,
    StoreAmount,
    StoreDocument,
)
from desktop_sync.domain.entities import (
    Counterparty,
    CounterpartyKind,
    InvoiceLine,
    Product,
    Requisite,
    Warehouse,
)
from desktop_sync.domain.vat import VatRate


class Waiting(enum.Enum):
    """What one unit of work done while a request waits (``while_waiting``) found."""

    DID_ONE = "did one"  # one unit done: more may follow in the same wait
    NOT_YET = "not yet"  # none ready now: sleep the rest of this wait, ask again next wait
    NONE_LEFT = "none left"  # nothing more to do: not asked again


T = TypeVar("T")


class NamedField(Protocol):
    """A custom field the sync keeps on a CRM record (its name in the CRM)."""

    @property
    def name(self) -> str: ...


@runtime_checkable
class CrmCompanies(Protocol):
    """Companies (and private persons) with their requisites."""

    def add_companies(
        self, items: Sequence[tuple[Counterparty, str]], *, originator_id: str
    ) -> list[tuple[int, int | None] | Exception]:
        """Create each counterparty keyed by its 1C reference (the ``str``) under the
        source system ``originator_id``: (company id, requisite id) or the error, each."""
        ...

    def contacts_of(self, ids: Sequence[int]) -> list[CrmCompany]:
        """These private persons (contacts) with their requisites (``entity`` "contact")."""
        ...

    def contacts_with_inn(
        self,
        inns: Sequence[str],
        *,
        besides: Collection[int] = (),
        listed: Iterable[tuple[int, str]] | None = None,
    ) -> list[CrmCompany]:
        """The private persons (contacts) holding a requisite with one of these ИНН,
        with their requisites, but those of ``besides`` (read already): few requests for
        any number of them. ``listed``: (contact, ИНН) of every contact's requisite (a
        full read's ``CrmLists.contact_requisites``): only the contacts found are read."""
        ...

    def requisite_owner(self, requisite_id: int) -> tuple[int, int]:
        """The (owner kind, owner id) a requisite belongs to."""
        ...

    def find_company_by_origin(self, originator_id: str, origin_id: str) -> int | None:
        """The company created under this key, if any: the look-up before a retry."""
        ...

    def add_company(self, cp: Counterparty, *, originator_id: str, origin_id: str) -> int:
        """Create one company (no requisite) under its key; its id."""
        ...

    def find_requisite_by_xml_id(self, xml_id: str) -> int | None:
        """The requisite created with this external (1C) key, if any."""
        ...

    def add_requisite(
        self,
        owner_id: int,
        req: Requisite,
        *,
        name: str,
        kind: CounterpartyKind = ...,
        xml_id: str | None = None,
    ) -> int:
        """Add a requisite (INN, KPP, legal name) to a company under its 1C key; its id."""
        ...

    def add_requisites(
        self, items: Sequence[tuple[int, Counterparty, str]]
    ) -> list[int | Exception]:
        """Many requisites in few batch requests, each (company id, counterparty, its 1C
        key): the requisite's id or the CRM's error, each."""
        ...


@runtime_checkable
class CrmCatalog(Protocol):
    """The product catalog and its base prices."""

    def find_product_by_xml_id(self, xml_id: str) -> int | None:
        """The product created with this external (1C) key, if any: the look-up before
        a retried create."""
        ...

    def add_product(self, product: Product, *, xml_id: str) -> int:
        """Create one product keyed by its 1C reference; its id."""
        ...

    def add_products(self, items: Sequence[tuple[Product, str]]) -> list[int | Exception]:
        """Create many products, each keyed by its 1C reference; an id or the error each."""
        ...

    def measure_id(self, okei: str) -> int | None:
        """The CRM's unit of measure with this OKEI code, if it has one (a product
        whose unit the CRM lacks is refused, never created with a default)."""
        ...

    def vat_id(self, rate: VatRate) -> int | None:
        """The CRM's VAT rate of this rate, if it has one (likewise)."""
        ...


@runtime_checkable
class CrmInvoices(Protocol):
    """Invoices: their stages and the buyer's requisite chosen on each."""

    def stages(self, category_id: int | None = None) -> list[Stage]:
        """The stages of the invoices' pipeline (``category_id``; None: the default)."""
        ...

    def invoice_requisites(self, invoice_ids: Sequence[int]) -> dict[int, int]:
        """Invoice id -> the id of the buyer's requisite chosen on it."""
        ...

    def find_invoice_by_xml_id(self, xml_id: str) -> int | None:
        """The invoice carrying this key (F8: the 1C Ref_Key), if any."""
        ...

    def get(self, invoice_id: int) -> CrmInvoice:
        """One invoice with its rows, read now."""
        ...

    def add_invoice_draft(self, draft: InvoiceDraft) -> int:
        """A new invoice (without rows) carrying ``draft.xml_id``; its id."""
        ...

    def invoices_by_xml_id(self, xml_ids: Sequence[str]) -> dict[str, int]:
        """``key (lower case) -> invoice id`` of the invoices carrying these keys."""
        ...

    def add_drafts(
        self, drafts: Sequence[tuple[InvoiceDraft, Sequence[InvoiceLine], int | None]]
    ) -> list[int | Exception]:
        """New invoices with their rows and the buyer's requisite chosen (None: none),
        many to a request; one outcome each: the id or the CRM's error."""
        ...

    def set_product_rows(self, invoice_id: int, lines: Sequence[InvoiceLine]) -> None:
        """The invoice's rows become ``lines`` (their ``product_crm_id``), all at once."""
        ...

    def link_invoice_requisite(
        self, invoice_id: int, requisite_id: int, my_requisite_id: int = 0
    ) -> None:
        """The buyer's requisite chosen on the invoice."""
        ...

    def set_header(self, invoice_id: int, *, stage_id: str = "", title: str = "") -> None:
        """The invoice moves to ``stage_id`` and/or takes ``title`` ("": kept as it is)."""
        ...


@runtime_checkable
class CrmPayments(Protocol):
    """The payment mark: an invoice paid in full."""

    def full_payments(self, invoices: Sequence[tuple[int, Decimal]]) -> list[int | Exception]:
        """Mark each (invoice id, amount) paid; the payment's id or the error, each."""
        ...


@runtime_checkable
class CrmTimeline(Protocol):
    """Notes on an invoice's timeline (the idempotency marker is in the text)."""

    def comment_texts(self, invoice_id: int, *, deal: bool = False) -> list[str]:
        """The texts of the invoice's (``deal``: the deal's) notes: the look-up before a
        retried note."""
        ...

    def add_comment(
        self,
        invoice_id: int,
        text: str,
        files: Sequence[tuple[str, bytes]] = (),
        *,
        deal: bool = False,
    ) -> int:
        """Add a note (with files: name, content) to an invoice (``deal``: a deal); its id."""
        ...

    def texts_of(self, invoice_ids: Sequence[int]) -> Mapping[int, list[str] | Exception]:
        """Each invoice's note texts, many invoices to a request; a failed read's error."""
        ...

    def add_comments(
        self, comments: Sequence[tuple[int, str, Sequence[tuple[str, bytes]]]]
    ) -> list[int | Exception]:
        """Many notes (invoice id, text, files), several to a request; each note's id or
        its own error (a lost answer: outcome unknown)."""
        ...


@runtime_checkable
class CrmCustomFields(Protocol):
    """The sync's own fields on the invoice (1C number and date, paid, shipped, ...)."""

    def setup_custom_fields(self) -> Sequence[NamedField]:
        """Create those missing (``setup``); the fields created."""
        ...

    def missing_custom_fields(self) -> Sequence[NamedField]:
        """Those not there yet (the check)."""
        ...


@runtime_checkable
class CrmInventory(Protocol):
    """Stores, stock balances and stock documents (receipt, write-off)."""

    def enabled(self) -> bool:
        """Whether the CRM keeps stock at all."""
        ...

    def stores(self) -> list[Warehouse]: ...

    def store_amounts(self, product_ids: Sequence[int] | None = None) -> list[StoreAmount]:
        """The balances of these products (None: all) in every store."""
        ...

    def find_store_document(self, title: str) -> StoreDocument | None:
        """The document whose title carries this idempotency key, if any."""
        ...

    def add_store_document(
        self, doc_type: str, *, title: str, doc_number: str = "", comment: str = ""
    ) -> StoreDocument:
        """Create a draft document of this kind; its rows are added after."""
        ...

    def find_with_amounts(
        self, titles: Sequence[str], product_ids: Sequence[int], stores: Sequence[int] = ()
    ) -> tuple[dict[str, StoreDocument], list[StoreAmount]]:
        """:meth:`find_store_document` of each title (those found) and :meth:`store_amounts`
        of these products (in ``stores`` only, if given), together."""
        ...

    def write_document(
        self, doc: StoreDocument, store_id: int, rows: Mapping[int, Decimal], comment: str = ""
    ) -> StoreDocument | None:
        """Add rows (product id -> amount moved) and post the document (one not made yet,
        id 0, is created first). A refusal is raised before the document is posted;
        None: an answer was lost (the document stays unconducted, the next plan
        finishes it)."""
        ...

    def document_elements(self, doc_id: int) -> list[dict[str, Any]]:
        """The document's rows (``elementId`` is the product's id)."""
        ...

    def conduct_document(self, doc_id: int) -> None:
        """Post the document: the balances move."""
        ...


@runtime_checkable
class CrmDeals(Protocol):
    """Deals (F9): read as invoices are (``CrmInvoice``, the title kept), by pipeline."""

    def categories(self) -> list[tuple[int, str]]:
        """(id, name) of each deal pipeline."""
        ...

    def stages(self, category_id: int = 0) -> list[Stage]:
        """The stages of one deal pipeline."""
        ...

    def read(
        self,
        categories: Sequence[int],
        unreadable: dict[int, str] | None = None,
        expected: int = 0,
        stages: dict[str, str] | None = None,
    ) -> list[CrmInvoice]:
        """The deals of these pipelines with their rows; one not understood is named
        in ``unreadable`` (deal id -> why); ``expected``: how many the last read found;
        ``stages`` gets the pipelines' stages (id -> name)."""
        ...

    def deal_requisites(self, deal_ids: Sequence[int]) -> dict[int, int]:
        """Deal id -> the id of the buyer's requisite chosen on it."""
        ...

    def setup_custom_fields(self) -> Sequence[NamedField]:
        """Create the sync's fields on deals (``setup``); the fields created."""
        ...

    def missing_custom_fields(self) -> Sequence[NamedField]:
        """The sync's fields deals do not have yet."""
        ...


@runtime_checkable
class CrmChanges(Protocol):
    """Changes to records the CRM holds (``crm.changes``): a record's changes go
    together and in order, many records to a request where the CRM allows it."""

    def write(self, records: Sequence[Sequence[Change]], what: str) -> list[Exception | None]:
        """Each record's changes; one outcome per record: None (all written) or its
        first error (the CRM's, in its category). ``what``: for the messages."""
        ...

    def write_alone(self, record: Sequence[Change], what: str) -> None:
        """One record's changes, each its own request; the CRM's error is raised."""
        ...


@runtime_checkable
class CrmPort(Protocol):
    """One CRM, as the engine sees it: one part per kind of record."""

    @property
    def portal(self) -> str:
        """The CRM's address (no secret in it)."""
        ...

    @property
    def companies(self) -> CrmCompanies: ...

    @property
    def catalog(self) -> CrmCatalog: ...

    @property
    def invoices(self) -> CrmInvoices: ...

    @property
    def payments(self) -> CrmPayments: ...

    @property
    def timeline(self) -> CrmTimeline: ...

    @property
    def userfields(self) -> CrmCustomFields: ...

    @property
    def inventory(self) -> CrmInventory: ...

    @property
    def changes(self) -> CrmChanges: ...

    @property
    def deals(self) -> CrmDeals: ...

    def read_lists(
        self,
        since: dt.datetime | None = None,
        *,
        known: Known | None = None,
        stores: bool = True,
        stock: bool = False,
        stock_since: str = "",
    ) -> CrmLists:
        """The sync's read: every list the planner needs, or, with ``since``, what
        changed since then (``known``: what the last read saw); stores and stock when
        asked (stock only if a stock document moved since ``stock_since``)."""
        ...

    def companies_by_origin(
        self, originator_id: str, origin_ids: Sequence[str]
    ) -> dict[str, tuple[int | None, int | None]]:
        """Many look-ups at once before creating: origin id -> (company id, requisite
        id) for those found either way."""
        ...

    def products_by_xml_id(self, xml_ids: Sequence[str]) -> dict[str, int]:
        """Many look-ups at once before creating: 1C key -> product id, those found."""
        ...

    def missing_scopes(self, needed: Iterable[str] = ...) -> list[str]:
        """The permissions the sync needs and the credentials lack."""
        ...

    def forget(self) -> None:
        """Drop what was read once per client: the next run sees the CRM as it is."""
        ...

    def while_waiting(self, work: Callable[[], Waiting]) -> None:
        """Work to do while the CRM's rate limit makes a request wait, instead of sleeping:
        ``work`` does one small unit and says what it found (:class:`Waiting`)."""
        ...

    def together(
        self, works: Sequence[Callable[[], T]], *, in_order: bool = False
    ) -> list[T | BaseException]:
        """Independent writes (``works``, each some batch requests) run so that their
        batches share requests where they fit; each work's result or what it raised, in
        order. ``in_order``: no command of a later work goes before an earlier work's
        (they write the same records)."""
        ...

    def close(self) -> None: ...
