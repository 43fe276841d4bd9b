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
