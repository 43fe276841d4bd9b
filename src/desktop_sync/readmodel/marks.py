"""What the plan, the inbox and the last run say about records, and a row's state from it.

The state of a row comes, in order of weight, from: an error of the last run, an
open conflict, an item waiting for a person, a field that differs or an
operation the last plan proposes, a record present on one side only, or "in sync".
A note of the plan (what a record waits for that needs no person: a UT 11 draft order
goes to the CRM once posted) says why beside the last three.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from desktop_sync.engine.records import Item, ItemKind, Operation, Plan
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
                out.append(Mark(op.entity_type, rid, "planned", op.reason, _action(op)))
    items = {item.key: item for item in plan.items}
    for item in plan.items:
        out.append(item_mark(item.entity_type, item.record_id, _item_kind(item), item.field,
                             item.message))  # fmt: skip
    for op, key in plan.held:  # held back by an item about another record (its product)
        by = items.get(key)
        if by is None or (by.entity_type, by.record_id) == (op.entity_type, op.source_id):
            continue
        # the cell: whom it waits for, short enough for the state column at 1366×768;
        # the tooltip and the line under the tables: what it will do, and the item whole
        short = (  # a 1C product behind the CRM's of its name: not «Картридж» before itself
            tr("its namesake first")
            if by.record_label == op.record_label
            else tr("«{record}» first").format(record=by.record_label)
        )
        whole = tr("{action} after «{record}» is decided").format(
            action=_action(op), record=by.record_label
        )
        text = f"{whole}\n{by.record_label}: {_item_text(by)}"
        for rid in (op.source_id, op.target_id):
            if rid:
                out.append(Mark(op.entity_type, rid, _item_kind(by), text, short))
    for entity_type, rid, short, text in plan.notes:  # waits for nobody: «goes once posted»
        out.append(Mark(entity_type, rid, "note", text, short))
    return out


def _action(op: Operation) -> str:
    """What an operation does, in a few words: «create in the CRM»."""
    return tr("{action} {where}").format(
        action=tr(_OP_KINDS.get(op.kind.value, op.kind.value)).lower(),
        where=tr("in 1C") if op.target.value == "onec" else tr("in the CRM"),
    )


CELL_CHARS = 24  # an item's words the state column shows whole at 1366×768, after
# «! Waiting for a person: » (24 characters; bold, ~7.5 px each, in a 366 px cell)


def item_mark(entity_type: str, record_id: str, kind: str, field: str, message: str) -> Mark:
    """An inbox item on its record's row. A long item names the field and where it is
    decided in the state column («Строки — во «Входящих»»): the demo's «Строки: строка 3
    «Ручка шариковая» — не товар из каталога» was cut there at 1366×768. A short one
    («Phone: changed in both») stays whole. The whole sentence is the tooltip's and the
    line's under the tables."""
    whole = f"{field}: {message}" if field else message
    if len(whole) <= CELL_CHARS:
        return Mark(entity_type, record_id, kind, whole)
    short = tr("{field} — in the Inbox").format(field=field) if field else tr("in the Inbox")
    return Mark(entity_type, record_id, kind, whole, short)


def _item_kind(item: Item) -> str:
    return "conflict" if item.kind is ItemKind.CONFLICT else "attention"


def _item_text(item: Item) -> str:
    return f"{item.field}: {item.message}" if item.field else item.message


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
        found = [m for m in marks if m.kind == kind]
        if found:  # the note in a few words where a mark has them, the whole story beside
            note = "; ".join(dict.fromkeys(m.short or m.message for m in found))
            return state, note, "; ".join(dict.fromkeys(m.message for m in found))
    planned = [m for m in marks if m.kind == "planned"]
    detail = "\n".join(dict.fromkeys(m.message for m in planned))
    what = ", ".join(labels.get(d, d) for d in differs)
    if planned:  # what Synchronize will do, first: «Synchronize will: create in 1C»
        note = "; ".join(dict.fromkeys(m.short or m.message for m in planned))
        return SyncState.WILL_CHANGE, note, "\n".join(x for x in (what, detail) if x)
    if base is SyncState.IN_SYNC and differs:
        base = SyncState.DIFFERS
    words = [what] if what else []
    noted = [m for m in marks if m.kind == "note"]  # «goes to the CRM once posted»
    note = "; ".join(dict.fromkeys([*words, *(m.short or m.message for m in noted)]))
    return base, note, "; ".join(dict.fromkeys([*words, *(m.message for m in noted)]))


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
