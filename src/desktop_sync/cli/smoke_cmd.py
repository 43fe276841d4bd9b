"""Hidden self-checks for the built executable (``packaging/smoke.py`` runs them).

``smoke-gui`` opens the real window through ``desktop_sync.gui.app.run_gui``,
waits until it is shown and exposed (and, with ``--data``, until the first read
of both systems has landed in the window), prints one JSON line and quits with 0;
anything else exits non-zero. ``smoke-keyring`` does a set/get/delete round trip
through the keyring backend the executable finds, which is what a frozen build
gets wrong when keyring's entry points or backends were not bundled.

Qt is loaded lazily through ``importlib``, as ``gui_launch`` loads the window:
the command-line package never imports Qt at module level (``tests/test_layers``),
and the whole readiness check is a timer on the GUI thread, so nothing here
touches a widget from another thread.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import uuid
from typing import Any

import click

from desktop_sync.cli.context import CommandError, Context, pass_context
from desktop_sync.config import AppPaths
from desktop_sync.exitcodes import Exit

POLL_MS = 50


def _side_counts(window: Any) -> dict[str, dict[str, int]]:
    """Rows per data tab, and how many of them have a 1C side and a CRM side."""
    counts: dict[str, dict[str, int]] = {}
    for key, model in dict(getattr(window, "models", {})).items():
        rows = list(model.rows())
        counts[str(key)] = {
            "rows": len(rows),
            "onec": sum(1 for r in rows if getattr(r, "onec", None)),
            "crm": sum(1 for r in rows if getattr(r, "crm", None)),
        }
    return counts


def run_gui_until_ready(
    paths: AppPaths,
    profile_name: str | None,
    *,
    wait_for_data: bool = False,
    timeout: float = 90.0,
) -> int:
    """Run the real window until it is ready, then quit: 0 if it got there, else 1."""
    try:
        gui_app: Any = importlib.import_module("desktop_sync.gui.app")
        qtcore: Any = importlib.import_module("PySide6.QtCore")
    except ModuleNotFoundError as exc:
        raise CommandError(f"the window cannot open: {exc}") from None
    app = gui_app.create_app()
    started = time.monotonic()
    failure: list[str] = []

    def fail(message: str) -> None:
        timer.stop()
        failure.append(message)
        app.exit(1)

    def poll() -> None:
        controller = getattr(app, "_desktop_sync_controller", None)
        if controller is None:
            if time.monotonic() - started > timeout:
                fail("the window did not start")
            return
        window = controller.window
        handle = window.windowHandle()
        shown = bool(window.isVisible() and handle is not None and handle.isExposed())
        counts: dict[str, dict[str, int]] = {}
        ready = shown
        if shown and wait_for_data:
            error = str(getattr(controller, "last_error", "") or "")
            if error:
                fail(f"the window reports an error: {error}")
                return
            counts = _side_counts(window)
            ready = getattr(controller, "snapshot", None) is not None and any(
                c["rows"] for c in counts.values()
            )
        if ready:
            timer.stop()
            report = {
                "ready": True,
                "at": time.time(),
                "seconds_in_window": round(time.monotonic() - started, 3),
                "title": window.windowTitle(),
                "data": counts,
            }
            sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
            sys.stdout.flush()
            controller.quit()
        elif time.monotonic() - started > timeout:
            fail(
                f"the window was not ready after {timeout:.0f} s "
                f"(shown={shown}, data={wait_for_data})"
            )

    timer = qtcore.QTimer()
    timer.setInterval(POLL_MS)
    timer.timeout.connect(poll)
    timer.start()
    code = int(gui_app.run_gui(paths, profile_name))
    if failure:
        raise CommandError("smoke-gui: " + failure[0], Exit.INTERNAL)
    return code


@click.command("smoke-gui", hidden=True)
@click.option("--data", "wait_for_data", is_flag=True, help="also wait for data in the window")
@click.option("--timeout", type=float, default=90.0, show_default=True)
@pass_context
def smoke_gui_cmd(ctx: Context, wait_for_data: bool, timeout: float) -> None:
    """Open the window, wait until it is ready, print one JSON line, quit."""
    code = run_gui_until_ready(
        ctx.paths, ctx.profile_name, wait_for_data=wait_for_data, timeout=timeout
    )
    if code:
        raise SystemExit(code)


@click.command("smoke-keyring", hidden=True)
def smoke_keyring_cmd() -> None:
    """Set, get and delete a throw-away secret in the keyring this executable finds."""
    from desktop_sync.config.secrets import (
        KeyringUnavailable,
        SecretKind,
        SecretStore,
        backend_info,
    )

    info = backend_info()
    report: dict[str, Any] = {"backend": info.name, "usable": info.usable}
    if not info.usable:
        report["reason"] = info.reason
        click.echo(json.dumps(report))
        return
    store = SecretStore(f"smoke-{uuid.uuid4()}")
    value = f"smoke-{uuid.uuid4().hex}"
    try:
        store.set(SecretKind.ONEC_PASSWORD, value)
        got = store.get(SecretKind.ONEC_PASSWORD)
        store.delete_all()
        gone = store.get(SecretKind.ONEC_PASSWORD)
    except KeyringUnavailable as exc:
        raise CommandError(f"smoke-keyring: {exc}", Exit.INTERNAL) from None
    if got != value or gone is not None:
        raise CommandError(
            f"smoke-keyring: round trip failed (read back {'ok' if got == value else 'wrong'}, "
            f"after delete {'gone' if gone is None else 'still there'})",
            Exit.INTERNAL,
        )
    report["roundtrip"] = "ok"
    click.echo(json.dumps(report))


@click.command("smoke-pdf", hidden=True)
def smoke_pdf_cmd() -> None:
    """Print a sample «Счёт на оплату» in memory: fpdf2, the shipped fonts and the QR code
    must all be in the executable (a frozen build without them fails only when printing)."""
    import datetime as dt
    from decimal import Decimal

    from desktop_sync.domain.vat import VatRate
    from desktop_sync.printing import (
        BankAccount,
        InvoiceRow,
        Party,
        PrintableInvoice,
        PrintingError,
        render_invoice_pdf,
    )

    sample = PrintableInvoice(
        number="1",
        date=dt.date(2026, 3, 3),
        seller=Party("ООО «Ромашка»", "7701234567", "770101001"),
        bank=BankAccount(
            "40702810900000012345", "ПАО «Сбербанк»", "044525225", "30101810400000000225"
        ),
        buyer=Party("ООО «Д'Артаньян»", "5001007322", "500101001"),
        rows=[
            InvoiceRow(
                "Стол «Классик»",
                Decimal("1"),
                "шт",
                Decimal("100.00"),
                Decimal("100.00"),
                VatRate.VAT22,
                Decimal("18.03"),
            )
        ],
    )
    try:
        data = render_invoice_pdf(sample)
    except (PrintingError, OSError) as exc:
        raise CommandError(f"smoke-pdf: {exc}", Exit.INTERNAL) from None
    if not data.startswith(b"%PDF-"):
        raise CommandError("smoke-pdf: the output is not a PDF", Exit.INTERNAL)
    click.echo(json.dumps({"pdf_bytes": len(data)}))
