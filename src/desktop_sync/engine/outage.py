"""A system that stops answering in the middle of an apply: the rest of its writes wait.

Each write already has its connector's retries (Bitrix24 about 16 s of back-off, 1C
a few seconds). Without this, every later write to a system that went away paid them
again, and a write whose answer was lost paid them once more for its look-up: killed
mid-apply, a medium first sync would have gone on for hours before saying anything.

A system is taken as down for the rest of the run when the look-up of a write whose
outcome is unknown cannot reach it either, or when two requests in a row to it failed
for a reason that may pass (each after its retries) with nothing written between.
Its remaining writes are journalled failed («not sent»), so the next run plans them
again; the writes in flight are settled by the next run's look-up by key, as after a
kill. Nothing is skipped for a refusal: that is the record's problem, not the system's.
"""

from __future__ import annotations

from collections.abc import Sequence

from desktop_sync.engine.model import System
from desktop_sync.errors import Category, category_of
from desktop_sync.i18n import tr

STRIKES = 2  # requests in a row that failed for a reason that may pass


def may_pass(exc: BaseException) -> bool:
    """A failure that may pass by itself (the system, not the record)."""
    return category_of(exc) in (Category.OUTCOME_UNKNOWN, Category.TRANSIENT)


class Outage:
    """The systems that stopped answering during one apply."""

    def __init__(self) -> None:
        self.down: set[System] = set()
        self._strikes: dict[System, int] = {}

    def request_done(self, target: System, outcomes: Sequence[object]) -> None:
        """After one request's writes were settled: all of them failed for a reason that
        may pass is a strike against ``target``; anything written clears them."""
        failed = bool(outcomes) and all(isinstance(o, Exception) and may_pass(o) for o in outcomes)
        self._strikes[target] = self._strikes.get(target, 0) + 1 if failed else 0
        if self._strikes[target] >= STRIKES:
            self.down.add(target)

    def lookup_failed(self, target: System) -> None:
        """A write's outcome is unknown and its look-up could not reach ``target``."""
        self.down.add(target)

    @staticmethod
    def reason(target: System) -> str:
        return tr("not sent: {system} stopped answering; the next run sends it").format(
            system=_named(target)
        )

    @staticmethod
    def message(targets: set[System]) -> str:
        names = ", ".join(_named(t) for t in sorted(targets))
        return tr(
            "{systems} stopped answering during the run: what was not sent waits for the "
            "next run, which also checks what was in flight"
        ).format(systems=names)


def _named(target: System) -> str:
    """The system that stopped answering, by its own name: «1С», «Битрикс24»."""
    return tr("1C") if target is System.ONEC else tr("Bitrix24")
