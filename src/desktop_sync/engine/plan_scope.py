"""What a full plan covers: the 1C counterparties and products that customer documents
(invoices, payments, shipments) refer to, in the order the documents were made."""

from __future__ import annotations

from desktop_sync.domain.entities import Invoice
from desktop_sync.engine.snapshot import Snapshot


def invoices_by_date(snap: Snapshot) -> list[Invoice]:
    """The 1C invoices in the order they were made (date, then number)."""
    return sorted(snap.onec.invoices.values(), key=lambda i: (i.date, i.number))


def customers_in_scope(snap: Snapshot, invoices: list[Invoice] | None = None) -> list[str]:
    """1C counterparties that customer documents refer to (customers only);
    ``invoices``: ``invoices_by_date``, when the caller has it."""
    refs: dict[str, None] = {}
    for inv in invoices_by_date(snap) if invoices is None else invoices:
        if inv.counterparty_ref and not inv.deleted:
            refs.setdefault(inv.counterparty_ref)
    for pay in sorted(snap.onec.payments.values(), key=lambda p: (p.date, p.number)):
        if pay.counterparty_ref and pay.is_effective and not pay.kind.is_refund:
            refs.setdefault(pay.counterparty_ref)
    for sh in sorted(snap.onec.shipments.values(), key=lambda s: (s.date, s.number)):
        if sh.counterparty_ref and not sh.deleted:
            refs.setdefault(sh.counterparty_ref)
    return [r for r in refs if r in snap.onec.counterparties]


def products_in_scope(snap: Snapshot, invoices: list[Invoice] | None = None) -> list[str]:
    refs: dict[str, None] = {}
    for doc in invoices_by_date(snap) if invoices is None else invoices:
        for ln in doc.lines:
            if ln.product_ref:
                refs.setdefault(ln.product_ref)
    for sh in sorted(snap.onec.shipments.values(), key=lambda s: (s.date, s.number)):
        for ln in sh.lines:
            if ln.product_ref:
                refs.setdefault(ln.product_ref)
    return [r for r in refs if r in snap.onec.products]
