"""``batch``: references, halt, limits on its size, and the client's use of it (research §3)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from desktop_sync.connectors.bitrix24 import Bitrix24Client, Bitrix24NotFound, Bitrix24ScopeError
from desktop_sync.connectors.bitrix24.encoding import http_build_query
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox
from desktop_sync.sandbox.bitrix24.phpquery import parse_str


def test_build_query_is_what_parse_str_reads_back() -> None:
    params = {
        "filter": {">ID": 5, "%TITLE": "Д'Артаньян & «Ко» 50%+"},
        "select": ["ID", "TITLE"],
        "order": {"ID": "ASC"},
        "start": -1,
        "flag": True,
        "skip": None,
    }
    query = http_build_query(params)
    assert parse_str(query) == {
        "filter": {">ID": "5", "%TITLE": "Д'Артаньян & «Ко» 50%+"},
        "select": ["ID", "TITLE"],
        "order": {"ID": "ASC"},
        "start": "-1",
        "flag": "1",
    }


def test_batch_references_and_result_maps(portal: Bitrix24Sandbox, http: httpx.Client) -> None:
    cmd = {
        "first": "crm.item.list?entityTypeId=31&order[id]=ASC&filter[>id]=0&start=-1"
        "&select[]=id&select[]=companyId",
        "company": "crm.company.get?id=$result[first][items][0][companyId]",
        "title": "crm.company.list?filter[ID]=$result[company][ID]&select[]=TITLE",
        "embedded": "crm.company.list?filter[%TITLE]=x$result[company][ID]y",
    }
    body = http.post(portal.webhook + "batch", json={"halt": 0, "cmd": cmd}).json()
    res = body["result"]
    first_company = res["result"]["first"]["items"][0]["companyId"]
    assert res["result"]["company"]["ID"] == str(first_company)
    assert res["result"]["title"][0]["TITLE"] == res["result"]["company"]["TITLE"]
    assert res["result_error"] == []  # an empty map is an empty array
    assert res["result_next"] == []
    assert res["result_total"]["title"] == 1
    assert set(res["result_time"]) == set(cmd)
    assert "time" in body


def test_short_page_reference_resolves_to_the_parent_array(
    portal: Bitrix24Sandbox, http: httpx.Client
) -> None:
    cmd = {
        "a": "crm.company.list?filter[ID]=2&select[]=ID",
        "b": "crm.item.list?entityTypeId=31&filter[>id]=$result[a][49][ID]&start=-1",
    }
    res = http.post(portal.webhook + "batch", json={"cmd": cmd}).json()["result"]
    assert res["result"]["b"]["items"] == []  # ">id" compared with an array matches nothing


def test_halt_stops_at_first_error(portal: Bitrix24Sandbox, http: httpx.Client) -> None:
    cmd = {
        "a": "crm.company.get?id=2",
        "b": "crm.company.get?id=99999",
        "c": "crm.company.get?id=3",
    }
    res = http.post(portal.webhook + "batch", json={"halt": 1, "cmd": cmd}).json()["result"]
    assert list(res["result"]) == ["a"]
    assert res["result_error"]["b"]["error"] == ""
    assert "c" not in res["result"]
    res = http.post(portal.webhook + "batch", json={"halt": 0, "cmd": cmd}).json()["result"]
    assert set(res["result"]) == {"a", "c"}


def test_batch_length_nested_batch_and_scope(portal: Bitrix24Sandbox, http: httpx.Client) -> None:
    cmd = {f"c{i}": "scope" for i in range(52)}
    cmd["nested"] = "batch?cmd[x]=scope"
    r = http.post(portal.webhook + "batch", json={"cmd": cmd})
    assert r.status_code == 200
    res = r.json()["result"]
    assert len(res["result"]) == 50
    assert res["result_error"]["c51"]["error"] == "ERROR_BATCH_LENGTH_EXCEEDED"
    assert res["result_error"]["nested"]["error"] == "ERROR_BATCH_LENGTH_EXCEEDED"
    hook = portal.add_webhook(scopes=("catalog",))
    res = http.post(
        hook + "batch", json={"cmd": {"a": "crm.company.list", "b": "scope", "n": "batch"}}
    ).json()["result"]
    assert res["result_error"]["a"]["error"] == "insufficient_scope"
    assert res["result"]["b"] == ["catalog"]
    res = http.post(portal.webhook + "batch", json={"cmd": {"n": "batch"}}).json()["result"]
    assert res["result_error"]["n"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"


def test_client_batch_maps_partial_errors_to_their_keys(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    client = make_client(portal.add_webhook(scopes=("crm",)))
    reply = client.batch(
        {
            "ok": ("crm.company.get", {"id": 2}),
            "missing": ("crm.company.get", {"id": 99999}),
            "scope": ("catalog.store.list", {}),
            "add": ("crm.company.add", {"fields": {"TITLE": "ООО «Новая»"}}),
        }
    )
    assert reply.results["ok"]["ID"] == "2"
    assert isinstance(reply.errors["missing"], Bitrix24NotFound)
    assert "company" in str(reply.errors["missing"])
    assert isinstance(reply.errors["scope"], Bitrix24ScopeError)
    new_id = int(reply.results["add"])
    assert portal.store.companies.rows[new_id]["TITLE"] == "ООО «Новая»"


def test_client_halt_reports_skipped_keys(client: Bitrix24Client) -> None:
    reply = client.batch(
        {"a": ("crm.company.get", {"id": 99999}), "b": ("crm.company.get", {"id": 2})}, halt=True
    )
    assert set(reply.errors) == {"a"} and reply.skipped == ("b",)


def test_scan_pages_through_hundreds_with_few_requests(
    medium: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    client = make_client(medium.webhook)
    before = medium.stats.requests
    ids = client.invoices.invoice_ids()
    assert ids == sorted(medium.store.items.rows)
    assert len(ids) > 1000
    # 2500 rows per batch request from the first page (a plain first call was one more)
    assert medium.stats.requests - before == len(ids) // 2500 + 1


def test_numeric_command_keys_come_back_as_lists(
    portal: Bitrix24Sandbox, http: httpx.Client
) -> None:
    res = http.post(
        portal.webhook + "batch", json={"cmd": ["scope", "crm.company.get?id=2"]}
    ).json()["result"]
    assert isinstance(res["result"], list) and res["result"][1]["ID"] == "2"
    assert isinstance(res["result_time"], list)


def test_describe_for_the_sandbox_command(portal: Bitrix24Sandbox) -> None:
    assert portal.describe() == {"kind": "bitrix24", "url": portal.url, "webhook": portal.webhook}


def test_batch_all_splits_and_reports_unknown_writes(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    client = make_client(portal.webhook)
    commands = {
        f"add{i}": ("crm.company.add", {"fields": {"TITLE": f"ООО «Партия {i}»"}})
        for i in range(120)
    }
    before = len(portal.store.companies)
    portal.set_faults("drop:0.5@batch")
    reply = client.batch_all(commands)
    assert len(reply.results) + len(reply.unknown) == 120 and reply.unknown
    assert len(reply.unknown) % 50 in (0, 20)  # whole chunks
    # a dropped batch was executed: the lookups find every "unknown" company
    titles = {r["TITLE"] for r in portal.store.companies}
    assert all(commands[k][1]["fields"]["TITLE"] in titles for k in reply.unknown)
    assert len(portal.store.companies) == before + 120
