"""Scenarios of issue 6, driven through the systems' own APIs as people drive them."""

from __future__ import annotations

import copy
import uuid
from decimal import Decimal

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.onec import OnecClient
from desktop_sync.domain.entities import CounterpartyKind, Requisite, make_line
from desktop_sync.domain.requisites import make_inn
from desktop_sync.domain.vat import VatRate
from desktop_sync.engine.model import Flow, ItemKind, OpKind
from desktop_sync.engine.planner import COUNTERPARTY, INVOICE, PRODUCT

from .conftest import World


def crm(world: World) -> Bitrix24Client:
    return Bitrix24Client(world.crm.webhook, throttle=False)


def onec(world: World) -> OnecClient:
    return world.story.client()


def test_manager_moves_an_invoice_to_the_send_stage(world: World) -> None:
    with world.service() as svc:
        svc.run()
        sent = {link.crm_id for link in svc.journal.links(INVOICE)}
    with crm(world) as c:
        waiting = [
            i
            for i in c.invoices.read()
            if i.stage_id == "DT31_1:N"
            and str(i.invoice.crm_id) not in sent
            and i.company_id
            and len(i.invoice.lines) > 0
        ]
        assert waiting
        target = waiting[0]
        c.invoices.update_invoice(target.invoice.crm_id or 0, {"stageId": "DT31_1:S"})
    with world.service() as svc:
        _summary, plan = svc.run(flows=(Flow.F7, Flow.F5, Flow.F1))
        created = [
            op
            for op in plan.operations
            if op.flow is Flow.F1
            and op.kind is OpKind.CREATE
            and op.source_id == str(target.invoice.crm_id)
        ]
        blocked = [i for i in plan.items if i.record_id == str(target.invoice.crm_id)]
        assert created or blocked  # sent, or waiting for a person with a reason
        if created:
            link = svc.journal.link(INVOICE, crm_id=str(target.invoice.crm_id))
            assert link is not None and link.onec_ref
            inv = svc.onec.invoice(link.onec_ref)
            assert inv is not None
            assert inv.total == target.invoice.total  # to the kopeck
            with crm(world) as c:
                assert c.invoices.get(target.invoice.crm_id or 0).fields.onec_number == inv.number


def _linked_counterparty(world: World) -> tuple[str, str]:
    with world.service() as svc:
        svc.run(flows=(Flow.F7,))
        links = svc.journal.links(COUNTERPARTY)
    link = next(lk for lk in links if lk.onec_ref and lk.crm_id and "/" in lk.crm_id)
    assert link.onec_ref and link.crm_id
    return link.onec_ref, link.crm_id


def test_company_renamed_in_crm_reaches_1c(world: World) -> None:
    ref, key = _linked_counterparty(world)
    new_name = "ООО «Новое имя» д'Арк"
    with crm(world) as c:
        c.companies.update_company(int(key.split("/")[0]), {"TITLE": new_name})
    with world.service() as svc:
        summary, plan = svc.run(flows=(Flow.F7,))
        assert [op.target.value for op in plan.operations] == ["onec"]
        assert summary.counts["failed"] == 0
        _s, again = svc.run(flows=(Flow.F7,))
    assert again.operations == ()
    with onec(world) as o:
        assert next(cp for cp in o.counterparties() if cp.onec_ref == ref).name == new_name


def test_same_field_changed_on_both_sides_is_a_conflict(world: World) -> None:
    ref, key = _linked_counterparty(world)
    world.onec.edit(world.story.counterparties, ref, Description="Имя из 1С")
    with crm(world) as c:
        c.companies.update_company(int(key.split("/")[0]), {"TITLE": "Имя из CRM"})
    with world.service() as svc:
        summary, plan = svc.run(flows=(Flow.F7,))
        assert plan.operations == ()
        (item,) = plan.conflicts
        assert (item.onec_value, item.crm_value) == ("Имя из 1С", "Имя из CRM")
        assert item.base_value and item.base_value not in ("Имя из 1С", "Имя из CRM")
        assert summary.counts["conflict"] == 1
        open_item = next(i for i in svc.journal.inbox() if i.kind == "conflict")
        svc.resolve(open_item.id, "take_crm", by="Бухгалтер")
        _s, plan2 = svc.run(flows=(Flow.F7,))
        assert [op.target.value for op in plan2.operations] == ["onec"]
        _s, plan3 = svc.run(flows=(Flow.F7,))
    assert plan3.is_empty()
    with onec(world) as o:
        assert next(cp for cp in o.counterparties() if cp.onec_ref == ref).name == "Имя из CRM"


def test_invalid_inn_waits_and_nothing_is_created(world: World) -> None:
    with world.service() as svc:
        _snap, plan = svc.prepare(flows=(Flow.F7,))
    create = next(op for op in plan.operations if op.kind is OpKind.CREATE)
    world.onec.edit(world.story.counterparties, create.source_id, ИНН="7707083894")
    with world.service() as svc:
        summary, plan = svc.run(flows=(Flow.F7,))
        (item,) = [i for i in plan.items if i.record_id == create.source_id]
        assert item.field == "INN" and item.kind is ItemKind.ATTENTION
        assert svc.journal.link(COUNTERPARTY, onec_ref=create.source_id) is None
        assert summary.outcome.value == "waiting"
        # A permanent problem waits; it does not fail later runs.
        again, _p = svc.run(flows=(Flow.F7,))
        assert again.counts["failed"] == 0 and again.outcome.value == "waiting"
    with crm(world) as c:
        assert all(co.origin_id != create.source_id for co in c.companies.read())


def _creates(world: World) -> list[str]:
    """1C counterparties the first F7 run would create in the CRM."""
    with world.service() as svc:
        _snap, plan = svc.prepare(flows=(Flow.F7,))
    return [op.source_id for op in plan.operations if op.kind is OpKind.CREATE]


def test_branch_is_a_separate_counterparty(world: World) -> None:
    head, branch = _creates(world)[:2]
    inn = world.onec.store.rows[world.story.counterparties][head]["ИНН"]
    kpp = world.onec.store.rows[world.story.counterparties][head]["КПП"]
    branch_kpp = kpp[:4] + "02" + kpp[6:]
    world.onec.edit(world.story.counterparties, branch, ИНН=inn, КПП=branch_kpp)
    with world.service() as svc:
        summary, _plan = svc.run(flows=(Flow.F7,))
        assert summary.counts["failed"] == 0
        head_link = svc.journal.link(COUNTERPARTY, onec_ref=head)
        branch_link = svc.journal.link(COUNTERPARTY, onec_ref=branch)
    assert head_link and branch_link
    assert head_link.crm_id != branch_link.crm_id  # never merged
    with crm(world) as c:
        pairs = {(rq.inn, rq.kpp) for co in c.companies.read() for rq in co.counterparty.requisites}
    assert (inn, kpp) in pairs and (inn, branch_kpp) in pairs


def test_duplicate_counterparty_in_1c_is_an_attention_item(world: World) -> None:
    with world.service() as svc:
        _snap, plan = svc.prepare(flows=(Flow.F7,))
    link_op = next(op for op in plan.operations if op.kind is OpKind.LINK)
    original = world.onec.store.rows[world.story.counterparties][link_op.source_id]
    twin = copy.deepcopy(original)
    twin.update({"Ref_Key": str(uuid.uuid4()), "Code": ""})
    for name in ("DataVersion", "Code"):
        twin.pop(name, None)
    world.onec.add(world.story.counterparties, **twin)
    with world.service() as svc:
        _summary, plan = svc.run(flows=(Flow.F7,))
    assert link_op.source_id in {i.record_id for i in plan.items}
    assert all(op.source_id != link_op.source_id for op in plan.operations)


TRICKY = "ООО «Д'Артаньян \"и\" O'Neill» & Ко 100%"


def test_quotes_and_apostrophes_survive(world: World) -> None:
    ref = _creates(world)[0]
    world.onec.edit(world.story.counterparties, ref, Description=TRICKY)
    with world.service() as svc:
        _summary, plan = svc.run(flows=(Flow.F7,))
        assert any(TRICKY in op.reason for op in plan.operations)
        _s, again = svc.run(flows=(Flow.F7,))
    assert again.operations == ()
    with crm(world) as c:
        (company,) = [co for co in c.companies.read() if co.origin_id == ref]
    assert company.counterparty.name == TRICKY


def test_product_deleted_in_1c_is_never_deleted_in_crm(world: World) -> None:
    with world.service() as svc:
        svc.run(flows=(Flow.F5,))
        link = next(lk for lk in svc.journal.links(PRODUCT) if lk.onec_ref and lk.crm_id)
    world.onec.mark_deleted(world.story.products, link.onec_ref or "")
    with world.service() as svc:
        summary, _plan = svc.run(flows=(Flow.F5,))
        assert summary.counts["failed"] == 0
    with crm(world) as c:
        assert int(link.crm_id or 0) in {p.product.crm_id for p in c.catalog.products()}


def test_crm_row_without_catalog_product_is_an_attention_item(world: World) -> None:
    with crm(world) as c:
        inv = next(i for i in c.invoices.read() if i.stage_id == "DT31_1:N" and i.company_id)
        free_row = make_line(
            1, "Доставка курьером «Быстро»", Decimal(1), Decimal("500"), VatRate.VAT22
        )
        c.invoices.set_product_rows(inv.invoice.crm_id or 0, [free_row])
        c.invoices.update_invoice(inv.invoice.crm_id or 0, {"stageId": "DT31_1:S"})
    with world.service() as svc:
        _summary, plan = svc.dry_run()
    (item,) = [i for i in plan.items if i.key.startswith(f"F1:row1:{inv.invoice.crm_id}")]
    assert "not a catalog product" in item.message and "Быстро" in item.message
    assert all(op.source_id != str(inv.invoice.crm_id) for op in plan.operations)


def test_invoice_names_one_of_several_requisites_of_its_company(world: World) -> None:
    """A company holds a second legal entity; the manager picks it on the invoice: 1C
    gets that counterparty (on UT under the partner of the company's other one) and
    the order is its. Without a choice the invoice waits for one."""
    ref, key = _linked_counterparty(world)
    company_id = int(key.split("/")[0])
    inn, kpp, name = make_inn("773412345"), "773401001", "ООО «Второе лицо»"
    with crm(world) as c:
        second = c.companies.add_requisite(
            company_id, Requisite(inn, kpp, name), name=name, kind=CounterpartyKind.ORGANIZATION
        )
        inv = next(i for i in c.invoices.read() if i.stage_id == "DT31_1:N" and i.invoice.lines)
        crm_id = inv.invoice.crm_id or 0
        c.invoices.update_invoice(crm_id, {"companyId": company_id, "stageId": "DT31_1:S"})
    with world.service() as svc:
        _summary, plan = svc.run(flows=(Flow.F7, Flow.F5, Flow.F1))
    (item,) = [i for i in plan.items if i.key == f"F1:no_company:{crm_id}"]
    assert "several requisites" in item.message
    with crm(world) as c:
        c.invoices.link_invoice_requisite(crm_id, second)
        c.invoices.update_invoice(
            crm_id, {"title": "Счёт с выбранным реквизитом"}
        )  # saved by the form
    with world.service() as svc:
        summary, plan = svc.run(flows=(Flow.F7, Flow.F5, Flow.F1))
        assert summary.counts["failed"] == 0, summary.failures
        link = svc.journal.link(INVOICE, crm_id=str(crm_id))
        cp_link = svc.journal.link(COUNTERPARTY, crm_id=f"{company_id}/{second}")
        assert link is not None and link.onec_ref and cp_link is not None and cp_link.onec_ref
        made = svc.onec.invoice(link.onec_ref)
    assert made is not None and made.counterparty_ref == cp_link.onec_ref
    new = world.story.row(world.story.counterparties, cp_link.onec_ref)
    assert (new["ИНН"], new["КПП"]) == (inn, kpp)
    if world.configuration == "ut11":  # one company, one partner
        old = world.story.row(world.story.counterparties, ref)
        assert new["Партнер_Key"] == old["Партнер_Key"]
