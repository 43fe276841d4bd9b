"""Contacts looked up by the ИНН of their requisites (``Companies.contacts_with_inn``):
the 1C private persons whose contact the read did not bring. Against the sandbox portal
over HTTP: ``crm.requisite.list`` filtered ``ENTITY_TYPE_ID`` 3 and ``@RQ_INN`` (a list),
then those contacts with all their requisites; few requests for any number of ИНН."""

from __future__ import annotations

import datetime as dt

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.domain.entities import Counterparty, CounterpartyKind, Requisite
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox
from tests.bitrix24.conftest import record_batches, within_input_vars

NOBODY = "770000000011"  # an ИНН no requisite holds


def _contact_inns(portal: Bitrix24Sandbox) -> dict[str, int]:
    """ИНН -> the contact holding it, of the seeded contacts' requisites."""
    return {
        str(r["RQ_INN"]): int(r["ENTITY_ID"])
        for r in portal.store.requisites.ordered()
        if int(r["ENTITY_TYPE_ID"]) == 3 and r.get("RQ_INN")
    }


def test_contacts_holding_the_inn_are_found_with_their_requisites(
    portal: Bitrix24Sandbox, client: Bitrix24Client
) -> None:
    inn, contact_id = next(iter(_contact_inns(portal).items()))
    company = next(int(r["ID"]) for r in portal.store.companies.ordered())
    client.companies.add_requisite(
        company, Requisite(inn, "", "ИП"), name="ИП", kind=CounterpartyKind.SOLE_TRADER
    )
    before = portal.stats.requests
    found = client.companies.contacts_with_inn([inn, NOBODY])
    assert portal.stats.requests - before == 2  # the requisites, then the contacts found
    assert [c.counterparty.crm_id for c in found] == [contact_id]  # not the company
    assert found[0].counterparty.inn == inn and found[0].counterparty.name
    assert found[0].entity == "contact"


def test_contacts_read_already_are_not_asked_again(
    portal: Bitrix24Sandbox, client: Bitrix24Client
) -> None:
    """A contact the read brought (its invoice's buyer) is not read again: one request."""
    inn, contact_id = next(iter(_contact_inns(portal).items()))
    before = portal.stats.requests
    assert client.companies.contacts_with_inn([inn], besides={contact_id}) == []
    assert portal.stats.requests - before == 1


def test_nothing_found_is_one_request(portal: Bitrix24Sandbox, client: Bitrix24Client) -> None:
    before = portal.stats.requests
    assert client.companies.contacts_with_inn([NOBODY]) == []
    assert portal.stats.requests - before == 1
    assert client.companies.contacts_with_inn([]) == []
    assert portal.stats.requests - before == 1  # none asked: no request


def test_many_inn_share_one_request(
    portal: Bitrix24Sandbox, client: Bitrix24Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More ИНН than a list filter takes (200 to a command, PHP keeps a command's first
    1,000 variables): their commands share the batch request."""
    known = _contact_inns(portal)
    inns = [f"77{n:010d}" for n in range(450)] + sorted(known)
    sent = record_batches(client, monkeypatch)
    found = client.companies.contacts_with_inn(inns)
    assert len(sent[0]) == 3 and all(within_input_vars(s) for s in sent)
    assert len(sent) == 2  # the requisites, then the contacts found
    assert sorted(c.counterparty.crm_id or 0 for c in found) == sorted(set(known.values()))


def test_the_portal_filters_requisites_by_a_list_of_inn(
    portal: Bitrix24Sandbox, client: Bitrix24Client
) -> None:
    """What the look-up relies on, asked as it asks: only requisites with one of the ИНН
    (a filter the portal ignored would answer every contact's requisite)."""
    inn = next(iter(_contact_inns(portal)))
    rows = client.call(
        "crm.requisite.list", {"filter": {"ENTITY_TYPE_ID": 3, "@RQ_INN": [inn, NOBODY]}}
    ).result
    assert rows and {r["RQ_INN"] for r in rows} == {inn}
    assert {r["ENTITY_TYPE_ID"] for r in rows} == {"3"}


def test_a_full_read_lists_the_contacts_requisites_apart_from_the_companies(
    portal: Bitrix24Sandbox, client: Bitrix24Client
) -> None:
    """A full read lists every requisite in one list (its pages known from its first):
    the contacts' come back as (contact, ИНН), never on a company of the same id."""
    contact = client.companies.add_contact(_person("Петров П. П."), originator_id="", origin_id="")
    client.companies.add_requisite(
        contact, Requisite(NOBODY, "", "Петров П. П."), name="Петров П. П.",
        kind=CounterpartyKind.PERSON, owner_type=3,
    )  # fmt: skip
    lists = client.read_lists()
    listed = set(lists.contact_requisites or [])
    assert {(c, inn) for inn, c in _contact_inns(portal).items()} | {(contact, NOBODY)} <= listed
    theirs: dict[int, set[int]] = {}
    for r in portal.store.requisites.ordered():
        if int(r["ENTITY_TYPE_ID"]) == 4:
            theirs.setdefault(int(r["ENTITY_ID"]), set()).add(int(r["ID"]))
    for co in lists.companies:
        cid = co.counterparty.crm_id or 0
        assert {rq.crm_id for rq in co.counterparty.requisites} == theirs.get(cid, set()), cid
    assert {c for c, _inn in listed} & {co.counterparty.crm_id for co in lists.companies}
    assert client.read_lists(dt.datetime.now(dt.UTC)).contact_requisites is None  # what changed


def test_contacts_found_among_those_a_full_read_listed_cost_one_request(
    portal: Bitrix24Sandbox, client: Bitrix24Client
) -> None:
    """With the read's list, the ИНН are not asked about: one request reads the contacts
    found (none when they were read already), a requisite of another ИНН is not taken."""
    inn, contact_id = next(iter(_contact_inns(portal).items()))
    listed = [(contact_id, inn), (contact_id + 1000, NOBODY)]
    before = portal.stats.requests
    found = client.companies.contacts_with_inn([inn], listed=listed)
    assert portal.stats.requests - before == 1
    assert [c.counterparty.crm_id for c in found] == [contact_id]
    assert client.companies.contacts_with_inn([inn], besides={contact_id}, listed=listed) == []
    assert client.companies.contacts_with_inn(["770000000022"], listed=listed) == []
    assert portal.stats.requests - before == 1


def _person(name: str) -> Counterparty:
    return Counterparty(name=name, kind=CounterpartyKind.PERSON)
