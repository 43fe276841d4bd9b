"""The CRM contacts of 1C private persons that the read did not bring.

The CRM read brings only the contacts buying on an invoice or deal without a company
(``read._contacts_into``). A 1C private person (kind «Физическое лицо», a 12-digit ИНН,
no КПП) whose contact has neither would be made a CRM company beside the contact: a
duplicate counterparty. So, once both sides are read and before the plan, the contacts
holding the ИНН of such persons are looked up (``crm.requisite.list`` of contacts,
``@RQ_INN``: one request, one more for the contacts found) and join the read, where
``plan_persons.pair_person_links`` links each to its person.

Only persons the plan would send are asked about: customers of 1C documents (F7's
scope), not linked in the journal, whose ИНН no company read holds, not asked about
since the last full read (``CrmData.persons_asked``, kept with the snapshot: a person
held by an item stays unlinked, and was asked on every run). An unchanged run asks
nothing. A contact given such a person's ИНН later is found by the next full read (at
least daily), as a contact's own changes are.
"""

from __future__ import annotations

from collections.abc import Set

from desktop_sync.crm.port import CrmPort
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
    held.update(snap.crm.persons_asked)
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


def add_person_contacts(client: CrmPort, snap: Snapshot, links: Links) -> int:
    """The contacts holding the ИНН of the persons :func:`persons_to_look_up` names,
    added to ``snap.crm.contacts`` (the cache keeps them with the read); how many. A
    failure to ask is the read's: :class:`ConnectError`."""
    linked = {lk.onec_ref for lk in links.of(COUNTERPARTY) if lk.onec_ref and lk.crm_id}
    inns = persons_to_look_up(snap, linked)
    if not inns:
        return 0
    try:
        read = client.companies.contacts_with_inn(inns, besides=snap.crm.contacts.keys())
    except SYSTEM_ERRORS as exc:  # as the read's own failures: the system, in words
        raise ConnectError.of(exc) from None
    found = {co.counterparty.crm_id: co for co in read if co.counterparty.crm_id is not None}
    snap.crm.contacts.update(found)
    snap.crm.persons_asked = sorted({*snap.crm.persons_asked, *inns})
    return len(found)
