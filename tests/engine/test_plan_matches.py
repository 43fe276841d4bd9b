"""The planner hands over what it matched (issue 17): the window's read model shows the
records side by side from these pairs instead of matching again."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from desktop_sync.domain.entities import Invoice, make_line
from desktop_sync.domain.vat import VatRate
from desktop_sync.engine.model import Flow, idempotency_key, onec_ref_for
from desktop_sync.engine.planner import COUNTERPARTY, INVOICE, Links, build_plan
from desktop_sync.engine.snapshot import CrmData, OnecData
from desktop_sync.journal import LinkValues
from tests.engine.test_planner import (
    INN,
    P1,
    PAPER,
    PROFILE,
    SETTINGS,
    D,
    company,
    cp,
    crm_invoice,
    onec_invoice,
    product,
    snapshot,
)


def test_the_plan_carries_the_pairs_it_matched() -> None:
    onec = OnecData(
        counterparties={"c1": cp("c1", "Ромашка"), "c2": cp("c2", "Лютик", kpp="770802002")},
        invoices={"i1": onec_invoice("i1", "c1"), "i2": onec_invoice("i2", "c2")},
        products={P1: PAPER},
    )
    line = make_line(1, PAPER.name, D(2), D("300"), VatRate.VAT22, product_crm_id=100)
    sent = Invoice("СЧ-1", dt.date(2026, 3, 2), None, (line,), crm_id=31, counterparty_crm_id=5)
    crm = CrmData(
        companies={5: company(5, "Ромашка", (50, INN, "770801001"))},
        products={100: product(replace(PAPER, onec_ref=None, crm_id=100), P1)},
        invoices={31: crm_invoice(sent), 32: crm_invoice(replace(sent, crm_id=32))},
    )
    links = Links({INVOICE: [LinkValues(INVOICE, "i1", "31", {}, {})]})
    plan = build_plan(snapshot(onec, crm), links, SETTINGS)
    m = plan.matches
    assert m is not None
    (pair,) = m.counterparties.pairs.values()  # by ИНН and КПП; the branch has no pair
    assert (pair.onec_ref, pair.crm_key, pair.rule, pair.known) == ("c1", "5/50", "inn_kpp", False)
    assert m.counterparties.by_crm == {"5/50": "c1"}
    assert m.products.pairs[P1].crm_key == "100" and m.products.pairs[P1].rule == "xml_id"
    assert m.invoices.by_crm == {"31": "i1"} and m.invoices.pairs["i1"].known
    # The same as matching again, and no part of what makes two plans equal.
    assert build_plan(snapshot(onec, crm), links, SETTINGS) == plan


def test_an_invoice_found_in_1c_is_among_the_pairs() -> None:
    """A CRM invoice at the send stage that 1C already holds (a lost journal): linked, and
    the pair says how it was found."""
    ref = onec_ref_for(idempotency_key(PROFILE, Flow.F1, INVOICE, "31"))
    line = make_line(1, PAPER.name, D(2), D("300"), VatRate.VAT22, product_crm_id=100)
    ci = Invoice("СЧ-1", dt.date(2026, 3, 2), None, (line,), crm_id=31, counterparty_crm_id=5)
    onec = OnecData(
        counterparties={"c1": cp("c1", "Ромашка")},
        invoices={ref: replace(onec_invoice(ref, "c1"), number="12")},
        products={P1: PAPER},
    )
    crm = CrmData(
        companies={5: company(5, "Ромашка", (50, INN, "770801001"))},
        products={100: product(replace(PAPER, onec_ref=None, crm_id=100), P1)},
        invoices={31: crm_invoice(ci, stage="DT31_1:S")},
    )
    links = Links({COUNTERPARTY: [LinkValues(COUNTERPARTY, "c1", "5/50", {}, {})]})
    plan = build_plan(snapshot(onec, crm), links, SETTINGS)
    assert plan.matches is not None
    pair = plan.matches.invoices.pairs[ref]
    assert (pair.crm_key, pair.rule, pair.known) == ("31", "key", False)
    assert plan.matches.counterparties.pairs["c1"].known
