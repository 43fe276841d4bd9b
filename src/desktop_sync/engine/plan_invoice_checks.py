"""F1, before a CRM invoice is sent to 1C: what holds it back, said in words, and the
notes its plan carries (VAT rounding). Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desktop_sync.domain.entities import Invoice
from desktop_sync.domain.money import KOPECK
from desktop_sync.domain.vat import vat_on_top
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.model import Flow
from desktop_sync.engine.plan_base import INVOICE, Builder, fmt_date
from desktop_sync.i18n import money_label, tr

EARLIEST = dt.date(2000, 1, 1)  # before it, a date is an empty or mistyped one (1899-12-31)
AHEAD = dt.timedelta(days=366)  # an invoice dated more than a year ahead is a typo


def invoice_label(inv: Invoice) -> str:
    return tr("Invoice No. {number} of {date}").format(number=inv.number, date=fmt_date(inv))


def plausible_date(day: dt.date, today: dt.date | None = None) -> bool:
    """Whether an invoice date can be meant: not before 2000, not over a year ahead."""
    if today is None and EARLIEST <= day <= _SURELY_NOT_AHEAD:
        return True  # without asking the clock for each of a plan's invoices
    return EARLIEST <= day <= (today or dt.date.today()) + AHEAD


# Today only grows: a day within a year of the day this module was loaded is within a
# year of today.
_SURELY_NOT_AHEAD = dt.date.today() + AHEAD


@dataclass(frozen=True, slots=True)
class Refusals:
    """The attention items that hold one CRM invoice's create back (``op_id``)."""

    b: Builder
    crm_id: str
    label: str
    op_id: str

    def attention(
        self, suffix: str, field_name: str, message: str, action: str, value: Any = None
    ) -> None:
        self.b.attention(
            Flow.F1,
            INVOICE,
            f"F1:{suffix}:{self.crm_id}",
            record_id=self.crm_id,
            record_label=self.label,
            field=field_name,
            message=message,
            action=action,
            crm_value=value,
            blocks=(self.op_id,),
        )


def check_invoice(say: Refusals, inv: Invoice) -> None:
    """The invoice as a whole: currency, date, rows, one "VAT included" setting."""
    if inv.currency != "RUB":
        say.attention(
            "currency",
            nz.label("currency"),
            tr("the invoice is in {currency}; only roubles are synchronized").format(
                currency=inv.currency
            ),
            tr("issue the invoice in roubles, or enter it in 1C by hand"),
            inv.currency,
        )
    if not plausible_date(inv.date):
        say.attention(
            "date",
            nz.label("date"),
            tr(
                "the invoice is dated {date}: an empty or mistyped date (before 2000 or more "
                "than a year ahead); 1C would file it under that date"
            ).format(date=fmt_date(inv)),
            tr("correct the invoice date in the CRM"),
            inv.date.isoformat(),
        )
    if not inv.lines:
        say.attention(
            "no_rows",
            nz.label("rows"),
            tr("the invoice has no rows"),
            tr("add the goods or services to the invoice in the CRM"),
        )
    if len({line.vat_included for line in inv.lines}) > 1:
        # One 1C document has one "VAT included" setting: refused here, not planned
        # and refused by the connector on every run.
        say.attention(
            "vat_included",
            nz.label("rows"),
            tr(
                "invoice {number}: some rows include VAT and some do not; a 1C invoice has "
                "one setting for all rows"
            ).format(number=inv.number),
            tr("correct the invoice in the CRM; the rest of the run goes on"),
        )


def check_buyer(say: Refusals, contact_only: bool) -> None:
    """No company (or no requisite chosen among several): the buyer cannot be named."""
    if contact_only:
        say.attention(
            "contact",
            nz.label("counterparty"),
            tr(
                "the buyer is a contact (a private person) the CRM did not return; "
                "it may have been deleted"
            ),
            tr("choose an existing contact or a company as the buyer in the CRM"),
        )
    else:
        say.attention(
            "no_company",
            nz.label("counterparty"),
            tr(
                "the invoice names no company (or a company with several requisites "
                "and none chosen)"
            ),
            tr("choose the buyer company and its requisite in the CRM invoice"),
        )


def check_rows(say: Refusals, inv: Invoice) -> None:
    """A row's quantity above zero and its price not below: a return is another document."""
    for line in inv.lines:
        bad = [(tr("Quantity"), "qty", line.quantity)] if line.quantity <= 0 else []
        bad += [(tr("Price"), "price", line.price)] if line.price < 0 else []
        for field_name, code, value in bad:
            say.attention(
                f"row{line.line_no}_{code}",
                field_name,
                tr("row {n} «{name}»: {field} is {value}").format(
                    n=line.line_no, name=line.product_name, field=field_name, value=value
                ),
                tr("correct the row in the CRM invoice; a return is a separate document"),
                str(value),
            )


def rounding_notes(
    inv: Invoice,
    crm_vat: Decimal | None = None,
    *,
    vat_total: Decimal | None = None,
    total: Decimal | None = None,
) -> list[str]:
    """Where a kopeck of VAT rounding goes, in words (the plan and the journal say it).

    The rows keep the manager's prices and the CRM's row sums, so the totals agree.
    VAT on top: the CRM rounds the price with VAT per unit, so a row's VAT is what
    makes its total the CRM's and may differ from 1C's own sum × rate. VAT in the
    price: 1C computes it on each row's sum, the CRM per unit; the total still agrees.
    ``vat_total``, ``total``: the invoice's, when the caller has added them up already.
    """
    notes: list[str] = []
    for line in inv.lines:
        if line.price != line.price.quantize(KOPECK):
            notes.append(
                tr(
                    "row {n}: the CRM's price {price} has a fraction of a kopeck; the row's sum "
                    "{amount} is the CRM's"
                ).format(n=line.line_no, price=line.price, amount=money_label(line.amount))
            )
        if line.vat_included:
            continue
        formula = vat_on_top(line.amount, line.vat_rate)
        if formula != line.vat_amount:
            notes.append(
                tr(
                    "row {n}: VAT {vat} instead of {formula} ({rate} of {amount}) so that the "
                    "row's total is the CRM's {total} (the CRM rounds the price with VAT per unit)"
                ).format(
                    n=line.line_no,
                    vat=money_label(line.vat_amount),
                    formula=money_label(formula),
                    rate=nz.display("vat", line.vat_rate.value),
                    amount=money_label(line.amount),
                    total=money_label(line.total_with_vat),
                )
            )
    if crm_vat is not None and vat_total is None:
        vat_total = inv.vat_total
    if crm_vat is not None and vat_total is not None and crm_vat != vat_total:
        notes.append(
            tr(
                "VAT {onec} in 1C (on each row's sum), {crm} in the CRM (per unit); "
                "the total {total} is the same"
            ).format(
                onec=money_label(vat_total),
                crm=money_label(crm_vat),
                total=money_label(inv.total if total is None else total),
            )
        )
    return notes


def repriced_as_base(now: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """The CRM's rows with the base's unit prices where only the price differs.

    Before the rows kept the manager's price, a sent invoice's base held the price
    derived back from the CRM's rounded figures (1234.55 for 1234.56). The same row
    (product, quantity, sum with VAT, rate) read now is not an edit by anyone: it must
    not become a conflict after an upgrade. An edit that changes a row's sum still does.
    """
    rows, old = now.get("rows"), base.get("rows")
    if not (isinstance(rows, list) and isinstance(old, list) and len(rows) == len(old)):
        return now
    for r, b in zip(rows, old, strict=True):
        if not (isinstance(r, list) and isinstance(b, list) and len(r) == len(b) == 5):
            return now
        if r[:2] + r[3:] != b[:2] + b[3:]:  # product, quantity | sum with VAT, rate
            return now
    return {**now, "rows": old}
