"""Writes to 1C, as the executor asks for them (``Writer`` protocol)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from desktop_sync.connectors.onec import (
    OnecBadRequest,
    OnecClient,
    OnecConflict,
    OnecConnectionError,
    OnecError,
    OnecServerError,
    OnecTimeout,
    OnecUnavailable,
)
from desktop_sync.domain.entities import Contract, Counterparty, Invoice
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.executor import (
    FOUND,
    Applied,
    OutcomeUnknown,
    TemporaryFailure,
    WriteError,
)
from desktop_sync.engine.model import Operation, OpKind, System
from desktop_sync.engine.plan_base import WRITABLE
from desktop_sync.engine.planner import CONTRACT, COUNTERPARTY, INVOICE, invoice_values_onec
from desktop_sync.i18n import tr

_LOGICAL = {COUNTERPARTY: "counterparties", CONTRACT: "contracts", INVOICE: "invoices"}


def translate(exc: OnecError) -> Exception:
    """A 1C error as the executor's kind: unknown outcome, temporary, or refused."""
    if isinstance(exc, OnecTimeout) or getattr(exc, "outcome_unknown", False):
        return OutcomeUnknown(str(exc))  # the write may have reached 1C
    if isinstance(exc, OnecConnectionError | OnecUnavailable | OnecServerError):
        return TemporaryFailure(str(exc))
    if isinstance(exc, OnecBadRequest | OnecConflict):
        return WriteError(str(exc), field=getattr(exc, "field", "") or "")
    return WriteError(str(exc), field=getattr(exc, "field", "") or "")


class OnecWriter:
    def __init__(self, client: OnecClient) -> None:
        self.client = client

    def apply(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        try:
            return self._apply(op)
        except OnecError as exc:
            raise translate(exc) from None

    def _apply(self, op: Operation) -> Applied:
        c = self.client
        if op.entity_type == COUNTERPARTY and op.kind is OpKind.CREATE:
            cp: Counterparty = op.payload["counterparty"]
            ref, found = self._counterparty(cp, op)
            return Applied(
                ref,
                COUNTERPARTY,
                onec_ref=ref,
                crm_id=op.source_id,
                onec_values=nz.counterparty_values(cp),
                crm_values=nz.counterparty_values(cp),
                result={FOUND: True} if found else {},
            )
        if op.entity_type == CONTRACT and op.kind is OpKind.CREATE:
            contract: Contract = op.payload["contract"]
            made = c.create_contract(contract.counterparty_ref, op.idempotency_key, contract.name)
            return Applied(made.ref)
        if op.entity_type == INVOICE and op.kind is OpKind.CREATE:
            inv: Invoice = op.payload["invoice"]
            # The key's Ref_Key goes with the POST: 1C answers "made before" for a document
            # this key made already (another run or profile, a lost journal): relinked.
            made = c.create_invoice(inv, op.idempotency_key)
            applied = self._invoice_applied(made.ref, op)
            if not made.created:
                applied = replace(applied, result={**applied.result, FOUND: True})
                applied.result.pop("total", None)  # paid or not: F3 says, not "all owed"
            return applied
        if op.entity_type == COUNTERPARTY and op.kind is OpKind.UPDATE:
            values = dict(op.payload["values"])
            cannot = [f for f in values if f not in WRITABLE[(System.ONEC, COUNTERPARTY)]]
            if cannot:  # never journalled as applied with a field left behind
                raise WriteError(
                    tr("desktop-sync does not write {fields} to {system}").format(
                        fields=", ".join(nz.label(f) for f in cannot), system="1С"
                    ),
                    field=nz.label(cannot[0]),
                )
            body: dict[str, Any] = {}
            if "name" in values:
                body["Description"] = values["name"]
            if not body:
                raise WriteError(tr("nothing that 1C can take was changed"))
            assert op.target_id is not None
            c.update(c.profile.set("counterparties"), op.target_id, body)
            merged = {**op.payload["onec_values"], **values}
            return Applied(
                op.target_id,
                COUNTERPARTY,
                onec_ref=op.target_id,
                crm_id=op.source_id,
                onec_values=merged,
                crm_values=dict(op.payload["crm_values"]),
            )
        raise WriteError(
            tr("desktop-sync cannot make this change in 1C: {what}").format(
                what=f"{op.kind.value} {op.entity_type}"
            )
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

    def _invoice_applied(self, ref: str, op: Operation) -> Applied:
        back = self.client.invoice(ref)
        if back is None:
            raise OutcomeUnknown(tr("the invoice was sent but 1C does not show it yet"))
        values = invoice_values_onec(back)
        return Applied(
            ref,
            INVOICE,
            onec_ref=ref,
            crm_id=str(op.payload["crm_id"]),
            onec_values=values,
            crm_values=dict(op.payload.get("crm_values") or values),
            result={"number": back.number, "date": back.date.isoformat(), "total": back.total},
        )

    def batch_size(self, op: Operation) -> int:
        return 1  # 1C's OData has no batch of creates worth the risk: one at a time

    def apply_many(
        self, ops: list[Operation], results: Mapping[str, Applied]
    ) -> list[Applied | Exception]:
        out: list[Applied | Exception] = []
        for op in ops:
            try:
                out.append(self.apply(op, results))
            except (OutcomeUnknown, TemporaryFailure, WriteError) as exc:
                out.append(exc)
        return out

    def lookup(
        self, entity_type: str, kind: str, key: str, payload: Mapping[str, Any]
    ) -> Applied | None:
        if kind != OpKind.CREATE.value or entity_type not in _LOGICAL:
            return None
        try:
            ref = self.client.find_created(_LOGICAL[entity_type], key)
            if ref is None:
                return None
            if entity_type == INVOICE:
                back = self.client.invoice(ref)
                if back is None:
                    return None
                values = invoice_values_onec(back)
                return Applied(
                    ref,
                    INVOICE,
                    onec_ref=ref,
                    crm_id=str(payload.get("crm_id") or payload.get("source_id")),
                    onec_values=values,
                    crm_values=values,
                    result={
                        "number": back.number,
                        "date": back.date.isoformat(),
                        "total": back.total,
                    },
                )
            if entity_type == COUNTERPARTY:
                return Applied(
                    ref,
                    COUNTERPARTY,
                    onec_ref=ref,
                    crm_id=str(payload.get("source_id")),
                    onec_values=dict(payload.get("values") or {}),
                    crm_values=dict(payload.get("values") or {}),
                )
            return Applied(ref)
        except OnecError as exc:
            raise translate(exc) from None
