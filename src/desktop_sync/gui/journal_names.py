"""Names of journalled records, for people: the journal keeps ids, the window shows names.

The journal's operations hold the ids of both sides (a 1C reference, a CRM id such as
``16`` or ``16/17`` for a company's requisite). Here they are turned into what the
person knows the record by, from the last read of both systems; an id the read does
not know falls back to the name the operation itself carried, then to the id said
plainly ("CRM No. 16").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from desktop_sync.domain.entities import Return, Shipment
from desktop_sync.engine.records import OperationRecord, Snapshot, requisites_of
from desktop_sync.gui import fmt
from desktop_sync.i18n import tr
from desktop_sync.readmodel import field_label, field_value

_CRM_GROUP = {
    "counterparty": "company",
    "contract": "company",
    "product": "product",
    "stock": "product",
    "invoice": "invoice",
    "invoice_number": "invoice",
    "invoice_payment": "invoice",
    "payment_note": "invoice",
    "invoice_shipment": "invoice",
    "crm_payment": "invoice",
}


@dataclass(frozen=True, slots=True)
class OpEntry:
    """A journalled operation as the window shows and names it."""

    id: int
    flow: str
    kind: str
    target_system: str
    entity_type: str
    source_id: str
    target_id: str
    reason: str
    before: Any
    after: Any
    state: str
    error: str
    updated_at: dt.datetime | None

    @classmethod
    def from_row(cls, o: OperationRecord) -> OpEntry:
        return cls(o.id, o.flow, o.kind, o.target_system, o.entity_type, o.source_id or "",
                   o.target_id or "", o.reason or "", o.before, o.after, o.state, o.error or "",
                   o.updated_at)  # fmt: skip


def index(snapshot: Snapshot | None) -> dict[tuple[str, str], str]:
    """(group, id) -> a person's name of the record; 1C refs under the group ``ref``."""
    names: dict[tuple[str, str], str] = {}
    if snapshot is None:
        return names
    one, crm = snapshot.onec, snapshot.crm
    for ref, c in one.counterparties.items():
        names[("ref", ref)] = c.name
    for ref, p in one.products.items():
        names[("ref", ref)] = p.name
    for ref, inv in one.invoices.items():
        names[("ref", ref)] = tr("invoice {number} of {date}").format(
            number=inv.number, date=fmt.date(inv.date)
        )
    for ref, pay in one.payments.items():
        names[("ref", ref)] = tr("payment {number} of {date}").format(
            number=pay.number, date=fmt.date(pay.date)
        )
    docs: list[tuple[str, Shipment | Return]] = [*one.shipments.items(), *one.returns.items()]
    for ref, doc in docs:
        names[("ref", ref)] = tr("document {number} of {date}").format(
            number=doc.number, date=fmt.date(doc.date)
        )
    for cid, co in crm.companies.items():
        names[("company", str(cid))] = co.counterparty.name
        for rq in requisites_of(co):
            names[("company", rq.key)] = rq.name or co.counterparty.name
    for pid, cp in crm.products.items():
        names[("product", str(pid))] = cp.product.name
    for iid, ci in crm.invoices.items():
        names[("invoice", str(iid))] = tr("CRM invoice {number}").format(
            number=ci.invoice.number or iid
        )
    return names


def namer(snapshot: Snapshot | None) -> Callable[[OpEntry], str]:
    """A function naming an operation's record, built once per read."""
    names = index(snapshot)

    def name(op: OpEntry) -> str:
        group = _CRM_GROUP.get(op.entity_type, op.entity_type)
        for ident in (_crm_record(op), op.target_id, op.source_id):
            for part in filter(None, (ident or "").split(",")):
                found = names.get(("ref", part)) or names.get((group, part))
                if found:
                    return found
        carried = _carried_name(op.after)
        if carried:
            return carried
        crm_id = op.target_id if op.target_system == "crm" else op.source_id
        if crm_id and crm_id.replace("/", "").isdigit():
            return tr("CRM No. {id}").format(id=crm_id)
        return tr("a record the last read did not see")

    return name


# Operations whose target id is not the record's: a timeline entry's, a Bitrix24
# payment's (the invoice 26's three payment operations were named «счёт CRM 21»,
# «счёт CRM 17» and «счёт CRM СЧ-0005», by the ids of the invoice, the entry, the payment)
_TARGET_NOT_THE_RECORD = frozenset({"payment_note", "crm_payment"})


def _crm_record(op: OpEntry) -> str:
    """The CRM record an operation is about, where its target id names something else."""
    if op.entity_type not in _TARGET_NOT_THE_RECORD or not isinstance(op.after, Mapping):
        return ""
    crm_id = op.after.get("crm_id")
    return str(crm_id) if crm_id not in (None, "") else ""


def _carried_name(after: Any) -> str:
    if not isinstance(after, Mapping):
        return ""
    values = after.get("values")
    if isinstance(values, Mapping):
        for key in ("name", "title", "number"):
            if values.get(key):
                return str(values[key])
    return ""


def changes_text(before: Any, after: Any) -> str:
    """«Наименование: «А» → «Б»; ИНН: — → 7701…» from the operation's images."""
    new = after.get("changes") if isinstance(after, Mapping) else None
    old = before.get("changes") if isinstance(before, Mapping) else None
    if not isinstance(new, Mapping) or not new:
        return ""
    old = old if isinstance(old, Mapping) else {}
    parts = []
    for field, value in new.items():
        was = field_value(field, old.get(field))
        now = field_value(field, value)
        parts.append(f"{field_label(field)}: {fmt.value(was)} → {fmt.value(now)}")
    return "; ".join(parts)
