"""Every error case turns into a clear typed error; reads retry, writes never do."""

from __future__ import annotations

import httpx
import pytest

from desktop_sync.connectors.onec import (
    OnecAuthError,
    OnecBadRequest,
    OnecBadResponse,
    OnecClient,
    OnecConnectionError,
    OnecNotFound,
    OnecServerError,
    OnecTimeout,
    OnecUnavailable,
    Query,
)
from desktop_sync.sandbox.onec import OnecSandbox

from .conftest import make_client

URL = "https://1c.local/accounting/odata/standard.odata"
SECRET = "Сек-ретный-пароль"


def test_wrong_password(sandbox: OnecSandbox) -> None:
    with (
        OnecClient(sandbox.url, sandbox.user, SECRET, backoff=0.001) as c,
        pytest.raises(OnecAuthError) as e,
    ):
        c.warehouses()
    text = f"{e.value} {e.value!r} {e.value.onec_message}"
    assert SECRET not in text and "Basic" not in text and e.value.status == 401


def test_read_retried_after_a_500(sandbox: OnecSandbox, client: OnecClient) -> None:
    sandbox.faults.force("500")
    before = sandbox.request_count
    assert len(client.warehouses()) == 2
    assert sandbox.request_count - before == 2


def test_read_retried_after_503_and_drop(sandbox: OnecSandbox, client: OnecClient) -> None:
    sandbox.faults.force("503")
    sandbox.faults.force("drop")
    assert len(client.warehouses()) == 2


def test_read_gives_up_after_retries(sandbox: OnecSandbox, client: OnecClient) -> None:
    sandbox.faults.force("500", 4)
    with pytest.raises(OnecServerError) as e:
        client.warehouses()
    assert e.value.onec_code == "-1" and "внутренняя ошибка" in e.value.onec_message


def test_write_is_never_retried(sandbox: OnecSandbox, client: OnecClient) -> None:
    sandbox.faults.force("500")
    before = sandbox.request_count
    with pytest.raises(OnecServerError):
        client.create("Catalog_Склады", {"Description": "не будет"})
    assert sandbox.request_count - before == 1
    sandbox.faults.force("drop")
    with pytest.raises(OnecConnectionError) as e:
        client.create("Catalog_Склады", {"Description": "не будет"})
    assert e.value.outcome_unknown
    assert not any(r["Description"] == "не будет" for r in sandbox.store.all("Catalog_Склады"))


def test_login_page_with_200_is_an_auth_error(sandbox: OnecSandbox, client: OnecClient) -> None:
    sandbox.faults.force("html200")
    before = sandbox.request_count
    with pytest.raises(OnecAuthError, match="login page"):
        client.warehouses()
    assert sandbox.request_count - before == 1


def test_timeout(sandbox: OnecSandbox) -> None:
    sandbox.hang_seconds = 1.0
    sandbox.faults.force("timeout")
    with make_client(sandbox, timeout=0.2, retries=0) as c, pytest.raises(OnecTimeout):
        c.warehouses()


def test_unpublished_entity_and_bad_filter(client: OnecClient) -> None:
    with pytest.raises(OnecNotFound) as e:
        client.fetch("Catalog_ФизическиеЛица")
    assert "publish" in str(e.value) and e.value.entity == "Catalog_ФизическиеЛица"
    with pytest.raises(OnecBadRequest) as e2:
        client.fetch("Catalog_Контрагенты", Query(filter="tolower(Description) eq 'а'"))
    assert e2.value.onec_code == "21"


def mock(handler: httpx.MockTransport) -> OnecClient:
    return OnecClient(
        URL, "Бухгалтер", SECRET, transport=handler, backoff=0.0, sleep=lambda _: None
    )


def test_malformed_json_is_a_bad_response() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(
            200, content=b'{"value": [', headers={"content-type": "application/json"}
        )

    with mock(httpx.MockTransport(handler)) as c, pytest.raises(OnecBadResponse):
        c.warehouses()
    assert len(calls) == 4  # retried: a proxy may have cut the body
    auth = calls[0].headers["authorization"]
    assert auth.startswith("Basic ")


def test_gateway_page_and_unexpected_shapes() -> None:
    pages = iter(
        [
            httpx.Response(
                502,
                text="<html><body>502 Bad Gateway</body></html>",
                headers={"content-type": "text/html"},
            ),
        ]
        * 4
    )
    with mock(httpx.MockTransport(lambda r: next(pages))) as c, pytest.raises(OnecUnavailable):
        c.warehouses()
    shape = httpx.MockTransport(lambda r: httpx.Response(200, json={"x": 1}))
    with mock(shape) as c, pytest.raises(OnecBadResponse, match="list of records"):
        c.warehouses()
    with (
        mock(
            httpx.MockTransport(
                lambda r: httpx.Response(
                    200,
                    text="<html><body>Проверка</body></html>",
                    headers={"content-type": "text/html"},
                )
            )
        ) as c,
        pytest.raises(OnecBadResponse, match="web page"),
    ):
        c.warehouses()


def test_write_timeout_is_outcome_unknown_connect_error_is_not() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with mock(httpx.MockTransport(timeout)) as c, pytest.raises(OnecTimeout) as e:
        c.create("Catalog_Склады", {"Description": "x"})
    assert e.value.outcome_unknown
    with mock(httpx.MockTransport(refused)) as c, pytest.raises(OnecConnectionError) as e2:
        c.create("Catalog_Склады", {"Description": "x"})
    assert not e2.value.outcome_unknown and SECRET not in str(e2.value)


def test_xml_error_body_is_understood() -> None:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><m:error xmlns:m="http://schemas.microsoft'
        '.com/ado/2007/08/dataservices/metadata"><m:code>9</m:code><m:message>Экземпляр '
        'сущности "Склады" не найден по переданному ключу.</m:message></m:error>'
    )
    transport = httpx.MockTransport(
        lambda r: httpx.Response(404, text=body, headers={"content-type": "application/xml"})
    )
    with mock(transport) as c:
        assert c.find("Catalog_Склады", "00000000-0000-0000-0000-000000000001") is None


def test_reads_survive_random_faults() -> None:
    from desktop_sync.sandbox.onec import start

    with start(seed=5, faults="500:0.15,503:0.1,drop:0.05,html:0.05") as sb:
        with make_client(sb, retries=8, page_size=5) as c:
            invoices = c.invoices()
        assert len(invoices) == len(sb.store.all("Document_СчетНаОплатуПокупателю"))
        assert sb.request_count > c.requests - 1  # every attempt reached the server


def test_bad_enum_value_names_the_field(fresh_client: OnecClient) -> None:
    with pytest.raises(OnecBadRequest) as e:
        fresh_client.create("Catalog_Контрагенты", {"ЮридическоеФизическоеЛицо": "Юрлицо"})
    assert e.value.onec_code == "4" and e.value.field == "ЮридическоеФизическоеЛицо"


def test_conflict_and_tabular_create_are_typed(fresh_client: OnecClient) -> None:
    from desktop_sync.connectors.onec import OnecConflict

    wh = fresh_client.warehouses()[0]
    assert wh.onec_ref is not None
    with pytest.raises(OnecConflict):
        fresh_client.update(
            "Catalog_Склады", wh.onec_ref, {"Description": "x"}, if_match="AAAAAQAAAAA="
        )
    with pytest.raises(OnecBadRequest) as e:
        fresh_client.create("Document_СчетНаОплатуПокупателю_Товары", {"LineNumber": "1"})
    assert e.value.onec_code == "13"


def test_set_faults_while_running(fresh: OnecSandbox) -> None:
    fresh.set_faults("500:1", timeout_seconds=0.5)
    with make_client(fresh, retries=1) as c, pytest.raises(OnecServerError):
        c.warehouses()
    fresh.set_faults("")
    with make_client(fresh) as c:
        assert len(c.warehouses()) == 2
    assert fresh.hang_seconds == 0.5


def test_retry_after_is_honoured_on_503() -> None:
    slept: list[float] = []
    answers = iter(
        [
            httpx.Response(503, text="busy", headers={"retry-after": "2"}),
            httpx.Response(200, json={"value": []}),
        ]
    )
    with OnecClient(
        URL,
        "Бухгалтер",
        SECRET,
        transport=httpx.MockTransport(lambda r: next(answers)),
        backoff=0.01,
        sleep=slept.append,
    ) as c:
        assert c.warehouses() == []
    assert slept == [2.0]


def test_wrong_configuration_is_named(sandbox: OnecSandbox) -> None:
    from desktop_sync.connectors.onec import OnecProfileError
    from desktop_sync.connectors.onec.profiles import BP30, Profile

    ut_like = Profile(
        "ut11",
        "1С:Управление торговлей 11",
        {"orders": "Document_ЗаказКлиента"},
        {},
        BP30.payment_sets,
        (),
    )
    with (
        make_client(sandbox, configuration=ut_like) as c,
        pytest.raises(OnecProfileError, match="looks like configuration 'bp30'"),
    ):
        c.connect()


def test_read_retries_back_off_exponentially_with_jitter() -> None:
    # the connectors' one retry policy: backoff · 2ⁿ plus up to backoff of jitter
    slept: list[float] = []
    busy = httpx.MockTransport(lambda r: httpx.Response(503, text="busy"))
    with (
        OnecClient(URL, "Бухгалтер", SECRET, transport=busy, backoff=0.5, sleep=slept.append) as c,
        pytest.raises(OnecUnavailable),
    ):
        c.warehouses()
    assert len(slept) == 3
    for n, wait in enumerate(slept):
        assert 0.5 * 2**n <= wait <= 0.5 * 2**n + 0.5, (n, wait)
    assert slept != [0.5, 1.0, 2.0]  # not the bare exponential: jittered


def test_an_answer_is_decoded_from_its_bytes_as_json_would() -> None:
    """Issue 18: the answer is decoded from its bytes (no text of it beside them: the
    large set's stock balance was 36 MB at its decode); a byte order mark is skipped and
    every number keeps its spelling, as ``json.loads(text, parse_float=Decimal)`` did."""
    from decimal import Decimal

    from desktop_sync.connectors.onec import wire

    body = '{"value": [{"Description": "Склад «Юг»", "Сумма": 1.10, "N": 12, "E": 1e5}]}'
    for content in (body.encode(), b"\xef\xbb\xbf" + body.encode()):
        resp = httpx.Response(200, headers={"content-type": "application/json"})
        [row] = wire.answer(resp, content, "", "json")["value"]
        assert row == {"Description": "Склад «Юг»", "Сумма": Decimal("1.10"), "N": 12, "E": 100000}
        assert str(row["Сумма"]) == "1.10" and str(row["E"]) == "1E+5" and type(row["N"]) is int
    bad = httpx.Response(200, headers={"content-type": "application/json"})
    with pytest.raises(OnecBadResponse, match="malformed JSON"):
        wire.answer(bad, b'{"value": "\xff"}', "", "json")
