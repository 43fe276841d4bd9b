"""Requisites added to companies that exist, many to a batch request (UT 11: the
counterparties joining their partner's company): one outcome each, a refusal only its own."""

from __future__ import annotations

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.errors import Bitrix24Error
from desktop_sync.domain.entities import Counterparty, CounterpartyKind
from desktop_sync.domain.requisites import make_inn
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox


def _branch(n: int) -> Counterparty:
    return Counterparty(
        f"ООО «Филиал {n}»",
        CounterpartyKind.ORGANIZATION,
        inn=make_inn(f"77013{n:04d}"),
        kpp="770101001",
    )


def test_requisites_go_in_one_request_and_a_refusal_fails_only_its_own(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    company = client.companies.read()[0].counterparty.crm_id
    assert company is not None
    items = [(company, _branch(n), f"branch-{n}") for n in range(60)]
    items[3] = (999_999, _branch(3), "branch-3")  # no such company
    portal.stats.reset()
    made = client.companies.add_requisites(items)
    assert portal.stats.calls["batch"] == 2  # 50 to a request
    assert portal.stats.calls["crm.requisite.add"] == 0
    refused = made.pop(3)
    assert isinstance(refused, Bitrix24Error) and "Entity is not found" in str(refused)
    assert all(isinstance(m, int) for m in made), made
    for n, requisite_id in enumerate(made[:3]):
        assert client.companies.find_requisite_by_xml_id(f"branch-{n}") == requisite_id
    assert client.companies.requisite_owner(int(made[0])) == (4, company)  # type: ignore[arg-type]
    assert client.companies.find_requisite_by_xml_id("branch-3") is None
