"""Exceptions as the person reads them: one plain sentence, never a traceback."""

from __future__ import annotations

from desktop_sync.i18n import tr


def plain_message(exc: BaseException) -> tuple[str, bool]:
    """``(sentence, expected)``; ``expected`` is False for a bug (logged with traceback)."""
    from desktop_sync.config.errors import ConfigError
    from desktop_sync.config.secrets import KeyringUnavailable
    from desktop_sync.engine.executor import Cancelled as ApplyCancelled
    from desktop_sync.engine.read import Cancelled
    from desktop_sync.engine.service import ConnectError, StalePlan
    from desktop_sync.runlock import LockHeld

    if isinstance(exc, Cancelled | ApplyCancelled):
        return tr("Cancelled. Nothing half-done was left behind."), True
    if isinstance(exc, ConnectError):
        return tr("Cannot connect: {reason}").format(reason=str(exc)), True
    if isinstance(exc, LockHeld):
        return tr(
            "Another synchronisation of this profile is running; try again when it ends."
        ), True
    if isinstance(exc, StalePlan):
        return str(exc), True
    if isinstance(exc, KeyringUnavailable):
        return tr("The password store is not available: {reason}").format(reason=str(exc)), True
    if isinstance(exc, ConfigError):
        return str(exc), True
    if isinstance(exc, OSError):
        return tr("A file or network operation failed: {reason}").format(
            reason=exc.strerror or type(exc).__name__
        ), True
    return tr(
        "Something went wrong inside the program ({kind}). Nothing was lost; the details are "
        "in the log."
    ).format(kind=type(exc).__name__), False
