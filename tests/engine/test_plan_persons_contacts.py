"""A 1C private person and a CRM contact (a buyer without a company) in one plan: one
CRM record per 1C counterparty, matched by ИНН when it is the only one (domain.md),
never by name; what cannot be decided is one item naming the record and the field.

The real wire is tests/e2e/test_person_is_contact.py; these are the planner's cases
around it (two 1C persons with one ИНН, a contact without an ИНН)."""

from __future__ import annotations

from dataclasses import replace

from desktop_sync.crm.types import CrmCompany
from desktop_sync.domain.entities import Counterparty, CounterpartyKind, Requisite
from desktop_sync.domain.requisites import make_inn
from desktop_sync.engine.model import Plan
from desktop_sync.engine.planner import Links, build_plan
from desktop_sync.engine.read_persons import persons_to_look_up
from desktop_sync.engine.snapshot import CrmData, OnecData
from desktop_sync.i18n import language, set_language
from desktop_sync.journal import LinkValues
from tests.engine.test_planner import (
    NOW,
    P1,
    PAPER,
    SETTINGS,
    _crm_invoice,
    onec_invoice,
    snapshot,
)

PERSON_INN = make_inn("7707083893")  # 12 digits
NAME = "Попов Сергей Петрович"
CONTACT_ID = 3
KEY = f"contact/{CONTACT_ID}"


def person(ref: str, inn: str = PERSON_INN, name: str = NAME) -> Counterparty:
    return Counterparty(name, CounterpartyKind.PERSON, inn=inn, onec_ref=ref)


def contact(inn: str = PERSON_INN, name: str = NAME) -> CrmCompany:
    reqs = (Requisite(inn, "", crm_id=30),) if inn else ()
    c = Counterparty(name, CounterpartyKind.PERSON, inn=inn, crm_id=CONTACT_ID, requisites=reqs)
    return CrmCompany(c, None, None, False, None, NOW, entity="contact")


def plan_of(people: dict[str, Counterparty], co: CrmCompany, links: Links | None = None) -> Plan:
    """Each 1C person a customer of a 1C invoice (F7's scope); the contact the buyer of
    a CRM invoice at the send stage (read, as the read does, for that invoice)."""
    invoices = {f"i-{ref}": onec_invoice(f"i-{ref}", ref) for ref in people}
    onec = OnecData(counterparties=people, invoices=invoices, products={P1: PAPER})
    ci = replace(_crm_invoice(), company_id=None, contact_id=CONTACT_ID)
    crm = CrmData(invoices={ci.invoice.crm_id or 0: ci}, contacts={CONTACT_ID: co})
    return build_plan(snapshot(onec, crm), links or Links(), SETTINGS)


def counterparty_ops(plan: Plan) -> list[str]:
    return sorted(op.op_id for op in plan.operations if op.entity_type == "counterparty")


def test_a_1c_person_who_is_a_contact_is_linked_to_it_and_made_no_company() -> None:
    plan = plan_of({"p1": person("p1")}, contact())
    assert counterparty_ops(plan) == ["F7:link:p1"]  # before: F7:create_crm:p1 as well
    link = next(op for op in plan.operations if op.op_id == "F7:link:p1")
    assert (link.source_id, link.target_id) == ("p1", KEY)
    assert "the same INN, the only one in 1C" in link.reason
    contract = next(op for op in plan.operations if op.op_id == "F7:contract:p1")
    assert contract.depends_on == ("F7:link:p1",)  # the CRM invoice's buyer is p1
    assert not [i for i in plan.items if i.record_id in {"p1", KEY}]


def test_a_person_linked_before_plans_nothing_again() -> None:
    links = Links({"counterparty": [LinkValues("counterparty", "p1", KEY, {}, {})]})
    plan = plan_of({"p1": person("p1")}, contact(), links)
    assert counterparty_ops(plan) == []


def test_two_1c_persons_with_the_contacts_inn_wait_for_a_person() -> None:
    """Neither is made a company nor taken for the contact; a new 1C counterparty is
    not made either: one item per record names the ИНН."""
    plan = plan_of({"p1": person("p1"), "p2": person("p2")}, contact())
    assert counterparty_ops(plan) == []  # what waits for a person is not planned
    blocked = {b for i in plan.items for b in i.blocks}
    assert {"F7:ambiguous:p1", "F7:ambiguous:p2", f"F7:create_onec:{KEY}"} <= blocked
    items = {i.record_id: i for i in plan.items if i.flow.value == "F7"}
    assert {"p1", "p2", KEY} <= set(items)
    assert PERSON_INN in items["p1"].message and NAME in items["p1"].message
    assert items[KEY].field in {"INN", "ИНН"}
    assert items[KEY].onec_value == "p1, p2"


def test_a_contact_without_an_inn_and_a_1c_namesake_with_one_wait_for_a_person() -> None:
    """Never matched by name: the 1C person's company and the contact's 1C counterparty
    wait, each named with the field to fill (the contact's ИНН)."""
    plan = plan_of({"p1": person("p1")}, contact(inn=""))
    assert counterparty_ops(plan) == []  # what waits for a person is not planned
    blocked = {b for i in plan.items for b in i.blocks}
    assert {"F7:ambiguous:p1", f"F7:create_onec:{KEY}"} <= blocked
    items = {i.record_id: i for i in plan.items}
    assert "no INN" in items["p1"].message and NAME in items["p1"].message
    assert f"{NAME} (INN {PERSON_INN})" in (items[KEY].onec_value or "")
    was = language()
    set_language("ru")
    try:
        ru = plan_of({"p1": person("p1")}, contact(inn=""))
    finally:
        set_language(was)
    words = {i.record_id: i for i in ru.items}
    assert "нет ИНН" in words["p1"].message
    assert "тем же именем" in words[KEY].message


def test_a_namesake_without_an_inn_on_either_side_is_left_as_before() -> None:
    """Nothing to fill in that would pair them: no question (F7 makes its company)."""
    plan = plan_of({"p1": person("p1", inn="")}, contact(inn=""))
    assert not [i for i in plan.items if i.record_id in {"p1", KEY}]
    assert "F7:create_crm:p1" in counterparty_ops(plan)


def test_two_contacts_with_the_persons_inn_wait_naming_both() -> None:
    """One read with its CRM invoice, one found by the person's ИНН (engine/read_persons):
    the person is linked to neither by guess (before: to the lowest id); its item and the
    invoice's name both contacts."""
    twin_id = 8
    twin = replace(contact(), counterparty=replace(contact().counterparty, crm_id=twin_id))
    invoices = {"i-p1": onec_invoice("i-p1", "p1")}
    onec = OnecData(counterparties={"p1": person("p1")}, invoices=invoices, products={P1: PAPER})
    ci = replace(_crm_invoice(), company_id=None, contact_id=CONTACT_ID)
    crm = CrmData(
        invoices={ci.invoice.crm_id or 0: ci}, contacts={CONTACT_ID: contact(), twin_id: twin}
    )
    plan = build_plan(snapshot(onec, crm), Links(), SETTINGS)
    assert counterparty_ops(plan) == []
    items = {i.record_id: i for i in plan.items if i.flow.value == "F7"}
    assert set(items) == {"p1", KEY}
    for item in items.values():
        assert f"contact {CONTACT_ID}," in item.message and f"contact {twin_id}," in item.message
    assert items["p1"].crm_value == f"{KEY}, contact/{twin_id}"  # words: engine/inbox_words
    assert not [op for op in plan.operations if op.entity_type == "invoice"]  # held with it


def test_persons_asked_about_are_the_unlinked_customers_no_company_holds() -> None:
    """engine/read_persons: a customer of a 1C document, kind «Физическое лицо», a 12-digit
    ИНН, no КПП, not marked for deletion, not linked, its ИНН on no CRM company read and
    not asked since the last full read."""
    inns = {n: make_inn(f"77070838{n:02d}") for n in range(8)}
    people = {
        "asked": person("asked", inns[0]),
        "linked": person("linked", inns[1]),
        "not a customer": person("not a customer", inns[2]),
        "branch": replace(person("branch", inns[3]), kpp="770701001"),
        "deleted": replace(person("deleted", inns[4]), deleted=True),
        "company": replace(
            person("company", make_inn("7707083893")[:10]), kind=CounterpartyKind.ORGANIZATION
        ),
        "held by a company": person("held by a company", inns[5]),
        "asked before": person("asked before", inns[6]),
        "contact read": person("contact read", PERSON_INN),
    }
    invoices = {f"i-{r}": onec_invoice(f"i-{r}", r) for r in people if r != "not a customer"}
    company = replace(contact(inns[5]), entity="company")
    crm = CrmData(
        companies={CONTACT_ID: company}, contacts={CONTACT_ID: contact()}, persons_asked=[inns[6]]
    )
    snap = snapshot(OnecData(counterparties=people, invoices=invoices), crm)
    assert persons_to_look_up(snap, {"linked"}) == sorted([inns[0], PERSON_INN])


def test_two_contacts_with_one_inn_and_no_1c_person_are_not_made_two() -> None:
    """Both buying on a CRM invoice, no 1C counterparty with their ИНН: one person is not
    made two 1C counterparties (before: F7:create_onec for each); each create waits,
    its item naming both contacts."""
    twin_id = 8
    twin = replace(contact(), counterparty=replace(contact().counterparty, crm_id=twin_id))
    ci = replace(_crm_invoice(), company_id=None, contact_id=CONTACT_ID)
    ci2 = replace(
        ci, invoice=replace(ci.invoice, crm_id=(ci.invoice.crm_id or 0) + 1), contact_id=twin_id
    )
    crm = CrmData(
        invoices={i.invoice.crm_id or 0: i for i in (ci, ci2)},
        contacts={CONTACT_ID: contact(), twin_id: twin},
    )
    plan = build_plan(snapshot(OnecData(products={P1: PAPER}), crm), Links(), SETTINGS)
    assert counterparty_ops(plan) == []
    blocked = {b for i in plan.items for b in i.blocks}
    assert {f"F7:create_onec:{KEY}", f"F7:create_onec:contact/{twin_id}"} <= blocked
    items = [i for i in plan.items if i.key.startswith("F7:person_inn:")]
    assert len(items) == 2
    assert all(
        f"contact {CONTACT_ID}," in i.message and f"contact {twin_id}," in i.message for i in items
    )
