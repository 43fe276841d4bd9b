"""``desktop-sync status INVOICE``: is it paid, how much is owed, was it shipped."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from desktop_sync.cli.context import Context, echo, emit_json, pass_context
from desktop_sync.cli.door import ask
from desktop_sync.i18n import day_label, money_label, tr

if TYPE_CHECKING:
    from desktop_sync.engine.records import InvoiceStatus


def status_data(st: InvoiceStatus) -> dict[str, Any]:
    """The ``--json`` contract: the 1C side, the CRM side, and a summary on top."""
    data: dict[str, Any] = {"crm_id": st.crm_id, "onec_ref": st.onec_ref}
    if st.crm_total is not None:
        data["crm"] = {
            "record": "deal" if st.deal else "invoice",  # F9: a deal sent as an invoice
            "number": st.crm_number,
            "stage": st.stage,
            "total": st.crm_total,
        }
    if st.in_onec:
        data["onec"] = {
            "number": st.number,
            "date": st.date.isoformat(),
            "counterparty": st.counterparty,
            "total": st.total,
            "paid": st.paid,
            "outstanding": st.outstanding,
            "fully_paid": st.fully_paid,
            "last_payment_date": st.last_payment_date.isoformat() if st.last_payment_date else None,
            "payments": [line.text for line in st.payments],
            "shipped": st.shipped,
        }
    # The contract's top-level summary: what a script reads first.
    summary = data.get("onec", {})
    data.update(
        {
            "total": summary.get("total", st.crm_total),
            "paid": summary.get("paid"),
            "outstanding": summary.get("outstanding"),
            "payments": summary.get("payments", []),
            "shipped": summary.get("shipped"),
            "stage": data.get("crm", {}).get("stage"),
            "onec_number": st.year_number if st.in_onec else None,
            "crm_number": st.crm_number if st.crm_total is not None else None,
            "note": st.note,  # what it waits for that needs no person, in words
        }
    )
    return data


@click.command("status")
@click.argument("invoice")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@pass_context
def status_cmd(ctx: Context, invoice: str, as_json: bool) -> None:
    """An invoice by CRM id (crm:ID), account number, or 1C number[/year], or a deal
    (deal:ID): paid, owed, shipped."""
    st = ask(ctx, lambda svc: svc.invoice_status(invoice))
    data = status_data(st)
    if as_json:
        emit_json(data)
        return
    if "onec" in data:
        o = data["onec"]
        echo(
            tr("Invoice No. {number} of {date} — {counterparty}").format(
                number=o["number"],
                date=day_label(st.date),
                counterparty=o["counterparty"] or "—",
            )
        )
        echo(
            tr("Total {total}; paid {paid}; outstanding {left}").format(
                total=money_label(o["total"]),
                paid=money_label(o["paid"]),
                left=money_label(o["outstanding"]),
            )
        )
        for line in st.payments:  # as the language writes dates (the JSON: as the CRM)
            echo(f"  • {line.said or line.text}")
        echo(tr("Shipped: {amount}").format(amount=money_label(o["shipped"])))
    if "crm" in data:
        crm = (
            tr("In the CRM: deal {number}, stage «{stage}»")
            if st.deal
            else tr("In the CRM: invoice {number} (id {id}), stage «{stage}»")
        )
        echo(crm.format(number=st.crm_number, id=st.crm_id, stage=st.stage))
        if st.note and not st.in_onec:  # not at the send stage: goes to 1C from there
            missing = tr("This deal is not in 1C: {why}.") if st.deal else tr("Not in 1C: {why}.")
            echo(missing.format(why=st.note))
    elif st.note:  # e.g. a UT 11 draft order: it goes once posted
        echo(tr("Not in the CRM: {why}.").format(why=st.note))
    else:
        echo(tr("Not in the CRM."))
