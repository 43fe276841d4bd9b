"""The CRM contacts of 1C private persons that the read did not bring.

The CRM read brings only the contacts buying on an invoice or deal without a company
(``read._contacts_into``). A 1C private person (kind «Физическое лицо», a 12-digit ИНН,
no КПП) whose contact has neither would be made a CRM company beside the contact: a
duplicate counterparty. So, once both sides are read and before the plan, the contacts
holding the ИНН of such persons are looked up and join the read, where
``plan_persons.pair_person_links`` links each to its person. A full read listed every
contact's requisite with the companies' (``CrmData.contacts_listed``, in the read's own
batches): the ИНН are found among them, and one request reads the contacts found that
the read did not bring (none when there are none: issue 18, the medium first full sync
82 CRM requests, was 83). A read of what changed asks (``crm.requisite.list`` of
contacts, ``@RQ_INN``: one request, one more for the contacts found).

Only persons the plan would send are asked about: customers of 1C documents (F7's
scope), not linked in the journal, whose ИНН no company read holds, not asked about
since the last full read (``CrmData.persons_asked``, kept with the snapshot: a person
held by an item stays unlinked, and was asked on every run). An unchanged run asks
nothing. A plan the window shows and never applies saves no snapshot: what its look-up
asked and found is remembered for this session's next plans (by the CRM client), so a
window refreshed all day asks once too.

A contact given such a person's ИНН later, or whose ИНН is changed or taken away, is
seen by the next read all the same: an incremental read lists the contacts' requisites
changed or added since (``CrmData.contacts_touched``, in its first batch request: no
request of its own); a contact read before is read again, and the ИНН such a requisite
holds now is asked about again. A requisite or contact deleted is seen by the next full
read (at least daily), as a contact's other edits are.
"""

from __future__ import annotations

import weakref
from collections.abc import Set

from desktop_sync.crm.port import CrmPort
from desktop_sync.crm.types import CrmCompany
from desktop_sync.domain.entities import CounterpartyKind
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.facade import SYSTEM_ERRORS, ConnectError
from desktop_sync.engine.plan_base import COUNTERPARTY, Links
from desktop_sync.engine.plan_scope import customers_in_scope
from desktop_sync.engine.snapshot import Snapshot


def persons_to_look_up(snap: Snapshot, linked: Set[str]) -> list[str]:
    """The ИНН of the 1C private persons whose CRM contact may exist unread: customers,
    not ``linked``, not marked for deletion, no КПП, a 12-digit ИНН that no CRM company
    of the read holds (F7 matches the company) and that was not asked about since the
    last full read. A contact read already does not make the question moot: another
    contact may hold the same ИНН, and the person must not be linked to one by guess."""
    held = {
        nz.text(rq.inn) for co in snap.crm.companies.values() for rq in co.counterparty.requisites
    }
    held.update(set(snap.crm.persons_asked) - {inn for _c, inn in snap.crm.contacts_touched})
    persons = {
        ref: inn
        for ref, cp in snap.onec.counterparties.items()
        if cp.kind is CounterpartyKind.PERSON and not cp.deleted and ref not in linked
        if len(inn := nz.text(cp.inn)) == 12 and inn.isdigit() and inn not in held
        if not nz.text(cp.kpp)
    }
    if not persons:  # (the customers' scan only when someone may be asked about)
        return []
    return sorted({persons[ref] for ref in customers_in_scope(snap) if ref in persons})


class _Asked:
    """What this session's look-ups asked (ИНН) and found (contacts), since its last
    full read: the plans the window shows without applying them save no snapshot."""

    def __init__(self) -> None:
        self.inns: set[str] = set()
        self.contacts: dict[int, CrmCompany] = {}
        self.touches: set[tuple[int, str]] = set()  # the contacts' changes met already

    def since(self, snap: Snapshot) -> _Asked:
        """Forgotten by a full read; without what a contact's change touches, the first
        time a read meets it (each read lists the changes since the snapshot saved)."""
        if snap.full:
            self.inns.clear()
            self.contacts.clear()
            self.touches.clear()
        for contact_id, inn in snap.crm.contacts_touched:
            if (contact_id, inn) in self.touches:
                continue
            self.touches.add((contact_id, inn))
            self.inns.discard(inn)
            if (co := self.contacts.pop(contact_id, None)) is not None:
                self.inns.difference_update(rq.inn for rq in co.counterparty.requisites)
                self.inns.discard(co.counterparty.inn)
        return self


_ASKED: weakref.WeakKeyDictionary[CrmPort, _Asked] = weakref.WeakKeyDictionary()


def add_person_contacts(client: CrmPort, snap: Snapshot, links: Links) -> int:
    """The contacts holding the ИНН of the persons :func:`persons_to_look_up` names,
    added to ``snap.crm.contacts`` (the cache keeps them with the read); how many. The
    ИНН this session asked about already are not asked again: the contacts found then
    join the read. A failure to ask is the read's: :class:`ConnectError`."""
    asked = _ASKED.setdefault(client, _Asked()).since(snap)
    linked = {lk.onec_ref for lk in links.of(COUNTERPARTY) if lk.onec_ref and lk.crm_id}
    inns = persons_to_look_up(snap, linked)
    ask = [inn for inn in inns if inn not in asked.inns]
    found: dict[int, CrmCompany] = {}
    if ask:
        try:
            read = client.companies.contacts_with_inn(
                ask, besides=snap.crm.contacts.keys(), listed=snap.crm.contacts_listed
            )
        except SYSTEM_ERRORS as exc:  # as the read's own failures: the system, in words
            raise ConnectError.of(exc) from None
        found = {co.counterparty.crm_id: co for co in read if co.counterparty.crm_id is not None}
        asked.inns.update(ask)
        asked.contacts.update(found)
    if inns:
        again = {k: co for k, co in asked.contacts.items() if k not in snap.crm.contacts}
        snap.crm.contacts.update(again)
        snap.crm.persons_asked = sorted({*snap.crm.persons_asked, *inns})
    return len(found)
