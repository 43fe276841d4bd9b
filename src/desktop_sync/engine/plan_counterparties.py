"""F7: counterparties both ways, matched by ИНН/КПП (never by name); a UT partner is
one CRM company with a requisite per counterparty."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from desktop_sync.crm.types import CrmCompany
from desktop_sync.domain.entities import (
    Contract,
    Counterparty,
    CounterpartyKind,
)
from desktop_sync.domain.requisites import RequisiteError, validate_inn, validate_kpp
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.evolve import constructor
from desktop_sync.engine.matcher import match_counterparties
from desktop_sync.engine.model import Flow, Head, OpKind, System, operation
from desktop_sync.engine.ops import ContractCreate, CounterpartyCreate, LinkOnly
from desktop_sync.engine.plan_base import (
    CONTRACT,
    COUNTERPARTY,
    Builder,
    InCrm,
    Links,
    evolve,
    field_changes,
    linked,
)
from desktop_sync.engine.plan_diff import three_way
from desktop_sync.engine.plan_persons import CONTACT, hold_f7, link_person
from desktop_sync.engine.snapshot import CrmRequisite, Snapshot, requisites_of
from desktop_sync.i18n import N_, tr


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


def crm_counterparty(co: CrmCompany, rq: CrmRequisite) -> Counterparty:
    """The CRM company seen through one of its requisites, as a counterparty.

    A company holding several requisites (a UT partner's legal entities, a head office
    and its branch) is several counterparties: each is named by its requisite, so
    renaming one never renames the others through the company's title.
    """
    name = rq.name if rq.shared and rq.name else co.counterparty.name
    return evolve(co.counterparty, name=name, inn=rq.inn, kpp=rq.kpp, requisites=())


def compared_fields(rq: CrmRequisite) -> tuple[str, ...]:
    """The fields a counterparty and its CRM requisite are kept equal in. A company of
    several legal entities has its own phone and e-mail (the partner's), not any one
    counterparty's: those are not compared."""
    return ("name", "inn", "kpp") if rq.shared else ("name", "phone", "email", "inn", "kpp")


def _requisite_extra(rq: CrmRequisite) -> dict[str, Any]:
    """Where a name change goes in the CRM: the requisite when the company is shared."""
    if not rq.shared or rq.requisite_id is None:
        return {}
    # an organisation's requisite has a KPP; a sole trader's has none
    return {"requisite_id": rq.requisite_id, "organisation": bool(rq.kpp)}


_LINK = Head(Flow.F7, OpKind.LINK, System.CRM, COUNTERPARTY)
_CREATE_CRM = Head(Flow.F7, OpKind.CREATE, System.CRM, COUNTERPARTY)
_CREATE_ONEC = Head(Flow.F7, OpKind.CREATE, System.ONEC, COUNTERPARTY)
_CONTRACT = Head(Flow.F7, OpKind.CREATE, System.ONEC, CONTRACT)

# made for each counterparty without a contract (15,000 in a plan of 100,000 records), as
# their classes make them, faster (``evolve.constructor``; issue 18)
_new_contract = constructor(Contract)
_contract_create = constructor(ContractCreate)

_RULES = {
    "origin": N_("created by desktop-sync earlier"),
    "inn_kpp": N_("same INN and KPP"),
    "inn": N_("same INN, the only one on both sides"),
}


class Counterparties(InCrm):
    def __init__(self, b: Builder, snap: Snapshot, links: Links) -> None:
        self.b = b
        self.snap = snap
        self.links = links
        self.requisites: dict[str, tuple[CrmRequisite, CrmCompany]] = {}
        self.by_requisites: dict[tuple[str, str], list[str]] = {}  # (ИНН, КПП) -> crm keys
        self.units: dict[int, tuple[CrmRequisite, ...]] = {}  # CRM company -> requisites_of
        for cid, co in snap.crm.companies.items():
            self.units[cid] = units = requisites_of(co)
            for rq in units:
                self.requisites[rq.key] = (rq, co)
                if rq.inn:
                    self.by_requisites.setdefault((rq.inn, rq.kpp), []).append(rq.key)
        super().__init__(
            match_counterparties(
                snap.onec.counterparties, snap.crm.companies, links.of(COUNTERPARTY), self.units
            )
        )
        self.joins: dict[int, list[str]] = {}  # CRM company -> ops adding a requisite to it
        self.onec_ready: dict[str, str] = {}  # crm key -> op id that makes it exist in 1C
        self._contracts: dict[str, tuple[str | None, str]] = {}  # 1C ref -> ensure_contract
        # (ИНН, КПП) -> the 1C counterparties not marked for deletion, made when first asked
        self._onec_requisites: dict[tuple[str, str], list[str]] | None = None
        self._contract_name = tr("Main contract")
        self._named = tr("{name} (INN {inn})")  # «ООО «Ромашка» (ИНН 7707083893)»
        self._contract_reason = tr(
            "{name}: has no contract with the buyer in 1C; one will be created"
        )

    def _label(self, cp: Counterparty) -> str:
        if not cp.name.strip():  # nothing to recognise it by but its requisites and ref
            return tr("counterparty without a name (INN {inn}, 1C ref {ref})").format(
                inn=cp.inn or "—", ref=cp.onec_ref or "—"
            )
        return self._named.format(name=cp.name, inn=cp.inn) if cp.inn else cp.name

    def link_op(self, onec_ref: str, crm_key: str, rule: str) -> str:
        if crm_key.startswith(CONTACT):  # a private person (plan_persons.pair_person_links)
            return link_person(self.b, self.snap, self.match, onec_ref, crm_key, rule)
        cp = self.snap.onec.counterparties[onec_ref]
        rq, co = self.requisites[crm_key]
        crm_cp = crm_counterparty(co, rq)
        onec_v, crm_v = nz.counterparty_values(cp), nz.counterparty_values(crm_cp)
        compared = compared_fields(rq)
        crm_v.update({f: v for f, v in onec_v.items() if f not in compared})
        rule_text = tr(_RULES[rule]) if rule in _RULES else rule
        label = self._label(cp)
        reason = tr("{name}: found in the CRM ({rule}); will be linked")
        return self.b.op(
            operation(
                f"F7:link:{onec_ref}",
                _LINK,
                (onec_ref, crm_key),
                label,
                reason.format(name=label, rule=rule_text),
                LinkOnly(onec_v, onec_v if crm_v == onec_v else crm_v),  # one dict if alike
                changes=field_changes(crm_v, onec_v),
            )
        )

    def read_in_onec(self, onec_ref: str) -> bool:
        return onec_ref in self.snap.onec.counterparties

    def create_in_crm(self, onec_ref: str, why: str) -> str:
        """A company with the counterparty's requisites (or its requisite added to its
        UT partner's company); waits for a person when the requisites do not fit."""
        if any(a.onec_ref == onec_ref for a in self.match.ambiguous):
            return self._ambiguous(onec_ref)
        cp = self.snap.onec.counterparties[onec_ref]
        problem = _requisite_problem(cp)
        op_id = f"F7:create_crm:{onec_ref}"
        company_id, company_of = self._partner_company(cp)
        if problem is not None:
            field_name, message = problem
            hold_f7(
                self.b,
                f"F7:requisite:{onec_ref}",
                (onec_ref, self._label(cp)),
                nz.label(field_name),
                message,
                tr("correct the counterparty in 1C; the next run sends it"),
                op_id,
                onec_value=getattr(cp, field_name),
            )
        key = self.b.key(Flow.F7, COUNTERPARTY, onec_ref)
        suggestion = self.match.name_suggestions.get(onec_ref)
        if suggestion:
            hold_f7(
                self.b,
                f"F7:name:{onec_ref}",
                (onec_ref, self._label(cp)),
                nz.label("name"),
                tr(
                    "a CRM company without requisites has the same name; "
                    "names are never matched automatically"
                ),
                tr(
                    "if it is the same company, add the INN/KPP to it in the CRM; "
                    "otherwise a new company will be created"
                ),
                op_id,
                crm_value=", ".join(suggestion),
            )
        payload = CounterpartyCreate(cp, nz.counterparty_values(cp))
        if company_id is not None:
            self.joins.setdefault(company_id, []).append(op_id)
        if company_id is not None or company_of is not None:
            reason = tr(
                "{name}: not in the CRM yet; its requisites will be added to the company of "
                "its partner in 1C ({why})"
            )
            payload = replace(payload, company_id=company_id, company_of=company_of)
        else:
            reason = tr(
                "{name}: not in the CRM yet; a company with requisites will be created ({why})"
            )
        self.b.op(
            operation(
                op_id,
                _CREATE_CRM,
                (onec_ref, None),
                self._label(cp),
                reason.format(name=self._label(cp), why=why),
                payload,
                key=key,
                changes=field_changes({}, nz.counterparty_values(cp)),
                depends_on=(company_of,) if company_of else (),
            )
        )
        return op_id

    def adds_requisite(self, company_id: int | None) -> bool:
        """Whether this plan adds a requisite to the CRM company (F7, before F1 runs)."""
        joins = self.joins.get(company_id or -1)
        return joins is not None and any(not self.b.is_blocked(op) for op in joins)

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
            if pair is not None and pair.crm_key[:1].isdigit():  # not a contact/<id>
                return int(pair.crm_key.split("/")[0]), None
            op_id = self.crm_ready.get(ref, "")
            if made is None and op_id.startswith("F7:create_crm:") and not self.b.is_blocked(op_id):
                made = op_id
        return None, made

    def _ambiguous(self, onec_ref: str) -> str:
        cp = self.snap.onec.counterparties[onec_ref]
        amb = next(a for a in self.match.ambiguous if a.onec_ref == onec_ref)
        blocked = f"F7:ambiguous:{onec_ref}"
        hold_f7(
            self.b,
            blocked,
            (onec_ref, self._label(cp)),
            nz.label(amb.field),
            amb.message,
            tr(
                "several records fit; link the right one by hand or correct the "
                "requisites, then run again"
            ),
            blocked,
            crm_value=", ".join(amb.crm_keys),
        )
        return blocked

    def ensure_in_onec(self, crm_key: str, why: str) -> tuple[str | None, str | None]:
        """(op id, 1C ref) after which the CRM counterparty exists in 1C."""
        onec_ref = self.match.by_crm.get(crm_key)
        if onec_ref is not None:
            return self.linked(onec_ref, crm_key, self.match.pairs[onec_ref]) or None, onec_ref
        rq, co = self.requisites[crm_key]
        cp = crm_counterparty(co, rq)
        label = self._label(cp)
        op_id = f"F7:create_onec:{crm_key}"
        key = self.b.key(Flow.F7, COUNTERPARTY, crm_key)
        new_ref = self.b.new_ref(key)
        if crm_key in self.onec_ready:
            return self.onec_ready[crm_key], new_ref
        if any(crm_key in a.crm_keys for a in self.match.ambiguous):
            hold_f7(
                self.b,
                f"F7:ambiguous_crm:{crm_key}",
                (crm_key, label),
                nz.label("inn"),
                tr("several 1C counterparties fit this company's requisites"),
                tr(
                    "leave one counterparty with these requisites in 1C, or mark the "
                    "others for deletion"
                ),
                op_id,
            )
        if rq.inn:
            self._same_requisites(crm_key, op_id)
        if not rq.inn:
            hold_f7(
                self.b,
                f"F7:no_requisite:{crm_key}",
                (crm_key, label),
                nz.label("inn"),
                tr(
                    "the CRM company has no requisites (INN), so it cannot be found "
                    "or created in 1C safely"
                ),
                tr("add a requisite with the INN (and KPP) to the company in the CRM"),
                op_id,
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
                hold_f7(
                    self.b,
                    f"F7:requisite_crm:{crm_key}",
                    (crm_key, label),
                    nz.label(problem[0]),
                    problem[1],
                    tr("correct the requisite in the CRM; the next run sends it"),
                    op_id,
                    crm_value=getattr(cp, problem[0]),
                )
        reason = tr("{name}: not in 1C yet; a counterparty will be created ({why})")
        self.b.op(
            operation(
                op_id,
                _CREATE_ONEC,
                (crm_key, new_ref),
                label,
                reason.format(name=label, why=why),
                CounterpartyCreate(cp, nz.counterparty_values(cp)),
                key=key,
                changes=field_changes({}, nz.counterparty_values(cp)),
            )
        )
        self.onec_ready[crm_key] = op_id
        return op_id, new_ref

    def _same_requisites(self, crm_key: str, op_id: str) -> None:
        """Two CRM companies (or requisites) with the same ИНН and КПП must not become two
        1C counterparties with identical requisites: one item names both, nothing is
        created for either until a person merges them or corrects one."""
        rq, _co = self.requisites[crm_key]
        others = [k for k in self.by_requisites.get((rq.inn, rq.kpp), []) if k != crm_key]
        in_onec = sorted(
            ref for ref in self._in_onec(rq.inn, rq.kpp) if self.match.pairs.get(ref) is not None
        )
        if not others and not in_onec:
            return
        keys = sorted({crm_key, *others}, key=_crm_key_order)
        names = [self._company_name(k) for k in keys]
        if others:
            message = tr(
                "{names}: the same INN {inn} and KPP {kpp} in the CRM; 1C would get two "
                "counterparties with identical requisites"
            ).format(names=", ".join(names), inn=rq.inn, kpp=rq.kpp or "—")
        else:
            message = tr(
                "{names}: 1C already has a counterparty with INN {inn} and KPP {kpp}, linked to "
                "another CRM company; 1C would get two with identical requisites"
            ).format(names=", ".join(names), inn=rq.inn, kpp=rq.kpp or "—")
        hold_f7(
            self.b,
            f"F7:same_requisites:{rq.inn}/{rq.kpp}",
            (", ".join(keys), " / ".join(names)),
            nz.label("inn"),
            message,
            tr(
                "merge the companies in the CRM, or correct the requisites of the one that "
                "is wrong; the next run links or creates it"
            ),
            op_id,
            onec_value=", ".join(in_onec) or None,
            crm_value=", ".join(names),
        )

    def _in_onec(self, inn: str, kpp: str) -> list[str]:
        """The 1C counterparties with these requisites, not marked for deletion (indexed
        when first asked: each company created in 1C asks)."""
        if self._onec_requisites is None:
            self._onec_requisites = {}
            for ref, cp in self.snap.onec.counterparties.items():
                if not cp.deleted:
                    requisites = (nz.text(cp.inn), nz.text(cp.kpp))
                    self._onec_requisites.setdefault(requisites, []).append(ref)
        return self._onec_requisites.get((inn, kpp), [])

    def _company_name(self, crm_key: str) -> str:
        rq, co = self.requisites[crm_key]
        name = crm_counterparty(co, rq).name or co.counterparty.name
        return f"«{name}» (id {crm_key.split('/')[0]})"

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
        """(op id, contract ref) for the counterparty's contract with the buyer; asked
        once a plan per counterparty (the first ``after`` and ``label`` are kept)."""
        found = self._contracts.get(onec_ref)
        if found is None:
            found = self._contracts[onec_ref] = self._contract(onec_ref, after, label)
        return found

    def _contract(self, onec_ref: str, after: str | None, label: str) -> tuple[str | None, str]:
        for c in self.snap.onec.contracts.get(onec_ref, ()):
            if c.kind == "СПокупателем" and c.onec_ref:
                return None, c.onec_ref
        key = self.b.key(Flow.F7, CONTRACT, onec_ref)
        ref = self.b.new_ref(key)
        contract = _new_contract(self._contract_name, onec_ref, "СПокупателем", ref)
        op_id = self.b.op(
            operation(
                f"F7:contract:{onec_ref}",
                _CONTRACT,
                (onec_ref, ref),
                label,
                self._contract_reason.format(name=label),
                _contract_create(contract),
                key=key,
                depends_on=(after,) if after else (),
            )
        )
        return op_id, ref

    def diff_linked(self) -> None:
        """F7 both ways for linked counterparties: a 3-way diff per field."""
        onec, crm = self.snap.onec.counterparties, self.requisites
        for link, _ref, cp, (rq, co) in linked(self.links, COUNTERPARTY, onec, crm.get):
            onec_v = nz.counterparty_values(cp)
            crm_v = nz.counterparty_values(crm_counterparty(co, rq))
            three_way(
                self.b,
                Flow.F7,
                COUNTERPARTY,
                link,
                onec_v,
                crm_v,
                self._label(cp),
                master=None,
                fields=compared_fields(rq),
                identity=("inn", "kpp"),
                extra=_requisite_extra(rq),
            )


def _crm_key_order(key: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in key.split("/"))
