"""The planner: a 3-way diff of both systems against the last synced values.

Pure, deterministic, no I/O: the same snapshot, links and settings always give the
same plan, in the same order. Each operation says in plain words why it exists;
what the rules cannot decide becomes a conflict or an attention item that names the
record, the field and what to do.

Master rules (domain.md): counterparties both ways (F7); products 1C → CRM (F5);
an invoice CRM → 1C when it reaches the profile's "send" stage (F1), then 1C is its
master (F2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from desktop_sync.connectors.bitrix24.models import CrmCompany, CrmInvoice
from desktop_sync.domain.entities import (
    Contract,
    Counterparty,
    CounterpartyKind,
    Invoice,
    Product,
)
from desktop_sync.domain.requisites import RequisiteError, validate_inn, validate_kpp
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.matcher import MatchResult, Pair, match_counterparties, match_products
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
    onec_ref_for,
)
from desktop_sync.engine.money import PAYMENT_NOTE, MoneySettings, plan_money
from desktop_sync.engine.snapshot import CrmRequisite, Snapshot, requisites_of
from desktop_sync.engine.stock import plan_stock
from desktop_sync.i18n import tr
from desktop_sync.journal import LinkValues

COUNTERPARTY = "counterparty"
CONTRACT = "contract"
PRODUCT = "product"
INVOICE = "invoice"
INVOICE_BACK = "invoice_number"  # the 1C number and date written back to the CRM


@dataclass(frozen=True)
class PlanSettings:
    profile_uuid: str
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


def _fmt_date(inv: Invoice) -> str:
    return f"{inv.date:%d.%m.%Y}"


def _changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    """What a person sees in the plan: labelled fields, values in their words."""
    return tuple(
        FieldChange(k, nz.label(k), nz.display(k, before.get(k)), nz.display(k, after[k]))
        for k in sorted(after)
        if before.get(k) != after[k] and (k in before or after[k] not in ("", None))
    )


class _Builder:
    """Collects operations and items; keeps them unique and ordered."""

    def __init__(self, settings: PlanSettings) -> None:
        self.settings = settings
        self.ops: dict[str, Operation] = {}
        self.items: dict[str, Item] = {}
        self.skipped: set[str] = set()  # blocked by an item the person chose to skip

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
        existing = self.items.get(item.key)
        if existing is None:
            self.items[item.key] = item
        elif item.blocks:
            blocks = tuple(dict.fromkeys(existing.blocks + item.blocks))
            self.items[item.key] = replace(existing, blocks=blocks)

    def is_blocked(self, op_id: str) -> bool:
        """Held back by an item raised so far (or skipped by the person)."""
        return op_id in self.skipped or any(op_id in i.blocks for i in self.items.values())

    def build(self) -> Plan:
        blocked = {b for i in self.items.values() for b in i.blocks} | self.skipped
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
            operations=_topological(ops),
            items=tuple(sorted(self.items.values(), key=lambda i: (i.flow, i.key))),
            flows=self.settings.flows,
            full=self.settings.full,
        )


def _topological(ops: tuple[Operation, ...]) -> tuple[Operation, ...]:
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


# -- counterparties (F7) ------------------------------------------------------------------


def _requisite_problem(cp: Counterparty) -> tuple[str, str] | None:
    """(field, message) when the counterparty's name, ИНН or КПП cannot be sent on."""
    if not cp.name.strip():
        return "name", tr("the name is empty")
    if cp.kind is CounterpartyKind.PERSON and not cp.inn:
        return None
    try:
        validate_inn(cp.inn)
        if cp.kind is CounterpartyKind.ORGANIZATION:
            if not cp.kpp:
                return "kpp", tr("an organization needs a KPP")
            validate_kpp(cp.kpp)
        elif cp.kpp:
            return "kpp", tr("only an organization has a KPP")
    except RequisiteError as exc:
        return ("inn" if exc.field == "ИНН" else "kpp"), str(exc)
    return None


def _crm_counterparty(co: CrmCompany, rq: CrmRequisite) -> Counterparty:
    """The CRM company seen through one of its requisites, as a counterparty.

    A company holding several requisites (a UT partner's legal entities, a head office
    and its branch) is several counterparties: each is named by its requisite, so
    renaming one never renames the others through the company's title.
    """
    name = rq.name if rq.shared and rq.name else co.counterparty.name
    return replace(co.counterparty, name=name, inn=rq.inn, kpp=rq.kpp, requisites=())


def _requisite_extra(rq: CrmRequisite) -> dict[str, Any]:
    """Where a name change goes in the CRM: the requisite when the company is shared."""
    if not rq.shared or rq.requisite_id is None:
        return {}
    field = "RQ_COMPANY_NAME" if rq.kpp else "RQ_NAME"
    return {"requisite_id": rq.requisite_id, "requisite_field": field}


class _Counterparties:
    def __init__(self, b: _Builder, snap: Snapshot, links: Links) -> None:
        self.b = b
        self.snap = snap
        self.links = links
        self.match: MatchResult = match_counterparties(
            snap.onec.counterparties, snap.crm.companies, links.of(COUNTERPARTY)
        )
        self.requisites: dict[str, tuple[CrmRequisite, CrmCompany]] = {}
        for co in snap.crm.companies.values():
            for rq in requisites_of(co):
                self.requisites[rq.key] = (rq, co)
        self.crm_ready: dict[str, str] = {}  # onec ref -> op id that makes it exist in the CRM
        self.onec_ready: dict[str, str] = {}  # crm key -> op id that makes it exist in 1C

    def _label(self, cp: Counterparty) -> str:
        if not cp.name.strip():  # nothing to recognise it by but its requisites and ref
            return tr("counterparty without a name (INN {inn}, 1C ref {ref})").format(
                inn=cp.inn or "—", ref=cp.onec_ref or "—"
            )
        return f"{cp.name} (ИНН {cp.inn})" if cp.inn else cp.name

    def link_op(self, onec_ref: str, crm_key: str, rule: str) -> str:
        cp = self.snap.onec.counterparties[onec_ref]
        rq, co = self.requisites[crm_key]
        crm_cp = _crm_counterparty(co, rq)
        onec_v, crm_v = nz.counterparty_values(cp), nz.counterparty_values(crm_cp)
        if rq.shared:  # a shared company's phone and e-mail are its own (see diff_linked)
            crm_v.update(phone=onec_v["phone"], email=onec_v["email"])
        rule_text = {
            "origin": tr("created by desktop-sync earlier"),
            "inn_kpp": tr("same INN and KPP"),
            "inn": tr("same INN, the only one on both sides"),
        }.get(rule, rule)
        return self.b.op(
            Operation(
                op_id=f"F7:link:{onec_ref}",
                flow=Flow.F7,
                kind=OpKind.LINK,
                target=System.CRM,
                entity_type=COUNTERPARTY,
                source_id=onec_ref,
                target_id=crm_key,
                idempotency_key="",
                reason=tr("{name}: found in the CRM ({rule}); will be linked").format(
                    name=self._label(cp), rule=rule_text
                ),
                record_label=self._label(cp),
                changes=_changes(crm_v, onec_v),
                payload={"onec_values": onec_v, "crm_values": crm_v},
            )
        )

    def ensure_in_crm(self, onec_ref: str, why: str) -> str | None:
        """An op id after which the 1C counterparty exists (and is linked) in the CRM."""
        if onec_ref in self.crm_ready:
            return self.crm_ready[onec_ref] or None
        cp = self.snap.onec.counterparties.get(onec_ref)
        if cp is None:
            return None
        pair = self.match.pairs.get(onec_ref)
        if pair is not None:
            op_id = "" if pair.known else self.link_op(onec_ref, pair.crm_key, pair.rule)
            self.crm_ready[onec_ref] = op_id
            return op_id or None
        if any(a.onec_ref == onec_ref for a in self.match.ambiguous):
            return self._ambiguous(onec_ref)
        problem = _requisite_problem(cp)
        op_id = f"F7:create_crm:{onec_ref}"
        company_id, company_of = self._partner_company(cp)
        if problem is not None:
            field_name, message = problem
            self.b.item(
                Item(
                    key=f"F7:requisite:{onec_ref}",
                    kind=ItemKind.ATTENTION,
                    flow=Flow.F7,
                    entity_type=COUNTERPARTY,
                    record_id=onec_ref,
                    record_label=self._label(cp),
                    field=nz.label(field_name),
                    message=message,
                    action=tr("correct the counterparty in 1C; the next run sends it"),
                    onec_value=getattr(cp, field_name),
                    blocks=(op_id,),
                )
            )
        key = self.b.key(Flow.F7, COUNTERPARTY, onec_ref)
        suggestion = self.match.name_suggestions.get(onec_ref)
        if suggestion:
            self.b.item(
                Item(
                    key=f"F7:name:{onec_ref}",
                    kind=ItemKind.ATTENTION,
                    flow=Flow.F7,
                    entity_type=COUNTERPARTY,
                    record_id=onec_ref,
                    record_label=self._label(cp),
                    field=nz.label("name"),
                    message=tr(
                        "a CRM company without requisites has the same name; "
                        "names are never matched automatically"
                    ),
                    action=tr(
                        "if it is the same company, add the INN/KPP to it in the CRM; "
                        "otherwise a new company will be created"
                    ),
                    crm_value=", ".join(suggestion),
                    blocks=(op_id,),
                )
            )
        payload: dict[str, Any] = {"counterparty": cp, "values": nz.counterparty_values(cp)}
        if company_id is not None or company_of is not None:
            reason = tr(
                "{name}: not in the CRM yet; its requisites will be added to the company of "
                "its partner in 1C ({why})"
            )
            payload.update(company_id=company_id, company_of=company_of)
        else:
            reason = tr(
                "{name}: not in the CRM yet; a company with requisites will be created ({why})"
            )
        self.b.op(
            Operation(
                op_id=op_id,
                flow=Flow.F7,
                kind=OpKind.CREATE,
                target=System.CRM,
                entity_type=COUNTERPARTY,
                source_id=onec_ref,
                target_id=None,
                idempotency_key=key,
                reason=reason.format(name=self._label(cp), why=why),
                record_label=self._label(cp),
                changes=_changes({}, nz.counterparty_values(cp)),
                payload=payload,
                depends_on=(company_of,) if company_of else (),
            )
        )
        self.crm_ready[onec_ref] = op_id
        return op_id

    def _partner_company(self, cp: Counterparty) -> tuple[int | None, str | None]:
        """UT 11: (company id, op id making it) of another counterparty of the same
        partner: the partner is one CRM company, its counterparties its requisites.

        A sibling linked already gives its company; one created earlier in this plan
        gives its operation (only when nothing holds that operation back).
        """
        if not cp.partner_ref or not cp.inn:  # a requisite carries the INN: none, no join
            return None, None
        made: str | None = None
        for ref, sib in sorted(self.snap.onec.counterparties.items()):
            if ref == cp.onec_ref or sib.partner_ref != cp.partner_ref or sib.deleted:
                continue
            pair = self.match.pairs.get(ref)
            if pair is not None:
                return int(pair.crm_key.split("/")[0]), None
            op_id = self.crm_ready.get(ref, "")
            if made is None and op_id.startswith("F7:create_crm:") and not self.b.is_blocked(op_id):
                made = op_id
        return None, made

    def _ambiguous(self, onec_ref: str) -> str:
        cp = self.snap.onec.counterparties[onec_ref]
        amb = next(a for a in self.match.ambiguous if a.onec_ref == onec_ref)
        blocked = f"F7:ambiguous:{onec_ref}"
        self.b.item(
            Item(
                key=f"F7:ambiguous:{onec_ref}",
                kind=ItemKind.ATTENTION,
                flow=Flow.F7,
                entity_type=COUNTERPARTY,
                record_id=onec_ref,
                record_label=self._label(cp),
                field=nz.label(amb.field),
                message=amb.message,
                action=tr(
                    "several records fit; link the right one by hand or correct the "
                    "requisites, then run again"
                ),
                crm_value=", ".join(amb.crm_keys),
                blocks=(blocked,),
            )
        )
        self.crm_ready[onec_ref] = blocked
        return blocked

    def ensure_in_onec(self, crm_key: str, why: str) -> tuple[str | None, str | None]:
        """(op id, 1C ref) after which the CRM counterparty exists in 1C."""
        onec_ref = self.match.by_crm.get(crm_key)
        if onec_ref is not None:
            pair = self.match.pairs[onec_ref]
            op_id = "" if pair.known else self.link_op(onec_ref, crm_key, pair.rule)
            return op_id or None, onec_ref
        rq, co = self.requisites[crm_key]
        cp = _crm_counterparty(co, rq)
        label = self._label(cp)
        op_id = f"F7:create_onec:{crm_key}"
        key = self.b.key(Flow.F7, COUNTERPARTY, crm_key)
        new_ref = onec_ref_for(key)
        if crm_key in self.onec_ready:
            return self.onec_ready[crm_key], new_ref
        if any(crm_key in a.crm_keys for a in self.match.ambiguous):
            self.b.item(
                Item(
                    key=f"F7:ambiguous_crm:{crm_key}",
                    kind=ItemKind.ATTENTION,
                    flow=Flow.F7,
                    entity_type=COUNTERPARTY,
                    record_id=crm_key,
                    record_label=label,
                    field=nz.label("inn"),
                    message=tr("several 1C counterparties fit this company's requisites"),
                    action=tr(
                        "leave one counterparty with these requisites in 1C, or mark the "
                        "others for deletion"
                    ),
                    blocks=(op_id,),
                )
            )
        if not rq.inn:
            self.b.item(
                Item(
                    key=f"F7:no_requisite:{crm_key}",
                    kind=ItemKind.ATTENTION,
                    flow=Flow.F7,
                    entity_type=COUNTERPARTY,
                    record_id=crm_key,
                    record_label=label,
                    field=nz.label("inn"),
                    message=tr(
                        "the CRM company has no requisites (INN), so it cannot be found "
                        "or created in 1C safely"
                    ),
                    action=tr("add a requisite with the INN (and KPP) to the company in the CRM"),
                    blocks=(op_id,),
                )
            )
        else:
            kind = (
                CounterpartyKind.ORGANIZATION
                if len(rq.inn) == 10
                else co.counterparty.kind
                if co.counterparty.kind is not CounterpartyKind.ORGANIZATION
                else CounterpartyKind.SOLE_TRADER
            )
            cp = replace(
                cp, kind=kind, onec_ref=new_ref, partner_ref=self._partner_in_onec(co, crm_key)
            )
            problem = _requisite_problem(cp)
            if problem is not None:
                self.b.item(
                    Item(
                        key=f"F7:requisite_crm:{crm_key}",
                        kind=ItemKind.ATTENTION,
                        flow=Flow.F7,
                        entity_type=COUNTERPARTY,
                        record_id=crm_key,
                        record_label=label,
                        field=nz.label(problem[0]),
                        message=problem[1],
                        action=tr("correct the requisite in the CRM; the next run sends it"),
                        crm_value=getattr(cp, problem[0]),
                        blocks=(op_id,),
                    )
                )
        self.b.op(
            Operation(
                op_id=op_id,
                flow=Flow.F7,
                kind=OpKind.CREATE,
                target=System.ONEC,
                entity_type=COUNTERPARTY,
                source_id=crm_key,
                target_id=new_ref,
                idempotency_key=key,
                reason=tr("{name}: not in 1C yet; a counterparty will be created ({why})").format(
                    name=label, why=why
                ),
                record_label=label,
                changes=_changes({}, nz.counterparty_values(cp)),
                payload={"counterparty": cp, "values": nz.counterparty_values(cp)},
            )
        )
        self.onec_ready[crm_key] = op_id
        return op_id, new_ref

    def _partner_in_onec(self, co: CrmCompany, crm_key: str) -> str | None:
        """UT 11: the partner of another requisite of the same company that is a 1C
        counterparty already; the new counterparty joins it (one company, one partner).
        BP 3.0 has no partners: None."""
        for rq in requisites_of(co):
            ref = self.match.by_crm.get(rq.key) if rq.key != crm_key else None
            sibling = self.snap.onec.counterparties.get(ref or "")
            if sibling is not None and sibling.partner_ref:
                return sibling.partner_ref
        return None

    def ensure_contract(
        self, onec_ref: str, after: str | None, label: str
    ) -> tuple[str | None, str]:
        """(op id, contract ref) for the counterparty's contract with the buyer."""
        for c in self.snap.onec.contracts.get(onec_ref, []):
            if c.kind == "СПокупателем" and c.onec_ref:
                return None, c.onec_ref
        key = self.b.key(Flow.F7, CONTRACT, onec_ref)
        ref = onec_ref_for(key)
        contract = Contract(tr("Main contract"), onec_ref, "СПокупателем", ref)
        op_id = self.b.op(
            Operation(
                op_id=f"F7:contract:{onec_ref}",
                flow=Flow.F7,
                kind=OpKind.CREATE,
                target=System.ONEC,
                entity_type=CONTRACT,
                source_id=onec_ref,
                target_id=ref,
                idempotency_key=key,
                reason=tr(
                    "{name}: has no contract with the buyer in 1C; one will be created"
                ).format(name=label),
                record_label=label,
                payload={"contract": contract},
                depends_on=(after,) if after else (),
            )
        )
        return op_id, ref

    def diff_linked(self) -> None:
        """F7 both ways for linked counterparties: a 3-way diff per field."""
        for link in self.links.of(COUNTERPARTY):
            if link.onec_ref is None or link.crm_id is None:
                continue
            cp = self.snap.onec.counterparties.get(link.onec_ref)
            found = self.requisites.get(link.crm_id)
            if cp is None or found is None:
                continue  # not read this time (incremental) or deleted: see deletions
            rq, co = found
            onec_v = nz.counterparty_values(cp)
            crm_v = nz.counterparty_values(_crm_counterparty(co, rq))
            _three_way(
                self.b,
                Flow.F7,
                COUNTERPARTY,
                link,
                onec_v,
                crm_v,
                self._label(cp),
                master=None,
                # a company of several legal entities: its phone and e-mail are the
                # company's (the partner's), not any one counterparty's
                fields=("name", "inn", "kpp")
                if rq.shared
                else ("name", "phone", "email", "inn", "kpp"),
                identity=("inn", "kpp"),
                extra=_requisite_extra(rq),
            )


def _three_way(
    b: _Builder,
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
    to_crm: dict[str, Any] = {}
    to_onec: dict[str, Any] = {}
    base_crm_update: dict[str, Any] = {}
    identity = set(identity)
    for f in fields:
        now_1, now_2 = onec_v.get(f), crm_v.get(f)
        base_1, base_2 = link.onec_values.get(f), link.crm_values.get(f)
        changed_1, changed_2 = now_1 != base_1, now_2 != base_2
        if not changed_1 and not changed_2:
            continue
        if now_1 == now_2:
            base_crm_update[f] = now_1  # both reached the same value: nothing to write
            continue
        conflict = (
            (changed_1 and changed_2)
            or (f in identity)
            or (master is System.ONEC and changed_2)
            or (master is System.CRM and changed_1)
        )
        record_id = link.onec_ref or ""
        conflict_key = f"{flow.value}:conflict:{entity_type}:{record_id}:{f}"
        decision = b.settings.decisions.get(conflict_key) if conflict else None
        if decision is not None and (decision.onec_value, decision.crm_value) == (now_1, now_2):
            if decision.action == "take_onec":
                to_crm[f] = now_1
            elif decision.action == "take_crm":
                to_onec[f] = now_2
            elif decision.action == "value":
                to_crm[f] = to_onec[f] = decision.value
            continue  # "skip": leave both as they are until one of them changes again
        if conflict:
            b.item(
                Item(
                    key=conflict_key,
                    kind=ItemKind.CONFLICT,
                    flow=flow,
                    entity_type=entity_type,
                    record_id=record_id,
                    record_label=label,
                    field=nz.label(f),
                    message=(
                        tr("changed in both 1C and the CRM since the last sync")
                        if changed_1 and changed_2
                        else tr("changed in the CRM, but 1C is the master of this record")
                        if master is System.ONEC
                        else tr("changed in 1C, but the CRM is the master of this record")
                        if master is System.CRM
                        else tr(
                            "a requisite changed; it identifies the record, so a person decides"
                        )
                    ),
                    action=tr("choose the value to keep: 1C, CRM, or type the right one"),
                    onec_value=now_1,
                    crm_value=now_2,
                    base_value=base_1 if changed_1 else base_2,
                )
            )
        elif changed_1:
            to_crm[f] = now_1
        else:
            to_onec[f] = now_2
    for target, values in ((System.CRM, to_crm), (System.ONEC, to_onec)):
        if values:
            _update(b, flow, entity_type, link, target, values, onec_v, crm_v, label, extra)


def _update(
    b: _Builder,
    flow: Flow,
    entity_type: str,
    link: LinkValues,
    target: System,
    values: dict[str, Any],
    onec_v: dict[str, Any],
    crm_v: dict[str, Any],
    label: str,
    extra: dict[str, Any] | None,
) -> None:
    """One update of ``target`` with what changed on the other side."""
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
            entity_type=entity_type,
            source_id=(link.onec_ref if to_crm else link.crm_id) or "",
            target_id=link.crm_id if to_crm else link.onec_ref,
            idempotency_key="",
            reason=reason.format(name=label, fields=", ".join(nz.label(f) for f in values)),
            record_label=label,
            changes=tuple(
                FieldChange(f, nz.label(f), nz.display(f, current.get(f)), nz.display(f, v))
                for f, v in values.items()
            ),
            payload={"values": values, "onec_values": onec_v, "crm_values": crm_v, **(extra or {})},
        )
    )


# -- products (F5) ------------------------------------------------------------------------


class _Products:
    def __init__(self, b: _Builder, snap: Snapshot, links: Links) -> None:
        self.b = b
        self.snap = snap
        self.links = links
        self.match = match_products(snap.onec.products, snap.crm.products, links.of(PRODUCT))
        self.crm_ready: dict[str, str] = {}
        self._confirmed_by_person()

    def ensure_in_crm(self, onec_ref: str, why: str) -> str | None:
        if onec_ref in self.crm_ready:
            return self.crm_ready[onec_ref] or None
        p = self.snap.onec.products.get(onec_ref)
        if p is None:
            return None
        pair = self.match.pairs.get(onec_ref)
        if pair is not None:
            op_id = ""
            if not pair.known:
                crm_p = self.snap.crm.products[int(pair.crm_key)].product
                onec_v, crm_v = nz.product_values(p), nz.product_values(crm_p)
                crm_v["article"] = onec_v["article"]  # the CRM catalog holds no article
                op_id = self.b.op(
                    Operation(
                        op_id=f"F5:link:{onec_ref}",
                        flow=Flow.F5,
                        kind=OpKind.LINK,
                        target=System.CRM,
                        entity_type=PRODUCT,
                        source_id=onec_ref,
                        target_id=pair.crm_key,
                        idempotency_key="",
                        reason=tr(
                            "{name}: found in the CRM catalog (by {rule}); will be linked"
                        ).format(
                            name=p.name,
                            rule={
                                "xml_id": tr("1C GUID"),
                                "confirmed": tr("a person's confirmation"),
                            }.get(pair.rule, tr("article")),
                        )
                        + self._cannot_hold(p),
                        record_label=p.name,
                        changes=_changes(crm_v, onec_v),
                        payload={"onec_values": onec_v, "crm_values": crm_v},
                    )
                )
            self.crm_ready[onec_ref] = op_id
            return op_id or None
        op_id = f"F5:create_crm:{onec_ref}"
        amb = [a for a in self.match.ambiguous if onec_ref in a.onec_refs]
        if amb:
            self.b.item(
                Item(
                    key=f"F5:ambiguous:{onec_ref}",
                    kind=ItemKind.ATTENTION,
                    flow=Flow.F5,
                    entity_type=PRODUCT,
                    record_id=onec_ref,
                    record_label=p.name,
                    field=nz.label("article"),
                    message=amb[0].message,
                    action=tr("make the article unique, or link the product by hand"),
                    blocks=(op_id,),
                )
            )
        self.b.op(
            Operation(
                op_id=op_id,
                flow=Flow.F5,
                kind=OpKind.CREATE,
                target=System.CRM,
                entity_type=PRODUCT,
                source_id=onec_ref,
                target_id=None,
                idempotency_key=self.b.key(Flow.F5, PRODUCT, onec_ref),
                reason=tr("{name}: not in the CRM catalog yet; will be created ({why})").format(
                    name=p.name, why=why
                )
                + self._cannot_hold(p),
                record_label=p.name,
                changes=_changes({}, nz.product_values(p)),
                payload={"product": p, "values": nz.product_values(p)},
            )
        )
        self.crm_ready[onec_ref] = op_id
        return op_id

    @staticmethod
    def _cannot_hold(p: Product) -> str:
        """UT 11 packages and characteristics, said in the operation's reason: the CRM
        product keeps the base unit and has no characteristics. (An inbox item per
        product would bury real problems under hundreds of notes; nothing here needs a
        person's decision.)"""
        notes: list[str] = []
        if p.packages:
            names = ", ".join(f"«{name}» = {qty.normalize():f}" for name, qty in p.packages)
            notes.append(
                tr(
                    "packages {packages} base units stay in 1C: the CRM product keeps the "
                    "base unit, CRM invoices count base units"
                ).format(packages=names)
            )
        if p.characteristics:
            notes.append(
                tr(
                    "characteristics {names} stay in 1C: the CRM product has none, its stock "
                    "is their sum, and a CRM invoice with it waits for an order entered in 1C"
                ).format(names=", ".join(p.characteristics))
            )
        return "".join(f"; {n}" for n in notes)

    def onec_ref_of_crm(self, crm_id: int | None) -> str | None:
        return None if crm_id is None else self.match.by_crm.get(str(crm_id))

    def _confirmed_by_person(self) -> None:
        """Pairs a person confirmed in the inbox (a same-name suggestion)."""
        for key, decision in self.b.settings.decisions.items():
            if not key.startswith("F5:name:") or decision.action != "confirm":
                continue
            _f, _n, crm_key, onec_ref = key.split(":", 3)
            if (
                onec_ref in self.snap.onec.products
                and crm_key.isdigit()
                and int(crm_key) in self.snap.crm.products
                and onec_ref not in self.match.pairs
                and crm_key not in self.match.by_crm
            ):
                self.match.add(Pair(onec_ref, crm_key, "confirmed", known=False))

    def same_name(self, crm_id: int) -> str | None:
        """The one unlinked 1C product named exactly like the CRM product, if any."""
        crm = self.snap.crm.products.get(crm_id)
        if crm is None:
            return None
        name = nz.text(crm.product.name).casefold()
        found = [
            ref
            for ref, p in self.snap.onec.products.items()
            if ref not in self.match.pairs and nz.text(p.name).casefold() == name
        ]
        return found[0] if len(found) == 1 else None

    def diff_linked(self) -> None:
        for link in self.links.of(PRODUCT):
            if link.onec_ref is None or link.crm_id is None:
                continue
            p = self.snap.onec.products.get(link.onec_ref)
            cp = self.snap.crm.products.get(int(link.crm_id))
            if p is None or cp is None:
                continue
            _three_way(
                self.b,
                Flow.F5,
                PRODUCT,
                link,
                nz.product_values(p),
                nz.product_values(cp.product),
                p.name,
                master=System.ONEC,
                fields=("name", "article", "unit", "vat"),
            )


# -- invoices (F1, F2) --------------------------------------------------------------------


def _invoice_label(inv: Invoice) -> str:
    return tr("Invoice No. {number} of {date}").format(number=inv.number, date=_fmt_date(inv))


class _Invoices:
    def __init__(
        self, b: _Builder, snap: Snapshot, links: Links, cps: _Counterparties, products: _Products
    ) -> None:
        self.b = b
        self.snap = snap
        self.links = links
        self.cps = cps
        self.products = products

    def _company_key(self, ci: CrmInvoice) -> str | None:
        company = self.snap.crm.companies.get(ci.invoice.counterparty_crm_id or -1)
        if company is None:
            return None
        reqs = requisites_of(company)
        if len(reqs) == 1:
            return reqs[0].key
        # Several requisites (head office and branches, a UT partner's legal entities):
        # the one the manager chose on the invoice; none chosen, a person decides.
        return next((rq.key for rq in reqs if rq.requisite_id == ci.requisite_id), None)

    def _buyer(self, ci: CrmInvoice) -> str:
        company = self.snap.crm.companies.get(ci.invoice.counterparty_crm_id or -1)
        return company.counterparty.name if company else ""

    def unreadable(self) -> None:
        """CRM invoices whose data could not be understood: named, never guessed."""
        for crm_id, why in sorted(self.snap.crm.unreadable.items()):
            self.b.item(
                Item(
                    key=f"F1:unreadable:{crm_id}",
                    kind=ItemKind.ATTENTION,
                    flow=Flow.F1,
                    entity_type=INVOICE,
                    record_id=str(crm_id),
                    record_label=tr("CRM invoice id {id}").format(id=crm_id),
                    field=nz.label("rows"),
                    message=why,
                    action=tr("correct the invoice in the CRM; the rest of the run goes on"),
                )
            )

    def send(self) -> None:
        """F1: CRM invoices at the "send" stage, not yet in 1C, are created there."""
        stage = self.b.settings.send_stage
        candidates = [
            ci
            for ci in self.snap.crm.invoices.values()
            if self.links.crm(INVOICE, str(ci.invoice.crm_id)) is None
        ]
        if not stage:
            if candidates:
                self.b.item(
                    Item(
                        key="F1:no_send_stage",
                        kind=ItemKind.ATTENTION,
                        flow=Flow.F1,
                        entity_type=INVOICE,
                        record_id="",
                        record_label=tr("Profile settings"),
                        field="stage.send",
                        message=tr("no CRM stage is chosen as “send to 1C”, so no invoice is sent"),
                        action=tr("choose it: desktop-sync profile set NAME stage.send DT31_1:S"),
                    )
                )
            return
        for ci in sorted(candidates, key=lambda c: c.invoice.crm_id or 0):
            if ci.stage_id == stage:
                self._send_one(ci)

    def _send_one(self, ci: CrmInvoice) -> None:
        inv = ci.invoice
        crm_id = str(inv.crm_id)
        label = _invoice_label(inv)
        op_id = f"F1:create_onec:{crm_id}"
        key = self.b.key(Flow.F1, INVOICE, crm_id)
        new_ref = onec_ref_for(key)
        deps: list[str] = []

        def attention(
            suffix: str, field_name: str, message: str, action: str, value: Any = None
        ) -> None:
            self.b.item(
                Item(
                    key=f"F1:{suffix}:{crm_id}",
                    kind=ItemKind.ATTENTION,
                    flow=Flow.F1,
                    entity_type=INVOICE,
                    record_id=crm_id,
                    record_label=label,
                    field=field_name,
                    message=message,
                    action=action,
                    crm_value=value,
                    blocks=(op_id,),
                )
            )

        if inv.currency != "RUB":
            attention(
                "currency",
                nz.label("currency"),
                tr("the invoice is in {currency}; only roubles are synchronised").format(
                    currency=inv.currency
                ),
                tr("issue the invoice in roubles, or enter it in 1C by hand"),
                inv.currency,
            )
        if not inv.lines:
            attention(
                "no_rows",
                nz.label("rows"),
                tr("the invoice has no rows"),
                tr("add the goods or services to the invoice in the CRM"),
            )
        company_key = self._company_key(ci)
        counterparty_ref: str | None = None
        if company_key is None and ci.contact_id and not ci.company_id:
            attention(
                "contact",
                nz.label("counterparty"),
                tr(
                    "the buyer is a contact (a private person); invoices of private "
                    "persons are not sent to 1C by this version"
                ),
                tr("enter this invoice in 1C by hand, or issue it to a company"),
            )
        elif company_key is None:
            attention(
                "no_company",
                nz.label("counterparty"),
                tr(
                    "the invoice names no company (or a company with several requisites "
                    "and none chosen)"
                ),
                tr("choose the buyer company and its requisite in the CRM invoice"),
            )
        else:
            dep, counterparty_ref = self.cps.ensure_in_onec(company_key, label)
            if dep:
                deps.append(dep)
        contract_ref: str | None = None
        if counterparty_ref is not None:
            dep_c, contract_ref = self.cps.ensure_contract(
                counterparty_ref, deps[-1] if deps else None, inv.counterparty_name or label
            )
            if dep_c:
                deps.append(dep_c)
        for line in inv.lines:
            bad = [(tr("Quantity"), "qty", line.quantity)] if line.quantity <= 0 else []
            bad += [(tr("Price"), "price", line.price)] if line.price < 0 else []
            for field_name, code, value in bad:
                attention(
                    f"row{line.line_no}_{code}",
                    field_name,
                    tr("row {n} «{name}»: {field} is {value}").format(
                        n=line.line_no, name=line.product_name, field=field_name, value=value
                    ),
                    tr("correct the row in the CRM invoice; a return is a separate document"),
                    str(value),
                )
        product_refs: list[str] = []
        for line in inv.lines:
            ref = self.products.onec_ref_of_crm(line.product_crm_id)
            if line.product_crm_id in (None, 0):
                attention(
                    f"row{line.line_no}",
                    nz.label("rows"),
                    tr("row {n} «{name}» is not a catalog product").format(
                        n=line.line_no, name=line.product_name
                    ),
                    tr("pick the product from the catalog in the CRM invoice row"),
                    line.product_name,
                )
            elif (ref is None or ref not in self.snap.onec.products) and (
                suggested := self.products.same_name(line.product_crm_id)
            ):
                self.b.item(
                    Item(
                        key=f"F5:name:{line.product_crm_id}:{suggested}",
                        kind=ItemKind.ATTENTION,
                        flow=Flow.F5,
                        entity_type=PRODUCT,
                        record_id=str(line.product_crm_id),
                        record_label=line.product_name,
                        field=nz.label("name"),
                        message=tr(
                            "the CRM product is not linked to 1C; 1C has one product with "
                            "the same name"
                        ),
                        action=tr("confirm that they are the same product, and they are linked"),
                        onec_value=self.snap.onec.products[suggested].name,
                        crm_value=line.product_name,
                        blocks=(op_id,),
                    )
                )
            elif ref is None or ref not in self.snap.onec.products:
                attention(
                    f"product{line.product_crm_id}",
                    nz.label("rows"),
                    tr("row {n}: product «{name}» exists only in the CRM").format(
                        n=line.line_no, name=line.product_name
                    ),
                    tr(
                        "create it in 1C under the same name (1C is the master of products), or "
                        "give the 1C product and the CRM product the same name; then confirm "
                        "the link the next run proposes"
                    ),
                    line.product_name,
                )
            else:
                product_refs.append(ref)
                if self.snap.onec.products[ref].characteristics:
                    attention(
                        f"row{line.line_no}_characteristic",
                        tr("Characteristics"),
                        tr(
                            "row {n}: in 1C «{name}» is sold by characteristics ({names}); "
                            "the CRM row cannot say which"
                        ).format(
                            n=line.line_no,
                            name=line.product_name,
                            names=", ".join(self.snap.onec.products[ref].characteristics),
                        ),
                        tr(
                            "enter this order in 1C by hand with the characteristic, then "
                            "skip this item"
                        ),
                        line.product_name,
                    )
                link = self.products.match.pairs.get(ref)
                if link is not None and not link.known:
                    dep = self.products.ensure_in_crm(ref, label)
                    if dep:
                        deps.append(dep)
        onec_invoice = replace(
            inv,
            onec_ref=new_ref,
            counterparty_ref=counterparty_ref,
            contract_ref=contract_ref,
            lines=tuple(
                replace(ln, product_ref=r) for ln, r in zip(inv.lines, product_refs, strict=False)
            ),
            comment=tr("From Bitrix24 invoice {number} (id {id}); desktop-sync key {key}").format(
                number=inv.number, id=crm_id, key=key
            ),
        )
        self.b.op(
            Operation(
                op_id=op_id,
                flow=Flow.F1,
                kind=OpKind.CREATE,
                target=System.ONEC,
                entity_type=INVOICE,
                source_id=crm_id,
                target_id=new_ref,
                idempotency_key=key,
                reason=tr("{label}: new, will be created in 1C for {buyer}").format(
                    label=label, buyer=inv.counterparty_name or self._buyer(ci) or "—"
                ),
                record_label=label,
                changes=(FieldChange("total", nz.label("total"), None, inv.total),),
                payload={
                    "invoice": onec_invoice,
                    "crm_id": crm_id,
                    "crm_values": nz.invoice_values(inv, counterparty_ref or "", product_refs)
                    if len(product_refs) == len(inv.lines)
                    else {},
                },
                depends_on=tuple(dict.fromkeys(deps)),
            )
        )
        self.b.op(
            Operation(
                op_id=f"F1:number_back:{crm_id}",
                flow=Flow.F1,
                kind=OpKind.UPDATE,
                target=System.CRM,
                entity_type=INVOICE_BACK,
                source_id=new_ref,
                target_id=crm_id,
                idempotency_key="",
                reason=tr(
                    "{label}: the 1C number and date will be written to the CRM invoice"
                ).format(label=label),
                record_label=label,
                payload={"from_op": op_id, "crm_id": crm_id},
                depends_on=(op_id,),
            )
        )

    def diff_linked(self) -> None:
        """F2: after sending, 1C is the master of a linked invoice."""
        for link in self.links.of(INVOICE):
            if link.onec_ref is None or link.crm_id is None:
                continue
            inv = self.snap.onec.invoices.get(link.onec_ref)
            ci = self.snap.crm.invoices.get(int(link.crm_id))
            if inv is None or ci is None:
                continue
            label = _invoice_label(inv)
            if inv.deleted:
                self.b.item(
                    Item(
                        key=f"F2:deleted:{link.onec_ref}",
                        kind=ItemKind.CONFLICT,
                        flow=Flow.F2,
                        entity_type=INVOICE,
                        record_id=link.onec_ref,
                        record_label=label,
                        field=tr("deletion mark"),
                        message=tr("marked for deletion in 1C, still active in the CRM"),
                        action=tr("decline the invoice in the CRM, or clear the mark in 1C"),
                    )
                )
                continue
            onec_v = invoice_values_onec(inv)
            crm_v = self.crm_values(ci)
            if crm_v is None:
                continue
            lines = tuple(
                replace(
                    ln,
                    product_crm_id=_int_or_none(
                        self.products.match.pairs[ln.product_ref].crm_key
                        if ln.product_ref in self.products.match.pairs
                        else None
                    ),
                )
                for ln in inv.lines
            )
            _three_way(
                self.b,
                Flow.F2,
                INVOICE,
                link,
                onec_v,
                crm_v,
                label,
                master=System.ONEC,
                fields=("date", "counterparty", "rows", "total"),
                extra={"lines": lines},
            )

    def crm_values(self, ci: CrmInvoice) -> dict[str, Any] | None:
        """The CRM invoice in 1C terms (counterparty and products mapped by links)."""
        key = self._company_key(ci)
        cp_ref = self.cps.match.by_crm.get(key) if key else None
        refs = [
            self.products.onec_ref_of_crm(ln.product_crm_id) or f"crm:{ln.product_crm_id}"
            for ln in ci.invoice.lines
        ]
        return nz.invoice_values(ci.invoice, cp_ref or f"crm:{key}", refs)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def invoice_values_onec(inv: Invoice) -> dict[str, Any]:
    return nz.invoice_values(
        inv, inv.counterparty_ref or "", [ln.product_ref or "" for ln in inv.lines]
    )


# -- the plan -------------------------------------------------------------------------------


def customers_in_scope(snap: Snapshot) -> list[str]:
    """1C counterparties that customer documents refer to (customers only)."""
    refs: dict[str, None] = {}
    for inv in sorted(snap.onec.invoices.values(), key=lambda i: (i.date, i.number)):
        if inv.counterparty_ref and not inv.deleted:
            refs.setdefault(inv.counterparty_ref)
    for pay in sorted(snap.onec.payments.values(), key=lambda p: (p.date, p.number)):
        if pay.counterparty_ref and pay.is_effective and not pay.kind.is_refund:
            refs.setdefault(pay.counterparty_ref)
    for sh in sorted(snap.onec.shipments.values(), key=lambda s: (s.date, s.number)):
        if sh.counterparty_ref and not sh.deleted:
            refs.setdefault(sh.counterparty_ref)
    return [r for r in refs if r in snap.onec.counterparties]


def products_in_scope(snap: Snapshot) -> list[str]:
    refs: dict[str, None] = {}
    docs: list[Invoice] = sorted(snap.onec.invoices.values(), key=lambda i: (i.date, i.number))
    for doc in docs:
        for ln in doc.lines:
            if ln.product_ref:
                refs.setdefault(ln.product_ref)
    for sh in sorted(snap.onec.shipments.values(), key=lambda s: (s.date, s.number)):
        for ln in sh.lines:
            if ln.product_ref:
                refs.setdefault(ln.product_ref)
    return [r for r in refs if r in snap.onec.products]


def build_plan(snap: Snapshot, links: Links, settings: PlanSettings) -> Plan:
    """The whole plan for the chosen flows. Pure and deterministic."""
    b = _Builder(settings)
    flows = set(settings.flows)
    cps = _Counterparties(b, snap, links)
    products = _Products(b, snap, links)
    invoices = _Invoices(b, snap, links, cps, products)
    if Flow.F7 in flows:
        for ref in customers_in_scope(snap):
            doc = tr("a customer in 1C documents")
            cps.ensure_in_crm(ref, doc)
        cps.diff_linked()
    if Flow.F5 in flows:
        for ref in products_in_scope(snap):
            products.ensure_in_crm(ref, tr("sold to customers"))
        products.diff_linked()
    if Flow.F1 in flows:
        invoices.unreadable()
        invoices.send()
    if Flow.F2 in flows:
        invoices.diff_linked()
    if flows & {Flow.F3, Flow.F4}:
        _money(b, snap, links, settings, flows)
    if Flow.F6 in flows and settings.warehouses and settings.inventory_off:
        b.item(
            Item(
                key="F6:inventory_off",
                kind=ItemKind.ATTENTION,
                flow=Flow.F6,
                entity_type="warehouse",
                record_id="",
                record_label=tr("Bitrix24 settings"),
                field=tr("inventory management"),
                message=tr(
                    "store balances change only through store documents, and inventory "
                    "management is off in this Bitrix24, so stock is not sent"
                ),
                action=tr(
                    "switch on inventory management in Bitrix24 (CRM → Products and "
                    "warehouses → Inventory management), or remove the warehouse mapping"
                ),
            )
        )
    elif Flow.F6 in flows and settings.warehouses:
        _stock(b, snap, links, settings)
    if settings.missing_crm_fields:
        _block_custom_field_writes(b, settings)
    return b.build()


def _stock(b: _Builder, snap: Snapshot, links: Links, settings: PlanSettings) -> None:
    ops: list[Operation] = []
    items: list[Item] = []
    product_links = {
        link.onec_ref: int(link.crm_id)
        for link in links.of(PRODUCT)
        if link.onec_ref and link.crm_id and link.crm_id.isdigit()
    }
    pending: dict[str, str] = {}
    for op in b.ops.values():  # products this plan links or creates: their stock too
        if op.flow is Flow.F5 and op.entity_type == PRODUCT and op.source_id not in product_links:
            if op.kind is OpKind.LINK and op.target_id and op.target_id.isdigit():
                product_links[op.source_id] = int(op.target_id)
            elif op.kind is OpKind.CREATE:
                pending[op.source_id] = op.op_id  # fmt: skip
    plan_stock(
        ops=ops, items=items, profile_uuid=settings.profile_uuid,
        warehouses=snap.onec.warehouses, mapping=settings.warehouses, stock=snap.onec.stock,
        crm_stock=snap.crm.stock, products=snap.onec.products, product_links=product_links,
        key=b.key, pending=pending,
    )  # fmt: skip
    for op in ops:
        b.op(op)
    for item in items:
        b.item(item)


FIELD_WRITERS = (INVOICE_BACK, "invoice_payment", "invoice_shipment")


def _block_custom_field_writes(b: _Builder, settings: PlanSettings) -> None:
    """Without our custom fields the portal silently drops what we write into them."""
    blocked = tuple(op.op_id for op in b.ops.values() if op.entity_type in FIELD_WRITERS)
    if not blocked:
        return
    b.item(Item(
        key="F3:setup", kind=ItemKind.ATTENTION, flow=Flow.F3, entity_type="invoice",
        record_id="", record_label=tr("Bitrix24 settings"), field=tr("custom fields"),
        message=tr("the smart invoice lacks the fields desktop-sync writes to ({fields}), so "
                   "payments, shipments and 1C numbers cannot be shown there").format(
            fields=", ".join(settings.missing_crm_fields)),
        action=tr("ask the portal administrator to run: desktop-sync setup"),
        blocks=blocked,
    ))  # fmt: skip


def _money(b: _Builder, snap: Snapshot, links: Links, settings: PlanSettings,
           flows: set[Flow]) -> None:  # fmt: skip
    ops: list[Operation] = []
    items: list[Item] = []
    docs: dict[str, list[tuple[str, Any]]] = {}
    for sh in snap.onec.shipments.values():
        if sh.invoice_ref:
            docs.setdefault(sh.invoice_ref, []).append(("shipment", sh))
    for ret in snap.onec.returns.values():
        # A BP return names its shipment; the shipment names the invoice.
        shipment = snap.onec.shipments.get(ret.shipment_ref or "")
        invoice_ref = ret.invoice_ref or (shipment.invoice_ref if shipment else None)
        if invoice_ref:
            docs.setdefault(invoice_ref, []).append(("return", ret))
    plan_money(
        ops=ops, items=items, decisions=settings.decisions,
        invoice_links=links.of(INVOICE),
        note_links={link.onec_ref for link in links.of(PAYMENT_NOTE) if link.onec_ref},
        onec_invoices=snap.onec.invoices, payments=snap.onec.payments,
        shipments_by_invoice=docs, crm_invoices=snap.crm.invoices,
        settings=MoneySettings(settings.paid_stage, settings.partly_paid_stage,
                               settings.send_stage),
        flows=flows, key=b.key,
    )  # fmt: skip
    for op in ops:
        b.op(op)
    for item in items:
        b.item(item)
