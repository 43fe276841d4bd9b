"""Writes to 1C, as the executor asks for them (``Writer`` protocol)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from desktop_sync.connectors.onec import OnecClient
from desktop_sync.domain.entities import Counterparty, Invoice
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.executor import FOUND, Applied, OutcomeUnknown, WriteError, handler_for
from desktop_sync.engine.model import Operation, OpKind
from desktop_sync.engine.ops import (
    ONEC_WRITABLE,
    ContractCreate,
    CounterpartyCreate,
    CounterpartyUpdate,
    EntityType,
    InvoiceCreate,
    SalesCreate,
    SalesPost,
    Unsettled,
)
from desktop_sync.engine.write_onec_sales import SalesWrites
from desktop_sync.errors import SyncError
from desktop_sync.i18n import tr

_LOGICAL = {
    EntityType.COUNTERPARTY: "counterparties",
    EntityType.CONTRACT: "contracts",
    EntityType.INVOICE: "invoices",
    EntityType.DEAL: "invoices",  # F9: a deal becomes a 1C invoice (BP) or order (UT)
}
Single = Callable[[Operation], Applied]


def invoice_values_onec(inv: Invoice) -> dict[str, Any]:
    """A 1C invoice's compared values (its counterparty and products by 1C ref)."""
    refs = [ln.product_ref or "" for ln in inv.lines]
    return nz.invoice_values(inv, inv.counterparty_ref or "", refs)


class OnecWriter:
    def __init__(self, client: OnecClient) -> None:
        self.client = client
        self.sales = SalesWrites(client)  # F10
        self._single: dict[type, Single] = {
            CounterpartyCreate: self._create_counterparty,
            ContractCreate: self._create_contract,
            InvoiceCreate: self._create_invoice,
            CounterpartyUpdate: self._update_counterparty,
            SalesCreate: self.sales.create,
            SalesPost: self.sales.post,
        }

    def apply(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        handler = handler_for(
            self._single, op, tr("desktop-sync cannot make this change in 1C: {what}")
        )
        return handler(op)  # a 1C error is in its category already (errors.py)

    def _create_counterparty(self, op: Operation) -> Applied:
        p = op.payload
        assert isinstance(p, CounterpartyCreate)
        ref, found = self._counterparty(p.counterparty, op)
        values = nz.counterparty_values(p.counterparty)
        return Applied(
            ref,
            EntityType.COUNTERPARTY,
            onec_ref=ref,
            crm_id=op.source_id,
            onec_values=values,
            crm_values=values,
            result={FOUND: True} if found else {},
        )

    def _create_contract(self, op: Operation) -> Applied:
        assert isinstance(op.payload, ContractCreate)
        contract = op.payload.contract
        made = self.client.create_contract(
            contract.counterparty_ref, op.idempotency_key, contract.name
        )
        return Applied(made.ref)

    def _create_invoice(self, op: Operation) -> Applied:
        p = op.payload
        assert isinstance(p, InvoiceCreate)
        # The key's Ref_Key goes with the POST: 1C answers "made before" for a document
        # this key made already (another run or profile, a lost journal): relinked.
        made = self.client.create_invoice(p.invoice, op.idempotency_key)
        back = self.client.invoice(made.ref)
        if back is None:
            raise OutcomeUnknown(tr("the invoice was sent but 1C does not show it yet"))
        applied = _invoice_applied(back, made.ref, p.crm_id, p.crm_values, op.entity_type)
        if not made.created:
            applied = replace(applied, result={**applied.result, FOUND: True})
            applied.result.pop("total", None)  # paid or not: F3 says, not "all owed"
        return applied

    def _update_counterparty(self, op: Operation) -> Applied:
        p = op.payload
        assert isinstance(p, CounterpartyUpdate) and op.target_id is not None
        cannot = [f for f in p.values if f not in ONEC_WRITABLE[EntityType.COUNTERPARTY]]
        if cannot:  # never journalled as applied with a field left behind
            raise WriteError(
                tr("desktop-sync does not write {fields} to {system}").format(
                    fields=", ".join(nz.label(f) for f in cannot), system=tr("1C")
                ),
                field=nz.label(cannot[0]),
            )
        if "name" not in p.values:
            raise WriteError(tr("nothing that 1C can take was changed"))
        c = self.client
        c.update(c.profile.set("counterparties"), op.target_id, {"Description": p.values["name"]})
        return Applied(
            op.target_id,
            EntityType.COUNTERPARTY,
            onec_ref=op.target_id,
            crm_id=op.source_id,
            onec_values={**p.onec_values, **p.values},
            crm_values=dict(p.crm_values),
        )

    def _counterparty(self, cp: Counterparty, op: Operation) -> tuple[str, bool]:
        """(ref, found): a counterparty with the same ИНН/КПП made since the plan was
        read (by another run or profile) is relinked, never made twice; else created
        under the key's Ref_Key (1C says "made before" for a repeat)."""
        c = self.client
        if cp.inn:
            same = c.find_counterparties(cp.inn, cp.kpp)
            if len(same) == 1:
                return same[0], True
            if len(same) > 1:
                raise WriteError(
                    tr("1C already has {n} counterparties with INN {inn} KPP {kpp}").format(
                        n=len(same), inn=cp.inn, kpp=cp.kpp or "—"
                    ),
                    field="ИНН",
                )
        made = c.create_counterparty(cp, op.idempotency_key)
        return made.ref, not made.created

    def batch_size(self, op: Operation) -> int:
        return 1  # 1C's OData has no batch of creates worth the risk: one at a time

    def apply_many(
        self, ops: list[Operation], results: Mapping[str, Applied]
    ) -> list[Applied | Exception]:
        out: list[Applied | Exception] = []
        for op in ops:
            try:
                out.append(self.apply(op, results))
            except SyncError as exc:
                out.append(exc)
        return out

    def lookup(self, op: Unsettled) -> Applied | None:
        if op.entity_type is EntityType.SALES_DOCUMENT:
            return self.sales.lookup(op)
        if op.kind != OpKind.CREATE.value or op.entity_type not in _LOGICAL:
            return None
        ref = self.client.find_created(_LOGICAL[op.entity_type], op.key)
        if ref is None:
            return None
        if op.entity_type in (EntityType.INVOICE, EntityType.DEAL):
            back = self.client.invoice(ref)
            if back is None:
                return None
            return _invoice_applied(back, ref, op.crm_id or op.source_id, None, op.entity_type)
        if op.entity_type is EntityType.COUNTERPARTY:
            return Applied(
                ref,
                EntityType.COUNTERPARTY,
                onec_ref=ref,
                crm_id=op.source_id,
                onec_values=dict(op.values),
                crm_values=dict(op.values),
            )
        return Applied(ref)


def _invoice_applied(
    back: Invoice,
    ref: str,
    crm_id: str,
    crm_values: Mapping[str, Any] | None = None,
    link: str = EntityType.INVOICE,
) -> Applied:
    """The invoice as 1C holds it now (its number, date and total for the CRM); ``link``:
    what it is linked to (a CRM invoice, or a deal: F9)."""
    values = invoice_values_onec(back)
    return Applied(
        ref,
        link,
        onec_ref=ref,
        crm_id=crm_id,
        onec_values=values,
        crm_values=dict(crm_values or values),
        result={"number": back.number, "date": back.date.isoformat(), "total": back.total},
    )
