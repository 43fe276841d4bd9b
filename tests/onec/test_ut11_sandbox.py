"""The UT 11 sandbox over real HTTP: composition, $metadata, ТоварыНаСкладах, posting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from desktop_sync.connectors.onec import metadata
from desktop_sync.connectors.onec.profiles import UT11, detect
from desktop_sync.sandbox.dataset import build
from desktop_sync.sandbox.onec import OnecSandbox, start, ut11, ut11_seed
from desktop_sync.sandbox.onec.schema import ZERO_GUID
from desktop_sync.sandbox.onec.store import Record, Store

DS = build(1, "small")
SHIPMENT_ROW = {f.name for f in ut11.build_schema().sets[ut11.SHIPMENTS].tabular[0].fields}


@pytest.fixture(scope="module")
def ut() -> Iterator[OnecSandbox]:
    with start(seed=1, size="small", configuration="ut11") as sb:
        yield sb


@pytest.fixture
def ut_fresh() -> Iterator[OnecSandbox]:
    with start(seed=1, size="small", configuration="ut11") as sb:
        yield sb


def _get(sb: OnecSandbox, path: str, **params: str) -> httpx.Response:
    with httpx.Client(auth=(sb.user, sb.password), timeout=5.0) as h:
        return h.get(sb.url + "/" + path, params={"$format": "json", **params})


def test_metadata_is_ut_and_fits_the_profile(ut: OnecSandbox) -> None:
    with httpx.Client(auth=(ut.user, ut.password), timeout=5.0) as h:
        xml = h.get(ut.url + "/$metadata").content
    meta = metadata.parse(xml)
    assert detect(meta) == "ut11"
    assert UT11.validate(meta) == []
    assert "Document_СчетНаОплатуПокупателю" not in meta.sets  # not BP with other names
    assert meta.has("Document_ЗаказКлиента", "Товары/СтавкаНДС_Key")
    assert not meta.has("Document_ЗаказКлиента", "Товары/СтавкаНДС")  # VAT is a reference
    assert "AccumulationRegister_ТоварыНаСкладах_RecordType" in meta.sets
    assert b'ReturnType="Collection(StandardODATA.AccumulationRegister_' in xml
    assert b'<Parameter Name="Dimensions" Type="Edm.String"/>' in xml


def test_unknown_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="bp30 or ut11"):
        start(configuration="ut12")


def test_the_same_story_in_ut_terms(ut: OnecSandbox) -> None:
    """Counterparties keep their Ref_Key, ИНН and КПП and belong to partners; a branch
    shares its head office's partner; the story's invoices are orders."""
    rows = {r["Ref_Key"]: r for r in ut.store.all(ut11.COUNTERPARTIES)}
    for cp in DS.counterparties:
        if cp.onec_ref in DS.counterparties_in_onec:
            rec = rows[cp.onec_ref or ""]
            assert (rec["ИНН"], rec["КПП"]) == (cp.inn, cp.kpp)
            assert ut.store.get(ut11.PARTNERS, rec["Партнер_Key"]) is not None
    orders = {r["Ref_Key"] for r in ut.store.all(ut11.ORDERS)}
    assert orders == {i.onec_ref for i in DS.onec_invoices}


def test_a_branch_shares_its_head_offices_partner() -> None:
    store = Store(ut11.build_schema())
    ut11_seed.seed(store, build(1, "medium"))  # the small story has no branch in 1C
    rows = {r["Ref_Key"]: r for r in store.all(ut11.COUNTERPARTIES)}
    branches = [r for r in rows.values() if r["ГоловнойКонтрагент_Key"] in rows]
    assert branches
    for b in branches:
        assert b["Партнер_Key"] == rows[b["ГоловнойКонтрагент_Key"]]["Партнер_Key"]
        assert b["ОбособленноеПодразделение"] is True


def test_balance_free_stock_and_conditions(ut: OnecSandbox) -> None:
    wh = DS.warehouses[0].onec_ref
    resp = _get(
        ut,
        f"{ut11.STOCK}/Balance(Condition='Склад_Key eq guid'{wh}'')",
        **{"$select": "Номенклатура_Key,Склад_Key,ВНаличииBalance,КОтгрузкеBalance"},
    )
    assert resp.status_code == 200, resp.text
    rows = resp.json()["value"]
    assert rows and all(r["Склад_Key"] == wh for r in rows)
    assert set(rows[0]) == {"Номенклатура_Key", "Склад_Key", "ВНаличииBalance", "КОтгрузкеBalance"}
    assert any(r["КОтгрузкеBalance"] > 0 for r in rows)  # posted orders reserve goods
    assert all(r["ВНаличииBalance"] >= r["КОтгрузкеBalance"] for r in rows)
    # On hand is the story's stock (opening balance + shipments + returns).
    on_hand: dict[str, Decimal] = {}
    for r in rows:
        on_hand[r["Номенклатура_Key"]] = on_hand.get(r["Номенклатура_Key"], Decimal(0)) + Decimal(
            str(r["ВНаличииBalance"])
        )
    want = {lv.product_ref: lv.quantity for lv in DS.stock if lv.warehouse_ref == wh}
    assert {k: v for k, v in on_hand.items() if v} == {k: v for k, v in want.items() if v}
    # Before the story began, nothing was there.
    early = _get(ut, f"{ut11.STOCK}/Balance(Period=datetime'2025-01-01T00:00:00')")
    assert early.json()["value"] == []
    # The flat records and the record set itself.
    flat = _get(ut, f"{ut11.STOCK}_RecordType", **{"$top": "2"})
    assert flat.status_code == 200 and {"Recorder", "RecordType", "ВНаличии"} <= set(
        flat.json()["value"][0]
    )
    # Dimensions: only the named ones, the others summed; the Condition sees them all.
    grouped = _get(
        ut,
        f"{ut11.STOCK}/Balance(Condition='Склад_Key eq guid'{wh}'',Dimensions='Номенклатура')",
    ).json()["value"]
    assert grouped and set(grouped[0]) == {
        "Номенклатура_Key",
        "ВНаличииBalance",
        "КОтгрузкеBalance",
    }
    assert {r["Номенклатура_Key"]: Decimal(str(r["ВНаличииBalance"])) for r in grouped} == {
        k: v for k, v in on_hand.items() if v
    }
    assert _get(ut, f"{ut11.STOCK}/Balance(Dimensions='Цвет')").status_code == 400
    assert _get(ut, ut11.STOCK).status_code == 501
    assert _get(ut, f"{ut11.STOCK}/Turnovers()").status_code == 400


def _order(sb: OnecSandbox) -> Record:
    return next(r for r in sb.store.all(ut11.ORDERS) if r["Статус"] == "НеСогласован")


def test_posting_checks_partner_agreement_contract_and_characteristic(
    ut_fresh: OnecSandbox,
) -> None:
    sb = ut_fresh
    order = _order(sb)
    key = order["Ref_Key"]
    with httpx.Client(auth=(sb.user, sb.password), timeout=5.0) as h:

        def post() -> str:
            resp = h.post(f"{sb.url}/{ut11.ORDERS}(guid'{key}')/Post?$format=json")
            if resp.status_code == 200:
                return ""
            assert resp.status_code == 500
            message: str = resp.json()["odata.error"]["message"]["value"]
            return message

        other = next(
            r["Ref_Key"]
            for r in sb.store.all(ut11.PARTNERS)
            if r["Ref_Key"] != order["Партнер_Key"]
        )
        sb.edit(ut11.ORDERS, key, Партнер_Key=other)
        assert "не относится к партнеру" in post()
        sb.edit(ut11.ORDERS, key, Партнер_Key=order["Партнер_Key"], Договор_Key=ZERO_GUID)
        assert 'Поле "Договор" не заполнено' in post()
        sb.edit(ut11.ORDERS, key, Договор_Key=order["Договор_Key"], Соглашение_Key=ZERO_GUID)
        assert 'Поле "Соглашение" не заполнено' in post()
        sb.edit(ut11.ORDERS, key, Соглашение_Key=order["Соглашение_Key"])
        assert post() == ""
    assert sb.store.get(ut11.ORDERS, key)["Posted"] is True  # type: ignore[index]


def test_order_reserves_and_shipment_releases(ut_fresh: OnecSandbox) -> None:
    sb = ut_fresh
    order = _order(sb)
    goods = [
        r
        for r in order["Товары"]
        if sb.store.get(ut11.PRODUCTS, r["Номенклатура_Key"])["ТипНоменклатуры"] == "Товар"  # type: ignore[index]
    ]
    if not goods:
        pytest.skip("this order sells services only")
    row = goods[0]
    wh = order["Склад_Key"]

    def reserved() -> Decimal:
        total = Decimal(0)
        for r in sb.store.accumulation_balance(ut11.STOCK, None):
            if (r["Номенклатура_Key"], r["Склад_Key"]) == (row["Номенклатура_Key"], wh):
                total += r["КОтгрузкеBalance"]
        return total

    before = reserved()
    rows = [
        dict(r, ВариантОбеспечения="СоСклада", Склад_Key=wh) if r is row else r
        for r in order["Товары"]
    ]
    sb.edit(ut11.ORDERS, order["Ref_Key"], Статус="КОтгрузке", Товары=rows)
    sb.post(ut11.ORDERS, order["Ref_Key"])
    assert reserved() == before + row["Количество"]
    shipment = sb.add(
        ut11.SHIPMENTS,
        **{
            k: order[k]
            for k in (
                "Организация_Key",
                "Партнер_Key",
                "Контрагент_Key",
                "Соглашение_Key",
                "Договор_Key",
                "Склад_Key",
                "Валюта_Key",
            )
        },
        Date=dt.datetime(2026, 3, 16, 12, 0),
        ЗаказКлиента=order["Ref_Key"],
        ЗаказКлиента_Type="StandardODATA." + ut11.ORDERS,
        Товары=[{k: v for k, v in row.items() if k in SHIPMENT_ROW} | {"LineNumber": 1}],
    )
    sb.post(ut11.SHIPMENTS, shipment["Ref_Key"])
    assert reserved() == before
