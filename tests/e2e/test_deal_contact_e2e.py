"""A deal (or smart invoice) whose buyer is a contact and no company (a private
person), end to end on both configurations: the contact (name, phone, its requisite's
12-digit ИНН) becomes one 1C counterparty of kind «Физическое лицо» (UT 11: with its
private person partner), keyed by the contact's id, never found by name; the deal
becomes one 1C document for it; a second sync plans nothing; the same contact's next
deal reuses the counterparty."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.domain.entities import CounterpartyKind, Requisite
from desktop_sync.domain.requisites import make_inn
from desktop_sync.engine.ops import EntityType

from .conftest import World, set_profile
from .test_deals_e2e import SEND, deal_world, made_from
from .test_issued_invoices import crm_of

__all__ = ["deal_world"]  # the fixture, shared with the deals' own tests

INN = make_inn("7707083893")  # 12 digits: a private person's ИНН


def _crm(world: World) -> Bitrix24Client:
    return Bitrix24Client(world.crm.webhook, throttle=False)


def _contact(world: World) -> int:
    """Петров Иван Сергеевич, with a phone, an e-mail and a private person's requisite."""
    with _crm(world) as c:
        contact_id = int(
            c.companies.rest.call(
                "crm.contact.add",
                {"fields": {"LAST_NAME": "Петров", "NAME": "Иван", "SECOND_NAME": "Сергеевич",
                            "PHONE": [{"VALUE": "+7 900 123-45-67", "VALUE_TYPE": "WORK"}],
                            "EMAIL": [{"VALUE": "petrov@example.ru", "VALUE_TYPE": "WORK"}]}},
            ).result
        )  # fmt: skip
        c.companies.add_requisite(
            contact_id,
            Requisite(inn=INN),
            name="Петров Иван Сергеевич",
            kind=CounterpartyKind.PERSON,
            owner_type=3,
        )
    return contact_id


def _deal(world: World, contact_id: int, title: str) -> tuple[int, Any]:
    """A deal at «Согласовано» for the contact alone, with a sent invoice's rows."""
    with world.service() as svc:
        sent = sorted(int(lk.crm_id or 0) for lk in svc.links(EntityType.INVOICE))
    with _crm(world) as c:
        rows = next(i for i in map(c.invoices.get, sent) if len(i.invoice.lines) > 1)
        deal_id = c.deals.add_deal(
            {"TITLE": title, "CATEGORY_ID": 1, "STAGE_ID": "C1:NEW", "CONTACT_ID": contact_id}
        )
        c.deals.set_product_rows(deal_id, rows.invoice.lines)
        c.deals.update_deal(deal_id, {"STAGE_ID": SEND})
        return deal_id, c.deals.get(deal_id)


def _persons(world: World) -> list[Any]:
    with world.service() as svc:
        return [cp for cp in svc.onec.counterparties() if cp.inn == INN]


def test_a_contacts_deal_makes_one_private_person_counterparty_and_reuses_it(
    deal_world: World,
) -> None:
    world = deal_world
    world.sync()
    contact_id = _contact(world)
    deal_id, deal = _deal(world, contact_id, "Бумага для дома")
    assert deal.company_id is None and deal.contact_id == contact_id

    _summary, plan = world.sync()
    reasons = [op.reason for op in plan.operations]
    person = [r for r in reasons if "Петров Иван Сергеевич" in r and "Физическое лицо" in r]
    assert len(person) == 1, reasons
    head = f"Deal No. {deal_id} «Бумага для дома»: "
    sent = [r for r in reasons if r.startswith(head) and "will be created in 1C for" in r]
    assert sent and "in 1C for Петров Иван Сергеевич;" in sent[0], reasons
    docs = made_from(world, deal_id)
    assert len(docs) == 1
    made = _persons(world)
    assert len(made) == 1
    cp = made[0]
    assert cp.kind is CounterpartyKind.PERSON
    assert cp.name == "Петров Иван Сергеевич"
    assert cp.kpp == ""
    assert docs[0].counterparty_ref == cp.onec_ref  # not a company that has the contact's id
    assert docs[0].total == deal.opportunity

    again = world.sync()[1]
    assert again.operations == (), [op.reason for op in again.operations]

    second_id, _second = _deal(world, contact_id, "Тетради")
    _summary, plan = world.sync()
    assert not any("Физическое лицо" in op.reason for op in plan.operations)
    docs2 = made_from(world, second_id)
    assert len(docs2) == 1
    assert docs2[0].counterparty_ref == cp.onec_ref
    assert len(_persons(world)) == 1
    assert world.sync()[1].operations == ()


def test_an_invoice_issued_in_onec_to_that_person_reaches_the_crm_for_the_contact(
    deal_world: World,
) -> None:
    """F8 for the person desktop-sync made: the CRM invoice's buyer is the contact (not a
    company, not a new contact), and the next sync plans nothing."""
    world = deal_world
    world.sync()
    contact_id = _contact(world)
    deal_id, _deal_read = _deal(world, contact_id, "Бумага для дома")
    world.sync()
    like = copy.deepcopy(world.story.invoice(made_from(world, deal_id)[0].onec_ref or ""))
    for name in ("Ref_Key", "DataVersion", "Number", "Posted", "DeletionMark"):
        like.pop(name, None)
    like.update(Date=dt.datetime(2026, 3, 20, 11), Комментарий="")
    ref = str(world.onec.add(world.story.invoices, **like)["Ref_Key"])
    world.onec.post(world.story.invoices, ref)
    set_profile(world, ("onec.invoices_since", "2026-03-19"))

    world.sync()
    again = world.sync()[1]
    made = crm_of(world, ref)
    assert len(made) == 1
    assert made[0].contact_id == contact_id and made[0].company_id is None
    assert again.operations == (), [op.reason for op in again.operations]
    assert len(_persons(world)) == 1


def test_a_contact_whose_inn_1c_already_has_is_linked_not_created_again(
    deal_world: World,
) -> None:
    """A seeded private person (in 1C and, as a contact, in the CRM, with the same ИНН and
    no mark of ours): the deal uses the 1C counterparty; none is created."""
    world = deal_world
    world.sync()
    people = {cp.inn: cp for cp in _all_counterparties(world) if cp.inn and not cp.kpp}
    with _crm(world) as c:
        reqs = c.companies.requisite_rows(3)
    req = next(r for r in reqs if r.get("RQ_INN") in people)
    person = people[req["RQ_INN"]]
    before = len(_all_counterparties(world))
    deal_id, _d = _deal(world, int(req["ENTITY_ID"]), "Для дачи")
    _summary, plan = world.sync()
    again = world.sync()[1]
    assert not any("Физическое лицо" in op.reason for op in plan.operations)
    docs = made_from(world, deal_id)
    assert len(docs) == 1 and docs[0].counterparty_ref == person.onec_ref
    assert len(_all_counterparties(world)) == before
    assert again.operations == (), [op.reason for op in again.operations]


def _all_counterparties(world: World) -> list[Any]:
    with world.service() as svc:
        return svc.onec.counterparties()


def test_a_contacts_smart_invoice_and_deal_in_one_run_share_one_counterparty(
    deal_world: World,
) -> None:
    """A smart invoice and a deal of the same contact, sent in the same run: one private
    person counterparty for both (the plan makes it once)."""
    world = deal_world
    world.sync()
    contact_id = _contact(world)
    deal_id, deal = _deal(world, contact_id, "Бумага для дома")
    with _crm(world) as c:
        invoice_id = c.invoices.add_invoice(
            {"title": "Счёт частному лицу", "contactId": contact_id, "stageId": "DT31_1:S"},
            xml_id=f"test-person-{contact_id}",
        )
        c.invoices.set_product_rows(invoice_id, deal.invoice.lines)
    _summary, plan = world.sync()
    again = world.sync()[1]
    with world.service() as svc:
        sent = {int(lk.crm_id or 0): lk.onec_ref for lk in svc.links(EntityType.INVOICE)}
    assert sum("Физическое лицо" in op.reason for op in plan.operations) == 1
    made = _persons(world)
    assert len(made) == 1
    with world.service() as svc:
        doc = svc.onec.invoice(sent[invoice_id] or "")
    assert doc is not None and doc.counterparty_ref == made[0].onec_ref
    assert made_from(world, deal_id)[0].counterparty_ref == made[0].onec_ref
    assert again.operations == (), [op.reason for op in again.operations]
