"""Large lists are answered from indexes (issue 18), with the same answer as a scan.

Store products by store and product, document elements by document and items by id
lists or ranges are looked up, not scanned row by row: on the large set a scan per
page made stock-document batches time out. What the portal answers must not change.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox, start
from desktop_sync.sandbox.bitrix24.store import Table


@pytest.fixture
def portal() -> Iterator[Bitrix24Sandbox]:
    with start(size="small", rate_limit=False) as sandbox:
        yield sandbox
        assert sandbox.stats.internal_errors == []


def _call(portal: Bitrix24Sandbox, method: str, body: dict[str, Any]) -> Any:
    with httpx.Client(timeout=10) as http:
        r = http.post(portal.webhook + method, json=body)
    r.raise_for_status()
    return r.json()


def _all(portal: Bitrix24Sandbox, method: str, key: str, flt: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    start_at: Any = 0
    while start_at is not None:
        body = _call(portal, method, {"filter": flt, "start": start_at})
        out.extend(body["result"][key])
        start_at = body.get("next")
    return out


def _many_stock_rows(portal: Bitrix24Sandbox, products: int = 300) -> list[int]:
    store = portal.store
    with store.lock:
        template = next(iter(store.products.rows.values()))
        while len(store.products.rows) < products + 1:
            copy = {k: v for k, v in template.items() if k != "id"}
            copy["xmlId"] = f"copy-{len(store.products.rows)}"
            store.products.insert(copy, "id")
        store_ids = list(store.stores.rows)
        product_ids = list(store.products.rows)[:products]
        for i, product_id in enumerate(product_ids):
            for store_id in store_ids:
                store.stock_row(product_id, store_id)["amount"] = Decimal(i % 7)
    return product_ids


def test_store_products_by_store_and_product_are_looked_up_not_scanned(
    portal: Bitrix24Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    product_ids = _many_stock_rows(portal)
    store_id = next(iter(portal.store.stores.rows))
    wanted = product_ids[10:40]
    everything = [
        r
        for r in portal.store.store_products.rows.values()
        if r["storeId"] == store_id and r["productId"] in wanted
    ]
    scanned: list[str] = []
    table = portal.store.store_products
    real_iter, real_ordered = Table.__iter__, Table.ordered

    def spy_iter(self: Table) -> Iterator[dict[str, Any]]:
        if self is table:
            scanned.append("iter")
        return real_iter(self)

    def spy_ordered(self: Table) -> list[dict[str, Any]]:
        if self is table:
            scanned.append("ordered")
        return real_ordered(self)

    monkeypatch.setattr(Table, "__iter__", spy_iter)
    monkeypatch.setattr(Table, "ordered", spy_ordered)
    got = _all(
        portal,
        "catalog.storeproduct.list",
        "storeProducts",
        {"=storeId": store_id, "@productId": wanted},
    )
    assert scanned == []  # answered from the index
    assert sorted(int(r["id"]) for r in got) == sorted(r["id"] for r in everything)
    assert {int(r["productId"]) for r in got} == set(wanted)


def test_indexed_answers_equal_a_scan_after_inserts_and_deletes(portal: Bitrix24Sandbox) -> None:
    product_ids = _many_stock_rows(portal, products=120)
    store_id = next(iter(portal.store.stores.rows))
    flt = {"storeId": str(store_id), "@productId": [str(p) for p in product_ids[:60]]}
    before = _all(portal, "catalog.storeproduct.list", "storeProducts", flt)
    assert len(before) == 60
    with portal.store.lock:  # a new row after the index was built, and one removed
        doomed = int(before[0]["id"])
        del portal.store.store_products.rows[doomed]
        extra_product = list(portal.store.products.rows)[-1]
        new_row = portal.store.stock_row(extra_product, store_id)
    after = _all(
        portal,
        "catalog.storeproduct.list",
        "storeProducts",
        {**flt, "@productId": [*flt["@productId"], str(extra_product)]},
    )
    ids = {int(r["id"]) for r in after}
    assert doomed not in ids and new_row["id"] in ids
    assert len(after) == 60
    # a value that is not an id matches nothing, as the portal's typed comparison does
    assert _all(portal, "catalog.storeproduct.list", "storeProducts", {"storeId": "x1"}) == []


def test_items_by_id_list_and_id_range(portal: Bitrix24Sandbox) -> None:
    ids = sorted(portal.store.items.rows)
    assert len(ids) >= 6
    lo, hi = ids[1], ids[4]
    ranged = _call(
        portal,
        "crm.item.list",
        {"entityTypeId": 31, "filter": {">=id": lo, "<id": hi}, "select": ["id"]},
    )["result"]["items"]
    assert [int(r["id"]) for r in ranged] == [i for i in ids if lo <= i < hi]
    listed = _call(
        portal,
        "crm.item.list",
        {"entityTypeId": 31, "filter": {"@id": [ids[0], ids[3], 999_999]}, "select": ["id"]},
    )["result"]["items"]
    assert [int(r["id"]) for r in listed] == [ids[0], ids[3]]


def test_client_reads_stock_of_many_products_through_the_index(
    portal: Bitrix24Sandbox,
) -> None:
    product_ids = _many_stock_rows(portal, products=200)
    client = Bitrix24Client(portal.webhook, sleep=lambda s: None)
    try:
        amounts = client.inventory.store_amounts(product_ids[:150])
    finally:
        client.close()
    stores = len(portal.store.stores.rows)
    assert len(amounts) == 150 * stores
    assert {a.product_id for a in amounts} == set(product_ids[:150])


def test_products_by_xml_id_and_prices_by_product_follow_updates(
    portal: Bitrix24Sandbox,
) -> None:
    """Issue 18: a product looked up by xmlId and a product's prices were scans of the
    whole catalog per call; now indexes, which must follow an xmlId or productId changed."""
    products = sorted(portal.store.products.rows)
    first, second = products[0], products[1]
    iblock = portal.store.products.rows[first]["iblockId"]

    def by_xml(xml_id: str) -> list[int]:
        body = _call(
            portal,
            "catalog.product.list",
            {"select": ["id", "iblockId"], "filter": {"iblockId": iblock, "=xmlId": xml_id}},
        )
        return [int(r["id"]) for r in body["result"]["products"]]

    def prices_of(product_id: int) -> set[int]:
        rows = _all(portal, "catalog.price.list", "prices", {"productId": product_id})
        return {int(r["id"]) for r in rows}

    assert by_xml("MIXED-Case-1") == []  # builds the index
    _call(portal, "catalog.product.update", {"id": first, "fields": {"xmlId": "Mixed-Case-1"}})
    assert by_xml("mixed-case-1") == [first]  # text compares casefolded, as the scan did
    before = prices_of(second)
    moved = next(iter(prices_of(first)))
    _call(portal, "catalog.price.update", {"id": moved, "fields": {"productId": second}})
    assert prices_of(second) == before | {moved}
    assert moved not in prices_of(first)


def _legacy(portal: Bitrix24Sandbox, method: str, flt: dict[str, Any]) -> list[int]:
    out: list[int] = []
    start_at: Any = 0
    while start_at is not None:
        body = _call(portal, method, {"filter": flt, "select": ["ID"], "start": start_at})
        out.extend(int(r["ID"]) for r in body["result"])
        start_at = body.get("next")
    return out


def test_companies_and_requisites_by_key_are_looked_up_not_scanned(
    portal: Bitrix24Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = portal.store
    company = next(iter(store.companies.rows.values()))
    _call(portal, "crm.company.update", {"id": company["ID"], "fields": {"ORIGIN_ID": "1c-Key"}})
    requisite = next(r for r in store.requisites.rows.values() if r.get("RQ_INN"))
    scanned: list[str] = []
    real_iter, real_ordered = Table.__iter__, Table.ordered
    watched = (store.companies, store.requisites)

    def spy_iter(self: Table) -> Iterator[dict[str, Any]]:
        if any(self is t for t in watched):
            scanned.append("iter")
        return real_iter(self)

    def spy_ordered(self: Table) -> list[dict[str, Any]]:
        if any(self is t for t in watched):
            scanned.append("ordered")
        return real_ordered(self)

    monkeypatch.setattr(Table, "__iter__", spy_iter)
    monkeypatch.setattr(Table, "ordered", spy_ordered)
    origin = str(company["ORIGIN_ID"])
    assert _legacy(portal, "crm.company.list", {"=ORIGIN_ID": origin.upper()}) == [
        i for i, r in store.companies.rows.items() if str(r.get("ORIGIN_ID")) == origin
    ]
    inn = str(requisite["RQ_INN"])
    assert _legacy(portal, "crm.requisite.list", {"RQ_INN": inn}) == [
        i for i, r in store.requisites.rows.items() if r.get("RQ_INN") == inn
    ]
    owners = [int(requisite["ENTITY_ID"]), 999_999]
    assert _legacy(portal, "crm.requisite.list", {"@ENTITY_ID": owners}) == [
        i for i, r in store.requisites.rows.items() if r["ENTITY_ID"] == owners[0]
    ]
    assert scanned == []  # answered from the indexes
    # a filter on a field with no index is a scan, with the same answer as before
    everything = _legacy(portal, "crm.company.list", {})
    assert everything == sorted(store.companies.rows)
    assert scanned


def test_a_key_changed_by_update_is_found_by_its_new_value(portal: Bitrix24Sandbox) -> None:
    company = next(iter(portal.store.companies.rows.values()))
    old = "1c-key"
    _call(portal, "crm.company.update", {"id": company["ID"], "fields": {"ORIGIN_ID": old}})
    assert _legacy(portal, "crm.company.list", {"=ORIGIN_ID": old}) == [company["ID"]]
    _call(portal, "crm.company.update", {"id": company["ID"], "fields": {"ORIGIN_ID": "new-key"}})
    assert _legacy(portal, "crm.company.list", {"=ORIGIN_ID": old}) == []
    assert _legacy(portal, "crm.company.list", {"=ORIGIN_ID": "NEW-key"}) == [company["ID"]]
    requisite = next(iter(portal.store.requisites.rows.values()))
    _call(portal, "crm.requisite.update", {"id": requisite["ID"], "fields": {"RQ_INN": "123"}})
    assert requisite["ID"] in _legacy(portal, "crm.requisite.list", {"RQ_INN": "123"})
