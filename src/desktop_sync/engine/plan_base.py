"""What the planner's parts share: entity types, settings, links, the builder that
keeps operations and items unique and ordered, and the 3-way diff of linked records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from desktop_sync.domain.entities import Invoice
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.model import (
    ALL_FLOWS,
    Decision,
    FieldChange,
    Flow,
    Item,
    ItemKind,
    Operation,
    OpKind,
    Plan,
    System,
    confirmable,
    idempotency_key,
)
from desktop_sync.engine.ops import (
    CRM_WRITABLE,
    ONEC_WRITABLE,
    UPDATES,
    EntityType,
    LinkOnly,
)
from desktop_sync.engine.ops import (
    PRODUCT_SYNCED as PRODUCT_SYNCED,
)
from desktop_sync.i18n import tr
from desktop_sync.journal import LinkValues

COUNTERPARTY = EntityType.COUNTERPARTY
CONTRACT = EntityType.CONTRACT
PRODUCT = EntityType.PRODUCT
INVOICE = EntityType.INVOICE
INVOICE_BACK = EntityType.INVOICE_BACK  # the 1C number and date written back to the CRM

# The fields an update of each system carries, per record type (what the writers can
# do, ``ops``). A change of any other field is never planned as a write, which would be
# journalled as done and come back on every run: it waits for a person instead.
WRITABLE: dict[tuple[System, str], frozenset[str]] = {
    **{(System.CRM, e): f for e, f in CRM_WRITABLE.items()},
    **{(System.ONEC, e): f for e, f in ONEC_WRITABLE.items()},
}


def key_scope(crm_url: str, fallback: str) -> str:
    """What create keys are derived from: the pair of systems, not the profile's random
    uuid. A 1C source is its Ref_Key (a GUID, unique anywhere); a CRM source is an id of
    one portal, so the portal's address scopes the keys. A profile removed and added
    again, or a lost journal, then makes the same keys and finds what exists."""
    parts = urlsplit(crm_url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not host:
        return fallback
    return f"crm:{host}:{port}" if port and port not in (80, 443) else f"crm:{host}"


@dataclass(frozen=True)
class PlanSettings:
    profile_uuid: str  # the scope of create keys: ``key_scope`` (the uuid only without a URL)
    send_stage: str = ""
    paid_stage: str = ""
    partly_paid_stage: str = ""
    flows: tuple[Flow, ...] = ALL_FLOWS
    full: bool = True
    missing_crm_fields: tuple[str, ...] = ()  # our custom fields the portal lacks
    warehouses: dict[str, str] = field(default_factory=dict)  # 1C warehouse -> CRM store
    inventory_off: bool = False  # the portal's inventory management (store documents) is off
    decisions: dict[str, Decision] = field(default_factory=dict)


@dataclass(frozen=True)
class Links:
    """The link table, per entity type, as the journal holds it before the run."""

    by_type: dict[str, list[LinkValues]] = field(default_factory=dict)

    def of(self, entity_type: str) -> list[LinkValues]:
        return self.by_type.get(entity_type, [])

    def onec(self, entity_type: str, onec_ref: str) -> LinkValues | None:
        for link in self.of(entity_type):
            if link.onec_ref == onec_ref:
                return link
        return None

    def crm(self, entity_type: str, crm_id: str) -> LinkValues | None:
        for link in self.of(entity_type):
            if link.crm_id == crm_id:
                return link
        return None


def fmt_date(inv: Invoice) -> str:
    return f"{inv.date:%d.%m.%Y}"


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    """What a person sees in the plan: labelled fields, values in their words."""
    return tuple(
        FieldChange(k, nz.label(k), nz.display(k, before.get(k)), nz.display(k, after[k]))
        for k in sorted(after)
        if before.get(k) != after[k] and (k in before or after[k] not in ("", None))
    )


class Builder:
    """Collects operations and items; keeps them unique and ordered."""

    def __init__(self, settings: PlanSettings) -> None:
        self.settings = settings
        self.ops: dict[str, Operation] = {}
        self.items: dict[str, Item] = {}
        self.skipped: set[str] = set()  # blocked by an item the person chose to skip
        self._blocks: set[str] = set()  # every op id some raised item blocks
        self._item_blocks: dict[str, set[str]] = {}  # per item key, for repeated raises

    def key(self, flow: Flow, entity_type: str, source_id: str) -> str:
        return idempotency_key(self.settings.profile_uuid, flow, entity_type, source_id)

    def op(self, op: Operation) -> str:
        self.ops.setdefault(op.op_id, op)
        return op.op_id

    def item(self, item: Item) -> None:
        decision = self.settings.decisions.get(item.key)
        if decision is not None and decision.action == "confirm" and confirmable(item.key):
            return  # the person confirmed: what it blocked may go ahead
        if decision is not None and decision.action == "skip":
            self.skipped.update(item.blocks)  # neither shown again nor done
            return
        self._blocks.update(item.blocks)
        existing = self.items.get(item.key)
        if existing is None:
            self.items[item.key] = item
        elif item.blocks:
            # the same item raised again (a product on many invoices): add what it newly
            # blocks; nothing is rebuilt when it blocks nothing new
            known = self._item_blocks.setdefault(item.key, set(existing.blocks))
            fresh = tuple(dict.fromkeys(b for b in item.blocks if b not in known))
            if fresh:
                known.update(fresh)
                self.items[item.key] = replace(existing, blocks=existing.blocks + fresh)

    def is_blocked(self, op_id: str) -> bool:
        """Held back by an item raised so far (or skipped by the person)."""
        return op_id in self.skipped or op_id in self._blocks

    def build(self) -> Plan:
        blocked = {b for i in self.items.values() for b in i.blocks} | self.skipped
        for op in self.ops.values():  # a refused write the person chose to skip
            d = self.settings.decisions.get(f"{op.flow.value}:refused:{op.op_id}")
            if d is not None and d.action == "skip" and d.changes == planned_changes(op):
                blocked.add(op.op_id)
        # An operation that depends on a blocked one is blocked too.
        changed = True
        while changed:
            changed = False
            for op in self.ops.values():
                if op.op_id not in blocked and any(d in blocked for d in op.depends_on):
                    blocked.add(op.op_id)
                    changed = True
        ops = tuple(op for op in self.ops.values() if op.op_id not in blocked)
        return Plan(
            operations=topological(ops),
            items=tuple(sorted(self.items.values(), key=lambda i: (i.flow, i.key))),
            flows=self.settings.flows,
            full=self.settings.full,
        )


def planned_changes(op: Operation) -> dict[str, Any]:
    """What an operation would write, as the journal keeps it (field → new value)."""
    return {c.field: c.after for c in op.changes}


def topological(ops: tuple[Operation, ...]) -> tuple[Operation, ...]:
    """Dependencies first; otherwise keep the planner's (deterministic) order."""
    by_id = {op.op_id: op for op in ops}
    done: set[str] = set()
    out: list[Operation] = []

    def visit(op: Operation, trail: tuple[str, ...] = ()) -> None:
        if op.op_id in done:
            return
        if op.op_id in trail:
            raise ValueError(f"dependency cycle through {op.op_id}")
        for dep in op.depends_on:
            if dep in by_id:
                visit(by_id[dep], (*trail, op.op_id))
        done.add(op.op_id)
        out.append(op)

    for op in ops:
        visit(op)
    return tuple(out)


def three_way(
    b: Builder,
    flow: Flow,
    entity_type: str,
    link: LinkValues,
    onec_v: dict[str, Any],
    crm_v: dict[str, Any],
    label: str,
    *,
    master: System | None,
    fields: Iterable[str],
    identity: Iterable[str] = (),
    extra: dict[str, Any] | None = None,
) -> None:
    """Propagate what changed on one side; a change on both (or on the non-master)
    is a conflict with both values and the base."""
    d = _Diff(b, flow, entity_type, link, onec_v, crm_v, label, master, frozenset(identity))
    to_crm: dict[str, Any] = {}
    to_onec: dict[str, Any] = {}
    agreed: dict[str, Any] = {}  # both reached the same value: nothing to write
    for f in fields:
        _diff_field(d, f, to_crm, to_onec, agreed)
    for target, values in ((System.CRM, to_crm), (System.ONEC, to_onec)):
        writable = WRITABLE.get((target, entity_type))
        for f in [f for f in values if writable is not None and f not in writable]:
            del values[f]
            _unwritable(d, target, f)
        if values:
            _update(d, target, values, extra)
    if agreed and not to_crm and not to_onec:
        _rebase(d, agreed)


@dataclass(frozen=True, slots=True)
class _Diff:
    """One linked record's 3-way diff: both systems' values now, the link's base."""

    b: Builder
    flow: Flow
    entity_type: str
    link: LinkValues
    onec_v: dict[str, Any]
    crm_v: dict[str, Any]
    label: str
    master: System | None
    identity: frozenset[str]


def _diff_field(
    d: _Diff,
    f: str,
    to_crm: dict[str, Any],
    to_onec: dict[str, Any],
    agreed: dict[str, Any],
) -> None:
    """One field: unchanged, agreed, carried to the other side, decided by a person
    before, or a conflict."""
    now_1, now_2 = d.onec_v.get(f), d.crm_v.get(f)
    base_1, base_2 = d.link.onec_values.get(f), d.link.crm_values.get(f)
    changed_1, changed_2 = now_1 != base_1, now_2 != base_2
    if not changed_1 and not changed_2:
        return
    if now_1 == now_2:
        agreed[f] = now_1
        return
    conflict = (
        (changed_1 and changed_2)
        or (f in d.identity)
        or (d.master is System.ONEC and changed_2)
        or (d.master is System.CRM and changed_1)
    )
    if not conflict:
        if changed_1:
            to_crm[f] = now_1
        else:
            to_onec[f] = now_2
        return
    record_id = d.link.onec_ref or ""
    conflict_key = f"{d.flow.value}:conflict:{d.entity_type}:{record_id}:{f}"
    decision = d.b.settings.decisions.get(conflict_key)
    if decision is not None and (decision.onec_value, decision.crm_value) == (now_1, now_2):
        if decision.action == "take_onec":
            to_crm[f] = now_1
        elif decision.action == "take_crm":
            to_onec[f] = now_2
        elif decision.action == "value":
            to_crm[f] = to_onec[f] = decision.value
        return  # "skip": leave both as they are until one of them changes again
    d.b.item(
        Item(
            key=conflict_key,
            kind=ItemKind.CONFLICT,
            flow=d.flow,
            entity_type=d.entity_type,
            record_id=record_id,
            record_label=d.label,
            field=nz.label(f),
            message=_conflict_message(changed_1 and changed_2, d.master),
            action=tr("choose the value to keep: 1C, CRM, or type the right one"),
            onec_value=now_1,
            crm_value=now_2,
            base_value=base_1 if changed_1 else base_2,
        )
    )


def _conflict_message(both: bool, master: System | None) -> str:
    if both:
        return tr("changed in both 1C and the CRM since the last sync")
    if master is System.ONEC:
        return tr("changed in the CRM, but 1C is the master of this record")
    if master is System.CRM:
        return tr("changed in 1C, but the CRM is the master of this record")
    return tr("a requisite changed; it identifies the record, so a person decides")


def _rebase(d: _Diff, agreed: dict[str, Any]) -> None:
    """Both systems reached the same value (a write whose run was killed before it was
    settled, or the same edit made by hand on both sides): the link's base takes it,
    so that a later change on one side is that side's change, not a conflict."""
    b, flow, entity_type, link, label = d.b, d.flow, d.entity_type, d.link, d.label
    b.op(
        Operation(
            op_id=f"{flow.value}:rebase:{entity_type}:{link.onec_ref}",
            flow=flow,
            kind=OpKind.LINK,
            target=System.CRM,
            entity_type=EntityType(entity_type),
            source_id=link.onec_ref or "",
            target_id=link.crm_id,
            idempotency_key="",
            reason=tr(
                "{name}: 1C and the CRM already agree ({fields}); nothing to write, "
                "the journal takes it as the last synchronised value"
            ).format(name=label, fields=", ".join(nz.label(f) for f in agreed)),
            record_label=label,
            payload=LinkOnly(
                onec_values={**link.onec_values, **agreed},
                crm_values={**link.crm_values, **agreed},
                rebase=True,
            ),
        )
    )


def _unwritable(d: _Diff, target: System, f: str) -> None:
    """A change desktop-sync cannot write to ``target``: a person carries it over (or
    skips it). The base stays, so it is said again until both sides agree."""
    b, flow, entity_type, link, label = d.b, d.flow, d.entity_type, d.link, d.label
    onec_v, crm_v = d.onec_v, d.crm_v
    system = "1С" if target is System.ONEC else "CRM"
    source = "CRM" if target is System.ONEC else "1С"
    b.item(
        Item(
            key=f"{flow.value}:unwritable:{entity_type}:{link.onec_ref or ''}:{f}",
            kind=ItemKind.ATTENTION,
            flow=flow,
            entity_type=entity_type,
            record_id=link.onec_ref or "",
            record_label=label,
            field=nz.label(f),
            message=tr(
                "changed in {source}, but desktop-sync does not write «{field}» to {system}"
            ).format(source=source, field=nz.label(f), system=system),
            action=tr("change it in {system} by hand (then both agree), or skip").format(
                system=system
            ),
            onec_value=onec_v.get(f),
            crm_value=crm_v.get(f),
        )
    )


def _update(d: _Diff, target: System, values: dict[str, Any], extra: dict[str, Any] | None) -> None:
    """One update of ``target`` with what changed on the other side."""
    b, flow, entity_type, link, label = d.b, d.flow, d.entity_type, d.link, d.label
    onec_v, crm_v = d.onec_v, d.crm_v
    to_crm = target is System.CRM
    current = crm_v if to_crm else onec_v
    reason = (
        tr("{name}: changed in 1C ({fields}); the CRM will be updated")
        if to_crm
        else tr("{name}: changed in the CRM ({fields}); 1C will be updated")
    )
    b.op(
        Operation(
            op_id=f"{flow.value}:update_{target.value}:{entity_type}:{link.onec_ref}",
            flow=flow,
            kind=OpKind.UPDATE,
            target=target,
            entity_type=EntityType(entity_type),
            source_id=(link.onec_ref if to_crm else link.crm_id) or "",
            target_id=link.crm_id if to_crm else link.onec_ref,
            idempotency_key="",
            reason=reason.format(name=label, fields=", ".join(nz.label(f) for f in values)),
            record_label=label,
            changes=tuple(
                FieldChange(f, nz.label(f), nz.display(f, current.get(f)), nz.display(f, v))
                for f, v in values.items()
            ),
            payload=UPDATES[EntityType(entity_type)](
                values=values, onec_values=onec_v, crm_values=crm_v, **(extra or {})
            ),
        )
    )
