"""The connected half of the door's questions: check, settings choices, invoice status.

Each function takes the :class:`~desktop_sync.engine.service.SyncService` it serves;
the service's methods of the same names are the door (the fronts call those).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_sync.connectors.bitrix24.check import check as crm_check
from desktop_sync.connectors.onec import (
    OnecAuthError,
    OnecConnectionError,
    OnecError,
    OnecUnavailable,
)
from desktop_sync.engine import lookup
from desktop_sync.engine.cache import cache_path
from desktop_sync.engine.cache import load as load_cache
from desktop_sync.engine.facade import ConnectError
from desktop_sync.engine.invoice_print import printable_invoice, seller_bank, seller_party
from desktop_sync.engine.model import Flow
from desktop_sync.engine.ops import EntityType
from desktop_sync.engine.planner import INVOICE
from desktop_sync.engine.records import Checked, Choice, ForPrint, SettingChoices
from desktop_sync.engine.snapshot import Snapshot
from desktop_sync.i18n import tr

if TYPE_CHECKING:
    from desktop_sync.engine.service import SyncService


def check(svc: SyncService) -> Checked:
    try:
        onec = svc.onec.report()
    except OnecError as exc:  # connection and login errors: exit 5 (errors.describe)
        raise ConnectError.of(exc) from None
    return Checked(onec, crm_check(svc.crm))


def setting_choices(svc: SyncService) -> SettingChoices:
    svc.connect()
    return SettingChoices(
        stages=tuple(Choice(st.id, st.name) for st in svc.crm.invoices.stages()),
        stores=tuple(
            Choice(str(w.crm_id), w.name)
            for w in svc.crm.inventory.stores()
            if w.crm_id is not None
        ),
        warehouses=tuple(sorted(w.name for w in svc.onec.warehouses())),
        deal_stages=tuple(
            Choice(st.id, f"{name}: {st.name}")
            for pipeline, name in svc.crm.deals.categories()
            for st in svc.crm.deals.stages(pipeline)
        ),
    )


def invoice_status(svc: SyncService, query: str) -> lookup.InvoiceStatus:
    """The invoice ``status`` names, read now (payments and shipments: F3, F4), with what
    it waits for (F8: a UT 11 draft order goes to the CRM once posted; F1: a CRM invoice
    goes to 1C from the send stage, a deal from its pipeline's: ``deal:ID``)."""
    snap, plan = svc.prepare(flows=(Flow.F1, Flow.F3, Flow.F4, Flow.F8))
    found = lookup.locate(snap, svc.links(INVOICE), query, svc.links(EntityType.DEAL))
    return lookup.noted([found], plan.notes)[0]


def for_print(svc: SyncService, query: str) -> ForPrint:
    """The invoice to print: from the last read if it names it, else from a read now."""
    text = query.strip()
    crm_only = text.casefold().startswith(("crm:", "id:"))
    if crm_only:
        text = text.split(":", 1)[1].strip()
    cached = load_cache(cache_path(svc.paths.data_dir, svc.profile.uuid), svc.profile.uuid)
    hits: list[lookup.InvoiceStatus] = []
    if cached is not None:
        snap = Snapshot(onec=cached.onec, crm=cached.crm, full=False)
        hits = lookup.exact(lookup.find_invoices(snap, svc.links(INVOICE), text), text, crm_only)
    if not hits:  # never read, or made after the last read: read now, write nothing
        snap, _plan = svc.prepare(flows=(Flow.F3,))
        found = lookup.find_invoices(snap, svc.links(INVOICE), text)
        hits = lookup.exact(found, text, crm_only) or ([] if crm_only else found)
    hit = lookup.pick(hits, query)
    inv = snap.onec.invoices.get(hit.onec_ref or "")
    if inv is None:
        raise lookup.InvoiceLookupError(
            tr(
                "Invoice {number} (crm:{id}) is not in 1C yet: the printed form is 1C's "
                "document; synchronize first"
            ).format(number=hit.number, id=hit.crm_id)
        )
    try:
        seller = seller_party(svc.onec.organization())
        bank = seller_bank(svc.onec.bank_details())
    except (OnecConnectionError, OnecUnavailable, OnecAuthError) as exc:
        raise ConnectError(tr("1C: {reason}").format(reason=exc)) from None
    except OnecError as exc:  # what 1C holds is missing: a thing for the person to fill in
        raise lookup.InvoiceLookupError(tr("1C: {reason}").format(reason=exc)) from None
    return ForPrint(printable_invoice(snap, inv, seller, bank), inv, hit)
