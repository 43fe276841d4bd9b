"""F10's 1C side over real HTTP: the sales document made from a base document (as the
configuration's "create based on" fills it), created unposted and exactly once under
its key, and the sandbox's posting rules for it: register movements on posting, and
refusals 1C would give (a row without a quantity, a contract not «с покупателем»)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from desktop_sync.connectors.onec import OnecClient, sales
from desktop_sync.connectors.onec.errors import OnecError
from desktop_sync.sandbox.onec import OnecSandbox, bp30, start, ut11
from desktop_sync.sandbox.onec.bp30_posting import account_ref

from .conftest import make_client


@pytest.fixture
def bp() -> Iterator[tuple[OnecSandbox, OnecClient]]:
    with start(seed=1, size="small") as sb, make_client(sb) as c:
        yield sb, c


@pytest.fixture
def ut() -> Iterator[tuple[OnecSandbox, OnecClient]]:
    with (
        start(seed=1, size="small", configuration="ut11") as sb,
        make_client(sb, configuration="ut11") as c,
    ):
        yield sb, c


def _unshipped(sb: OnecSandbox, documents: str, field: str) -> dict[str, Any]:
    """A base document with rows that no sales document names yet."""
    named = {str(r.get(field)) for r in sb.store.all(bp30.SHIPMENTS)}
    return next(
        r
        for r in sb.store.all(documents)
        if r["Товары"] and str(r["Ref_Key"]) not in named and not r["DeletionMark"]
    )


def test_bp30_sale_from_invoice_is_unposted_once_then_posts_with_movements(
    bp: tuple[OnecSandbox, OnecClient],
) -> None:
    sb, c = bp
    inv = _unshipped(sb, bp30.INVOICES, "СчетНаОплатуПокупателю_Key")
    made = sales.create(c.config, str(inv["Ref_Key"]), "test/F10/1", "test")
    again = sales.create(c.config, str(inv["Ref_Key"]), "test/F10/1", "test")
    assert made.created and not again.created and again.ref == made.ref
    doc = sb.store.get(bp30.SHIPMENTS, made.ref)
    assert doc is not None and doc["Posted"] is False
    assert doc["СчетНаОплатуПокупателю_Key"] == inv["Ref_Key"]
    assert doc["Контрагент_Key"] == inv["Контрагент_Key"]
    rows = [*doc["Товары"], *doc["Услуги"]]
    assert sorted((r["Номенклатура_Key"], r["Количество"], r["Сумма"]) for r in rows) == sorted(
        (r["Номенклатура_Key"], r["Количество"], r["Сумма"]) for r in inv["Товары"]
    )
    assert all(r["СчетДоходов_Key"] == account_ref("90.01.1") for r in rows)
    assert doc["ВидОперации"] in ("Товары", "Услуги", "ТоварыУслуги")
    sales.post(c.config, made.ref)
    moves = [m for m in sb.store.movements if m.recorder == made.ref]
    debt = [m for m in moves if m.account_dr == account_ref("62.01")]
    assert len(debt) == 1 and debt[0].amount == doc["СуммаДокумента"]
    shipped = sum(
        (m.quantity_cr for m in moves if m.account_cr == account_ref("41.01")), Decimal(0)
    )
    assert shipped == sum((r["Количество"] for r in doc["Товары"]), Decimal(0))
    vat = sum((r["СуммаНДС"] for r in rows), Decimal(0))
    assert sum((m.amount for m in moves if m.account_cr == account_ref("68.02")), Decimal(0)) == vat


def test_bp30_posting_refuses_what_1c_refuses(bp: tuple[OnecSandbox, OnecClient]) -> None:
    sb, c = bp
    inv = _unshipped(sb, bp30.INVOICES, "СчетНаОплатуПокупателю_Key")
    made = sales.create(c.config, str(inv["Ref_Key"]), "test/F10/2", "test")
    doc = sb.store.get(bp30.SHIPMENTS, made.ref)
    assert doc is not None
    rows = [dict(r) for r in doc["Товары"] or doc["Услуги"]]
    rows[0]["Количество"] = Decimal(0)
    part = "Товары" if doc["Товары"] else "Услуги"
    sb.edit(bp30.SHIPMENTS, made.ref, **{part: rows})
    with pytest.raises(OnecError) as caught:
        sales.post(c.config, made.ref)
    assert f'Не заполнена колонка "Количество" в строке 1 списка "{part}"' in str(caught.value)
    assert sb.store.get(bp30.SHIPMENTS, made.ref)["Posted"] is False  # type: ignore[index]
    assert not [m for m in sb.store.movements if m.recorder == made.ref]
    # the warehouse cleared: the required field is named
    rows[0]["Количество"] = Decimal(1)
    sb.edit(bp30.SHIPMENTS, made.ref, **{part: rows, "Склад_Key": bp30_zero()})
    if part == "Товары":
        with pytest.raises(OnecError) as caught:
            sales.post(c.config, made.ref)
        assert "Склад" in str(caught.value)


def bp30_zero() -> str:
    return "00000000-0000-0000-0000-000000000000"


def test_ut11_sale_from_order_names_the_order_and_releases_its_reserve(
    ut: tuple[OnecSandbox, OnecClient],
) -> None:
    sb, c = ut
    order = _unshipped(sb, ut11.ORDERS, "ЗаказКлиента")
    made = sales.create(c.config, str(order["Ref_Key"]), "test/F10/3", "test")
    doc = sb.store.get(ut11.SHIPMENTS, made.ref)
    assert doc is not None and doc["Posted"] is False
    assert doc["ЗаказКлиента"] == order["Ref_Key"]
    assert doc["ЗаказКлиента_Type"] == "StandardODATA." + ut11.ORDERS
    assert {r["ЗаказКлиента"] for r in doc["Товары"]} == {order["Ref_Key"]}
    for k in ("Партнер_Key", "Контрагент_Key", "Соглашение_Key", "Договор_Key", "Склад_Key"):
        assert doc[k] == order[k], k
    live = [r for r in order["Товары"] if not r["Отменено"]]
    assert [(r["Номенклатура_Key"], r["Количество"], r["Сумма"]) for r in doc["Товары"]] == [
        (r["Номенклатура_Key"], r["Количество"], r["Сумма"]) for r in live
    ]
    sales.post(c.config, made.ref)
    out = sb.store.recorded(ut11.STOCK, made.ref)
    goods = [r for r in doc["Товары"] if _is_goods(sb, r["Номенклатура_Key"])]
    assert sum((r["ВНаличии"] for r in out), Decimal(0)) == sum(
        (r["Количество"] for r in goods), Decimal(0)
    )


def _is_goods(sb: OnecSandbox, product: str) -> bool:
    rec = sb.store.get(ut11.PRODUCTS, product)
    return rec is not None and rec["ТипНоменклатуры"] == "Товар"


def test_a_base_marked_for_deletion_is_refused_by_name(bp: tuple[OnecSandbox, OnecClient]) -> None:
    sb, c = bp
    inv = _unshipped(sb, bp30.INVOICES, "СчетНаОплатуПокупателю_Key")
    sb.mark_deleted(bp30.INVOICES, str(inv["Ref_Key"]))
    with pytest.raises(OnecError) as caught:
        sales.create(c.config, str(inv["Ref_Key"]), "test/F10/4", "test")
    assert "marked for deletion" in str(caught.value) or "помечен" in str(caught.value)
    assert not [r for r in sb.store.all(bp30.SHIPMENTS) if "test/F10/4" in str(r["Комментарий"])]


def test_ut11_posting_refuses_a_row_without_quantity(ut: tuple[OnecSandbox, OnecClient]) -> None:
    sb, c = ut
    order = _unshipped(sb, ut11.ORDERS, "ЗаказКлиента")
    made = sales.create(c.config, str(order["Ref_Key"]), "test/F10/5", "test")
    doc = sb.store.get(ut11.SHIPMENTS, made.ref)
    assert doc is not None
    rows = [dict(r) for r in doc["Товары"]]
    rows[0]["Количество"] = Decimal(0)
    sb.edit(ut11.SHIPMENTS, made.ref, Товары=rows)
    with pytest.raises(OnecError) as caught:
        sales.post(c.config, made.ref)
    assert 'Не заполнена колонка "Количество" в строке 1 списка "Товары"' in str(caught.value)
    assert not sb.store.recorded(ut11.STOCK, made.ref)
