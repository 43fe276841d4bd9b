"""The CRM contacts of 1C private persons that the read did not bring.

The CRM read brings only the contacts buying on an invoice or deal without a company
(``read._contacts_into``). A 1C private person (kind «Физическое лицо», a 12-digit ИНН,
no КПП) whose contact has neither would be made a CRM company beside the contact: a
duplicate counterparty. So, once both sides are read and before the plan, the contacts
holding the ИНН of such persons are looked up (``crm.requisite.list`` of contacts,
``@RQ_INN``: one request, one more for the contacts found) and join the read, where
``plan_persons.pair_person_links`` links each to its person.

Only persons the plan would send are asked about: customers of 1C documents, not linked
in the journal, whose ИНН no company read holds, not asked about since the
last full read (``CrmData.persons_asked``, kept with the snapshot: a person held by an
item stays unlinked, and was asked on every run). An unchanged run asks nothing. A
contact given such a person's ИНН later is found by the next full read (at least daily),
as a contact's own changes are.
"""

from __future__ import annotations

from collections.abc import Set

from desktop_sync.crm.port import CrmPort
from desktop_sync.domain.entities import CounterpartyKind
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.facade import SYSTEM_ERRORS, ConnectError
from desktop_sync.engine.plan_base import COUNTERPARTY, Links
from desktop_sync.engine.snapshot import Snapshot


def customers(snap: Snapshot) -> set[str]:
    """The 1C counterparties customer documents name (``plan_scope.customers_in_scope``'s
    set, without its order)."""
    refs = {i.counterparty_ref for i in snap.onec.invoices.values() if not i.deleted}
    refs |= {
        p.counterparty_ref
        for p in snap.onec.payments.values()
        if p.is_effective and not p.kind.is_refund
    }
    refs |= {s.counterparty_ref for s in snap.onec.shipments.values() if not s.deleted}
    return {r for r in refs if r}


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
    people = customers(snap)
    out: set[str] = set()
    for ref in people:
        cp = snap.onec.counterparties.get(ref)
        if cp is None or ref in linked or cp.deleted or cp.kind is not CounterpartyKind.PERSON:
            continue
        inn = nz.text(cp.inn)
        if len(inn) == 12 and inn.isdigit() and not nz.text(cp.kpp) and inn not in held:
            out.add(inn)
    return sorted(out)


def add_person_contacts(client: CrmPort, snap: Snapshot, links: Links) -> int:
    """The contacts holding the ИНН of the persons :func:`persons_to_look_up` names,
    added to ``snap.crm.contacts`` (the cache keeps them with the read); how many. A
    failure to ask is the read's: :class:`ConnectError`."""
    linked = {lk.onec_ref for lk in links.of(COUNTERPARTY) if lk.onec_ref and lk.crm_id}
    inns = persons_to_look_up(snap, linked)
    if not inns:
        return 0
    try:
        read = client.companies.contacts_with_inn(inns)
    except SYSTEM_ERRORS as exc:  # as the read's own failures: the system, in words
        raise ConnectError.of(exc) from None
    found = {co.counterparty.crm_id: co for co in read if co.counterparty.crm_id is not None}
    snap.crm.contacts.update(found)
    snap.crm.persons_asked = sorted({*snap.crm.persons_asked, *inns})
    return len(found)
