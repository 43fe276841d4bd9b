"""PHP's ``max_input_vars``: the portal's PHP keeps the first 1,000 variables of a query
string (a batch command, a GET query, a form body) and silently drops the rest; the
sandbox refuses such a query instead, so a command of ours that a real portal would cut
short fails loudly (docs/decisions/bitrix24-sandbox.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.encoding import http_build_query
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox
from desktop_sync.sandbox.bitrix24.phpquery import (
    MAX_INPUT_VARS,
    InputVarsExceeded,
    count_vars,
    parse_str,
)


def _list(variables: int) -> dict[str, Any]:
    """``crm.company.list`` parameters of exactly ``variables`` variables: ``start`` and
    one ``select[]`` plus ids in an ``@ID`` filter (each id one variable)."""
    return {
        "filter": {"@ID": list(range(1, variables - 1))},
        "select": ["ID"],
        "start": -1,
    }


def test_php_counts_each_pair_however_deep_its_key() -> None:
    assert count_vars("a=1&b[c][d]=2&e[]=3&e[]=4") == 4
    assert count_vars("a=1&&b=2&") == 2  # strtok skips empty pieces
    assert count_vars("flag") == 1  # a name without a value is a variable too
    assert count_vars(http_build_query(_list(1000))) == 1000


def test_parse_str_refuses_the_1001st_variable_not_an_empty_piece() -> None:
    query = http_build_query(_list(MAX_INPUT_VARS))
    assert len(parse_str(query + "&&&")["filter"]["@ID"]) == MAX_INPUT_VARS - 2
    with pytest.raises(InputVarsExceeded) as refused:
        parse_str(query + "&x=1")
    assert (refused.value.count, refused.value.limit) == (1001, 1000)
    assert parse_str(query + "&x=1", max_vars=None)["x"] == "1"


def test_a_batch_command_over_1000_variables_is_refused_in_its_result_error(
    portal: Bitrix24Sandbox, http: httpx.Client
) -> None:
    cmd = {
        "fits": "crm.company.list?" + http_build_query(_list(MAX_INPUT_VARS)),
        "over": "crm.company.list?" + http_build_query(_list(MAX_INPUT_VARS + 1)),
    }
    body = http.post(portal.webhook + "batch", json={"halt": 0, "cmd": cmd}).json()
    res = body["result"]
    assert res["result"]["fits"]  # 1,000 variables: run as written
    assert "over" not in res["result"]
    error = res["result_error"]["over"]
    assert error["error"] == "MAX_INPUT_VARS_EXCEEDED"
    assert "1000" in error["error_description"]
    assert "1001" in error["error_description"]
    assert "max_input_vars" in error["error_description"]


def test_a_query_string_or_form_body_over_1000_variables_is_refused(
    portal: Bitrix24Sandbox, http: httpx.Client
) -> None:
    url = portal.webhook + "crm.company.list"
    fits = http_build_query(_list(MAX_INPUT_VARS))
    over = http_build_query(_list(MAX_INPUT_VARS + 1))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert http.post(f"{url}?{fits}").status_code == 200
    assert http.post(url, content=fits, headers=form).status_code == 200
    for answer in (
        http.post(f"{url}?{over}"),
        http.post(url, content=over, headers=form),
    ):
        assert answer.status_code == 400
        assert answer.json()["error"] == "MAX_INPUT_VARS_EXCEEDED"
    # a JSON body is decoded by the portal itself: no such limit
    assert http.post(url, json=_list(MAX_INPUT_VARS + 1)).status_code == 200


def test_the_client_never_sends_a_command_a_portal_would_cut_short(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    """On a real portal nothing would say so: the client refuses it as a bug, loudly."""
    client = make_client(portal.webhook)
    fits = client.rest.batch({"fits": ("crm.company.list", _list(MAX_INPUT_VARS))})
    assert fits.results["fits"] and not fits.errors
    requests = portal.stats.requests
    with pytest.raises(ValueError, match="over PHP's 1000 input variables"):
        client.rest.batch(
            {
                "fits": ("crm.company.list", _list(MAX_INPUT_VARS)),
                "over": ("crm.company.list", _list(MAX_INPUT_VARS + 1)),
            }
        )
    assert portal.stats.requests == requests  # nothing sent
