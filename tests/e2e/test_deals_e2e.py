"""F9 end to end, on both configurations: a deal moved to its pipeline's "send" stage
becomes one 1C invoice (BP) or customer order (UT) with equal rows and totals; its
payment in 1C marks the deal paid (fields, stage and a note on its timeline); a deal
with a smart invoice of its own makes one 1C document, not two; a second sync plans
nothing."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop_sync.config import ProfileStore
from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.engine.model import Flow
from desktop_sync.engine.ops import EntityType

from .conftest import World, make_world

SEND, PAID = "C1:UC_AGREED", "C1:UC_PAID"


@pytest.fixture
def deal_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configuration: str
) -> Iterator[World]:
    gen = make_world(tmp_path, monkeypatch, configuration=configuration)
    world = next(gen)
    profile = world.profile.with_setting("deal.1.send", SEND).with_setting("deal.1.paid", PAID)
    world.profile = ProfileStore(world.paths.profiles_file).put(profile)
    with world.service() as svc:  # deals' fields: setup made them with the invoice's
        assert svc.crm.deals.missing_custom_fields() == []
    yield world
    gen.close()


def _crm(world: World) -> Bitrix24Client:
    return Bitrix24Client(world.crm.webhook, throttle=False)


def _deal_links(world: World) -> dict[int, str]:
    with world.service() as svc:
        return {int(lk.crm_id or 0): lk.onec_ref or "" for lk in svc.links(EntityType.DEAL)}


def _new_deal(world: World, title: str = "Поставка бумаги") -> tuple[int, Any]:
    """After a first sync: a deal at «Согласовано» with the buyer and rows of a smart
    invoice that sync sent to 1C (so its company and products are known to 1C)."""
    with world.service() as svc:
        summary, _plan = svc.run()
        assert summary.counts.get("failed", 0) == 0, summary.failures
    return deal_like_sent_invoice(world, title)


def deal_like_sent_invoice(world: World, title: str, nth: int = 0) -> tuple[int, Any]:
    """A new deal at «Согласовано» with the buyer and rows of the ``nth`` smart invoice
    (with a company and several rows) that a sync sent to 1C."""
    with world.service() as svc:
        sent = sorted(int(lk.crm_id or 0) for lk in svc.links(EntityType.INVOICE))
    with _crm(world) as c:
        fit = [i for i in map(c.invoices.get, sent) if i.company_id and len(i.invoice.lines) > 1]
        invoice = fit[nth]
        deal_id = c.deals.add_deal(
            {
                "TITLE": title,
                "CATEGORY_ID": 1,
                "STAGE_ID": "C1:NEW",
                "COMPANY_ID": invoice.company_id,
            }
        )
        c.deals.set_product_rows(deal_id, invoice.invoice.lines)
        c.deals.update_deal(deal_id, {"STAGE_ID": SEND})
        return deal_id, c.deals.get(deal_id)


def made_from(world: World, deal_id: int) -> list[Any]:
    """The 1C documents whose comment names this deal."""
    with world.service() as svc:
        mark = f"deal No. {deal_id} «"
        return [
            i for i in svc.onec.invoices() if mark in i.comment or f"№ {deal_id} «" in i.comment
        ]


def test_deal_becomes_one_onec_document_and_its_payment_marks_it_paid(deal_world: World) -> None:
    world = deal_world
    deal_id, deal = _new_deal(world)
    with world.service() as svc:
        summary, plan = svc.run()
    assert summary.counts.get("failed", 0) == 0, summary.failures
    reasons = [op.reason for op in plan.operations if op.entity_type == EntityType.DEAL]
    assert any(r.startswith(f"Deal No. {deal_id} «Поставка бумаги»: ") for r in reasons), reasons
    links = _deal_links(world)
    assert deal_id in links
    with world.service() as svc:
        doc = svc.onec.invoice(links[deal_id])
    assert doc is not None
    assert len(made_from(world, deal_id)) == 1
    assert doc.total == deal.opportunity
    assert len(doc.lines) == len(deal.invoice.lines)
    assert [ln.quantity for ln in doc.lines] == [ln.quantity for ln in deal.invoice.lines]
    with _crm(world) as c:
        back = c.deals.get(deal_id)
    assert back.fields.onec_number == doc.number
    assert back.fields.onec_date == doc.date
    assert back.fields.outstanding == doc.total

    world.story.payment([(links[deal_id], doc.total)], "701", 17)
    with world.service() as svc:
        summary, _plan = svc.run(flows=(Flow.F3,))
        assert summary.counts.get("failed", 0) == 0, summary.failures
        _s, again = svc.run()
    with _crm(world) as c:
        paid = c.deals.get(deal_id)
        notes = [t for t in c.timeline.comment_texts(deal_id, deal=True) if "701" in t]
    assert paid.fields.paid == doc.total
    assert paid.fields.outstanding == Decimal("0.00")
    assert paid.stage_id == PAID
    # the payment noted on the deal's timeline as on a smart invoice's, once
    assert len(notes) == 1 and notes[0].startswith("1C: payment") and "[desktop-sync:" in notes[0]
    assert again.operations == ()
    assert len(made_from(world, deal_id)) == 1


def test_deal_with_its_own_smart_invoice_is_sent_once(deal_world: World) -> None:
    world = deal_world
    deal_id, deal = _new_deal(world, "Канцтовары")
    with _crm(world) as c:
        invoice_id = c.invoices.add_invoice(
            {"title": "Счёт по сделке", "companyId": deal.company_id, "parentId2": deal_id,
             "stageId": "DT31_1:S"},
            xml_id=f"test-{deal_id}",
        )  # fmt: skip
        c.invoices.set_product_rows(invoice_id, deal.invoice.lines)
    with world.service() as svc:
        summary, _plan = svc.run()
        assert summary.counts.get("failed", 0) == 0, summary.failures
        invoices = {int(lk.crm_id or 0) for lk in svc.links(EntityType.INVOICE)}
    assert invoice_id in invoices  # the smart invoice carries the sale (the default)
    assert deal_id not in _deal_links(world)
    assert made_from(world, deal_id) == []

    # the other way round: the deal carries the sale; its invoice is not sent
    profile = world.profile.with_setting("deal.carrier", "deal")
    world.profile = ProfileStore(world.paths.profiles_file).put(profile)
    with world.service() as svc:
        _s, plan = svc.run()
    assert plan.operations == ()  # the invoice went first: the deal stays linked to it


def test_the_window_shows_deals_beside_smart_invoices(deal_world: World) -> None:
    from desktop_sync.gui.models.side_by_side import RowFilter
    from desktop_sync.i18n import tr
    from desktop_sync.readmodel import DEAL, INVOICE, build_views

    world = deal_world
    deal_id, _deal = _new_deal(world)
    with world.service() as svc:
        svc.run()
        snap, plan = svc.prepare()
        links = {t: svc.links(t) for t in (INVOICE, DEAL)}
    views = build_views(snap, links, plan)
    rows = views.invoices.rows
    deal_rows = [r for r in rows if r.crm is not None and r.crm["record"] == tr("Deal")]
    sent = next(r for r in deal_rows if r.crm_id == str(deal_id))
    assert sent.onec is not None and sent.onec["total"] == sent.crm["total"]
    assert str(sent.crm["number"]).endswith("«Поставка бумаги»")
    assert {r.crm_id for r in deal_rows} >= {str(d) for d in snap.crm.deals}
    only_deals = RowFilter(record=tr("Deal"))
    assert [r for r in rows if only_deals.accepts(r)] == deal_rows
    assert any(RowFilter(record=tr("Smart invoice")).accepts(r) for r in rows)


def test_deal_names_one_of_several_requisites_of_its_company(deal_world: World) -> None:
    """As for an invoice: without a requisite chosen on the deal it waits; with one
    chosen, 1C gets that counterparty."""
    from desktop_sync.domain.entities import CounterpartyKind, Requisite
    from desktop_sync.domain.requisites import make_inn

    world = deal_world
    with world.service() as svc:
        svc.run()
    deal_id, deal = deal_like_sent_invoice(world, "Два лица")
    company_id = deal.company_id or 0
    inn, kpp, name = make_inn("773412399"), "773401001", "ООО «Второе лицо сделки»"
    with _crm(world) as c:
        second = c.companies.add_requisite(
            company_id, Requisite(inn, kpp, name), name=name, kind=CounterpartyKind.ORGANIZATION
        )
    with world.service() as svc:
        _s, plan = svc.run()
    (item,) = [i for i in plan.items if i.key == f"F1:no_company:deal-{deal_id}"]
    assert item.record_label == f"Deal No. {deal_id} «Два лица»"
    with _crm(world) as c:
        fields = {"ENTITY_TYPE_ID": 2, "ENTITY_ID": deal_id, "REQUISITE_ID": second}
        c.call("crm.requisite.link.register", {"fields": fields})
        c.deals.update_deal(deal_id, {"COMMENTS": "реквизит выбран"})
    with world.service() as svc:
        summary, _plan = svc.run()
        assert summary.counts.get("failed", 0) == 0, summary.failures
        cp = svc.journal.link(EntityType.COUNTERPARTY, crm_id=f"{company_id}/{second}")
        made = svc.onec.invoice(_deal_links(world)[deal_id])
    assert cp is not None and made is not None and made.counterparty_ref == cp.onec_ref


def test_deals_cost_two_requests_a_run_and_none_unmapped(deal_world: World) -> None:
    """The deals of the mapped pipelines with the list of our fields in one request,
    their rows in another; a profile mapping no pipeline asks nothing about deals."""
    import time

    from .test_crm_requests import _counted, _sync

    world = deal_world
    _sync(world)
    _sync(world)
    time.sleep(1.1)  # the portal stamps whole seconds (see test_crm_requests)
    _sync(world)
    with_deals, methods = _counted(world, lambda: _sync(world))
    assert methods["crm.deal.list"] == 1 and methods["crm.deal.userfield.list"] == 1, methods
    profile = world.profile.with_setting("deal.1.send", "").with_setting("deal.1.paid", "")
    world.profile = ProfileStore(world.paths.profiles_file).put(profile)
    _sync(world)
    without, methods = _counted(world, lambda: _sync(world))
    assert not [m for m in methods if m.startswith("crm.deal.")], methods
    assert with_deals - without == 2


def test_after_sending_1c_leads_the_deal(deal_world: World) -> None:
    """F2 for deals: the accountant changes a quantity in 1C; the deal's rows and sum
    follow (no second document); the next run plans nothing."""
    from .test_issued_invoices import edit_quantity

    world = deal_world
    deal_id, _deal = _new_deal(world)
    with world.service() as svc:
        svc.run()
    ref = _deal_links(world)[deal_id]
    edit_quantity(world, ref, 0, 7)
    with world.service() as svc:
        summary, plan = svc.run()
        assert summary.counts.get("failed", 0) == 0, summary.failures
        _s, again = svc.run()
        doc = svc.onec.invoice(ref)
    assert any(op.flow.value == "F2" and op.target_id == str(deal_id) for op in plan.operations)
    with _crm(world) as c:
        after = c.deals.get(deal_id)
    assert doc is not None and after.invoice.lines[0].quantity == Decimal(7)
    assert after.opportunity == doc.total
    assert len(made_from(world, deal_id)) == 1
    assert again.operations == (), [op.reason for op in again.operations]


def test_a_mapped_stage_the_pipeline_lacks_is_named(deal_world: World) -> None:
    """Bad input, in the user's words: the setting, the stage, and the stages there are;
    the window shows a deal's stage by its name."""
    from desktop_sync.readmodel import DEAL, INVOICE, build_views

    world = deal_world
    profile = world.profile.with_setting("deal.1.paid", "C1:PAYED")
    world.profile = ProfileStore(world.paths.profiles_file).put(profile)
    with world.service() as svc:
        snap, plan = svc.prepare()
        links = {t: svc.links(t) for t in (INVOICE, DEAL)}
    (item,) = [i for i in plan.items if i.key == "F1:deal_stage:1:paid"]
    assert item.field == "deal.1.paid" and "C1:PAYED" in item.message
    assert "C1:UC_PAID «Оплачено»" in item.action
    rows = build_views(snap, links, plan).invoices.rows
    stages = {r.crm["stage"] for r in rows if r.crm is not None and r.key.startswith("crm-deal")}
    assert "Согласовано" in stages
