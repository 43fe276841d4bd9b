"""Writes the engine makes, with their idempotency keys and lookups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest

from desktop_sync.connectors.bitrix24 import (
    SYNC_FIELDS,
    Bitrix24AccessDenied,
    Bitrix24Client,
    Bitrix24RequestError,
)
from desktop_sync.domain.entities import (
    Counterparty,
    CounterpartyKind,
    Product,
    ProductKind,
    Requisite,
    Unit,
    make_line,
)
from desktop_sync.domain.requisites import make_inn
from desktop_sync.domain.vat import VatRate
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox

TRICKY = "ООО «Д'Артаньян \"и\" O'Neill» & Ко 100%"


def test_company_with_tricky_name_round_trips_and_is_found_by_its_key(
    client: Bitrix24Client,
) -> None:
    cp = Counterparty(
        TRICKY, CounterpartyKind.ORGANIZATION, phone="+7 900 000-00-00", email="a@b.ru"
    )
    assert client.companies.find_company_by_origin("desktop-sync:p1", "cp-1") is None
    company_id = client.companies.add_company(cp, originator_id="desktop-sync:p1", origin_id="cp-1")
    assert client.companies.find_company_by_origin("desktop-sync:p1", "cp-1") == company_id
    inn = make_inn("770111222")
    req_id = client.companies.add_requisite(
        company_id, Requisite(inn, "770101001", TRICKY), name=TRICKY, xml_id="rq-key-1"
    )
    assert client.companies.find_requisite_by_xml_id("rq-key-1") == req_id
    assert client.companies.requisite_owner(req_id) == (4, company_id)
    assert [r.crm_id for r in client.companies.find_requisites(inn, "770101001")] == [req_id]
    found = next(c for c in client.companies.read() if c.counterparty.crm_id == company_id)
    assert found.counterparty.name == TRICKY
    assert found.counterparty.inn == inn and found.origin_id == "cp-1"
    assert found.counterparty.phone == "+7 900 000-00-00"
    assert client.companies.find_companies_by_phone(["79000000000"]) == [company_id]


def test_tricky_values_travel_through_batch_too(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    reply = client.batch(
        {"a": ("crm.company.add", {"fields": {"TITLE": TRICKY, "COMMENTS": "a+b=c&d?e#f"}})}
    )
    row = portal.store.companies.rows[int(reply.results["a"])]
    assert (row["TITLE"], row["COMMENTS"]) == (TRICKY, "a+b=c&d?e#f")


def test_product_with_xml_id_and_price(client: Bitrix24Client) -> None:
    product = Product(
        "Услуга «Настройка» д'Артаньяна",
        ProductKind.SERVICE,
        unit=Unit("356", "ч"),
        vat_rate=VatRate.VAT22,
        price=Decimal("1500.50"),
    )
    key = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert client.catalog.find_product_by_xml_id(key) is None
    new_id = client.catalog.add_product(product, xml_id=key)
    assert client.catalog.find_product_by_xml_id(key) == new_id
    got = next(p for p in client.catalog.products() if p.product.crm_id == new_id)
    assert got.product.name == product.name and got.product.kind is ProductKind.SERVICE
    assert got.product.onec_ref == key and got.product.price == Decimal("1500.50")
    assert got.product.vat_rate is VatRate.VAT22 and got.product.unit is not None
    assert got.product.unit.okei == "356"


def test_invoice_create_rows_fields_and_timeline(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    client.userfields.setup_custom_fields()
    key = "ds:p1:F1:inv-1"
    assert client.invoices.find_invoice_by_xml_id(key) is None
    invoice_id = client.invoices.add_invoice(
        {"title": TRICKY, "companyId": 2, "stageId": "DT31_1:N", "accountNumber": "ДС-1"},
        xml_id=key,
    )
    assert client.invoices.find_invoice_by_xml_id(key) == invoice_id
    lines = [
        make_line(1, "Бумага «Снегурочка»", Decimal(3), Decimal("333.33"), VatRate.VAT22),
        make_line(2, "Доставка", Decimal(1), Decimal(1000), VatRate.WITHOUT),
        make_line(3, "Кабель", Decimal(10), Decimal("12.5"), VatRate.VAT10, vat_included=False),
    ]
    client.invoices.set_product_rows(invoice_id, lines)
    client.invoices.set_sync_fields(
        invoice_id,
        onec_number="17",
        onec_date=dt.date(2026, 3, 1),
        paid=Decimal("1000.00"),
        outstanding=Decimal("1137.49"),
        payments=["2026-03-02 №5 1000,00"],
        sync_status="Передан в 1С",
    )
    inv = client.invoices.get(invoice_id)
    assert inv.invoice.total == inv.opportunity == Decimal("2137.49")
    assert [ln.amount for ln in inv.invoice.lines] == [
        Decimal("999.99"),
        Decimal("1000.00"),
        Decimal("125.00"),
    ]
    assert inv.fields.onec_number == "17" and inv.fields.onec_date == dt.date(2026, 3, 1)
    assert inv.fields.paid == Decimal("1000.00") and inv.fields.outstanding == Decimal("1137.49")
    assert inv.fields.payments == ("2026-03-02 №5 1000,00",)
    assert inv.invoice.number == "ДС-1" and inv.xml_id == key
    comment_id = client.timeline.add_comment(invoice_id, "Оплата 1000,00 ₽ по п/п №5 «банк»")
    assert comment_id > 0
    assert client.timeline.comment_texts(invoice_id) == ["Оплата 1000,00 ₽ по п/п №5 «банк»"]
    client.invoices.set_product_rows(invoice_id, lines[:1])  # set replaces every row
    assert len(client.invoices.get(invoice_id).invoice.lines) == 1


def test_invalid_stage_is_refused_with_the_field_named(client: Bitrix24Client) -> None:
    with pytest.raises(Bitrix24RequestError, match="Стадия"):
        client.invoices.add_invoice({"stageId": "DT31_1:NOPE"}, xml_id="x")


def test_setup_on_fresh_portal_then_again(client: Bitrix24Client, portal: Bitrix24Sandbox) -> None:
    assert len(client.userfields.missing_custom_fields()) == len(SYNC_FIELDS)
    created = client.userfields.setup_custom_fields()
    assert len(created) == len(SYNC_FIELDS)
    assert client.userfields.setup_custom_fields() == []
    assert client.userfields.missing_custom_fields() == []
    item = client.call("crm.item.get", {"entityTypeId": 31, "id": 1}).result["item"]
    assert all(f.camel in item for f in SYNC_FIELDS)
    original = client.call(
        "crm.item.get", {"entityTypeId": 31, "id": 1, "useOriginalUfNames": "Y"}
    ).result["item"]
    assert all(f.name in original for f in SYNC_FIELDS)


def test_setup_needs_an_administrator(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    manager = make_client(portal.manager_webhook())
    with pytest.raises(Bitrix24AccessDenied, match="custom field"):
        manager.userfields.setup_custom_fields()


def test_store_documents_move_stock(client: Bitrix24Client, portal: Bitrix24Sandbox) -> None:
    assert client.inventory.enabled()
    amounts = {(a.product_id, a.store_id): a.amount for a in client.inventory.store_amounts()}
    (product_id, store_id), before = next(iter(amounts.items()))
    title = "desktop-sync ds:p1:F6:1"
    assert client.inventory.find_store_document(title) is None
    doc = client.inventory.add_store_document("S", title=title, doc_number="1")
    assert client.inventory.find_store_document(title) == doc
    client.inventory.add_document_element(doc, product_id, store_id, Decimal("5.5"))
    client.inventory.conduct_document(doc.id)
    after = {
        (a.product_id, a.store_id): a.amount for a in client.inventory.store_amounts([product_id])
    }
    assert after[(product_id, store_id)] == before + Decimal("5.5")
    out = client.inventory.add_store_document("D", title="desktop-sync ds:p1:F6:2")
    client.inventory.add_document_element(out, product_id, store_id, Decimal(2))
    client.inventory.conduct_document(out.id)
    final = {
        (a.product_id, a.store_id): a.amount for a in client.inventory.store_amounts([product_id])
    }
    assert final[(product_id, store_id)] == before + Decimal("3.5")
    with pytest.raises(Bitrix24RequestError, match="Conducted"):
        client.inventory.add_document_element(out, product_id, store_id, Decimal(1))
    too_much = client.inventory.add_store_document("D", title="desktop-sync ds:p1:F6:3")
    client.inventory.add_document_element(too_much, product_id, store_id, Decimal(10**6))
    with pytest.raises(Bitrix24RequestError, match="Insufficient"):
        client.inventory.conduct_document(too_much.id)


def test_check_reports_what_is_missing_then_nothing(
    portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    from desktop_sync.connectors.bitrix24 import check

    admin = make_client(portal.webhook)
    report = check(admin)
    assert report.reachable and report.is_admin and report.sees_everything
    assert report.scopes_missing == [] and report.smart_invoices
    assert len(report.stages) == 7 and report.inventory_management is True
    assert len(report.custom_fields_missing) == len(SYNC_FIELDS) and not report.ok
    admin.userfields.setup_custom_fields()
    assert check(admin).ok
    manager = check(make_client(portal.manager_webhook(scopes=("crm",))))
    assert not manager.sees_everything and manager.scopes_missing == ["catalog", "userfieldconfig"]
    broken = check(make_client(portal.url + "/rest/1/nope/"))
    assert not broken.reachable and "webhook" in broken.problems[0]


def test_full_payment_sum_comes_from_the_rows(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    """One payment per invoice, all rows attached, paid; many invoices in few requests;
    a second call (a retry after a lost answer) finds the same payments by their sums."""
    invoices = [client.invoices.get(i) for i in range(1, 13)]
    wanted = [(i.invoice.crm_id or 0, i.opportunity) for i in invoices if i.invoice.lines]
    portal.stats.reset()
    made = client.payments.full_payments(wanted)
    assert all(isinstance(m, int) for m in made), made
    assert portal.stats.requests <= 4  # payment lists, rows, 1-2 batches of writes
    for (iid, total), payment_id in zip(wanted, made, strict=True):
        (payment,) = client.payments.of_invoice(iid)
        assert payment["id"] == payment_id and payment["paid"] == "Y"
        assert Decimal(str(payment["sum"])) == total
    assert client.payments.full_payments(wanted) == made  # no second payment
    assert client.invoices.get(1).updated == invoices[0].updated  # paying does not touch it


def test_contacts_prices_and_product_updates(client: Bitrix24Client) -> None:
    person = Counterparty("О'Коннор Мария Ивановна", CounterpartyKind.PERSON, phone="+79001112233")
    contact_id = client.companies.add_contact(person, originator_id="ds", origin_id="p-1")
    assert client.companies.find_contact_by_origin("ds", "p-1") == contact_id
    found = next(c for c in client.companies.contacts() if c.counterparty.crm_id == contact_id)
    assert found.counterparty.name == "О'Коннор Мария Ивановна" and found.entity == "contact"
    product = client.catalog.products()[0]
    assert product.product.crm_id is not None
    client.catalog.set_base_price(product.product.crm_id, Decimal("99.99"))
    client.catalog.update_product(product.product.crm_id, {"name": "Бумага «Снежинка»"})
    again = next(p for p in client.catalog.products() if p.product.crm_id == product.product.crm_id)
    assert again.product.price == Decimal("99.99") and again.product.name == "Бумага «Снежинка»"


def test_updates_move_modification_times(client: Bitrix24Client, portal: Bitrix24Sandbox) -> None:
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    client.companies.update_company(2, {"TITLE": "ООО «Ромашка-Д'Арт»", "COMMENTS": "из 1С"})
    changed = client.companies.read(modified_since=before)
    assert [c.counterparty.name for c in changed] == ["ООО «Ромашка-Д'Арт»"]
    updated = client.invoices.update_invoice(1, {"stageId": "DT31_1:S", "comments": "«тест»"})
    assert updated.stage_id == "DT31_1:S" and updated.invoice.comment == "«тест»"
    assert portal.store.items.rows[1]["previousStageId"] == "DT31_1:N"
    assert [i.invoice.crm_id for i in client.invoices.read(updated_since=before)] == [1]


def test_custom_fields_accept_the_underscore_form_on_write(client: Bitrix24Client) -> None:
    client.userfields.setup_custom_fields()
    client.invoices.update_invoice(
        2, {"ufCrm_SMART_INVOICE_DS_ONEC_NUMBER": "42", "UF_CRM_SMART_INVOICE_DS_PAID": "10.50"}
    )
    fields = client.invoices.get(2).fields
    assert fields.onec_number == "42" and fields.paid == Decimal("10.50")
