"""Price-setting documents, goods receipts and moves between warehouses in both 1C
sandboxes, posted over OData and read back by our real client.

How to do it through OData (what a 1C user's form would do; ``R`` = the OData root,
``auth`` = ``(sb.user, sb.password)``; dates are naive 1C server-local time):

BP 3.0 (``start(configuration="bp30")``)::

    # prices: a record per row in InformationRegister_ЦеныНоменклатуры, Period = Date
    POST R/Document_УстановкаЦенНоменклатуры?$format=json
      {"Date": "2026-12-01T10:00:00", "ТипЦен_Key": <base price type>,
       "Товары": [{"LineNumber": 1, "Номенклатура_Key": <product>, "Цена": 1234.56}]}
    POST R/Document_УстановкаЦенНоменклатуры(guid'<Ref_Key>')/Post   (…/Unpost undoes it)
    # one price per product, type and moment: a second at the same Date → 500/-1

    # goods in: Дт 41.01 (product, warehouse) Кт 60.01; contract «с поставщиком»
    POST R/Document_ПоступлениеТоваровУслуг?$format=json
      {"Date": …, "ВидОперации": "Товары", "Организация_Key": <org>, "Склад_Key": <wh>,
       "Контрагент_Key": ref("onec-only", "supplier"),
       "ДоговорКонтрагента_Key": ref("contract", ref("onec-only", "supplier")),
       "СуммаВключаетНДС": true, "СчетУчетаРасчетовСКонтрагентом_Key": <60.01>,
       "Товары": [{"LineNumber": 1, "Номенклатура_Key": <p>, "Количество": 5,
                   "Цена": 122, "Сумма": 610, "СтавкаНДС": "НДС22", "СуммаНДС": 110,
                   "СчетУчета_Key": <41.01>}]}
    # moves: 41.01 of one warehouse to 41.01 of another
    POST R/Document_ПеремещениеТоваров?$format=json
      {"Date": …, "Организация_Key": <org>, "СкладОтправитель_Key": <a>,
       "СкладПолучатель_Key": <b>, "Товары": [{"LineNumber": 1,
       "Номенклатура_Key": <p>, "Количество": 2, "СчетУчета_Key": <41.01>}]}
    # then …(guid'<Ref_Key>')/Post; accounts: GET R/ChartOfAccounts_Хозрасчетный?
    #   $filter=Code eq '41.01' (or sb.store.account_by_code("41.01") in a test)

UT 11 (``start(configuration="ut11")``)::

    # prices count only when "Статус": "Согласован"; the price type is per row
    POST R/Document_УстановкаЦенНоменклатуры?$format=json
      {"Date": …, "Статус": "Согласован",
       "ВидыЦен": [{"LineNumber": 1, "ВидЦены_Key": <type>}],
       "Товары": [{"LineNumber": 1, "Номенклатура_Key": <p>, "ВидЦены_Key": <type>,
                   "Цена": 1234.56}]}
    # goods in (ВНаличии of ТоварыНаСкладах): a supplier partner and its counterparty
    POST R/Document_ПриобретениеТоваровУслуг?$format=json
      {"Date": …, "Организация_Key": <org>,
       "Партнер_Key": ref("partner", ref("onec-only", "supplier")),  # Поставщик = true
       "Контрагент_Key": ref("onec-only", "supplier"),
       "Договор_Key": ref("contract", ref("onec-only", "supplier")),
       "Склад_Key": <wh>, "Валюта_Key": <RUB>,
       "Товары": [{"LineNumber": 1, "Номенклатура_Key": <p>,
                   "Характеристика_Key": <one of its characteristics, if it has them>,
                   "Количество": 5, "Цена": 122, "Сумма": 610}]}
    POST R/Document_ПеремещениеТоваров?$format=json
      {"Date": …, "Организация_Key": <org>, "СкладОтправитель_Key": <a>,
       "СкладПолучатель_Key": <b>, "Товары": [{"LineNumber": 1,
       "Номенклатура_Key": <p>, "Характеристика_Key": …, "Количество": 2}]}

Posting refusals are 500 with code -1 and 1C's message, as for every document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from desktop_sync.connectors.onec import OnecClient
from desktop_sync.sandbox.dataset import ref
from desktop_sync.sandbox.onec import OnecSandbox, start
from desktop_sync.sandbox.onec.schema import ZERO_GUID

SUPPLIER = ref("onec-only", "supplier")
RUB = ref("currency", "643")
STOCK = "AccumulationRegister_ТоварыНаСкладах"


@pytest.fixture(params=["bp30", "ut11"])
def sb(request: pytest.FixtureRequest) -> Iterator[OnecSandbox]:
    with start(seed=1, size="small", configuration=request.param) as box:
        yield box


@pytest.fixture
def client(sb: OnecSandbox) -> Iterator[OnecClient]:
    with OnecClient(
        sb.url,
        sb.user,
        sb.password,
        timezone=sb.timezone,
        configuration=sb.configuration,
        backoff=0.001,
        timeout=5.0,
    ) as c:
        yield c


def _http(sb: OnecSandbox) -> httpx.Client:
    return httpx.Client(auth=(sb.user, sb.password), timeout=5.0)


def _create(sb: OnecSandbox, entity: str, body: dict[str, Any]) -> str:
    with _http(sb) as h:
        r = h.post(f"{sb.url}/{entity}?$format=json", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["Ref_Key"])


def _act(sb: OnecSandbox, entity: str, key: str, action: str) -> httpx.Response:
    with _http(sb) as h:
        return h.post(f"{sb.url}/{entity}(guid'{key}')/{action}?$format=json")


def _post(sb: OnecSandbox, entity: str, key: str) -> None:
    r = _act(sb, entity, key, "Post")
    assert r.status_code == 200, r.text


def _base_type(client: OnecClient) -> str:
    ref_ = next(t for t in client.price_types() if t.base).onec_ref
    assert ref_ is not None
    return ref_


def _price_body(sb: OnecSandbox, when: str, price_type: str, rows: list[tuple[str, float]]) -> Any:
    if sb.configuration == "bp30":
        return {
            "Date": when,
            "ТипЦен_Key": price_type,
            "Товары": [
                {"LineNumber": n, "Номенклатура_Key": p, "Цена": price}
                for n, (p, price) in enumerate(rows, start=1)
            ],
        }
    return {
        "Date": when,
        "Статус": "Согласован",
        "ВидыЦен": [{"LineNumber": 1, "ВидЦены_Key": price_type}],
        "Товары": [
            {"LineNumber": n, "Номенклатура_Key": p, "ВидЦены_Key": price_type, "Цена": price}
            for n, (p, price) in enumerate(rows, start=1)
        ],
    }


def _priced(client: OnecClient, n: int) -> list[str]:
    prices = client.prices()
    return sorted(prices)[:n]


PRICES = "Document_УстановкаЦенНоменклатуры"


# --- price-setting document ------------------------------------------------------------


def test_posting_a_price_setting_changes_the_price_the_client_reads(
    sb: OnecSandbox, client: OnecClient
) -> None:
    base = _base_type(client)
    product, other = _priced(client, 2)
    before = client.prices()
    key = _create(sb, PRICES, _price_body(sb, "2026-12-01T10:00:00", base, [(product, 1234.56)]))
    assert client.prices()[product] == before[product]  # written, not posted: no effect
    _post(sb, PRICES, key)
    after = client.prices()
    assert after[product] == Decimal("1234.56")
    assert after[other] == before[other]
    # The price as of a moment before the document is the old one (SliceLast at work).
    earlier = client.prices(as_of=dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC))
    assert earlier[product] == before[product]
    # Un-posting takes the record away; so does marking the document for deletion.
    assert _act(sb, PRICES, key, "Unpost").status_code == 200
    assert client.prices()[product] == before[product]
    _post(sb, PRICES, key)
    assert client.prices()[product] == Decimal("1234.56")
    with _http(sb) as h:
        r = h.patch(f"{sb.url}/{PRICES}(guid'{key}')?$format=json", json={"DeletionMark": True})
    assert r.status_code == 200, r.text
    assert client.prices()[product] == before[product]


def test_price_records_name_their_recorder(sb: OnecSandbox, client: OnecClient) -> None:
    base = _base_type(client)
    (product,) = _priced(client, 1)
    key = _create(sb, PRICES, _price_body(sb, "2026-12-02T10:00:00", base, [(product, 10.5)]))
    _post(sb, PRICES, key)
    register = client.profile.set("prices")
    with _http(sb) as h:
        # The recorder is a composite (Recorder + Recorder_Type): compared with a cast.
        # 1C reads '+' as itself, not a space: the filter goes with %20.
        cond = f"Recorder%20eq%20cast(guid'{key}','{PRICES}')"
        url = f"{sb.url}/{register}?$format=json&$filter={cond}"
        rows = h.get(url).json()["value"]
    assert len(rows) == 1
    assert rows[0]["Recorder_Type"] == f"StandardODATA.{PRICES}"
    assert rows[0]["Period"] == "2026-12-02T10:00:00"
    assert rows[0]["Цена"] == 10.5
    # Seeded prices were set by documents too: every record has its recorder.
    with _http(sb) as h:
        seeded = h.get(f"{sb.url}/{register}", params={"$format": "json", "$top": "5"}).json()
    assert all(r["Recorder_Type"] == f"StandardODATA.{PRICES}" for r in seeded["value"])


def test_a_second_price_at_the_same_moment_is_refused(sb: OnecSandbox, client: OnecClient) -> None:
    base = _base_type(client)
    (product,) = _priced(client, 1)
    first = _create(sb, PRICES, _price_body(sb, "2026-12-03T10:00:00", base, [(product, 11.0)]))
    _post(sb, PRICES, first)
    second = _create(sb, PRICES, _price_body(sb, "2026-12-03T10:00:00", base, [(product, 12.0)]))
    r = _act(sb, PRICES, second, "Post")
    assert r.status_code == 500
    assert r.json()["odata.error"]["code"] == "-1"
    assert (
        "Запись с такими ключевыми полями существует" in r.json()["odata.error"]["message"]["value"]
    )
    assert client.prices()[product] == Decimal("11")
    # Two rows of the same product in one document: the same refusal.
    twice = _create(
        sb, PRICES, _price_body(sb, "2026-12-03T11:00:00", base, [(product, 1.0), (product, 2.0)])
    )
    assert _act(sb, PRICES, twice, "Post").status_code == 500
    assert client.prices()[product] == Decimal("11")


def test_a_refused_repost_keeps_the_documents_records(sb: OnecSandbox, client: OnecClient) -> None:
    """1C posts in one transaction: re-posting a posted document that is refused leaves
    it posted with its old records (the sandbox used to drop them)."""
    base = _base_type(client)
    product, other = _priced(client, 2)
    first = _create(sb, PRICES, _price_body(sb, "2026-12-04T10:00:00", base, [(product, 21.0)]))
    _post(sb, PRICES, first)
    second = _create(sb, PRICES, _price_body(sb, "2026-12-04T10:00:00", base, [(other, 22.0)]))
    _post(sb, PRICES, second)
    # The document now holds a row that clashes with the first one's record (as a stale
    # form would write it): re-posting is refused.
    rec = sb.store.get(PRICES, second)
    assert rec is not None
    rec["Товары"] = [dict(rec["Товары"][0], Номенклатура_Key=product)]
    assert _act(sb, PRICES, second, "Post").status_code == 500
    assert sb.store.get(PRICES, second)["Posted"] is True  # type: ignore[index]
    prices = client.prices()
    assert prices[other] == Decimal("22")
    assert prices[product] == Decimal("21")


def test_ut_price_setting_not_agreed_records_nothing(client: OnecClient, sb: OnecSandbox) -> None:
    if sb.configuration != "ut11":
        pytest.skip("UT's price-setting has a status")
    base = _base_type(client)
    (product,) = _priced(client, 1)
    before = client.prices()[product]
    body = _price_body(sb, "2026-12-05T10:00:00", base, [(product, 99.0)])
    body["Статус"] = "НеСогласован"
    key = _create(sb, PRICES, body)
    _post(sb, PRICES, key)
    assert client.prices()[product] == before
    with _http(sb) as h:
        r = h.patch(f"{sb.url}/{PRICES}(guid'{key}')?$format=json", json={"Статус": "Согласован"})
    assert r.status_code == 200, r.text  # a posted document written again is re-posted
    assert client.prices()[product] == Decimal("99")


# --- goods receipts and moves ------------------------------------------------------------


def _stock(sb: OnecSandbox, client: OnecClient) -> dict[tuple[str, str], Decimal]:
    levels = client.stock_balance() if sb.configuration == "ut11" else client.stock()  # type: ignore[attr-defined]
    out: dict[tuple[str, str], Decimal] = {}
    for lv in levels:
        key = (lv.product_ref, lv.warehouse_ref)
        out[key] = out.get(key, Decimal(0)) + lv.quantity
    return out


def _characteristic(sb: OnecSandbox, product: str) -> str:
    if sb.configuration != "ut11":
        return ZERO_GUID
    for r in sb.store.accumulation[STOCK]:
        if r["Номенклатура_Key"] == product:
            return str(r["Характеристика_Key"])
    return ZERO_GUID


def _goods_in_stock(sb: OnecSandbox, client: OnecClient) -> tuple[str, str, str, Decimal]:
    """A product on hand in one warehouse, and another warehouse."""
    stock = _stock(sb, client)
    (product, wh), qty = next((k, q) for k, q in sorted(stock.items()) if q > 2)
    other = next(w.onec_ref for w in client.warehouses() if w.onec_ref != wh)
    assert other is not None
    return product, wh, other, qty


def _receipt(sb: OnecSandbox, org: str, wh: str, product: str, qty: int) -> tuple[str, Any]:
    if sb.configuration == "bp30":
        return "Document_ПоступлениеТоваровУслуг", {
            "Date": "2026-12-01T11:00:00",
            "ВидОперации": "Товары",
            "Организация_Key": org,
            "Склад_Key": wh,
            "Контрагент_Key": SUPPLIER,
            "ДоговорКонтрагента_Key": ref("contract", SUPPLIER),
            "ВалютаДокумента_Key": RUB,
            "СуммаВключаетНДС": True,
            "СуммаДокумента": 122 * qty,
            "СчетУчетаРасчетовСКонтрагентом_Key": sb.store.account_by_code("60.01"),
            "Товары": [
                {
                    "LineNumber": 1,
                    "Номенклатура_Key": product,
                    "Количество": qty,
                    "Цена": 122,
                    "Сумма": 122 * qty,
                    "СтавкаНДС": "НДС22",
                    "СуммаНДС": 22 * qty,
                    "СчетУчета_Key": sb.store.account_by_code("41.01"),
                }
            ],
        }
    supplier = sb.store.get("Catalog_Контрагенты", SUPPLIER)
    assert supplier is not None
    return "Document_ПриобретениеТоваровУслуг", {
        "Date": "2026-12-01T11:00:00",
        "Организация_Key": org,
        "Партнер_Key": supplier["Партнер_Key"],
        "Контрагент_Key": SUPPLIER,
        "Договор_Key": ref("contract", SUPPLIER),
        "Склад_Key": wh,
        "Валюта_Key": RUB,
        "ЦенаВключаетНДС": True,
        "Товары": [
            {
                "LineNumber": 1,
                "Номенклатура_Key": product,
                "Характеристика_Key": _characteristic(sb, product),
                "Количество": qty,
                "Цена": 122,
                "Сумма": 122 * qty,
            }
        ],
    }


def _move(sb: OnecSandbox, org: str, src: str, dst: str, product: str, qty: int) -> Any:
    row: dict[str, Any] = {"LineNumber": 1, "Номенклатура_Key": product, "Количество": qty}
    if sb.configuration == "bp30":
        row["СчетУчета_Key"] = sb.store.account_by_code("41.01")
    else:
        row["Характеристика_Key"] = _characteristic(sb, product)
    return {
        "Date": "2026-12-01T12:00:00",
        "Организация_Key": org,
        "СкладОтправитель_Key": src,
        "СкладПолучатель_Key": dst,
        "Товары": [row],
    }


def test_a_goods_receipt_moves_stock_in_and_out_again(sb: OnecSandbox, client: OnecClient) -> None:
    product, wh, _, qty = _goods_in_stock(sb, client)
    org = client.organization().onec_ref
    assert org is not None
    entity, body = _receipt(sb, org, wh, product, 5)
    key = _create(sb, entity, body)
    assert _stock(sb, client)[(product, wh)] == qty
    _post(sb, entity, key)
    assert _stock(sb, client)[(product, wh)] == qty + 5
    assert _act(sb, entity, key, "Unpost").status_code == 200
    assert _stock(sb, client)[(product, wh)] == qty


def test_a_receipt_needs_a_supplier_contract(sb: OnecSandbox, client: OnecClient) -> None:
    product, wh, _, qty = _goods_in_stock(sb, client)
    org = client.organization().onec_ref
    assert org is not None
    entity, body = _receipt(sb, org, wh, product, 5)
    buyer = ref("onec-only", "largest")  # a customer: its contract is «с покупателем»
    if sb.configuration == "bp30":
        body["Контрагент_Key"] = buyer
        body["ДоговорКонтрагента_Key"] = ref("contract", buyer)
    else:
        body["Договор_Key"] = ref("contract", ref("onec-only", "tax"))
    key = _create(sb, entity, body)
    r = _act(sb, entity, key, "Post")
    assert r.status_code == 500, r.text
    assert r.json()["odata.error"]["code"] == "-1"
    assert "Не удалось провести" in r.json()["odata.error"]["message"]["value"]
    assert _stock(sb, client)[(product, wh)] == qty


def test_a_move_takes_goods_from_one_warehouse_to_another(
    sb: OnecSandbox, client: OnecClient
) -> None:
    product, src, dst, qty = _goods_in_stock(sb, client)
    org = client.organization().onec_ref
    assert org is not None
    there = _stock(sb, client).get((product, dst), Decimal(0))
    key = _create(sb, "Document_ПеремещениеТоваров", _move(sb, org, src, dst, product, 2))
    _post(sb, "Document_ПеремещениеТоваров", key)
    stock = _stock(sb, client)
    assert stock[(product, src)] == qty - 2
    assert stock[(product, dst)] == there + 2
    assert _act(sb, "Document_ПеремещениеТоваров", key, "Unpost").status_code == 200
    assert _stock(sb, client)[(product, src)] == qty
    same = _create(sb, "Document_ПеремещениеТоваров", _move(sb, org, src, src, product, 2))
    r = _act(sb, "Document_ПеремещениеТоваров", same, "Post")
    assert r.status_code == 500
    assert "совпадает" in r.json()["odata.error"]["message"]["value"]


def test_the_new_documents_are_published_and_postable(sb: OnecSandbox) -> None:
    receipts = (
        "Document_ПоступлениеТоваровУслуг"
        if sb.configuration == "bp30"
        else "Document_ПриобретениеТоваровУслуг"
    )
    with _http(sb) as h:
        xml = h.get(f"{sb.url}/$metadata").text
    for name in (PRICES, receipts, "Document_ПеремещениеТоваров"):
        assert f'<EntitySet Name="{name}"' in xml
        assert f'<EntitySet Name="{name}_Товары"' in xml or f"{name}_Товары_RowType" in xml
        assert f'Type="StandardODATA.{name}"/><Parameter Name="PostingModeOperational"' in xml
