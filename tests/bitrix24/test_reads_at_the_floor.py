"""Whole reads at the floor of requests (issue 18): every page of every list in a batch
(none in a plain first call), lists read together sharing each batch request.

The floor of a read is its lists' pages (50 rows each), 50 to a batch request."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox
from tests.bitrix24.conftest import record_batches, within_input_vars


def _floor(*rows: int) -> int:
    return max(1, math.ceil(sum(max(1, math.ceil(n / 50)) for n in rows) / 50))


def _requests(portal: Bitrix24Sandbox, read: Callable[[], object]) -> int:
    before = portal.stats.requests
    read()
    return portal.stats.requests - before


def test_invoices_with_their_rows_at_the_floor(
    medium: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    client = make_client(medium.add_webhook(), throttle=False)
    floor = _floor(len(medium.store.items), len(medium.store.product_rows))
    assert _requests(medium, client.invoices.read) == floor  # 3 on the medium set (was 5)


def test_companies_and_requisites_share_their_batches(
    medium: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    client = make_client(medium.add_webhook(), throttle=False)
    requisites = sum(1 for r in medium.store.requisites if r["ENTITY_TYPE_ID"] == 4)
    floor = _floor(len(medium.store.companies), requisites)
    assert _requests(medium, client.companies.read) == floor  # 1 (was 4)


def test_the_catalog_read_takes_prices_once_beside_the_reference_lists(
    medium: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    """Products and base prices are read together, the reference lists (catalog, units,
    VAT rates, price types) in the same first batch; the prices are read once."""
    client = make_client(medium.add_webhook(), throttle=False)
    base = next(t["id"] for t in medium.store.price_types if t.get("base") == "Y")
    prices = sum(1 for p in medium.store.prices if p["catalogGroupId"] == base)
    floor = _floor(len(medium.store.products), prices)
    types = medium.stats.subcalls["catalog.pricetype.list"]
    products: list[object] = []
    assert _requests(medium, lambda: products.extend(client.catalog.products())) == floor  # 2
    assert medium.stats.subcalls["catalog.pricetype.list"] - types == 1
    assert len(products) == len(medium.store.products)


def test_a_wrong_guess_of_the_catalog_is_read_again(
    portal: Bitrix24Sandbox, client: Bitrix24Client
) -> None:
    """The first batch takes the first catalog and price type by reference; a portal
    whose first ones are not the product catalog and the base price type has its
    products and prices read again with the right ones."""
    right = client.catalog.products()
    client.forget()
    offers = next(c for c in portal.store.catalogs if c.get("productIblockId"))
    portal.store.catalogs.remove(offers)
    portal.store.catalogs.insert(0, offers)
    base = next(t for t in portal.store.price_types if t.get("base") == "Y")
    wholesale = {**base, "id": 77, "name": "Оптовая", "base": "N"}
    portal.store.price_types.insert(0, wholesale)
    assert client.catalog.products() == right


def test_a_list_expected_to_have_a_part_of_a_page_more_gets_its_whole_last_page() -> None:
    """60 contacts are 1.2 pages: two pages in the one batch request (the second page
    went in a request of its own when 1.2 was cut to 1)."""
    from desktop_sync.connectors.bitrix24.paging import shares

    assert shares(50, {"contacts": 60 / 50, "requisites": math.inf}) == {
        "contacts": 2,
        "requisites": 48,
    }
    assert shares(50, {"items": 4.3}, lead="items") == {"items": 5}


def test_a_full_read_brings_the_buyers_contacts_in_its_own_batches(
    medium: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    """The private persons buying on an invoice without a company, and their requisites,
    ride in the batches of the invoices' rows (the read's follow-ups), not in a request of
    their own after the read: the sync's whole CRM read is at the floor of its lists (5 on
    the medium set, was 6)."""
    from desktop_sync.engine.model import no_progress
    from desktop_sync.engine.read import read_crm

    client = make_client(medium.add_webhook(), throttle=False)
    st = medium.store
    lists = (st.companies, st.requisites, st.products, st.prices, st.items, st.product_rows)
    floor = _floor(*map(len, lists), len(st.store_products))
    before = medium.stats.requests
    crm = read_crm(client, no_progress, threading.Event(), stock=True).data
    assert medium.stats.requests - before == floor
    persons = {i.contact_id for i in crm.invoices.values() if i.contact_id and not i.company_id}
    assert persons and set(crm.contacts) == persons
    assert all(c.counterparty.name for c in crm.contacts.values())
    assert any(c.counterparty.requisites for c in crm.contacts.values())


def test_many_contacts_are_asked_200_to_a_command(
    portal: Bitrix24Sandbox, client: Bitrix24Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PHP's ``parse_str`` keeps a batch command's first 1,000 variables: the contacts of
    a read (a deal's buyers, a snapshot from before contacts were read) go 200 ids to a
    list filter, their commands sharing the request, not all in one filter."""
    real = sorted(int(r["ID"]) for r in portal.store.contacts)
    ids = [*range(10_000_000, 10_001_100), *real]  # no such contacts first, then the real
    sent = record_batches(client, monkeypatch)
    contacts = client.companies.contacts_of(ids)
    assert len(sent) == 1  # one request
    assert within_input_vars(sent[0])
    assert sorted(c.counterparty.crm_id or 0 for c in contacts) == real
    assert any(c.counterparty.requisites for c in contacts)
