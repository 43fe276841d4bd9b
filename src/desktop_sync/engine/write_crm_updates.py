"""Updates of linked CRM records (a company's or requisite's name, a catalog product's
fields and base price, an invoice's rows and date), many to a batch request.

Every changed field reaches the record, or the update is refused before anything is
written: never "applied" with a field left behind. Each update is a short list of
commands: sent in a batch with other records' (50 commands a request, a record's
commands in one request and in order), or one by one when a batch cannot carry them
(a ``$`` in a value, which Bitrix24 would read as a reference to another command's
answer; a field to clear) or when the update goes alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from desktop_sync.crm.changes import (
    BasePrice,
    Change,
    CompanyTitle,
    InvoiceDate,
    InvoiceRows,
    ProductFields,
    RequisiteName,
)
from desktop_sync.crm.port import CrmPort
from desktop_sync.domain.entities import ProductKind
from desktop_sync.domain.vat import VatRate
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.executor import Applied, Outcome, WriteError, refused_kind
from desktop_sync.engine.model import Operation
from desktop_sync.engine.ops import (
    CRM_WRITABLE,
    PRODUCT_SYNCED,
    CounterpartyUpdate,
    EntityType,
    InvoiceUpdate,
    ProductUpdate,
    Update,
)
from desktop_sync.engine.write_crm_creates import no_unit, no_vat
from desktop_sync.errors import SyncError
from desktop_sync.i18n import N_, tr


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


def updated(op: Operation, p: Update) -> Applied:
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


def _update(op: Operation) -> Update:
    assert isinstance(op.payload, Update) and op.target_id is not None
    return op.payload


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


class LinkedUpdates:
    """Updates of linked records as the CRM port's changes (``crm.changes``)."""

    def __init__(self, client: CrmPort) -> None:
        self.client = client

    def one(self, op: Operation) -> Applied:
        """The update's changes, each its own request."""
        self.client.changes.write_alone(self.changes(op), what=op.record_label)
        return updated(op, _update(op))

    def many(self, ops: Sequence[Operation]) -> list[Outcome]:
        """Updates of one kind in few batch requests; one outcome each (what a batch
        cannot carry goes call by call)."""
        out: dict[int, Outcome] = {}
        sent: list[tuple[int, list[Change]]] = []
        for n, op in enumerate(ops):
            try:
                sent.append((n, self.changes(op)))
            except SyncError as exc:  # refused here, or the CRM's unit or VAT list unread
                out[n] = exc
        answers = self.client.changes.write([c for _n, c in sent], what=N_("updates"))
        for (n, _c), error in zip(sent, answers, strict=True):
            out[n] = error if error is not None else updated(ops[n], _update(ops[n]))
        return [out[n] for n in range(len(ops))]

    # -- what each update changes ------------------------------------------------------------

    def changes(self, op: Operation) -> list[Change]:
        p = op.payload
        if isinstance(p, CounterpartyUpdate):
            return self._counterparty(op, p)
        if isinstance(p, ProductUpdate):
            return self._product(op, p)
        if isinstance(p, InvoiceUpdate):
            return self._invoice(op, p)
        raise refused_kind(op, tr("desktop-sync cannot make this change in the CRM: {what}"))

    @staticmethod
    def _counterparty(op: Operation, p: CounterpartyUpdate) -> list[Change]:
        _only_writable(p.values, CRM_WRITABLE[EntityType.COUNTERPARTY], "CRM")
        if "name" not in p.values:
            return []
        name = str(p.values["name"])
        if p.requisite_id:
            # one of several requisites of the company: its own name, not the title
            return [RequisiteName(int(p.requisite_id), name, p.organisation)]
        return [CompanyTitle(int((op.target_id or "").split("/")[0]), name)]

    @staticmethod
    def _invoice(op: Operation, p: InvoiceUpdate) -> list[Change]:
        crm_id = int(op.target_id or 0)
        out: list[Change] = []
        deal = op.entity_type == EntityType.DEAL  # F9: a deal sent as an invoice
        if "rows" in p.values or "total" in p.values:
            lines = tuple(p.lines)
            out.append(InvoiceRows(crm_id, lines, deal))
        if "date" in p.values:
            date = p.values["date"]
            out.append(InvoiceDate(crm_id, date, deal))
        return out

    def _product(self, op: Operation, p: ProductUpdate) -> list[Change]:
        unknown = [f for f in p.values if f not in PRODUCT_SYNCED]
        if unknown:
            raise WriteError(
                tr("desktop-sync cannot change {fields} of a CRM product").format(
                    fields=", ".join(nz.label(f) for f in unknown)
                ),
                field=nz.label(unknown[0]),
            )
        product_id = int(op.target_id or 0)
        service = p.crm_values.get("kind") == ProductKind.SERVICE.value
        fields = self._product_fields(product_id, service, p.values, op.record_label)
        price = _price(p.values, op.record_label)
        out: list[Change] = [fields] if fields != ProductFields(product_id, service) else []
        if price is not None:
            out.append(BasePrice(product_id, price))
        return out

    def _product_fields(
        self, product_id: int, service: bool, values: Mapping[str, Any], label: str
    ) -> ProductFields:
        """The catalog fields of a product update (the price goes apart)."""
        catalog = self.client.catalog
        name = measure = vat_id = None
        if "name" in values:
            if not nz.text(values["name"]):
                raise WriteError(
                    tr("«{name}»: the name is empty").format(name=label), field=nz.label("name")
                )
            name = str(values["name"])
        if "unit" in values:
            measure = catalog.measure_id(str(values["unit"])) if values["unit"] else None
            if measure is None:
                raise no_unit(label, values["unit"] or "—")
        if "vat" in values:
            vat_id = catalog.vat_id(VatRate(values["vat"]))
            if vat_id is None:
                raise no_vat(label, values["vat"])
        return ProductFields(product_id, service, name, measure, vat_id)
