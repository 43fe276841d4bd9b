"""The 1C sandbox parses a page's ``$select`` once, not once for each entity (issue 18:
the emulator's own CPU), and answers as before: a bad one fails where an entity is
rendered, an empty page with it does not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from desktop_sync.sandbox.onec import OnecSandbox, render

INVOICES = "Document_СчетНаОплатуПокупателю"
SELECT = "Ref_Key,Number,Date,Товары/Количество"


@pytest.fixture
def http(sandbox: OnecSandbox) -> Iterator[httpx.Client]:
    sandbox.faults.clear()
    with httpx.Client(auth=(sandbox.user, sandbox.password), timeout=5) as c:
        yield c


def _get(http: httpx.Client, sb: OnecSandbox, query: str) -> httpx.Response:
    return http.get(f"{sb.url}/{INVOICES}?$format=json&{quote(query, safe='=&$,/')}")


def test_a_page_parses_its_select_once(
    http: httpx.Client, sandbox: OnecSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str | None] = []
    original = render.Selection

    def counted(entity: Any, text: str | None) -> render.Selection:
        made.append(text)
        return original(entity, text)

    monkeypatch.setattr(render, "Selection", counted)
    query = f"$select={SELECT}&$top=20&$skip=3"
    first = _get(http, sandbox, query)
    again = _get(http, sandbox, query)
    assert first.status_code == 200, first.text
    rows = first.json()["value"]
    assert len(rows) == 20
    assert set(rows[0]) == {"Ref_Key", "Number", "Date", "Товары"}
    assert set(rows[0]["Товары"][0]) == {"Ref_Key", "LineNumber", "Количество"}
    assert again.content == first.content
    assert made.count(SELECT) <= 1


def test_a_bad_select_fails_on_a_page_with_entities_only(
    http: httpx.Client, sandbox: OnecSandbox
) -> None:
    bad = _get(http, sandbox, "$select=Нет_такого&$top=2")
    assert bad.status_code == 400
    assert "Нет_такого" in bad.json()["odata.error"]["message"]["value"]
    empty = _get(http, sandbox, "$select=Нет_такого&$top=0")
    assert empty.status_code == 200
    assert empty.json()["value"] == []
