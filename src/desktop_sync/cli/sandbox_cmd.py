"""``desktop-sync sandbox``: serve both sandboxes until SIGINT/SIGTERM."""

from __future__ import annotations

import json
import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType

import click

from desktop_sync.cli.context import CommandError, echo
from desktop_sync.i18n import tr


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--onec-port", type=int, default=0, help="0 = a free port")
@click.option("--crm-port", type=int, default=0, help="0 = a free port")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--size", type=click.Choice(["small", "medium", "large"]), default="small", show_default=True
)
@click.option(
    "--configuration", type=click.Choice(["bp30", "ut11"]), default="bp30", show_default=True
)
@click.option("--rate-limit", type=click.Choice(["on", "off"]), default="on", show_default=True)
@click.option("--faults", default="", help="e.g. 500:0.05,timeout:0.02 (see docs)")
@click.option("--tls", is_flag=True, help="serve https with a generated CA")
@click.option("--json", "as_json", is_flag=True, help="first stdout line: the connection JSON")
def sandbox_cmd(
    host: str,
    onec_port: int,
    crm_port: int,
    seed: int,
    size: str,
    configuration: str,
    rate_limit: str,
    faults: str,
    tls: bool,
    as_json: bool,
) -> None:
    """Serve the 1C and Bitrix24 sandboxes with seeded data until interrupted."""
    from desktop_sync.config.urls import is_loopback
    from desktop_sync.sandbox import bitrix24, onec

    if not is_loopback(host):
        raise CommandError(tr("the sandboxes serve only on this computer (a loopback address)"))
    tls_dir = Path(tempfile.mkdtemp(prefix="desktop-sync-ca-")) if tls else None
    try:
        one = onec.start(
            host,
            onec_port,
            seed=seed,
            size=size,
            configuration=configuration,
            faults=faults,
            tls_dir=tls_dir,
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    try:
        crm = bitrix24.start(
            host,
            crm_port,
            seed=seed,
            size=size,
            rate_limit=rate_limit == "on",
            faults=faults,
            tls_dir=tls_dir,
        )
    except ValueError as exc:
        one.stop()
        raise CommandError(str(exc)) from None
    info = {
        "onec": {
            "url": one.url,
            "user": one.user,
            "password": one.password,
            "configuration": one.configuration,
        },
        "crm": {"kind": "bitrix24", "url": crm.url, "webhook": crm.webhook},
    }
    if tls_dir is not None:
        info["ca_file"] = str(one.ca_file)  # type: ignore[assignment]
    stop = threading.Event()

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False), nl=True)
    else:
        echo(
            tr("1C sandbox: {url} (user {user}, password {password})").format(
                url=one.url, user=one.user, password=one.password
            )
        )
        echo(
            tr("Bitrix24 sandbox: {url} (webhook {webhook})").format(
                url=crm.url, webhook=crm.webhook
            )
        )
        echo(tr("Press Ctrl+C to stop."))
    try:
        while not stop.wait(0.2):
            pass
    finally:
        one.stop()
        crm.stop()
