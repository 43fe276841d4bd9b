"""F8's planning rules, on snapshots (pure): which 1C invoices reach the CRM, in whose
words, with what; what F1 must never send back; the profile's settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from desktop_sync.config import Profile
from desktop_sync.config.errors import ConfigError
from desktop_sync.domain.entities import Invoice, Product, Unit, make_line
from desktop_sync.domain.vat import VatRate
from desktop_sync.engine.model import Flow, OpKind, System
from desktop_sync.engine.ops import IssuedInvoice
from desktop_sync.engine.plan_onec_invoices import issued_settings, title_of
from desktop_sync.engine.planner import INVOICE, Links, PlanSettings, build_plan
from desktop_sync.engine.snapshot import CrmData, OnecData, Snapshot
from desktop_sync.i18n import set_language
from desktop_sync.journal import LinkValues

from .test_planner import PROFILE, company, cp, crm_invoice, product

D = Decimal
BUYER = "0a0b0c0d-0000-4000-8000-000000000001"
GOODS = "0a0b0c0d-0000-4000-8000-000000000002"
REF = "0a0b0c0d-0000-4000-8000-000000000028"
SINCE = dt.date(2026, 3, 1)
SETTINGS = PlanSettings(PROFILE, issued_since=SINCE, issued_stage="DT31_1:P", responsible=7)


def invoice(ref: str = REF, day: int = 3, **changes: object) -> Invoice:
    inv = Invoice(
        number="28",
        date=dt.date(2026, 3, day),
        counterparty_ref=BUYER,
        lines=(make_line(1, "Бумага", D(3), D("350.00"), VatRate.VAT22, product_ref=GOODS),),
        onec_ref=ref,
    )
    return replace(inv, **changes)  # type: ignore[arg-type]


def snap(*invoices: Invoice, crm: CrmData | None = None) -> Snapshot:
    goods = Product("Бумага", article="A4", unit=Unit("796", "шт"), price=D("350"), onec_ref=GOODS)
    onec = OnecData(
        counterparties={BUYER: cp(BUYER, "ООО «Ромашка»")},
        products={GOODS: goods},
        invoices={i.onec_ref or "": i for i in invoices},
    )
    return Snapshot(onec, crm or CrmData())


def f8(plan_ops: tuple[object, ...]) -> list[object]:
    return [op for op in plan_ops if getattr(op, "flow", None) is Flow.F8]


def test_a_1c_invoice_is_planned_in_the_accountants_words() -> None:
    set_language("ru")
    try:
        plan = build_plan(snap(invoice()), Links(), SETTINGS)
    finally:
        set_language("en")
    (op,) = f8(plan.operations)
    assert op.reason.startswith(
        "Счёт № 28 от 03.03.2026: выставлен в 1С, будет создан в CRM для ООО «Ромашка»; "
        "НДС 189,34\xa0₽ в 1С (от суммы каждой строки), 189,33\xa0₽ в CRM (за единицу)"
    )
    assert (op.kind, op.target, op.entity_type, op.source_id) == (
        OpKind.CREATE,
        System.CRM,
        INVOICE,
        REF,
    )
    p = op.payload
    assert isinstance(p, IssuedInvoice)
    assert p.title == "Счёт № 28 от 03.03.2026" == title_of(invoice())
    assert (p.stage, p.responsible) == ("DT31_1:P", 7)
    assert p.fields["onec_number"] == "28" and p.fields["outstanding"] == D("1050.00")
    # the buyer and the product do not exist in the CRM yet: F7 and F5 make them first
    assert p.company_of == f"F7:create_crm:{BUYER}" and p.products == (
        (None, f"F5:create_crm:{GOODS}"),
    )
    assert set(op.depends_on) == {f"F7:create_crm:{BUYER}", f"F5:create_crm:{GOODS}"}


def test_what_is_not_sent() -> None:
    ours = invoice("0a0b0c0d-0000-4000-8000-000000000031", comment="x [desktop-sync:k1]")
    deleted = invoice("0a0b0c0d-0000-4000-8000-000000000032", deleted=True)
    before = replace(invoice("0a0b0c0d-0000-4000-8000-000000000034"), date=dt.date(2026, 2, 28))
    linked = invoice("0a0b0c0d-0000-4000-8000-000000000035")
    links = Links({INVOICE: [LinkValues(INVOICE, linked.onec_ref, "5", {}, {})]})
    plan = build_plan(snap(ours, deleted, before, linked), links, SETTINGS)
    assert f8(plan.operations) == []
    # no start day (F8 off), or F8 not among the flows: nothing either
    assert f8(build_plan(snap(invoice()), Links(), PlanSettings(PROFILE)).operations) == []
    only_f1 = replace(SETTINGS, flows=(Flow.F1,))
    assert f8(build_plan(snap(invoice()), Links(), only_f1).operations) == []


def test_only_the_profiles_organisation_is_sent() -> None:
    """A base keeping several organisations' books: the other's invoices stay in 1C."""
    ours = invoice(organization_ref="0a0b0c0d-0000-4000-8000-00000000000a")
    theirs = invoice(
        "0a0b0c0d-0000-4000-8000-000000000036", organization_ref="0a0b0c0d-0000-4000-8000-0b"
    )
    s = snap(ours, theirs)
    s.onec.organization_ref = ours.organization_ref
    assert [op.source_id for op in f8(build_plan(s, Links(), SETTINGS).operations)] == [REF]


def test_an_invoice_in_the_crm_under_its_key_is_completed_not_made_again() -> None:
    """A run killed after the portal made it, its journal lost: the same create, which
    finds it by its key; and F1 never sends it to 1C as a CRM invoice of its own."""
    made = replace(invoice(), onec_ref=None, crm_id=41, counterparty_crm_id=5)
    ci = replace(crm_invoice(made, stage="DT31_1:S"), xml_id=REF)
    crm = CrmData(companies={5: company(5, "ООО «Ромашка»", (9, "7708123450", "770801001"))})
    crm.invoices = {41: ci}
    plan = build_plan(snap(invoice(), crm=crm), Links(), replace(SETTINGS, send_stage="DT31_1:S"))
    (op,) = f8(plan.operations)
    assert op.kind is OpKind.CREATE and op.target_id == "41"
    assert [o for o in plan.operations if o.flow is Flow.F1 and o.source_id == "41"] == []
    assert plan.matches is not None and plan.matches.invoices.pairs[REF].crm_key == "41"


def test_a_row_the_crm_cannot_hold_to_the_kopeck_waits() -> None:
    odd = invoice(
        lines=(make_line(1, "Бумага", D(3), D("33.333"), VatRate.VAT22, product_ref=GOODS),)
    )
    plan = build_plan(snap(odd), Links(), SETTINGS)
    assert f8(plan.operations) == []
    (item,) = [i for i in plan.items if i.key == f"F8:row1_sum:{REF}"]
    assert "100.00" in item.message and f"F8:create_crm:{REF}" in item.blocks


def test_profile_settings() -> None:
    p = Profile(name="shop", onec_url="https://1c.local/base", onec_user="u",
                crm_url="https://b24.example.ru")  # fmt: skip
    assert issued_settings(p, dt.date(2026, 12, 6))["issued_since"] == dt.date(2026, 12, 1)
    p = p.with_setting("onec.invoices_since", "2026-03-01").with_setting("crm.responsible", "7")
    p = p.with_setting("stage.issued", "DT31_1:N").with_setting("stage.cancelled", "DT31_1:D")
    assert issued_settings(p, dt.date(2026, 12, 6)) == {
        "issued_since": SINCE,
        "issued_stage": "DT31_1:N",
        "cancelled_stage": "DT31_1:D",
        "responsible": 7,
        "issued_posted_only": False,  # BP 3.0's invoices are not posted in practice
    }
    ut = replace(p, configuration="ut11")
    assert issued_settings(ut, dt.date(2026, 12, 6))["issued_posted_only"] is True
    with pytest.raises(ConfigError, match="2026-03-01"):
        p.with_setting("onec.invoices_since", "1 марта")
    with pytest.raises(ConfigError, match="number"):
        p.with_setting("crm.responsible", "Иванов")


def test_the_window_says_an_invoice_waits_for_its_product_not_only_in_1c() -> None:
    """A 1C invoice whose product waits for a person is held back through what it
    depends on; its row says what Synchronize will do once that item is
    decided, not «only in 1C» (the demo's № 24 and 25): here the CRM catalog has an
    unlinked product of the same name, and names are never matched automatically."""
    from desktop_sync.readmodel import SyncState, build_views

    namesake = Product("Бумага", unit=Unit("796", "шт"), price=D("350"), crm_id=100)
    s = snap(invoice(), crm=CrmData(products={100: product(namesake, None)}))
    plan = build_plan(s, Links(), SETTINGS)
    assert f8(plan.operations) == []  # held back behind the product
    set_language("ru")
    try:
        (row,) = build_views(s, {}, plan).invoices.rows
        words = row.state_text()
    finally:
        set_language("en")
    assert row.state is SyncState.WAITING and row.pending
    assert words == "Ждёт решения: сначала «Бумага»"  # the cell; the whole in the tooltip
    assert "создать в CRM после решения по «Бумага»" in row.detail
    assert "never matched automatically" in row.detail  # the item's words, as planned


def test_a_ut_draft_order_waits_until_posted() -> None:
    """UT 11: a customer order saved but not posted (a draft) is no commitment yet: F8
    sends it once posted, and the window's row says so beside «Не проведён». BP 3.0's
    invoices go unposted, as accountants leave them."""
    from desktop_sync.readmodel import SyncState, build_views

    draft = invoice(posted=False)
    ut = replace(SETTINGS, issued_posted_only=True)
    set_language("ru")  # the plan's words are in the window's language
    try:
        plan = build_plan(snap(draft), Links(), ut)
        (row,) = build_views(snap(draft), {}, plan).invoices.rows
        words, stage = row.state_text(), (row.onec or {})["stage"]
    finally:
        set_language("en")
    assert f8(plan.operations) == [] and plan.items == ()
    assert row.state is SyncState.ONLY_ONEC and not row.pending  # nobody needs to act
    assert (stage, words) == (
        "Не проведён",
        "Только в 1С: в CRM после проведения",
    )
    assert row.detail.endswith("после проведения в 1С; этот — черновик, его ещё редактируют")
    # an old draft (before the start day) is not F8's: nothing said
    old = build_plan(snap(replace(draft, date=dt.date(2026, 2, 27))), Links(), ut)
    assert old.notes == ()
    assert [op.source_id for op in f8(build_plan(snap(draft), Links(), SETTINGS).operations)] == [
        REF
    ]
    posted = replace(draft, posted=True)
    assert [op.source_id for op in f8(build_plan(snap(posted), Links(), ut).operations)] == [REF]
