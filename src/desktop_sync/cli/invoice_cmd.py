"""``desktop-sync invoice pdf INVOICE [-o FILE]``: the printed invoice with its payment QR code.

The invoice is found by 1C number, ``number/year``, CRM id (``crm:ID``) or the CRM's
account number, as the window's lookup finds it: in the last read (the snapshot kept
between runs), else in a read made now (nothing is written anywhere). The seller's bank
account is read from 1C at the moment of printing (three small requests).
"""

from __future__ import annotations

from pathlib import Path

import click

from desktop_sync.cli.context import CommandError, Context, echo, emit_json, pass_context
from desktop_sync.cli.door import ask
from desktop_sync.i18n import tr
from desktop_sync.printing import PrintingError, render_invoice_pdf
from desktop_sync.printing.files import default_name, save_pdf


@click.group("invoice")
def invoice_group() -> None:
    """Invoices: the printed form with the payment QR code."""


@invoice_group.command("pdf")
@click.argument("invoice")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="the PDF file to write (default: Счёт_<number>_от_<date>.pdf here)",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@pass_context
def pdf_cmd(ctx: Context, invoice: str, output: Path | None, as_json: bool) -> None:
    """The invoice as PDF with the payment QR code, by 1C number[/year] or crm:ID."""
    found = ask(ctx, lambda svc: svc.invoice_for_print(invoice))
    printable, inv, hit = found.printable, found.invoice, found.found
    try:
        data = render_invoice_pdf(printable)
    except PrintingError as exc:
        raise CommandError(str(exc)) from None
    target = output or Path.cwd() / default_name(inv.number, f"{inv.date:%d.%m.%Y}")
    try:
        save_pdf(target, data)
    except OSError as exc:
        raise CommandError(
            tr("cannot write {path}: {reason}").format(path=target, reason=exc.strerror or exc)
        ) from None
    if as_json:
        emit_json(
            {
                "file": str(target),
                "bytes": len(data),
                "onec_number": inv.year_number,
                "crm_id": hit.crm_id,
                "total": printable.total,
            }
        )
        return
    echo(tr("{title}: saved to {path}").format(title=printable.title, path=target))
