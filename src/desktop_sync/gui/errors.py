"""Exceptions as the person reads them: one plain sentence, never a traceback."""

from __future__ import annotations

from desktop_sync.i18n import tr


def in_words(text: str) -> str:
    """A connector's sentence without OData's own names of things (``$metadata``)."""
    return text.replace("$metadata", tr("the base's list of published objects"))


def plain_message(exc: BaseException) -> tuple[str, bool]:
    """``(sentence, expected)``; ``expected`` is False for a bug (logged with traceback)."""
    from desktop_sync.config.errors import ConfigError
    from desktop_sync.config.secrets import KeyringUnavailable
    from desktop_sync.engine.decisions import DecisionRefused
    from desktop_sync.engine.executor import Cancelled as ApplyCancelled
    from desktop_sync.engine.read import Cancelled
    from desktop_sync.engine.service import ConnectError, StalePlan
    from desktop_sync.runlock import LockHeld

    if isinstance(exc, Cancelled | ApplyCancelled):
        return tr("Cancelled. Nothing half-done was left behind."), True
    if isinstance(exc, ConnectError):
        return tr("Cannot connect: {reason}").format(reason=in_words(str(exc))), True
    if isinstance(exc, LockHeld):
        return tr(
            "Another synchronisation of this profile is running; try again when it ends."
        ), True
    if isinstance(exc, StalePlan | DecisionRefused):  # a decision refused: the reason
        return str(exc), True
    if isinstance(exc, KeyringUnavailable):
        # the command line's hint (environment variables) means nothing to a person here
        return tr(
            "This computer has no safe password store, and desktop-sync never keeps "
            "passwords in plain files. Unlock or set up the system's password store "
            "(Windows Credential Manager, macOS Keychain, GNOME Keyring or KWallet) "
            "and try again."
        ), True
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
