"""The invoices, payments and stock tables: 1C's documents beside what the CRM shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

from desktop_sync.domain.entities import Invoice, Payment, payment_state
from desktop_sync.domain.money import ZERO
from desktop_sync.engine.lookup import (
    PAYMENT_KINDS,
    counterparty_name,
    crm_counterparty_name,
    crm_figures,
    crm_of,
    payments_by_invoice,
    shipped_by_invoice,
)
from desktop_sync.engine.matcher import MatchResult
from desktop_sync.engine.snapshot import Snapshot
from desktop_sync.i18n import tr
from desktop_sync.journal import LinkValues
from desktop_sync.readmodel.marks import Marks, search, state_of
from desktop_sync.readmodel.rows import (
    DEAL,
    INVOICE,
    INVOICE_COLUMNS,
    PAYMENT,
    PAYMENT_COLUMNS,
    STOCK,
    STOCK_COLUMNS,
    Row,
    SyncState,
    Table,
)

_INVOICE_COMPARED = ("date", "total", "paid", "outstanding", "shipped")


def _onec_invoice_values(snap: Snapshot, inv: Invoice, by_inv: Mapping[str, list[Payment]],
                         shipped: Mapping[str, Decimal]) -> dict[str, Any]:  # fmt: skip
    ref = inv.onec_ref or ""
    state = payment_state(ref, inv.total, by_inv.get(ref, []))
    if inv.deleted:
        stage = tr("Marked for deletion")
    else:
        stage = tr("Posted") if inv.posted else tr("Not posted")
    return {
        "record": tr("1C document"),
        "number": inv.number,
        "date": inv.date,
        "counterparty": counterparty_name(snap, inv),
        "total": inv.total,
        "paid": state.paid,
        "outstanding": state.outstanding,
        "stage": stage,
        "shipped": shipped.get(ref, ZERO),
    }


def invoice_table(
    snap: Snapshot, links: list[LinkValues], marks: Marks, deal_links: Sequence[LinkValues] = ()
) -> Table:
    """1C's invoices (orders) beside the CRM's smart invoices and deals (F9): the column
    "record" says which, for the window's filter by kind."""
    cols = INVOICE_COLUMNS
    by_inv = payments_by_invoice(snap.onec.payments.values())
    shipped = shipped_by_invoice(snap)
    linked = crm_of(links)
    deals = crm_of(deal_links)
    rows: list[Row] = []
    used: set[int] = set()
    used_deals: set[int] = set()
    onec_invoices = sorted(
        snap.onec.invoices.values(), key=lambda i: (i.date, i.number), reverse=True
    )
    for inv in onec_invoices:
        ref = inv.onec_ref or ""
        if inv.deleted and ref not in linked:
            continue
        left = _onec_invoice_values(snap, inv, by_inv, shipped)
        crm_id = linked.get(ref, inv.crm_id)
        right: dict[str, Any] | None = None
        differs: list[str] = []
        base = SyncState.ONLY_ONEC
        if ref in deals and deals[ref] in snap.crm.deals:
            crm_id = deals[ref]
            used_deals.add(crm_id)
            right = _deal_figures(snap, crm_id)
            differs = [k for k in _INVOICE_COMPARED if left[k] != right[k]]
            base = SyncState.IN_SYNC
        elif crm_id is not None and crm_id in snap.crm.invoices:
            used.add(crm_id)
            right = {**crm_figures(snap, crm_id), "record": tr("Smart invoice")}
            differs = [k for k in _INVOICE_COMPARED if left[k] != right[k]]
            base = SyncState.IN_SYNC
        ids = [ref, str(crm_id) if crm_id is not None else None]
        state, note, detail = state_of(
            base, differs, marks.of([INVOICE, "invoice_number"], ids), cols
        )
        rows.append(
            Row(f"inv:{ref}", left, right, state, tuple(differs), note, inv.date,
                str(left["counterparty"]), ref, ids[1], search(left, right), detail)
        )  # fmt: skip
    for cid in sorted(snap.crm.invoices, reverse=True):
        if cid in used:
            continue
        right = {**crm_figures(snap, cid), "record": tr("Smart invoice")}
        state, note, detail = state_of(
            SyncState.ONLY_CRM, (), marks.of([INVOICE], [str(cid)]), cols
        )
        rows.append(
            Row(f"crm-inv:{cid}", None, right, state, (), note, cast(dt.date, right["date"]),
                str(right["counterparty"]), None, str(cid), search(right), detail)
        )  # fmt: skip
    for cid in sorted(set(snap.crm.deals) - used_deals, reverse=True):
        right = _deal_figures(snap, cid)
        state, note, detail = state_of(SyncState.ONLY_CRM, (), marks.of([DEAL], [str(cid)]), cols)
        rows.append(
            Row(f"crm-deal:{cid}", None, right, state, (), note, cast(dt.date, right["date"]),
                str(right["counterparty"]), None, str(cid), search(right), detail)
        )  # fmt: skip
    return Table(INVOICE, cols, _newest_first(rows))


def _deal_figures(snap: Snapshot, deal_id: int) -> dict[str, Any]:
    """A deal's figures (F9), its title after its number."""
    figures = crm_figures(snap, deal_id, deal=True)
    title = snap.crm.deals[deal_id].title
    number = f"{figures['number']} «{title}»" if title else figures["number"]
    return {**figures, "record": tr("Deal"), "number": number}


# -- payments ------------------------------------------------------------------------------


def _paid_in_crm(
    snap: Snapshot, p: Payment, inv_refs: list[str], linked: Mapping[str, int], kind: str
) -> tuple[dict[str, Any] | None, list[str], SyncState, str]:
    """The CRM side of a 1C payment: (values, CRM invoice ids, base state, note).

    A payment is on the CRM side when the CRM invoice it pays lists it."""
    if not inv_refs:
        return None, [], SyncState.ONLY_ONEC, tr("not allocated to an invoice")
    crm_invs = [
        (linked[r], snap.crm.invoices[linked[r]])
        for r in inv_refs
        if r in linked and linked[r] in snap.crm.invoices
    ]
    if not crm_invs:
        return None, [], SyncState.ONLY_ONEC, tr("its invoice is not in the CRM")
    shown = any(p.number in " ".join(ci.fields.payments) for _, ci in crm_invs)
    first = crm_invs[0][1]
    right = {
        "number": p.number if shown else "",
        "date": p.date if shown else None,
        "counterparty": crm_counterparty_name(snap, first),
        "kind": kind if shown else "",
        "amount": p.effect if shown else None,
        "invoice": ", ".join(ci.invoice.number for _, ci in crm_invs),
    }
    ids = [str(cid) for cid, _ in crm_invs]
    if shown:
        return right, ids, SyncState.IN_SYNC, ""
    return right, ids, SyncState.DIFFERS, tr("not yet shown on the CRM invoice")


def payment_table(snap: Snapshot, invoice_links: list[LinkValues], marks: Marks) -> Table:
    """A payment is on the CRM side when the CRM invoice it pays lists it."""
    cols = PAYMENT_COLUMNS
    linked = crm_of(invoice_links)
    rows: list[Row] = []
    for p in sorted(snap.onec.payments.values(), key=lambda x: (x.date, x.number), reverse=True):
        if not p.is_effective:
            continue
        ref = p.onec_ref or ""
        cp = snap.onec.counterparties.get(p.counterparty_ref or "")
        inv_refs = [a.invoice_ref for a in p.allocations if a.invoice_ref]
        invs = [snap.onec.invoices[r] for r in inv_refs if r in snap.onec.invoices]
        left: dict[str, Any] = {
            "number": p.number,
            "date": p.date,
            "counterparty": cp.name if cp else "",
            "kind": tr(PAYMENT_KINDS.get(p.kind.value, p.kind.value)),
            "amount": p.effect,
            "invoice": ", ".join(i.number for i in invs),
        }
        right, crm_ids, base, note = _paid_in_crm(snap, p, inv_refs, linked, left["kind"])
        state, mnote, detail = state_of(base, (), marks.of([PAYMENT], [ref, *crm_ids]), cols)
        rows.append(
            Row(f"pay:{ref}", left, right, state, (), mnote or note, p.date,
                str(left["counterparty"]), ref, ",".join(crm_ids) or None, search(left, right),
                detail)
        )  # fmt: skip
    return Table(PAYMENT, cols, _newest_first(rows))


# -- stock ---------------------------------------------------------------------------------


def stock_table(
    snap: Snapshot, match: MatchResult, marks: Marks, warehouse_map: Mapping[str, str]
) -> Table:
    cols = STOCK_COLUMNS
    stores = {str(k): v for k, v in snap.crm.stores.items()}
    rows: list[Row] = []
    for level in sorted(snap.onec.stock, key=lambda s: (s.product_ref, s.warehouse_ref)):
        p = snap.onec.products.get(level.product_ref)
        wh = snap.onec.warehouses.get(level.warehouse_ref)
        pname = p.name if p else level.product_ref
        wname = wh.name if wh else level.warehouse_ref
        left: dict[str, Any] = {"product": pname, "warehouse": wname, "quantity": level.free}
        store_id = warehouse_map.get(wname)
        pair = match.pairs.get(level.product_ref)
        right: dict[str, Any] | None = None
        differs: list[str] = []
        base = SyncState.ONLY_ONEC
        note = ""
        if store_id is None:
            note = tr("the warehouse is not mapped to a CRM store")
        elif pair is None or not pair.crm_key.isdigit():
            note = tr("the product is not in the CRM yet")
        else:
            amount = snap.crm.stock.get((int(pair.crm_key), int(store_id)), Decimal(0))
            store = stores.get(store_id)
            right = {
                "product": snap.crm.products[int(pair.crm_key)].product.name
                if int(pair.crm_key) in snap.crm.products
                else pname,
                "warehouse": store.name if store else store_id,
                "quantity": amount,
            }
            base = SyncState.IN_SYNC
            if amount != level.free:
                differs = ["quantity"]
        key = f"{level.product_ref}/{level.warehouse_ref}"
        state, mnote, detail = state_of(base, differs, marks.of([STOCK], [key]), cols)
        rows.append(
            Row(f"st:{key}", left, right, state, tuple(differs), mnote or note, None, "",
                key, None, search(left, right), detail)
        )  # fmt: skip
    return Table(STOCK, cols, tuple(rows))


def _newest_first(rows: list[Row]) -> tuple[Row, ...]:
    return tuple(sorted(rows, key=lambda r: r.date or dt.date.min, reverse=True))
