"""Writes to Bitrix24, as the executor asks for them (``Writer`` protocol).

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
from decimal import Decimal
from typing import Any

from desktop_sync.connectors.bitrix24 import (
    Bitrix24Client,
    Bitrix24Error,
    Bitrix24RateLimited,
    Bitrix24ServerError,
)
from desktop_sync.connectors.bitrix24.updates import Updates
from desktop_sync.domain.entities import (
    ProductKind,
)
from desktop_sync.domain.vat import VatRate
from desktop_sync.engine import normalize as nz
from desktop_sync.engine import write_crm_money as money
from desktop_sync.engine.executor import (
    Applied,
    OutcomeUnknown,
    TemporaryFailure,
    WriteError,
)
from desktop_sync.engine.model import Operation
from desktop_sync.engine.ops import (
    CRM_WRITABLE,
    PRODUCT_SYNCED,
    CounterpartyCreate,
    CounterpartyUpdate,
    CrmPayment,
    EntityType,
    InvoiceUpdate,
    NumberBack,
    PaymentNote,
    PaymentState,
    ProductCreate,
    ProductUpdate,
    ShipmentState,
    StoreDocument,
    Unsettled,
    Update,
)
from desktop_sync.engine.write_crm_creates import Creates, no_unit, no_vat, product_applied
from desktop_sync.engine.write_crm_stock import find_conducted, store_document
from desktop_sync.i18n import tr

Outcome = Applied | Exception
Single = Callable[[Operation, Mapping[str, Applied]], Applied]
Many = Callable[[list[Operation], Mapping[str, Applied]], list[Outcome]]


def translate(exc: Bitrix24Error) -> Exception:
    if isinstance(exc, Bitrix24ServerError):
        if getattr(exc, "outcome_unknown", False):
            return OutcomeUnknown(str(exc))
        return TemporaryFailure(str(exc))
    if isinstance(exc, Bitrix24RateLimited):
        return TemporaryFailure(str(exc))
    return WriteError(str(exc))


def _settled(outcome: Outcome) -> Outcome:
    """A connector's error as the executor's kind; anything else as it is."""
    return translate(outcome) if isinstance(outcome, Bitrix24Error) else outcome


def _only_writable(values: Mapping[str, Any], writable: frozenset[str], system: str) -> None:
    """Refuse, before writing anything, an update with a field this writer never carries:
    it would be journalled as applied and never reach the system."""
    cannot = [f for f in values if f not in writable]
    if cannot:
        raise WriteError(
            tr("desktop-sync does not write {fields} to {system}").format(
                fields=", ".join(nz.label(f) for f in cannot), system=system
            ),
            field=nz.label(cannot[0]),
        )


def _updated(op: Operation, p: Update) -> Applied:
    """After an update: the CRM now holds the values; the link's base moves with it."""
    assert op.target_id is not None
    return Applied(
        op.target_id,
        op.entity_type,
        onec_ref=op.source_id,
        crm_id=op.target_id,
        onec_values=dict(p.onec_values),
        crm_values={**p.crm_values, **p.values},
    )


class CrmWriter:
    BATCH = 25  # creates per batch request: two commands each (company + requisite)
    UPDATES = 50  # single-record updates per batch request

    def __init__(self, client: Bitrix24Client) -> None:
        self.client = client
        self.batch = Updates(client.rest)
        self.creates = Creates(client, self._one, self.apply_many)
        self._single: dict[type, Single] = {
            CounterpartyCreate: self.creates.create_company,
            ProductCreate: self.creates.create_product,
            NumberBack: self._one_update,
            PaymentState: self._one_update,
            ShipmentState: self._one_update,
            CrmPayment: self._one_payment,
            PaymentNote: self._note,
            StoreDocument: self._store_document,
            CounterpartyUpdate: self._counterparty_update,
            ProductUpdate: self._product_update,
            InvoiceUpdate: self._invoice_update,
        }
        self._many: dict[type, Many] = {
            CounterpartyCreate: self.creates.creates,
            ProductCreate: self.creates.creates,
            CrmPayment: lambda ops, _r: money.crm_payments(self.client, self.batch, ops),
            NumberBack: self._updates,
            PaymentState: self._updates,
            ShipmentState: self._updates,
        }

    # -- the executor's side -------------------------------------------------------------

    def apply(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        handler = self._single.get(type(op.payload))
        if handler is None:
            raise WriteError(
                tr("desktop-sync cannot make this change in the CRM: {what}").format(
                    what=f"{op.kind.value} {op.entity_type}"
                )
            )
        try:
            return handler(op, results)
        except Bitrix24Error as exc:
            raise translate(exc) from None

    def batch_size(self, op: Operation) -> int:
        p = op.payload
        if isinstance(p, NumberBack | PaymentState | ShipmentState):
            return self.UPDATES
        if isinstance(p, CrmPayment):
            return self.BATCH if p.payment_id is None else self.UPDATES
        if isinstance(p, ProductCreate) or (isinstance(p, CounterpartyCreate) and not p.joins):
            return self.BATCH
        return 1

    def apply_many(
        self, ops: list[Operation], results: Mapping[str, Applied]
    ) -> list[Applied | Exception]:
        """Several writes of one kind, in few batch requests; one outcome each."""
        many = self._many.get(type(ops[0].payload))
        if many is None:
            return [self._one(op, results) for op in ops]
        try:
            return [_settled(o) for o in many(ops, results)]
        except Bitrix24Error as exc:
            return [translate(exc) for _ in ops]

    def _one(self, op: Operation, results: Mapping[str, Applied]) -> Outcome:
        try:
            return self.apply(op, results)
        except (OutcomeUnknown, TemporaryFailure, WriteError) as exc:
            return exc

    # -- the invoice's fields, payments, notes, stock -----------------------------------

    def _updates(self, ops: list[Operation], results: Mapping[str, Applied]) -> list[Outcome]:
        return money.updates(self.batch, ops, results)

    def _one_update(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        return _raised(money.updates(self.batch, [op], results)[0])

    def _one_payment(self, op: Operation, _results: Mapping[str, Applied]) -> Applied:
        """Bitrix24's payment of the whole invoice, paid or unpaid as 1C says."""
        return _raised(money.crm_payments(self.client, self.batch, [op])[0])

    def _note(self, op: Operation, _results: Mapping[str, Applied]) -> Applied:
        assert isinstance(op.payload, PaymentNote)
        return money.payment_note(self.client, op, op.payload)

    def _store_document(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        assert isinstance(op.payload, StoreDocument)
        return store_document(self.client, op, op.payload, results)

    # -- updates of linked records -----------------------------------------------------

    def _counterparty_update(self, op: Operation, _results: Mapping[str, Applied]) -> Applied:
        p = op.payload
        assert isinstance(p, CounterpartyUpdate) and op.target_id is not None
        _only_writable(p.values, CRM_WRITABLE[EntityType.COUNTERPARTY], "CRM")
        companies = self.client.companies
        if "name" in p.values and p.requisite_id:
            # one of several requisites of the company: its own name, not the title
            field = p.requisite_field or "RQ_COMPANY_NAME"
            companies.update_requisite(int(p.requisite_id), {field: p.values["name"]})
        elif "name" in p.values:
            company_id = int(op.target_id.split("/")[0])
            companies.update_company(company_id, {"TITLE": p.values["name"]})
        return _updated(op, p)

    def _invoice_update(self, op: Operation, _results: Mapping[str, Applied]) -> Applied:
        p = op.payload
        assert isinstance(p, InvoiceUpdate) and op.target_id is not None
        crm_id = int(op.target_id)
        if "rows" in p.values or "total" in p.values:
            self.client.invoices.set_product_rows(crm_id, p.lines)
        if "date" in p.values:
            self.client.invoices.update_invoice(crm_id, {"begindate": p.values["date"]})
        return _updated(op, p)

    def _product_update(self, op: Operation, _results: Mapping[str, Applied]) -> Applied:
        """Every changed field reaches the CRM product (name, unit, VAT, base price), or
        the update is refused before anything is written: never "applied" with a field
        left behind."""
        p = op.payload
        assert isinstance(p, ProductUpdate) and op.target_id is not None
        unknown = [f for f in p.values if f not in PRODUCT_SYNCED]
        if unknown:
            raise WriteError(
                tr("desktop-sync cannot change {fields} of a CRM product").format(
                    fields=", ".join(nz.label(f) for f in unknown)
                ),
                field=nz.label(unknown[0]),
            )
        fields = self._product_fields(p.values, op.record_label)
        price = _price(p.values, op.record_label)
        product_id = int(op.target_id)
        if fields:
            service = p.crm_values.get("kind") == ProductKind.SERVICE.value
            self.client.catalog.update_product(product_id, fields, service=service)
        if price is not None:
            self.client.catalog.set_base_price(product_id, price)
        return _updated(op, p)

    def _product_fields(self, values: Mapping[str, Any], label: str) -> dict[str, Any]:
        """The catalog fields of a product update (the price goes apart)."""
        catalog = self.client.catalog
        fields: dict[str, Any] = {}
        if "name" in values:
            if not nz.text(values["name"]):
                raise WriteError(
                    tr("«{name}»: the name is empty").format(name=label), field=nz.label("name")
                )
            fields["name"] = values["name"]
        if "unit" in values:
            measure = catalog.measure_id(str(values["unit"])) if values["unit"] else None
            if measure is None:
                raise no_unit(label, values["unit"] or "—")
            fields["measure"] = measure
        if "vat" in values:
            vat_id = catalog.vat_id(VatRate(values["vat"]))
            if vat_id is None:
                raise no_vat(label, values["vat"])
            fields["vatId"] = vat_id
            fields["vatIncluded"] = "Y"
        return fields

    # -- after a lost answer --------------------------------------------------------------

    def lookup(self, op: Unsettled) -> Applied | None:
        try:
            return self._lookup(op)
        except Bitrix24Error as exc:
            raise translate(exc) from None

    def _lookup(self, op: Unsettled) -> Applied | None:
        if op.entity_type is EntityType.STORE_DOCUMENT:
            return find_conducted(self.client, op.key)
        if op.entity_type is EntityType.PAYMENT_NOTE:
            texts = self.client.timeline.comment_texts(int(op.crm_id))
            if any(money.marker(op.key) in t for t in texts):
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
        return None


def _raised(outcome: Outcome) -> Applied:
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _price(values: Mapping[str, Any], label: str) -> Decimal | None:
    """The new base price, if it changed; refused when it is not a price."""
    if "price" not in values:
        return None
    try:
        price: Decimal | None = Decimal(str(values["price"]))
    except ArithmeticError:
        price = None
    if price is None or price < 0:
        raise WriteError(
            tr("«{name}»: the base price «{price}» is not a price").format(
                name=label, price=values["price"]
            ),
            field=nz.label("price"),
        )
    return price
