"""The planner is pure: these tests feed it snapshots and check the plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from desktop_sync.connectors.bitrix24.models import CrmCompany, CrmInvoice, CrmProduct
from desktop_sync.domain.entities import (
    Contract,
    Counterparty,
    CounterpartyKind,
    Invoice,
    Product,
    Requisite,
    Unit,
    make_line,
)
from desktop_sync.domain.requisites import make_inn
from desktop_sync.domain.vat import VatRate
from desktop_sync.engine.model import Flow, ItemKind, OpKind, System
from desktop_sync.engine.planner import (
    COUNTERPARTY,
    INVOICE,
    Decision,
    Links,
    PlanSettings,
    build_plan,
    invoice_values_onec,
)
from desktop_sync.engine.snapshot import CrmData, OnecData, Snapshot
from desktop_sync.journal import LinkValues

D = Decimal
INN = make_inn("770812345")
INN2 = make_inn("500112345")
P1 = "6f1c2d3e-4a5b-4c6d-8e7f-901234567890"
PROFILE = "11111111-2222-4333-8444-555555555555"
SETTINGS = PlanSettings(PROFILE, send_stage="DT31_1:S")


def cp(ref: str, name: str, inn: str = INN, kpp: str = "770801001") -> Counterparty:
    return Counterparty(name, CounterpartyKind.ORGANIZATION, inn=inn, kpp=kpp, onec_ref=ref)


NOW = dt.datetime(2026, 3, 16, 12, tzinfo=dt.UTC)


def company(cid: int, name: str, *reqs: tuple[int, str, str], origin: str = "") -> CrmCompany:
    rqs = tuple(Requisite(inn, kpp, crm_id=r) for r, inn, kpp in reqs)
    c = Counterparty(name, CounterpartyKind.ORGANIZATION, crm_id=cid, requisites=rqs)
    return CrmCompany(c, "desktop-sync" if origin else None, origin or None, False, None, NOW)


def product(p: Product, xml_id: str | None) -> CrmProduct:
    return CrmProduct(p, xml_id, 23, True, NOW)


def crm_invoice(inv: Invoice, stage: str = "DT31_1:N") -> CrmInvoice:
    return CrmInvoice(
        inv,
        None,
        stage,
        1,
        inv.counterparty_crm_id,
        None,
        None,
        inv.total,
        inv.vat_total,
        False,
        NOW,
        NOW,
        None,
    )


PAPER = Product(
    "Бумага «Снегурочка»",
    article="A-1",
    unit=Unit("796", "шт"),
    vat_rate=VatRate.VAT22,
    onec_ref=P1,
)


def onec_invoice(ref: str, cp_ref: str) -> Invoice:
    line = make_line(1, PAPER.name, D(2), D("300"), VatRate.VAT22, product_ref=P1)
    return Invoice("7", dt.date(2026, 3, 2), cp_ref, (line,), onec_ref=ref)


def snapshot(onec: OnecData, crm: CrmData) -> Snapshot:
    return Snapshot(onec=onec, crm=crm)


def test_customer_missing_in_crm_is_created_once() -> None:
    onec = OnecData(
        counterparties={"c1": cp("c1", "ООО «Д'Артаньян»")},
        invoices={"i1": onec_invoice("i1", "c1"), "i2": onec_invoice("i2", "c1")},
        products={P1: PAPER},
    )
    plan = build_plan(snapshot(onec, CrmData()), Links(), SETTINGS)
    creates = [op for op in plan.operations if op.kind is OpKind.CREATE]
    assert [(op.flow, op.entity_type, op.target) for op in creates] == [
        (Flow.F7, COUNTERPARTY, System.CRM),
        (Flow.F5, "product", System.CRM),
    ]
    assert "ООО «Д'Артаньян»" in creates[0].reason
    assert creates[0].idempotency_key
    assert plan.items == ()
    # Deterministic: the same input gives the same plan.
    assert build_plan(snapshot(onec, CrmData()), Links(), SETTINGS) == plan


def test_suppliers_never_reach_the_crm() -> None:
    onec = OnecData(counterparties={"s1": cp("s1", "Поставщик")})
    assert build_plan(snapshot(onec, CrmData()), Links(), SETTINGS).operations == ()


def test_match_by_inn_kpp_proposes_a_link_and_branch_is_separate() -> None:
    onec = OnecData(
        counterparties={
            "c1": cp("c1", "Ромашка"),
            "c2": cp("c2", "Ромашка (филиал)", kpp="770802002"),
        },
        invoices={"i1": onec_invoice("i1", "c1"), "i2": onec_invoice("i2", "c2")},
        products={P1: PAPER},
    )
    crm = CrmData(companies={5: company(5, "Ромашка", (50, INN, "770801001"))})
    plan = build_plan(snapshot(onec, crm), Links(), PlanSettings(PROFILE, flows=(Flow.F7,)))
    kinds = {(op.source_id, op.kind) for op in plan.operations}
    assert kinds == {("c1", OpKind.LINK), ("c2", OpKind.CREATE)}
    link = next(op for op in plan.operations if op.kind is OpKind.LINK)
    assert link.target_id == "5/50"


def test_two_candidates_are_an_attention_item_not_a_guess() -> None:
    onec = OnecData(
        counterparties={"c1": cp("c1", "Ромашка")}, invoices={"i1": onec_invoice("i1", "c1")}
    )
    crm = CrmData(
        companies={
            5: company(5, "Ромашка", (50, INN, "770801001")),
            6: company(6, "Ромашка дубль", (60, INN, "770801001")),
        }
    )
    plan = build_plan(snapshot(onec, crm), Links(), PlanSettings(PROFILE, flows=(Flow.F7,)))
    assert plan.operations == ()
    (item,) = plan.items
    assert item.kind is ItemKind.ATTENTION and item.record_id == "c1"
    assert "5/50" in str(item.crm_value) and "6/60" in str(item.crm_value)


def test_never_matched_by_name_alone() -> None:
    onec = OnecData(
        counterparties={"c1": cp("c1", "ООО «Ромашка»")}, invoices={"i1": onec_invoice("i1", "c1")}
    )
    crm = CrmData(companies={7: company(7, "ООО «Ромашка»")})  # no requisites at all
    plan = build_plan(snapshot(onec, crm), Links(), PlanSettings(PROFILE, flows=(Flow.F7,)))
    assert all(op.kind is not OpKind.LINK for op in plan.operations)
    assert plan.operations == ()  # creation waits for the person
    (item,) = plan.items
    assert "same name" in item.message
    # The person confirms it is another company: the create goes ahead.
    decided = PlanSettings(PROFILE, flows=(Flow.F7,), decisions={item.key: Decision("confirm")})
    plan2 = build_plan(snapshot(onec, crm), Links(), decided)
    assert [op.kind for op in plan2.operations] == [OpKind.CREATE]


def test_a_namesake_with_other_requisites_is_another_company() -> None:
    onec = OnecData(
        counterparties={"c1": cp("c1", "ООО «Ромашка»")}, invoices={"i1": onec_invoice("i1", "c1")}
    )
    crm = CrmData(companies={7: company(7, "ООО «Ромашка»", (70, INN2, "500101001"))})
    plan = build_plan(snapshot(onec, crm), Links(), PlanSettings(PROFILE, flows=(Flow.F7,)))
    assert [op.kind for op in plan.operations] == [OpKind.CREATE]
    assert plan.items == ()


def test_invalid_inn_is_reported_and_not_sent() -> None:
    bad = cp("c1", "ООО «Ошибка»", inn="7707083894")
    onec = OnecData(counterparties={"c1": bad}, invoices={"i1": onec_invoice("i1", "c1")})
    plan = build_plan(snapshot(onec, CrmData()), Links(), PlanSettings(PROFILE, flows=(Flow.F7,)))
    assert plan.operations == ()
    (item,) = plan.items
    assert item.record_label.startswith("ООО «Ошибка»")
    assert item.field == "INN" and "контрольное" in item.message


def _crm_invoice(stage: str = "DT31_1:S", product_crm_id: int | None = 100) -> CrmInvoice:
    line = make_line(1, PAPER.name, D(2), D("300"), VatRate.VAT22, product_crm_id=product_crm_id)
    inv = Invoice(
        "СЧ-1",
        dt.date(2026, 3, 2),
        None,
        (line,),
        crm_id=31,
        counterparty_crm_id=5,
        counterparty_name="Ромашка",
    )
    return crm_invoice(inv, stage)


def test_f1_sends_invoice_with_counterparty_contract_and_number_back() -> None:
    onec = OnecData(products={P1: PAPER})
    crm = CrmData(
        companies={5: company(5, "Ромашка", (50, INN, "770801001"))},
        products={100: product(replace(PAPER, onec_ref=None, crm_id=100), P1)},
        invoices={31: _crm_invoice()},
    )
    plan = build_plan(snapshot(onec, crm), Links(), SETTINGS)
    order = [(op.flow, op.kind, op.entity_type) for op in plan.operations]
    assert order == [
        (Flow.F7, OpKind.CREATE, COUNTERPARTY),
        (Flow.F7, OpKind.CREATE, "contract"),
        (Flow.F5, OpKind.LINK, "product"),
        (Flow.F1, OpKind.CREATE, INVOICE),
        (Flow.F1, OpKind.UPDATE, "invoice_number"),
        (Flow.F11, OpKind.TIMELINE, "invoice_pdf"),  # its printed form, once it is made
    ]
    create = plan.operations[3]
    pdf = plan.operations[5]
    assert pdf.depends_on == (create.op_id,) and pdf.payload.document.buyer.inn == INN
    sent = create.payload.invoice
    assert sent.counterparty_ref == plan.operations[0].target_id  # deterministic ref
    assert sent.contract_ref == plan.operations[1].target_id
    assert sent.lines[0].product_ref == P1
    assert create.idempotency_key in sent.comment
    assert "new, will be created in 1C for Ромашка" in create.reason
    assert set(create.depends_on) == {op.op_id for op in plan.operations[:3]}


def test_f1_waits_for_the_stage_and_for_catalog_products() -> None:
    crm = CrmData(
        companies={5: company(5, "Ромашка", (50, INN, "770801001"))},
        invoices={31: _crm_invoice(stage="DT31_1:N")},
    )
    assert build_plan(snapshot(OnecData(), crm), Links(), SETTINGS).operations == ()
    crm.invoices[31] = _crm_invoice(product_crm_id=None)
    plan = build_plan(snapshot(OnecData(), crm), Links(), SETTINGS)
    assert all(op.flow is not Flow.F1 for op in plan.operations)
    assert any("not a catalog product" in i.message for i in plan.items)
    no_stage = build_plan(snapshot(OnecData(), crm), Links(), PlanSettings(PROFILE))
    assert [i.key for i in no_stage.items] == ["F1:no_send_stage"]


@pytest.mark.parametrize(
    ("onec_name", "crm_name", "expect"),
    [
        ("Новое", "Старое", "update_crm"),
        ("Старое", "Новое", "update_onec"),
        ("Новое-1С", "Новое-CRM", "conflict"),
        ("Одно", "Одно", "rebase"),  # both reached it: the base takes it, nothing written
        ("Старое", "Старое", "nothing"),
    ],
)
def test_three_way_diff_for_linked_counterparties(
    onec_name: str, crm_name: str, expect: str
) -> None:
    onec = OnecData(counterparties={"c1": cp("c1", onec_name)})
    crm = CrmData(companies={5: company(5, crm_name, (50, INN, "770801001"))})
    base = {"name": "Старое", "inn": INN, "kpp": "770801001", "phone": "", "email": ""}
    links = Links({COUNTERPARTY: [LinkValues(COUNTERPARTY, "c1", "5/50", base, dict(base))]})
    plan = build_plan(snapshot(onec, crm), links, PlanSettings(PROFILE, flows=(Flow.F7,)))
    if expect == "nothing":
        assert plan.is_empty()
    elif expect == "rebase":
        (op,) = plan.operations
        assert op.kind is OpKind.LINK and op.op_id.split(":")[1] == "rebase"
        assert op.payload.onec_values["name"] == op.payload.crm_values["name"] == "Одно"
        assert plan.items == ()
    elif expect == "conflict":
        assert plan.operations == ()
        (item,) = plan.conflicts
        assert (item.onec_value, item.crm_value, item.base_value) == (
            "Новое-1С",
            "Новое-CRM",
            "Старое",
        )
        # The person takes the 1C value: the CRM is updated to it.
        decided = PlanSettings(
            PROFILE,
            flows=(Flow.F7,),
            decisions={
                item.key: Decision("take_onec", onec_value="Новое-1С", crm_value="Новое-CRM")
            },
        )
        (op,) = build_plan(snapshot(onec, crm), links, decided).operations
        assert op.target is System.CRM and op.payload.values == {"name": "Новое-1С"}
    else:
        (op,) = plan.operations
        assert op.op_id.split(":")[1] == expect


def test_f2_one_c_is_master_after_sending() -> None:
    inv = onec_invoice("i1", "c1")
    base = invoice_values_onec(inv)
    changed = Invoice(
        inv.number,
        inv.date,
        "c1",
        (make_line(1, PAPER.name, D(3), D("300"), VatRate.VAT22, product_ref=P1),),
        onec_ref="i1",
    )
    line = make_line(1, PAPER.name, D(2), D("300"), VatRate.VAT22, product_crm_id=100)
    ci = crm_invoice(Invoice("СЧ-1", inv.date, None, (line,), crm_id=31, counterparty_crm_id=5))
    onec = OnecData(
        counterparties={"c1": cp("c1", "Ромашка")}, invoices={"i1": changed}, products={P1: PAPER}
    )
    crm = CrmData(
        companies={5: company(5, "Ромашка", (50, INN, "770801001"))},
        products={100: product(Product(PAPER.name, crm_id=100), P1)},
        invoices={31: ci},
    )
    links = Links(
        {
            INVOICE: [LinkValues(INVOICE, "i1", "31", base, dict(base))],
            COUNTERPARTY: [LinkValues(COUNTERPARTY, "c1", "5/50", {}, {})],
            "product": [LinkValues("product", P1, "100", {}, {})],
        }
    )
    plan = build_plan(snapshot(onec, crm), links, PlanSettings(PROFILE, flows=(Flow.F2,)))
    (op,) = plan.operations
    assert op.target is System.CRM and set(op.payload.values) == {"rows", "total"}
    # A CRM-side edit of the sent invoice is a conflict.
    onec.invoices["i1"] = inv
    ci2 = crm_invoice(
        Invoice(
            "СЧ-1",
            inv.date,
            None,
            (make_line(1, PAPER.name, D(5), D("300"), VatRate.VAT22, product_crm_id=100),),
            crm_id=31,
            counterparty_crm_id=5,
        )
    )
    crm.invoices[31] = ci2
    plan = build_plan(snapshot(onec, crm), links, PlanSettings(PROFILE, flows=(Flow.F2,)))
    assert plan.operations == ()
    assert {i.field for i in plan.conflicts} == {"Rows", "Total"}
    assert all("1C is the master" in i.message for i in plan.conflicts)


def test_contract_is_reused_when_present() -> None:
    onec = OnecData(
        counterparties={"c1": cp("c1", "Ромашка")},
        contracts={"c1": [Contract("Договор", "c1", "СПокупателем", "k1")]},
        products={P1: PAPER},
    )
    crm = CrmData(
        companies={5: company(5, "Ромашка", (50, INN, "770801001"))},
        products={100: product(Product(PAPER.name, crm_id=100), P1)},
        invoices={31: _crm_invoice()},
    )
    plan = build_plan(snapshot(onec, crm), Links(), SETTINGS)
    assert "contract" not in {op.entity_type for op in plan.operations}
    create = next(op for op in plan.operations if op.entity_type == INVOICE)
    assert create.payload.invoice.contract_ref == "k1"


def test_unlinked_crm_product_with_a_namesake_in_1c_is_linked_after_confirmation() -> None:
    onec = OnecData(products={P1: PAPER})
    typed_by_hand = product(Product(PAPER.name, crm_id=100), "100")  # xmlId = its own id
    crm = CrmData(
        companies={5: company(5, "Ромашка", (50, INN, "770801001"))},
        products={100: typed_by_hand},
        invoices={31: _crm_invoice()},
    )
    plan = build_plan(snapshot(onec, crm), Links(), SETTINGS)
    assert all(op.flow is not Flow.F1 for op in plan.operations)
    (item,) = [i for i in plan.items if i.key.startswith("F5:name:")]
    assert item.onec_value == PAPER.name
    decided = PlanSettings(
        PROFILE, send_stage="DT31_1:S", decisions={item.key: Decision("confirm")}
    )
    plan2 = build_plan(snapshot(onec, crm), Links(), decided)
    kinds = [(op.flow, op.kind) for op in plan2.operations]
    assert (Flow.F5, OpKind.LINK) in kinds and (Flow.F1, OpKind.CREATE) in kinds
