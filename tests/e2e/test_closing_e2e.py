"""F10 end to end on both configurations: a linked CRM invoice moved to the profile's
"ship" stage gets one unposted sales document in 1C based on its 1C invoice (BP 3.0)
or order (UT 11), with equal rows; the CRM invoice shows the document's number and date
and a note; once the accountant posts it, F4 shows the shipment; a stage moved back
before posting waits in the inbox and nothing is deleted in 1C."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.engine.model import Flow, OpKind
from desktop_sync.engine.ops import EntityType
from desktop_sync.engine.planner import INVOICE

from .conftest import World, make_world, set_profile

SHIP = "DT31_1:UC_SHIP"
DEAL_SHIP = "C1:UC_SHIP"  # «Закрывающие документы» of the sandbox's pipeline «Опт»


@pytest.fixture
def ship_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configuration: str
) -> Iterator[World]:
    for world in make_world(tmp_path, monkeypatch, configuration=configuration):
        with_ship_stage(world)
        yield world


def with_ship_stage(world: World, post: bool = False) -> None:
    set_profile(world, ("stage.ship", SHIP), ("ship.post", "on" if post else "off"))


def base_field(world: World) -> str:
    return "ЗаказКлиента" if world.configuration == "ut11" else "СчетНаОплатуПокупателю_Key"


def sales_of(world: World, base_ref: str) -> list[dict[str, Any]]:
    """The sales documents 1C holds based on ``base_ref`` (not marked for deletion)."""
    shipments = "Document_РеализацияТоваровУслуг"
    field = base_field(world)
    return [
        r
        for r in world.onec.store.all(shipments)
        if str(r.get(field)) == base_ref and not r["DeletionMark"]
    ]


def linked_unshipped(world: World, n: int) -> list[tuple[int, str]]:
    """``n`` CRM invoices linked to 1C documents nothing is shipped against yet."""
    with world.service() as svc:
        links = svc.journal.links(INVOICE)
    out = []
    for link in sorted(links, key=lambda lk: int(lk.crm_id or 0)):
        if link.crm_id and link.onec_ref and not sales_of(world, link.onec_ref):
            out.append((int(link.crm_id), link.onec_ref))
    assert len(out) >= n
    return out[:n]


def move(world: World, crm_id: int, stage: str) -> None:
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        c.invoices.update_invoice(crm_id, {"stageId": stage})


def crm_item(world: World, crm_id: int) -> dict[str, Any]:
    """The smart invoice as ``crm.item.get`` answers (our fields in camelCase)."""
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        reply = c.rest.call("crm.item.get", {"entityTypeId": 31, "id": crm_id}, what="invoice")
    item: dict[str, Any] = reply.result["item"]
    return item


def notes(world: World, crm_id: int) -> list[str]:
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        return c.timeline.comment_texts(crm_id)


def notes_of(world: World, crm_id: int, number: str) -> int:
    """Our notes on the item's timeline naming the sales document ``number``."""
    said = re.compile(rf"(№|No\.) {re.escape(number)} ")
    return sum(bool(said.search(t)) and "[desktop-sync:" in t for t in notes(world, crm_id))


def _rows(doc: dict[str, Any]) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    rows = [*doc.get("Товары", []), *doc.get("Услуги", [])]
    return sorted(
        (str(r["Номенклатура_Key"]), r["Количество"], r["Цена"], r["Сумма"]) for r in rows
    )


def test_ship_stage_makes_one_unposted_sales_document_then_posting_shows_shipment(
    ship_world: World,
) -> None:
    world = ship_world
    with world.service() as svc:
        svc.run()
    ((crm_id, base_ref),) = linked_unshipped(world, 1)
    move(world, crm_id, SHIP)
    _summary, plan = world.sync("ru")
    f10 = [op for op in plan.operations if op.flow is Flow.F10]
    create = [op for op in f10 if op.kind is OpKind.CREATE]
    assert len(create) == 1 and create[0].source_id == str(crm_id)
    assert create[0].reason.startswith("Счёт № ")
    assert create[0].reason.endswith(": будет создана реализация в 1С, не проведена")
    made = sales_of(world, base_ref)
    assert len(made) == 1 and made[0]["Posted"] is False
    invoices = (
        "Document_ЗаказКлиента"
        if world.configuration == "ut11"
        else ("Document_СчетНаОплатуПокупателю")
    )
    base = world.onec.store.get(invoices, base_ref)
    assert base is not None
    assert _rows(made[0]) == _rows(base)
    assert made[0]["СуммаДокумента"] == base["СуммаДокумента"]
    item = crm_item(world, crm_id)
    number = str(made[0]["Number"]).split("-")[-1].lstrip("0")
    assert item["ufCrmSmartInvoiceDsClosingNumber"] == number
    assert str(item["ufCrmSmartInvoiceDsClosingDate"]).startswith(
        made[0]["Date"].date().isoformat()
    )
    assert notes_of(world, crm_id, number) == 1
    # a second sync plans nothing
    with world.service() as svc:
        _s, again = svc.run()
    assert again.operations == (), [op.reason for op in again.operations]
    # the accountant posts it in 1C: F4 shows the shipment on the CRM invoice
    world.onec.post("Document_РеализацияТоваровУслуг", str(made[0]["Ref_Key"]))
    _summary, plan = world.sync()
    assert any(op.flow is Flow.F4 and op.target_id == str(crm_id) for op in plan.operations)
    assert not [op for op in plan.operations if op.flow is Flow.F10]
    item = crm_item(world, crm_id)
    assert Decimal(str(item["ufCrmSmartInvoiceDsShipped"])) == made[0]["СуммаДокумента"]
    assert number in str(item["ufCrmSmartInvoiceDsShipmentDoc"])
    assert len(sales_of(world, base_ref)) == 1
    with world.service() as svc:
        _s, again = svc.run()
    assert again.operations == ()


def test_stage_moved_back_before_posting_waits_in_the_inbox(ship_world: World) -> None:
    world = ship_world
    with world.service() as svc:
        svc.run()
    ((crm_id, base_ref),) = linked_unshipped(world, 1)
    before = crm_item(world, crm_id)["stageId"]
    move(world, crm_id, SHIP)
    with world.service() as svc:
        svc.run()
    assert len(sales_of(world, base_ref)) == 1
    move(world, crm_id, before)
    with world.service() as svc:
        _s, plan = svc.run()
        inbox = svc.inbox()
    assert not [op for op in plan.operations if op.flow is Flow.F10]
    waiting = [i for i in inbox if i.dedup_key == f"F10:moved_back:{crm_id}"]
    assert len(waiting) == 1 and waiting[0].record_id == str(crm_id)
    made = sales_of(world, base_ref)
    assert len(made) == 1 and not made[0]["DeletionMark"] and not made[0]["Posted"]
    # back to "ship": still one document, the item goes away
    move(world, crm_id, SHIP)
    with world.service() as svc:
        _s, plan = svc.run()
        inbox = svc.inbox()
    assert not [op for op in plan.operations if op.flow is Flow.F10]
    assert not [i for i in inbox if i.dedup_key == f"F10:moved_back:{crm_id}"]
    assert len(sales_of(world, base_ref)) == 1


def test_ship_post_setting_posts_at_once_and_the_next_run_shows_the_shipment(
    world: World,
) -> None:
    with_ship_stage(world, post=True)
    with world.service() as svc:
        svc.run()
    ((crm_id, base_ref),) = linked_unshipped(world, 1)
    move(world, crm_id, SHIP)
    with world.service() as svc:
        summary, plan = svc.run()
    assert summary.counts["failed"] == 0, summary.failures
    kinds = sorted(op.kind.value for op in plan.operations if op.flow is Flow.F10)
    assert kinds == ["create", "post", "update"]
    made = sales_of(world, base_ref)
    assert len(made) == 1 and made[0]["Posted"] is True
    with world.service() as svc:
        _s, plan = svc.run()
    assert [op.flow for op in plan.operations] == [Flow.F4]
    item = crm_item(world, crm_id)
    assert Decimal(str(item["ufCrmSmartInvoiceDsShipped"])) == made[0]["СуммаДокумента"]
    with world.service() as svc:
        _s, plan = svc.run()
    assert plan.operations == ()


def test_deal_at_its_pipelines_ship_stage_gets_one_sales_document(world: World) -> None:
    from .test_deals_e2e import SEND, deal_like_sent_invoice

    set_profile(world, ("deal.1.send", SEND), ("deal.1.ship", DEAL_SHIP))
    with world.service() as svc:
        svc.run()
    deal_id, _deal = deal_like_sent_invoice(world, "Поставка бумаги")
    with world.service() as svc:
        svc.run()  # F9: the deal becomes a 1C document
        base_ref = next(
            lk.onec_ref for lk in svc.links(EntityType.DEAL) if lk.crm_id == str(deal_id)
        )
    assert base_ref and not sales_of(world, base_ref)
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        c.deals.update_deal(deal_id, {"STAGE_ID": DEAL_SHIP})
    with world.service() as svc:
        summary, plan = svc.run()
    assert summary.counts["failed"] == 0, summary.failures
    create = [op for op in plan.operations if op.flow is Flow.F10 and op.kind is OpKind.CREATE]
    assert [op.source_id for op in create] == [f"deal-{deal_id}"]
    made = sales_of(world, base_ref)
    assert len(made) == 1 and made[0]["Posted"] is False
    number = str(made[0]["Number"]).split("-")[-1].lstrip("0")
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        assert c.deals.get(deal_id).fields.closing_number == number
        said = re.compile(rf"(№|No\.) {re.escape(number)} ")
        texts = c.timeline.comment_texts(deal_id, deal=True)
    # the note on the deal's timeline, as on a smart invoice's: once, with its key
    assert sum(bool(said.search(t)) and "[desktop-sync:" in t for t in texts) == 1
    with world.service() as svc:
        _s, again = svc.run()
    assert again.operations == (), [op.reason for op in again.operations]
    world.onec.post("Document_РеализацияТоваровУслуг", str(made[0]["Ref_Key"]))
    with world.service() as svc:
        _s, plan = svc.run()
    assert [op.flow for op in plan.operations] == [Flow.F4]
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        assert c.deals.get(deal_id).fields.shipped == made[0]["СуммаДокумента"]
    assert len(sales_of(world, base_ref)) == 1


def test_a_portal_without_the_closing_fields_still_gets_payments_and_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A portal where ``setup`` ran before F10 added the closing number and date: only
    the write-back of the sales document waits, behind one item naming those fields and
    saying to run setup; the payment and the 1C numbers still reach the CRM invoices."""
    for world in make_world(tmp_path, monkeypatch):
        with_ship_stage(world)
        with world.service() as svc:
            svc.run()
        with Bitrix24Client(world.crm.webhook, throttle=False) as c:  # setup of an older day
            for f in c.rest.call("userfieldconfig.list", {"moduleId": "crm"}).result["fields"]:
                if "CLOSING" in str(f["fieldName"]):
                    c.rest.call("userfieldconfig.delete", {"moduleId": "crm", "id": f["id"]})
        (paid_id, paid_ref), (ship_id, _ref) = linked_unshipped(world, 2)
        world.story.payment([(paid_ref, Decimal("100.00"))], "901", 17, "bank")
        move(world, ship_id, SHIP)
        _summary, plan = world.sync("ru")
        (item,) = [i for i in plan.items if i.key == "F3:setup"]
        assert item.message == (
            "в смарт-счёте нет полей, в которые пишет desktop-sync (Реализация в 1С: номер, "
            "Реализация в 1С: дата); то, что пишется в них, ждёт, остальное записывается"
        )
        assert item.action == "попросите администратора портала выполнить: desktop-sync setup"
        assert item.blocks == (f"F10:back:{ship_id}",)  # the sales document's write-back
        done = {op.entity_type for op in plan.operations}
        assert EntityType.INVOICE_PAYMENT in done and EntityType.SALES_DOCUMENT in done
        assert EntityType.SALES_BACK not in done
        assert Decimal(str(crm_item(world, paid_id)["ufCrmSmartInvoiceDsPaid"])) >= Decimal("100")
