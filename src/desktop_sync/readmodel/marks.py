"""What the plan, the inbox and the last run say about records, and a row's state from it.

The state of a row comes, in order of weight, from: an error of the last run, an
open conflict, an item waiting for a person, a field that differs or an
operation the last plan proposes, a record present on one side only, or "in sync".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from desktop_sync.engine.records import ItemKind, Plan
from desktop_sync.i18n import N_, tr
from desktop_sync.readmodel.rows import Column, Mark, SyncState


@dataclass
class Marks:
    by_record: dict[tuple[str, str], list[Mark]] = field(default_factory=dict)

    def add(self, mark: Mark) -> None:
        if mark.record_id:
            self.by_record.setdefault((mark.entity_type, mark.record_id), []).append(mark)

    def of(self, entity_types: Iterable[str], ids: Iterable[str | None]) -> list[Mark]:
        out: list[Mark] = []
        for et in entity_types:
            for rid in ids:
                if rid:
                    out.extend(self.by_record.get((et, rid), ()))
        return out


def marks_from_plan(plan: Plan) -> list[Mark]:
    """The plan's operations (on their source and target ids) and its items."""
    out: list[Mark] = []
    for op in plan.operations:
        for rid in (op.source_id, op.target_id):
            if rid:
                short = tr("{action} {where}").format(
                    action=tr(_OP_KINDS.get(op.kind.value, op.kind.value)).lower(),
                    where=tr("in 1C") if op.target.value == "onec" else tr("in the CRM"),
                )
                out.append(Mark(op.entity_type, rid, "planned", op.reason, short))
    for item in plan.items:
        kind = "conflict" if item.kind is ItemKind.CONFLICT else "attention"
        text = f"{item.field}: {item.message}" if item.field else item.message
        out.append(Mark(item.entity_type, item.record_id, kind, text))
    return out


def state_of(
    base: SyncState, differs: Sequence[str], marks: Sequence[Mark], table_cols: Sequence[Column]
) -> tuple[SyncState, str, str]:
    """(state, a short note for the state column, the whole story for a tooltip)."""
    labels = {c.key: tr(c.label) for c in table_cols}
    for kind, state in (
        ("error", SyncState.ERROR),
        ("conflict", SyncState.CONFLICT),
        ("attention", SyncState.WAITING),
    ):
        found = [m.message for m in marks if m.kind == kind]
        if found:
            text = "; ".join(dict.fromkeys(found))
            return state, text, text
    planned = [m for m in marks if m.kind == "planned"]
    detail = "\n".join(dict.fromkeys(m.message for m in planned))
    what = ", ".join(labels.get(d, d) for d in differs)
    if planned:  # what Synchronize will do, first: «Synchronize will: create in 1C»
        note = "; ".join(dict.fromkeys(m.short or m.message for m in planned))
        return SyncState.WILL_CHANGE, note, "\n".join(x for x in (what, detail) if x)
    if base is SyncState.IN_SYNC and differs:
        base = SyncState.DIFFERS
    if differs:
        return base, what, what
    return base, "", ""


_OP_KINDS = {
    "create": N_("Create"),
    "update": N_("Update"),
    "link": N_("Link"),
    "post": N_("Post"),
    "set_payment_state": N_("Update payments"),
    "set_shipment_state": N_("Update shipment"),
    "move_stock": N_("Move stock"),
    "timeline": N_("Add to the timeline"),
}


def search(*parts: Mapping[str, Any] | None) -> str:
    words: list[str] = []
    for side in parts:
        if side:
            words.extend(str(v) for v in side.values() if v is not None and v != "")
    return " ".join(words).casefold()
