"""F11, planned: the printed invoice «Счёт на оплату» on the CRM invoice's timeline. Pure.

Every invoice linked on both sides gets its PDF once per *version*: a digest of what
the form shows that matters to a payer (number, date, the buyer's ИНН/КПП, each row's
quantity, price, sum and VAT, the total; not the product names, which the CRM and 1C
may spell differently). A version already attached is linked in the journal as
``invoice_pdf`` ``{ref}/{digest}`` and never planned again; a new version says in its
comment what changed since the last one (the last version's values are in its link).

An invoice this plan creates in 1C (F1) gets its PDF in the same run, after the create:
its number, date and rows are 1C's, read when the PDF is made, and so is the version. An
invoice issued in 1C that this plan creates in the CRM (F8) gets it after that create.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from desktop_sync.domain.entities import Invoice
from desktop_sync.engine.invoice_print import printable_invoice, unit_names
from desktop_sync.engine.model import Flow, Operation, OpKind, System
from desktop_sync.engine.ops import (
    CounterpartyCreate,
    EntityType,
    InvoiceCreate,
    InvoicePdf,
    IssuedInvoice,
)
from desktop_sync.engine.plan_base import Builder, Links
from desktop_sync.engine.plan_invoice_checks import invoice_label
from desktop_sync.engine.snapshot import Snapshot
from desktop_sync.i18n import tr
from desktop_sync.journal import LinkValues
from desktop_sync.printing.data import (
    BankAccount,
    Party,
    PrintableInvoice,
    money_text,
)
from desktop_sync.printing.version import digest, version_values

INVOICE_PDF = EntityType.INVOICE_PDF
NO_SELLER = Party("")  # the seller and its bank are read from 1C when the PDF is made
NO_BANK = BankAccount("", "", "")


def _date_text(iso: str) -> str:
    return f"{iso[8:10]}.{iso[5:7]}.{iso[:4]}" if len(iso) >= 10 else iso


def what_changed(before: Mapping[str, Any], now: Mapping[str, Any]) -> str:
    """«сумма 12 000,00 → 13 200,00 ₽; строк 2 → 3» (in the user's language)."""
    parts: list[str] = []
    if (before.get("number"), before.get("date")) != (now["number"], now["date"]):
        parts.append(
            tr("number and date {before} → {after}").format(
                before=f"№ {before.get('number')} {_date_text(str(before.get('date') or ''))}",
                after=f"№ {now['number']} {_date_text(now['date'])}",
            )
        )
    if str(before.get("total")) != now["total"]:
        parts.append(
            tr("sum {before} → {after} ₽").format(
                before=money_text(Decimal(str(before.get("total") or 0))),
                after=money_text(Decimal(str(now["total"]))),
            )
        )
    if before.get("rows") != now["rows"]:
        parts.append(
            tr("rows {before} → {after}").format(
                before=before.get("rows") or 0,
                after=now["rows"],
            )
        )
    if before.get("buyer") != now["buyer"]:
        parts.append(
            tr("buyer's INN/KPP {before} → {after}").format(
                before=before.get("buyer") or "—", after=now["buyer"]
            )
        )
    if not parts:
        parts.append(tr("rows changed"))
    return "; ".join(parts)


def _versions(links: Iterable[LinkValues]) -> dict[str, dict[str, Mapping[str, Any]]]:
    """Per 1C invoice ref: each attached version's digest → the values it showed."""
    out: dict[str, dict[str, Mapping[str, Any]]] = {}
    for link in links:
        ref, sep, version = (link.onec_ref or "").rpartition("/")
        if sep and ref:
            out.setdefault(ref, {})[version] = link.onec_values or {}
    return out


def _printable(inv: Invoice) -> bool:
    return not inv.deleted and bool(inv.lines)


def _buyer(b: Builder, snap: Snapshot, ref: str) -> Party:
    """The buyer of an invoice to be made in 1C: read, or made earlier in this plan."""
    cp = snap.onec.counterparties.get(ref)
    if cp is None:
        for op in b.ops.values():
            if op.target_id == ref and isinstance(op.payload, CounterpartyCreate):
                cp = op.payload.counterparty
                break
    return Party(cp.name, cp.inn, cp.kpp) if cp is not None else Party("—")


def _after_creates(b: Builder, snap: Snapshot, units: Mapping[str, str]) -> None:
    """The PDF of each invoice this plan creates in 1C (F1), once it is made."""
    creates = [
        op
        for op in b.ops.values()
        if op.target is System.ONEC
        and op.kind is OpKind.CREATE
        and isinstance(op.payload, InvoiceCreate)
        and op.source_id.isdigit()
    ]
    for op in creates:
        assert isinstance(op.payload, InvoiceCreate)
        inv = op.payload.invoice
        doc = PrintableInvoice(
            "", inv.date, NO_SELLER, NO_BANK, _buyer(b, snap, inv.counterparty_ref or ""), []
        )
        source = f"{op.target_id}/new"
        b.op(
            Operation(
                op_id=f"F11:pdf:{source}",
                flow=Flow.F11,
                kind=OpKind.TIMELINE,
                target=System.CRM,
                entity_type=INVOICE_PDF,
                source_id=source,
                target_id=op.source_id,
                idempotency_key=b.key(Flow.F11, INVOICE_PDF, source),
                reason=tr("{label}: the printed invoice (PDF) will be attached to the CRM invoice")
                .format(label=op.record_label),
                record_label=op.record_label,
                payload=InvoicePdf(int(op.source_id), doc, {}, from_op=op.op_id, units=units),
                depends_on=(op.op_id,),
            )
        )  # fmt: skip


def _after_issued(b: Builder, snap: Snapshot, units: Mapping[str, str]) -> None:
    """The PDF of each invoice issued in 1C that this plan creates in the CRM (F8)."""
    creates = [
        op
        for op in b.ops.values()
        if op.target is System.CRM
        and op.kind is OpKind.CREATE
        and isinstance(op.payload, IssuedInvoice)
        and op.source_id in snap.onec.invoices
    ]
    for op in creates:
        inv = snap.onec.invoices[op.source_id]
        if not _printable(inv):
            continue
        doc = printable_invoice(snap, inv, NO_SELLER, NO_BANK, units=units)
        source = f"{op.source_id}/{digest(doc)}"
        crm_id = int(op.target_id) if op.target_id and op.target_id.isdigit() else 0
        b.op(
            Operation(
                op_id=f"F11:pdf:{source}",
                flow=Flow.F11,
                kind=OpKind.TIMELINE,
                target=System.CRM,
                entity_type=INVOICE_PDF,
                source_id=source,
                target_id=str(crm_id or ""),
                idempotency_key=b.key(Flow.F11, INVOICE_PDF, source),
                reason=tr("{label}: the printed invoice (PDF) will be attached to the CRM invoice")
                .format(label=op.record_label),
                record_label=op.record_label,
                payload=InvoicePdf(crm_id, doc, version_values(doc, 1), from_op=op.op_id),
                depends_on=(op.op_id,),
            )
        )  # fmt: skip


def plan_invoice_pdfs(b: Builder, snap: Snapshot, links: Links) -> None:
    """One ``TIMELINE`` operation per linked invoice whose current version has no PDF,
    and one after each invoice this plan creates in 1C (F1) or in the CRM (F8)."""
    units = unit_names(snap)
    _after_creates(b, snap, units)
    _after_issued(b, snap, units)
    linked: dict[str, int] = {}
    for link in links.of(EntityType.INVOICE):
        ref, crm = link.onec_ref, link.crm_id
        if (
            ref
            and crm
            and crm.isdigit()
            and ref in snap.onec.invoices
            and (int(crm) in snap.crm.invoices)
        ):
            linked[ref] = int(crm)
    if not linked:
        return
    attached = _versions(links.of(INVOICE_PDF))
    for ref, crm_id in sorted(linked.items(), key=lambda kv: kv[1]):
        inv = snap.onec.invoices[ref]
        if not _printable(inv):
            continue
        doc = printable_invoice(snap, inv, NO_SELLER, NO_BANK, units=units)
        version = digest(doc)
        seen = attached.get(ref, {})
        if version in seen:
            continue
        last = max(seen.values(), key=lambda v: int(v.get("seq") or 0), default=None)
        values = version_values(doc, 1 + (int(last.get("seq") or 0) if last else 0))
        changed = what_changed(last, values) if last is not None else ""
        source = f"{ref}/{version}"
        label = invoice_label(inv)
        reason = (
            tr("{label}: changed ({what}); a new printed invoice (PDF) will be attached to the "
               "CRM invoice").format(label=label, what=changed)
            if changed
            else tr("{label}: the printed invoice (PDF) will be attached to the CRM invoice")
            .format(label=label)
        )  # fmt: skip
        b.op(
            Operation(
                op_id=f"F11:pdf:{source}",
                flow=Flow.F11,
                kind=OpKind.TIMELINE,
                target=System.CRM,
                entity_type=INVOICE_PDF,
                source_id=source,
                target_id=str(crm_id),
                idempotency_key=b.key(Flow.F11, INVOICE_PDF, source),
                reason=reason,
                record_label=label,
                payload=InvoicePdf(crm_id, doc, values, changed),
            )
        )
