"""The money flows, planned: payments (F3) and shipments (F4), 1C → CRM. Pure.

For every invoice known on both sides, the CRM invoice's custom fields must carry
the full current state computed from 1C (paid, outstanding, last payment date, the
list of payments; shipped amount and document), so a repeat is harmless. Each
payment gets one timeline entry (keyed, never two), and the invoice moves to the
"paid" stage only when allocated payments minus refunds cover its total — and back
out when a refund or an un-posting uncovers it.

A receipt whose breakdown names no invoice is matched by the invoice number in its
purpose, or by counterparty and amount, and waits for the accountant to confirm.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from desktop_sync.domain.entities import Allocation, Invoice, Payment, PaymentKind, payment_state
from desktop_sync.domain.money import ZERO, format_rub, round_money
from desktop_sync.engine.model import (
    Decision,
    FieldChange,
    Flow,
    Item,
    ItemKind,
    Operation,
    OpKind,
    System,
)
from desktop_sync.engine.normalize import label as field_label
from desktop_sync.engine.ops import (
    SENT,
    CrmPayment,
    EntityType,
    PaymentNote,
    PaymentState,
    ShipmentState,
)
from desktop_sync.engine.plan_base import day_text, label_day
from desktop_sync.i18n import N_, money_label, tr
from desktop_sync.journal import LinkValues

INVOICE_PAYMENT = EntityType.INVOICE_PAYMENT
PAYMENT_NOTE = EntityType.PAYMENT_NOTE
INVOICE_SHIPMENT = EntityType.INVOICE_SHIPMENT
CRM_PAYMENT = EntityType.CRM_PAYMENT  # Bitrix24's own payment of a fully paid invoice

_KIND_LABEL = {
    PaymentKind.BANK: N_("bank transfer"),
    PaymentKind.CASH: N_("cash"),
    PaymentKind.CARD: N_("card"),
    PaymentKind.BANK_REFUND: N_("refund by bank"),
    PaymentKind.CASH_REFUND: N_("refund in cash"),
}
_NUMBER_IN_PURPOSE = re.compile(r"сч(?:[её]т\w*|\.)?\s*(?:№|N|No\.?)?\s*(\d[\w/-]*)", re.IGNORECASE)


@dataclass(frozen=True)
class MoneySettings:
    paid_stage: str = ""
    partly_paid_stage: str = ""
    send_stage: str = ""


@dataclass(frozen=True, slots=True)
class Created:
    """A CRM invoice this plan creates from a 1C invoice (F8): ``after``, the operation
    creating it; ``invoice``, the CRM invoice as it will be once made (its fields, stage
    and sum: F3/F4 plan against it), or as the CRM holds it under its key (``crm_id``;
    0: its id is known once it is made)."""

    after: str
    crm_id: int
    invoice: Any


def payment_line(
    p: Payment,
    share: Decimal,
    day: Callable[[dt.date], str] = day_text,
    money: Callable[[Decimal], str] = format_rub,
) -> str:
    """One entry of the invoice's payments list, as the manager reads it in the CRM (its
    date and amount as written there); ``day=label_day, money=money_label``: as the
    language writes them (``status``, the lookup)."""
    sign = "−" if p.kind.is_refund else ""
    return tr("No. {number} of {date}: {sign}{amount} ({kind})").format(
        number=p.number, date=day(p.date), sign=sign, amount=money(share),
        kind=tr(_KIND_LABEL[p.kind]),
    )  # fmt: skip


def _share(p: Payment, invoice_ref: str) -> Decimal:
    return round_money(sum((a.amount for a in p.allocations if a.invoice_ref == invoice_ref), ZERO))


def _candidates(p: Payment, alloc: Allocation, invoices: list[Invoice],
                outstanding: dict[str, Decimal]) -> list[Invoice]:  # fmt: skip
    """Invoices an unallocated receipt row probably pays: by number in the purpose,
    else by counterparty and an amount equal to what is still owed."""
    same_cp = [i for i in invoices if i.counterparty_ref == p.counterparty_ref]
    numbers = {m.group(1).lstrip("0") for m in _NUMBER_IN_PURPOSE.finditer(p.purpose or "")}
    by_number = [i for i in same_cp if i.number.lstrip("0") in numbers]
    if by_number:
        return by_number
    return [i for i in same_cp if i.onec_ref and outstanding.get(i.onec_ref) == alloc.amount]


def plan_money(
    *,
    ops: list[Operation],
    items: list[Item],
    decisions: dict[str, Decision],
    invoice_links: list[LinkValues],
    note_links: set[str],
    onec_invoices: dict[str, Invoice],
    crm_payments: dict[str, LinkValues] | None = None,
    payments: dict[str, Payment],
    shipments_by_invoice: dict[str, list[tuple[str, Any]]],
    crm_invoices: dict[int, Any],
    settings: MoneySettings,
    flows: set[Flow],
    key: Callable[[Flow, str, str], str],
    created: Mapping[str, Created] | None = None,
) -> None:
    """Append F3/F4 operations and items. ``key(flow, entity, source)`` makes create keys;
    ``note_links`` holds the ids of payment notes already on a CRM timeline; ``created``:
    per 1C ref, the CRM invoice this plan creates (F8): its payments and shipments are
    written in the same run, after it is made, so that the next run has nothing to do."""
    targets = _targets(invoice_links, onec_invoices, crm_invoices, created or {})
    invoices = [onec_invoices[t[0]] for t in targets]
    refs = {t[0] for t in targets}

    # Allocation rows that name an invoice, plus unallocated rows a person confirmed.
    by_invoice: dict[str, list[Payment]] = defaultdict(list)
    base_outstanding = {i.onec_ref or "": i.total for i in invoices}
    for p in sorted(payments.values(), key=lambda x: (x.date, x.number)):
        effective = p
        if Flow.F3 in flows and not p.kind.is_refund and p.is_effective:
            effective = _allocated(p, items, decisions, invoices, base_outstanding)
        for ref in {a.invoice_ref for a in effective.allocations if a.invoice_ref}:
            if ref in refs:
                by_invoice[ref].append(effective)

    for onec_ref, crm_id, ci, after in targets:
        inv = onec_invoices[onec_ref]
        label = tr("Invoice No. {number} of {date}").format(
            number=inv.number, date=label_day(inv.date)
        )
        first = len(ops)
        if Flow.F3 in flows:
            _plan_payments(ops, items, inv, crm_id, ci, by_invoice.get(onec_ref, []), label,
                           note_links, settings, key)  # fmt: skip
            _plan_crm_payment(ops, inv, crm_id, ci, by_invoice.get(onec_ref, []), label,
                              (crm_payments or {}).get(onec_ref), key)  # fmt: skip
        if Flow.F4 in flows:
            _plan_shipments(ops, items, inv, crm_id, ci, shipments_by_invoice.get(onec_ref, []),
                            label)  # fmt: skip
        if after:  # written once the invoice is made (its id: the create's result)
            ops[first:] = [_after(op, after, crm_id) for op in ops[first:]]


def _targets(
    invoice_links: list[LinkValues],
    onec_invoices: dict[str, Invoice],
    crm_invoices: dict[int, Any],
    created: Mapping[str, Created],
) -> list[tuple[str, int, Any, str]]:
    """(1C ref, CRM id, CRM invoice, the op making it in this plan or "") of each invoice
    F3/F4 plan for: those linked (by CRM id), then those this plan creates (F8)."""
    linked = {
        link.onec_ref: int(link.crm_id)
        for link in invoice_links
        if link.onec_ref and link.crm_id and link.crm_id.isdigit()
        and link.onec_ref in onec_invoices and int(link.crm_id) in crm_invoices
    }  # fmt: skip
    out = [(ref, crm_id, crm_invoices[crm_id], "") for ref, crm_id in
           sorted(linked.items(), key=lambda kv: kv[1])]  # fmt: skip
    out += [
        (ref, c.crm_id, c.invoice, c.after)
        for ref, c in created.items()
        if ref in onec_invoices and ref not in linked
    ]
    return out


def _after(op: Operation, after: str, crm_id: int) -> Operation:
    """``op`` about a CRM invoice made by ``after`` in this run."""
    return replace(op, depends_on=(after,), target_id=op.target_id if crm_id else None)


def _allocated(p: Payment, items: list[Item], decisions: dict[str, Decision],
               invoices: list[Invoice], outstanding: dict[str, Decimal]) -> Payment:  # fmt: skip
    """The receipt with its rows that name no invoice allocated where a person confirmed
    the invoice they probably pay; the others wait for a person as items."""
    allocations = list(p.allocations)
    for n, alloc in enumerate(p.allocations):
        if alloc.invoice_ref is not None:
            continue
        found = _candidates(p, alloc, invoices, outstanding)
        label = tr("Payment No. {number} of {date}").format(number=p.number, date=label_day(p.date))
        if len(found) == 1:
            target = found[0]
            item_key = f"F3:allocate:{p.onec_ref}:{alloc.line_no}:{target.onec_ref}"
            decision = decisions.get(item_key)
            if decision is not None and decision.action == "confirm":
                allocations[n] = replace(alloc, invoice_ref=target.onec_ref)
                continue
            if decision is not None:
                continue  # skipped by the person
            items.append(Item(
                key=item_key, kind=ItemKind.ATTENTION, flow=Flow.F3,
                entity_type="payment", record_id=p.onec_ref or "", record_label=label,
                field=tr("Invoice"),
                message=tr("{amount} names no invoice; it looks like payment of invoice "
                           "No. {invoice} (purpose: «{purpose}»)").format(
                    amount=money_label(alloc.amount), invoice=target.number,
                    purpose=p.purpose or "—"),
                action=tr("confirm the allocation, or allocate the payment in 1C"),
                onec_value=target.number,
            ))  # fmt: skip
        elif found:
            items.append(Item(
                key=f"F3:allocate_many:{p.onec_ref}:{alloc.line_no}", kind=ItemKind.ATTENTION,
                flow=Flow.F3, entity_type="payment", record_id=p.onec_ref or "",
                record_label=label, field=tr("Invoice"),
                message=tr("{amount} names no invoice; several invoices fit: {numbers}").format(
                    amount=money_label(alloc.amount),
                    numbers=", ".join(i.number for i in found)),
                action=tr("allocate the payment to invoices in 1C"),
            ))  # fmt: skip
    if allocations == list(p.allocations):
        return p
    return replace(p, allocations=tuple(allocations))


def _plan_crm_payment(ops: list[Operation], inv: Invoice, crm_id: int, ci: Any,
                      pays: list[Payment], label: str, made: LinkValues | None,
                      key: Callable[[Flow, str, str], str]) -> None:  # fmt: skip
    """Bitrix24's own payment follows 1C: paid in full there, a payment of the whole
    invoice marked paid here (so the portal's widgets and reports agree); no longer
    paid in full, that payment (ours: the journal links it) marked unpaid."""
    ref = inv.onec_ref or ""
    fully_paid = payment_state(ref, inv.total, pays).fully_paid
    paid_here = bool(made is not None and made.crm_values.get("paid"))
    if fully_paid == paid_here or (made is None and not fully_paid):
        return
    if fully_paid:
        reason = tr("{label}: paid in full; a Bitrix24 payment of the invoice will be marked paid")
    else:
        reason = tr("{label}: no longer paid in full in 1C; its Bitrix24 payment will be marked "
                    "unpaid")  # fmt: skip
    ops.append(Operation(
        op_id=f"F3:crm_payment:{ref}", flow=Flow.F3,
        kind=OpKind.CREATE if made is None else OpKind.SET_PAYMENT_STATE,
        target=System.CRM, entity_type=CRM_PAYMENT, source_id=ref,
        target_id=made.crm_id if made is not None else None,
        idempotency_key=key(Flow.F3, CRM_PAYMENT, ref) if made is None else "",
        reason=reason.format(label=label), record_label=label,
        changes=(_change("crm_payment", _paid_word(paid_here), _paid_word(fully_paid)),),
        payload=CrmPayment(crm_id, ci.opportunity, fully_paid,
                           made.crm_id if made is not None else None),
    ))  # fmt: skip


def _paid_word(paid: bool) -> str:
    # "Bitrix24 payment: not marked paid → marked paid" (was "payment not paid → payment
    # paid"); «не оплачена → оплачена» as before
    return tr("marked paid") if paid else tr("not marked paid")


def _plan_payments(ops: list[Operation], items: list[Item], inv: Invoice, crm_id: int, ci: Any,
                   pays: list[Payment], label: str, note_links: set[str],
                   settings: MoneySettings,
                   key: Callable[[Flow, str, str], str]) -> None:  # fmt: skip
    ref = inv.onec_ref or ""
    state = payment_state(ref, inv.total, pays)
    desired: dict[str, Any] = {
        "onec_number": inv.number,
        "onec_date": inv.date,
        "paid": state.paid,
        "outstanding": state.outstanding,
        "last_payment_date": state.last_payment_date,
        "payments": tuple(payment_line(p, _share(p, ref)) for p in state.payments),
        "sync_status": SENT,
    }
    current = ci.fields
    now = {
        "onec_number": current.onec_number,
        "onec_date": current.onec_date,
        "paid": round_money(current.paid) if current.paid is not None else None,
        "outstanding": round_money(current.outstanding)
        if current.outstanding is not None else None,
        "last_payment_date": current.last_payment_date,
        "payments": tuple(current.payments),
        "sync_status": current.sync_status,
    }  # fmt: skip
    # The same full state whichever way the invoice got here (sent by us in this run,
    # or an earlier run killed half-way): a person and a re-run see identical fields.
    desired_changes = {k: v for k, v in desired.items() if now[k] != v}
    stage: str | None = None
    if settings.paid_stage:
        if state.fully_paid and ci.stage_id != settings.paid_stage:
            stage = settings.paid_stage
        elif not state.fully_paid and ci.stage_id == settings.paid_stage:
            stage = (settings.partly_paid_stage if state.paid > 0 and settings.partly_paid_stage
                     else settings.send_stage) or None  # fmt: skip
        elif (state.partly_paid and settings.partly_paid_stage
              and ci.stage_id == settings.send_stage):  # fmt: skip
            stage = settings.partly_paid_stage
    if desired_changes or stage:
        if state.fully_paid:
            why = tr("paid in full")
        elif state.partly_paid:
            why = tr("paid {paid} of {total}, {left} outstanding").format(
                paid=money_label(state.paid),
                total=money_label(inv.total),
                left=money_label(state.outstanding),
            )
        else:
            why = tr("not paid")
        ops.append(Operation(
            op_id=f"F3:state:{ref}", flow=Flow.F3, kind=OpKind.SET_PAYMENT_STATE,
            target=System.CRM, entity_type=INVOICE_PAYMENT, source_id=ref,
            target_id=str(crm_id), idempotency_key="",
            reason=tr("{label}: {why}; the CRM invoice will show it").format(label=label, why=why),
            record_label=label,
            changes=tuple(_change(k, now[k], v) for k, v in desired_changes.items())
            + ((_change("stage", ci.stage_id, stage),) if stage else ()),
            payload=PaymentState(crm_id, desired, stage),
        ))  # fmt: skip
    if state.overpaid > 0:
        items.append(Item(
            key=f"F3:overpaid:{ref}", kind=ItemKind.ATTENTION, flow=Flow.F3,
            entity_type="invoice", record_id=ref, record_label=label, field=tr("Paid"),
            message=tr("overpaid by {amount}: an advance of the customer").format(
                amount=money_label(state.overpaid)),
            action=tr("offset the advance against another invoice, or refund it, in 1C"),
            onec_value=state.paid, crm_value=inv.total,
        ))  # fmt: skip
    for p in pays:
        if not p.onec_ref:
            continue
        note_id = f"{p.onec_ref}/{ref}"
        if note_id in note_links:
            continue
        share = _share(p, ref)
        text = tr("1C: payment {line}").format(line=payment_line(p, share))
        ops.append(Operation(
            op_id=f"F3:note:{note_id}", flow=Flow.F3, kind=OpKind.TIMELINE, target=System.CRM,
            entity_type=PAYMENT_NOTE, source_id=note_id, target_id=str(crm_id),
            idempotency_key=key(Flow.F3, PAYMENT_NOTE, note_id),
            reason=tr("{label}: payment No. {number} will be noted on the timeline").format(
                label=label, number=p.number),
            record_label=label, payload=PaymentNote(crm_id, text),
        ))  # fmt: skip


def _plan_shipments(ops: list[Operation], items: list[Item], inv: Invoice, crm_id: int, ci: Any,
                    docs: list[tuple[str, Any]], label: str) -> None:  # fmt: skip
    ref = inv.onec_ref or ""
    shipped = ZERO
    last_doc = ""
    for kind, doc in sorted(docs, key=lambda d: (d[1].date, d[1].number)):
        if not doc.posted or doc.deleted:
            continue
        if kind == "shipment":
            shipped += doc.total
            last_doc = tr("No. {number} of {date}").format(
                number=doc.number, date=day_text(doc.date)
            )
        else:
            shipped -= doc.total
    shipped = round_money(shipped)
    current = ci.fields
    now_shipped = round_money(current.shipped) if current.shipped is not None else None
    if now_shipped in (None, ZERO) and not any(d.posted and not d.deleted for _k, d in docs):
        return  # nothing shipped (an unposted sales document, F10's, ships nothing yet)
    changes: dict[str, Any] = {}
    if now_shipped != shipped:
        changes["shipped"] = shipped
    if (current.shipment_doc or "") != last_doc:
        changes["shipment_doc"] = last_doc
    if changes:
        ops.append(Operation(
            op_id=f"F4:state:{ref}", flow=Flow.F4, kind=OpKind.SET_SHIPMENT_STATE,
            target=System.CRM, entity_type=INVOICE_SHIPMENT, source_id=ref,
            target_id=str(crm_id), idempotency_key="",
            reason=tr("{label}: shipped {amount}; the CRM invoice will show it").format(
                label=label, amount=money_label(shipped)),
            record_label=label,
            changes=tuple(_change(k, {"shipped": now_shipped,
                                      "shipment_doc": current.shipment_doc}[k], v)
                          for k, v in changes.items()),
            payload=ShipmentState(crm_id, changes),
        ))  # fmt: skip
    if shipped > inv.total:
        items.append(Item(
            key=f"F4:above_invoice:{ref}", kind=ItemKind.ATTENTION, flow=Flow.F4,
            entity_type="invoice", record_id=ref, record_label=label, field=tr("Shipped"),
            message=tr("shipped {shipped}, more than the invoice's {total} (e.g. VAT 22% on a "
                       "2026 shipment of a 2025 invoice at 20%); “paid” is measured against the "
                       "invoice").format(shipped=money_label(shipped),
                                         total=money_label(inv.total)),
            action=tr("check the shipment in 1C; if the VAT rate change explains it, ask the "
                      "customer to pay the difference"),
            onec_value=shipped, crm_value=inv.total,
        ))  # fmt: skip


def _change(field: str, before: Any, after: Any) -> FieldChange:
    return FieldChange(field, field_label(field), before, after)  # the journal's names too
