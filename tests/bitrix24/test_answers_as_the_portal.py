"""Answers that match the real cloud portal (research/bitrix24.md §2, §4): only the
selected keys of ``crm.item.list``; ``time.operating_reset_at`` on every answer."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox, start
from desktop_sync.sandbox.bitrix24.limits import CostModel


@pytest.fixture
def cloud() -> Iterator[Bitrix24Sandbox]:
    """A cloud portal: the load limiter on (rate_limit), as every bitrix24.ru portal."""
    with start(size="small", rate_limit=True) as sandbox:
        yield sandbox
        assert sandbox.stats.internal_errors == []


def _call(portal: Bitrix24Sandbox, method: str, body: dict[str, object]) -> dict[str, object]:
    with httpx.Client(timeout=10) as http:
        r = http.post(portal.webhook + method, json=body)
    assert r.status_code == 200, r.text
    data: dict[str, object] = r.json()
    return data


def _items(portal: Bitrix24Sandbox, select: list[str] | None) -> list[dict[str, object]]:
    body: dict[str, object] = {"entityTypeId": 31, "order": {"id": "ASC"}}
    if select is not None:
        body["select"] = select
    result = _call(portal, "crm.item.list", body)["result"]
    assert isinstance(result, dict)
    items: list[dict[str, object]] = result["items"]
    assert items
    return items


def test_crm_item_list_returns_only_the_selected_keys(cloud: Bitrix24Sandbox) -> None:
    assert all(set(i) == {"title"} for i in _items(cloud, ["title"]))
    assert all(set(i) == {"id", "stageId"} for i in _items(cloud, ["id", "stageId"]))
    assert all(set(i) == {"id", "entityTypeId"} for i in _items(cloud, ["id", "entityTypeId"]))
    # Without a select (or with "*") the whole item, entityTypeId included.
    for select in (None, ["*"]):
        first = _items(cloud, select)[0]
        assert first["entityTypeId"] == 31
        assert {"id", "title", "stageId", "opportunity"} <= set(first)


def test_crm_item_list_select_in_a_batch_command(cloud: Bitrix24Sandbox) -> None:
    result = _call(
        cloud,
        "batch",
        {"halt": 0, "cmd": {"a": "crm.item.list?entityTypeId=31&select[]=title&start=-1"}},
    )["result"]
    assert isinstance(result, dict)
    items = result["result"]["a"]["items"]
    assert items and all(set(i) == {"title"} for i in items)


def test_every_answer_carries_operating_reset_at(cloud: Bitrix24Sandbox) -> None:
    # A method nothing is recorded for yet: this call's start + 600 s.
    body = _call(cloud, "crm.status.list", {"filter": {"ENTITY_ID": "SMART_INVOICE_STAGE_3"}})
    t = body["time"]
    assert isinstance(t, dict)
    # (``start`` is sent rounded to microseconds: the second may differ by one)
    assert abs(t["operating_reset_at"] - (t["start"] + 600)) <= 1
    assert t["operating"] == 0
    # A method with recorded time (calls above 0.1 s are recorded): when its oldest slot
    # leaves the ten-minute window.
    cloud.portal.cost_model = CostModel(base=0.5)
    first = _call(cloud, "crm.item.list", {"entityTypeId": 31})["time"]
    again = _call(cloud, "crm.item.list", {"entityTypeId": 31})["time"]
    assert isinstance(first, dict) and isinstance(again, dict)
    assert isinstance(first["operating_reset_at"], int)
    assert first["operating"] >= 0.5
    assert again["operating_reset_at"] == first["operating_reset_at"]
    assert first["start"] < first["operating_reset_at"] <= first["start"] + 600
    # The outer batch (exempt from the limit) and each command's own time carry it too.
    batch = _call(
        cloud, "batch", {"cmd": {"a": "crm.status.list", "b": "crm.item.fields?entityTypeId=31"}}
    )
    t = batch["time"]
    assert isinstance(t, dict)
    assert abs(t["operating_reset_at"] - (t["start"] + 600)) <= 1
    result = batch["result"]
    assert isinstance(result, dict)
    for key in ("a", "b"):
        assert "operating_reset_at" in result["result_time"][key]
