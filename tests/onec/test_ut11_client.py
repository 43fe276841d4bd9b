"""The client on UT 11 over real HTTP: the same methods give the same domain objects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from desktop_sync.connectors.onec import (
    OnecClient,
    OnecConnectionError,
    OnecError,
    OnecProfileError,
    Query,
    comment_with_key,
    ref_for_key,
)
from desktop_sync.connectors.onec import literals as lit
from desktop_sync.connectors.onec.ut11 import Ut11
from desktop_sync.domain.entities import (
    Counterparty,
    CounterpartyKind,
    Invoice,
    Product,
    ProductKind,
    Unit,
    make_line,
)
from desktop_sync.domain.vat import VatRate
from desktop_sync.sandbox.dataset import build
from desktop_sync.sandbox.onec import OnecSandbox, start, ut11
from desktop_sync.sandbox.onec.ut11_seed import settlement_ref

from .conftest import make_client

DS = build(1, "small")
ORDERS = ut11.ORDERS


@pytest.fixture(scope="module")
def ut() -> Iterator[OnecSandbox]:
    with start(seed=1, size="small", configuration="ut11") as sb:
        yield sb


@pytest.fixture
def ut_client(ut: OnecSandbox) -> Iterator[OnecClient]:
    with make_client(ut, configuration="ut11") as c:
        yield c


@pytest.fixture
def ut_fresh() -> Iterator[OnecSandbox]:
    with start(seed=1, size="small", configuration="ut11") as sb:
        yield sb


@pytest.fixture
def fresh_ut_client(ut_fresh: OnecSandbox) -> Iterator[OnecClient]:
    with make_client(ut_fresh, configuration="ut11") as c:
        yield c


def test_profile_validates_and_check_names_the_configuration(ut: OnecSandbox) -> None:
    with make_client(ut, configuration="ut11") as c:
        assert isinstance(c.config, Ut11)
        assert c.check() == []
        c.connect()
        report = c.report()
    assert report.detected == "ut11" and report.configuration == "1С:Управление торговлей 11"
    assert report.ok
    by = {e.logical: e for e in report.entities}
    assert by["invoices"].entity == ORDERS and by["invoices"].writable is True
    assert by["partners"].writable is True and by["stock"].readable is True
    # A BP profile against the UT base is named for what it is.
    with make_client(ut) as bp:
        with pytest.raises(OnecProfileError, match="looks like configuration 'ut11'"):
            bp.connect()
        wrong = bp.report()
        assert wrong.detected == "ut11" and not wrong.ok
        assert "looks like configuration 'ut11'" in wrong.problems[0].message


def test_bp_base_is_told_from_ut(sandbox: OnecSandbox) -> None:
    with make_client(sandbox, configuration="ut11") as c:
        with pytest.raises(OnecProfileError, match="looks like configuration 'bp30'"):
            c.connect()
        assert c.report().detected == "bp30"


def test_counterparties_partners_and_contracts(ut_client: OnecClient) -> None:
    assert isinstance(ut_client.config, Ut11)
    got = {c.onec_ref: c for c in ut_client.counterparties()}
    for cp in DS.counterparties:
        if cp.onec_ref in DS.counterparties_in_onec:
            mine = got[cp.onec_ref]
            assert (mine.name, mine.inn, mine.kpp, mine.kind) == (cp.name, cp.inn, cp.kpp, cp.kind)
            assert (mine.phone, mine.email) == (cp.phone, cp.email)
    assert any(c.kind is CounterpartyKind.SOLE_TRADER for c in got.values())
    partners = ut_client.partners()
    owned = {ref for p in partners for ref in p.counterparty_refs}
    assert owned == set(got)
    assert any(not p.company for p in partners)  # private persons and sole traders
    contracts = ut_client.contracts()
    assert {c.counterparty_ref for c in contracts} == set(got)
    kinds = {c.counterparty_ref: c.kind for c in contracts}
    assert all(
        kinds[cp.onec_ref or ""] == "СПокупателем"
        for cp in DS.counterparties
        if cp.onec_ref in DS.counterparties_in_onec
    )  # UT's «СКлиентом»
    assert sorted(kinds.values()).count("СПоставщиком") == 1  # 1C-only: a supplier
    first = next(iter(got))
    assert ut_client.customer_contract(first) == DS.contracts[first]


def test_products_vat_packages_and_characteristics(ut_client: OnecClient) -> None:
    assert isinstance(ut_client.config, Ut11)
    got = {p.onec_ref: p for p in ut_client.products()}
    for p in DS.products:
        mine = got[p.onec_ref]
        assert (mine.name, mine.kind, mine.article, mine.vat_rate, mine.price) == (
            p.name,
            p.kind,
            p.article,
            p.vat_rate,
            p.price,
        )
        assert mine.unit is not None and p.unit is not None and mine.unit.okei == p.unit.okei
    packages = ut_client.packages()
    assert packages and all(pk.quantity == 10 and pk.product_ref in got for pk in packages)
    assert all(u.okei for u in ut_client.units())  # packages are not units
    assert {u.okei for u in ut_client.units()} == {u.okei for u in DS.units}
    chars = ut_client.characteristics()
    assert chars and all(ch.product_ref in got for ch in chars)
    assert VatRate.VAT22_122 in ut_client.vat_rates().values()
    # products carry them, for F5 to say what the CRM cannot hold
    products = {p.onec_ref: p for p in ut_client.products(with_prices=False)}
    for pk in packages:
        assert (pk.name, pk.quantity) in products[pk.product_ref].packages
    for ch in chars:
        assert ch.name in products[ch.product_ref].characteristics
    assert any(len(p.characteristics) == 2 for p in products.values())


def test_orders_are_the_storys_invoices(ut_client: OnecClient) -> None:
    got = {i.onec_ref: i for i in ut_client.invoices()}
    assert set(got) == {i.onec_ref for i in DS.onec_invoices}
    for inv in DS.onec_invoices:
        mine = got[inv.onec_ref]
        assert (mine.number, mine.date, mine.counterparty_ref, mine.total) == (
            inv.number,
            inv.date,
            inv.counterparty_ref,
            inv.total,
        )
        assert mine.lines == inv.lines and mine.contract_ref == inv.contract_ref
    one = DS.onec_invoices[3]
    assert [i.onec_ref for i in ut_client.invoices_by_number(one.number, one.date.year)] == [
        one.onec_ref
    ]
    window = ut_client.invoices(since=DS.today - dt.timedelta(days=10))
    assert window and all(i.date >= DS.today - dt.timedelta(days=10) for i in window)


def test_payments_shipments_and_returns_hang_on_the_order(ut_client: OnecClient) -> None:
    pays = {p.onec_ref: p for p in ut_client.payments()}
    assert set(pays) == {p.onec_ref for p in DS.payments}
    for p in DS.payments:
        mine = pays[p.onec_ref]
        assert (mine.kind, mine.amount, mine.date, mine.posted, mine.purpose) == (
            p.kind,
            p.amount,
            p.date,
            p.posted,
            p.purpose,
        )
        assert [(a.amount, a.invoice_ref, a.line_no) for a in mine.allocations] == [
            (a.amount, a.invoice_ref, a.line_no) for a in p.allocations
        ]
    ships = {s.onec_ref: s for s in ut_client.shipments()}
    for s in DS.shipments:
        assert ships[s.onec_ref].invoice_ref == s.invoice_ref
        assert ships[s.onec_ref].lines == s.lines
    rets = ut_client.returns()
    assert rets
    for r in rets:
        assert r.shipment_ref in ships
        assert r.invoice_ref == ships[r.shipment_ref or ""].invoice_ref


def test_free_stock_per_warehouse(ut_client: OnecClient) -> None:
    assert isinstance(ut_client.config, Ut11)
    balance = ut_client.stock_balance()
    on_hand = {(lv.product_ref, lv.warehouse_ref): lv.quantity for lv in balance}
    want = {(lv.product_ref, lv.warehouse_ref): lv.quantity for lv in DS.stock}
    assert {k: v for k, v in on_hand.items() if v} == {k: v for k, v in want.items() if v}
    assert any(lv.reserved > 0 for lv in balance)
    free = {(lv.product_ref, lv.warehouse_ref): lv.quantity for lv in ut_client.stock()}
    for lv in balance:
        assert free[(lv.product_ref, lv.warehouse_ref)] == max(lv.quantity - lv.reserved, 0)
    before = ut_client.stock(as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert before == []


def new_customer(inn: str = "7707083893", kpp: str = "7707AB001") -> Counterparty:
    return Counterparty(
        "ООО «Д'Артаньян и партнёры»",
        CounterpartyKind.ORGANIZATION,
        inn=inn,
        kpp=kpp,
        full_name='Общество "Д\'Артаньян и партнёры"',
        phone="+7 495 000-00-00",
        email="dart@example.ru",
    )


def _goods(c: OnecClient) -> Product:
    assert isinstance(c.config, Ut11)
    with_chars = {ch.product_ref for ch in c.characteristics()}
    return next(
        p
        for p in c.products()
        if p.kind is ProductKind.GOODS and not p.deleted and p.onec_ref not in with_chars
    )


def test_counterparty_with_partner_contract_then_order_then_post(
    ut_fresh: OnecSandbox, fresh_ut_client: OnecClient
) -> None:
    c = fresh_ut_client
    assert isinstance(c.config, Ut11)
    made, contract = c.create_counterparty_with_contract(new_customer(), "p1/F7/crm-company-5")
    assert made.created and contract.created and made.ref == ref_for_key("p1/F7/crm-company-5")
    partner = c.partner_of(made.ref)
    assert partner == ref_for_key("p1/F7/crm-company-5/partner")
    assert c.customer_contract(made.ref) == contract.ref
    got = next(x for x in c.counterparties() if x.onec_ref == made.ref)
    assert (got.name, got.kpp, got.email, got.kind) == (
        "ООО «Д'Артаньян и партнёры»",
        "7707AB001",
        "dart@example.ru",
        CounterpartyKind.ORGANIZATION,
    )
    again = c.create_counterparty(new_customer(), "p1/F7/crm-company-5")
    assert not again.created
    assert [p.onec_ref for p in c.partners()].count(partner) == 1
    # A branch (same ИНН, other КПП) joins the head office's partner.
    branch = c.create_counterparty(new_customer(kpp="7707AB002"), "p1/F7/crm-company-6")
    assert c.partner_of(branch.ref) == partner

    product = _goods(c)
    line = make_line(
        1, product.name, Decimal(3), Decimal("1234.50"), VatRate.VAT22, product_ref=product.onec_ref
    )
    invoice = Invoice("СЧ-0042", dt.date(2026, 3, 16), made.ref, (line,), comment="из CRM")
    key = "p1/F1/crm-invoice-42"
    order = c.create_invoice(invoice, key)
    assert order.created and order.ref == ref_for_key(key)
    rec = order.record
    assert rec["Posted"] is False and rec["Партнер_Key"] == partner
    assert rec["Договор_Key"] == contract.ref
    assert rec["Соглашение_Key"] == ut11_typical()  # a new partner has none of its own
    assert comment_with_key("из CRM", key) == rec["Комментарий"]
    assert not c.create_invoice(invoice, key).created  # a retry makes no twin
    # UT made the order's settlement object when the order was written.
    settles = ut_fresh.store.get(ut11.SETTLEMENT_OBJECTS, settlement_ref(order.ref))
    assert settles is not None and settles["Объект"] == order.ref
    assert settles["Партнер_Key"] == partner
    twins = c.fetch(ORDERS, Query(filter=lit.eq("Контрагент_Key", lit.Guid(made.ref))))
    assert len(twins) == 1

    c.post_invoice(order.ref)
    back = c.invoice(order.ref)
    assert back is not None and back.posted and back.total == invoice.total
    assert back.date == invoice.date and back.number == "27"  # the next number in 2026
    assert back.lines[0].vat_rate is VatRate.VAT22 and back.lines[0].vat_amount == line.vat_amount
    assert c.find_created("invoices", key) == order.ref
    assert c.find_created("counterparties", "p1/F7/crm-company-5") == made.ref


def test_what_ut_cannot_take_is_refused_before_sending(
    ut_fresh: OnecSandbox, fresh_ut_client: OnecClient
) -> None:
    c = fresh_ut_client
    assert isinstance(c.config, Ut11)
    cp = DS.onec_invoices[0].counterparty_ref
    with_chars = c.characteristics()[0].product_ref
    line = make_line(1, "x", Decimal(1), Decimal(10), VatRate.VAT22, product_ref=with_chars)
    before = len(ut_fresh.store.all(ORDERS))
    with pytest.raises(OnecError, match="characteristics") as e:
        c.create_invoice(Invoice("1", dt.date(2026, 3, 16), cp, (line,)), "p1/F1/chars")
    assert e.value.field == "Товары/Характеристика_Key"
    # A rate the VAT catalog lacks is an error, never a default.
    ut_fresh.mark_deleted(ut11.VAT_RATES, ut11_vat(VatRate.VAT7))
    c._cache.clear()
    product = _goods(c)
    seven = make_line(1, "x", Decimal(1), Decimal(10), VatRate.VAT7, product_ref=product.onec_ref)
    with pytest.raises(OnecError, match="no VAT rate НДС7"):
        c.create_invoice(Invoice("2", dt.date(2026, 3, 16), cp, (seven,)), "p1/F1/seven")
    assert len(ut_fresh.store.all(ORDERS)) == before


def test_a_payment_row_settling_no_order_names_none(
    ut_fresh: OnecSandbox, fresh_ut_client: OnecClient
) -> None:
    """The settlement object of something else (a shipment settled on its own) is not
    an order: the allocation waits for the accountant."""
    pay = next(p for p in DS.payments if p.allocations[0].invoice_ref and p.posted)
    row_object = settlement_ref(pay.allocations[0].invoice_ref or "")
    ut_fresh.edit(
        ut11.SETTLEMENT_OBJECTS,
        row_object,
        Объект=DS.shipments[0].onec_ref,
        Объект_Type="StandardODATA." + ut11.SHIPMENTS,
    )
    got = next(p for p in fresh_ut_client.payments() if p.onec_ref == pay.onec_ref)
    assert got.allocations[0].invoice_ref is None
    assert got.allocations[0].amount == pay.allocations[0].amount


def ut11_vat(rate: VatRate) -> str:
    from desktop_sync.sandbox.onec.ut11_seed import vat_ref

    return vat_ref(rate)


def test_no_agreement_in_force_is_named(ut_fresh: OnecSandbox, fresh_ut_client: OnecClient) -> None:
    c = fresh_ut_client
    made, _contract = c.create_counterparty_with_contract(
        new_customer("7702070139", "770201001"), "p1/F7/new"
    )
    ut_fresh.edit(ut11.AGREEMENTS, ut11_typical(), Статус="Закрыто")
    product = _goods(c)
    line = make_line(1, "x", Decimal(1), Decimal(10), VatRate.VAT22, product_ref=product.onec_ref)
    with pytest.raises(OnecError, match=r"no agreement in force for this customer on 2026-03-16"):
        c.create_invoice(Invoice("3", dt.date(2026, 3, 16), made.ref, (line,)), "p1/F1/x")


def ut11_typical() -> str:
    from desktop_sync.sandbox.onec.ut11_seed import TYPICAL_AGREEMENT_REF

    return TYPICAL_AGREEMENT_REF


def test_lost_answer_then_retry_makes_no_twin(
    ut_fresh: OnecSandbox, fresh_ut_client: OnecClient
) -> None:
    c = fresh_ut_client
    cp = c.invoices()[0].counterparty_ref
    product = _goods(c)
    line = make_line(
        1, "x", Decimal(2), Decimal("99.90"), VatRate.VAT22, product_ref=product.onec_ref
    )
    invoice = Invoice("СЧ-7", dt.date(2026, 3, 16), cp, (line,))
    ut_fresh.faults.force("lost", method="POST")
    with pytest.raises(OnecConnectionError) as e:
        c.create_invoice(invoice, "p1/F1/crm-invoice-7")
    assert e.value.outcome_unknown
    assert c.find_created("invoices", "p1/F1/crm-invoice-7") == ref_for_key("p1/F1/crm-invoice-7")
    assert not c.create_invoice(invoice, "p1/F1/crm-invoice-7").created
    same = [r for r in ut_fresh.store.all(ORDERS) if "crm-invoice-7" in r["Комментарий"]]
    assert len(same) == 1


def test_every_written_field_is_in_the_profile(fresh_ut_client: OnecClient) -> None:
    c = fresh_ut_client
    sent: list[tuple[str, dict[str, object]]] = []
    real_create = c.transport.create

    def spy(entity: str, body: dict[str, object]):  # type: ignore[no-untyped-def]
        sent.append((entity, body))
        return real_create(entity, body)

    c.transport.create = spy  # type: ignore[method-assign]
    cp, _contract = c.create_counterparty_with_contract(new_customer(), "spy/cp")
    c.create_product(Product("Услуга «Спай»", ProductKind.SERVICE, unit=Unit("356", "ч")), "spy/p")
    product = _goods(c)
    line = make_line(1, "x", Decimal(1), Decimal(10), VatRate.VAT22, product_ref=product.onec_ref)
    c.create_invoice(Invoice("1", dt.date(2026, 3, 16), cp.ref, (line,)), "spy/inv")
    profile = c.profile
    logical = {v: k for k, v in profile.sets.items()}
    for entity, body in sent:
        allowed = set(profile.fields[logical[entity]])
        for key, value in body.items():
            assert key in allowed, (entity, key)
            if isinstance(value, list):
                for row in value:
                    for sub in row:
                        assert f"{key}/{sub}" in allowed, (entity, key, sub)
    assert {e for e, _ in sent} == {
        "Catalog_Партнеры",
        "Catalog_Контрагенты",
        "Catalog_ДоговорыКонтрагентов",
        "Catalog_Номенклатура",
        ORDERS,
    }
    made = c.products()
    service = next(p for p in made if p.name == "Услуга «Спай»")
    assert service.kind is ProductKind.SERVICE and service.unit is not None


def test_limited_user_reads_orders_not_persons(ut: OnecSandbox) -> None:
    with OnecClient(
        ut.url,
        ut.limited_user,
        ut.limited_password,
        configuration="ut11",
        backoff=0.001,
        allowed_only=True,
    ) as c:
        cps = c.counterparties()
        assert cps and all(cp.kind is not CounterpartyKind.PERSON for cp in cps)
        assert c.invoices()
