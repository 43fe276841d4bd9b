import datetime as dt
from decimal import Decimal

from desktop_sync.domain.entities import (
    Allocation,
    Invoice,
    Payment,
    PaymentKind,
    make_line,
    payment_state,
)
from desktop_sync.domain.vat import VatRate

D = Decimal


def _invoice() -> Invoice:
    lines = (
        make_line(1, "Бумага «Снегурочка»", D(3), D("333.33"), VatRate.VAT22),
        make_line(2, "Доставка", D(1), D("500"), VatRate.WITHOUT),
    )
    return Invoice("12", dt.date(2026, 3, 2), "cp", lines, onec_ref="inv")


def test_invoice_total_is_sum_of_rounded_rows() -> None:
    inv = _invoice()
    assert inv.lines[0].amount == D("999.99")
    assert inv.lines[0].vat_amount == D("180.33")
    assert inv.total == D("1499.99")
    assert inv.vat_total == D("180.33")
    assert inv.year_number == "12/2026"


def test_vat_on_top_rows() -> None:
    line = make_line(1, "X", D(2), D("100"), VatRate.VAT22, vat_included=False)
    assert line.amount == D("200.00")
    assert line.vat_amount == D("44.00")
    assert line.total_with_vat == D("244.00")


def test_payment_state_partial_refund_and_unposted() -> None:
    inv = _invoice()
    pays = [
        Payment(
            "1",
            dt.date(2026, 3, 3),
            PaymentKind.BANK,
            D("1000"),
            "cp",
            (Allocation(D("1000"), "inv"),),
        ),
        Payment(
            "2",
            dt.date(2026, 3, 5),
            PaymentKind.CARD,
            D("700"),
            "cp",
            (Allocation(D("499.99"), "inv"), Allocation(D("200.01"), "other")),
        ),
        Payment(
            "3",
            dt.date(2026, 3, 6),
            PaymentKind.BANK_REFUND,
            D("100"),
            "cp",
            (Allocation(D("100"), "inv"),),
        ),
        Payment(
            "4",
            dt.date(2026, 3, 7),
            PaymentKind.BANK,
            D("100"),
            "cp",
            (Allocation(D("100"), "inv"),),
            posted=False,
        ),
    ]
    state = payment_state("inv", inv.total, pays)
    assert state.paid == D("1399.99")
    assert state.outstanding == D("100.00")
    assert state.partly_paid and not state.fully_paid
    assert state.last_payment_date == dt.date(2026, 3, 5)
    assert [p.number for p in state.payments] == ["1", "2", "3"]


def test_overpayment_is_visible() -> None:
    state = payment_state(
        "inv",
        D("100"),
        [
            Payment(
                "1",
                dt.date(2026, 1, 1),
                PaymentKind.CASH,
                D("150"),
                "cp",
                (Allocation(D("150"), "inv"),),
            )
        ],
    )
    assert state.fully_paid
    assert state.overpaid == D("50.00")
    assert state.outstanding == D("0.00")
