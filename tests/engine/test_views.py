"""The window's view-model: rows aligned by link, states, notes, invoice lookup. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from desktop_sync.connectors.bitrix24.models import CrmCompany, CrmInvoice, CrmProduct, SyncFields
from desktop_sync.domain.entities import (
    Allocation,
    Counterparty,
    CounterpartyKind,
    Invoice,
    Payment,
    PaymentKind,
    Product,
    Requisite,
    Shipment,
    StockLevel,
    Unit,
    Warehouse,
    make_line,
)
from desktop_sync.domain.vat import VatRate
from desktop_sync.engine.model import Flow, Item, ItemKind, Operation, OpKind, Plan, System
from desktop_sync.engine.normalize import counterparty_values
from desktop_sync.engine.snapshot import CrmData, OnecData, Snapshot
from desktop_sync.journal import LinkValues
from desktop_sync.readmodel import (
    COUNTERPARTY,
    INVOICE,
    PRODUCT,
    Mark,
    Matches,
    SyncState,
    build_views,
    empty_snapshot,
    find_invoices,
)

D = Decimal
NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
PCS = Unit("796", "шт")


def _cp(ref: str, name: str, inn: str, kpp: str) -> Counterparty:
    return Counterparty(name, CounterpartyKind.ORGANIZATION, inn=inn, kpp=kpp, onec_ref=ref)


def _company(cid: int, name: str, inn: str, kpp: str) -> CrmCompany:
    cp = Counterparty(
        name,
        CounterpartyKind.ORGANIZATION,
        crm_id=cid,
        requisites=(Requisite(inn, kpp, crm_id=cid * 10),),
    )
    return CrmCompany(cp, None, None, False, None, NOW)


def _invoice(
    ref: str | None,
    number: str,
    day: int,
    total: str,
    cp_ref: str | None,
    crm_id: int | None = None,
) -> Invoice:
    line = make_line(1, "Бумага", D(1), D(total), VatRate.VAT22, product_ref="p1")
    return Invoice(number, dt.date(2026, 2, day), cp_ref, (line,), onec_ref=ref, crm_id=crm_id)


def _crm_invoice(
    cid: int, number: str, day: int, total: str, company: int, **fields: object
) -> CrmInvoice:
    inv = _invoice(None, number, day, total, None, crm_id=cid)
    return CrmInvoice(
        inv, None, "DT31_1:N", 1, company, None, None, D(total), D(0), False, NOW, NOW, None,
        SyncFields(**fields),  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.fixture
def snap() -> Snapshot:
    onec = OnecData()
    onec.counterparties = {
        "c1": _cp("c1", "ООО «Ромашка»", "7707083893", "770701001"),
        "c2": _cp("c2", "АО «Север»", "5260000000", "526001001"),
        "c3": _cp("c3", "Поставщик (не клиент)", "1111111111", "111101001"),
    }
    onec.products = {"p1": Product("Бумага А4", article="A4", unit=PCS, onec_ref="p1")}
    onec.invoices = {
        "i1": _invoice("i1", "12", 10, "1000.00", "c1"),
        "i2": _invoice("i2", "13", 12, "500.00", "c2"),
    }
    onec.payments = {
        "pay1": Payment("7", dt.date(2026, 2, 14), PaymentKind.BANK, D("400.00"), "c1",
                        (Allocation(D("400.00"), "i1"),), onec_ref="pay1"),
        "pay2": Payment("8", dt.date(2026, 2, 15), PaymentKind.CASH, D("100.00"), "c2",
                        (), onec_ref="pay2"),
    }  # fmt: skip
    onec.shipments = {
        "s1": Shipment(
            "3", dt.date(2026, 2, 16), "c1", onec.invoices["i1"].lines, "i1", onec_ref="s1"
        )
    }
    onec.warehouses = {"w1": Warehouse("Основной склад", onec_ref="w1")}
    onec.stock = [StockLevel("p1", "w1", D(5))]
    crm = CrmData()
    crm.companies = {
        1: _company(1, "ООО «Ромашка»", "7707083893", "770701001"),
        2: _company(2, "ИП Только в CRM", "500100732259", ""),
    }
    crm.products = {
        5: CrmProduct(Product("Бумага А4", article="A4", unit=PCS, crm_id=5), "p1", 1, True, None)
    }
    crm.invoices = {
        101: _crm_invoice(101, "СЧ-0001", 10, "1000.00", 1, paid=D("400.00"),
                          outstanding=D("600.00"), payments=("№ 7 от 14.02.2026",)),
        102: _crm_invoice(102, "СЧ-0002", 20, "250.00", 2),
    }  # fmt: skip
    crm.stores = {1: Warehouse("Основной", crm_id=1)}
    crm.stock = {(5, 1): D(3)}
    crm.stages = {"DT31_1:N": "Новый"}
    return Snapshot(onec, crm)


def _links() -> dict[str, list[LinkValues]]:
    base = counterparty_values(_cp("c1", "ООО «Ромашка»", "7707083893", "770701001"))
    return {
        COUNTERPARTY: [LinkValues(COUNTERPARTY, "c1", "1/10", base, base)],
        PRODUCT: [LinkValues(PRODUCT, "p1", "5", {}, {})],
        INVOICE: [LinkValues(INVOICE, "i1", "101", {}, {})],
    }


def test_invoices_are_row_aligned_by_link_with_native_values(snap: Snapshot) -> None:
    views = build_views(snap, _links())
    rows = {r.key: r for r in views.invoices.rows}
    linked = rows["inv:i1"]
    assert linked.onec is not None and linked.crm is not None
    assert linked.onec["total"] == D("1000.00") and linked.crm["total"] == D("1000.00")
    assert linked.onec["paid"] == D("400.00") and linked.onec["outstanding"] == D("600.00")
    assert linked.onec["shipped"] == D("1000.00")
    assert linked.crm["stage"] == "Новый"
    # the CRM has not heard of the shipment yet: "differs", and which field
    assert linked.state is SyncState.DIFFERS and linked.differs == ("shipped",)
    assert "Shipped" in linked.state_text()
    assert rows["inv:i2"].state is SyncState.ONLY_ONEC and rows["inv:i2"].crm is None
    # different, but Synchronize plans nothing for these: nothing to act on
    assert not linked.pending and not rows["inv:i2"].pending
    assert rows["crm-inv:102"].state is SyncState.ONLY_CRM and rows["crm-inv:102"].onec is None
    # newest first, both sides interleaved
    assert [r.date for r in views.invoices.rows] == sorted(
        (r.date for r in views.invoices.rows), reverse=True
    )


def test_counterparties_in_sync_only_one_side_and_customers_only(snap: Snapshot) -> None:
    views = build_views(snap, _links())
    rows = {r.key: r for r in views.counterparties.rows}
    assert rows["cp:c1"].state is SyncState.IN_SYNC and not rows["cp:c1"].pending
    assert rows["cp:c2"].state is SyncState.ONLY_ONEC
    assert "cp:c3" not in rows  # a supplier never reaches the CRM, so it is not listed
    assert rows["crm-cp:2/20"].state is SyncState.ONLY_CRM


def test_plan_items_and_errors_outweigh_differences(snap: Snapshot) -> None:
    plan = Plan(
        operations=(
            Operation("F5:x", Flow.F5, OpKind.UPDATE, System.CRM, PRODUCT, "p1", "5", "",
                      "Бумага А4: changed in 1C (Name)", "Бумага А4"),
        ),
        items=(
            Item("k", ItemKind.CONFLICT, Flow.F7, COUNTERPARTY, "c1", "ООО «Ромашка»", "Phone",
                 "changed in both", onec_value="1", crm_value="2"),
        ),
    )  # fmt: skip
    marks = [Mark(INVOICE, "i2", "error", "1C refused: the period is closed")]
    views = build_views(snap, _links(), plan, marks)
    cps = {r.key: r for r in views.counterparties.rows}
    assert cps["cp:c1"].state is SyncState.CONFLICT and "changed in both" in cps["cp:c1"].note
    products = {r.key: r for r in views.products.rows}
    # what Synchronize will do is the state, not "differs" (issue 19, item 2)
    assert products["p:p1"].state is SyncState.WILL_CHANGE and products["p:p1"].pending
    assert products["p:p1"].state_text() == "Synchronize will: update in the CRM"
    assert products["p:p1"].note == "update in the CRM"  # a few words in the state column
    assert "changed in 1C" in products["p:p1"].detail  # the whole reason in its tooltip
    invoices = {r.key: r for r in views.invoices.rows}
    assert invoices["inv:i2"].state is SyncState.ERROR
    assert invoices["inv:i2"].note == "1C refused: the period is closed"


def test_payments_and_stock(snap: Snapshot) -> None:
    views = build_views(snap, _links(), warehouse_map={"Основной склад": "1"})
    pays = {r.key: r for r in views.payments.rows}
    assert pays["pay:pay1"].state is SyncState.IN_SYNC
    assert pays["pay:pay1"].onec is not None and pays["pay:pay1"].onec["amount"] == D("400.00")
    assert pays["pay:pay2"].state is SyncState.ONLY_ONEC
    assert pays["pay:pay2"].note == "not allocated to an invoice"
    (stock,) = views.stock.rows
    assert stock.state is SyncState.DIFFERS and stock.differs == ("quantity",)
    assert stock.onec is not None and stock.crm is not None
    assert (stock.onec["quantity"], stock.crm["quantity"]) == (D(5), D(3))
    unmapped = build_views(snap, _links()).stock.rows[0]
    assert unmapped.state is SyncState.ONLY_ONEC
    assert unmapped.note == "the warehouse is not mapped to a CRM store"


def test_search_text_and_pending(snap: Snapshot) -> None:
    row = next(r for r in build_views(snap, _links()).invoices.rows if r.key == "inv:i1")
    assert "ромашка" in row.search and "сч-0001" in row.search
    assert not row.pending  # it differs, but no plan was given: nothing will change


@pytest.mark.parametrize(
    ("query", "numbers"),
    [("12", ["12"]), ("12/2026", ["12"]), ("12/2025", []), ("101", ["12"]),
     ("сч-0001", ["12"]), ("ромаш", ["12"]), ("СЧ-0002", ["СЧ-0002"]), ("", [])],
)  # fmt: skip
def test_find_invoices(snap: Snapshot, query: str, numbers: list[str]) -> None:
    found = find_invoices(snap, _links()[INVOICE], query)
    assert [s.number for s in found] == numbers


def test_invoice_status_has_payments_and_shipments(snap: Snapshot) -> None:
    (status,) = find_invoices(snap, _links()[INVOICE], "12/2026")
    assert (status.total, status.paid, status.outstanding) == (
        D("1000.00"),
        D("400.00"),
        D("600.00"),
    )
    assert status.shipped == D("1000.00") and status.shipments == ("3 2026-02-16",)  # English
    assert [(p.number, p.amount) for p in status.payments] == [("7", D("400.00"))]
    assert status.crm_id == 101 and status.stage == "Новый" and status.year_number == "12/2026"


def test_a_crm_invoice_of_a_private_person_names_the_contact(snap: Snapshot) -> None:
    """A smart invoice whose buyer is a contact and no company (a private person): the
    table names the contact, as the CRM does, and the lookup finds it by that name."""
    person = Counterparty("Петров Иван Сергеевич", CounterpartyKind.PERSON, crm_id=7)
    snap.crm.contacts = {7: CrmCompany(person, None, None, False, None, NOW, entity="contact")}
    inv = _invoice(None, "СЧ-0011", 21, "300.00", None, crm_id=103)
    snap.crm.invoices[103] = CrmInvoice(
        inv, None, "DT31_1:N", 1, None, 7, None, D("300.00"), D(0), False, NOW, NOW, None
    )
    row = next(r for r in build_views(snap, _links()).invoices.rows if r.crm_id == "103")
    assert row.crm and row.crm["counterparty"] == "Петров Иван Сергеевич"
    assert row.counterparty == "Петров Иван Сергеевич"
    assert [s.number for s in find_invoices(snap, _links()[INVOICE], "петров")] == ["СЧ-0011"]


def test_empty_snapshot_gives_empty_tables() -> None:
    views = build_views(empty_snapshot(), {})
    assert all(not t.rows for t in views.tables())


def test_the_tables_take_the_planners_match_instead_of_matching_again(
    snap: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given the planner's match, the read model matches nothing itself; without it, it
    matches each kind once for every table (the products once for products and stock)."""
    import desktop_sync.readmodel as rm
    from desktop_sync.engine import matcher

    calls: list[str] = []
    for name in ("match_counterparties", "match_products"):
        real = getattr(matcher, name)
        monkeypatch.setattr(rm, name, lambda *a, _n=name, _f=real: calls.append(_n) or _f(*a))
    links = _links()
    build_views(snap, links, warehouse_map={"Основной склад": "1"})
    assert sorted(calls) == ["match_counterparties", "match_products"]
    given = Matches(
        matcher.match_counterparties(snap.onec.counterparties, snap.crm.companies, []),
        matcher.MatchResult(),  # the planner matched no product
        matcher.MatchResult(),
    )
    calls.clear()
    views = build_views(snap, links, warehouse_map={"Основной склад": "1"}, matches=given)
    assert calls == []
    assert {r.state for r in views.products.rows if r.onec is not None} == {SyncState.ONLY_ONEC}
    # the plan's own match is taken as well
    views = build_views(snap, links, Plan(operations=(), items=(), matches=given))
    assert calls == []
    assert {r.state for r in views.products.rows if r.onec is not None} == {SyncState.ONLY_ONEC}


def test_a_product_found_but_not_yet_sold_is_not_called_different(snap: Snapshot) -> None:
    """A catalog product found in the CRM (here by its article) that F5 leaves alone until
    it is sold read «Различается» with nothing different and nothing planned (the demo's
    «Клавиатура»): equal, it is in sync and says when it will be linked."""
    views = build_views(snap, {})
    row = {r.key: r for r in views.products.rows}["p:p1"]
    assert row.state is SyncState.IN_SYNC and not row.differs
    assert row.note == "found in the CRM; linked when sold"  # the cell; the whole beside
    assert row.detail == "found in the CRM; linked once sold to a customer"
    snap.onec.products["p1"] = replace(snap.onec.products["p1"], name="Бумага А4 (белая)")
    row = {r.key: r for r in build_views(snap, {}).products.rows}["p:p1"]
    assert row.state is SyncState.DIFFERS and row.differs
    assert row.note.endswith("; found in the CRM; linked when sold")
    assert row.detail.endswith("; found in the CRM; linked once sold to a customer")
