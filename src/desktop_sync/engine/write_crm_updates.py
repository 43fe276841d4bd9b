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

from desktop_sync.connectors.bitrix24 import Bitrix24Client, Bitrix24Error
from desktop_sync.connectors.bitrix24.mapping import product_row_payload
from desktop_sync.connectors.bitrix24.updates import (
    Command,
    Updates,
    base_price,
    base_price_rows,
    base_price_type,
    invoice_fields,
)
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
from desktop_sync.i18n import tr


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
    def __init__(self, client: Bitrix24Client, batch: Updates) -> None:
        self.client = client
        self.batch = batch

    # -- one update, one by one ------------------------------------------------------------

    def one(self, op: Operation) -> Applied:
        """The update's commands, each its own request."""
        prices = self._price_rows_alone(op)
        for method, params in self.commands(op, prices):
            self.client.call(method, params, what=op.record_label)
        return updated(op, _update(op))

    def _price_rows_alone(self, op: Operation) -> dict[int, int | None]:
        return self._price_rows([op] if _price_changes(op) else [])

    # -- many updates in batches -----------------------------------------------------------

    def many(self, ops: Sequence[Operation]) -> list[Outcome]:
        """Updates of one kind in few batch requests; one outcome each (what a batch
        cannot carry goes call by call: ``Updates.run``)."""
        out: dict[int, Outcome] = {}
        priced = [n for n, op in enumerate(ops) if _price_changes(op)]
        try:
            prices = self._price_rows([ops[n] for n in priced])
        except Bitrix24Error as exc:  # the prices' read failed: those updates wait
            prices = {}
            out.update(dict.fromkeys(priced, exc))
        sent: list[tuple[int, list[Command]]] = []
        for n, op in enumerate(ops):
            if n in out:
                continue
            try:
                sent.append((n, self.commands(op, prices)))
            except (WriteError, Bitrix24Error) as exc:
                out[n] = exc
        answers = self.batch.run([c for _n, c in sent], what="updates") if sent else []
        for (n, _c), error in zip(sent, answers, strict=True):
            out[n] = error if error is not None else updated(ops[n], _update(ops[n]))
        return [out[n] for n in range(len(ops))]

    def _price_rows(self, ops: Sequence[Operation]) -> dict[int, int | None]:
        """The base price row of each product whose price changes (one batch read)."""
        ids = [int(op.target_id or 0) for op in ops]
        if not ids:
            return {}
        return base_price_rows(self.client.rest, base_price_type(self.client.catalog), ids)

    # -- what each update sends --------------------------------------------------------------

    def commands(self, op: Operation, prices: Mapping[int, int | None]) -> list[Command]:
        p = op.payload
        if isinstance(p, CounterpartyUpdate):
            return self._counterparty(op, p)
        if isinstance(p, ProductUpdate):
            return self._product(op, p, prices)
        if isinstance(p, InvoiceUpdate):
            return self._invoice(op, p)
        raise refused_kind(op, tr("desktop-sync cannot make this change in the CRM: {what}"))

    @staticmethod
    def _counterparty(op: Operation, p: CounterpartyUpdate) -> list[Command]:
        _only_writable(p.values, CRM_WRITABLE[EntityType.COUNTERPARTY], "CRM")
        if "name" not in p.values:
            return []
        if p.requisite_id:
            # one of several requisites of the company: its own name, not the title
            field = p.requisite_field or "RQ_COMPANY_NAME"
            return [
                (
                    "crm.requisite.update",
                    {"id": int(p.requisite_id), "fields": {field: p.values["name"]}},
                )
            ]
        company_id = int((op.target_id or "").split("/")[0])
        return [("crm.company.update", {"id": company_id, "fields": {"TITLE": p.values["name"]}})]

    @staticmethod
    def _invoice(op: Operation, p: InvoiceUpdate) -> list[Command]:
        crm_id = int(op.target_id or 0)
        out: list[Command] = []
        if "rows" in p.values or "total" in p.values:
            rows = [product_row_payload(line, (n + 1) * 10) for n, line in enumerate(p.lines)]
            out.append(
                (
                    "crm.item.productrow.set",
                    {"ownerType": "SI", "ownerId": crm_id, "productRows": rows},
                )
            )
        if "date" in p.values:
            out.append(invoice_fields(crm_id, {"begindate": p.values["date"]}))
        return out

    def _product(
        self, op: Operation, p: ProductUpdate, prices: Mapping[int, int | None]
    ) -> list[Command]:
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
        product_id = int(op.target_id or 0)
        out: list[Command] = []
        if fields:
            service = p.crm_values.get("kind") == ProductKind.SERVICE.value
            method = "catalog.product.service.update" if service else "catalog.product.update"
            out.append((method, {"id": product_id, "fields": fields}))
        if price is not None:
            base = base_price_type(self.client.catalog)
            out.append(base_price(product_id, price, base, prices.get(product_id)))
        return out

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


def _price_changes(op: Operation) -> bool:
    return isinstance(op.payload, ProductUpdate) and "price" in op.payload.values
