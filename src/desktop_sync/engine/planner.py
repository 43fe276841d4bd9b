"""The planner: a 3-way diff of both systems against the last synced values.

Pure, deterministic, no I/O: the same snapshot, links and settings always give the
same plan, in the same order. Each operation says in plain words why it exists;
what the rules cannot decide becomes a conflict or an attention item that names the
record, the field and what to do.

Master rules (domain.md): counterparties both ways (F7); products 1C → CRM (F5);
an invoice CRM → 1C when it reaches the profile's "send" stage (F1), then 1C is its
master (F2).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

from desktop_sync.engine.matcher import Matches
from desktop_sync.engine.model import Decision, Flow, Item, ItemKind, Operation, OpKind, Plan
from desktop_sync.engine.money import (
    CRM_PAYMENT,
    PAYMENT_NOTE,
    Created,
    MoneySettings,
    plan_money,
)
from desktop_sync.engine.plan_base import (
    CONTRACT,
    COUNTERPARTY,
    INVOICE,
    INVOICE_BACK,
    PRODUCT,
    Builder,
    Links,
    PlanSettings,
    documents_by_invoice,
    key_scope,
)
from desktop_sync.engine.plan_closing import plan_closing
from desktop_sync.engine.plan_counterparties import Counterparties
from desktop_sync.engine.plan_deals import Deals, plan_deal_money
from desktop_sync.engine.plan_fields import block_missing_field_writes
from desktop_sync.engine.plan_invoice_pdf import plan_invoice_pdfs
from desktop_sync.engine.plan_invoices import Invoices, invoice_values_onec
from desktop_sync.engine.plan_onec_invoices import IssuedInvoices, created_in_crm
from desktop_sync.engine.plan_persons import pair_person_links
from desktop_sync.engine.plan_products import Products
from desktop_sync.engine.plan_scope import (
    customers_in_scope,
    invoices_by_date,
    products_in_scope,
)
from desktop_sync.engine.snapshot import Snapshot
from desktop_sync.engine.stock import plan_stock
from desktop_sync.i18n import tr

__all__ = [
    "CONTRACT",
    "COUNTERPARTY",
    "INVOICE",
    "INVOICE_BACK",
    "PRODUCT",
    "Decision",
    "Links",
    "PlanSettings",
    "build_plan",
    "customers_in_scope",
    "invoice_values_onec",
    "key_scope",
    "products_in_scope",
]


def build_plan(snap: Snapshot, links: Links, settings: PlanSettings) -> Plan:
    """The whole plan for the chosen flows. Pure and deterministic."""
    with _no_cycle_collection():
        return _build_plan(snap, links, settings)


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The planner makes hundreds of thousands of small objects and no reference cycles.
    The cyclic collector, woken every few hundred new objects, walks every object the
    process holds (the snapshot's too): some 40 % of the CPU time of a plan of 100,000
    records (issue 18). It is paused while planning (and left as it was).

    What planning made is then moved to the oldest generation (``freeze`` and
    ``unfreeze``: a list splice, no walk), unless someone keeps objects frozen (the
    window's collector policy): else the first allocation after planning walked all of
    it as young objects, another 10 % of a plan's CPU time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


def _build_plan(snap: Snapshot, links: Links, settings: PlanSettings) -> Plan:
    b = Builder(settings)
    flows = set(settings.flows)
    cps = Counterparties(b, snap, links)
    pair_person_links(cps.match, snap, links)  # private persons linked before (F22)
    products = Products(b, snap, links)
    invoices = Invoices(b, snap, links, cps, products)
    by_date = invoices_by_date(snap) if flows & {Flow.F5, Flow.F7} else []
    if Flow.F7 in flows:
        doc = tr("a customer in 1C documents")
        for ref in customers_in_scope(snap, by_date):
            cps.ensure_in_crm(ref, doc)
        cps.diff_linked()
    if Flow.F5 in flows:
        sold = tr("sold to customers")
        for ref in products_in_scope(snap, by_date):
            products.ensure_in_crm(ref, sold)
        products.diff_linked()
    deals = Deals(b, snap, links, cps, products)  # F9: deals sent as invoices are
    deals.persons = invoices.persons  # one private person's counterparty for both
    if Flow.F1 in flows:
        invoices.unreadable()
        invoices.skip = deals.carried_invoices()
        invoices.send()
        deals.unreadable()
        deals.send()
    issued = None
    if Flow.F8 in flows:
        issued = IssuedInvoices(b, snap, links, cps, products, invoices.match)
        issued.issue()
        issued.follow_linked()
    if Flow.F2 in flows:
        invoices.diff_linked()
        deals.diff_linked()
    if flows & {Flow.F3, Flow.F4}:
        made = created_in_crm(b, snap, issued) if issued is not None else {}
        _money(b, snap, links, settings, flows, made)
        plan_deal_money(b, snap, links, flows)
    if Flow.F10 in flows:
        plan_closing(b, snap, links)
    if Flow.F6 in flows and settings.warehouses and settings.inventory_off:
        b.item(
            Item(
                key="F6:inventory_off",
                kind=ItemKind.ATTENTION,
                flow=Flow.F6,
                entity_type="warehouse",
                record_id="",
                record_label=tr("Bitrix24 settings"),
                field=tr("inventory management"),
                message=tr(
                    "store balances change only through store documents, and inventory "
                    "management is off in this Bitrix24, so stock is not sent"
                ),
                action=tr(
                    "switch on inventory management in Bitrix24 (CRM → Products and "
                    "warehouses → Inventory management), or remove the warehouse mapping"
                ),
            )
        )
    elif Flow.F6 in flows and settings.warehouses:
        _stock(b, snap, links, settings)
    if Flow.F11 in flows and settings.invoice_pdf:
        plan_invoice_pdfs(b, snap, links)
    block_missing_field_writes(b)  # what needs a field setup has not made yet waits
    return b.build(Matches(cps.match, products.match, invoices.match))


def _stock(b: Builder, snap: Snapshot, links: Links, settings: PlanSettings) -> None:
    ops: list[Operation] = []
    items: list[Item] = []
    product_links = {
        link.onec_ref: int(link.crm_id)
        for link in links.of(PRODUCT)
        if link.onec_ref and link.crm_id and link.crm_id.isdigit()
    }
    pending: dict[str, str] = {}
    # A create that waits for a person (an item blocks it) is not pending: the store
    # document must not wait for it, or one product holds back the whole warehouse.
    waiting = {x for item in b.items.values() for x in item.blocks} | b.skipped
    for op in b.ops.values():  # products this plan links or creates: their stock too
        if op.op_id in waiting:
            continue
        if op.flow is Flow.F5 and op.entity_type == PRODUCT and op.source_id not in product_links:
            if op.kind is OpKind.LINK and op.target_id and op.target_id.isdigit():
                product_links[op.source_id] = int(op.target_id)
            elif op.kind is OpKind.CREATE:
                pending[op.source_id] = op.op_id  # fmt: skip
    plan_stock(
        ops=ops, items=items, profile_uuid=settings.profile_uuid,
        warehouses=snap.onec.warehouses, mapping=settings.warehouses, stock=snap.onec.stock,
        crm_stock=snap.crm.stock, products=snap.onec.products, product_links=product_links,
        key=b.key, pending=pending,
    )  # fmt: skip
    for op in ops:
        b.op(op)
    for item in items:
        b.item(item)


def _money(b: Builder, snap: Snapshot, links: Links, settings: PlanSettings,
           flows: set[Flow], created: dict[str, Created]) -> None:  # fmt: skip
    ops: list[Operation] = []
    items: list[Item] = []
    docs = documents_by_invoice(snap.onec.shipments, snap.onec.returns)
    plan_money(
        ops=ops, items=items, decisions=settings.decisions,
        invoice_links=links.of(INVOICE),
        note_links={link.onec_ref for link in links.of(PAYMENT_NOTE) if link.onec_ref},
        crm_payments={lk.onec_ref: lk for lk in links.of(CRM_PAYMENT) if lk.onec_ref},
        onec_invoices=snap.onec.invoices, payments=snap.onec.payments,
        shipments_by_invoice=docs, crm_invoices=snap.crm.invoices,
        settings=MoneySettings(settings.paid_stage, settings.partly_paid_stage,
                               settings.send_stage),
        flows=flows, key=b.key, created=created,
    )  # fmt: skip
    for op in ops:
        b.op(op)
    for item in items:
        b.item(item)
