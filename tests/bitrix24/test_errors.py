"""Every error becomes a typed error in plain words; the webhook never leaks."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from desktop_sync.connectors.bitrix24 import (
    Bitrix24AccessDenied,
    Bitrix24AuthError,
    Bitrix24BadResponse,
    Bitrix24Client,
    Bitrix24Error,
    Bitrix24NotFound,
    Bitrix24ScopeError,
    Bitrix24ServerError,
)
from desktop_sync.connectors.bitrix24.errors import scrub
from desktop_sync.i18n import language, set_language
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox, start
from desktop_sync.sandbox.bitrix24.faults import parse_faults


def secret_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def test_wrong_webhook_is_an_auth_error_without_the_secret(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    url = portal.url + "/rest/1/s3cr3tc0de/"
    client = make_client(url)
    with pytest.raises(Bitrix24AuthError) as info:
        client.companies.read()
    text = str(info.value) + repr(info.value) + repr(client)
    assert "s3cr3tc0de" not in text
    assert "webhook" in str(info.value)


def test_missing_scope_names_the_method_and_the_permission(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    client = make_client(portal.add_webhook(scopes=("crm",)))
    with pytest.raises(Bitrix24ScopeError, match=r"catalog\.catalog\.list.*'catalog'"):
        client.catalog.products()
    assert client.missing_scopes() == ["catalog", "userfieldconfig"]
    with pytest.raises(Bitrix24Error, match="userfieldconfig"):
        client.userfields.setup_custom_fields()


def test_manager_cannot_read_an_invoice_assigned_to_someone_else(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    manager = make_client(portal.manager_webhook())
    foreign = next(i for i in portal.store.items if i["assignedById"] != 2)
    with pytest.raises(Bitrix24AccessDenied, match=f"invoice {foreign['id']}"):
        manager.invoices.get(foreign["id"])


def test_not_found_names_the_record(client: Bitrix24Client) -> None:
    with pytest.raises(Bitrix24NotFound, match="invoice 4242"):
        client.invoices.get(4242)
    with pytest.raises(Bitrix24NotFound, match="does not offer"):
        client.call("crm.deal.nonexistent")


def test_what_a_request_was_about_is_said_in_russian(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    """A request's subject came out in English inside a Russian sentence («… (invoice
    4242) …», «… (payments of invoices) …»): each is translated where the message is made."""
    was = language()
    set_language("ru")
    try:
        with pytest.raises(Bitrix24NotFound) as info:
            make_client(portal.webhook).invoices.get(4242)
        manager = make_client(portal.manager_webhook())
        foreign = next(i for i in portal.store.items if i["assignedById"] != 2)
        with pytest.raises(Bitrix24AccessDenied) as denied:
            manager.invoices.get(foreign["id"])
    finally:
        set_language(was)
    assert "счёт 4242" in str(info.value) and "invoice" not in str(info.value)
    assert f"счёт {foreign['id']}" in str(denied.value)
    assert "invoice" not in str(denied.value)


def test_fault_injected_500_is_retried_on_reads(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    portal.set_faults("500:0.3,html502:0.2")
    client = make_client(portal.webhook)
    invoices = client.invoices.read()
    assert len(invoices) == len(portal.store.items)
    assert portal.stats.faults["500"] + portal.stats.faults["html502"] > 0
    assert client.counters.retries > 0


def test_500_on_a_write_is_not_retried_and_says_outcome_unknown(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    portal.set_faults("500:1@crm.company.add")
    client = make_client(portal.webhook)
    before = len(portal.store.companies)
    with pytest.raises(Bitrix24ServerError) as info:
        client.call("crm.company.add", {"fields": {"TITLE": "x"}})
    assert info.value.outcome_unknown
    assert portal.stats.calls["crm.company.add"] == 1  # sent once, never repeated
    assert len(portal.store.companies) == before


def test_timed_out_write_is_outcome_unknown_and_found_by_its_key(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    portal.set_faults("timeout:1@crm.company.add", timeout_seconds=2.0)
    client = make_client(portal.webhook, timeout=0.3)
    from desktop_sync.domain.entities import Counterparty, CounterpartyKind

    cp = Counterparty("ООО «Тайм-аут»", CounterpartyKind.ORGANIZATION)
    with pytest.raises(Bitrix24ServerError) as info:
        client.companies.add_company(cp, originator_id="ds", origin_id="k-1")
    assert info.value.outcome_unknown and "may or may not" in str(info.value)
    assert (
        client.companies.find_company_by_origin("ds", "k-1") is not None
    )  # it was saved after all


def test_timed_out_batch_reports_its_writes(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    portal.set_faults("drop:1@batch")
    client = make_client(portal.webhook)
    with pytest.raises(Bitrix24ServerError) as info:
        client.batch(
            {
                "r": ("crm.company.get", {"id": 2}),
                "w": ("crm.company.add", {"fields": {"TITLE": "y"}}),
            }
        )
    assert info.value.outcome_unknown and info.value.unknown_keys == ("w",)


def test_html_page_and_malformed_json_are_errors_not_crashes() -> None:
    pages = {
        "profile": httpx.Response(
            200,
            text="<html><body>Portal is updating</body></html>",
            headers={"Content-Type": "text/html"},
        ),
        "scope": httpx.Response(200, text='{"result": ["crm"'),
        "crm.company.add": httpx.Response(502, text="<html>Bad Gateway</html>"),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return pages[request.url.path.rsplit("/", 1)[-1]]

    with Bitrix24Client(
        "https://portal.example/rest/1/abc/",
        max_retries=1,
        transport=httpx.MockTransport(handler),
        sleep=lambda s: None,
    ) as client:
        with pytest.raises(Bitrix24BadResponse, match="HTML page"):
            client.call("profile")
        with pytest.raises(Bitrix24BadResponse, match="malformed"):
            client.call("scope")
        with pytest.raises(Bitrix24ServerError, match="HTTP 502") as info:
            client.call("crm.company.add", {"fields": {}})
        assert info.value.outcome_unknown


def test_error_code_zoo_maps_to_types() -> None:
    answers = {
        "crm.company.get": (400, {"error": "", "error_description": "Not found"}),
        "crm.requisite.add": (400, {"error": 0, "error_description": "Access denied."}),
        "catalog.product.add": (403, {"error": 200040300010, "error_description": "Access denied"}),
        "crm.item.productrow.set": (
            400,
            {"error": "OWNER_NOT_FOUND", "error_description": "Owner not found"},
        ),
        "crm.duplicate.findbycomm": (
            400,
            {"error": "Communication type is not defined", "error_description": ""},
        ),
        "crm.item.list": (401, {"error": "expired_token", "error_description": "expired"}),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        status, body = answers[request.url.path.rsplit("/", 1)[-1]]
        return httpx.Response(status, json=body)

    expected = {
        "crm.company.get": Bitrix24NotFound,
        "crm.requisite.add": Bitrix24AccessDenied,
        "catalog.product.add": Bitrix24AccessDenied,
        "crm.item.productrow.set": Bitrix24NotFound,
        "crm.duplicate.findbycomm": Bitrix24Error,
        "crm.item.list": Bitrix24AuthError,
    }
    with Bitrix24Client(
        "https://portal.example/rest/1/abc/",
        transport=httpx.MockTransport(handler),
        sleep=lambda s: None,
    ) as client:
        for method, kind in expected.items():
            with pytest.raises(kind) as info:
                client.call(method)
            assert method in str(info.value) or kind is Bitrix24AuthError


def test_plain_http_is_refused_off_loopback() -> None:
    with pytest.raises(Bitrix24Error, match="plain http"):
        Bitrix24Client("http://portal.example/rest/1/abc/")
    with pytest.raises(Bitrix24Error, match="webhook address"):
        Bitrix24Client("https://portal.example/crm/")


def test_follows_a_renamed_portal(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    portal.move_to(f"http://localhost:{portal.port}")
    client = make_client(portal.webhook)  # still on 127.0.0.1
    assert "crm" in client.scopes()
    assert client.portal == f"http://localhost:{portal.port}"


def test_logs_and_reprs_hide_the_webhook(
    portal: Bitrix24Sandbox,
    make_client: Callable[..., Bitrix24Client],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(portal.webhook)
    client.scopes()
    code = secret_of(portal.webhook)
    assert code not in caplog.text
    assert code not in repr(client)
    assert scrub(portal.webhook + "crm.item.list") == portal.url + "/rest/***/crm.item.list"


def test_fault_grammar() -> None:
    faults = parse_faults("500:0.1, timeout:0.05,html502:0.05@crm.item.list")
    assert [(f.kind, f.probability, f.method) for f in faults] == [
        ("500", 0.1, None),
        ("timeout", 0.05, None),
        ("html502", 0.05, "crm.item.list"),
    ]
    from desktop_sync.sandbox.bitrix24.faults import FaultPlan

    plan = FaultPlan("503burst:1", seed=1)
    assert [plan.draw("scope") for _ in range(5)] == ["503"] * 5
    for bad in ("500", "boom:0.1", "500:2"):
        with pytest.raises(ValueError):
            parse_faults(bad)


def test_faults_given_at_start_are_seeded() -> None:
    counts = []
    for _ in range(2):
        with (
            start(rate_limit=False, faults="500:0.5") as sandbox,
            Bitrix24Client(sandbox.webhook, sleep=lambda s: None) as client,
        ):
            for _ in range(20):
                client.call("scope")
            counts.append(sandbox.stats.faults["500"])
    assert counts[0] == counts[1] > 0


def test_client_rides_out_a_503_burst(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    portal.set_faults("503burst:0.2")
    client = make_client(portal.webhook)
    assert len(client.invoices.read()) == len(portal.store.items)
    assert client.counters.got_503 == portal.stats.rejected_503 > 0


def test_userfieldconfig_errors_as_documented(
    portal: Bitrix24Sandbox, http: httpx.Client, make_client: Callable[..., Bitrix24Client]
) -> None:
    hook = portal.add_webhook(scopes=("userfieldconfig",))
    r = http.post(hook + "userfieldconfig.list", json={"moduleId": "crm"})
    assert r.status_code == 400 and r.json() == {
        "error": "",
        "error_description": "The current method required more scopes. (crm)",
    }
    with pytest.raises(Bitrix24ScopeError):
        make_client(hook).userfields.custom_fields()
    bad = {
        "moduleId": "crm",
        "field": {
            "entityId": "CRM_SMART_INVOICE",
            "fieldName": "UF_CRM_7_X",
            "userTypeId": "string",
        },
    }
    r = http.post(portal.webhook + "userfieldconfig.add", json=bad)
    assert r.json()["error_description"] == "You cannot create custom fields"
    good = {
        "moduleId": "crm",
        "field": {
            "entityId": "CRM_SMART_INVOICE",
            "fieldName": "UF_CRM_SMART_INVOICE_X",
            "userTypeId": "string",
            "showInList": "N",
        },
    }
    field = http.post(portal.webhook + "userfieldconfig.add", json=good).json()["result"]["field"]
    assert isinstance(field["id"], str) and field["sort"] == "100" and field["showInList"] == "Y"
    again = http.post(portal.webhook + "userfieldconfig.add", json=good).json()
    assert again == {
        "error": "",
        "error_description": "Field UF_CRM_SMART_INVOICE_X already exists",
    }
    r = http.post(portal.manager_webhook() + "userfieldconfig.add", json=good)
    assert r.status_code == 400 and r.json()["error_description"] == "Access denied"


def test_read_retries_back_off_exponentially_with_jitter(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    # the connectors' one retry policy: 0.5 s · 2ⁿ plus up to 0.5 s of jitter, so that
    # clients failing together do not come back in step (the bucket waits are apart)
    portal.set_faults("500:1@scope")
    slept: list[float] = []
    client = make_client(portal.webhook, throttle=False, sleep=slept.append, max_retries=3)
    with pytest.raises(Bitrix24ServerError):
        client.call("scope")
    assert len(slept) == 3 and client.counters.retries == 3
    for n, wait in enumerate(slept):
        assert 0.5 * 2**n <= wait <= 0.5 * 2**n + 0.5, (n, wait)
    assert slept != [0.5, 1.0, 2.0]  # not the bare exponential: jittered
