"""F8 end to end: an invoice the accountant issues in 1C reaches the CRM once, with the
same rows and totals; its payments show there; a change in 1C updates it; a deletion
mark moves it to the "cancelled" stage. On BP 3.0 and UT 11, through both APIs."""

from __future__ import annotations

import copy
import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.crm.types import CrmInvoice
from desktop_sync.domain.entities import Invoice
from desktop_sync.engine.model import Flow, Plan
from desktop_sync.engine.plan_onec_invoices import crm_vat
from desktop_sync.sandbox.bitrix24.seed import MANAGER_ID

from .conftest import World, make_world, set_profile

SINCE = "2026-03-12"  # after every seeded 1C invoice: only those issued here are in scope
RATES = (0, 5, 7, 10, 18, 20, 22)


@pytest.fixture
def issued_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configuration: str
) -> Iterator[World]:
    gen = make_world(tmp_path, monkeypatch, configuration=configuration)
    world = next(gen)
    set_profile(world, ("onec.invoices_since", SINCE))
    yield world
    gen.close()


def _last_seeded(world: World) -> dict[str, Any]:
    """The newest invoice the accountant made (not one desktop-sync made from the CRM)."""
    rows = world.onec.store.rows[world.story.invoices].values()
    own = [r for r in rows if "[desktop-sync:" not in str(r.get("Комментарий") or "")]
    return copy.deepcopy(max(own, key=lambda r: r["Date"]))


def _rate(amount: Decimal, vat: Decimal) -> int:
    """The row's VAT rate, from its sum and VAT (BP names it, UT by a reference)."""
    for r in RATES:
        if (amount * r / (100 + r)).quantize(Decimal("0.01")) == vat:
            return r
    raise AssertionError(f"no VAT rate gives {vat} of {amount}")


def _set_quantity(row: dict[str, Any], qty: Decimal) -> None:
    rate = _rate(row["Сумма"], row["СуммаНДС"])
    row["Количество"] = qty
    if "КоличествоУпаковок" in row:
        row["КоличествоУпаковок"] = qty
    row["Сумма"] = (row["Цена"] * qty).quantize(Decimal("0.01"))
    row["СуммаНДС"] = (row["Сумма"] * rate / (100 + rate)).quantize(Decimal("0.01"))
    if "СуммаСНДС" in row:
        row["СуммаСНДС"] = row["Сумма"]


def issue(
    world: World, day: int, quantities: tuple[int, ...] = (3, 2), *, posted: bool = True
) -> str:
    """An invoice the accountant makes in 1C (the form copies a recent one), posted (or
    saved only: a draft)."""
    like = _last_seeded(world)
    for name in ("Ref_Key", "DataVersion", "Number", "Posted", "DeletionMark"):
        like.pop(name, None)
    rows = [copy.deepcopy(like["Товары"][k % len(like["Товары"])]) for k in range(len(quantities))]
    for n, (row, qty) in enumerate(zip(rows, quantities, strict=True), start=1):
        row["LineNumber"] = n
        _set_quantity(row, Decimal(qty))
    total = sum((r["Сумма"] for r in rows), Decimal(0))
    like.update(Date=dt.datetime(2026, 3, day, 11), Товары=rows, СуммаДокумента=total)
    for stage in like.get("ЭтапыГрафикаОплаты") or []:
        stage["СуммаПлатежа"] = total
    rec = world.onec.add(world.story.invoices, **like)
    ref = str(rec["Ref_Key"])
    if posted:
        world.onec.post(world.story.invoices, ref)
    return ref


def edit_quantity(world: World, ref: str, row: int, qty: int) -> Decimal:
    rec = world.story.invoice(ref)
    rows = copy.deepcopy(rec["Товары"])
    _set_quantity(rows[row], Decimal(qty))
    total = sum((r["Сумма"] for r in rows), Decimal(0))
    world.onec.unpost(world.story.invoices, ref)
    world.onec.edit(world.story.invoices, ref, Товары=rows, СуммаДокумента=total)
    world.onec.post(world.story.invoices, ref)
    return total


def onec_invoice(world: World, ref: str) -> Invoice:
    with world.story.client() as c:
        found = c.invoice(ref)
    assert found is not None
    return found


def crm_of(world: World, ref: str) -> list[CrmInvoice]:
    """Every CRM invoice carrying the 1C invoice's key (one, or a twin)."""
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        found = c.call(
            "crm.item.list", {"entityTypeId": 31, "filter": {"=xmlId": ref}, "select": ["id"]}
        ).result
        return [c.invoices.get(int(i["id"])) for i in found["items"]]


def sync(world: World) -> Plan:
    return world.sync()[1]


def f8_ops(plan: Plan, ref: str) -> list[str]:
    """What a plan writes for the 1C invoice (its printed PDF, F11, is another's test)."""
    return [
        op.op_id
        for op in plan.operations
        if (op.source_id == ref or ref in op.op_id) and op.flow.value != "F11"
    ]


def test_issued_in_1c_reaches_crm_once_and_follows_1c(issued_world: World) -> None:
    world = issued_world
    ref = issue(world, 13)
    onec = onec_invoice(world, ref)
    with world.service() as svc:
        _snap, preview = svc.prepare()
    create = next(op for op in preview.operations if op.op_id == f"F8:create_crm:{ref}")
    assert create.flow is Flow.F8
    assert f"No. {onec.number} of 2026-03-13: issued in 1C, will be created" in create.reason

    sync(world)
    (ci,) = crm_of(world, ref)
    inv = ci.invoice
    assert [(ln.quantity, ln.total_with_vat, ln.vat_rate) for ln in inv.lines] == [
        (ln.quantity, ln.total_with_vat, ln.vat_rate) for ln in onec.lines
    ]
    assert ci.opportunity == onec.total and inv.total == onec.total
    # VAT: the CRM takes it per unit, 1C per row sum; the plan said where they differ
    assert ci.tax_value == crm_vat(onec)
    assert (ci.tax_value == onec.vat_total) != ("VAT " in create.reason)
    assert all(ln.product_crm_id for ln in inv.lines)
    assert ci.fields.onec_number == onec.number and ci.fields.onec_date == onec.date
    assert ci.fields.outstanding == onec.total and ci.fields.paid == 0
    assert inv.date == onec.date
    assert onec.organization_ref == world.story.invoice(ref)["Организация_Key"]
    assert ci.stage_id == "DT31_1:N"  # no stage chosen: the pipeline's first
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        item = c.call("crm.item.get", {"entityTypeId": 31, "id": inv.crm_id}).result["item"]
        company = c.call("crm.company.get", {"id": ci.company_id}).result
    assert item["title"] == f"Счёт № {onec.number} от 13.03.2026"
    buyer = world.story.row(world.story.counterparties, str(onec.counterparty_ref))
    assert company and ci.company_id  # the buyer's company, made or matched by ИНН/КПП
    reqs = world.crm.store.requisites.rows.values()
    assert any(r["ENTITY_ID"] == ci.company_id and r["RQ_INN"] == buyer["ИНН"] for r in list(reqs))

    # a second sync plans nothing at all (its PDF, F11, came in the same run)
    again = sync(world)
    assert again.operations == ()

    # 40 % paid in 1C shows as paid 40 % on it
    part = (onec.total * Decimal("0.4")).quantize(Decimal("0.01"))
    world.story.payment([(ref, part)], "901", 14)
    sync(world)
    (ci,) = crm_of(world, ref)
    assert ci.fields.paid == part and ci.fields.outstanding == onec.total - part

    # the accountant changes a quantity in 1C: the CRM invoice follows, no twin
    total = edit_quantity(world, ref, 0, 5)
    plan = sync(world)
    assert f"F2:update_crm:invoice:{ref}" in f8_ops(plan, ref)
    (ci,) = crm_of(world, ref)
    assert ci.opportunity == total and ci.invoice.lines[0].quantity == 5
    assert ci.fields.outstanding == total - part
    assert f8_ops(sync(world), ref) == []

    # renumbered and redated in 1C: the title, the date and our fields follow
    world.onec.edit(
        world.story.invoices, ref, Number="СВ00-000777", Date=dt.datetime(2026, 3, 15, 9)
    )
    plan = sync(world)
    assert f"F8:title:{ref}" in f8_ops(plan, ref)
    (ci,) = crm_of(world, ref)
    assert ci.title == "Счёт № 777 от 15.03.2026" and ci.invoice.date == dt.date(2026, 3, 15)
    assert ci.fields.onec_number == "777" and ci.fields.onec_date == dt.date(2026, 3, 15)
    assert f8_ops(sync(world), ref) == []

    # shipped in part in 1C: F4 shows it on the CRM invoice as on any other
    shipment = world.story.shipment(ref, "903", Decimal("0.5"))
    sync(world)
    (ci,) = crm_of(world, ref)
    assert ci.fields.shipped == world.story.shipped(shipment.ref) > 0
    assert "903" in (ci.fields.shipment_doc or "")


def test_deletion_mark_moves_it_to_cancelled_or_waits(issued_world: World) -> None:
    world = issued_world
    ref = issue(world, 14, (1,))
    sync(world)
    (ci,) = crm_of(world, ref)
    world.onec.mark_deleted(world.story.invoices, ref)
    sync(world)
    with world.service() as svc:
        keys = [i.dedup_key for i in svc.journal.inbox()]
    assert f"F8:deleted:{ref}" in keys
    (ci,) = crm_of(world, ref)
    assert ci.stage_id == "DT31_1:N"  # nothing moved without a stage chosen

    set_profile(world, ("stage.cancelled", "DT31_1:D"))
    plan = sync(world)
    assert f"F8:cancel:{ref}" in f8_ops(plan, ref)
    (ci,) = crm_of(world, ref)  # moved, never deleted
    assert ci.stage_id == "DT31_1:D"
    assert f8_ops(sync(world), ref) == []


def test_before_the_start_day_nothing_is_sent(issued_world: World) -> None:
    world = issued_world
    ref = issue(world, 11)  # before SINCE
    with world.service() as svc:
        _snap, plan = svc.prepare()
    assert f8_ops(plan, ref) == []


def test_the_window_shows_it_planned_then_in_sync(issued_world: World) -> None:
    from desktop_sync.readmodel import INVOICE, SyncState, build_views

    world = issued_world
    ref = issue(world, 13, (2,))
    with world.service() as svc:
        snap, plan = svc.prepare()
        before = build_views(snap, {INVOICE: svc.links(INVOICE)}, plan).invoices.rows
        svc.run()
        snap, plan = svc.prepare()
        after = build_views(snap, {INVOICE: svc.links(INVOICE)}, plan).invoices.rows
    row = next(r for r in before if r.onec_id == ref)
    assert row.state is SyncState.WILL_CHANGE and row.crm is None  # «will be created»
    row = next(r for r in after if r.onec_id == ref)
    assert row.state is SyncState.IN_SYNC and row.crm is not None
    assert row.crm["total"] == row.onec["total"] and row.crm["outstanding"] == row.onec["total"]


def test_journal_deleted_relinks_it_and_makes_no_twin(issued_world: World) -> None:
    """The journal is lost after the CRM invoice was made: the next run finds it under
    its key, links it again (F2/F3/F4 follow it as before) and makes no second one."""
    world = issued_world
    ref = issue(world, 13)
    sync(world)
    (made,) = crm_of(world, ref)
    journal = world.paths.journal_path()
    for extra in ("", "-wal", "-shm"):
        Path(f"{journal}{extra}").unlink(missing_ok=True)
    with world.service() as svc:
        summary, plan = svc.run()
    assert summary.counts["failed"] == 0
    (op,) = [o for o in plan.operations if o.op_id == f"F8:create_crm:{ref}"]
    assert op.target_id == str(made.invoice.crm_id)  # found under its key, completed
    assert [c.invoice.crm_id for c in crm_of(world, ref)] == [made.invoice.crm_id]
    with world.service() as svc:
        assert ref in {lk.onec_ref for lk in svc.links("invoice")}
    assert f8_ops(sync(world), ref) == []


def test_a_crm_edit_of_its_rows_is_a_conflict(issued_world: World) -> None:
    """1C is the master of an F8 invoice's rows and sums: a manager's edit in the CRM
    waits for a person, and nothing is written either way."""
    world = issued_world
    ref = issue(world, 13, (2,))
    sync(world)
    (ci,) = crm_of(world, ref)
    edited = [replace(ln, quantity=ln.quantity + 1) for ln in ci.invoice.lines]
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        c.invoices.set_product_rows(ci.invoice.crm_id or 0, edited)
    plan = sync(world)
    assert f8_ops(plan, ref) == []
    with world.service() as svc:
        keys = {i.dedup_key for i in svc.journal.inbox()}
    assert f"F2:conflict:invoice:{ref}:rows" in keys
    (after,) = crm_of(world, ref)
    assert after.invoice.lines[0].quantity == ci.invoice.lines[0].quantity + 1


def test_several_are_made_in_two_requests(issued_world: World) -> None:
    """Three invoices issued in 1C: their keys looked up in one request, the invoices
    with their rows and requisites made in one batch request (not four calls each)."""
    world = issued_world
    sync(world)
    refs = [issue(world, 13), issue(world, 14, (1,)), issue(world, 15, (2, 1))]
    stats = world.crm.stats
    with world.service() as svc:
        _snap, plan = svc.prepare(flows=(Flow.F8,))
        assert len(f8_ops(plan, refs[0]) + f8_ops(plan, refs[1]) + f8_ops(plan, refs[2])) == 3
        requests, subcalls = stats.requests, Counter(stats.subcalls)
        summary = svc.apply(plan)
    assert summary.counts["failed"] == 0
    assert stats.requests - requests == 2, Counter(stats.subcalls) - subcalls
    for ref in refs:
        (ci,) = crm_of(world, ref)
        assert ci.opportunity == onec_invoice(world, ref).total


def test_stage_and_responsible_from_the_profile(issued_world: World) -> None:
    """The stage it starts at and the responsible manager come from the profile; even at
    the "send to 1C" stage it is never sent back to 1C as a CRM invoice (F1)."""
    world = issued_world
    set_profile(world, ("stage.issued", "DT31_1:S"), ("crm.responsible", str(MANAGER_ID)))
    sync(world)  # the CRM's own invoices at "send" reach 1C first
    ref = issue(world, 13, (1,))
    documents = len(world.onec.store.rows[world.story.invoices])  # with the one issued
    sync(world)
    (ci,) = crm_of(world, ref)
    assert ci.stage_id == "DT31_1:S" and ci.assigned_by == MANAGER_ID
    assert len(world.onec.store.rows[world.story.invoices]) == documents
    assert sync(world).operations == ()


@pytest.mark.parametrize("configuration", ["ut11"])
def test_a_ut_draft_order_reaches_the_crm_once_posted(issued_world: World) -> None:
    """UT 11: an order saved as a draft (not posted) is no commitment yet and stays in
    1C, and its row in the window says it goes once posted; posted, the next sync makes
    its CRM invoice (BP 3.0's invoices go unposted:
    tests/engine/test_plan_onec_invoices.py)."""
    from desktop_sync.i18n import set_language
    from desktop_sync.readmodel import INVOICE, SyncState, build_views

    world = issued_world
    set_profile(world, ("print.invoice_pdf", "off"))  # F11's PDFs are other tests'
    ref = issue(world, 13, (2,), posted=False)
    assert f8_ops(sync(world), ref) == [] and crm_of(world, ref) == []
    set_language("ru")  # the window's language: the plan's words are in it
    try:
        with world.service() as svc:
            snap, plan = svc.prepare()
            rows = build_views(snap, {INVOICE: svc.links(INVOICE)}, plan).invoices.rows
        (row,) = [r for r in rows if r.onec_id == ref]
        words = row.state_text()
    finally:
        set_language("en")
    assert row.state is SyncState.ONLY_ONEC and row.onec and row.onec["stage"] == "Не проведён"
    assert words == "Только в 1С: в CRM после проведения"  # fits the state column
    world.onec.post(world.story.invoices, ref)
    assert f"F8:create_crm:{ref}" in f8_ops(sync(world), ref)
    assert len(crm_of(world, ref)) == 1


@pytest.mark.parametrize("configuration", ["ut11"])
def test_status_says_a_ut_draft_order_goes_once_posted(issued_world: World) -> None:
    """`desktop-sync status` of a UT 11 draft order says why it is not in the CRM, in the
    window's words; `--json` carries them as ``note``."""
    import io
    import json
    from contextlib import redirect_stdout

    from desktop_sync.cli.main import run
    from desktop_sync.i18n import set_language

    world = issued_world
    ref = issue(world, 13, (2,), posted=False)
    query = f"{onec_invoice(world, ref).number}/2026"
    home = ["--home", str(world.paths.config_dir.parent)]
    said = {}
    set_language("ru")
    try:
        for argv in (["status", query], ["status", query, "--json"]):
            out = io.StringIO()
            with redirect_stdout(out):
                assert run([*home, *argv]) == 0
            said[len(argv)] = out.getvalue()
    finally:
        set_language("en")
    why = "заказ клиента УТ 11 уходит в CRM после проведения в 1С; этот — черновик, его ещё "
    why += "редактируют"
    assert f"В CRM его нет: {why}." in said[2]
    data = json.loads(said[3])
    assert data["crm_id"] is None and data["note"] == why
