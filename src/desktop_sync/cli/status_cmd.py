"""``desktop-sync status INVOICE``: is it paid, how much is owed, was it shipped."""

from __future__ import annotations

from typing import Any

import click

from desktop_sync.cli.context import CommandError, Context, echo, emit_json, pass_context
from desktop_sync.domain.entities import payment_state
from desktop_sync.domain.money import format_rub
from desktop_sync.engine.model import Flow
from desktop_sync.engine.money import payment_line
from desktop_sync.engine.planner import INVOICE
from desktop_sync.engine.service import ConnectError, SyncService
from desktop_sync.engine.snapshot import Snapshot
from desktop_sync.exitcodes import Exit
from desktop_sync.i18n import tr
from desktop_sync.journal import LinkValues


def find(query: str, snap: Snapshot, links: list[LinkValues]) -> tuple[str | None, int | None]:
    """(1C ref, CRM id) of the invoice a person named: CRM id, account number, 1C number[/year]."""
    by_crm = {int(lk.crm_id): lk.onec_ref for lk in links if lk.crm_id and lk.crm_id.isdigit()}
    by_onec = {lk.onec_ref: int(lk.crm_id) for lk in links if lk.onec_ref and lk.crm_id}
    text = query.strip()
    lowered = text.lower()
    if lowered.startswith(("crm:", "id:")):
        crm_id_text = text.split(":", 1)[1].strip()
        if crm_id_text.isdigit() and int(crm_id_text) in snap.crm.invoices:
            return by_crm.get(int(crm_id_text)), int(crm_id_text)
        return None, None
    if text.isdigit() and int(text) in snap.crm.invoices:
        same_number = [
            inv
            for inv in snap.onec.invoices.values()
            if inv.number.lstrip("0") == text.lstrip("0") and inv.onec_ref != by_crm.get(int(text))
        ]
        if same_number:
            raise CommandError(
                tr(
                    "«{query}» is both the CRM id of an invoice and a 1C invoice number: say "
                    "which — `status crm:{query}` for the CRM id, `status {query}/{year}` for "
                    "the 1C number"
                ).format(query=text, year=max(i.date.year for i in same_number))
            )
        return by_crm.get(int(text)), int(text)
    for crm_id, ci in snap.crm.invoices.items():
        if ci.invoice.number == text:
            return by_crm.get(crm_id), crm_id
    number, _, year = text.partition("/")
    found = [
        inv
        for inv in snap.onec.invoices.values()
        if inv.number.lstrip("0") == number.lstrip("0") and (not year or str(inv.date.year) == year)
    ]
    if len(found) > 1:
        raise CommandError(
            tr(
                "1C has {n} invoices No. {number} (numbers restart every year): add the year, "
                "e.g. {number}/{year}"
            ).format(n=len(found), number=number, year=max(i.date.year for i in found))
        )
    if found and found[0].onec_ref:
        return found[0].onec_ref, by_onec.get(found[0].onec_ref)
    return None, None


@click.command("status")
@click.argument("invoice")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@pass_context
def status_cmd(ctx: Context, invoice: str, as_json: bool) -> None:
    """An invoice by CRM id (crm:ID), account number, or 1C number[/year]: paid, owed,
    shipped."""
    profile = ctx.store.get(ctx.profile_name)
    try:
        with SyncService.open(profile, ctx.paths) as svc:
            snap, _plan = svc.prepare(flows=(Flow.F3, Flow.F4))
            links = svc.journal.links(INVOICE)
    except ConnectError as exc:
        raise CommandError(str(exc), Exit.CANNOT_CONNECT) from None
    onec_ref, crm_id = find(invoice, snap, links)
    if onec_ref is None and crm_id is None:
        raise CommandError(tr("no invoice «{query}» in 1C or in the CRM").format(query=invoice))
    data: dict[str, Any] = {"crm_id": crm_id, "onec_ref": onec_ref}
    ci = snap.crm.invoices.get(crm_id) if crm_id is not None else None
    if ci is not None:
        data["crm"] = {
            "number": ci.invoice.number,
            "stage": snap.crm.stages.get(ci.stage_id, ci.stage_id),
            "total": ci.invoice.total,
        }
    inv = snap.onec.invoices.get(onec_ref) if onec_ref else None
    if inv is not None:
        state = payment_state(onec_ref or "", inv.total, list(snap.onec.payments.values()))
        shipped = sum(
            (
                s.total
                for s in snap.onec.shipments.values()
                if s.invoice_ref == onec_ref and s.posted and not s.deleted
            ),
            start=inv.total * 0,
        )
        data["onec"] = {
            "number": inv.number,
            "date": inv.date.isoformat(),
            "counterparty": snap.onec.counterparties[inv.counterparty_ref].name
            if inv.counterparty_ref in snap.onec.counterparties
            else "",
            "total": inv.total,
            "paid": state.paid,
            "outstanding": state.outstanding,
            "fully_paid": state.fully_paid,
            "last_payment_date": state.last_payment_date.isoformat()
            if state.last_payment_date
            else None,
            "payments": [
                payment_line(
                    p,
                    sum(
                        (a.amount for a in p.allocations if a.invoice_ref == onec_ref),
                        start=inv.total * 0,
                    ),
                )
                for p in state.payments
            ],
            "shipped": shipped,
        }
    # The contract's top-level summary: what a script reads first.
    summary = data.get("onec", {})
    data.update(
        {
            "total": summary.get("total", ci.invoice.total if ci else None),
            "paid": summary.get("paid"),
            "outstanding": summary.get("outstanding"),
            "payments": summary.get("payments", []),
            "shipped": summary.get("shipped"),
            "stage": data.get("crm", {}).get("stage"),
            "onec_number": f"{inv.number}/{inv.date.year}" if inv else None,
            "crm_number": ci.invoice.number if ci else None,
        }
    )
    if as_json:
        emit_json(data)
        return
    if "onec" in data:
        o = data["onec"]
        echo(
            tr("Invoice No. {number} of {date} — {counterparty}").format(
                number=o["number"],
                date=inv.date.strftime("%d.%m.%Y") if inv else "",
                counterparty=o["counterparty"] or "—",
            )
        )
        echo(
            tr("Total {total}; paid {paid}; outstanding {left}").format(
                total=format_rub(o["total"]),
                paid=format_rub(o["paid"]),
                left=format_rub(o["outstanding"]),
            )
        )
        for line in o["payments"]:
            echo(f"  • {line}")
        echo(tr("Shipped: {amount}").format(amount=format_rub(o["shipped"])))
    if "crm" in data:
        echo(
            tr("In the CRM: invoice {number} (id {id}), stage «{stage}»").format(
                number=data["crm"]["number"], id=crm_id, stage=data["crm"]["stage"]
            )
        )
    else:
        echo(tr("Not in the CRM."))
