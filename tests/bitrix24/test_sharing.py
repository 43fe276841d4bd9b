"""Groups of writes of different kinds sharing batch requests (``Bitrix24Client.together``,
docs/decisions/mixed-batches.md): one request where they fit, each group's answers under
its own keys (its references to its own commands kept), a refusal only its own, a lost
answer each group's own writes unknown."""

from __future__ import annotations

from decimal import Decimal

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.errors import Bitrix24Error, Bitrix24ServerError
from desktop_sync.domain.entities import (
    Counterparty,
    CounterpartyKind,
    Product,
    ProductKind,
    Unit,
)
from desktop_sync.domain.requisites import make_inn
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox


def _company(n: int) -> tuple[Counterparty, str]:
    cp = Counterparty(
        f"ООО «Смесь {n}»", CounterpartyKind.ORGANIZATION, inn=make_inn(f"77024{n:04d}")
    )
    return cp, f"mix-company-{n}"


def _product(n: int) -> tuple[Product, str]:
    product = Product(
        f"Товар смеси {n}", ProductKind.GOODS, unit=Unit("796", "шт"), price=Decimal(100 + n)
    )
    return product, f"mix-product-{n}"


def _references(client: Bitrix24Client) -> None:
    """The catalog's reference lists read before: only the writes count."""
    client.catalog.measures()
    client.catalog.price_types()


def _groups(
    client: Bitrix24Client, portal: Bitrix24Sandbox, companies: int, products: int
) -> list[object]:
    _references(client)
    portal.stats.reset()
    return client.together(
        [
            lambda: client.companies.add_companies(
                [_company(n) for n in range(companies)], originator_id="desktop-sync"
            ),
            lambda: client.catalog.add_products([_product(n) for n in range(products)]),
        ]
    )


def test_two_kinds_share_one_request_each_answer_its_own(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    made = _groups(client, portal, 6, 19)  # 6 x 2 + 19 x 2 = 50 commands
    assert portal.stats.calls["batch"] == 1  # alone: one request each, two
    companies, products = made
    assert isinstance(companies, list) and isinstance(products, list)
    assert len(companies) == 6 and len(products) == 19
    for n, outcome in enumerate(companies):
        assert isinstance(outcome, tuple), outcome
        company_id, requisite_id = outcome
        assert client.companies.find_company_by_origin("desktop-sync", f"mix-company-{n}") == (
            company_id
        )
        assert requisite_id is not None  # its $result reference named its own company
        assert client.companies.requisite_owner(requisite_id) == (4, company_id)
    prices = client.catalog.base_prices()
    for n, product_id in enumerate(products):
        assert isinstance(product_id, int), product_id
        assert client.catalog.find_product_by_xml_id(f"mix-product-{n}") == product_id
        assert prices[product_id] == Decimal(100 + n)


def test_what_does_not_fit_goes_in_the_next_request(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    companies, products = _groups(client, portal, 25, 3)  # 50 + 6 commands: two requests
    assert portal.stats.calls["batch"] == 2
    assert isinstance(companies, list) and all(isinstance(c, tuple) for c in companies)
    assert isinstance(products, list) and all(isinstance(p, int) for p in products)


def test_a_refused_command_fails_only_its_own(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    company = client.companies.read()[0].counterparty.crm_id
    assert company is not None
    branches = [(company, _company(n)[0], f"mix-branch-{n}") for n in range(10)]
    branches[3] = (999_999, branches[3][1], "mix-branch-3")  # no such company
    _references(client)
    portal.stats.reset()
    requisites, products = client.together(
        [
            lambda: client.companies.add_requisites(branches),
            lambda: client.catalog.add_products([_product(n) for n in range(20)]),
        ]
    )
    assert portal.stats.calls["batch"] == 1
    assert isinstance(requisites, list) and isinstance(products, list)
    refused = requisites.pop(3)
    assert isinstance(refused, Bitrix24Error) and "Entity is not found" in str(refused)
    assert all(isinstance(r, int) for r in requisites), requisites
    assert all(isinstance(p, int) for p in products), products


def test_a_lost_answer_leaves_each_groups_own_writes_unknown_and_found_by_key(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    _references(client)
    portal.set_faults("drop:1@crm.company.add")  # run, then the connection dropped
    companies, products = _groups(client, portal, 5, 5)
    portal.set_faults("")
    assert portal.stats.calls["batch"] == 1
    assert isinstance(companies, list) and isinstance(products, list)
    for outcome in [*companies, *products]:  # each group: its own writes unknown
        assert isinstance(outcome, Bitrix24ServerError) and outcome.outcome_unknown
    for n in range(5):  # the key look-up settles each (the executor's next step)
        assert client.companies.find_company_by_origin("desktop-sync", f"mix-company-{n}")
        assert client.catalog.find_product_by_xml_id(f"mix-product-{n}")


def test_one_group_or_none_runs_as_it_is(client: Bitrix24Client) -> None:
    assert client.together([]) == []
    (only,) = client.together([lambda: client.catalog.add_products([_product(90)])])
    assert isinstance(only, list) and isinstance(only[0], int)


def test_a_groups_look_up_goes_first_then_the_writes_together(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    _references(client)
    portal.stats.reset()

    def looked_up_then_made() -> list[int | Exception]:
        assert client.products_by_xml_id(["mix-product-7"]) == {}  # a read, in a batch
        return client.catalog.add_products([_product(7)])

    companies, products = client.together(
        [
            lambda: client.companies.add_companies([_company(0)], originator_id="desktop-sync"),
            looked_up_then_made,
        ]
    )
    assert portal.stats.calls["batch"] == 2  # the read, then both writes (3 if not)
    assert isinstance(companies, list) and isinstance(companies[0], tuple)
    assert isinstance(products, list) and isinstance(products[0], int)
