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
@click.option("--host", default="127.0.0.1", show_default=True,
              help="the address to serve on (this computer only by default)")  # fmt: skip
@click.option("--onec-port", type=int, default=0, help="0 = a free port")
@click.option("--crm-port", type=int, default=0, help="0 = a free port")
@click.option("--seed", type=int, default=1, show_default=True,
              help="the sample data's seed: the same seed, the same data")  # fmt: skip
@click.option(
    "--size", type=click.Choice(["small", "medium", "large"]), default="small", show_default=True,
    help="how much sample data: small (tens of records), medium (thousands), large",
)  # fmt: skip
@click.option(
    "--configuration", type=click.Choice(["bp30", "ut11"]), default="bp30", show_default=True,
    help="the 1C configuration (bp30: Бухгалтерия 3.0, ut11: УТ 11)",
)  # fmt: skip
@click.option(
    "--rate-limit", type=click.Choice(["on", "off"]), default="on", show_default=True,
    help="whether the Bitrix24 sandbox limits requests as a real portal does",
)  # fmt: skip
@click.option(
    "--faults",
    default="",
    help=(
        "faults to inject, each aimed at a side: onec:KIND:F or crm:KIND:F, comma-separated "
        "(F a fraction 0..1), e.g. onec:500:0.05,onec:lost:0.01,crm:503:0.05,"
        "crm:500:1@crm.item.list. 1C: 500, 503, html, html200, timeout, drop, lost, "
        "delay:SECONDS. Bitrix24: 500/502/504, html500/html502/html504, 503, 503burst, "
        "timeout, drop, badjson, KIND:F@method. An item without a side goes to both and "
        "must be known to both (500, 503, timeout, drop)."
    ),
)
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
    sides = _faults(faults)
    tls_dir = Path(tempfile.mkdtemp(prefix="desktop-sync-ca-")) if tls else None
    try:
        one = onec.start(
            host,
            onec_port,
            seed=seed,
            size=size,
            configuration=configuration,
            faults=sides["onec"],
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
            faults=sides["crm"],
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


def _faults(spec: str) -> dict[str, str]:
    """Each side's part of ``--faults``, or a usage error naming the item and the fix."""
    from desktop_sync.sandbox.faults import FaultSpecError, split_faults

    try:
        return split_faults(spec)
    except FaultSpecError as exc:
        if exc.side is not None:
            raise CommandError(
                tr("--faults: «{item}» is not a fault the {side} sandbox knows ({detail})").format(
                    item=exc.item, side=_SIDE_NAMES[exc.side](), detail=exc.detail
                )
            ) from None
        if exc.known:
            raise CommandError(
                tr(
                    "--faults: «{item}» names no side and only the {side} sandbox knows it: "
                    "write {fix}"
                ).format(
                    item=exc.item,
                    side=_SIDE_NAMES[exc.known](),
                    fix=f"{exc.known}:{exc.item}",
                )
            ) from None
        raise CommandError(
            tr(
                "--faults: «{item}» is not a fault ({detail}); write SIDE:KIND:FRACTION, "
                "e.g. onec:500:0.05 or crm:503:0.05"
            ).format(item=exc.item, detail=exc.detail)
        ) from None


_SIDE_NAMES = {"onec": lambda: tr("1C"), "crm": lambda: tr("Bitrix24")}
