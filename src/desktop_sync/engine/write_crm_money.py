"""The CRM invoice's single-record writes, many to a batch request: the 1C number
written back, payment and shipment fields, Bitrix24's own payments; and the payment
notes on the invoice's timeline. Each operation gets its own outcome.

An outcome is an ``Applied``, a ``WriteError`` decided here, or the connector's
``CrmError`` (in its category already: the executor decides).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from desktop_sync.crm.changes import (
    Change,
    InvoiceMarks,
    InvoiceStage,
    PaymentPaid,
)
from desktop_sync.crm.port import CrmPort
from desktop_sync.engine.executor import FOUND, Applied, Outcome, WriteError, refused_kind
from desktop_sync.engine.model import Operation
from desktop_sync.engine.ops import (
    SENT,
    CrmPayment,
    EntityType,
    NumberBack,
    PaymentNote,
    PaymentState,
    ShipmentState,
)
from desktop_sync.i18n import N_, tr


def marker(key: str) -> str:
    """Written into a timeline comment so that a lost answer can be found by its key."""
    return f"[desktop-sync:{key}]"


def _number_back(p: NumberBack, results: Mapping[str, Applied]) -> list[Change]:
    made = results.get(p.from_op)
    if made is None:
        raise WriteError(tr("the invoice was not created in 1C"))
    fields: dict[str, Any] = {
        "onec_number": str(made.result["number"]),
        "onec_date": dt.date.fromisoformat(str(made.result["date"])),
        "sync_status": SENT,
    }
    if "total" in made.result:  # nothing paid yet: the whole sum is outstanding
        fields["outstanding"] = Decimal(str(made.result["total"]))
        fields["paid"] = Decimal("0.00")
    return [_marks(int(p.crm_id), fields, p.deal)]


def invoice_of(op: Operation, crm_id: int, results: Mapping[str, Applied]) -> int:
    """The CRM invoice ``op`` writes: ``crm_id``, or (0) the one made in this run by the
    operation it depends on (F8: an invoice issued in 1C, paid or shipped there)."""
    if crm_id:
        return crm_id
    for dep in op.depends_on:
        made = results.get(dep)
        if made is not None and made.target_id.isdigit():
            return int(made.target_id)
    raise WriteError(tr("the invoice was not created in the CRM"))


def _marks(crm_id: int, fields: Mapping[str, Any], deal: bool) -> Change:
    """Our fields on a smart invoice, or on a deal (F9)."""
    return InvoiceMarks(crm_id, fields, deal)


def changes(op: Operation, results: Mapping[str, Applied]) -> list[Change]:
    """What one update changes; a ``WriteError`` when it cannot be sent."""
    p = op.payload
    if isinstance(p, NumberBack):
        return _number_back(p, results)
    if isinstance(p, PaymentState):
        crm_id = invoice_of(op, p.crm_id, results)
        out: list[Change] = [_marks(crm_id, p.fields, p.deal)]
        if p.stage:
            out.append(InvoiceStage(crm_id, p.stage, p.deal))
        return out
    if isinstance(p, ShipmentState):
        return [_marks(invoice_of(op, p.crm_id, results), p.fields, p.deal)]
    if isinstance(p, CrmPayment) and p.payment_id is not None:
        return [PaymentPaid(int(p.payment_id), p.paid)]
    raise refused_kind(op, tr("desktop-sync cannot make this change in the CRM: {what}"))


def updates(
    client: CrmPort, ops: Sequence[Operation], results: Mapping[str, Applied]
) -> list[Outcome]:
    """Each operation's changes, all of them in as few batch requests as fit."""
    out: dict[int, Outcome] = {}
    sent: list[tuple[int, list[Change]]] = []
    for n, op in enumerate(ops):
        try:
            sent.append((n, changes(op, results)))
        except WriteError as exc:
            out[n] = exc
    answers = client.changes.write([c for _n, c in sent], what=N_("invoices")) if sent else []
    for (n, _c), error in zip(sent, answers, strict=True):
        out[n] = error if error is not None else _done(ops[n], results)
    return [out[n] for n in range(len(ops))]


def _done(op: Operation, results: Mapping[str, Applied]) -> Applied:
    p = op.payload
    if isinstance(p, CrmPayment):
        assert p.payment_id is not None
        return _payment_applied(op, p, int(p.payment_id))
    crm_id = getattr(p, "crm_id", None)
    if isinstance(crm_id, int):
        return Applied(str(invoice_of(op, crm_id, results)))
    return Applied(str(crm_id if crm_id is not None else op.target_id or ""))


def crm_payments(
    client: CrmPort, ops: Sequence[Operation], results: Mapping[str, Applied]
) -> list[Outcome]:
    """New payments of whole invoices in a few batch requests; a known one is only
    marked paid or unpaid (in one batch request too)."""
    out: dict[int, Outcome] = {}
    known = [n for n, op in enumerate(ops) if _payment(op).payment_id is not None]
    for n, outcome in zip(known, updates(client, [ops[n] for n in known], {}), strict=True):
        out[n] = outcome
    new: list[tuple[int, int]] = []  # (n, the CRM invoice)
    for n, op in enumerate(ops):
        if n not in out:
            try:
                new.append((n, invoice_of(op, _payment(op).crm_id, results)))
            except WriteError as exc:
                out[n] = exc
    if new:
        made = client.payments.full_payments(
            [(crm_id, Decimal(str(_payment(ops[n]).total))) for n, crm_id in new]
        )
        for (n, _id), m in zip(new, made, strict=True):
            out[n] = (
                m if isinstance(m, Exception) else _payment_applied(ops[n], _payment(ops[n]), m)
            )
    return [out[n] for n in range(len(ops))]


def _payment(op: Operation) -> CrmPayment:
    assert isinstance(op.payload, CrmPayment)
    return op.payload


def _payment_applied(op: Operation, p: CrmPayment, payment_id: int) -> Applied:
    return Applied(
        str(payment_id),
        EntityType.CRM_PAYMENT,
        onec_ref=op.source_id,
        crm_id=str(payment_id),
        onec_values={"paid": p.paid},
        crm_values={"paid": p.paid},
    )


def payment_note(
    client: CrmPort, op: Operation, p: PaymentNote, results: Mapping[str, Applied]
) -> Applied:
    """A 1C payment on the invoice's (or the deal's) timeline, with our key in it: never
    twice. An invoice made in this run (not found under its key) has a timeline no
    earlier attempt could have written to: nothing to look up."""
    crm_id = invoice_of(op, p.crm_id, results)
    fresh = not p.crm_id and not any(
        results[d].result.get(FOUND) for d in op.depends_on if d in results
    )
    if not fresh and noted(client, op.idempotency_key, crm_id, p.deal):
        # noted before (a lost journal, a profile added again): never twice
        return note_found(op.idempotency_key, op.source_id)
    text = f"{p.text} {marker(op.idempotency_key)}"
    comment_id = client.timeline.add_comment(crm_id, text, deal=p.deal)
    return Applied(
        str(comment_id), EntityType.PAYMENT_NOTE, onec_ref=op.source_id, crm_id=str(comment_id)
    )


def noted(client: CrmPort, key: str, crm_id: int, deal: bool = False) -> bool:
    """The note made under ``key`` is on the invoice's (the deal's) timeline."""
    return any(marker(key) in t for t in client.timeline.comment_texts(crm_id, deal=deal))


def note_found(key: str, source_id: str, *, relinked: bool = True) -> Applied:
    """The note made before under ``key`` (``relinked``: counted as found, not made)."""
    found = f"key:{key}"
    return Applied(
        found,
        EntityType.PAYMENT_NOTE,
        onec_ref=source_id,
        crm_id=found,
        result={FOUND: True} if relinked else {},
    )
