"""ИНН/КПП collisions on the CRM side (issue 16 item 6): two CRM companies with the same
ИНН and КПП never become two 1C counterparties with identical requisites. One attention
item names both companies; nothing is created for either until a person decides."""

from __future__ import annotations

from collections import Counter

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.domain.entities import CounterpartyKind, Requisite
from desktop_sync.domain.requisites import make_inn
from desktop_sync.engine.model import Flow, ItemKind

from .conftest import World


def _company(c: Bitrix24Client, name: str, inn: str, kpp: str) -> int:
    """What a manager does: a company, then its requisite (no key of ours on either)."""
    company_id = int(c.call("crm.company.add", {"fields": {"TITLE": name}}).result)
    c.companies.add_requisite(
        company_id, Requisite(inn, kpp, name), name=name, kind=CounterpartyKind.ORGANIZATION
    )
    return company_id


def _onec_requisites(world: World) -> Counter[str]:
    with world.story.client() as c:
        return Counter(f"{cp.inn}/{cp.kpp}" for cp in c.counterparties() if cp.inn)


def test_two_crm_companies_with_the_same_inn_and_kpp_wait_naming_both(world: World) -> None:
    inn, kpp = make_inn("771512345"), "771501001"
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        first = _company(c, "ООО «Север»", inn, kpp)
        second = _company(c, "ООО «Север-Торг»", inn, kpp)
        drafts = [i for i in c.invoices.read() if i.stage_id == "DT31_1:N" and i.invoice.lines]
        assert len(drafts) >= 2
        invoices = []
        for inv, company_id in zip(drafts, (first, second), strict=False):
            crm_id = inv.invoice.crm_id or 0
            c.invoices.update_invoice(crm_id, {"companyId": company_id, "stageId": "DT31_1:S"})
            invoices.append(str(crm_id))
    with world.service() as svc:
        summary, plan = svc.run(flows=(Flow.F7, Flow.F5, Flow.F1))
    assert summary.counts["failed"] == 0, summary.failures
    (item,) = [i for i in plan.items if i.key == f"F7:same_requisites:{inn}/{kpp}"]
    assert item.kind is ItemKind.ATTENTION
    assert "«ООО «Север»»" in item.message and "«ООО «Север-Торг»»" in item.message
    assert inn in item.message and kpp in item.message
    assert f"id {first}" in item.record_label and f"id {second}" in item.record_label
    assert _onec_requisites(world)[f"{inn}/{kpp}"] == 0  # nothing created in 1C
    assert not [op for op in plan.operations if op.source_id in invoices]
    with world.service() as svc:  # the item stays, once, and still nothing is created
        _summary, again = svc.run(flows=(Flow.F7, Flow.F5, Flow.F1))
        open_items = [i for i in svc.journal.inbox() if i.dedup_key == item.key]
    assert len(open_items) == 1
    assert not [op for op in again.operations if op.source_id in invoices]
    assert _onec_requisites(world)[f"{inn}/{kpp}"] == 0


def test_a_crm_company_with_the_requisites_of_a_linked_one_is_not_created_in_1c(
    world: World,
) -> None:
    """The first company is in 1C already (linked); a second CRM company with its ИНН
    and КПП would make a second 1C counterparty with the same requisites."""
    with world.service() as svc:
        svc.run()
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        linked = next(
            co for co in c.companies.read() if co.origin_id and co.counterparty.requisites
        )
        rq = next(r for r in linked.counterparty.requisites if r.kpp)
        twin = _company(c, "ООО «Двойник»", rq.inn, rq.kpp or "")
        draft = next(i for i in c.invoices.read() if i.stage_id == "DT31_1:N" and i.invoice.lines)
        crm_id = draft.invoice.crm_id or 0
        c.invoices.update_invoice(crm_id, {"companyId": twin, "stageId": "DT31_1:S"})
    before = _onec_requisites(world)[f"{rq.inn}/{rq.kpp}"]
    with world.service() as svc:
        summary, plan = svc.run(flows=(Flow.F7, Flow.F5, Flow.F1))
    assert summary.counts["failed"] == 0, summary.failures
    (item,) = [i for i in plan.items if i.key == f"F7:same_requisites:{rq.inn}/{rq.kpp}"]
    assert "«ООО «Двойник»»" in item.message and f"id {linked.counterparty.crm_id}" in item.message
    assert _onec_requisites(world)[f"{rq.inn}/{rq.kpp}"] == before == 1
    assert not [op for op in plan.operations if op.source_id == str(crm_id)]
