"""What only UT 11 has, end to end: customer orders with partner, agreement and
contract; free stock (not on hand) in the CRM; ``check`` naming the configuration.

The guarantees every configuration shares (dry run writes nothing, apply converges, a
second apply does nothing, kills leave no twins, the money flows) run on UT 11 in
tests/e2e, which is parametrized over both configurations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from desktop_sync.config import ProfileStore
from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.onec import OnecClient
from desktop_sync.domain.entities import make_line
from desktop_sync.domain.requisites import make_inn
from desktop_sync.domain.vat import VatRate
from desktop_sync.engine.model import Flow, OpKind, Outcome
from desktop_sync.engine.planner import PRODUCT
from desktop_sync.sandbox.onec import ut11

from .conftest import World, make_world
from .test_sync_e2e import crm_state


@pytest.fixture
def ut_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch, configuration="ut11")


def _client(world: World) -> OnecClient:
    return OnecClient(world.onec.url, world.onec.user, world.onec.password, configuration="ut11")


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


def test_free_stock_reaches_the_crm(ut_world: World) -> None:
    world = ut_world
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        stores = c.inventory.stores()
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
    assert again.operations == (), [(op.reason, op.changes) for op in again.operations]
    with _client(world) as o:
        wh = next(w for w in o.warehouses() if w.name == name).onec_ref
        balance = [lv for lv in o.stock_balance() if lv.warehouse_ref == wh]  # type: ignore[attr-defined]
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        amounts = {(a.product_id, a.store_id): a.amount for a in c.inventory.store_amounts()}
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


def _second_counterparty(world: World, head: str, name: str) -> str:
    """The partner of ``head`` gets a second legal entity (another ИНН) which buys too:
    a copy of one of head's orders names it."""
    sb = world.onec
    rec = sb.store.get(ut11.COUNTERPARTIES, head)
    assert rec is not None
    new = sb.add(
        ut11.COUNTERPARTIES,
        Description=name,
        НаименованиеПолное=name,
        Партнер_Key=rec["Партнер_Key"],
        ЮрФизЛицо="ЮрЛицо",
        ЮридическоеФизическоеЛицо="ЮридическоеЛицо",
        ИНН=make_inn("770812345"),
        КПП="770801001",
    )
    order = next(r for r in sb.store.all(ut11.ORDERS) if r["Контрагент_Key"] == head)
    values = {k: v for k, v in order.items() if k not in ("Ref_Key", "DataVersion", "Number")}
    values.update(Контрагент_Key=new["Ref_Key"], Posted=False)
    sb.add(ut11.ORDERS, **values)
    return str(new["Ref_Key"])


def test_partner_is_one_company_with_a_requisite_per_counterparty(ut_world: World) -> None:
    """F7 on UT: a partner's counterparties become requisites of one CRM company; each
    keeps its own name there, so renaming one never renames the other."""
    world = ut_world
    with world.service() as svc:
        _snap, plan = svc.prepare(flows=(Flow.F7,))
    head = next(
        op.source_id
        for op in plan.operations
        if op.kind is OpKind.CREATE
        and op.target.value == "crm"
        and "ООО" in op.record_label
        and not world.story.row(ut11.COUNTERPARTIES, op.source_id)["DeletionMark"]
    )
    second = _second_counterparty(world, head, "ООО «Ромашка-Юг»")
    with world.service() as svc:
        summary, plan = svc.run(flows=(Flow.F7,))
        assert summary.counts["failed"] == 0, summary.failures
        ops = {op.source_id: op for op in plan.operations if op.source_id in (head, second)}
        # whichever comes first makes the company; the other joins it
        assert sum("company of its partner" in op.reason for op in ops.values()) == 1
        link_head = svc.journal.link("counterparty", onec_ref=head)
        link_second = svc.journal.link("counterparty", onec_ref=second)
        _s, again = svc.run(flows=(Flow.F7,))
    assert again.operations == (), [(op.reason, op.changes) for op in again.operations]
    assert link_head and link_second and link_head.crm_id and link_second.crm_id
    company_id = link_head.crm_id.split("/")[0]
    assert link_second.crm_id.split("/")[0] == company_id  # one company ...
    assert link_second.crm_id != link_head.crm_id  # ... a requisite each
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        (company,) = [co for co in c.companies.read() if co.counterparty.crm_id == int(company_id)]
    names = {rq.name for rq in company.counterparty.requisites}
    assert "ООО «Ромашка-Юг»" in names and len(company.counterparty.requisites) == 2
    title = company.counterparty.name
    head_name = world.story.row(ut11.COUNTERPARTIES, head)["Description"]

    world.onec.edit(ut11.COUNTERPARTIES, second, Description="ООО «Ромашка-Юг» д'Арк")
    with world.service() as svc:
        summary, plan = svc.run(flows=(Flow.F7,))
        assert [op.target.value for op in plan.operations] == ["crm"]
        _s, again = svc.run(flows=(Flow.F7,))
    assert again.operations == (), [(op.reason, op.changes) for op in again.operations]
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        (company,) = [co for co in c.companies.read() if co.counterparty.crm_id == int(company_id)]
    assert company.counterparty.name == title  # the title stays the partner's
    assert "ООО «Ромашка-Юг» д'Арк" in {rq.name for rq in company.counterparty.requisites}
    assert world.story.row(ut11.COUNTERPARTIES, head)["Description"] == head_name


def test_products_with_packages_and_characteristics_are_sent_and_said(ut_world: World) -> None:
    """F5 on UT: such products go to the CRM in their base unit; the plan says, in the
    operation that sends each, what the CRM cannot hold; nothing waits for it."""
    world = ut_world
    with _client(world) as o:
        packaged = {pk.product_ref for pk in o.packages()}
        varied = {ch.product_ref for ch in o.characteristics()}
    with world.service() as svc:
        summary, plan = svc.run(flows=(Flow.F5,))
        assert summary.counts["failed"] == 0, summary.failures
        sent = {op.source_id: op for op in plan.operations if op.flow is Flow.F5}
        assert packaged & set(sent) and varied & set(sent)
        for ref in packaged & set(sent):
            assert "«Коробка (10 шт)» = 10" in sent[ref].reason, sent[ref].reason
        for ref in varied & set(sent):
            assert "characteristics" in sent[ref].reason
        plain = set(sent) - packaged - varied
        assert plain and all("stay in 1C" not in sent[r].reason for r in plain)
        _s, again = svc.run(flows=(Flow.F5,))
    assert again.operations == ()


def test_orders_go_to_the_warehouse_the_profile_names(ut_world: World) -> None:
    world = ut_world
    warehouses = sorted(world.onec.store.all(ut11.WAREHOUSES), key=lambda r: r["Code"])
    chosen = next(r for r in warehouses[1:] if not r["IsFolder"] and not r["DeletionMark"])
    world.profile = world.profile.with_setting("onec.warehouse", "Нет такого склада")
    ProfileStore(world.paths.profiles_file).put(world.profile)
    with world.service() as svc:
        summary, _plan = svc.run()
        assert not svc.journal.links("invoice")  # no order made anywhere else
        problems = [i for i in svc.journal.inbox() if "Нет такого склада" in i.message]
    # each refused order waits in the inbox and counts as failed in the summary
    assert problems and summary.counts["failed"] == len(problems)
    world.profile = world.profile.with_setting("onec.warehouse", chosen["Description"])
    ProfileStore(world.paths.profiles_file).put(world.profile)
    before = {r["Ref_Key"] for r in world.onec.store.all(ut11.ORDERS)}
    with world.service() as svc:
        summary, _plan = svc.run()
    assert summary.counts["failed"] == 0, summary.failures
    made = [r for r in world.onec.store.all(ut11.ORDERS) if r["Ref_Key"] not in before]
    assert made and {r["Склад_Key"] for r in made} == {chosen["Ref_Key"]}


def test_crm_invoice_of_a_product_with_characteristics_waits_unwritten(ut_world: World) -> None:
    """The CRM row cannot name a characteristic: the order waits with the reason, and
    1C is not even asked (no failing write each run)."""
    world = ut_world
    with world.service() as svc:
        svc.run(flows=(Flow.F7, Flow.F5))
        links = {lk.onec_ref: int(lk.crm_id or 0) for lk in svc.journal.links(PRODUCT)}
    with _client(world) as o:
        ref = next(ch.product_ref for ch in o.characteristics() if ch.product_ref in links)
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        inv = next(i for i in c.invoices.read() if i.stage_id == "DT31_1:N" and i.company_id)
        crm_id = inv.invoice.crm_id or 0
        row = replace(
            make_line(1, "Футболка", Decimal(2), Decimal("500"), VatRate.VAT22),
            product_crm_id=links[ref],
        )
        c.invoices.set_product_rows(crm_id, [row])
        c.invoices.update_invoice(crm_id, {"stageId": "DT31_1:S"})
    with world.service() as svc:
        summary, plan = svc.run(flows=(Flow.F1,))
    assert summary.counts["failed"] == 0, summary.failures
    (item,) = [i for i in plan.items if i.key == f"F1:row1_characteristic:{crm_id}"]
    assert "characteristics" in item.message and item.blocks
    assert all(op.source_id != str(crm_id) for op in plan.operations)
