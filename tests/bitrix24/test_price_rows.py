"""A base price written in the run that read it updates the row the read listed (issue 18).

The sync's read lists every base price row (``catalog.price.list``); a price changed
later in the same run needs its row's id, which it used to read again, 50 products a
request. Over loopback, against the sandbox portal.
"""

from __future__ import annotations

from decimal import Decimal

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.crm.changes import BasePrice
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox


def _price_reads(portal: Bitrix24Sandbox) -> int:
    return portal.stats.calls["catalog.price.list"] + portal.stats.subcalls["catalog.price.list"]


def test_a_price_after_a_full_read_is_written_without_reading_its_row(
    portal: Bitrix24Sandbox, client: Bitrix24Client
) -> None:
    lists = client.read_lists()
    product = next(p.product for p in lists.products if p.product.price is not None)
    pid = product.crm_id or 0
    price = (product.price or Decimal(0)) + Decimal("10.01")
    before = _price_reads(portal)
    assert client.changes.write([[BasePrice(pid, price)]], "prices") == [None]
    assert _price_reads(portal) == before  # was one batch of price reads
    client.forget()  # a new run: the rows are read again
    again = next(p for p in client.read_lists().products if p.product.crm_id == pid)
    assert again.product.price == price


def test_without_a_read_the_row_is_read_first(
    portal: Bitrix24Sandbox, client: Bitrix24Client
) -> None:
    product = next(p.product for p in client.catalog.products() if p.product.price is not None)
    pid = product.crm_id or 0
    before = _price_reads(portal)
    assert client.changes.write([[BasePrice(pid, Decimal("12.34"))]], "prices") == [None]
    assert _price_reads(portal) > before
    assert client.catalog.base_prices()[pid] == Decimal("12.34")
