"""F10's writes: the sales document made in 1C (and posted, when the profile says so),
and its number and date on the CRM item with a note on the item's timeline.

The create goes with the key's ``Ref_Key``: 1C answers "made before" for a document
this key made already, and a lost answer is looked up by the key (``lookup``). The
CRM side overwrites its fields (a repeat is harmless) and puts the key in its note,
so a note is never made twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from desktop_sync.connectors.onec import OnecClient, sales
from desktop_sync.connectors.onec.convert import date as onec_date
from desktop_sync.connectors.onec.convert import printed_number
from desktop_sync.crm.changes import InvoiceMarks
from desktop_sync.crm.port import CrmPort
from desktop_sync.engine.executor import FOUND, Applied, OutcomeUnknown, WriteError
from desktop_sync.engine.model import Operation, OpKind
from desktop_sync.engine.ops import (
    DEAL_TAG,
    EntityType,
    SalesBack,
    SalesCreate,
    SalesPost,
    Unsettled,
)
from desktop_sync.engine.write_crm_money import marker
from desktop_sync.i18n import tr

SALES = EntityType.SALES_DOCUMENT


class SalesWrites:
    """The 1C side: create (unposted), post, look up."""

    def __init__(self, client: OnecClient) -> None:
        self.client = client

    def create(self, op: Operation) -> Applied:
        p = op.payload
        assert isinstance(p, SalesCreate)
        made = sales.create(self.client.config, p.base_ref, op.idempotency_key, p.comment)
        applied = self._applied(made.ref, p.crm_id, p.base_ref)
        if not made.created:  # made before (a lost journal, another profile): relinked
            applied.result[FOUND] = True
        return applied

    def post(self, op: Operation) -> Applied:
        assert isinstance(op.payload, SalesPost) and op.target_id
        sales.post(self.client.config, op.target_id)
        return Applied(op.target_id)

    def lookup(self, op: Unsettled) -> Applied | None:
        """A create whose answer was lost: found by its key, or not made."""
        if op.entity_type is not SALES or op.kind != OpKind.CREATE.value:
            return None
        ref = self.client.find_created("shipments", op.key)
        if ref is None:
            return None
        return self._applied(ref, op.crm_id or op.source_id, "")

    def _applied(self, ref: str, crm_id: str, base_ref: str) -> Applied:
        doc = sales.find(self.client.config, ref)
        if doc is None:
            raise OutcomeUnknown(tr("the sales document was sent but 1C does not show it yet"))
        day = onec_date(doc.get("Date"))
        values = {
            "base": base_ref,
            "number": printed_number(str(doc.get("Number") or "")),
            "date": day.isoformat() if day else "",
        }
        return Applied(
            ref,
            SALES,
            onec_ref=ref,
            crm_id=crm_id,
            onec_values=values,
            crm_values=dict(values),
            result={"number": values["number"], "date": values["date"]},
        )


def write_back(crm: CrmPort, op: Operation, results: Mapping[str, Applied]) -> Applied:
    """The CRM item: the sales document's number and date in our fields, and a note on
    its timeline, a smart invoice's or a deal's (``deal-45``), once: it carries the key."""
    p = op.payload
    assert isinstance(p, SalesBack)
    number, date = p.number, p.date
    if p.from_op:
        made = results.get(p.from_op)
        if made is None:
            raise WriteError(tr("the sales document was not created in 1C"))
        number, date = str(made.result["number"]), str(made.result["date"])
    day = dt.date.fromisoformat(date)
    deal = p.crm_id.startswith(DEAL_TAG)
    item = int(p.crm_id.removeprefix(DEAL_TAG))
    # The note first, the fields after: the next plan compares the fields, so a run
    # killed between the two writes the fields again (the note is found by its key).
    key = op.idempotency_key
    if not any(marker(key) in t for t in crm.timeline.comment_texts(item, deal=deal)):
        text = p.note.format(number=number, date=f"{day:%d.%m.%Y}")
        crm.timeline.add_comment(item, f"{text} {marker(key)}", deal=deal)
    values = {"closing_number": number, "closing_date": day}
    crm.changes.write_alone([InvoiceMarks(item, values, deal)], what=op.record_label)
    return Applied(p.crm_id)


def back_found(crm: CrmPort, op: Unsettled) -> Applied | None:
    """A write-back whose answer was lost: done when its note is there (the fields are
    overwritten by the next plan anyway)."""
    item = op.crm_id.removeprefix(DEAL_TAG)
    if op.entity_type is not EntityType.SALES_BACK or not item.isdigit():
        return None
    texts = crm.timeline.comment_texts(int(item), deal=item != op.crm_id)
    if any(marker(op.key) in t for t in texts):
        return Applied(op.crm_id)
    return None
