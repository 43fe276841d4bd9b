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

from desktop_sync.domain.entities import Counterparty, Invoice
from desktop_sync.engine.invoice_print import printable_invoice, unit_names
from desktop_sync.engine.model import Flow, Head, Operation, OpKind, System, operation
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


class _Buyers:
    """The buyer of each invoice to be made in 1C: read, or made earlier in this plan
    (the counterparties this plan creates are looked up once, not per invoice)."""

    def __init__(self, b: Builder, snap: Snapshot) -> None:
        self.b = b
        self.snap = snap
        self.made: dict[str, Counterparty] | None = None  # 1C ref -> created in this plan
        self.parties: dict[str, Party] = {}

    def party(self, ref: str) -> Party:
        found = self.parties.get(ref)
        if found is None:
            cp = self.snap.onec.counterparties.get(ref) or self._made().get(ref)
            found = Party(cp.name, cp.inn, cp.kpp) if cp is not None else Party("—")
            self.parties[ref] = found
        return found

    def _made(self) -> dict[str, Counterparty]:
        if self.made is None:
            self.made = {}
            for op in self.b.ops.values():
                if op.target_id and isinstance(op.payload, CounterpartyCreate):
                    self.made.setdefault(op.target_id, op.payload.counterparty)
        return self.made


def _created(b: Builder, target: System, payload: type[Any]) -> list[Operation]:
    """The operations of this plan creating in ``target`` what ``payload`` carries."""
    return [
        op
        for op in b.ops.values()
        if op.target is target and op.kind is OpKind.CREATE and isinstance(op.payload, payload)
    ]


_PDF = Head(Flow.F11, OpKind.TIMELINE, System.CRM, INVOICE_PDF)


def _pdf_op(
    b: Builder, source: str, crm_id: str, label: str, reason: str, payload: InvoicePdf
) -> None:
    """The F11 operation attaching the PDF of ``source`` (``ref/version``) to the CRM
    invoice ``crm_id``; after the operation that creates the invoice, if there is one."""
    b.op(
        operation(
            f"F11:pdf:{source}",
            _PDF,
            (source, crm_id),
            label,
            reason,
            payload,
            key=b.key(Flow.F11, INVOICE_PDF, source),
            depends_on=(payload.from_op,) if payload.from_op else (),
        )
    )


def _after_creates(b: Builder, snap: Snapshot, units: Mapping[str, str], attached: str) -> None:
    """The PDF of each invoice this plan creates in 1C (F1), once it is made."""
    buyers = _Buyers(b, snap)
    for op in _created(b, System.ONEC, InvoiceCreate):
        if not op.source_id.isdigit():
            continue
        assert isinstance(op.payload, InvoiceCreate)
        inv = op.payload.invoice
        buyer = buyers.party(inv.counterparty_ref or "")
        doc = PrintableInvoice("", inv.date, NO_SELLER, NO_BANK, buyer, [])
        payload = InvoicePdf(int(op.source_id), doc, {}, from_op=op.op_id, units=units)
        label = op.record_label
        source = f"{op.target_id}/new"
        _pdf_op(b, source, op.source_id, label, attached.format(label=label), payload)


def _after_issued(b: Builder, snap: Snapshot, units: Mapping[str, str], attached: str) -> None:
    """The PDF of each invoice issued in 1C that this plan creates in the CRM (F8)."""
    for op in _created(b, System.CRM, IssuedInvoice):
        inv = snap.onec.invoices.get(op.source_id)
        if inv is None or not _printable(inv):
            continue
        doc = printable_invoice(snap, inv, NO_SELLER, NO_BANK, units=units)
        crm_id = int(op.target_id) if op.target_id and op.target_id.isdigit() else 0
        payload = InvoicePdf(crm_id, doc, version_values(doc, 1), from_op=op.op_id)
        label = op.record_label
        source = f"{op.source_id}/{digest(doc)}"
        _pdf_op(b, source, str(crm_id or ""), label, attached.format(label=label), payload)


def plan_invoice_pdfs(b: Builder, snap: Snapshot, links: Links) -> None:
    """One ``TIMELINE`` operation per linked invoice whose current version has no PDF,
    and one after each invoice this plan creates in 1C (F1) or in the CRM (F8)."""
    units = unit_names(snap)
    attached = tr("{label}: the printed invoice (PDF) will be attached to the CRM invoice")
    _after_creates(b, snap, units, attached)
    _after_issued(b, snap, units, attached)
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
    versions = _versions(links.of(INVOICE_PDF))
    for ref, crm_id in sorted(linked.items(), key=lambda kv: kv[1]):
        inv = snap.onec.invoices[ref]
        if not _printable(inv):
            continue
        doc = printable_invoice(snap, inv, NO_SELLER, NO_BANK, units=units)
        version = digest(doc)
        seen = versions.get(ref, {})
        if version in seen:
            continue
        last = max(seen.values(), key=lambda v: int(v.get("seq") or 0), default=None)
        values = version_values(doc, 1 + (int(last.get("seq") or 0) if last else 0))
        changed = what_changed(last, values) if last is not None else ""
        label = invoice_label(inv)
        reason = (
            tr("{label}: changed ({what}); a new printed invoice (PDF) will be attached to the "
               "CRM invoice").format(label=label, what=changed)
            if changed
            else attached.format(label=label)
        )  # fmt: skip
        payload = InvoicePdf(crm_id, doc, values, changed)
        _pdf_op(b, f"{ref}/{version}", str(crm_id), label, reason, payload)
