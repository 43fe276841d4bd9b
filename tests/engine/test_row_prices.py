"""Invoice rows keep the manager's price: 1C's price × quantity − discount is the row's
sum, the totals agree with the CRM to the kopeck, and where a kopeck of VAT rounding
goes is said in the plan and the journal (issue 15; issue 16 item 8).

The row arithmetic is the portal's (the sandbox's ``rows.compute``); the end-to-end
cases run the real clients against both sandboxes on BP 3.0 and UT 11.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.mapping import invoice_line
from desktop_sync.domain.entities import Invoice
from desktop_sync.domain.money import round_money
from desktop_sync.domain.vat import vat_in_sum
from desktop_sync.engine.model import Flow, OpKind
from desktop_sync.engine.plan_invoice_checks import (
    plausible_date,
    repriced_as_base,
    rounding_notes,
)
from desktop_sync.engine.planner import INVOICE
from desktop_sync.sandbox.bitrix24 import rows as portal
from tests.e2e.conftest import CONFIGURATIONS, World, make_world

D = Decimal


def crm_row(
    price: str, qty: str, rate: int | None = 22, included: bool = True, discount_rate: str = "0"
) -> dict[str, Any]:
    """A product row as the portal stores and returns it for what the manager typed."""
    row: dict[str, Any] = {
        "productName": "Товар",
        "price": D(price),
        "quantity": D(qty),
        "taxRate": D(rate) if rate is not None else None,
        "taxIncluded": "Y" if included else "N",
        "discountTypeId": 2,
        "discountRate": D(discount_rate),
        "discountSum": D(0),
        "measureCode": 796,
    }
    portal.compute(row)
    return row


def test_price_with_vat_included_is_the_managers_price() -> None:
    line = invoice_line(1, crm_row("1234.56", "3"))
    assert (line.price, line.quantity, line.amount, line.discount) == (
        D("1234.56"), D(3), D("3703.68"), D(0),
    )  # fmt: skip
    assert line.price * line.quantity == line.amount
    assert line.vat_amount == vat_in_sum(D("3703.68"), line.vat_rate) == D("667.88")


def test_half_kopeck_price_is_the_crms_price_without_an_invented_discount() -> None:
    row = crm_row("100.005", "2")
    assert row["price"] == D("100.01")  # the portal keeps kopecks
    line = invoice_line(1, row)
    assert (line.price, line.amount, line.discount) == (D("100.01"), D("200.02"), D(0))


def test_discount_keeps_the_price_before_it() -> None:
    # 1000 with VAT, 10 % off: the portal stores the final 900
    line = invoice_line(1, crm_row("900", "2", discount_rate="10"))
    assert (line.price, line.amount, line.discount) == (D("1000.00"), D("1800.00"), D("200.00"))


def test_vat_on_top_keeps_the_net_price_and_the_crms_total() -> None:
    # 1011.93 without VAT; the portal stores 1234.55 with 22 % (rounded per unit)
    row = crm_row("1234.5546", "3", included=False)
    line = invoice_line(1, row)
    assert line.price == row["priceExclusive"] == D("1011.93")
    assert line.amount == D("3035.79") == line.price * line.quantity
    assert line.total_with_vat == portal.row_total(row) == D("3703.65")
    assert line.vat_amount == D("667.86")  # 1C's 22 % of 3035.79 would be 667.87


@pytest.mark.parametrize("included", [True, False])
def test_every_row_agrees_with_the_crm_and_with_itself(included: bool) -> None:
    prices = ["0.01", "1.005", "99.99", "100.005", "1234.56", "10.01", "333.33", "80000"]
    quantities = ["1", "2", "3", "7", "0.5", "1.25", "100"]
    discounts = ["0", "3", "10", "33.3"]
    for price, qty, disc, rate in itertools.product(prices, quantities, discounts,
                                                    (22, 10, 0, None)):  # fmt: skip
        row = crm_row(price, qty, rate, included, discount_rate=disc)
        line = invoice_line(1, row)
        what = (price, qty, disc, rate)
        assert line.total_with_vat == portal.row_total(row), what  # the CRM's row sum
        assert line.discount >= 0, what
        # 1C's own arithmetic: price × quantity − discount is the row's sum
        assert round_money(line.price * line.quantity) - line.discount == line.amount, what
        if not disc.strip("0.") and (included or rate in (0, None)):
            assert line.price == row["price"], what  # no discount: the manager's price


def test_implausible_dates() -> None:
    today = dt.date(2026, 12, 6)
    assert plausible_date(dt.date(2026, 3, 1), today)
    assert plausible_date(dt.date(2027, 12, 1), today)
    assert not plausible_date(dt.date(1899, 12, 31), today)
    assert not plausible_date(dt.date(2100, 1, 1), today)


# -- end to end ------------------------------------------------------------------------------


@pytest.fixture(params=CONFIGURATIONS)
def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch, configuration=str(request.param))


def _crm(world: World) -> Bitrix24Client:
    return Bitrix24Client(world.crm.webhook, throttle=False)


def _new_crm_invoice(world: World, rows: list[dict[str, Any]], day: str = "2026-03-20") -> int:
    """After a first sync: a new invoice for a buyer and a product already sent once,
    with the rows as a manager types them, moved to the "send" stage."""
    with world.service() as svc:
        svc.run()
        link = svc.journal.links(INVOICE)[0]
    with _crm(world) as c:
        sent = c.invoices.get(int(link.crm_id or 0))
        product_id = sent.invoice.lines[0].product_crm_id
        chosen = c.invoices.invoice_requisites([sent.invoice.crm_id or 0])
        new_id = c.invoices.add_invoice(
            {"title": "Счёт с копейками", "companyId": sent.company_id, "currencyId": "RUB",
             "begindate": day, "stageId": "DT31_1:N"},
            xml_id=f"test-{uuid.uuid4()}",
        )  # fmt: skip
        if sent.invoice.crm_id in chosen:
            c.invoices.link_invoice_requisite(new_id, chosen[sent.invoice.crm_id or 0])
        c.call(
            "crm.item.productrow.set",
            {"ownerType": "SI", "ownerId": new_id,
             "productRows": [{"productId": product_id, **r} for r in rows]},
        )  # fmt: skip
        c.invoices.update_invoice(new_id, {"stageId": "DT31_1:S"})
    return new_id


def test_rows_reach_1c_with_the_managers_price(world: World) -> None:
    crm_id = _new_crm_invoice(
        world,
        [
            {"price": "1234.56", "quantity": 3, "taxRate": 22, "taxIncluded": "Y"},
            {"price": "100.005", "quantity": 2, "taxRate": 10, "taxIncluded": "Y"},
        ],
    )
    with world.service() as svc:
        summary, plan = svc.run(flows=(Flow.F7, Flow.F5, Flow.F1))
        assert summary.counts.get("failed", 0) == 0, summary.failures
        (op,) = [
            o
            for o in plan.operations
            if o.flow is Flow.F1 and o.kind is OpKind.CREATE and o.source_id == str(crm_id)
        ]
        link = svc.journal.link(INVOICE, crm_id=str(crm_id))
        assert link is not None and link.onec_ref
        run_id = svc.journal.runs(limit=1)[0].id
        journalled = [r for r in svc.journal.operations(run_id) if r.source_id == str(crm_id)]
    with world.story.client() as onec:
        made = onec.invoice(link.onec_ref)
    with _crm(world) as c:
        ci = c.invoices.get(crm_id)
    assert made is not None
    got = [(ln.price, ln.quantity, ln.amount, ln.discount) for ln in made.lines]
    assert got == [
        (D("1234.56"), D(3), D("3703.68"), D(0)),
        (D("100.01"), D(2), D("200.02"), D(0)),
    ]
    for ln in made.lines:
        assert ln.price * ln.quantity == ln.amount  # 1C's own price × quantity
    assert made.total == ci.opportunity == D("3903.70")  # to the kopeck
    # VAT: 1C on each row's sum (667.88 + 18.18), the CRM per unit (667.89 + 18.18)
    assert (made.vat_total, ci.tax_value) == (D("686.06"), D("686.07"))
    # where the kopeck went is said in the plan and kept in the journal
    assert "686.06" in op.reason and "686.07" in op.reason, op.reason  # English, as tables
    assert any(f.field == "vat" for f in op.changes)
    assert any("686.06" in r.reason for r in journalled)


@pytest.mark.parametrize("day", ["1899-12-31", "2100-01-01"])
def test_implausible_invoice_date_waits_with_the_invoice_and_the_field(
    world: World, day: str
) -> None:
    crm_id = _new_crm_invoice(
        world, [{"price": "500", "quantity": 1, "taxRate": 22, "taxIncluded": "Y"}], day
    )
    with world.service() as svc:
        _summary, plan = svc.run(flows=(Flow.F7, Flow.F5, Flow.F1))
        assert svc.journal.link(INVOICE, crm_id=str(crm_id)) is None
    assert all(op.source_id != str(crm_id) for op in plan.operations if op.flow is Flow.F1)
    (item,) = [i for i in plan.items if i.key == f"F1:date:{crm_id}"]
    assert item.field == "Date" and item.record_id == str(crm_id)
    assert "Invoice No." in item.record_label
    assert day in item.message  # in English, as the tests run: the date as the tables write it


def test_a_fraction_of_a_kopeck_in_the_crms_price_is_said() -> None:
    row = {"productName": "Товар", "price": "100.005", "quantity": "2", "taxRate": "22",
           "taxIncluded": "Y", "priceExclusive": "81.97", "priceNetto": "81.97",
           "priceBrutto": "100.005"}  # fmt: skip
    line = invoice_line(1, row)
    assert (line.price, line.amount, line.discount) == (D("100.005"), D("200.01"), D(0))
    inv = Invoice("7", dt.date(2026, 3, 2), None, (line,))
    (note,) = rounding_notes(inv)
    assert "100.005" in note and "fraction of a kopeck" in note


def test_an_invoice_sent_before_the_fix_is_not_a_conflict_after_the_upgrade() -> None:
    """Its base holds 1234.55 (derived back from the CRM's rounding); the CRM row now
    reads 1234.56 with the same sum: nobody edited it. A changed sum is still an edit."""
    base = {"rows": [["p1", "3", "1234.55", "3703.68", "НДС22"]], "total": "3703.68"}
    now = {"rows": [["p1", "3", "1234.56", "3703.68", "НДС22"]], "total": "3703.68"}
    assert repriced_as_base(now, base) == base
    edited = {"rows": [["p1", "4", "1234.56", "4938.24", "НДС22"]], "total": "4938.24"}
    assert repriced_as_base(edited, base) == edited
    assert repriced_as_base(now, {}) == now


def test_vat_on_top_reaches_1c_with_the_net_price_and_the_crms_total(world: World) -> None:
    crm_id = _new_crm_invoice(
        world, [{"price": "1234.5546", "quantity": 3, "taxRate": 22, "taxIncluded": "N"}]
    )
    with world.service() as svc:
        summary, plan = svc.run(flows=(Flow.F7, Flow.F5, Flow.F1))
        assert summary.counts.get("failed", 0) == 0, summary.failures
        (op,) = [o for o in plan.operations if o.op_id == f"F1:create_onec:{crm_id}"]
        link = svc.journal.link(INVOICE, crm_id=str(crm_id))
        assert link is not None and link.onec_ref
    with world.story.client() as onec:
        made = onec.invoice(link.onec_ref)
    with _crm(world) as c:
        ci = c.invoices.get(crm_id)
    assert made is not None
    (ln,) = made.lines
    assert (ln.price, ln.amount, ln.vat_amount, ln.discount) == (
        D("1011.93"), D("3035.79"), D("667.86"), D(0),
    )  # fmt: skip
    assert not ln.vat_included and ln.price * ln.quantity == ln.amount
    assert made.total == ci.opportunity == D("3703.65")
    assert "667.86" in op.reason and "667.87" in op.reason, op.reason
