"""Creates, idempotency, posting and the 1C refusals, through the real client."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from desktop_sync.connectors.onec import (
    OnecAccessDenied,
    OnecClient,
    OnecError,
    OnecPostingError,
    Query,
    comment_with_key,
    ref_for_key,
)
from desktop_sync.connectors.onec import literals as lit
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
from desktop_sync.sandbox.onec import OnecSandbox

from .conftest import make_client

INVOICES = "Document_СчетНаОплатуПокупателю"


def new_customer() -> Counterparty:
    return Counterparty(
        "ООО «Д'Артаньян и партнёры»",
        CounterpartyKind.ORGANIZATION,
        inn="7707083893",
        kpp="7707AB001",
        full_name='Общество "Д\'Артаньян и партнёры"',
        phone="+7 495 000-00-00",
        email="dart@example.ru",
    )


def test_counterparty_with_contract_then_invoice_then_post(
    fresh: OnecSandbox, fresh_client: OnecClient
) -> None:
    c = fresh_client
    cp_made, contract = c.create_counterparty_with_contract(new_customer(), "p1/F7/crm-company-5")
    assert cp_made.created and contract.created
    assert cp_made.ref == ref_for_key("p1/F7/crm-company-5")
    got = next(x for x in c.counterparties() if x.onec_ref == cp_made.ref)
    assert (got.name, got.kpp, got.email) == (
        "ООО «Д'Артаньян и партнёры»",
        "7707AB001",
        "dart@example.ru",
    )
    assert c.customer_contract(cp_made.ref) == contract.ref

    product = next(p for p in c.products() if p.kind is ProductKind.GOODS and not p.deleted)
    line = make_line(
        1, product.name, Decimal(3), Decimal("1234.50"), VatRate.VAT22, product_ref=product.onec_ref
    )
    invoice = Invoice("СЧ-0042", dt.date(2026, 3, 16), cp_made.ref, (line,), comment="из CRM")
    key = "p1/F1/crm-invoice-42"
    made = c.create_invoice(invoice, key)
    assert made.created and made.ref == ref_for_key(key)
    assert made.record["Posted"] is False  # creating and posting are separate steps
    assert comment_with_key("из CRM", key) == made.record["Комментарий"]

    again = c.create_invoice(invoice, key)  # a retry after an unknown outcome
    assert not again.created and again.ref == made.ref
    twins = c.fetch(INVOICES, Query(filter=lit.eq("Контрагент_Key", lit.Guid(cp_made.ref))))
    assert len(twins) == 1

    c.post_invoice(made.ref)
    back = c.invoice(made.ref)
    assert back is not None and back.posted and back.total == invoice.total
    assert back.number == "27" and back.date == invoice.date  # the next number in 2026
    assert back.lines[0].vat_rate is VatRate.VAT22 and back.lines[0].vat_amount == line.vat_amount
    assert c.find_created("invoices", key) == made.ref
    c.unpost(INVOICES, made.ref)
    assert c.invoice(made.ref).posted is False  # type: ignore[union-attr]


def test_find_created_by_comment_when_key_was_ignored(
    fresh: OnecSandbox, fresh_client: OnecClient
) -> None:
    key = "p1/F1/crm-invoice-77"
    # A base that ignored our Ref_Key: the record exists under another key.
    fresh.store.insert(INVOICES, {"Комментарий": comment_with_key("", key)})
    found = fresh_client.find_created("invoices", key)
    assert found is not None and found != ref_for_key(key)
    assert fresh_client.find_created("invoices", "p1/F1/never") is None


def test_product_create_is_idempotent(fresh_client: OnecClient) -> None:
    p = Product(
        "Кабель «Витая пара» 5e",
        ProductKind.GOODS,
        article="КБ-1",
        unit=Unit("006", "м"),
        vat_rate=VatRate.VAT10,
    )
    first = fresh_client.create_product(p, "p1/F5/crm-product-9")
    second = fresh_client.create_product(p, "p1/F5/crm-product-9")
    assert first.created and not second.created and first.ref == second.ref
    fresh_client._cache.pop("products", None)
    got = next(x for x in fresh_client.products() if x.onec_ref == first.ref)
    assert got.vat_rate is VatRate.VAT10 and got.unit is not None and got.unit.okei == "006"


def test_invoice_without_what_posting_needs_is_refused_before_sending(
    fresh_client: OnecClient,
) -> None:
    line = make_line(1, "Нет в 1С", Decimal(1), Decimal(10), VatRate.VAT22)
    inv = Invoice("СЧ-1", dt.date(2026, 3, 16), None, (line,))
    with pytest.raises(OnecError) as e:
        fresh_client.create_invoice(inv, "k1")
    assert e.value.field == "Контрагент_Key"
    cp = fresh_client.invoices()[0].counterparty_ref
    inv = Invoice("СЧ-1", dt.date(2026, 3, 16), cp, (line,))
    with pytest.raises(OnecError) as e:
        fresh_client.create_invoice(inv, "k2")
    assert e.value.field == "Товары/Номенклатура_Key" and "Нет в 1С" in str(e.value)


def test_posting_refusal_carries_1c_message(fresh: OnecSandbox, fresh_client: OnecClient) -> None:
    made = fresh_client.create(
        INVOICES, {"Ref_Key": ref_for_key("raw"), "Date": "2026-03-10T00:00:00"}
    )
    with pytest.raises(OnecPostingError) as e:
        fresh_client.post(INVOICES, made.ref)
    assert e.value.onec_code == "-1" and 'Поле "Организация" не заполнено' in e.value.onec_message
    assert fresh.request_count >= 2
    closed = next(
        r
        for r, rec in fresh.store.rows[INVOICES].items()
        if rec["Date"].date() < dt.date(2025, 11, 30)
    )
    with pytest.raises(OnecPostingError, match="закрытый период"):
        fresh_client.post(INVOICES, closed)


def test_mark_deleted_and_delete(fresh_client: OnecClient) -> None:
    made = fresh_client.create_counterparty(
        Counterparty("Сидоров Пётр", CounterpartyKind.PERSON), "p1/F7/crm-contact-3"
    )
    marked = fresh_client.mark_deleted("Catalog_Контрагенты", made.ref)
    assert marked["DeletionMark"] is True and marked["DataVersion"] != made.record["DataVersion"]
    fresh_client.delete("Catalog_Контрагенты", made.ref)
    assert fresh_client.find("Catalog_Контрагенты", made.ref) is None


def test_bad_inn_is_refused_before_sending(fresh_client: OnecClient) -> None:
    bad = Counterparty("ООО «Ошибка»", CounterpartyKind.ORGANIZATION, inn="7707083890")
    with pytest.raises(OnecError) as e:
        fresh_client.create_counterparty(bad, "k")
    assert "ИНН" in str(e.value) and e.value.entity == "Catalog_Контрагенты"


def test_limited_user_rights(sandbox: OnecSandbox) -> None:
    with OnecClient(
        sandbox.url, sandbox.limited_user, sandbox.limited_password, backoff=0.001
    ) as c:
        with pytest.raises(OnecAccessDenied) as e:
            c.payments()
        assert e.value.entity == "Document_ПоступлениеНаРасчетныйСчет"
        assert c.readable("bank_receipts") is False and c.readable("invoices") is True
        assert c.hidden_rows("counterparties") is True
        assert c.hidden_rows("products") is False
        with pytest.raises(OnecAccessDenied):
            c.create_counterparty(new_customer(), "k-limited")


def test_tls_sandbox_with_generated_ca(tmp_path: object) -> None:
    from pathlib import Path

    from desktop_sync.sandbox.onec import start

    assert isinstance(tmp_path, Path)
    with start(tls_dir=tmp_path / "tls") as sb:
        assert sb.url.startswith("https://") and sb.ca_file is not None
        with make_client(sb, verify=str(sb.ca_file)) as c:
            assert len(c.warehouses()) == 2


def test_check_report(sandbox: OnecSandbox) -> None:
    before = len(sandbox.store.all("Catalog_Контрагенты"))
    with make_client(sandbox) as c:
        full = c.report()
    assert full.ok and full.configuration.startswith("1С:Бухгалтерия")
    with OnecClient(
        sandbox.url, sandbox.limited_user, sandbox.limited_password, backoff=0.001
    ) as c:
        limited = c.report()
    by = {e.logical: e for e in limited.entities}
    assert not limited.ok
    assert by["bank_receipts"].readable is False
    assert by["invoices"].readable and by["invoices"].writable is True
    assert by["counterparties"].rows_hidden and by["counterparties"].writable is False
    assert len(sandbox.store.all("Catalog_Контрагенты")) == before  # probes wrote nothing


def test_lost_answer_then_retry_makes_no_twin(fresh: OnecSandbox, fresh_client: OnecClient) -> None:
    from desktop_sync.connectors.onec import OnecConnectionError

    cp = fresh_client.invoices()[0].counterparty_ref
    product = next(p for p in fresh_client.products() if not p.deleted)
    line = make_line(
        1, product.name, Decimal(2), Decimal("99.90"), VatRate.VAT22, product_ref=product.onec_ref
    )
    invoice = Invoice("СЧ-7", dt.date(2026, 3, 16), cp, (line,))
    fresh.faults.force("lost", method="POST")
    with pytest.raises(OnecConnectionError) as e:
        fresh_client.create_invoice(invoice, "p1/F1/crm-invoice-7")
    assert e.value.outcome_unknown
    assert fresh_client.find_created("invoices", "p1/F1/crm-invoice-7") == ref_for_key(
        "p1/F1/crm-invoice-7"
    )
    again = fresh_client.create_invoice(invoice, "p1/F1/crm-invoice-7")
    assert not again.created
    same = [r for r in fresh.store.all(INVOICES) if "crm-invoice-7" in r["Комментарий"]]
    assert len(same) == 1


def test_allowed_only_reads_what_rls_lets_through(sandbox: OnecSandbox) -> None:
    with OnecClient(
        sandbox.url,
        sandbox.limited_user,
        sandbox.limited_password,
        backoff=0.001,
        allowed_only=True,
    ) as c:
        cps = c.counterparties()
    assert cps and all(cp.kind is CounterpartyKind.ORGANIZATION for cp in cps)


def test_every_written_field_is_in_the_profile(fresh_client: OnecClient) -> None:
    """1C ignores unknown fields on writes: every field the client sends must be one the
    profile validates against $metadata."""
    sent: list[tuple[str, dict[str, object]]] = []
    real_create = fresh_client.transport.create

    def spy(entity: str, body: dict[str, object]):  # type: ignore[no-untyped-def]
        sent.append((entity, body))
        return real_create(entity, body)

    fresh_client.transport.create = spy  # type: ignore[method-assign]
    cp, _contract = fresh_client.create_counterparty_with_contract(new_customer(), "spy/cp")
    fresh_client.create_product(
        Product("Услуга «Спай»", ProductKind.SERVICE, unit=Unit("356", "ч")), "spy/product"
    )
    product = next(p for p in fresh_client.products() if not p.deleted)
    line = make_line(
        1, product.name, Decimal(1), Decimal(10), VatRate.VAT22, product_ref=product.onec_ref
    )
    fresh_client.create_invoice(Invoice("1", dt.date(2026, 3, 16), cp.ref, (line,)), "spy/inv")
    profile = fresh_client.profile
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
        "Catalog_Контрагенты",
        "Catalog_ДоговорыКонтрагентов",
        "Catalog_Номенклатура",
        INVOICES,
    }


def test_long_names_are_cut_as_1c_does(fresh_client: OnecClient) -> None:
    long_name = "ООО «" + "Очень длинное наименование " * 6 + "»"
    made = fresh_client.create_counterparty(
        Counterparty(long_name, CounterpartyKind.ORGANIZATION), "p1/F7/long"
    )
    assert made.record["Description"] == long_name[:100]
    assert made.record["НаименованиеПолное"] == long_name  # unlimited in the sandbox
