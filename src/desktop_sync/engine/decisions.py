"""A person's decision on an inbox item, checked when it is made.

A decision the engine cannot carry out is refused at once, with the reason in the
user's words, and the item stays open: taking the CRM's value of a product means
writing it into 1C, which leads products; taking a value of a field desktop-sync never
writes (an ИНН in the CRM, a phone) would be journalled as done and come back on every
run. What is accepted here, the next plan carries out, and after it the item does not
come back. :func:`check` is pure; :func:`resolve` records an accepted decision in
the journal (the CLI and the window both go through it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from desktop_sync.engine import normalize as nz
from desktop_sync.engine.model import System, confirmable
from desktop_sync.engine.plan_base import PRODUCT, WRITABLE
from desktop_sync.errors import Refused
from desktop_sync.i18n import tr
from desktop_sync.journal import Journal

ACTIONS = ("take_onec", "take_crm", "value", "skip", "confirm")

_WRITES: dict[str, tuple[System, ...]] = {
    "take_onec": (System.CRM,),  # the 1C value goes to the CRM
    "take_crm": (System.ONEC,),
    "value": (System.CRM, System.ONEC),
}


class DecisionRefused(Refused, ValueError):
    """A decision the engine cannot carry out; the message says why, in the user's words."""


@dataclass(frozen=True, slots=True)
class ItemView:
    """What the check needs of an inbox item (a journal row or a plan's item)."""

    dedup_key: str
    kind: str  # conflict | attention
    entity_type: str
    field: str  # the field's label, as shown
    record_label: str = ""
    action: str = ""  # what the item asks the person to do


def conflict_field(dedup_key: str) -> str | None:
    """The field a conflict is about (``F5:conflict:product:<ref>:name`` → ``name``)."""
    if ":conflict:" not in dedup_key:
        return None
    return dedup_key.rsplit(":", 1)[-1]


def check(item: ItemView, action: str, value: Any = None) -> Any:
    """Refuse a decision the engine cannot carry out (:class:`DecisionRefused`);
    returns the value to record (a typed value normalized as the sync compares it)."""
    if action not in ACTIONS:
        raise DecisionRefused(tr("unknown decision «{action}»").format(action=action))
    if action == "skip":
        return None
    if action == "confirm":
        if not confirmable(item.dedup_key):
            raise DecisionRefused(
                tr("this item proposes nothing to confirm: {action}").format(action=item.action)
            )
        return None
    field = conflict_field(item.dedup_key)
    if item.kind != "conflict" or field is None:
        raise DecisionRefused(
            tr(
                "nothing to take here, it is no choice between two values: {action}; or skip it"
            ).format(action=item.action or tr("correct the record"))
        )
    for target in _WRITES[action]:
        if field in WRITABLE.get((target, item.entity_type), frozenset()):
            continue
        if item.entity_type == PRODUCT and target is System.ONEC:
            raise DecisionRefused(
                tr(
                    "«{record}»: 1C leads products, desktop-sync does not write them into 1C. "
                    "Take the 1C value, or change «{field}» in 1C yourself (the next "
                    "synchronization carries it to the CRM), or skip"
                ).format(record=item.record_label, field=item.field)
            )
        raise DecisionRefused(
            tr(
                "«{record}»: desktop-sync does not change «{field}» in {system}. Change it "
                "there yourself (the next synchronization compares again), or skip"
            ).format(record=item.record_label, field=item.field, system=target.label)
        )
    if action == "value":
        if value is None or not str(value).strip():
            raise DecisionRefused(tr("type the value to keep"))
        if field == "name":
            return nz.text(str(value))
        return value
    return None


def resolve(journal: Journal, item_id: int, action: str, value: Any = None, by: str = "") -> None:
    """Check a decision on an open item and record it; the next plan carries it out.

    ``KeyError``: no such open item; :class:`DecisionRefused`: the item stays open."""
    row = next((i for i in journal.inbox() if i.id == item_id), None)
    if row is None:
        raise KeyError(item_id)
    view = ItemView(
        row.dedup_key, row.kind, row.entity_type, row.field, row.record_label, row.action
    )
    value = check(view, action, value)
    resolution: dict[str, Any] = {
        "action": action,
        "value": value,
        "onec_value": row.onec_value,
        "crm_value": row.crm_value,
    }
    if ":refused:" in row.dedup_key and row.run_id is not None:
        # A write the target refused: skipping it holds while the write would be the same.
        op = next((o for o in journal.operations(row.run_id) if o.id == row.operation_id), None)
        resolution["changes"] = dict((op.after or {}).get("changes") or {}) if op else {}
    journal.resolve_item(item_id, resolution, by=by)


def refused_key(flow: str, op_id: str) -> str:
    """The inbox key of a write the target refused (raised by the executor)."""
    return f"{flow}:refused:{op_id}"
