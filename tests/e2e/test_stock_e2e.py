"""F6 end to end: CRM store balances brought to 1C's, through S/D store documents."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from desktop_sync.config import ProfileStore
from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.engine.model import Flow
from desktop_sync.engine.planner import PRODUCT

from .conftest import World


def _map_warehouse(world: World) -> tuple[str, int]:
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        stores = c.inventory.stores()
    with world.story.client() as o:
        warehouses = o.warehouses()
    name = warehouses[0].name
    store = next(s for s in stores if s.name == name)
    assert store.crm_id is not None
    profile = world.profile.with_setting(f"warehouse.{name}", str(store.crm_id))
    ProfileStore(world.paths.profiles_file).put(profile)
    world.profile = profile
    return name, store.crm_id


def test_stock_follows_1c(world: World) -> None:
    name, store_id = _map_warehouse(world)
    with world.service() as svc:
        svc.run(flows=(Flow.F7, Flow.F5))  # products linked first
        summary, plan = svc.run(flows=(Flow.F6,))
        assert summary.counts["failed"] == 0, summary.failures
        assert any(op.flow is Flow.F6 for op in plan.operations)
        _s, again = svc.run(flows=(Flow.F6,))
        links = {link.onec_ref: int(link.crm_id or 0) for link in svc.journal.links(PRODUCT)}
        warehouse_ref = next(w for w in svc.onec.warehouses() if w.name == name).onec_ref
        levels = [lv for lv in svc.onec.stock() if lv.warehouse_ref == warehouse_ref]
    assert again.operations == ()  # converged
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        amounts = {(a.product_id, a.store_id): a.amount for a in c.inventory.store_amounts()}
    checked = 0
    for level in levels:
        pid = links.get(level.product_ref)
        if pid is None:
            continue
        assert amounts.get((pid, store_id), Decimal(0)) == level.quantity, level
        checked += 1
    assert checked > 0


def _title_look_ups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The requests that look store documents up by their title: how many each asked."""
    seen: list[int] = []
    batch = RestClient.batch

    def counted(self: RestClient, commands: Mapping[str, tuple[str, Any]], **kw: Any) -> Any:
        finds = [p for m, p in commands.values() if "=title" in (p.get("filter") or {})]
        if finds:
            seen.append(len(finds))
        return batch(self, commands, **kw)

    monkeypatch.setattr(RestClient, "batch", counted)
    return seen


@pytest.mark.usefixtures("payloads_kept")
def test_receipt_to_one_store_and_write_off_from_another(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A person changed the CRM balances by hand: 1C (the master) brings them back, by an
    S document in one store and a D document in the other; an unmapped store is untouched.
    Both documents are looked up, with the fresh balances, in one request."""
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        stores = c.inventory.stores()
    with world.story.client() as o:
        warehouses = o.warehouses()
    mapped = [next(s for s in stores if s.name == w.name) for w in warehouses[:2]]
    profile = world.profile
    for w, s in zip(warehouses[:2], mapped, strict=True):
        profile = profile.with_setting(f"warehouse.{w.name}", str(s.crm_id))
    ProfileStore(world.paths.profiles_file).put(profile)
    world.profile = profile
    with world.service() as svc:
        svc.run(flows=(Flow.F7, Flow.F5))
        svc.run(flows=(Flow.F6,))  # converge first
        links = [int(lk.crm_id or 0) for lk in svc.journal.links(PRODUCT)]
    store_a, store_b = (s.crm_id or 0 for s in mapped)
    rows = world.crm.store.store_products.rows.values()
    in_a = next(
        r for r in rows if r["storeId"] == store_a and r["productId"] in links and r["amount"] > 1
    )
    in_b = next(r for r in rows if r["storeId"] == store_b and r["productId"] in links)
    untouched = {
        (r["productId"], r["storeId"]): r["amount"]
        for r in rows
        if r["storeId"] not in (store_a, store_b)
    }
    want_a, want_b = in_a["amount"], in_b["amount"]
    in_a["amount"] -= 1  # sold without a document: the CRM shows too little in A
    in_b["amount"] += 5  # counted twice: too much in B
    look_ups = _title_look_ups(monkeypatch)
    with world.service() as svc:
        summary, plan = svc.run(flows=(Flow.F6,))
        assert summary.counts["failed"] == 0
        kinds = sorted(op.payload.doc_type for op in plan.operations)
        assert kinds == ["D", "S"]
        assert look_ups == [2]  # was a request for each document
        _s, again = svc.run(flows=(Flow.F6,))
    assert again.operations == ()
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        amounts = {(a.product_id, a.store_id): a.amount for a in c.inventory.store_amounts()}
    assert amounts[(in_a["productId"], store_a)] == want_a
    assert amounts[(in_b["productId"], store_b)] == want_b
    for key, amount in untouched.items():
        assert amounts.get(key, Decimal(0)) == amount


@pytest.mark.usefixtures("payloads_kept")
def test_stock_of_products_created_in_the_same_run(world: World) -> None:
    """A fresh portal with a warehouse mapped: one apply creates the products and brings
    the store to 1C's quantities; the second apply plans nothing."""
    _map_warehouse(world)
    with world.service() as svc:
        svc.dry_run()
        for item in svc.journal.inbox():  # a CRM product of the same name: not the same one
            if item.dedup_key.startswith("F5:name:"):
                svc.resolve(item.id, "skip")
        summary, plan = svc.run()
        assert summary.counts["failed"] == 0, summary.failures
        stock_ops = [op for op in plan.operations if op.flow is Flow.F6]
        assert any(op.payload.pending for op in stock_ops)
        _s, again = svc.run()
    assert again.operations == ()
