"""Every operator of a Bitrix24 list filter answers as the portal does (research §4):
``@`` in, ``%`` contains, ``=%``/``%=`` starts/ends (or LIKE with ``%``), ``=`` equal
(text without case; empty matches nothing stored), the orderings, and ``!`` denying
each of them."""

from __future__ import annotations

from typing import Any

import pytest

from desktop_sync.sandbox.bitrix24.query import FilterRules, compile_filter, resolver

ROW = {"id": 2, "title": "Рога и Копыта", "tags": ["a", "b"], "note": None}
SAMPLES = {"id": 0, "title": "", "tags": [""], "note": ""}

CASES: list[tuple[dict[str, Any], bool]] = [
    ({"@id": [1, 2]}, True),
    ({"@id": [3, None]}, False),
    ({"!@id": [1, 2]}, False),
    ({"!@id": [3]}, True),
    ({"%title": "копыт"}, True),
    ({"%title": "лес"}, False),
    ({"!%title": "копыт"}, False),
    ({"!%note": "x"}, True),
    ({"=%title": "рога"}, True),
    ({"=%title": "копыта"}, False),
    ({"%=title": "КОПЫТА"}, True),
    ({"=%title": "%и%"}, True),
    ({"=%note": "x"}, False),
    ({"title": "рога и копыта"}, True),
    ({"=title": ["x", "Рога и Копыта"]}, True),
    ({"!title": "x"}, True),
    ({"!=title": ["Рога и Копыта"]}, False),
    ({"note": ""}, True),
    ({"!note": ""}, False),
    ({"tags": "b"}, True),
    ({">id": 1}, True),
    ({">=id": 2}, True),
    ({"<id": 2}, False),
    ({"<=id": 1}, False),
    ({">note": 1}, False),
]


@pytest.mark.parametrize(("raw", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_each_operator_matches_as_the_portal(raw: dict[str, Any], expected: bool) -> None:
    rules = FilterRules(resolver(list(SAMPLES)), strict=True, allow_logic=True, samples=SAMPLES)
    assert compile_filter(raw, rules)(ROW) is expected
