"""The portal's transport and envelope, checked with plain HTTP (research §0-§2, §10)."""

from __future__ import annotations

import datetime as dt

import httpx

from desktop_sync.domain.money import loads_decimal
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox


def post(http: httpx.Client, url: str, body: dict[str, object] | None = None) -> httpx.Response:
    return http.post(url, json=body or {})


def test_envelope_has_result_total_next_and_time(
    medium: Bitrix24Sandbox, http: httpx.Client
) -> None:
    r = post(http, medium.webhook + "crm.item.list", {"entityTypeId": 31, "select": ["id"]})
    assert r.status_code == 200
    body = r.json()
    assert len(body["result"]["items"]) == 50
    assert body["next"] == 50
    assert body["total"] == len(medium.store.items)
    t = body["time"]
    for key in (
        "start",
        "finish",
        "duration",
        "processing",
        "date_start",
        "date_finish",
        "operating",
    ):
        assert key in t
    assert dt.datetime.fromisoformat(t["date_start"]).utcoffset() == dt.timedelta(hours=3)


def test_last_page_has_no_next_and_offset_is_exact_for_orm(
    medium: Bitrix24Sandbox, http: httpx.Client
) -> None:
    total = len(medium.store.items)
    r = post(
        http,
        medium.webhook + "crm.item.list",
        {"entityTypeId": 31, "select": ["id"], "start": total - 7, "order": {"id": "ASC"}},
    ).json()
    assert len(r["result"]["items"]) == 7
    assert "next" not in r
    r = post(
        http,
        medium.webhook + "crm.item.list",
        {"entityTypeId": 31, "select": ["id"], "start": 3, "order": {"id": "ASC"}},
    ).json()
    assert r["result"]["items"][0]["id"] == 4
    assert r["next"] == 53


def test_start_minus_one_skips_the_count(medium: Bitrix24Sandbox, http: httpx.Client) -> None:
    r = post(
        http,
        medium.webhook + "crm.item.list",
        {
            "entityTypeId": 31,
            "select": ["id"],
            "start": -1,
            "order": {"id": "ASC"},
            "filter": {">id": 100},
        },
    ).json()
    assert r["total"] == 0
    assert "next" not in r
    assert [i["id"] for i in r["result"]["items"]] == list(range(101, 151))


def test_legacy_list_floors_start_and_returns_strings(
    medium: Bitrix24Sandbox, http: httpx.Client
) -> None:
    r = http.get(
        medium.webhook + "crm.company.list",
        params={"start": "73", "order[ID]": "ASC", "select[]": "ID"},
    ).json()
    assert r["result"][0]["ID"] == "51"  # start 73 -> page 2 -> offset 50
    assert r["next"] == 100
    assert isinstance(r["total"], int)


def test_per_family_value_types(portal: Bitrix24Sandbox, http: httpx.Client) -> None:
    legacy = post(http, portal.webhook + "crm.company.get", {"id": 2}).json()["result"]
    assert legacy["ID"] == "2" and legacy["ASSIGNED_BY_ID"] == "1"
    item = post(http, portal.webhook + "crm.item.get", {"entityTypeId": 31, "id": 1}).json()[
        "result"
    ]["item"]
    assert item["id"] == 1 and isinstance(item["companyId"], int)
    assert item["entityTypeId"] == 31
    assert dt.datetime.fromisoformat(item["begindate"]).hour == 0
    rows = post(
        http,
        portal.webhook + "crm.item.productrow.list",
        {"filter": {"=ownerType": "SI", "=ownerId": 1}},
    ).content
    parsed = loads_decimal(rows)["result"]["productRows"][0]
    assert isinstance(parsed["quantity"], (int, type(parsed["price"])))


def test_method_names_are_case_insensitive_and_suffix_optional(
    portal: Bitrix24Sandbox, http: httpx.Client
) -> None:
    for name in ("CRM.Company.List", "crm.company.list.json", "crm.COMPANY.list"):
        assert post(http, portal.webhook + name).status_code == 200


def test_get_form_and_json_with_php_brackets(portal: Bitrix24Sandbox, http: httpx.Client) -> None:
    url = portal.webhook + "crm.company.list"
    by_get = http.get(
        url, params={"filter[>ID]": "5", "select[]": ["ID", "TITLE"], "order[ID]": "ASC"}
    ).json()["result"]
    by_form = http.post(
        url, data={"filter[>ID]": "5", "select[0]": "ID", "select[1]": "TITLE", "order[ID]": "ASC"}
    ).json()["result"]
    by_json = post(
        http, url, {"filter": {">ID": 5}, "select": ["ID", "TITLE"], "order": {"ID": "ASC"}}
    ).json()["result"]
    assert by_get == by_form == by_json
    assert by_get[0] == {"ID": "6", "TITLE": by_get[0]["TITLE"]}


def test_delete_answers_empty_array(portal: Bitrix24Sandbox, http: httpx.Client) -> None:
    r = post(http, portal.webhook + "crm.item.delete", {"entityTypeId": 31, "id": 3}).json()
    assert r["result"] == []


def test_errors_have_status_and_body_without_time(
    portal: Bitrix24Sandbox, http: httpx.Client
) -> None:
    r = post(http, portal.webhook + "crm.nothing.here")
    assert r.status_code == 404
    assert r.json() == {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}
    r = post(http, portal.url + "/rest/1/wrongcode/crm.company.list")
    assert r.status_code == 401 and r.json()["error"] == "INVALID_CREDENTIALS"
    r = post(http, portal.url + "/rest/crm.company.list")
    assert r.status_code == 401 and r.json()["error"] == "NO_AUTH_FOUND"
    hook = portal.add_webhook(scopes=("catalog",))
    r = post(http, hook + "crm.company.list")
    assert r.status_code == 403 and r.json() == {
        "error": "insufficient_scope",
        "error_description": "",
    }
    r = post(http, portal.webhook + "crm.item.get", {"entityTypeId": 31, "id": 9999})
    assert r.status_code == 400 and r.json()["error"] == "NOT_FOUND"
    r = post(http, portal.webhook + "crm.company.update", {"id": 9999, "fields": {}})
    assert r.status_code == 400 and r.json()["error"] == ""
    r = post(
        http, portal.webhook + "crm.item.list", {"entityTypeId": 31, "filter": {">nonsense": 1}}
    )
    assert r.status_code == 400 and r.json()["error"] == "INVALID_ARG_VALUE"
    r = post(http, portal.webhook + "catalog.product.list", {"filter": {}})
    assert r.status_code == 400 and isinstance(r.json()["error"], int)
    r = post(http, portal.webhook + "crm.item.list", {"entityTypeId": 5})
    assert r.json()["error"] == "ENTITY_TYPE_NOT_SUPPORTED"
    for body in (r.json(),):
        assert "time" not in body


def test_expired_webhook_is_refused(portal: Bitrix24Sandbox, http: httpx.Client) -> None:
    past = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    hook = portal.add_webhook(expires=past)
    assert post(http, hook + "scope").status_code == 401


def test_stages_and_categories(portal: Bitrix24Sandbox, http: httpx.Client) -> None:
    cats = post(http, portal.webhook + "crm.category.list", {"entityTypeId": 31}).json()["result"][
        "categories"
    ]
    assert cats[0]["isDefault"] == "Y"
    stages = post(
        http,
        portal.webhook + "crm.status.list",
        {"filter": {"ENTITY_ID": f"SMART_INVOICE_STAGE_{cats[0]['id']}"}},
    ).json()
    ids = {s["STATUS_ID"]: s for s in stages["result"]}
    assert ids["DT31_1:P"]["SEMANTICS"] == "S" and ids["DT31_1:D"]["SEMANTICS"] == "F"
    assert ids["DT31_1:N"]["SORT"] == "10"


def test_opportunity_follows_rows_unless_manual(
    portal: Bitrix24Sandbox, http: httpx.Client
) -> None:
    url = portal.webhook
    item = post(
        http, url + "crm.item.add", {"entityTypeId": 31, "fields": {"title": "x", "opportunity": 5}}
    ).json()["result"]["item"]
    assert item["opportunity"] == 5
    rows = post(
        http,
        url + "crm.item.productrow.set",
        {
            "ownerType": "SI",
            "ownerId": item["id"],
            "productRows": [
                {
                    "productName": "A",
                    "price": 80000,
                    "quantity": 2,
                    "discountRate": 20,
                    "taxRate": 20,
                    "taxIncluded": "Y",
                }
            ],
        },
    ).json()["result"]["productRows"]
    row = rows[0]
    assert (row["priceExclusive"], row["priceNetto"], row["priceBrutto"], row["discountSum"]) == (
        66666.67,
        83333.34,
        100000.01,
        16666.67,
    )
    got = post(http, url + "crm.item.get", {"entityTypeId": 31, "id": item["id"]}).json()
    assert got["result"]["item"]["opportunity"] == 160000
    post(
        http,
        url + "crm.item.update",
        {
            "entityTypeId": 31,
            "id": item["id"],
            "fields": {"isManualOpportunity": "Y", "opportunity": 7},
        },
    )
    post(
        http,
        url + "crm.item.productrow.set",
        {
            "ownerType": "SI",
            "ownerId": item["id"],
            "productRows": [{"productName": "B", "price": 10}],
        },
    )
    got = post(http, url + "crm.item.get", {"entityTypeId": 31, "id": item["id"]}).json()
    assert got["result"]["item"]["opportunity"] == 7
    listed = post(
        http,
        url + "crm.item.productrow.list",
        {"filter": {"=ownerType": "SI", "=ownerId": item["id"]}},
    ).json()["result"]["productRows"]
    assert [r["productName"] for r in listed] == ["B"]  # set replaced all rows


def test_https_with_generated_ca(tmp_path: object) -> None:
    import pathlib
    import ssl

    from desktop_sync.connectors.bitrix24 import Bitrix24Client
    from desktop_sync.sandbox.bitrix24 import start

    assert isinstance(tmp_path, pathlib.Path)
    with start(rate_limit=False, tls_dir=tmp_path) as sandbox:
        assert sandbox.url.startswith("https://") and sandbox.ca_file is not None
        context = ssl.create_default_context(cafile=str(sandbox.ca_file))
        with httpx.Client(verify=context) as c:
            assert c.post(sandbox.webhook + "scope").status_code == 200
        with Bitrix24Client(sandbox.webhook, verify=str(sandbox.ca_file)) as client:
            assert "crm" in client.scopes()


def test_price_modify_deletes_prices_not_listed(
    portal: Bitrix24Sandbox, http: httpx.Client
) -> None:
    url = portal.webhook
    http.post(
        url + "catalog.price.add",
        json={"fields": {"productId": 1, "catalogGroupId": 2, "price": 10, "currency": "RUB"}},
    )
    before = http.post(url + "catalog.price.list", json={"filter": {"productId": 1}}).json()[
        "result"
    ]["prices"]
    assert {p["catalogGroupId"] for p in before} == {1, 2}
    http.post(
        url + "catalog.price.modify",
        json={
            "fields": {
                "product": {
                    "id": 1,
                    "prices": [{"catalogGroupId": 1, "price": 77.5, "currency": "RUB"}],
                }
            }
        },
    )
    after = http.post(url + "catalog.price.list", json={"filter": {"productId": 1}}).json()[
        "result"
    ]["prices"]
    assert [(p["catalogGroupId"], p["price"]) for p in after] == [(1, 77.5)]


def test_item_list_order_is_validated(portal: Bitrix24Sandbox, http: httpx.Client) -> None:
    url = portal.webhook + "crm.item.list"
    r = post(http, url, {"entityTypeId": 31, "order": {"nonsense": "ASC"}})
    assert r.status_code == 400 and "not allowed in order" in r.json()["error_description"]
    r = post(http, url, {"entityTypeId": 31, "order": {"id": "UP"}})
    assert r.status_code == 400 and "ASC, DESC" in r.json()["error_description"]
    r = post(
        http,
        url,
        {
            "entityTypeId": 31,
            "order": {"updatedTime": "DESC", "id": "ASC"},
            "select": ["id", "updatedTime"],
        },
    )
    times = [i["updatedTime"] for i in r.json()["result"]["items"]]
    assert times == sorted(times, reverse=True)


def test_timeline_comment_reads_only_lower_case_fields(
    portal: Bitrix24Sandbox, http: httpx.Client
) -> None:
    body = {"ENTITY_ID": 1, "ENTITY_TYPE": "dynamic_31", "COMMENT": "«Оплата» д'Арт"}
    r = post(http, portal.webhook + "crm.timeline.comment.add", {"FIELDS": body})
    assert r.status_code == 400
    r = post(http, portal.webhook + "crm.timeline.comment.add", {"fields": body})
    assert r.status_code == 200 and isinstance(r.json()["result"], int)
