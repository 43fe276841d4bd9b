"""F3/F4 end to end: the accountant enters a payment in 1C; the CRM invoice shows it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop_sync.config import ProfileStore
from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.engine.model import Flow
from desktop_sync.engine.planner import INVOICE

from .conftest import World, make_world
from .story import Doc


@pytest.fixture
def paid_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configuration: str) -> Any:
    gen = make_world(tmp_path, monkeypatch, configuration=configuration)
    world = next(gen)
    profile = world.profile.with_setting("stage.paid", "DT31_1:P")
    ProfileStore(world.paths.profiles_file).put(profile)
    world.profile = profile
    yield world
    gen.close()


def _sent_invoice(world: World) -> tuple[str, int, Decimal]:
    """Run the first sync (F1 sends CRM invoices to 1C); return one linked invoice."""
    return _sent_invoices(world)[0]


def _receipt(
    world: World,
    invoice_ref: str,
    amount: Decimal,
    number: str,
    day: int,
    kind: str = "bank",
    *,
    allocate: bool = True,
    purpose: str = "",
) -> Doc:
    return world.story.payment(
        [(invoice_ref, amount)], number, day, kind, allocate=allocate, purpose=purpose
    )


def _crm(world: World, crm_id: int) -> tuple[Any, str, list[str]]:
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        inv = c.invoices.get(crm_id)
        return inv.fields, inv.stage_id, c.timeline.comment_texts(crm_id)


def test_partial_full_refund_and_unposting(paid_world: World) -> None:
    world = paid_world
    onec_ref, crm_id, total = _sent_invoice(world)
    fields, _stage, _notes = _crm(world, crm_id)
    assert fields.outstanding == total and fields.onec_number

    part = (total * Decimal("0.4")).quantize(Decimal("0.01"))
    first = _receipt(world, onec_ref, part, "501", 17)
    with world.service() as svc:
        summary, _plan = svc.run(flows=(Flow.F3,))
    assert summary.counts["failed"] == 0
    fields, stage, notes = _crm(world, crm_id)
    assert fields.paid == part
    assert fields.outstanding == total - part
    assert fields.last_payment_date == dt.date(2026, 3, 17)
    assert len(fields.payments) == 1 and "501" in fields.payments[0]
    assert stage != "DT31_1:P"
    assert _notes_of(notes, "501") == 1

    _receipt(world, onec_ref, total - part, "502", 18)
    with world.service() as svc:
        svc.run(flows=(Flow.F3,))
        _s, again = svc.run(flows=(Flow.F3,))
    assert again.operations == ()  # converged: nothing twice
    fields, stage, notes = _crm(world, crm_id)
    assert fields.paid == total and fields.outstanding == 0
    assert stage == "DT31_1:P"
    assert _notes_of(notes, "501") == 1 and _notes_of(notes, "502") == 1
    # Bitrix24's own payment of the whole invoice, marked paid (its widgets agree)
    (payment,) = _bitrix_payments(world, crm_id)
    assert payment["paid"] == "Y" and Decimal(str(payment["sum"])) == total

    # The first receipt is un-posted in 1C: the CRM shows less paid and leaves "paid".
    world.story.unpost(first)
    with world.service() as svc:
        svc.run(flows=(Flow.F3,))
    fields, stage, _notes = _crm(world, crm_id)
    assert fields.paid == total - part
    assert fields.outstanding == part
    assert stage != "DT31_1:P"
    (payment,) = _bitrix_payments(world, crm_id)  # the same payment, not a second one
    assert payment["paid"] == "N"
    with world.service() as svc:
        _s, again = svc.run(flows=(Flow.F3,))
    assert again.operations == ()


def _notes_of(notes: list[str], number: str) -> int:
    """Timeline notes of payment ``number`` (by "No. 501 ", not a bare "501": the note's
    key marker is a random-looking hex string that may hold any three digits)."""
    return sum(f"No. {number} " in n for n in notes)


def _bitrix_payments(world: World, crm_id: int) -> list[dict[str, Any]]:
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        found = c.call("crm.item.payment.list", {"entityTypeId": 31, "entityId": crm_id}).result
    return list(found or [])


def test_refund_lowers_paid(paid_world: World) -> None:
    world = paid_world
    onec_ref, crm_id, total = _sent_invoice(world)
    _receipt(world, onec_ref, total, "601", 17)
    _receipt(world, onec_ref, Decimal("100.00"), "602", 19, "refund")
    with world.service() as svc:
        svc.run(flows=(Flow.F3,))
    fields, stage, _notes = _crm(world, crm_id)
    assert fields.paid == total - Decimal("100.00")
    assert fields.outstanding == Decimal("100.00")
    assert stage != "DT31_1:P"
    assert any("−" in line for line in fields.payments)


def test_overpayment_is_an_attention_item(paid_world: World) -> None:
    world = paid_world
    onec_ref, _crm_id, total = _sent_invoice(world)
    _receipt(world, onec_ref, total + Decimal("1000.00"), "701", 17)
    with world.service() as svc:
        _summary, plan = svc.run(flows=(Flow.F3,))
    (item,) = [i for i in plan.items if i.key.startswith("F3:overpaid")]
    assert "advance" in item.message


def test_missing_custom_fields_block_field_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gen = make_world(tmp_path, monkeypatch, setup=False)
    world = next(gen)
    try:
        with world.service() as svc:
            summary, plan = svc.run()
        assert any(i.key == "F3:setup" for i in plan.items)
        assert all(op.entity_type != "invoice_number" for op in plan.operations)
        assert summary.counts["failed"] == 0
        with world.service() as svc:
            assert svc.setup()  # the administrator runs setup
            _s, plan2 = svc.run()
        assert any(op.flow is Flow.F3 for op in plan2.operations)  # numbers and sums now go
        assert not any(i.key == "F3:setup" for i in plan2.items)
    finally:
        gen.close()


def test_shipment_reaches_the_crm_invoice(paid_world: World) -> None:
    world = paid_world
    onec_ref, crm_id, _total = _sent_invoice(world)
    doc = world.story.shipment(onec_ref, "801")
    with world.service() as svc:
        summary, _plan = svc.run(flows=(Flow.F4,))
        assert summary.counts["failed"] == 0
        _s, again = svc.run(flows=(Flow.F4,))
    assert again.operations == ()
    fields, _stage, _notes = _crm(world, crm_id)
    assert fields.shipped == world.story.shipped(doc.ref)
    assert fields.shipment_doc and "801" in fields.shipment_doc
    world.story.unpost(doc)
    with world.service() as svc:
        svc.run(flows=(Flow.F4,))
    fields, _stage, _notes = _crm(world, crm_id)
    assert fields.shipped == 0


def test_unallocated_receipt_waits_for_confirmation(paid_world: World) -> None:
    world = paid_world
    onec_ref, crm_id, total = _sent_invoice(world)
    with world.service() as svc:
        inv = svc.onec.invoice(onec_ref)
    assert inv is not None
    _receipt(
        world,
        onec_ref,
        total,
        "901",
        18,
        allocate=False,
        purpose=f"Оплата по сч. {inv.number} от {inv.date:%d.%m.%Y}, в т.ч. НДС",
    )
    with world.service() as svc:
        _summary, plan = svc.run(flows=(Flow.F3,))
    (item,) = [i for i in plan.items if i.key.startswith("F3:allocate:")]
    assert inv.number in item.message and "confirm" in item.action
    fields, _stage, _notes = _crm(world, crm_id)
    assert not fields.paid  # nothing applied before a person confirms
    with world.service() as svc:
        open_item = next(i for i in svc.journal.inbox() if i.dedup_key == item.key)
        svc.resolve(open_item.id, "confirm", by="Бухгалтер")
        svc.run(flows=(Flow.F3,))
    fields, stage, _notes = _crm(world, crm_id)
    assert fields.paid == total
    assert stage == "DT31_1:P"


def _sent_invoices(world: World) -> list[tuple[str, int, Decimal]]:
    with world.service() as svc:
        svc.run()
        out = []
        for link in svc.journal.links(INVOICE):
            inv = svc.onec.invoice(link.onec_ref or "")
            assert inv is not None and link.crm_id
            out.append((link.onec_ref or "", int(link.crm_id), inv.total))
    assert out, "F1 sent no invoice"
    return out


def test_one_receipt_pays_two_invoices(paid_world: World) -> None:
    world = paid_world
    sent = _sent_invoices(world)
    assert len(sent) >= 2
    (ref_a, crm_a, total_a), (ref_b, crm_b, total_b) = sent[:2]
    world.story.payment(
        [(ref_a, total_a), (ref_b, total_b)], "1001", 18, purpose="Оплата по двум счетам"
    )
    with world.service() as svc:
        svc.run(flows=(Flow.F3,))
        _s, again = svc.run(flows=(Flow.F3,))
    assert again.operations == ()
    for crm_id, total in ((crm_a, total_a), (crm_b, total_b)):
        fields, stage, notes = _crm(world, crm_id)
        assert fields.paid == total and stage == "DT31_1:P"
        assert _notes_of(notes, "1001") == 1


def test_card_and_cash_payments(paid_world: World) -> None:
    world = paid_world
    ref, crm_id, total = _sent_invoices(world)[0]
    cash = (total / 2).quantize(Decimal("0.01"))
    _receipt(world, ref, total - cash, "1101", 18, "card")
    _receipt(world, ref, cash, "1102", 18, "cash")
    with world.service() as svc:
        svc.run(flows=(Flow.F3,))
    fields, stage, _notes = _crm(world, crm_id)
    assert fields.paid == total and stage == "DT31_1:P"
    assert any("card" in line for line in fields.payments)
    assert any("cash" in line for line in fields.payments)


def test_partial_return_lowers_shipped(paid_world: World) -> None:
    world = paid_world
    ref, crm_id, _total = _sent_invoices(world)[0]
    shipment = world.story.shipment(ref, "1201")
    back = world.story.return_one(ref, shipment.ref, "1202")
    with world.service() as svc:
        svc.run(flows=(Flow.F4,))
    fields, _stage, _notes = _crm(world, crm_id)
    assert fields.shipped == world.story.shipped(shipment.ref) - back


def test_december_invoice_shipped_in_january_at_22_percent(paid_world: World) -> None:
    """Invoice of 20.12.2025 at 20%, shipment of 15.01.2026 at 22%: an attention item."""
    world = paid_world
    story = world.story
    ref, _crm_id, _total = _sent_invoices(world)[0]
    story.redate_invoice(ref, dt.datetime(2025, 12, 20, 10))
    shipment = story.shipment(ref, "1301")
    # the same goods, the 2026 rate on top of the 2025 net price
    story.reprice_shipment(shipment.ref, dt.datetime(2026, 1, 15, 10), Decimal("122") / 120)
    assert story.invoice(ref)["Date"].year == 2025
    with world.service() as svc:
        _s, plan = svc.run(flows=(Flow.F4,))
    (item,) = [i for i in plan.items if i.key.startswith("F4:above_invoice")]
    assert "22%" in item.message and "paid" in item.message
