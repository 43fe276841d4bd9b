"""The engine end to end on UT 11: the guarantees of tests/e2e on the second configuration.

Both sandboxes over real HTTP (``make_world(configuration="ut11")``): a dry run writes
nothing; apply converges and a second apply plans nothing; CRM invoices become customer
orders with partner, agreement and contract; a killed apply leaves no twins; F6 sends
free stock.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop_sync.config import ProfileStore
from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.onec import OnecClient
from desktop_sync.engine.model import Flow, OpKind, Outcome
from desktop_sync.engine.planner import INVOICE, PRODUCT
from desktop_sync.sandbox.onec import ut11
from desktop_sync.sandbox.onec.ut11_seed import settlement_ref
from tests.e2e.conftest import World, make_world
from tests.e2e.test_sync_e2e import _journal_states, crm_state


@pytest.fixture
def ut_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch, configuration="ut11")


def _client(world: World) -> OnecClient:
    return OnecClient(world.onec.url, world.onec.user, world.onec.password, configuration="ut11")


def onec_state(world: World) -> Counter[str]:
    with _client(world) as c:
        return Counter(f"{cp.inn}/{cp.kpp}" for cp in c.counterparties() if cp.inn)


def test_dry_run_writes_nothing(ut_world: World) -> None:
    world = ut_world
    before_crm, before_onec = crm_state(world), onec_state(world)
    writes_before = sum(n for m, n in world.onec.stats.by_method.items() if m != "GET")
    with world.service() as svc:
        summary, plan = svc.dry_run()
    assert summary.counts["planned"] == len(plan.operations) > 0
    assert summary.counts["applied"] == 0
    assert crm_state(world) == before_crm
    assert onec_state(world) == before_onec
    assert sum(n for m, n in world.onec.stats.by_method.items() if m != "GET") == writes_before


def test_apply_converges_orders_and_second_apply_does_nothing(ut_world: World) -> None:
    world = ut_world
    orders_before = len(world.onec.store.all(ut11.ORDERS))
    with world.service() as svc:
        first, plan = svc.run()
    assert first.counts["applied"] == len(plan.operations) > 0
    assert first.counts["failed"] == 0, first.failures
    assert first.outcome in (Outcome.DONE, Outcome.WAITING)
    state = crm_state(world)
    ours = {k: v for k, v in state["origins"].items() if not k.startswith("none-")}
    assert ours and max(ours.values()) == 1
    # F1 made customer orders, each with partner, agreement and a contract of its
    # counterparty; every new counterparty has a partner.
    f1 = [op for op in plan.operations if op.flow is Flow.F1 and op.kind is OpKind.CREATE]
    orders = world.onec.store.all(ut11.ORDERS)
    assert f1 and len(orders) == orders_before + len(f1)
    store = world.onec.store
    for rec in orders:
        cp = store.get(ut11.COUNTERPARTIES, rec["Контрагент_Key"])
        assert cp is not None and cp["Партнер_Key"] == rec["Партнер_Key"]
        assert store.get(ut11.AGREEMENTS, rec["Соглашение_Key"]) is not None
        contract = store.get(ut11.CONTRACTS, rec["Договор_Key"])
        assert contract is not None and contract["Контрагент_Key"] == rec["Контрагент_Key"]
    with world.service() as svc:
        second, plan2 = svc.run()
    assert plan2.operations == ()
    assert second.counts["applied"] == 0
    assert crm_state(world) == state


def test_killed_apply_is_finished_without_twins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gen = make_world(tmp_path, monkeypatch, onec_faults="delay:0.05", configuration="ut11")
    world = next(gen)
    try:
        exe = shutil.which("desktop-sync", path=str(Path(sys.executable).parent))
        assert exe
        env = {
            **os.environ,
            **world.env(),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        db = world.paths.journal_path()
        proc = subprocess.Popen(
            [exe, "sync", "--apply", "--json"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if _journal_states(db)["applied"] >= 25:
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.01)
        proc.wait(30)
        assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
        with world.service() as svc:
            summary, _plan = svc.run()
            assert summary.counts["failed"] == 0, summary.failures
        state = crm_state(world)
        ours = {k: v for k, v in state["origins"].items() if not k.startswith("none-")}
        assert ours and max(ours.values()) == 1
        assert max(onec_state(world).values()) <= 2  # a head office and its branch at most
        keyed = Counter(
            r["Комментарий"]
            for r in world.onec.store.all(ut11.ORDERS)
            if "[desktop-sync:" in r["Комментарий"]
        )
        assert max(keyed.values()) == 1  # no twin orders
        with world.service() as svc:
            _s, plan = svc.run()
        assert [op for op in plan.operations if op.kind is OpKind.CREATE] == []
    finally:
        gen.close()


def test_free_stock_reaches_the_crm(ut_world: World) -> None:
    world = ut_world
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        stores = c.stores()
    with _client(world) as o:
        name = o.warehouses()[0].name
    store = next(s for s in stores if s.name == name)
    assert store.crm_id is not None
    world.profile = world.profile.with_setting(f"warehouse.{name}", str(store.crm_id))
    ProfileStore(world.paths.profiles_file).put(world.profile)
    with world.service() as svc:
        svc.run(flows=(Flow.F7, Flow.F5))
        links = {link.onec_ref: int(link.crm_id or 0) for link in svc.journal.links(PRODUCT)}
    _reserve_one(world, name, set(links))
    with world.service() as svc:
        summary, _plan = svc.run(flows=(Flow.F6,))
        assert summary.counts["failed"] == 0, summary.failures
        _s, again = svc.run(flows=(Flow.F6,))
        links = {link.onec_ref: int(link.crm_id or 0) for link in svc.journal.links(PRODUCT)}
    assert again.operations == ()
    with _client(world) as o:
        wh = next(w for w in o.warehouses() if w.name == name).onec_ref
        balance = [lv for lv in o.stock_balance() if lv.warehouse_ref == wh]  # type: ignore[attr-defined]
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        amounts = {(a.product_id, a.store_id): a.amount for a in c.store_amounts()}
    checked = reserved = 0
    for level in balance:
        pid = links.get(level.product_ref)
        if pid is None:
            continue
        free = max(level.quantity - level.reserved, Decimal(0))
        assert amounts.get((pid, store.crm_id), Decimal(0)) == free, level
        checked += 1
        reserved += level.reserved > 0
    assert checked > 0 and reserved > 0  # the CRM shows free stock, not what is on hand


def _reserve_one(world: World, warehouse: str, linked: set[str | None]) -> None:
    """A manager puts a linked product in stock on a new order «к отгрузке»: 1C reserves
    it, so free stock is below what is on hand."""
    sb = world.onec
    wh = next(r for r in sb.store.all(ut11.WAREHOUSES) if r["Description"] == warehouse)
    level = next(
        r
        for r in sb.store.accumulation_balance(ut11.STOCK, None)
        if r["Склад_Key"] == wh["Ref_Key"]
        and r["Номенклатура_Key"] in linked
        and r["ВНаличииBalance"] - r["КОтгрузкеBalance"] >= 1
    )
    product = sb.store.get(ut11.PRODUCTS, level["Номенклатура_Key"])
    assert product is not None
    template = next(r for r in sb.store.all(ut11.ORDERS) if r["Posted"])
    header = {
        k: template[k]
        for k in ("Организация_Key", "Партнер_Key", "Контрагент_Key", "Соглашение_Key",
                  "Договор_Key", "Валюта_Key")
    }  # fmt: skip
    order = sb.add(
        ut11.ORDERS,
        **header,
        Склад_Key=wh["Ref_Key"],
        Статус="КОтгрузке",
        Товары=[
            {
                "LineNumber": 1,
                "Номенклатура_Key": product["Ref_Key"],
                "Характеристика_Key": level["Характеристика_Key"],
                "Количество": Decimal(1),
                "КоличествоУпаковок": Decimal(1),
                "Цена": Decimal(100),
                "Сумма": Decimal(100),
                "СтавкаНДС_Key": product["СтавкаНДС_Key"],
                "ВариантОбеспечения": "СоСклада",
                "Склад_Key": wh["Ref_Key"],
            }
        ],
    )
    sb.post(ut11.ORDERS, order["Ref_Key"])


# --- money flows (F3/F4) on UT: payments and shipments hang on the order ---------------


@pytest.fixture
def paid_ut_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    gen = make_world(tmp_path, monkeypatch, configuration="ut11")
    world = next(gen)
    world.profile = world.profile.with_setting("stage.paid", "DT31_1:P")
    ProfileStore(world.paths.profiles_file).put(world.profile)
    yield world
    gen.close()


def _sent_order(world: World) -> tuple[str, int, Decimal]:
    with world.service() as svc:
        svc.run()
        links = svc.journal.links(INVOICE)
    assert links, "F1 sent no invoice"
    link = links[0]
    assert link.onec_ref and link.crm_id
    order = world.onec.store.get(ut11.ORDERS, link.onec_ref)
    assert order is not None
    return link.onec_ref, int(link.crm_id), order["СуммаДокумента"]


def _ut_payment(
    world: World,
    order_ref: str,
    amount: Decimal,
    number: str,
    day: int,
    set_name: str = ut11.BANK_RECEIPTS,
) -> str:
    """A payment as the cashier enters it in UT: the order in РасшифровкаПлатежа."""
    order = world.onec.store.get(ut11.ORDERS, order_ref)
    assert order is not None
    like = next(iter(world.onec.store.rows[ut11.BANK_RECEIPTS].values()))
    refund = set_name in (ut11.BANK_REFUNDS, ut11.CASH_REFUNDS)
    extra: dict[str, object] = {}
    if set_name in (ut11.CASH_RECEIPTS, ut11.CASH_REFUNDS):
        extra["Касса_Key"] = next(iter(world.onec.store.rows[ut11.CASH_DESKS]))
    else:
        extra["БанковскийСчет_Key"] = like["БанковскийСчет_Key"]
    rec = world.onec.add(
        set_name,
        Number=number,
        Date=dt.datetime(2026, 3, day, 10),
        ХозяйственнаяОперация="ВозвратОплатыКлиенту" if refund else "ПоступлениеОплатыОтКлиента",
        Организация_Key=order["Организация_Key"],
        Контрагент_Key=order["Контрагент_Key"],
        Валюта_Key=order["Валюта_Key"],
        СуммаДокумента=amount,
        РасшифровкаПлатежа=[
            {
                "LineNumber": 1,
                "Партнер_Key": order["Партнер_Key"],
                "Договор_Key": order["Договор_Key"],
                "ОбъектРасчетов_Key": settlement_ref(order_ref),
                "Сумма": amount,
                "СуммаВзаиморасчетов": amount,
            }
        ],
        **extra,
    )
    world.onec.post(set_name, rec["Ref_Key"])
    return str(rec["Ref_Key"])


def _crm_fields(world: World, crm_id: int) -> tuple[Any, str]:
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        inv = c.invoice(crm_id)
        return inv.fields, inv.stage_id


def test_payments_on_the_order_reach_the_crm(paid_ut_world: World) -> None:
    world = paid_ut_world
    order_ref, crm_id, total = _sent_order(world)
    part = (total * Decimal("0.4")).quantize(Decimal("0.01"))
    first = _ut_payment(world, order_ref, part, "501", 17)
    with world.service() as svc:
        summary, _plan = svc.run(flows=(Flow.F3,))
    assert summary.counts["failed"] == 0, summary.failures
    fields, stage = _crm_fields(world, crm_id)
    assert (fields.paid, fields.outstanding) == (part, total - part) and stage != "DT31_1:P"
    cash = (total - part - Decimal("10.00")).quantize(Decimal("0.01"))
    _ut_payment(world, order_ref, cash, "502", 18, set_name=ut11.CASH_RECEIPTS)
    _ut_payment(world, order_ref, Decimal("10.00"), "503", 18, set_name=ut11.CARD_PAYMENTS)
    with world.service() as svc:
        svc.run(flows=(Flow.F3,))
        _s, again = svc.run(flows=(Flow.F3,))
    assert again.operations == ()
    fields, stage = _crm_fields(world, crm_id)
    assert fields.paid == total and fields.outstanding == 0 and stage == "DT31_1:P"
    world.onec.unpost(ut11.BANK_RECEIPTS, first)  # un-applied in the CRM, never deleted
    _ut_payment(world, order_ref, Decimal("5.00"), "504", 19, set_name=ut11.BANK_REFUNDS)
    with world.service() as svc:
        svc.run(flows=(Flow.F3,))
    fields, stage = _crm_fields(world, crm_id)
    assert fields.paid == total - part - Decimal("5.00") and stage != "DT31_1:P"


def test_shipment_and_return_on_the_order_reach_the_crm(paid_ut_world: World) -> None:
    world = paid_ut_world
    order_ref, crm_id, _total = _sent_order(world)
    sb = world.onec
    order = sb.store.get(ut11.ORDERS, order_ref)
    assert order is not None
    fields_of = {f.name for f in sb.store.schema.sets[ut11.SHIPMENTS].tabular[0].fields}
    rows = [
        {k: v for k, v in r.items() if k in fields_of}
        | {"ЗаказКлиента": order_ref, "ЗаказКлиента_Type": "StandardODATA." + ut11.ORDERS}
        for r in order["Товары"]
    ]
    header = {
        k: order[k]
        for k in ("Организация_Key", "Партнер_Key", "Контрагент_Key", "Соглашение_Key",
                  "Договор_Key", "Склад_Key", "Валюта_Key", "ЦенаВключаетНДС")
    }  # fmt: skip
    shipment = sb.add(
        ut11.SHIPMENTS,
        **header,
        Number="801",
        Date=dt.datetime(2026, 3, 20, 15),
        ЗаказКлиента=order_ref,
        ЗаказКлиента_Type="StandardODATA." + ut11.ORDERS,
        СуммаДокумента=order["СуммаДокумента"],
        Товары=rows,
    )
    sb.post(ut11.SHIPMENTS, shipment["Ref_Key"])
    with world.service() as svc:
        summary, _plan = svc.run(flows=(Flow.F4,))
        assert summary.counts["failed"] == 0, summary.failures
        _s, again = svc.run(flows=(Flow.F4,))
    assert again.operations == ()
    fields, _stage = _crm_fields(world, crm_id)
    shipped = sum((r["Сумма"] for r in rows), Decimal(0))
    assert fields.shipped == shipped and "801" in (fields.shipment_doc or "")
    first = rows[0]
    back = first["Цена"]
    ret = sb.add(
        ut11.RETURNS,
        **header,
        Number="802",
        Date=dt.datetime(2026, 3, 22, 12),
        СуммаДокумента=back,
        Товары=[
            {k: v for k, v in first.items() if not k.startswith("ЗаказКлиента")}
            | {
                "LineNumber": 1,
                "Количество": Decimal(1),
                "КоличествоУпаковок": Decimal(1),
                "Сумма": back,
                "СуммаСНДС": back,
                "ДокументРеализации": shipment["Ref_Key"],
                "ДокументРеализации_Type": "StandardODATA." + ut11.SHIPMENTS,
            }
        ],
    )
    sb.post(ut11.RETURNS, ret["Ref_Key"])
    with world.service() as svc:
        svc.run(flows=(Flow.F4,))
    fields, _stage = _crm_fields(world, crm_id)
    assert fields.shipped == shipped - back


def test_check_command_names_the_configuration(ut_world: World) -> None:
    exe = shutil.which("desktop-sync", path=str(Path(sys.executable).parent))
    assert exe
    env = {
        **os.environ,
        **ut_world.env(),
        "DESKTOP_SYNC_LANG": "en",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    check = subprocess.run(
        [exe, "check", "--json"], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    report = json.loads(check.stdout)
    assert check.returncode == 0, report["problems"]
    assert report["ok"] and report["onec"]["configuration"] == "1С:Управление торговлей 11"
    names = {e["name"]: e for e in report["onec"]["entities"]}
    assert names["partners"]["writable"] and names["invoices"]["entity"] == ut11.ORDERS
