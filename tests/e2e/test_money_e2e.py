"""F3/F4 end to end: the accountant enters a payment in 1C; the CRM invoice shows it."""

from __future__ import annotations

import copy
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

BANK = "Document_ПоступлениеНаРасчетныйСчет"
REFUND = "Document_СписаниеСРасчетногоСчета"


@pytest.fixture
def paid_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    gen = make_world(tmp_path, monkeypatch)
    world = next(gen)
    profile = world.profile.with_setting("stage.paid", "DT31_1:P")
    ProfileStore(world.paths.profiles_file).put(profile)
    world.profile = profile
    yield world
    gen.close()


def _sent_invoice(world: World) -> tuple[str, int, Decimal]:
    """Run the first sync (F1 sends CRM invoices to 1C); return one linked invoice."""
    with world.service() as svc:
        svc.run()
        links = svc.journal.links(INVOICE)
    assert links, "F1 sent no invoice"
    link = links[0]
    assert link.onec_ref and link.crm_id
    with world.service() as svc:
        inv = svc.onec.invoice(link.onec_ref)
    assert inv is not None
    return link.onec_ref, int(link.crm_id), inv.total


def _receipt(
    world: World,
    invoice_ref: str,
    amount: Decimal,
    number: str,
    day: int,
    set_name: str = BANK,
    *,
    allocate: bool = True,
    purpose: str = "",
) -> str:
    inv = world.onec.store.rows["Document_СчетНаОплатуПокупателю"][invoice_ref]
    # Accounts as the accountant's form fills them: copied from a seeded document.
    like = next(iter(world.onec.store.rows[set_name].values()))
    row_like = like["РасшифровкаПлатежа"][0]
    rec = world.onec.add(
        set_name,
        Number=number,
        Date=dt.datetime(2026, 3, day, 10),
        ВидОперации="ОплатаПокупателя" if set_name == BANK else "ВозвратПокупателю",
        Организация_Key=inv["Организация_Key"],
        Контрагент_Key=inv["Контрагент_Key"],
        СуммаДокумента=amount,
        НазначениеПлатежа=purpose or "Оплата по счёту",
        СчетОрганизации_Key=like["СчетОрганизации_Key"],
        СчетБанк_Key=like["СчетБанк_Key"],
        РасшифровкаПлатежа=[
            {
                "LineNumber": 1,
                "ДоговорКонтрагента_Key": inv["ДоговорКонтрагента_Key"],
                "СчетНаОплату_Key": invoice_ref
                if allocate
                else "00000000-0000-0000-0000-000000000000",
                "СуммаПлатежа": amount,
                "СуммаВзаиморасчетов": amount,
                "СтавкаНДС": "НДС22_122",
                "СчетУчетаРасчетовСКонтрагентом_Key": row_like[
                    "СчетУчетаРасчетовСКонтрагентом_Key"
                ],
                "СчетУчетаРасчетовПоАвансам_Key": row_like["СчетУчетаРасчетовПоАвансам_Key"],
            }
        ],
    )
    ref = str(rec["Ref_Key"])
    world.onec.post(set_name, ref)
    return ref


def _crm(world: World, crm_id: int) -> tuple[Any, str, list[str]]:
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        inv = c.invoice(crm_id)
        return inv.fields, inv.stage_id, c.timeline_comments(crm_id)


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
    assert sum("501" in n for n in notes) == 1

    _receipt(world, onec_ref, total - part, "502", 18)
    with world.service() as svc:
        svc.run(flows=(Flow.F3,))
        _s, again = svc.run(flows=(Flow.F3,))
    assert again.operations == ()  # converged: nothing twice
    fields, stage, notes = _crm(world, crm_id)
    assert fields.paid == total and fields.outstanding == 0
    assert stage == "DT31_1:P"
    assert sum("501" in n for n in notes) == 1 and sum("502" in n for n in notes) == 1

    # The first receipt is un-posted in 1C: the CRM shows less paid and leaves "paid".
    world.onec.unpost(BANK, first)
    with world.service() as svc:
        svc.run(flows=(Flow.F3,))
    fields, stage, _notes = _crm(world, crm_id)
    assert fields.paid == total - part
    assert fields.outstanding == part
    assert stage != "DT31_1:P"


def test_refund_lowers_paid(paid_world: World) -> None:
    world = paid_world
    onec_ref, crm_id, total = _sent_invoice(world)
    _receipt(world, onec_ref, total, "601", 17)
    _receipt(world, onec_ref, Decimal("100.00"), "602", 19, set_name=REFUND)
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


SHIPMENT = "Document_РеализацияТоваровУслуг"


def _shipment(world: World, invoice_ref: str, number: str, share: Decimal = Decimal(1)) -> str:
    """A Реализация against the invoice, as the accountant makes it "на основании"."""
    store = world.onec.store
    inv = store.rows["Document_СчетНаОплатуПокупателю"][invoice_ref]
    like = next(r for r in store.rows[SHIPMENT].values() if r["Товары"])
    row_like = like["Товары"][0]
    rows = []
    for n, row in enumerate(inv["Товары"], start=1):
        qty = (row["Количество"] * share).quantize(Decimal("0.001"))
        amount = (row["Цена"] * qty).quantize(Decimal("0.01"))
        rows.append(
            {
                "LineNumber": n,
                "Номенклатура_Key": row["Номенклатура_Key"],
                "Количество": qty,
                "Цена": row["Цена"],
                "Сумма": amount,
                "СтавкаНДС": row["СтавкаНДС"],
                "СуммаНДС": Decimal("0"),
                "СчетУчета_Key": row_like["СчетУчета_Key"],
                "СчетДоходов_Key": row_like["СчетДоходов_Key"],
                "СчетРасходов_Key": row_like["СчетРасходов_Key"],
            }
        )
    rec = world.onec.add(
        SHIPMENT,
        Number=number,
        Date=dt.datetime(2026, 3, 20, 15),
        ВидОперации="Товары",
        Организация_Key=inv["Организация_Key"],
        Склад_Key=like["Склад_Key"],
        Контрагент_Key=inv["Контрагент_Key"],
        ДоговорКонтрагента_Key=inv["ДоговорКонтрагента_Key"],
        СчетНаОплатуПокупателю_Key=invoice_ref,
        ВалютаДокумента_Key=like["ВалютаДокумента_Key"],
        СуммаВключаетНДС=True,
        СуммаДокумента=sum((r["Сумма"] for r in rows), Decimal(0)),
        Товары=rows,
        Услуги=[],
        СчетУчетаРасчетовСКонтрагентом_Key=like["СчетУчетаРасчетовСКонтрагентом_Key"],
        СчетУчетаРасчетовПоАвансам_Key=like["СчетУчетаРасчетовПоАвансам_Key"],
    )
    ref = str(rec["Ref_Key"])
    world.onec.post(SHIPMENT, ref)
    return ref


def test_shipment_reaches_the_crm_invoice(paid_world: World) -> None:
    world = paid_world
    onec_ref, crm_id, _total = _sent_invoice(world)
    ref = _shipment(world, onec_ref, "801")
    with world.service() as svc:
        summary, _plan = svc.run(flows=(Flow.F4,))
        assert summary.counts["failed"] == 0
        _s, again = svc.run(flows=(Flow.F4,))
    assert again.operations == ()
    fields, _stage, _notes = _crm(world, crm_id)
    shipped = sum((r["Сумма"] for r in world.onec.store.rows[SHIPMENT][ref]["Товары"]), Decimal(0))
    assert fields.shipped == shipped
    assert fields.shipment_doc and "801" in fields.shipment_doc
    world.onec.unpost(SHIPMENT, ref)
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


CARD = "Document_ОперацияПоПлатежнойКарте"
RETURN = "Document_ВозвратТоваровОтПокупателя"


def _sent_invoices(world: World) -> list[tuple[str, int, Decimal]]:
    with world.service() as svc:
        svc.run()
        out = []
        for link in svc.journal.links(INVOICE):
            inv = svc.onec.invoice(link.onec_ref or "")
            assert inv is not None and link.crm_id
            out.append((link.onec_ref or "", int(link.crm_id), inv.total))
    return out


def _document_like(world: World, set_name: str, **values: Any) -> str:
    """A new document made like a seeded one of the same kind (as "copy" in 1C's form)."""
    like = copy.deepcopy(next(iter(world.onec.store.rows[set_name].values())))
    for name in ("Ref_Key", "DataVersion", "Posted", "Number"):
        like.pop(name, None)
    like.update(values)
    rec = world.onec.add(set_name, **like)
    ref = str(rec["Ref_Key"])
    world.onec.post(set_name, ref)
    return ref


def _rows_for(world: World, set_name: str, allocations: list[tuple[str, Decimal]]) -> list[Any]:
    template = next(iter(world.onec.store.rows[set_name].values()))["РасшифровкаПлатежа"][0]
    invoices = world.onec.store.rows["Document_СчетНаОплатуПокупателю"]
    rows = []
    for n, (invoice_ref, amount) in enumerate(allocations, start=1):
        row = copy.deepcopy(template)
        row.update(
            {
                "LineNumber": n,
                "СчетНаОплату_Key": invoice_ref,
                "СуммаПлатежа": amount,
                "СуммаВзаиморасчетов": amount,
                "ДоговорКонтрагента_Key": invoices[invoice_ref]["ДоговорКонтрагента_Key"],
            }
        )
        rows.append(row)
    return rows


def test_one_receipt_pays_two_invoices(paid_world: World) -> None:
    world = paid_world
    sent = _sent_invoices(world)
    assert len(sent) >= 2
    (ref_a, crm_a, total_a), (ref_b, crm_b, total_b) = sent[:2]
    invoices = world.onec.store.rows["Document_СчетНаОплатуПокупателю"]
    _document_like(
        world,
        BANK,
        Number="1001",
        Date=dt.datetime(2026, 3, 18, 9),
        Контрагент_Key=invoices[ref_a]["Контрагент_Key"],
        СуммаДокумента=total_a + total_b,
        НазначениеПлатежа="Оплата по двум счетам",
        РасшифровкаПлатежа=_rows_for(world, BANK, [(ref_a, total_a), (ref_b, total_b)]),
    )
    with world.service() as svc:
        svc.run(flows=(Flow.F3,))
        _s, again = svc.run(flows=(Flow.F3,))
    assert again.operations == ()
    for crm_id, total in ((crm_a, total_a), (crm_b, total_b)):
        fields, stage, notes = _crm(world, crm_id)
        assert fields.paid == total and stage == "DT31_1:P"
        assert sum("1001" in n for n in notes) == 1


def test_card_payment(paid_world: World) -> None:
    world = paid_world
    ref, crm_id, total = _sent_invoices(world)[0]
    invoices = world.onec.store.rows["Document_СчетНаОплатуПокупателю"]
    _document_like(
        world,
        CARD,
        Number="1101",
        Date=dt.datetime(2026, 3, 18, 12),
        Контрагент_Key=invoices[ref]["Контрагент_Key"],
        СуммаДокумента=total,
        РасшифровкаПлатежа=_rows_for(world, CARD, [(ref, total)]),
    )
    with world.service() as svc:
        svc.run(flows=(Flow.F3,))
    fields, stage, _notes = _crm(world, crm_id)
    assert fields.paid == total and stage == "DT31_1:P"
    assert any("card" in line for line in fields.payments)


def test_partial_return_lowers_shipped(paid_world: World) -> None:
    world = paid_world
    ref, crm_id, _total = _sent_invoices(world)[0]
    shipment = _shipment(world, ref, "1201")
    shipped_row = world.onec.store.rows[SHIPMENT][shipment]["Товары"][0]
    back = shipped_row["Цена"]
    ret_row = copy.deepcopy(next(iter(world.onec.store.rows[RETURN].values()))["Товары"][0])
    ret_row.update(
        {
            "Номенклатура_Key": shipped_row["Номенклатура_Key"],
            "Количество": Decimal(1),
            "Цена": back,
            "Сумма": back,
            "СтавкаНДС": shipped_row["СтавкаНДС"],
        }
    )
    invoices = world.onec.store.rows["Document_СчетНаОплатуПокупателю"]
    _document_like(
        world,
        RETURN,
        Number="1202",
        Date=dt.datetime(2026, 3, 22, 12),
        Контрагент_Key=invoices[ref]["Контрагент_Key"],
        ДоговорКонтрагента_Key=invoices[ref]["ДоговорКонтрагента_Key"],
        ДокументРеализации_Key=shipment,
        СуммаДокумента=back,
        Товары=[ret_row],
    )
    with world.service() as svc:
        svc.run(flows=(Flow.F4,))
    fields, _stage, _notes = _crm(world, crm_id)
    full = sum(
        (r["Сумма"] for r in world.onec.store.rows[SHIPMENT][shipment]["Товары"]), Decimal(0)
    )
    assert fields.shipped == full - back


def test_december_invoice_shipped_in_january_at_22_percent(paid_world: World) -> None:
    """Invoice of 20.12.2025 at 20%, shipment of 15.01.2026 at 22%: an attention item."""
    world = paid_world
    ref, _crm_id, _total = _sent_invoices(world)[0]
    invoices = world.onec.store.rows["Document_СчетНаОплатуПокупателю"]
    world.onec.edit("Document_СчетНаОплатуПокупателю", ref, Date=dt.datetime(2025, 12, 20, 10))
    shipment = _shipment(world, ref, "1301")
    rows = copy.deepcopy(world.onec.store.rows[SHIPMENT][shipment]["Товары"])
    for row in rows:  # the same goods, the 2026 rate on top of the 2025 net price
        row["Цена"] = (row["Цена"] * Decimal("122") / Decimal("120")).quantize(Decimal("0.01"))
        row["Сумма"] = (row["Цена"] * row["Количество"]).quantize(Decimal("0.01"))
    world.onec.unpost(SHIPMENT, shipment)
    world.onec.edit(SHIPMENT, shipment, Date=dt.datetime(2026, 1, 15, 10), Товары=rows)
    world.onec.post(SHIPMENT, shipment)
    assert invoices[ref]["Date"].year == 2025
    with world.service() as svc:
        _s, plan = svc.run(flows=(Flow.F4,))
    (item,) = [i for i in plan.items if i.key.startswith("F4:above_invoice")]
    assert "22%" in item.message and "paid" in item.message
