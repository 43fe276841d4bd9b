"""Paging through the medium data set (about 1,000 counterparties, 2,000 products)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from desktop_sync.sandbox.dataset import build
from desktop_sync.sandbox.onec import OnecSandbox, start

from .conftest import make_client


@pytest.fixture(scope="module")
def medium() -> Iterator[OnecSandbox]:
    with start(seed=2, size="medium") as sb:
        yield sb


def test_full_read_of_the_medium_set(medium: OnecSandbox) -> None:
    ds = build(2, "medium")
    with make_client(medium, page_size=500) as c:
        counterparties = c.counterparties()
        products = c.products()
        invoices = c.invoices()
        requests = c.requests
    assert (
        len(counterparties) == len(ds.counterparties_in_onec) + 3
    )  # + supplier, tax office, largest
    assert len({p.onec_ref for p in products}) == len(ds.products)
    assert len({i.onec_ref for i in invoices}) == len(ds.onec_invoices)
    pages = (
        (len(counterparties) // 500 + 1) + (len(products) // 500 + 1) + (len(invoices) // 500 + 1)
    )
    assert requests == pages + 3  # + units, price types and prices, each read once
