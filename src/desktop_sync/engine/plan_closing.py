"""F10: closing documents at the CRM's request. Pure, no I/O.

A CRM item linked to a 1C base document (a smart invoice linked by F1 to a 1C invoice
or customer order; deals plug in by giving their ``Request``) that reaches the
profile's "ship" stage gets a sales document in 1C based on that document, unposted,
for the accountant to check and post (``ship.post`` posts it at once). Its create key
is (flow, CRM item): one sales document per item, whatever the runs. The CRM item
then shows the document's number and date and a note on its timeline. Once posted,
F4 carries the shipment back as for any shipment (the document names its base).

Nothing is ever deleted in 1C: an item moved off the "ship" stage before its sales
document was posted waits in the inbox for a person.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import chain

from desktop_sync.crm.types import CrmInvoice, SyncFields
from desktop_sync.domain.entities import Shipment
from desktop_sync.engine.model import FieldChange, Flow, Operation, OpKind, System
from desktop_sync.engine.ops import (
    DEAL_TAG,
    EntityType,
    LinkOnly,
    SalesBack,
    SalesCreate,
    SalesPost,
)
from desktop_sync.engine.plan_base import DEAL, INVOICE, Builder, Links, PlanSettings, label_day
from desktop_sync.engine.plan_deals import deal_label
from desktop_sync.engine.plan_invoice_checks import invoice_label
from desktop_sync.engine.snapshot import Snapshot
from desktop_sync.i18n import tr
from desktop_sync.journal import LinkValues

SALES = EntityType.SALES_DOCUMENT
SALES_BACK = EntityType.SALES_BACK


@dataclass(frozen=True, slots=True)
class Request:
    """A CRM item linked to a 1C base document, as F10 sees it."""

    crm_id: str  # as the item's link to its base document holds it
    item_id: int  # the CRM item written to
    label: str  # «Счёт № 12 от 02.03.2026», «Сделка № 45 «Поставка бумаги»»
    stage_id: str
    fields: SyncFields
    base_ref: str
    ship: frozenset[str]  # the "ship" stage(s) of the item's pipeline
    settled: frozenset[str] = frozenset()  # later stages that are no step back (paid)


def invoice_requests(snap: Snapshot, links: Links, settings: PlanSettings) -> Iterator[Request]:
    """The smart invoices linked to a 1C invoice (BP) or customer order (UT)."""
    ship = frozenset(settings.ship_stages)
    settled = frozenset({settings.paid_stage, settings.partly_paid_stage} - {""})
    for link, ci in _linked(links, INVOICE, snap, snap.crm.invoices):
        yield Request(
            link.crm_id or "", ci.invoice.crm_id or 0, invoice_label(ci.invoice), ci.stage_id,
            ci.fields, link.onec_ref or "", ship, settled,
        )  # fmt: skip


def deal_requests(snap: Snapshot, links: Links, settings: PlanSettings) -> Iterator[Request]:
    """The deals linked to a 1C invoice or order (F9): their pipeline's "ship" stage.
    Their ids are tagged (``deal-45``): a deal and a smart invoice may share a number."""
    for link, ci in _linked(links, DEAL, snap, snap.crm.deals):
        stages = settings.deal_stages.get(ci.category_id, {})
        ship = frozenset({stages.get("ship", "")} - {""})
        settled = frozenset({stages.get("paid", ""), stages.get("partly_paid", "")} - {""})
        yield Request(
            f"{DEAL_TAG}{link.crm_id}", ci.invoice.crm_id or 0, deal_label(ci), ci.stage_id,
            ci.fields, link.onec_ref or "", ship, settled,
        )  # fmt: skip


def _linked(
    links: Links, entity: str, snap: Snapshot, records: Mapping[int, CrmInvoice]
) -> Iterator[tuple[LinkValues, CrmInvoice]]:
    for link in links.of(entity):
        if not link.onec_ref or not link.crm_id or not link.crm_id.isdigit():
            continue
        ci = records.get(int(link.crm_id))
        base = snap.onec.invoices.get(link.onec_ref)
        if ci is None or base is None or base.deleted:
            continue  # a base marked for deletion: F2 asks a person first
        yield link, ci


def ship_stages(setting: str) -> tuple[str, ...]:
    """The profile's "ship" stages: one per pipeline, comma-separated."""
    return tuple(s.strip() for s in setting.split(",") if s.strip())


def plan_closing(b: Builder, snap: Snapshot, links: Links) -> None:
    """F10 for every linked CRM item: smart invoices and deals."""
    requests = sorted(
        (
            r
            for r in chain(
                invoice_requests(snap, links, b.settings), deal_requests(snap, links, b.settings)
            )
            if r.ship
        ),
        key=lambda r: r.crm_id,
    )
    if not requests:
        return
    made = {lk.crm_id: lk.onec_ref for lk in links.of(SALES) if lk.crm_id and lk.onec_ref}
    by_base: dict[str, list[Shipment]] = {}
    for sh in snap.onec.shipments.values():
        if sh.invoice_ref and not sh.deleted:
            by_base.setdefault(sh.invoice_ref, []).append(sh)
    for req in requests:
        ref = made.get(req.crm_id)
        if ref is not None:
            doc = snap.onec.shipments.get(ref)
            if doc is None:
                continue  # not read this time, or deleted in 1C: nothing to say
            if req.stage_id in req.ship:
                _back(b, req, doc)
            elif not doc.posted and not doc.deleted and req.stage_id not in req.settled:
                _moved_back(b, snap, req, doc)
            continue
        if req.stage_id in req.ship:
            _request(b, snap, req, by_base.get(req.base_ref, []))


def _request(b: Builder, snap: Snapshot, req: Request, based: list[Shipment]) -> None:
    """A new request: the sales document is created, or found already made (by its key,
    or a sales document the accountant made on the same base) and linked."""
    key = b.key(Flow.F10, SALES, req.crm_id)
    new_ref = b.new_ref(key)
    found = snap.onec.shipments.get(new_ref)
    if found is None and based:
        found = sorted(based, key=lambda d: (d.date, d.number))[0]
    if found is not None:
        link_id = b.op(
            Operation(
                op_id=f"F10:link:{req.crm_id}", flow=Flow.F10, kind=OpKind.LINK,
                target=System.ONEC, entity_type=SALES, source_id=req.crm_id,
                target_id=found.onec_ref, idempotency_key="",
                reason=tr(
                    "{label}: already shipped in 1C by the sales document No. {number} of "
                    "{date}; will be linked, not created again"
                ).format(label=req.label, number=found.number, date=label_day(found.date)),
                record_label=req.label,
                payload=LinkOnly(_values(req, found), _values(req, found)),
            )
        )  # fmt: skip
        _back(b, req, found, after=link_id)
        return
    post = b.settings.ship_post
    reason = (
        tr("{label}: a sales document will be created in 1C and posted")
        if post
        else tr("{label}: a sales document will be created in 1C, not posted")
    )
    create_id = b.op(
        Operation(
            op_id=f"F10:create_onec:{req.crm_id}", flow=Flow.F10, kind=OpKind.CREATE,
            target=System.ONEC, entity_type=SALES, source_id=req.crm_id, target_id=new_ref,
            idempotency_key=key, reason=reason.format(label=req.label), record_label=req.label,
            changes=(FieldChange("base", tr("Based on"), None, req.base_ref),),
            payload=SalesCreate(
                req.base_ref, req.crm_id,
                tr("At the CRM's request: {label} (id {id})").format(
                    label=req.label, id=req.item_id),
            ),
        )
    )  # fmt: skip
    last = create_id
    if post:
        last = b.op(
            Operation(
                op_id=f"F10:post:{req.crm_id}", flow=Flow.F10, kind=OpKind.POST,
                target=System.ONEC, entity_type=SALES, source_id=req.crm_id,
                target_id=new_ref, idempotency_key="",
                reason=tr("{label}: the sales document will be posted in 1C").format(
                    label=req.label),
                record_label=req.label, payload=SalesPost(req.crm_id), depends_on=(create_id,),
            )
        )  # fmt: skip
    b.op(_back_op(b, req, SalesBack(req.crm_id, from_op=create_id, note=_note(post)), last))


def _values(req: Request, doc: Shipment) -> dict[str, str]:
    return {"base": req.base_ref, "number": doc.number, "date": doc.date.isoformat()}


def _note(posted: bool) -> str:
    if posted:
        return tr("1C: the sales document No. {number} of {date} is made and posted")
    return tr(
        "1C: the sales document No. {number} of {date} is made; the accountant checks and posts it"
    )


def _back(b: Builder, req: Request, doc: Shipment, after: str = "") -> None:
    """The CRM item shows the sales document's number and date (when it does not yet)."""
    if req.fields.closing_number == doc.number and req.fields.closing_date == doc.date:
        return
    back = SalesBack(
        req.crm_id, number=doc.number, date=doc.date.isoformat(), note=_note(doc.posted)
    )
    b.op(_back_op(b, req, back, after))


def _back_op(b: Builder, req: Request, back: SalesBack, after: str) -> Operation:
    return Operation(
        op_id=f"F10:back:{req.crm_id}", flow=Flow.F10, kind=OpKind.UPDATE, target=System.CRM,
        entity_type=SALES_BACK, source_id=req.base_ref, target_id=str(req.item_id),
        idempotency_key=b.key(Flow.F10, SALES_BACK, req.crm_id),
        reason=tr("{label}: the number and date of the 1C sales document will be written to "
                  "the CRM").format(label=req.label),
        record_label=req.label, payload=back, depends_on=(after,) if after else (),
    )  # fmt: skip


def _moved_back(b: Builder, snap: Snapshot, req: Request, doc: Shipment) -> None:
    b.attention(
        Flow.F10, SALES, f"F10:moved_back:{req.crm_id}", record_id=req.crm_id,
        record_label=req.label, field=tr("Stage"),
        message=tr(
            "moved to the stage «{stage}» before the sales document No. {number} of {date} "
            "was posted in 1C; desktop-sync deletes nothing in 1C"
        ).format(stage=snap.crm.stages.get(req.stage_id, req.stage_id), number=doc.number,
                 date=label_day(doc.date)),
        action=tr(
            "if the goods will not be shipped, mark the sales document for deletion in 1C; "
            "otherwise move the CRM item back to the shipping stage"
        ),
        onec_value=doc.number, crm_value=req.stage_id,
    )  # fmt: skip
