"""The window's read model: side-by-side tables built from a snapshot, Qt-free.

Pure Python, no Qt, no I/O: :func:`build_views` turns a read (the snapshot, the plan,
the journal's links, the inbox and the last run's failures) into the five tables the
window shows; the GUI only formats and sorts them. The invoice lookup is the door's
(:mod:`desktop_sync.engine.lookup`), named here for the window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from desktop_sync.engine.lookup import InvoiceStatus, PaymentLine, find_invoices
from desktop_sync.engine.matcher import (
    Matches,
    MatchResult,
    match_counterparties,
    match_products,
)
from desktop_sync.engine.normalize import display as field_value  # in words, for the window
from desktop_sync.engine.normalize import label as field_label
from desktop_sync.engine.records import Plan
from desktop_sync.engine.snapshot import CrmData, OnecData, Snapshot
from desktop_sync.journal import LinkValues
from desktop_sync.readmodel.documents import invoice_table, payment_table, stock_table
from desktop_sync.readmodel.marks import Marks, item_mark, marks_from_plan
from desktop_sync.readmodel.parties import counterparty_table, product_table
from desktop_sync.readmodel.reasons import done_reason, journal_reason
from desktop_sync.readmodel.rows import (
    COUNTERPARTY,
    COUNTERPARTY_COLUMNS,
    DEAL,
    INVOICE,
    INVOICE_COLUMNS,
    PAYMENT,
    PAYMENT_COLUMNS,
    PRODUCT,
    PRODUCT_COLUMNS,
    SHIPMENT,
    STOCK,
    STOCK_COLUMNS,
    Column,
    ColumnKind,
    Mark,
    Row,
    SyncState,
    Table,
    Views,
)


def build_views(
    snap: Snapshot,
    links: Mapping[str, list[LinkValues]],
    plan: Plan | None = None,
    marks: Iterable[Mark] = (),
    warehouse_map: Mapping[str, str] | None = None,
    matches: Matches | None = None,
) -> Views:
    """All five tables. ``links`` maps an entity type to the journal's links of it.

    The records are paired as the planner paired them (``matches``, else the plan's);
    only without a plan are they matched here, once for all the tables."""
    m = Marks()
    for mark in marks_from_plan(plan) if plan is not None else ():
        m.add(mark)
    for mark in marks:
        m.add(mark)
    if matches is None and plan is not None:
        matches = plan.matches
    if matches is None:
        matches = Matches(
            match_counterparties(snap.onec.counterparties, snap.crm.companies,
                                 links.get(COUNTERPARTY, [])),
            match_products(snap.onec.products, snap.crm.products, links.get(PRODUCT, [])),
            MatchResult(),  # the invoice table pairs by the links and 1C's CRM ids
        )  # fmt: skip
    return Views(
        invoices=invoice_table(snap, links.get(INVOICE, []), m, links.get(DEAL, [])),
        payments=payment_table(snap, links.get(INVOICE, []), m),
        stock=stock_table(snap, matches.products, m, warehouse_map or {}),
        counterparties=counterparty_table(snap, matches.counterparties, m, _customers(snap)),
        products=product_table(snap, matches.products, m, _products(snap)),
    )


def _customers(snap: Snapshot) -> set[str]:
    refs = {i.counterparty_ref for i in snap.onec.invoices.values() if not i.deleted}
    refs |= {p.counterparty_ref for p in snap.onec.payments.values() if p.is_effective}
    refs |= {s.counterparty_ref for s in snap.onec.shipments.values() if not s.deleted}
    return {r for r in refs if r}


def _products(snap: Snapshot) -> set[str]:
    refs = {ln.product_ref for i in snap.onec.invoices.values() for ln in i.lines}
    refs |= {ln.product_ref for s in snap.onec.shipments.values() for ln in s.lines}
    return {r for r in refs if r}


def empty_snapshot() -> Snapshot:
    """A snapshot with nothing in it (the window before the first read)."""

    return Snapshot(OnecData(), CrmData())


__all__ = [
    "COUNTERPARTY",
    "COUNTERPARTY_COLUMNS",
    "DEAL",
    "INVOICE",
    "INVOICE_COLUMNS",
    "PAYMENT",
    "PAYMENT_COLUMNS",
    "PRODUCT",
    "PRODUCT_COLUMNS",
    "SHIPMENT",
    "STOCK",
    "STOCK_COLUMNS",
    "Column",
    "ColumnKind",
    "InvoiceStatus",
    "Mark",
    "Matches",
    "PaymentLine",
    "Row",
    "SyncState",
    "Table",
    "Views",
    "build_views",
    "done_reason",
    "empty_snapshot",
    "field_label",
    "field_value",
    "find_invoices",
    "item_mark",
    "journal_reason",
    "marks_from_plan",
]
