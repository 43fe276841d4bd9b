"""The main window's reads, run in the worker: everything the window shows is built here,
off the GUI thread, so that the GUI thread only hands finished tables to its views.

Every question goes through the door (:class:`~desktop_sync.engine.service.SyncService`);
nothing here touches a widget.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from typing import Any

from desktop_sync.config import AppPaths, Profile
from desktop_sync.engine.records import Flow, InboxRecord, Item, LinkValues, Plan, Snapshot
from desktop_sync.engine.service import SyncService
from desktop_sync.gui import journal_names
from desktop_sync.gui.controllers.journal import RunEntry
from desktop_sync.gui.controllers.plan_rows import PlanRow, plan_rows
from desktop_sync.i18n import ntr, tr
from desktop_sync.readmodel import (
    COUNTERPARTY,
    DEAL,
    INVOICE,
    PAYMENT,
    PRODUCT,
    InvoiceStatus,
    Mark,
    Views,
    build_views,
    find_invoices,
    item_mark,
)

Namer = Callable[[journal_names.OpEntry], str]


@dataclass
class Loaded:
    """What one read brings back to the GUI thread."""

    snapshot: Snapshot
    plan: Plan
    views: Views
    invoice_links: list[LinkValues]
    inbox: list[InboxRecord]
    runs: list[RunEntry]
    read_at: dt.datetime
    plan_rows: dict[Flow, list[PlanRow]]
    names: Namer  # the journal's records named from this read
    items: list[Item]  # the plan's items, their values in words as the Inbox says them
    deal_links: list[LinkValues] = field(default_factory=list)  # F9: deals 1C has

    def find_invoices(self, query: str) -> list[InvoiceStatus]:
        """The lookup tab's answer from this read, with what its plan notes (a UT 11
        draft, a CRM invoice or deal not at its send stage)."""
        return find_invoices(self.snapshot, self.invoice_links, query, notes=self.plan.notes,
                             deal_links=self.deal_links)  # fmt: skip


def journal_state(svc: SyncService) -> tuple[list[InboxRecord], list[RunEntry]]:
    inbox = svc.inbox()
    runs = [RunEntry.from_row(r) for r in svc.runs(limit=200)]
    return inbox, runs


def marks(svc: SyncService, inbox: list[InboxRecord]) -> list[Mark]:
    """The inbox's items and what the last apply failed, marked on the tables' rows."""
    out = [item_mark(e.entity_type, e.record_id, e.kind, e.field, e.message) for e in inbox]
    for op in svc.failed_in_last_apply():
        for rid in (op.source_id, op.target_id):
            if rid:
                out.append(Mark(op.entity_type, rid, "error", op.error or op.reason))
    return out


def open_service(profile: Profile, paths: AppPaths) -> SyncService:
    """The door for a profile; the demo's sandbox portal runs without rate limits, so
    the client does not throttle either."""
    from urllib.parse import urlsplit

    host = urlsplit(profile.crm_url).hostname or ""
    local_demo = profile.demo and host in ("127.0.0.1", "localhost", "::1")
    return SyncService.open(profile, paths, crm_throttle=not local_demo)


def read_task(
    svc: SyncService, warehouse_map: dict[str, str]
) -> Callable[[Callable[[Any], None], threading.Event], Loaded]:
    """Read both systems and build everything the window shows, off the GUI thread."""

    def task(progress: Callable[[Any], None], cancel: threading.Event) -> Loaded:
        snap, plan = svc.prepare(progress, cancel)
        inbox, runs = journal_state(svc)
        links = {t: svc.links(t) for t in (COUNTERPARTY, PRODUCT, INVOICE, PAYMENT, DEAL)}
        shown = with_confirmed_allocations(snap, svc.inbox(open_only=False))
        views = build_views(shown, links, plan, marks(svc, inbox), warehouse_map)
        return Loaded(snap, plan, views, links[INVOICE], inbox, runs,
                      dt.datetime.now().astimezone(), plan_rows(plan),
                      journal_names.namer(snap), svc.in_words(plan.items),
                      links[DEAL])  # fmt: skip

    return task


ALLOCATE = "F3:allocate:"  # + payment ref : row : invoice ref (engine/money._allocated)


def with_confirmed_allocations(snap: Snapshot, items: list[InboxRecord]) -> Snapshot:
    """The read as the plan sees it: a payment row that names no invoice in 1C, allocated
    where a person confirmed the invoice it pays. The tables said «Only in 1C: not
    allocated to an invoice» of such a payment, and «Differs: Paid, Outstanding» of its
    invoice, after the run had written it to the CRM as paid (day two of the demo)."""
    confirmed: dict[tuple[str, int], str] = {}
    for e in items:
        r = e.resolution or {}
        if (
            e.state == "resolved"
            and e.dedup_key.startswith(ALLOCATE)
            and r.get("action") == "confirm"
        ):
            pay, line, inv = [*e.dedup_key[len(ALLOCATE) :].split(":"), "", "", ""][:3]
            if line.isdigit() and inv in snap.onec.invoices:
                confirmed[(pay, int(line))] = inv
    payments = dict(snap.onec.payments)
    for ref, p in snap.onec.payments.items():
        rows = tuple(
            replace(a, invoice_ref=confirmed[(ref, a.line_no)])
            if a.invoice_ref is None and (ref, a.line_no) in confirmed
            else a
            for a in p.allocations
        )
        if rows != p.allocations:
            payments[ref] = replace(p, allocations=rows)
    if payments == snap.onec.payments:
        return snap
    return replace(snap, onec=replace(snap.onec, payments=payments))


def status_line(
    pending: int,
    inbox: list[InboxRecord],
    plan: Plan,
    planned: Collection[str] | None = None,
    decided: int = 0,
) -> str:
    """What Synchronize will do, in the same numbers as the Inbox tab.

    The Inbox is the one list of what waits; the read finds items the journal does not
    hold yet, and says they join the Inbox with the next synchronisation. ``planned``:
    the plan's item keys still to join (a decision taken since the read leaves them);
    ``decided``: decisions taken since the read.
    """
    waiting = {e.dedup_key for e in inbox}
    keys = planned if planned is not None else [item.key for item in plan.items]
    new = sum(1 for key in keys if key not in waiting)
    text = tr("Changes ready to apply on all tabs: {ops}. In the Inbox: {items}.").format(
        ops=pending, items=len(inbox)
    )
    if new:
        text += " " + ntr(
            "{new} more will join it when you synchronize.",
            "{new} more will join it when you synchronize.",
            new,
        ).format(new=new)
    if decided:  # after a decision the read's «0 changes» alone read as «nothing to do»
        text += " " + ntr(
            "{n} decision taken since the read: Synchronize carries it out.",
            "{n} decisions taken since the read: Synchronize carries them out.",
            decided,
        ).format(n=decided)
    return text


@dataclass(frozen=True)
class RecordRef:
    """What the history dialog needs of a record found from the journal, not a table."""

    onec_id: str | None
    crm_id: str | None
    onec: dict[str, str] | None
    crm: dict[str, str] | None
    key: str

    def state_text(self) -> str:
        return tr("Not in the tables now")
