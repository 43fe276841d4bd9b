"""Our custom fields the portal lacks: only the writes that need them wait.

``setup`` creates the fields desktop-sync writes to on smart invoices and deals (the
1C number and date, paid and outstanding, shipped, the closing document's number and
date...). A portal where it has not run yet, or not since a version added a field,
silently drops what is written into a missing field. So each operation that writes
our fields waits when one of *its* fields is missing, and one inbox item (per kind of
record) names the missing fields and says to run ``setup``; the others go. Pure.
"""

from __future__ import annotations

from desktop_sync.engine.model import Flow, Item, ItemKind, Operation
from desktop_sync.engine.ops import (
    DEAL_TAG,
    EntityType,
    NumberBack,
    PaymentState,
    SalesBack,
    ShipmentState,
)
from desktop_sync.engine.plan_base import Builder
from desktop_sync.i18n import N_, tr

# (our field's key, its label in the person's language), as the settings carry them
MissingField = tuple[str, str]

# What the 1C number written back carries (F1/F9): the number, its date and the status,
# and (nothing paid yet) paid and outstanding.
NUMBER_FIELDS = frozenset({"onec_number", "onec_date", "sync_status", "paid", "outstanding"})
CLOSING_FIELDS = frozenset({"closing_number", "closing_date"})  # F10's sales document


def fields_written(op: Operation) -> tuple[bool, frozenset[str]] | None:
    """(on a deal, the keys of our fields it writes) of an operation writing our fields;
    None for the others."""
    p = op.payload
    if isinstance(p, NumberBack):
        return p.deal, NUMBER_FIELDS
    if isinstance(p, PaymentState | ShipmentState):
        return p.deal, frozenset(p.fields)
    if isinstance(p, SalesBack):
        return p.crm_id.startswith(DEAL_TAG), CLOSING_FIELDS
    return None


# per kind of record: its item's key and entity type, and its message
_ITEMS = {
    False: (
        "F3:setup",
        EntityType.INVOICE,
        N_(
            "the smart invoice lacks the fields desktop-sync writes to ({fields}); what "
            "goes into them waits, the rest is written"
        ),
    ),
    True: (
        "F9:setup",
        EntityType.DEAL,
        N_(
            "deals lack the fields desktop-sync writes to ({fields}); what goes into them "
            "waits, the rest is written"
        ),
    ),
}


def block_missing_field_writes(b: Builder) -> None:
    """Hold back the writes that need a field the portal lacks, with one item each for
    smart invoices and deals naming the missing fields."""
    missing = {False: b.settings.missing_crm_fields, True: b.settings.missing_deal_fields}
    if not any(missing.values()):  # (before looking at every operation of the plan)
        return
    lacking = {deal: {key for key, _label in fields} for deal, fields in missing.items()}
    blocked: dict[bool, list[str]] = {False: [], True: []}
    for op in b.ops.values():
        written = fields_written(op)
        if written is not None and written[1] & lacking[written[0]]:
            blocked[written[0]].append(op.op_id)
    for deal, ops in blocked.items():
        if not ops:
            continue
        key, entity_type, message = _ITEMS[deal]
        b.item(Item(
            key=key, kind=ItemKind.ATTENTION, flow=Flow.F3, entity_type=entity_type,
            record_id="", record_label=tr("Bitrix24 settings"), field=tr("custom fields"),
            message=tr(message).format(fields=", ".join(label for _k, label in missing[deal])),
            action=tr("ask the portal administrator to run: desktop-sync setup"),
            blocks=tuple(ops),
        ))  # fmt: skip
