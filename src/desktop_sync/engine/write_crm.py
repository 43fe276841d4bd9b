"""Writes to the CRM through its port (``crm.port``), as the executor asks for them
(``Writer`` protocol).

Keys on the CRM side (DESIGN.md): a company carries ``ORIGINATOR_ID=desktop-sync``
and ``ORIGIN_ID=<1C Ref_Key>``; its requisite ``XML_ID=<1C Ref_Key>``; a product
``xmlId=<1C Ref_Key>``. A create whose outcome is unknown is found by them, and a
half-made company (no requisite yet) is completed, never made twice.

Each kind of operation (its payload type, ``ops``) has its handler in a table; the
invoice's single-record writes travel many to a batch request (``write_crm_money``),
store documents are written by ``write_crm_stock``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from desktop_sync.crm.errors import CrmError
from desktop_sync.crm.port import CrmPort
from desktop_sync.engine import write_crm_money as money
from desktop_sync.engine.executor import Applied, Many, Outcome, handler_for
from desktop_sync.engine.model import Operation
from desktop_sync.engine.ops import (
    CounterpartyCreate,
    CounterpartyUpdate,
    CrmPayment,
    EntityType,
    InvoiceHeader,
    InvoicePdf,
    InvoiceUpdate,
    IssuedInvoice,
    NumberBack,
    PaymentNote,
    PaymentState,
    ProductCreate,
    ProductUpdate,
    SalesBack,
    ShipmentState,
    StoreDocument,
    Unsettled,
)
from desktop_sync.engine.write_crm_creates import Creates, product_applied
from desktop_sync.engine.write_crm_issued import IssuedWrites
from desktop_sync.engine.write_crm_pdf import OnecSide, PdfAttacher
from desktop_sync.engine.write_crm_stock import find_conducted, store_document, store_documents
from desktop_sync.engine.write_crm_updates import LinkedUpdates
from desktop_sync.engine.write_onec_sales import back_found, write_back
from desktop_sync.errors import SyncError
from desktop_sync.i18n import tr

Single = Callable[[Operation, Mapping[str, Applied]], Applied]


class CrmWriter:
    BATCH = 25  # creates per batch request: two commands each (company + requisite)
    UPDATES = 50  # single-record updates per batch request
    REQUEST = 50  # commands per batch request (independent groups share one: together)
    ISSUED = 16  # F8: invoices per batch request (the invoice, its rows, its requisite)
    DOCUMENTS = 10  # F6: store documents whose look-ups share the balances' read

    def __init__(self, client: CrmPort, onec: OnecSide | None = None) -> None:
        self.client = client
        self.pdfs = PdfAttacher(client, onec)  # F11: the seller's bank read from 1C
        self.creates = Creates(client, self._one, self.apply_many)
        self.linked = LinkedUpdates(client)
        self.issued = IssuedWrites(client)  # F8: invoices issued in 1C
        self._single: dict[type, Single] = {
            CounterpartyCreate: self.creates.create_company,
            ProductCreate: self.creates.create_product,
            NumberBack: self._one_update,
            PaymentState: self._one_update,
            ShipmentState: self._one_update,
            CrmPayment: self._one_payment,
            PaymentNote: self._note,
            InvoicePdf: self.pdfs.attach,
            StoreDocument: self._store_document,
            SalesBack: lambda op, r: write_back(self.client, op, r),  # F10
            CounterpartyUpdate: self._linked_update,
            ProductUpdate: self._linked_update,
            InvoiceUpdate: lambda op, _r: self.linked.one(op),
            IssuedInvoice: self.issued.create,
            InvoiceHeader: self.issued.header,
        }
        self._many: dict[type, Many] = {
            CounterpartyCreate: self.creates.creates,
            ProductCreate: self.creates.creates,
            CrmPayment: lambda ops, r: money.crm_payments(self.client, ops, r),
            NumberBack: self._updates,
            PaymentState: self._updates,
            ShipmentState: self._updates,
            CounterpartyUpdate: lambda ops, _r: self.linked.many(ops),
            ProductUpdate: lambda ops, _r: self.linked.many(ops),
            IssuedInvoice: self.issued.create_many,
            InvoicePdf: self.pdfs.attach_many,  # F11: look-ups and adds in batches
            StoreDocument: lambda ops, r: store_documents(self.client, ops, r),  # F6
        }

    # -- the executor's side -------------------------------------------------------------

    def ahead(self, ops: list[Operation], results: Mapping[str, Applied]) -> None:
        """The run's operations, before the first is written, and what they produce as
        they are written (``executor.execute``)."""
        self.pdfs.ahead(ops, results)

    def apply(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        handler = handler_for(
            self._single, op, tr("desktop-sync cannot make this change in the CRM: {what}")
        )
        return handler(op, results)  # a CRM error is in its category already

    def batch_size(self, op: Operation) -> int:
        p = op.payload
        if isinstance(p, NumberBack | PaymentState | ShipmentState | CounterpartyUpdate):
            return self.UPDATES
        if isinstance(p, ProductUpdate):  # its fields, its price: one command each
            fields = any(f in p.values for f in ("name", "unit", "vat"))
            return self.UPDATES // max(1, fields + ("price" in p.values))
        if isinstance(p, CrmPayment):
            return self.BATCH if p.payment_id is None else self.UPDATES
        if isinstance(p, CounterpartyCreate) and p.joins:  # UT 11: a requisite alone
            return self.UPDATES
        if isinstance(p, CounterpartyCreate):  # its requisite if it has one
            return self.BATCH if p.counterparty.inn else self.UPDATES
        if isinstance(p, ProductCreate):
            return self.BATCH
        if isinstance(p, IssuedInvoice):
            return self.ISSUED
        if isinstance(p, InvoicePdf):
            return self.UPDATES  # the adds split further by body size (timeline.BATCH_BODY)
        if isinstance(p, StoreDocument):
            return self.DOCUMENTS
        return 1

    def commands(self, op: Operation) -> int:
        """The commands ``op`` takes in a batch request (at most)."""
        return -(-self.REQUEST // max(1, self.batch_size(op)))

    def apply_together(
        self, groups: list[list[Operation]], results: Mapping[str, Applied], in_order: bool
    ) -> list[list[Outcome]]:
        """Independent groups (each as ``apply_many`` takes it), their batch requests
        shared where they fit (``CrmPort.together``); one outcome per operation."""
        works = [partial(self._group, g, results) for g in groups]
        together = getattr(self.client, "together", None)
        done = together(works, in_order=in_order) if together else [w() for w in works]
        return [_group_outcomes(g, d) for g, d in zip(groups, done, strict=True)]

    def parts(self, group: list[Operation]) -> list[list[Operation]]:
        """A group's parts that write independently, to share a request as two groups: UT
        11's requisites joining their partner's company apart from the companies made."""
        joins = [
            op for op in group if isinstance(op.payload, CounterpartyCreate) and op.payload.joins
        ]
        if not joins or len(joins) == len(group):
            return [group]
        return [joins, [op for op in group if op not in joins]]

    def _group(self, group: list[Operation], results: Mapping[str, Applied]) -> list[Outcome]:
        """One group of a shared request: even one operation in a batch (a single call
        would leave alone, not with the others)."""
        return self.apply_many(group, results)

    def apply_many(
        self, ops: list[Operation], results: Mapping[str, Applied]
    ) -> list[Applied | Exception]:
        """Several writes of one kind, in few batch requests; one outcome each."""
        many = self._many.get(type(ops[0].payload))
        if many is None:
            return [self._one(op, results) for op in ops]
        try:
            return many(ops, results)
        except CrmError as exc:
            return [exc for _ in ops]

    def _one(self, op: Operation, results: Mapping[str, Applied]) -> Outcome:
        try:
            return self.apply(op, results)
        except SyncError as exc:
            return exc

    # -- the invoice's fields, payments, notes, stock -----------------------------------

    def _updates(self, ops: list[Operation], results: Mapping[str, Applied]) -> list[Outcome]:
        return money.updates(self.client, ops, results)

    def _one_update(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        return _raised(money.updates(self.client, [op], results)[0])

    def _one_payment(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        """Bitrix24's payment of the whole invoice, paid or unpaid as 1C says."""
        return _raised(money.crm_payments(self.client, [op], results)[0])

    def _note(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        assert isinstance(op.payload, PaymentNote)
        return money.payment_note(self.client, op, op.payload, results)

    def _store_document(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        assert isinstance(op.payload, StoreDocument)
        return store_document(self.client, op, op.payload, results)

    # -- updates of linked records -----------------------------------------------------

    def _linked_update(self, op: Operation, _results: Mapping[str, Applied]) -> Applied:
        """A company's or product's update: one batch request (its price row read in
        another, when the price changed), or its calls one by one (``LinkedUpdates``)."""
        return _raised(self.linked.many([op])[0])

    # -- after a lost answer --------------------------------------------------------------

    def lookup(self, op: Unsettled) -> Applied | None:
        if op.entity_type is EntityType.INVOICE_PDF:
            return self.pdfs.lookup(op)
        if op.entity_type is EntityType.STORE_DOCUMENT:
            return find_conducted(self.client, op.key)
        if op.entity_type is EntityType.SALES_BACK:
            return back_found(self.client, op)
        if op.entity_type is EntityType.PAYMENT_NOTE:
            if not op.crm_id.isdigit() or int(op.crm_id) == 0:
                return None  # on an invoice made in that run: planned again, looked up then
            if money.noted(self.client, op.key, int(op.crm_id), op.deal):
                return money.note_found(op.key, op.source_id, relinked=False)
            return None
        if op.kind != "create":
            return None
        if op.entity_type is EntityType.COUNTERPARTY:
            return self.creates.company_of_key(op)
        if op.entity_type is EntityType.PRODUCT:
            product_id = self.client.catalog.find_product_by_xml_id(op.source_id)
            if product_id is None:
                return None
            return product_applied(str(product_id), op.source_id, dict(op.values))
        if op.entity_type is EntityType.INVOICE:  # F8: the CRM writes no other invoice create
            return self.issued.lookup(op)
        return None


def _group_outcomes(group: list[Operation], done: list[Outcome] | BaseException) -> list[Outcome]:
    """A group's outcomes; what it raised, as each of its operations' (a bug is raised
    when the first is settled: executor.settle)."""
    if isinstance(done, Exception):
        return [done for _ in group]
    if isinstance(done, BaseException):
        raise done
    return done


def _raised(outcome: Outcome) -> Applied:
    if isinstance(outcome, Exception):
        raise outcome
    return outcome
