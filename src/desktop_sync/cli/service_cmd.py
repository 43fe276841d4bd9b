"""``desktop-sync service``: scheduled synchronisations without a window (a server).

Every ``--every`` (``10m``, ``1h``, ``30s``) it runs one synchronisation of the profile
(``--apply`` by default, ``--dry-run`` for review) and prints one health line, also
written to its own rotating log (``desktop-sync-service.log`` in the log folder). What
needs a person is left in the (shared) inbox: a run never waits for anyone. A run that
finds another one going (another workstation) is skipped until the next time; one that
cannot connect says so and the service goes on.

SIGTERM (systemd's stop, ``kill``) or Ctrl+C ends it cleanly: a run in progress stops
between two operations (the engine's cancel: what was written is journalled, the rest
is skipped), and the service exits with 0.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

import click

from desktop_sync.cli.context import CommandError, Context, echo, pass_context
from desktop_sync.errors import Cancelled, describe
from desktop_sync.i18n import tr

if TYPE_CHECKING:  # the engine is imported by the run, not by `service --help`
    from desktop_sync.engine.records import RunSummary

log = logging.getLogger("desktop_sync.service")

_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT = {"": 60, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> float:
    """``10m`` → 600 seconds (a bare number is minutes)."""
    found = _INTERVAL.match(text.lower())
    if not found or int(found.group(1)) == 0:
        raise CommandError(
            tr("--every «{value}»: expected a period like 30s, 10m, 1h").format(value=text)
        )
    return float(int(found.group(1)) * _UNIT[found.group(2)])


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` (the run in progress ends between operations).

    The handler runs in the main thread, which only waits for the service's thread: it
    never holds ``stop``'s lock when a signal lands (setting an Event from a handler that
    interrupted that Event's own wait in the same thread would deadlock)."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    wanted = [signal.SIGINT, getattr(signal, "SIGTERM", signal.SIGINT)]
    previous = {s: signal.signal(s, handler) for s in wanted}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _health(summary: RunSummary, seconds: float) -> str:
    c = summary.counts
    return tr(
        "run #{run} {mode}: {outcome}; applied {applied} of {planned}, failed {failed}, "
        "waiting for a person {waiting}; {seconds:.1f} s"
    ).format(
        run=summary.run_id,
        mode=summary.mode,
        outcome=summary.outcome.value,
        applied=c.get("applied", 0),
        planned=c.get("planned", 0),
        failed=c.get("failed", 0),
        waiting=c.get("conflict", 0) + c.get("attention", 0),
        seconds=seconds,
    )


def run_once(ctx: Context, dry_run: bool, stop: threading.Event) -> str:
    """One scheduled synchronisation; its health line (never raises for the expected)."""
    from desktop_sync.engine.records import Outcome
    from desktop_sync.engine.service import SyncService

    started = time.monotonic()
    try:
        profile = ctx.store.get(ctx.profile_name)
        with SyncService.open(profile, ctx.paths) as svc:
            if dry_run:
                summary, _plan = svc.dry_run(cancel=stop, trigger="schedule")
            else:
                summary, _plan = svc.run(cancel=stop, trigger="schedule", operations=False)
    except Cancelled:
        return tr("stopped before anything was written")
    except Exception as exc:  # the service lives on: the next run may pass
        described = describe(exc)
        if not described.expected:
            log.exception("internal error in a scheduled run")
        return tr("not run ({code}): {reason}").format(
            code=int(described.exit_code), reason=described.reason
        )
    if summary.outcome is Outcome.CANCELLED:
        return tr("run #{run}: stopped between two operations; what was done is kept").format(
            run=summary.run_id
        )
    return _health(summary, time.monotonic() - started)


def _say(line: str) -> None:
    stamp = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
    echo(f"{stamp} {line}")
    log.info("%s", line)


@click.command("service")
@click.option("--every", "every", default="10m", show_default=True,
              help="how often to synchronize: 30s, 10m, 1h")  # fmt: skip
@click.option("--dry-run", "dry_run", is_flag=True, help="plan and journal only, write nothing")
@pass_context
def service_cmd(ctx: Context, every: str, dry_run: bool) -> None:
    """Scheduled synchronizations without a window (a server); stops on SIGTERM."""
    period = parse_every(every)
    profile = ctx.store.get(ctx.profile_name)  # a wrong name: exit 2 before anything starts
    stop = threading.Event()

    failed: list[Exception] = []

    def loop() -> None:
        try:
            scheduled()
        except Exception as exc:  # reported by the main thread as any command's error
            failed.append(exc)
            stop.set()

    def scheduled() -> None:
        _say(
            tr("service of profile «{name}» started: every {every}, {mode}").format(
                name=profile.name, every=every, mode=tr("dry run") if dry_run else tr("apply")
            )
        )
        while not stop.is_set():
            began = time.monotonic()
            _say(run_once(ctx, dry_run, stop))
            if stop.wait(max(0.0, period - (time.monotonic() - began))):
                break
        log.info("stop asked: the service ends")
        _say(tr("service of profile «{name}» stopped").format(name=profile.name))

    worker = threading.Thread(target=loop, name="service")
    with stop_on_signals(stop):
        worker.start()
        while worker.is_alive():
            worker.join(0.5)
    if failed:
        raise failed[0]
