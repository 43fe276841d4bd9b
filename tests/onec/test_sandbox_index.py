"""Large sets are answered without a scan (issue 18), with the same answer as a scan.

A read by keys (``Ref_Key eq guid'…' or …``) takes the named records from the set,
and ``$orderby=Ref_Key`` sorts by the key itself: on the large set the filter
evaluated on every record of the set, per request, kept a sync from finishing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from desktop_sync.domain.money import loads_decimal
from desktop_sync.sandbox.onec import OnecSandbox
from desktop_sync.sandbox.onec.filters import Evaluator

INVOICES = "Document_СчетНаОплатуПокупателю"
MISSING = "0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f"


@pytest.fixture
def http(sandbox: OnecSandbox) -> Iterator[httpx.Client]:
    sandbox.faults.clear()
    with httpx.Client(auth=(sandbox.user, sandbox.password), timeout=5) as c:
        yield c


def _read(http: httpx.Client, sb: OnecSandbox, **params: str) -> list[dict[str, Any]]:
    qs = "&".join(f"{k}={quote(v, safe=chr(39) + '(),$:/')}" for k, v in params.items())
    r = http.get(f"{sb.url}/{INVOICES}?$format=json&{qs}")
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = loads_decimal(r.content)["value"]
    return rows


def _keys(sb: OnecSandbox) -> list[str]:
    return [str(r["Ref_Key"]) for r in sb.store.all(INVOICES)]


def test_read_by_keys_answers_as_a_scan(http: httpx.Client, sandbox: OnecSandbox) -> None:
    keys = _keys(sandbox)
    asked = [keys[7], keys[2].upper(), MISSING, keys[-1], keys[2]]
    flt = " or ".join(f"Ref_Key eq guid'{k}'" for k in asked)
    got = [r["Ref_Key"] for r in _read(http, sandbox, **{"$filter": flt})]
    # a scan gives the records in the set's order, each once, the missing one left out
    assert got == [k for k in keys if k in {keys[2], keys[7], keys[-1]}]
    one = _read(http, sandbox, **{"$filter": f"Ref_Key eq guid'{keys[5]}'"})
    assert [r["Ref_Key"] for r in one] == [keys[5]]
    assert _read(http, sandbox, **{"$filter": f"Ref_Key eq guid'{MISSING}'"}) == []
    # anything more than keys is evaluated on the whole set, as before
    mixed = f"Ref_Key eq guid'{keys[3]}' or Posted eq true"
    expected = [str(r["Ref_Key"]) for r in sandbox.store.all(INVOICES) if r["Posted"]]
    expected = [k for k in keys if k == keys[3] or k in expected]
    assert [r["Ref_Key"] for r in _read(http, sandbox, **{"$filter": mixed})] == expected


def test_read_by_keys_looks_only_at_the_named(
    http: httpx.Client, sandbox: OnecSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = _keys(sandbox)
    seen: list[str] = []
    real = Evaluator.matches

    def counting(self: Evaluator, node: Any, rec: dict[str, Any]) -> bool:
        seen.append(str(rec["Ref_Key"]))
        return real(self, node, rec)

    monkeypatch.setattr(Evaluator, "matches", counting)
    flt = " or ".join(f"Ref_Key eq guid'{k}'" for k in (keys[1], keys[4], MISSING))
    assert len(_read(http, sandbox, **{"$filter": flt})) == 2
    assert sorted(seen) == sorted([keys[1], keys[4]])  # not every record of the set


@pytest.mark.parametrize("direction", ["", " asc", " desc"])
def test_order_by_key_pages_as_the_general_order(
    http: httpx.Client, sandbox: OnecSandbox, direction: str
) -> None:
    # Ref_Key is unique: a second key never reorders, and sends the general path
    general = _read(http, sandbox, **{"$orderby": f"Ref_Key{direction},Number"})
    assert len(general) > 10
    fast = _read(http, sandbox, **{"$orderby": f"Ref_Key{direction}"})
    assert [r["Ref_Key"] for r in fast] == [r["Ref_Key"] for r in general]
    page = _read(http, sandbox, **{"$orderby": f"Ref_Key{direction}", "$top": "5", "$skip": "3"})
    assert [r["Ref_Key"] for r in page] == [r["Ref_Key"] for r in general[3:8]]


COUNTERPARTIES = "Catalog_Контрагенты"


def _counterparties(http: httpx.Client, sb: OnecSandbox, flt: str) -> list[str]:
    qs = quote(flt, safe=chr(39) + "(),$:/")
    r = http.get(f"{sb.url}/{COUNTERPARTIES}?$format=json&$filter={qs}")
    assert r.status_code == 200, r.text
    return [row["Ref_Key"] for row in loads_decimal(r.content)["value"]]


def test_look_up_by_inn_and_kpp_answers_as_a_scan_and_looks_only_at_that_inn(
    http: httpx.Client, sandbox: OnecSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = sandbox.store.all(COUNTERPARTIES)
    some = next(r for r in records if r["ИНН"] and r["КПП"])
    flt = f"(IsFolder eq false) and (ИНН eq '{some['ИНН']}') and (КПП eq '{some['КПП']}')"
    expected = [
        r["Ref_Key"]
        for r in records
        if not r["IsFolder"] and r["ИНН"] == some["ИНН"] and r["КПП"] == some["КПП"]
    ]
    seen: list[str] = []
    real = Evaluator.matches

    def counting(self: Evaluator, node: Any, rec: dict[str, Any]) -> bool:
        seen.append(str(rec["Ref_Key"]))
        return real(self, node, rec)

    monkeypatch.setattr(Evaluator, "matches", counting)
    assert _counterparties(http, sandbox, flt) == expected
    same_inn = [r["Ref_Key"] for r in records if r["ИНН"] == some["ИНН"]]
    assert sorted(seen) == sorted(same_inn)  # not every counterparty of the base
    assert _counterparties(http, sandbox, "ИНН eq '0000000000'") == []
    # an equality of another shape (a function, an "or") is evaluated on every record
    seen.clear()
    both = f"ИНН eq '{some['ИНН']}' or КПП eq '{some['КПП']}'"
    assert _counterparties(http, sandbox, both) == [
        r["Ref_Key"] for r in records if r["ИНН"] == some["ИНН"] or r["КПП"] == some["КПП"]
    ]
    assert len(seen) == len(records)


def test_a_changed_inn_is_found_by_its_new_value(fresh: OnecSandbox) -> None:
    with httpx.Client(auth=(fresh.user, fresh.password), timeout=5) as http:
        some = next(r for r in fresh.store.all(COUNTERPARTIES) if r["ИНН"])
        old = str(some["ИНН"])
        assert some["Ref_Key"] in _counterparties(http, fresh, f"ИНН eq '{old}'")
        fresh.edit(COUNTERPARTIES, some["Ref_Key"], ИНН="9909909909")
        assert some["Ref_Key"] not in _counterparties(http, fresh, f"ИНН eq '{old}'")
        assert some["Ref_Key"] in _counterparties(http, fresh, "ИНН eq '9909909909'")
        added = fresh.add(COUNTERPARTIES, Description="Новый", ИНН="9909909909")
        found = _counterparties(http, fresh, "ИНН eq '9909909909'")
        assert found[-1] == added["Ref_Key"] and some["Ref_Key"] in found
