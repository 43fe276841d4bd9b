"""The lookup card's «Print the invoice (PDF)»: the door's invoice to print, rendered and
saved in the worker (never on the GUI thread), the outcome in the window's message bar."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from desktop_sync.errors import Refused
from desktop_sync.gui.controllers.host import WindowHost
from desktop_sync.gui.controllers.lookup import LookupWidget
from desktop_sync.i18n import tr
from desktop_sync.printing import PrintingError, render_invoice_pdf
from desktop_sync.printing.files import save_pdf
from desktop_sync.readmodel import InvoiceStatus


class LookupHost(WindowHost, Protocol):
    lookup: LookupWidget


def query_of(s: InvoiceStatus) -> str:
    """What finds exactly this invoice again: its CRM id, else its 1C number/year."""
    if s.crm_id is not None:
        return f"crm:{s.crm_id}"
    return f"{s.number}/{s.date.year}" if s.date else s.number


class LookupPrinting:
    def __init__(self, host: LookupHost) -> None:
        self.host = host
        host.lookup.print_requested.connect(lambda s, p: self.print_pdf(s, Path(p)))

    def print_pdf(self, status: InvoiceStatus, path: Path) -> None:
        h, svc = self.host, self.host.svc
        if svc is None:
            return
        query = query_of(status)

        def task(progress: Callable[[Any], None], cancel: threading.Event) -> str:
            found = svc.invoice_for_print(query)  # the seller's bank read from 1C now
            try:
                data = render_invoice_pdf(found.printable)
            except PrintingError as exc:
                raise PrintFailed(str(exc)) from None
            try:
                save_pdf(path, data)
            except OSError as exc:
                raise PrintFailed(
                    tr("cannot write {path}: {reason}").format(
                        path=path, reason=exc.strerror or exc
                    )
                ) from None
            return found.printable.title

        h.runner.start(
            task,
            name="print invoice",
            on_done=lambda title: h.window.show_message(
                tr("{title}: saved to {path}").format(title=title, path=path), "info"
            ),
            on_failed=lambda message, _exc: h.show_error(message),
        )


class PrintFailed(Refused):
    """Printing failed for a reason the message says in full (no traceback)."""
