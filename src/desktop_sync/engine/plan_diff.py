"""The 3-way diff of a linked record: what changed on one side since the last sync goes
to the other; a change on both, or on the side that is not the master, is a conflict for
a person, with both values and the base."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from desktop_sync.engine import normalize as nz
from desktop_sync.engine.model import (
    FieldChange,
    Flow,
    Head,
    Item,
    ItemKind,
    OpKind,
    System,
    operation,
)
from desktop_sync.engine.ops import UPDATES, EntityType, LinkOnly
from desktop_sync.engine.plan_base import WRITABLE, Builder
from desktop_sync.i18n import tr
from desktop_sync.journal import LinkValues


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
    fields = tuple(fields)
    base_1, base_2 = link.onec_values, link.crm_values
    if all(onec_v.get(f) == base_1.get(f) and crm_v.get(f) == base_2.get(f) for f in fields):
        return  # unchanged on both sides since the last sync (most linked records)
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
    reason = tr(
        "{name}: 1C and the CRM already agree ({fields}); nothing to write, "
        "the journal takes it as the last synchronized value"
    )
    b.op(
        operation(
            f"{flow.value}:rebase:{entity_type}:{link.onec_ref}",
            Head(flow, OpKind.LINK, System.CRM, EntityType(entity_type)),
            (link.onec_ref or "", link.crm_id),
            label,
            reason.format(name=label, fields=", ".join(nz.label(f) for f in agreed)),
            LinkOnly(
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
    system, source = target.label, target.other.label
    b.attention(
        flow,
        entity_type,
        f"{flow.value}:unwritable:{entity_type}:{link.onec_ref or ''}:{f}",
        record_id=link.onec_ref or "",
        record_label=label,
        field=nz.label(f),
        message=tr(
            "changed in {source}, but desktop-sync does not write «{field}» to {system}"
        ).format(source=source, field=nz.label(f), system=system),
        action=tr("change it in {system} by hand (then both agree), or skip").format(system=system),
        onec_value=onec_v.get(f),
        crm_value=crm_v.get(f),
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
    ids = (
        (link.onec_ref if to_crm else link.crm_id) or "",
        link.crm_id if to_crm else link.onec_ref,
    )
    b.op(
        operation(
            f"{flow.value}:update_{target.value}:{entity_type}:{link.onec_ref}",
            Head(flow, OpKind.UPDATE, target, EntityType(entity_type)),
            ids,
            label,
            reason.format(name=label, fields=", ".join(nz.label(f) for f in values)),
            UPDATES[EntityType(entity_type)](
                values=values, onec_values=onec_v, crm_values=crm_v, **(extra or {})
            ),
            changes=tuple(
                FieldChange(f, nz.label(f), nz.display(f, current.get(f)), nz.display(f, v))
                for f, v in values.items()
            ),
        )
    )
