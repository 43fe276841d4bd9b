"""A 1C private person (a 12-digit ИНН, no КПП) who is a CRM contact with the same ИНН:
one plan links the two and makes no CRM company for the person (a counterparty is one
record on each side, matched by ИНН when it is the only one; domain.md). Before, F7
planned a new company from the 1C side and the person's link to the contact from the
CRM side in the same plan: an orphan company beside the contact.

The seeded world has such a person on both configurations: «Иванов Дмитрий Сергеевич»,
a customer of a 1C invoice, and CRM contact 2 with the same ИНН. The contact is read
when a CRM invoice of it (no company) is sent: a smart invoice at the send stage."""

from __future__ import annotations

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.engine.ops import EntityType

from .conftest import World

INN = "503766444957"


def _crm(world: World) -> Bitrix24Client:
    return Bitrix24Client(world.crm.webhook, throttle=False)


def seed_person(world: World) -> tuple[str, int]:
    """(1C ref, contact id) of the seeded person the 1C documents name as a customer."""
    with world.service() as svc:
        people = [cp for cp in svc.onec.counterparties() if cp.inn == INN]
    with _crm(world) as c:
        contacts = [
            int(r["ENTITY_ID"]) for r in c.companies.requisite_rows(3) if r.get("RQ_INN") == INN
        ]
    assert len(people) == 1 and not people[0].kpp and len(contacts) == 1, (people, contacts)
    return people[0].onec_ref or "", contacts[0]


def invoice_for(world: World, contact_id: int) -> int:
    """A smart invoice of the contact alone, at the send stage, with a seeded invoice's rows."""
    with _crm(world) as c:
        ids = c.invoices.invoice_ids()
        lines = next(i for i in map(c.invoices.get, ids) if i.invoice.lines).invoice.lines
        invoice_id = c.invoices.add_invoice(
            {"title": "Счёт частному лицу", "contactId": contact_id, "stageId": "DT31_1:S"},
            xml_id=f"test-person-{contact_id}",
        )
        c.invoices.set_product_rows(invoice_id, lines)
    return invoice_id


def companies_with_inn(world: World) -> list[int]:
    with _crm(world) as c:
        return [
            int(r["ENTITY_ID"]) for r in c.companies.requisite_rows(4) if r.get("RQ_INN") == INN
        ]


def person_links(world: World, onec_ref: str) -> list[str]:
    with world.service() as svc:
        links = svc.links(EntityType.COUNTERPARTY)
    return sorted(lk.crm_id or "" for lk in links if lk.onec_ref == onec_ref)


def test_a_1c_person_who_is_a_crm_contact_is_linked_not_made_a_company(world: World) -> None:
    onec_ref, contact_id = seed_person(world)
    invoice_for(world, contact_id)

    _summary, plan = world.sync()
    mine = [op for op in plan.operations if onec_ref in op.op_id]
    assert [op.op_id for op in mine] == [f"F7:link:{onec_ref}"], [op.reason for op in mine]
    assert companies_with_inn(world) == []
    assert person_links(world, onec_ref) == [f"contact/{contact_id}"]
    with world.service() as svc:
        sent = {int(lk.crm_id or 0): lk.onec_ref for lk in svc.links(EntityType.INVOICE)}
        docs = [svc.onec.invoice(ref or "") for ref in sent.values()]
    assert any(d is not None and d.counterparty_ref == onec_ref for d in docs)

    again = world.sync()[1]
    assert again.operations == (), [op.reason for op in again.operations]
    ours = {onec_ref, f"contact/{contact_id}"}
    assert [i.message for i in again.items if i.record_id in ours] == []
