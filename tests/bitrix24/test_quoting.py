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
