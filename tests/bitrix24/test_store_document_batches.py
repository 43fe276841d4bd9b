"""A store document in batch requests (F6, issue 18): the new document, its rows and its
posting share requests (the rows refer to the document by ``$result``), 50 commands to a
request; a refused row halts its request, so the document is never posted short."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.errors import Bitrix24Error
from desktop_sync.crm.types import StoreDocument
from desktop_sync.domain.entities import Product, ProductKind, Unit
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox
from tests.bitrix24.conftest import record_batches, within_input_vars

ROWS = 60  # with the document and its posting: 62 commands, two requests


def _products(client: Bitrix24Client, count: int) -> list[int]:
    made = client.catalog.add_products(
        [
            (Product(f"Товар {n}", ProductKind.GOODS, unit=Unit("796", "шт")), f"sd-{n}")
            for n in range(count)
        ]
    )
    assert all(isinstance(m, int) for m in made), made
    return [int(m) for m in made if isinstance(m, int)]


def _amounts(client: Bitrix24Client, ids: list[int], store_id: int) -> dict[int, Decimal]:
    return {
        a.product_id: a.amount
        for a in client.inventory.store_amounts(ids)
        if a.store_id == store_id
    }


def test_a_new_document_its_rows_and_its_posting_share_requests(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    ids = _products(client, ROWS)
    store_id = client.inventory.stores()[0].crm_id or 0
    title = "desktop-sync ds:p1:F6:batched"
    docs, amounts = client.inventory.find_with_amounts([title, "no such"], ids)
    assert docs == {} and not [a for a in amounts if a.amount]
    stats = portal.portal.stats
    requests = stats.requests
    rows = {pid: Decimal(n + 1) for n, pid in enumerate(ids)}
    made = client.inventory.write_document(StoreDocument(0, "S", title, "", ""), store_id, rows)
    assert made is not None
    assert stats.requests - requests == math.ceil((ROWS + 2) / 50)  # was 1 + 2 + 1 alone
    assert stats.calls["catalog.document.add"] == stats.calls["catalog.document.conduct"] == 0
    found, _ = client.inventory.find_with_amounts([title, "no such"], ids)
    assert list(found) == [title] and found[title].id == made.id
    assert found[title].status == "Y"
    assert _amounts(client, ids, store_id) == rows


def test_a_refused_row_leaves_the_document_unposted(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    ids = _products(client, 3)
    store_id = client.inventory.stores()[0].crm_id or 0
    title = "desktop-sync ds:p1:F6:refused"
    rows = {ids[0]: Decimal(1), 999_999: Decimal(1), ids[1]: Decimal(1)}  # no such product
    with pytest.raises(Bitrix24Error, match="Product"):
        client.inventory.write_document(StoreDocument(0, "S", title, "", ""), store_id, rows)
    doc = client.inventory.find_store_document(title)
    assert doc is not None and doc.status == "N"  # made, not posted: the next plan ends it
    assert [int(e["elementId"]) for e in client.inventory.document_elements(doc.id)] == [ids[0]]
    assert _amounts(client, ids, store_id).get(ids[0], Decimal(0)) == 0


def test_the_balances_of_many_products_are_asked_200_to_a_command(
    client: Bitrix24Client, portal: Bitrix24Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch command is parsed by PHP's ``parse_str``, which keeps the first 1,000
    variables (``max_input_vars``) and drops the rest: a store document's look-up asked
    the balances of all its products in one list filter (1,200 in the medium first sync),
    so the portal would have seen part of them, and the rest would have counted as none.
    The ids now go 200 to a command, the commands sharing the request, and only the
    documents' stores are asked (``stores``)."""
    real = sorted({int(r["productId"]) for r in portal.store.store_products})
    store_id = int(
        portal.store.store_products.rows[min(portal.store.store_products.rows)]["storeId"]
    )
    ids = [*range(10_000_000, 10_001_100), *real]  # no such products first, then the real
    sent = record_batches(client, monkeypatch)
    _docs, amounts = client.inventory.find_with_amounts(["no such"], ids)
    assert len(sent) == 1  # one request
    assert within_input_vars(sent[0])
    want = {
        (int(r["productId"]), int(r["storeId"])): r["amount"] for r in portal.store.store_products
    }
    assert {(a.product_id, a.store_id): a.amount for a in amounts} == want
    _docs, amounts = client.inventory.find_with_amounts(["no such"], ids, [store_id])
    mine = {k: v for k, v in want.items() if k[1] == store_id}
    assert mine != want and {(a.product_id, a.store_id): a.amount for a in amounts} == mine
