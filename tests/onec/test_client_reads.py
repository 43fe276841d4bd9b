"""The real client against the sandbox over loopback: reads, filters, paging, changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from desktop_sync.connectors.onec import BP30, OnecClient, OnecProfileError, Profile, Query
from desktop_sync.connectors.onec import literals as lit
from desktop_sync.domain.entities import CounterpartyKind, PaymentKind, ProductKind
from desktop_sync.sandbox.dataset import build
from desktop_sync.sandbox.onec import OnecSandbox

from .conftest import make_client

DS = build(1, "small")


def test_profile_matches_metadata(client: OnecClient) -> None:
    assert client.check() == []
    client.connect()


def test_profile_problem_names_entity_and_field(sandbox: OnecSandbox) -> None:
    fields = dict(BP30.fields)
    fields["invoices"] = (*fields["invoices"], "СуммаАванса")
    sets = dict(BP30.sets, returns="Document_ВозвратТоваровОтКлиента")
    broken = Profile(BP30.name, BP30.title, sets, fields, BP30.payment_sets, BP30.writes)
    with make_client(sandbox, configuration=broken) as c:
        with pytest.raises(OnecProfileError) as e:
            c.connect()
        problems = c.check()
    assert {(p.entity, p.field) for p in problems} == {
        ("Document_СчетНаОплатуПокупателю", "СуммаАванса"),
        ("Document_ВозвратТоваровОтКлиента", ""),
    }
    assert "СуммаАванса" in str(e.value) or "ВозвратТоваровОтКлиента" in str(e.value)


def test_counterparties_match_the_story(client: OnecClient) -> None:
    got = {c.onec_ref: c for c in client.counterparties()}
    for cp in DS.counterparties:
        if cp.onec_ref in DS.counterparties_in_onec:
            mine = got[cp.onec_ref]
            assert (mine.name, mine.inn, mine.kpp, mine.kind) == (cp.name, cp.inn, cp.kpp, cp.kind)
    assert any(c.kind is CounterpartyKind.SOLE_TRADER for c in got.values())
    assert any("«" in c.name for c in got.values())
    assert any(c.name.startswith("ИФНС") for c in got.values())  # not only customers in 1C


def test_filters_with_quotes_and_apostrophes(client: OnecClient) -> None:
    entity = "Catalog_Контрагенты"
    rows = client.fetch(entity, Query(filter=lit.eq("Description", "АО «O'Neill Трейд» (филиал)")))
    assert len(rows) == 1
    rows = client.fetch(
        "Catalog_Номенклатура", Query(filter=lit.substringof('Монитор 24"', "Description"))
    )
    assert rows and all('24"' in r["Description"] for r in rows)
    # an attempt to widen the filter finds nothing instead of everything
    evil = "x' or Description ne '"
    assert client.fetch(entity, Query(filter=lit.eq("Description", evil))) == []
    assert client.fetch(entity, Query(filter=lit.substringof(evil, "Description"))) == []


def test_catalogs(client: OnecClient) -> None:
    assert {w.name for w in client.warehouses()} == {w.name for w in DS.warehouses}
    types = client.price_types()
    assert [t.name for t in types if t.base] == ["Розничная"]
    assert {u.okei for u in client.units()} == {u.okei for u in DS.units}
    products = {p.onec_ref: p for p in client.products()}
    for p in DS.products:
        got = products[p.onec_ref]
        assert (got.name, got.article, got.kind) == (p.name, p.article, p.kind)
        assert got.unit is not None and p.unit is not None and got.unit.okei == p.unit.okei
        assert got.vat_rate == p.vat_rate  # Общая in 2026 = 22%
    assert any(p.deleted for p in products.values())
    contracts = client.contracts(DS.onec_invoices[0].counterparty_ref)
    assert [c.kind for c in contracts] == ["СПокупателем"]
    assert client.organization().inn == "7701234560"


def test_invoices_equal_the_story(client: OnecClient) -> None:
    got = {i.onec_ref: i for i in client.invoices()}
    assert len(got) == len(DS.onec_invoices)
    for inv in DS.onec_invoices:
        mine = got[inv.onec_ref]
        assert mine.number == inv.number and mine.date == inv.date
        assert mine.total == inv.total and mine.vat_total == inv.vat_total
        assert [ln.vat_rate for ln in mine.lines] == [ln.vat_rate for ln in inv.lines]
        assert [ln.product_name for ln in mine.lines] == [ln.product_name for ln in inv.lines]
        assert mine.comment == inv.comment
    window = client.invoices(since=dt.date(2026, 1, 1), until=dt.date(2026, 1, 31))
    assert window and all(i.date.month == 1 and i.date.year == 2026 for i in window)


def test_payments_with_breakdowns(client: OnecClient) -> None:
    got = {p.onec_ref: p for p in client.payments()}
    assert len(got) == len(DS.payments)
    for p in DS.payments:
        mine = got[p.onec_ref]
        assert (mine.kind, mine.amount, mine.date, mine.posted) == (
            p.kind,
            p.amount,
            p.date,
            p.posted,
        )
        assert [(a.amount, a.invoice_ref) for a in mine.allocations] == [
            (a.amount, a.invoice_ref) for a in p.allocations
        ]
    kinds = {p.kind for p in got.values()}
    assert {PaymentKind.BANK, PaymentKind.CARD, PaymentKind.CASH, PaymentKind.BANK_REFUND} <= kinds
    assert any(len(p.allocations) == 2 for p in got.values())
    assert any(a.invoice_ref is None for p in got.values() for a in p.allocations)


def test_shipments_and_returns(client: OnecClient) -> None:
    got = {s.onec_ref: s for s in client.shipments()}
    for sh in DS.shipments:
        mine = got[sh.onec_ref]
        assert mine.invoice_ref == sh.invoice_ref and mine.total == sh.total
    returns = client.returns()
    assert returns and all(r.invoice_ref and r.shipment_ref in got for r in returns)


def test_stock_equals_the_story(client: OnecClient) -> None:
    got = {(s.product_ref, s.warehouse_ref): s.quantity for s in client.stock()}
    want = {(s.product_ref, s.warehouse_ref): s.quantity for s in DS.stock if s.quantity}
    assert got == want
    before = client.stock(dt.datetime(2025, 11, 1, tzinfo=dt.UTC))
    assert before == []  # before the opening balance


def test_stock_moves_when_a_shipment_is_posted(
    fresh: OnecSandbox, fresh_client: OnecClient
) -> None:
    sh = next(
        r
        for r in fresh.store.all("Document_РеализацияТоваровУслуг")
        if r["Товары"] and r["Date"].year == 2026
    )
    row = sh["Товары"][0]
    key = (row["Номенклатура_Key"], sh["Склад_Key"])
    level = {(s.product_ref, s.warehouse_ref): s.quantity for s in fresh_client.stock()}
    fresh_client.unpost("Document_РеализацияТоваровУслуг", sh["Ref_Key"])
    after = {(s.product_ref, s.warehouse_ref): s.quantity for s in fresh_client.stock()}
    assert after[key] == level.get(key, Decimal(0)) + row["Количество"]


def test_paging_reads_everything_once(sandbox: OnecSandbox) -> None:
    with make_client(sandbox, page_size=None) as whole, make_client(sandbox, page_size=7) as paged:
        one = whole.read_all("Document_СчетНаОплатуПокупателю")
        before = paged.requests
        many = paged.read_all("Document_СчетНаОплатуПокупателю", page_size=7)
        assert paged.requests - before == len(one) // 7 + 1
        assert sorted(r["Ref_Key"] for r in many) == sorted(r["Ref_Key"] for r in one)
        pages = list(paged.pages("Catalog_Номенклатура", Query(select=("Ref_Key",)), 8))
        assert [len(p) for p in pages] == [8, 8, 8, 6]


def test_incremental_scan_after_edits(fresh: OnecSandbox, fresh_client: OnecClient) -> None:
    inv = "Document_СчетНаОплатуПокупателю"
    first = fresh_client.scan("invoices")
    refs = sorted(first)
    fresh.edit(inv, refs[0], Комментарий="поправили в 1С")
    fresh.mark_deleted(inv, refs[1])
    fresh.delete(inv, refs[2])
    posted = next(r for r in refs[3:] if fresh.store.get(inv, r)["Date"].year == 2026)
    fresh.post(inv, posted)
    changes = fresh_client.changes("invoices", first)
    assert set(changes.changed) == {refs[0], refs[1], posted}
    assert changes.removed == (refs[2],) and changes.created == ()
    again = fresh_client.changes("invoices", changes.versions)
    assert again.changed == again.created == again.removed == ()
    recent = fresh_client.scan("invoices", since=dt.date(2026, 3, 1))
    assert 0 < len(recent) < len(first)


def test_services_in_shipments_are_lines(client: OnecClient) -> None:
    products = {p.onec_ref: p for p in client.products()}
    lines = [ln for s in client.shipments() for ln in s.lines]
    assert any(products[ln.product_ref or ""].kind is ProductKind.SERVICE for ln in lines)


def test_configuration_is_detected(client: OnecClient) -> None:
    from desktop_sync.connectors.onec.metadata import Metadata
    from desktop_sync.connectors.onec.profiles import detect

    assert detect(client.metadata()) == "bp30"
    assert detect(Metadata(sets={"Catalog_Контрагенты": set()})) is None


def test_prices_from_the_register(client: OnecClient) -> None:
    products = {p.onec_ref: p for p in client.products()}
    for p in DS.products:
        assert products[p.onec_ref].price == p.price
    wholesale = next(t for t in client.price_types() if not t.base)
    assert wholesale.onec_ref is not None
    cheaper = client.prices(wholesale.onec_ref)
    first = DS.products[0]
    assert first.price is not None and first.onec_ref is not None
    assert cheaper[first.onec_ref] == (first.price * Decimal("0.9")).quantize(Decimal("0.01"))
    old = client.prices(as_of=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    assert old[first.onec_ref] == (first.price * Decimal("0.8")).quantize(Decimal("0.01"))
    assert client.prices(as_of=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)) == {}


def test_invoice_by_printed_number_and_year(client: OnecClient) -> None:
    inv = DS.onec_invoices[12]
    found = client.invoices_by_number(inv.number, inv.date.year)
    assert [i.onec_ref for i in found] == [inv.onec_ref]
    assert client.invoices_by_number(inv.number, inv.date.year - 3) == []
    assert client.invoices_by_number("0", 2026) == []
