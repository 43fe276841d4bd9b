"""The commands' way through the door: open the profile's service, ask, close."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from desktop_sync.cli.context import CommandError, Context

if TYPE_CHECKING:  # imported when a command asks: not by a help page or a usage error
    from desktop_sync.engine.service import SyncService

T = TypeVar("T")


def ask(ctx: Context, question: Callable[[SyncService], T]) -> T:
    """``question`` answered by the profile's door. An invoice the lookup cannot name is
    the person's to put right (exit 2, the sentence says how); connection errors go up
    to the command line's one translation (``errors.describe``)."""
    from desktop_sync.engine.records import InvoiceLookupError
    from desktop_sync.engine.service import SyncService

    profile = ctx.store.get(ctx.profile_name)
    try:
        with SyncService.open(profile, ctx.paths) as svc:
            return question(svc)
    except InvoiceLookupError as exc:
        raise CommandError(str(exc)) from None
