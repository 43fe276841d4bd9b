"""The batch commands' quoting is urllib's quote_plus(…, safe=""), character for character."""

from __future__ import annotations

import base64
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_sync.connectors.bitrix24.encoding import http_build_query, quote_plus


def _urllib(text: str) -> str:
    return urllib.parse.quote_plus(text, safe="")


@given(st.text())
def test_any_text_is_quoted_as_urllib_quotes_it(text: str) -> None:
    assert quote_plus(text) == _urllib(text)


def test_a_pdf_in_base64_and_the_comment_beside_it() -> None:
    data = base64.b64encode(bytes(range(256)) * 200).decode("ascii")
    comment = "Счёт на оплату № 28 от 03.03.2026 (PDF). [desktop-sync:k] [v:0f1e]"
    for text in (data, comment, "a b+c/d=e&f%g~h_i.j-k", "", " ", "\x00\x7f\x80"):
        assert quote_plus(text) == _urllib(text)
    params = {"fields": {"COMMENT": comment, "FILES": [["Счёт_28.pdf", data]]}}
    expected = "&".join(
        f"{_urllib(k)}={_urllib(v)}"
        for k, v in (
            ("fields[COMMENT]", comment),
            ("fields[FILES][0][0]", "Счёт_28.pdf"),
            ("fields[FILES][0][1]", data),
        )
    )
    assert http_build_query(params) == expected


def test_a_lone_surrogate_is_refused_as_urllib_refuses_it() -> None:
    with pytest.raises(UnicodeEncodeError):
        _urllib("\ud800")
    with pytest.raises(UnicodeEncodeError):
        quote_plus("\ud800")


def test_nested_values_of_every_kind_are_built_as_before() -> None:
    """``http_build_query`` with its fast paths (text first, keys quoted once) writes
    what the plain recursion writes: maps, lists, tuples, their subclasses, numbers,
    Decimals, dates, booleans, None left out."""
    import datetime as dt
    from collections import OrderedDict
    from decimal import Decimal

    class Rows(list[object]):
        pass

    params = {
        "fields": OrderedDict(
            title="Стол «Классик» 2×3",
            sum=Decimal("12345.60"),
            n=7,
            on=True,
            off=False,
            gone=None,
            when=dt.date(2026, 3, 3),
            at=dt.datetime(2026, 3, 3, 10, 5, tzinfo=dt.UTC),
            rows=Rows([{"id": 1, "price": Decimal("1.5")}, ("a", "b c")]),
        ),
        "select[]": ["ID", "TITLE"],
    }
    expected = "&".join(
        f"{_urllib(k)}={_urllib(v)}"
        for k, v in (
            ("fields[title]", "Стол «Классик» 2×3"),
            ("fields[sum]", "12345.60"),
            ("fields[n]", "7"),
            ("fields[on]", "1"),
            ("fields[off]", "0"),
            ("fields[when]", "2026-03-03"),
            ("fields[at]", "2026-03-03T10:05:00+00:00"),
            ("fields[rows][0][id]", "1"),
            ("fields[rows][0][price]", "1.5"),
            ("fields[rows][1][0]", "a"),
            ("fields[rows][1][1]", "b c"),
            ("select[][0]", "ID"),
            ("select[][1]", "TITLE"),
        )
    )
    assert http_build_query(params) == expected
    assert http_build_query(params) == expected  # the keys now from the cache
