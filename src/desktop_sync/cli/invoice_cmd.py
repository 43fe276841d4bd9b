"""``desktop-sync invoice pdf INVOICE [-o FILE]``: the printed invoice with its payment QR code.

The invoice is found by 1C number, ``number/year``, CRM id (``crm:ID``) or the CRM's
account number, as the window's lookup finds it: in the last read (the snapshot kept
between runs), else in a read made now (nothing is written anywhere). The seller's bank
account is read from 1C at the moment of printing (three small requests).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import click

from desktop_sync.cli.context import CommandError, Context, echo, emit_json, pass_context
from desktop_sync.connectors.onec import (
    OnecAuthError,
    OnecConnectionError,
    OnecError,
    OnecUnavailable,
)
from desktop_sync.engine.cache import cache_path
from desktop_sync.engine.cache import load as load_cache
from desktop_sync.engine.invoice_print import printable_invoice, seller_bank, seller_party
from desktop_sync.engine.model import Flow
from desktop_sync.engine.planner import INVOICE
from desktop_sync.engine.service import ConnectError, SyncService
from desktop_sync.engine.snapshot import Snapshot
from desktop_sync.readmodel import InvoiceStatus, find_invoices
from desktop_sync.exitcodes import Exit
from desktop_sync.i18n import tr
from desktop_sync.printing import PrintingError, render_invoice_pdf


@click.group("invoice")
def invoice_group() -> None:
    """Invoices: the printed form with the payment QR code."""


def _exact(hits: list[InvoiceStatus], query: str, crm_only: bool) -> list[InvoiceStatus]:
    """The hits the query names exactly: the CRM id (only it after ``crm:``), the CRM's
    account number, or the 1C number[/year]; a counterparty's name is not exact."""
    text = query.strip().casefold()
    number, _, year = text.partition("/")
    return [
        h
        for h in hits
        if (h.crm_id is not None and text == str(h.crm_id))
        or (
            not crm_only
            and (
                (bool(h.crm_number) and h.crm_number.casefold() == text)
                or (
                    h.number.casefold().lstrip("0") == number.lstrip("0")
                    and (not year or str(h.date.year) == year)
                )
            )
        )
    ]


def _pick(hits: list[InvoiceStatus], query: str) -> InvoiceStatus:
    """The one invoice the person meant, or a message naming the candidates."""
    if not hits:
        raise CommandError(tr("no invoice «{query}» in 1C or in the CRM").format(query=query))
    if len(hits) > 1:
        names = "; ".join(
            f"{h.year_number}" + (f" (crm:{h.crm_id})" if h.crm_id is not None else "")
            + f" {h.counterparty}"
            for h in hits[:5]
        )  # fmt: skip
        raise CommandError(
            tr("«{query}» names {n} invoices: {names}. Give the number with the year "
               "(28/2026) or the CRM id (crm:15)").format(query=query, n=len(hits), names=names)
        )  # fmt: skip
    return hits[0]


def _default_name(number: str, date_text: str) -> str:
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", number).strip("_") or "invoice"
    return f"Счёт_{safe}_от_{date_text}.pdf"


def _write(path: Path, data: bytes) -> None:
    """Whole or nothing: a temporary file beside the target, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".invoice-", suffix=".pdf", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    profile = ctx.store.get(ctx.profile_name)
    query = invoice.strip()
    crm_only = query.casefold().startswith(("crm:", "id:"))
    if crm_only:
        query = query.split(":", 1)[1].strip()
    try:
        with SyncService.open(profile, ctx.paths) as svc:
            links = svc.journal.links(INVOICE)
            cached = load_cache(cache_path(ctx.paths.data_dir, profile.uuid), profile.uuid)
            hits: list[InvoiceStatus] = []
            if cached is not None:
                snap = Snapshot(onec=cached.onec, crm=cached.crm, full=False)
                hits = _exact(find_invoices(snap, links, query), query, crm_only)
            if not hits:  # never read, or made after the last read: read now, write nothing
                snap, _plan = svc.prepare(flows=(Flow.F3,))
                found = find_invoices(snap, svc.journal.links(INVOICE), query)
                hits = _exact(found, query, crm_only) or ([] if crm_only else found)
            hit = _pick(hits, invoice)
            inv = snap.onec.invoices.get(hit.onec_ref or "")
            if inv is None:
                raise CommandError(
                    tr(
                        "Invoice {number} (crm:{id}) is not in 1C yet: the printed form is 1C's "
                        "document; synchronise first"
                    ).format(number=hit.number, id=hit.crm_id)
                )
            try:
                seller = seller_party(svc.onec.organization())
                bank = seller_bank(svc.onec.bank_details())
            except OnecError as exc:
                unreachable = isinstance(
                    exc, (OnecConnectionError, OnecUnavailable, OnecAuthError)
                )  # otherwise what 1C holds is missing: a thing for the person to fill in
                raise CommandError(
                    tr("1C: {reason}").format(reason=exc),
                    Exit.CANNOT_CONNECT if unreachable else Exit.USAGE,
                ) from None
    except ConnectError as exc:
        raise CommandError(str(exc), Exit.CANNOT_CONNECT) from None
    printable = printable_invoice(snap, inv, seller, bank)
    try:
        data = render_invoice_pdf(printable)
    except PrintingError as exc:
        raise CommandError(str(exc)) from None
    target = output or Path.cwd() / _default_name(inv.number, f"{inv.date:%d.%m.%Y}")
    try:
        _write(target, data)
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
