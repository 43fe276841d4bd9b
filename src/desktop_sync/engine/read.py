"""Reading both systems into a :class:`Snapshot` (the network part of a sync)."""

from __future__ import annotations

import threading

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.onec import OnecClient
from desktop_sync.engine.model import Progress, ProgressFn, Stage
from desktop_sync.engine.snapshot import CrmData, OnecData
from desktop_sync.i18n import tr


class Cancelled(Exception):
    """The person pressed Cancel; nothing half-done is left behind."""


def _step(
    cancel: threading.Event, progress: ProgressFn, stage: Stage, done: int, total: int, what: str
) -> None:
    if cancel.is_set():
        raise Cancelled
    progress(Progress(stage, done, total, what))


def read_onec(client: OnecClient, progress: ProgressFn, cancel: threading.Event,
              *, stock: bool = False) -> OnecData:  # fmt: skip
    """Everything the flows need from 1C, for the profile's organization."""
    steps = 6
    data = OnecData()
    _step(cancel, progress, Stage.READ_ONEC, 0, steps, tr("Organization"))
    org = client.organization()
    data.organization_ref = org.onec_ref
    _step(cancel, progress, Stage.READ_ONEC, 1, steps, tr("Counterparties"))
    data.counterparties = {c.onec_ref: c for c in client.counterparties() if c.onec_ref}
    for contract in client.contracts():
        data.contracts.setdefault(contract.counterparty_ref, []).append(contract)
    _step(cancel, progress, Stage.READ_ONEC, 2, steps, tr("Products"))
    data.products = {p.onec_ref: p for p in client.products() if p.onec_ref}
    _step(cancel, progress, Stage.READ_ONEC, 3, steps, tr("Customer invoices"))
    data.invoices = {i.onec_ref: i for i in client.invoices() if i.onec_ref}
    _step(cancel, progress, Stage.READ_ONEC, 4, steps, tr("Payments"))
    data.payments = {p.onec_ref: p for p in client.payments() if p.onec_ref}
    _step(cancel, progress, Stage.READ_ONEC, 5, steps, tr("Shipments"))
    data.shipments = {s.onec_ref: s for s in client.shipments() if s.onec_ref}
    data.returns = {r.onec_ref: r for r in client.returns() if r.onec_ref}
    data.warehouses = {w.onec_ref: w for w in client.warehouses() if w.onec_ref}
    if stock:
        data.stock = client.stock()
    _step(cancel, progress, Stage.READ_ONEC, steps, steps, "")
    return data


def read_crm(client: Bitrix24Client, progress: ProgressFn, cancel: threading.Event,
             *, stock: bool = False) -> CrmData:  # fmt: skip
    steps = 4
    data = CrmData()
    _step(cancel, progress, Stage.READ_CRM, 0, steps, tr("Companies and requisites"))
    data.companies = {
        c.counterparty.crm_id: c for c in client.companies() if c.counterparty.crm_id is not None
    }
    _step(cancel, progress, Stage.READ_CRM, 1, steps, tr("Product catalog"))
    data.products = {p.product.crm_id: p for p in client.products() if p.product.crm_id}
    _step(cancel, progress, Stage.READ_CRM, 2, steps, tr("Invoices"))
    data.invoices = {i.invoice.crm_id: i for i in client.invoices() if i.invoice.crm_id}
    _step(cancel, progress, Stage.READ_CRM, 3, steps, tr("Stages"))
    data.stages = {s.id: s.name for s in client.stages()}
    data.stores = {w.crm_id: w for w in client.stores() if w.crm_id is not None}
    if stock:
        data.stock = {(a.product_id, a.store_id): a.amount for a in client.store_amounts()}
    _step(cancel, progress, Stage.READ_CRM, steps, steps, "")
    return data
