"""Query building: every value escaped, names checked, 1C's literal forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from desktop_sync.connectors.onec import Guid, Query, convert
from desktop_sync.connectors.onec import literals as lit


def test_string_literal_doubles_apostrophes_only() -> None:
    assert lit.string("Д'Артаньян") == "'Д''Артаньян'"
    assert lit.string('ООО "Рога" «и» копыта') == "'ООО \"Рога\" «и» копыта'"
    assert lit.eq("Description", "x' or Code ne '") == "Description eq 'x'' or Code ne '''"


def test_guid_and_datetime_literals() -> None:
    g = "8B9660F6-6332-11EC-AD72-000C29B45B09"
    assert lit.literal(Guid(g)) == "guid'8b9660f6-6332-11ec-ad72-000c29b45b09'"
    with pytest.raises(ValueError):
        Guid("51")
    assert lit.literal(dt.date(2026, 3, 1)) == "datetime'2026-03-01T00:00:00'"
    assert lit.literal(dt.datetime(2026, 3, 1, 9, 5, 7, 123)) == "datetime'2026-03-01T09:05:07'"
    with pytest.raises(ValueError, match="aware"):
        lit.literal(dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    assert lit.literal(Decimal("10.50")) == "10.50"
    assert lit.literal(True) == "true"


def test_field_names_cannot_smuggle_operators() -> None:
    with pytest.raises(ValueError):
        lit.eq("Description eq 'a' or Code", "x")
    with pytest.raises(ValueError):
        Query(select=("Ref_Key,DataVersion",)).params()
    assert lit.eq("Контрагент/ИНН", "7701") == "Контрагент/ИНН eq '7701'"


def test_query_params_and_encoding() -> None:
    q = Query(
        filter=lit.eq("Description", "A & B+C"),
        select=("Ref_Key",),
        top=5,
        skip=10,
        orderby=("Code desc",),
        inlinecount=True,
        allowed_only=True,
    )
    qs = lit.query_string(q.params())
    assert "%20" in qs and "+" not in qs.replace("%2B", "")
    assert "%26" in qs and "$top=5" in qs and "$skip=10" in qs
    assert "$inlinecount=allpages" in qs and "allowedOnly=true" in qs


def test_any_of_and_composition() -> None:
    a, b = "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"
    assert lit.any_of("Ref_Key", [a, b]) == f"(Ref_Key eq guid'{a}' or Ref_Key eq guid'{b}')"
    assert lit.and_("A eq 1", "", "B eq 2 or C eq 3") == "(A eq 1) and (B eq 2 or C eq 3)"
    assert lit.and_("", "A eq 1") == "A eq 1"


def test_conversions_of_empty_values() -> None:
    assert convert.ref("00000000-0000-0000-0000-000000000000") is None
    assert convert.date("0001-01-01T00:00:00") is None
    assert convert.date("2026-03-16T23:59:59") == dt.date(2026, 3, 16)
    moscow = ZoneInfo("Europe/Moscow")
    ts = convert.timestamp("2026-03-16T10:00:00", moscow)
    assert ts is not None and ts.astimezone(dt.UTC).hour == 7
    assert convert.printed_number("СВ00-000012") == "12"
    assert convert.printed_number("0000-000100") == "100"
