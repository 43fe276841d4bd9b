"""The sandbox portal's seeded records carry stamps of the past, as a portal stamps
with its own clock: on the large set the products' stamps, an hour apart, reached
2027-03 (13,334 products), and a sync's next read started its probes there."""

from __future__ import annotations

import datetime as dt

import pytest

from desktop_sync.sandbox.bitrix24.seed import seed
from desktop_sync.sandbox.bitrix24.store import Store


@pytest.mark.parametrize("size", ["small", "large"])
def test_no_seeded_product_is_stamped_after_the_story_today(size: str) -> None:
    store = Store()
    ds = seed(store, 1, size)
    end = dt.datetime.combine(ds.today + dt.timedelta(days=1), dt.time(), dt.UTC)
    late = [r["id"] for r in store.products.rows.values() if r["timestampX"] >= end]
    assert late == []
    late = [r["productId"] for r in store.prices.rows.values() if r["timestampX"] >= end]
    assert late == []
