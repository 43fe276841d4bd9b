"""A 1C private person whose CRM contact has no invoice or deal: the read looks the
contact up by the person's ИНН (``crm.requisite.list`` of contacts, ``@RQ_INN``), so the
person is linked to it instead of made a CRM company beside it (a duplicate
counterparty). Before, only contacts buying on a CRM invoice or deal were read.

The seeded world has such a person on both configurations: «Иванов Дмитрий Сергеевич»
(ИНН 503766444957), a customer of a 1C invoice, and CRM contact 2 with the same ИНН and
no invoice or deal of its own."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.companies import Companies
from desktop_sync.crm.types import CrmCompany
from desktop_sync.domain.entities import Counterparty, CounterpartyKind, Requisite
from desktop_sync.engine.ops import EntityType
from tests.cli.test_inbox_words import _inbox

from .conftest import World, set_profile
from .test_person_is_contact import (
    INN,
    companies_with_inn,
    invoice_for,
    person_links,
    seed_person,
)


def _crm(world: World) -> Bitrix24Client:
    return Bitrix24Client(world.crm.webhook, throttle=False)


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The ИНН each look-up of contacts asked the CRM for (the real one, over the wire)."""
    calls: list[list[str]] = []
    real = Companies.contacts_with_inn

    def spy(self: Companies, inns: Sequence[str], **how: Any) -> list[CrmCompany]:
        calls.append(list(inns))
        return real(self, inns, **how)

    monkeypatch.setattr(Companies, "contacts_with_inn", spy)
    return calls


def _crm_invoices_of(world: World, onec_ref: str) -> list[tuple[int | None, int | None]]:
    """(company, contact) of each CRM invoice linked to a 1C invoice of the person."""
    with world.service() as svc:
        refs = {
            int(lk.crm_id or 0): lk.onec_ref
            for lk in svc.links(EntityType.INVOICE)
            if lk.crm_id and lk.crm_id.isdigit()
        }
        mine = [
            cid
            for cid, ref in refs.items()
            if (doc := svc.onec.invoice(ref or "")) is not None and doc.counterparty_ref == onec_ref
        ]
    with _crm(world) as c:
        return [(inv.company_id, inv.contact_id) for inv in map(c.invoices.get, mine)]


def test_a_person_whose_contact_has_no_invoice_is_linked_to_it(
    world: World, asked: list[list[str]]
) -> None:
    onec_ref, contact_id = seed_person(world)
    with world.service() as svc:  # F8 from the person's 1C invoice's day
        day = min(i.date for i in svc.onec.invoices() if i.counterparty_ref == onec_ref)
    set_profile(world, ("onec.invoices_since", day.isoformat()[:10]))

    _summary, plan = world.sync()
    mine = [op.op_id for op in plan.operations if onec_ref in op.op_id and "F7" in op.op_id]
    assert mine == [f"F7:link:{onec_ref}"], [
        op.reason for op in plan.operations if onec_ref in op.op_id
    ]
    assert companies_with_inn(world) == []
    assert person_links(world, onec_ref) == [f"contact/{contact_id}"]
    issued = _crm_invoices_of(world, onec_ref)
    assert issued and all(i == (None, contact_id) for i in issued), issued

    assert len(asked) == 1 and INN in asked[0]  # one look-up, every person in it
    again = world.sync()[1]
    assert again.operations == (), [op.reason for op in again.operations]
    assert len(asked) == 1  # each linked now: not asked again


def test_a_person_without_a_contact_is_made_a_company_as_before(
    world: World, asked: list[list[str]]
) -> None:
    onec_ref, contact_id = seed_person(world)
    with _crm(world) as c:  # the contact's requisite holds another ИНН: no contact has it
        rid = next(
            int(r["ID"]) for r in c.companies.requisite_rows(3) if int(r["ENTITY_ID"]) == contact_id
        )
        c.companies.update_requisite(rid, {"RQ_INN": "500100732259"})

    world.sync()
    assert len(asked) == 1 and INN in asked[0]  # asked once, found nothing
    made = companies_with_inn(world)
    assert len(made) == 1
    assert person_links(world, onec_ref) != [f"contact/{contact_id}"]
    again = world.sync()[1]
    assert again.operations == (), [op.reason for op in again.operations]
    assert len(asked) == 1 and companies_with_inn(world) == made


def test_a_person_whose_inn_two_contacts_hold_waits_naming_both(world: World) -> None:
    """One of the two read with its own invoice, the other found by the person's ИНН:
    neither is linked by guess; the person's item and the invoice's name both contacts."""
    onec_ref, contact_id = seed_person(world)
    with _crm(world) as c:
        twin = c.companies.add_contact(
            _person("Иванов Дмитрий Сергеевич"), originator_id="", origin_id=""
        )
        c.companies.add_requisite(
            twin, Requisite(INN, "", "Иванов Дмитрий Сергеевич"), name="Иванов Дмитрий Сергеевич",
            kind=CounterpartyKind.PERSON, owner_type=3,
        )  # fmt: skip
    invoice_for(world, contact_id)

    _summary, plan = world.sync()
    ours = (onec_ref, f"contact/{contact_id}")
    assert [op.op_id for op in plan.operations if any(r in op.op_id for r in ours)] == []
    assert companies_with_inn(world) == []
    assert person_links(world, onec_ref) == []
    about = [i for i in plan.items if i.record_id in ours]
    assert len(about) == 2, [i.message for i in plan.items]  # the person's, the invoice's
    assert all(f"{contact_id}" in i.message and f"{twin}" in i.message for i in about)
    inbox = [i for i in _inbox_json(world) if i["flow"] == "F7" and INN in str(i["record"])]
    text = json.dumps(inbox, ensure_ascii=False)
    assert len(inbox) == 2 and "contact/" not in text, text
    assert "Иванов Дмитрий Сергеевич" in text, text
    # the list of contacts inside the message is said again whole in English
    english = json.loads(_inbox(world, "en", "--json"))["items"]
    mine = [i for i in english if i["flow"] == "F7" and INN in str(i["record"])]
    told = " ".join(str(i["message"]) for i in mine)
    assert len(mine) == 2 and "контакт" not in told, told
    assert told.count(f"(contact {twin}, INN {INN})") == 2, told


def _person(name: str) -> Counterparty:
    return Counterparty(name=name, kind=CounterpartyKind.PERSON)


def _inbox_json(world: World) -> list[dict[str, object]]:
    items: list[dict[str, object]] = json.loads(_inbox(world, "ru", "--json"))["items"]
    return items


def test_a_person_held_by_an_item_is_asked_once_until_a_full_read(
    world: World, asked: list[list[str]]
) -> None:
    """A person F7 cannot send (an ИНН whose check digits are wrong: an item waits) stays
    unlinked: asked about by the first run only, not by every run after it (an unchanged
    run stays at its requests), and again by a full read."""
    onec_ref, contact_id = seed_person(world)
    wrong = INN[:-1] + str((int(INN[-1]) + 1) % 10)
    world.onec.edit(world.story.counterparties, onec_ref, ИНН=wrong)

    _summary, plan = world.sync()
    assert [i for i in plan.items if i.record_id == onec_ref]  # held, named
    assert len(asked) == 1 and wrong in asked[0]
    world.sync()
    assert len(asked) == 1  # asked since the last full read: not again
    world.sync(full=True)
    assert len(asked) == 2 and wrong in asked[1]
    assert person_links(world, onec_ref) == [] and contact_id


def _contact_with_inn(world: World, name: str) -> int:
    """A new CRM contact whose requisite holds the person's ИНН (no invoice or deal)."""
    with _crm(world) as c:
        contact = c.companies.add_contact(_person(name), originator_id="", origin_id="")
        c.companies.add_requisite(
            contact, Requisite(INN, "", name), name=name, kind=CounterpartyKind.PERSON,
            owner_type=3,
        )  # fmt: skip
    return contact


def _take_inn_away(world: World, contact_id: int) -> None:
    with _crm(world) as c:
        rid = next(
            int(r["ID"]) for r in c.companies.requisite_rows(3) if int(r["ENTITY_ID"]) == contact_id
        )
        c.companies.update_requisite(rid, {"RQ_INN": ""})


def _held_naming(plan: Any, onec_ref: str) -> str:
    return " ".join(i.message for i in plan.items if i.record_id == onec_ref)


def test_window_plans_ask_once_and_a_contact_changed_since_is_seen_by_the_next_read(
    world: World, asked: list[list[str]]
) -> None:
    """Plans the window shows and never applies (``prepare``, no snapshot saved) ask about
    a person held by an item once, not on each refresh. A contact given the person's ИНН
    since, or whose ИНН is taken away, is seen by the next read (incremental), not only
    by the next full one: the read lists the contacts' requisites changed since."""
    onec_ref, contact_id = seed_person(world)
    wrong = INN[:-1] + str((int(INN[-1]) + 1) % 10)
    world.onec.edit(world.story.counterparties, onec_ref, ИНН=wrong)
    world.sync()  # the snapshot saved, the wrong ИНН asked about
    world.onec.edit(world.story.counterparties, onec_ref, ИНН=INN)
    twin = _contact_with_inn(world, "Иванов Дмитрий Сергеевич")
    assert len(asked) == 1

    with world.service() as svc:  # the window: one service, plans shown, none applied
        first = svc.prepare()[1]
        again = svc.prepare()[1]
        assert len(asked) == 2 and INN in asked[1], asked  # before: asked on each plan
        for plan in (first, again):  # the same plan: both contacts found, the person held
            held = _held_naming(plan, onec_ref)
            assert f"{contact_id}" in held and f"{twin}" in held, held
        third = _contact_with_inn(world, "Иванов Д. С.")
        later = svc.prepare()[1]
        assert len(asked) == 3, asked  # a contact's requisite added since: asked again
        assert f"{third}" in _held_naming(later, onec_ref)  # before: at the next full read

    _take_inn_away(world, twin)
    _take_inn_away(world, third)
    world.sync()  # incremental: the two contacts read again, one keeps the ИНН
    assert person_links(world, onec_ref) == [f"contact/{contact_id}"]
    assert companies_with_inn(world) == []


@pytest.fixture
def look_ups(world: World, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The CRM requests each persons' look-up made after the read (counted by the portal)."""
    from desktop_sync.engine.read_persons import add_person_contacts as real

    counts: list[int] = []

    def counted(*args: Any) -> int:
        before = world.crm.stats.requests
        try:
            return real(*args)
        finally:
            counts.append(world.crm.stats.requests - before)

    monkeypatch.setattr("desktop_sync.engine.service.add_person_contacts", counted)
    return counts


def test_a_full_read_finds_the_persons_contact_among_the_requisites_it_listed(
    world: World, look_ups: list[int]
) -> None:
    """A full read lists the contacts' requisites with the companies' (issue 18: the
    medium first full sync's CRM requests 83 -> 82): the person's ИНН is found among
    them, not asked about in a request of its own; only the contact found is read (one
    request; none when its invoice brought it). The person is linked to the contact,
    not made a company."""
    onec_ref, contact_id = seed_person(world)
    with world.service() as svc:  # F8 from the person's 1C invoice's day
        day = min(i.date for i in svc.onec.invoices() if i.counterparty_ref == onec_ref)
    set_profile(world, ("onec.invoices_since", day.isoformat()[:10]))

    world.sync()
    assert look_ups == [1]  # the contact found (before: 2, its ИНН asked first)
    assert person_links(world, onec_ref) == [f"contact/{contact_id}"]
    assert companies_with_inn(world) == []


def test_a_full_read_that_brought_the_persons_contact_asks_nothing_after_it(
    world: World, look_ups: list[int]
) -> None:
    """The contact buys on an invoice of its own: the read brought it, and the person's
    ИНН is found among the requisites it listed: the look-up makes no request (before:
    one, the ИНН asked about)."""
    onec_ref, contact_id = seed_person(world)
    invoice_for(world, contact_id)

    world.sync()
    assert look_ups == [0]
    assert person_links(world, onec_ref) == [f"contact/{contact_id}"]
    assert companies_with_inn(world) == []
