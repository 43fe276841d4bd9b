"""A private person buying without a company (a deal or smart invoice whose buyer is a
contact): its 1C counterparty of kind «Физическое лицо» (BP 3.0
``ЮридическоеФизическоеЛицо``; UT 11 a private person partner and its counterparty).

Found by our key only, never by name: the journal's link (CRM key ``contact/<id>``),
the 1C counterparty F7 made from it earlier (the contact's origin mark), or created
under the key's reference (a repeat after a crash finds it there). Its ИНН (12
digits) goes with it when the contact's requisite has one. Each contact read is paired
with its 1C counterparty before F7 plans (``pair_person_links``), so a 1C private person
who is a CRM contact is linked to it, never made a CRM company too. Pure.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from desktop_sync.crm.types import CrmCompany, CrmInvoice
from desktop_sync.domain.entities import CounterpartyKind
from desktop_sync.domain.requisites import RequisiteError, validate_inn
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.matcher import ORIGINATOR, Ambiguity, MatchResult, Pair
from desktop_sync.engine.model import Flow, Head, OpKind, System, operation
from desktop_sync.engine.ops import CounterpartyCreate, LinkOnly
from desktop_sync.engine.plan_base import COUNTERPARTY, Builder, Links, field_changes
from desktop_sync.engine.snapshot import Snapshot
from desktop_sync.i18n import N_, tr

CONTACT = "contact/"
_ORIGIN = N_("created by desktop-sync earlier")
_INN = N_("the same INN, the only one in 1C")
_RULES = {"origin": _ORIGIN, "person_inn": _INN}
_NAMESAKE = N_(
    "the CRM contact {contact} has the same name and no INN; names are never matched automatically"
)
_SHARED = N_(
    "the INN {inn} of this private person is held by several CRM contacts: {contacts}; "
    "they are not matched by guess"
)
_TWO = N_(
    "several 1C counterparties have the INN {inn} of the CRM contact {contact}; "
    "they are not matched by guess"
)


def contact_key(contact_id: int) -> str:
    """The CRM key of a private person's counterparty link: ``contact/<id>``."""
    return f"{CONTACT}{contact_id}"


def person_key(
    snap: Snapshot, match: MatchResult, ci: CrmInvoice, onec_counterparty: str | None
) -> str | None:
    """The CRM key of a buyer that is a contact only (a private person), if it was read;
    for a sent document, only when its 1C counterparty is that person's."""
    if not ci.contact_id or ci.company_id or ci.contact_id not in snap.crm.contacts:
        return None
    key = contact_key(ci.contact_id)
    if onec_counterparty and match.by_crm.get(key) != onec_counterparty:
        return None
    return key


def hold_f7(
    b: Builder,
    key: str,
    record: tuple[str, str],
    field: str,
    message: str,
    action: str,
    op_id: str,
    **values: Any,
) -> None:
    """An F7 attention item on one counterparty (``record``: its id and label) that holds
    the operation ``op_id`` back; ``values``: its ``onec_value``, ``crm_value``."""
    record_id, label = record
    b.attention(
        Flow.F7,
        COUNTERPARTY,
        key,
        record_id=record_id,
        record_label=label,
        field=field,
        message=message,
        action=action,
        blocks=(op_id,),
        **values,
    )


def pair_person_links(match: MatchResult, snap: Snapshot, links: Links) -> None:
    """Private persons linked before are known pairs (F7 creates no CRM twin of them).

    Then, before F7 plans, each contact read is paired with its 1C counterparty found by
    our key (the contact's origin mark) or by its ИНН when exactly one 1C counterparty
    (no КПП, not marked for deletion, not paired yet) has it, as domain.md matches by
    ИНН: one plan never makes a CRM company of a 1C person who is a CRM contact. Two
    such 1C counterparties are a question for a person, never a guess."""
    for link in links.of(COUNTERPARTY):
        if (
            link.crm_id is not None
            and link.crm_id.startswith(CONTACT)
            and link.onec_ref in snap.onec.counterparties
        ):
            match.add(Pair(link.onec_ref, link.crm_id, "link", known=True))
    shared = shared_inns(snap)
    for contact_id, co in sorted(snap.crm.contacts.items()):
        key = contact_key(contact_id)
        if key in match.by_crm:
            continue
        origin = co.origin_id if co.originator_id == ORIGINATOR else None
        same = same_inn(snap, co.counterparty.inn)
        if origin and origin in snap.onec.counterparties and origin not in match.pairs:
            match.add(Pair(origin, key, "origin", known=False))
        elif co.counterparty.inn in shared:  # (each 1C ref once: the first contact's turn)
            if shared[co.counterparty.inn][0] == contact_id:
                _several_contacts(match, snap, shared[co.counterparty.inn], same)
        elif len(same) == 1 and same[0] not in match.pairs:
            match.add(Pair(same[0], key, "person_inn", known=False))
        elif len(same) > 1:
            message = tr(_TWO).format(inn=co.counterparty.inn, contact=person_label(co))
            for ref in same:
                match.ambiguous.append(Ambiguity(ref, (key,), tuple(same), "inn", message))
        elif not co.counterparty.inn:
            message = tr(_NAMESAKE).format(contact=person_label(co))
            for ref in namesakes(snap, match, co):
                match.ambiguous.append(Ambiguity(ref, (key,), (ref,), "inn", message))


def shared_inns(snap: Snapshot) -> dict[str, list[int]]:
    """ИНН held by more than one contact read -> those contacts (ascending)."""
    by_inn: dict[str, list[int]] = {}
    for contact_id, co in sorted(snap.crm.contacts.items()):
        if co.counterparty.inn:
            by_inn.setdefault(co.counterparty.inn, []).append(contact_id)
    return {inn: ids for inn, ids in by_inn.items() if len(ids) > 1}


def _several_contacts(
    match: MatchResult, snap: Snapshot, contact_ids: list[int], same: list[str]
) -> None:
    """Several contacts hold the ИНН of 1C counterparties ``same``: each of them not
    paired yet waits for a person, naming every contact; none is linked by guess."""
    contacts = [snap.crm.contacts[c] for c in contact_ids]
    keys = tuple(contact_key(c) for c in contact_ids)
    message = tr(_SHARED).format(
        inn=contacts[0].counterparty.inn, contacts=", ".join(map(person_label, contacts))
    )
    for ref in same:
        if ref not in match.pairs:
            match.ambiguous.append(Ambiguity(ref, keys, (ref,), "inn", message))


def namesakes(snap: Snapshot, match: MatchResult, co: CrmCompany) -> list[str]:
    """1C private persons with an ИНН (not paired, not marked for deletion) named as the
    contact. Only those: adding that ИНН to the contact is what pairs them (a namesake
    without one could never be paired, so asking would lead nowhere)."""
    name = nz.text(co.counterparty.name).casefold()
    return sorted(
        ref
        for ref, cp in snap.onec.counterparties.items()
        if name
        and ref not in match.pairs
        and not cp.deleted
        and cp.kind is CounterpartyKind.PERSON
        and nz.text(cp.inn)
        and nz.text(cp.name).casefold() == name
    )


def same_inn(snap: Snapshot, inn: str) -> list[str]:
    """1C counterparties (not marked for deletion, no КПП) with this ИНН."""
    if not inn:
        return []
    return sorted(
        ref
        for ref, cp in snap.onec.counterparties.items()
        if not cp.deleted and nz.text(cp.inn) == inn and not nz.text(cp.kpp)
    )


def link_person(
    b: Builder, snap: Snapshot, match: MatchResult, onec_ref: str, key: str, rule: str
) -> str:
    """The op linking a contact to its 1C counterparty found by ``rule`` (made once)."""
    op_id = f"F7:link:{onec_ref}"
    if op_id in b.ops:
        return op_id
    onec_v = nz.counterparty_values(snap.onec.counterparties[onec_ref])
    match.add(Pair(onec_ref, key, rule, known=False))
    label = person_label(snap.crm.contacts[int(key.removeprefix(CONTACT))])
    reason = tr("{name}: found in 1C ({rule}); will be linked")
    return b.op(
        operation(
            op_id,
            Head(Flow.F7, OpKind.LINK, System.CRM, COUNTERPARTY),
            (onec_ref, key),
            label,
            reason.format(name=label, rule=tr(_RULES.get(rule, _INN))),
            LinkOnly(onec_v, onec_v),
        )
    )


def person_label(co: CrmCompany) -> str:
    """«Иванов Пётр Сергеевич (контакт 7)», with the ИНН when it has one."""
    cp = co.counterparty
    name = cp.name or tr("contact without a name")
    if cp.inn:
        return tr("{name} (contact {id}, INN {inn})").format(name=name, id=cp.crm_id, inn=cp.inn)
    return tr("{name} (contact {id})").format(name=name, id=cp.crm_id)


class Persons:
    """The private persons of one plan: each made to exist in 1C once."""

    def __init__(self, b: Builder, snap: Snapshot, match: MatchResult) -> None:
        self.b = b
        self.snap = snap
        self.match = match
        self.ready: dict[str, tuple[str | None, str]] = {}  # crm key -> (op id, 1C ref)
        self._shared: dict[str, list[int]] | None = None  # shared_inns, when first asked

    def in_onec(self, contact_id: int, why: str) -> tuple[str | None, str | None]:
        """(op id, 1C ref) after which the contact's counterparty exists in 1C; (None,
        None) when the contact was not read."""
        key = contact_key(contact_id)
        ref = self.match.by_crm.get(key)
        if ref is not None:
            pair = self.match.pairs[ref]
            if pair.known or pair.crm_key != key:
                return None, ref
            return link_person(self.b, self.snap, self.match, ref, key, pair.rule), ref
        if key in self.ready:
            return self.ready[key]
        co = self.snap.crm.contacts.get(contact_id)
        if co is None:
            return None, None
        label = person_label(co)
        shared = [a for a in self.match.ambiguous if key in a.crm_keys and len(a.crm_keys) > 1]
        if shared and shared[0].onec_ref is not None:  # (pair_person_links: its ИНН)
            self.ready[key] = (self._several(key, label, shared[0]), shared[0].onec_ref)
            return self.ready[key]
        origin = co.origin_id if co.originator_id == ORIGINATOR else None
        if origin and origin in self.match.pairs:  # linked by F7 already: used as it is
            self.ready[key] = (None, origin)
            return self.ready[key]
        if origin and origin in self.snap.onec.counterparties:
            self.ready[key] = (self._link(key, origin, "origin"), origin)
            return self.ready[key]
        same = same_inn(self.snap, co.counterparty.inn)
        if len(same) == 1:  # the person is in 1C already (the same ИНН, no КПП)
            ref = same[0]
            op = None if ref in self.match.pairs else self._link(key, ref, "person_inn")
            self.ready[key] = (op, ref)
            return self.ready[key]
        idem = self.b.key(Flow.F7, COUNTERPARTY, key)
        new_ref = self.b.new_ref(idem)
        cp = replace(
            co.counterparty,
            kind=CounterpartyKind.PERSON,
            kpp="",
            onec_ref=new_ref,
            crm_id=None,
            requisites=(),
            full_name=co.counterparty.full_name or co.counterparty.name,
        )
        op_id = f"F7:create_onec:{key}"
        self._check(key, co, label, op_id)
        self._doubts(key, co, label, op_id, same)
        values = nz.counterparty_values(cp)
        reason = tr(
            "{name}: a private person, not in 1C yet; a counterparty «Физическое лицо» will "
            "be created ({why})"
        )
        self.b.op(
            operation(
                op_id,
                Head(Flow.F7, OpKind.CREATE, System.ONEC, COUNTERPARTY),
                (key, new_ref),
                label,
                reason.format(name=label, why=why),
                CounterpartyCreate(cp, values),
                key=idem,
                changes=field_changes({}, values),
            )
        )
        self.ready[key] = (op_id, new_ref)
        return self.ready[key]

    def _doubts(self, key: str, co: CrmCompany, label: str, op_id: str, same: list[str]) -> None:
        """Several 1C counterparties with the contact's ИНН, (the contact has none) a 1C
        private person of the same name, or other contacts with its ИНН (none in 1C): a
        person decides, the create waits."""
        inn = co.counterparty.inn
        if len(same) > 1:
            message = tr("several 1C counterparties have this INN; they are not matched by guess")
            action = tr(
                "leave one counterparty with this INN in 1C (mark the others for deletion); "
                "the next run links the contact to it"
            )
            found = ", ".join(same)
        elif not inn and (refs := namesakes(self.snap, self.match, co)):
            message = tr(
                "a 1C private person has the same name; names are never matched automatically"
            )
            action = tr(
                "if it is the same person, add the INN to the contact's requisite in the CRM; "
                "otherwise skip this item and a new counterparty will be created"
            )
            found = ", ".join(self._named(ref) for ref in refs)
        elif inn and (twins := self._twins(inn)):  # one person, not two 1C counterparties
            message = tr(
                "several CRM contacts have this INN: {contacts}; one person is not made two "
                "1C counterparties"
            ).format(contacts=", ".join(map(person_label, twins)))
            action = tr(
                "leave the INN on one contact in the CRM (or merge the contacts); the next "
                "run sends it"
            )
            found = None
        else:
            return
        hold_f7(
            self.b,
            f"F7:person_inn:{key}",
            (key, label),
            nz.label("inn"),
            message,
            action,
            op_id,
            crm_value=inn or None,
            onec_value=found,
        )

    def _twins(self, inn: str) -> list[CrmCompany]:
        """The contacts read that hold this ИНН, when more than one does."""
        if self._shared is None:
            self._shared = shared_inns(self.snap)
        return [self.snap.crm.contacts[c] for c in self._shared.get(inn, ())]

    def _named(self, ref: str) -> str:
        cp = self.snap.onec.counterparties[ref]
        return tr("{name} (INN {inn})").format(name=cp.name, inn=cp.inn) if cp.inn else cp.name

    def _check(self, key: str, co: CrmCompany, label: str, op_id: str) -> None:
        """A name and, when given, a valid 12-digit ИНН; else named, nothing created."""
        cp = co.counterparty
        problem: tuple[str, str] | None = None
        if not cp.name.strip():
            problem = "name", tr("the contact has no name")
        elif cp.inn:
            try:
                validate_inn(cp.inn)
                if len(cp.inn) != 12:
                    problem = "inn", tr("a private person's INN has 12 digits")
            except RequisiteError as exc:
                problem = "inn", str(exc)
        if problem is None:
            return
        field, message = problem
        action = tr("correct the contact in the CRM; the next run sends it")
        item, value = f"F7:person:{key}", getattr(cp, field)
        hold_f7(
            self.b, item, (key, label), nz.label(field), message, action, op_id, crm_value=value
        )

    def _several(self, key: str, label: str, amb: Ambiguity) -> str:
        """The contact's 1C person whose ИНН other contacts hold too: held, named."""
        held = f"F7:ambiguous:{key}"
        action = tr(
            "leave the INN on one contact in the CRM (or merge the contacts); the next run "
            "links the person to it"
        )
        hold_f7(self.b, held, (key, label), nz.label("inn"), amb.message, action, held)
        return held

    def _link(self, key: str, onec_ref: str, rule: str) -> str:
        """The contact's 1C counterparty found (``rule``): linked, not created again."""
        return link_person(self.b, self.snap, self.match, onec_ref, key, rule)
