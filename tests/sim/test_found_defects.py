"""Defects the day-after-day simulation found, each pinned by a test that failed
before its fix (real clients against the sandboxes over loopback)."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop_sync.connectors.onec import OnecClient
from desktop_sync.engine.planner import PRODUCT
from desktop_sync.sandbox import onec

from .business import SEND_STAGE, inn10
from .people import CrmUser
from .sim import Simulation, Tally, open_world, service


@pytest.mark.parametrize("configuration", ["bp30", "ut11"])
def test_counterparty_lookup_before_create_works_on_both_configurations(
    configuration: str,
) -> None:
    """The lookup a create from the CRM makes first (ИНН/КПП) filtered on IsFolder,
    which UT 11's non-hierarchical Catalog_Контрагенты does not have: 1C refused it and
    every new CRM company failed to reach a UT base (seed 1, day 1 of the simulation)."""
    with onec.start(port=0, configuration=configuration) as sb:
        seeded = next(
            r for r in sb.store.all("Catalog_Контрагенты") if r.get("ИНН") and r.get("КПП")
        )
        with OnecClient(sb.url, sb.user, sb.password, configuration=configuration) as c:
            found = c.find_counterparties(str(seeded["ИНН"]), str(seeded["КПП"]))
            assert str(seeded["Ref_Key"]) in found
            assert c.find_counterparties("0000000000", "000001001") == []


@pytest.mark.parametrize("configuration", ["bp30", "ut11"])
def test_invoice_mixing_vat_included_rows_waits_instead_of_being_planned_every_run(
    tmp_path: Path, configuration: str
) -> None:
    """A CRM invoice with one row «VAT included» and one «VAT on top» cannot become one
    1C document (one setting for all rows). It was planned as a create on every run and
    refused by the connector each time, so a second sync never planned 0 operations
    (simulation seed 1, day 3). Now it waits in the inbox, named, and is not planned."""
    with open_world(tmp_path, configuration) as world:
        crm = CrmUser(world.crm.webhook)
        try:
            with service(world) as svc:
                svc.run()
            product = next(
                p
                for p in crm.list_all(
                    "catalog.product.list",
                    {"select": ["id", "iblockId", "name", "xmlId"], "filter": {"iblockId": 25}},
                    key="products",
                )
                if len(str(p.get("xmlId") or "")) == 36
            )
            inn = inn10(random.Random(15))
            company = int(crm.call("crm.company.add", {"fields": {"TITLE": "ООО «Смешанный»"}}))
            crm.call(
                "crm.requisite.add",
                {"fields": {"ENTITY_TYPE_ID": 4, "ENTITY_ID": company, "PRESET_ID": 1,
                            "NAME": "Организация", "RQ_COMPANY_NAME": "ООО «Смешанный»",
                            "RQ_INN": inn, "RQ_KPP": inn[:4] + "01001"}},
            )  # fmt: skip
            item = crm.call(
                "crm.item.add",
                {"entityTypeId": 31, "fields": {"title": "Смешанный НДС", "companyId": company,
                                                "stageId": "DT31_1:N", "currencyId": "RUB"}},
            )["item"]  # fmt: skip
            rows = [
                {"productId": int(product["id"]), "price": Decimal("1234.56"),
                 "quantity": Decimal(3), "taxRate": Decimal(22), "taxIncluded": inc}
                for inc in ("Y", "N")
            ]  # fmt: skip
            crm.call("crm.item.productrow.set",
                     {"ownerType": "SI", "ownerId": item["id"], "productRows": rows})  # fmt: skip
            crm.call("crm.item.update", {"entityTypeId": 31, "id": item["id"],
                                         "fields": {"stageId": SEND_STAGE}})  # fmt: skip
            with service(world) as svc:
                svc.run()
            with service(world) as svc:
                _summary, plan = svc.run()
            ours = [op.op_id for op in plan.operations if op.source_id == str(item["id"])]
            assert ours == []
            waiting = [i for i in plan.items if i.key.endswith(f":{item['id']}")]
            assert [i.key for i in waiting] == [f"F1:vat_included:{item['id']}"]
        finally:
            crm.close()


@pytest.mark.parametrize("configuration", ["bp30", "ut11"])
def test_one_product_waiting_in_the_inbox_does_not_hold_back_a_warehouse_stock(
    tmp_path: Path, configuration: str
) -> None:
    """The seeded catalog has a CRM product of the same name as a 1C product (F5:name,
    a person confirms). The warehouse's store document waited for that product's create,
    which the item blocks, so no stock at all reached the CRM (simulation seed 1, day 0,
    with the warehouses mapped). Now the other products' stock goes; that one follows
    once it is confirmed."""
    with open_world(tmp_path, configuration) as world:
        assert world.profile.warehouses
        with service(world) as svc:
            _summary, plan = svc.run()
        assert any(i.key.startswith("F5:name:") for i in plan.items)
        sim = Simulation(world, 1, Tally())
        try:
            with service(world) as svc:
                _summary, plan = svc.run()
                links = {
                    (str(k.onec_ref).lower(), str(k.crm_id)) for k in svc.journal.links(PRODUCT)
                }
            assert plan.operations == ()
            assert [str(f) for f in sim.stock_findings(links)] == []
        finally:
            sim.close()


def test_a_negative_1c_balance_shows_zero_in_the_crm_and_waits_named() -> None:
    """BP lets a shipment take a warehouse below zero (no stock control). F6 tried to
    write the CRM store down to −1; Bitrix24 refused the write-off ("Insufficient
    quantity") on every run, so a second sync never planned 0 (simulation seed 1, day 4).
    Now the CRM shows 0 and an attention item names the product, the warehouse and the
    1C balance."""
    from desktop_sync.domain.entities import Product, StockLevel, Warehouse
    from desktop_sync.engine.stock import plan_stock

    ops: list[Any] = []
    items: list[Any] = []
    plan_stock(
        ops=ops,
        items=items,
        profile_uuid="p",
        warehouses={"w": Warehouse(name="Южный", onec_ref="w")},
        mapping={"Южный": "2"},
        stock=[
            StockLevel("a", "w", Decimal(-1)),
            StockLevel("b", "w", Decimal(3)),
        ],
        crm_stock={(1, 2): Decimal(4), (2, 2): Decimal(5)},
        products={
            "a": Product(name="Степлер", onec_ref="a"),
            "b": Product(name="Бумага", onec_ref="b"),
        },
        product_links={"a": 1, "b": 2},
        key=lambda flow, entity, source: f"{flow.value}/{entity}/{source}",
    )
    (op,) = ops
    assert op.payload.doc_type == "D"
    assert op.payload.target == {"1": Decimal(0), "2": Decimal(3)}
    assert [i.key for i in items] == ["F6:negative:2:a"]
    assert items[0].onec_value == Decimal(-1)


@pytest.mark.parametrize("configuration", ["bp30", "ut11"])
def test_stock_that_returns_to_an_earlier_quantity_is_written_again(
    tmp_path: Path, configuration: str
) -> None:
    """A store document's key was computed from its target quantities only; when stock
    went back to a quantity written before (2 moved out, back in, out again), the new
    write-off had the key of the old, conducted one, was taken as done, and the CRM
    kept the old balance: planned again on every run (simulation seed 1, day 5)."""
    with open_world(tmp_path, configuration) as world:
        sim = Simulation(world, 1, Tally())
        try:
            sim.run()
            biz = sim.biz
            biz.day = 1
            whs = biz._warehouses()
            goods = {str(p["Ref_Key"]) for p in biz._goods()}
            with OnecClient(
                world.onec.url, world.onec.user, world.onec.password, configuration=configuration
            ) as c:
                levels = c.stock_balance() if configuration == "ut11" else c.stock()
            lv = next(
                x
                for x in levels
                if x.product_ref in goods
                and x.warehouse_ref == whs[0]["Ref_Key"]
                and x.quantity - x.reserved >= 2
            )
            a, b = whs[0], whs[1]
            for src, dst in ((a, b), (b, a), (a, b)):
                biz.move(src, dst, lv.product_ref, Decimal(2))
                sim.run()
            with service(world) as svc:
                _summary, plan = svc.run()
                links = {
                    (str(k.onec_ref).lower(), str(k.crm_id)) for k in svc.journal.links(PRODUCT)
                }
            assert [op.op_id for op in plan.operations] == []
            assert [str(f) for f in sim.stock_findings(links)] == []
        finally:
            sim.close()
