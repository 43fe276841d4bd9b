"""One taxonomy of what can go wrong, with one root and seven categories.

Every error desktop-sync raises on purpose is a :class:`SyncError`, and every
``SyncError`` belongs to exactly one :class:`Category`: cannot connect, transient,
outcome unknown, refused by the system, cancelled, bad configuration, or locked by
another run. A category has a title and a message in the user's language and the
exit code of the command-line contract (:mod:`desktop_sync.exitcodes`).

Errors are put in their category once, where they arise: the connectors' errors
(``connectors/bitrix24/errors.py``, ``connectors/onec/errors.py``) subclass the
categories, so the engine never translates them again. The command line and the
window turn any exception into words and an exit code through one function,
:func:`describe`.

A class's category is its ``kind``; an error whose ``outcome_unknown`` is set (a
write that may or may not have landed) is :attr:`Category.OUTCOME_UNKNOWN` whatever
its class. Read it with :func:`category_of` rather than ``isinstance`` for that
reason.

At import it needs only the exit codes and ``tr`` (the keyring's error class and the
redaction of secrets are looked up when describing), so connectors, engine, journal,
config, the command line and the window can all import it.
"""

from __future__ import annotations

import enum
import errno
import os
import sqlite3
import traceback
from dataclasses import dataclass
from typing import ClassVar

from desktop_sync.exitcodes import Exit
from desktop_sync.i18n import N_, tr


class Category(enum.Enum):
    """What kind of failure: decides the words, the exit code and what the engine does."""

    CANNOT_CONNECT = "cannot_connect"
    TRANSIENT = "transient"
    OUTCOME_UNKNOWN = "outcome_unknown"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    BAD_CONFIGURATION = "bad_configuration"
    LOCKED = "locked"

    @property
    def title(self) -> str:
        """A short heading (a dialog's title), in the user's language."""
        return tr(_WORDS[self][0])

    @property
    def message(self) -> str:
        """What this kind of failure means and what to do, in the user's language."""
        return tr(_WORDS[self][1])

    @property
    def exit_code(self) -> Exit:
        return _EXIT[self]


_WORDS: dict[Category, tuple[str, str]] = {
    Category.CANNOT_CONNECT: (
        N_("Cannot connect"),
        N_(
            "desktop-sync cannot reach 1C or Bitrix24, or cannot log in: check the address, "
            "the network and the password or webhook."
        ),
    ),
    Category.TRANSIENT: (
        N_("Temporary failure"),
        N_(
            "The system was busy or did not answer. Nothing is lost: the next run "
            "resumes where this one stopped."
        ),
    ),
    Category.OUTCOME_UNKNOWN: (
        N_("Outcome unknown"),
        N_(
            "A change was sent and no answer came. It is looked up by its key before any "
            "retry, so nothing is made twice."
        ),
    ),
    Category.REFUSED: (
        N_("Refused by the system"),
        N_(
            "The system refused for a reason that will not pass by itself; the record "
            "waits for a decision."
        ),
    ),
    Category.CANCELLED: (
        N_("Cancelled"),
        N_("Cancelled. Nothing half-done was left behind."),
    ),
    Category.BAD_CONFIGURATION: (
        N_("Wrong setting"),
        N_("A setting or a command is wrong: correct it and run again."),
    ),
    Category.LOCKED: (
        N_("Another run is going"),
        N_("Another synchronization of this profile is running; try again when it ends."),
    ),
}

_EXIT: dict[Category, Exit] = {
    Category.CANNOT_CONNECT: Exit.CANNOT_CONNECT,
    Category.TRANSIENT: Exit.PARTIAL,
    Category.OUTCOME_UNKNOWN: Exit.PARTIAL,
    Category.REFUSED: Exit.PARTIAL,
    Category.CANCELLED: Exit.PARTIAL,
    Category.BAD_CONFIGURATION: Exit.USAGE,
    Category.LOCKED: Exit.LOCKED,
}


# --- the root and the categories ---------------------------------------------------------


class SyncError(Exception):
    """The root of every error desktop-sync raises on purpose."""

    kind: ClassVar[Category] = Category.REFUSED
    # The system that said so, if any: N_("1C") or N_("Bitrix24"), tr() where shown.
    system: ClassVar[str] = ""

    @property
    def category(self) -> Category:
        if getattr(self, "outcome_unknown", False):
            return Category.OUTCOME_UNKNOWN
        return self.kind

    @property
    def exit_code(self) -> Exit:
        return self.category.exit_code


class CannotConnect(SyncError):
    """A system refused the login, or could not be reached while connecting or reading."""

    kind = Category.CANNOT_CONNECT


class Transient(SyncError):
    """Refused or unanswered for a reason that may pass (limits, a system restarting or
    out of reach for a moment): the same write is tried again on the next run."""

    kind = Category.TRANSIENT


class OutcomeUnknown(SyncError):
    """A write may or may not have been applied: look it up by its key before a retry."""

    kind = Category.OUTCOME_UNKNOWN


class Refused(SyncError):
    """The system refused for a reason that will not pass by itself.

    ``field`` names the field when the system said which.
    """

    kind = Category.REFUSED
    field: str = ""


class Cancelled(SyncError):
    """The person pressed Cancel; nothing half-done is left behind."""

    kind = Category.CANCELLED


class BadConfiguration(SyncError):
    """A profile, a setting or a command line is wrong (exit code 2)."""

    kind = Category.BAD_CONFIGURATION


class Locked(SyncError):
    """Another run holds this profile's lock (exit code 6); ``who`` holds it, in words
    (process, user, machine, since when), when the lock knows."""

    kind = Category.LOCKED

    def __init__(self, message: str = "", who: str = "") -> None:
        super().__init__(f"{message} ({who})" if message and who else message)
        self.who = who


def category_of(exc: object) -> Category | None:
    """The category of ``exc``; None when it is not one of ours (a bug, the environment,
    or not an error at all)."""
    return exc.category if isinstance(exc, SyncError) else None


# --- in words, with an exit code: the one door for the command line and the window -------


@dataclass(frozen=True, slots=True)
class Described:
    """An exception as a person reads it.

    ``reason`` is the one line the command line prints (the error's own sentence);
    ``sentence`` is what the window shows; ``expected`` is False for a bug, whose
    details belong in the log.
    """

    category: Category | None
    title: str
    reason: str
    sentence: str
    exit_code: Exit
    expected: bool


def describe(exc: BaseException) -> Described:
    """Any exception in words and an exit code: ours, the environment's, or a bug."""
    from desktop_sync.redact import scrub

    environment = _environment(exc)
    if environment is not None:
        reason, code, sentence = environment
        return Described(None, tr("Error"), reason, sentence, code, expected=True)
    kind = category_of(exc)
    if kind is not None:
        assert isinstance(exc, SyncError)
        reason = scrub(str(exc)) or kind.message
        return Described(
            kind, kind.title, reason, _sentence(kind, reason, exc), exc.exit_code, expected=True
        )
    bug = tr(
        "Something went wrong inside the program ({kind}). Nothing was lost; the details are "
        "in the log."
    ).format(kind=type(exc).__name__)
    return Described(None, tr("Error"), bug, bug, Exit.INTERNAL, expected=False)


def in_words(text: str) -> str:
    """A connector's sentence without OData's own names of things (``$metadata``)."""
    return text.replace("$metadata", tr("the base's list of published objects"))


def _sentence(kind: Category, reason: str, exc: SyncError) -> str:
    if kind is Category.CANNOT_CONNECT:
        return tr("Cannot connect: {reason}").format(reason=in_words(reason))
    who = getattr(exc, "who", "")
    if kind is Category.LOCKED and who:
        return tr("{message} It is held by {who}.").format(message=kind.message, who=who)
    if kind in (Category.CANCELLED, Category.LOCKED):
        return kind.message
    return reason


# --- the environment: a full disk, a read-only folder, a keyring that cannot load --------

_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}

_Found = tuple[str, Exit, str]  # (the command line's line, exit code, the window's sentence)


def _environment(exc: BaseException) -> _Found | None:
    """Failures of the computer, not of desktop-sync: never a bug (exit 1)."""
    try:
        from desktop_sync.config.secrets import KeyringUnavailable
    except ImportError:  # pragma: no cover - keyring missing altogether
        KeyringUnavailable = RuntimeError  # type: ignore[misc,assignment] # noqa: N806
    if isinstance(exc, KeyringUnavailable) or _from_keyring(exc):
        return _keyring(exc)
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
    for candidate in (orig, exc):
        if isinstance(candidate, sqlite3.Error):
            found = _sqlite(candidate)
            if found is not None:
                return found
    for candidate in (orig, exc):
        if isinstance(candidate, OSError):
            return _os_error(candidate)
    return None


def _file_sentence(exc: OSError) -> str:
    return tr("A file or network operation failed: {reason}").format(
        reason=exc.strerror or type(exc).__name__
    )


def _os_error(exc: OSError) -> _Found:
    where = str(exc.filename) if exc.filename else tr("the disk")
    if exc.errno in _FULL:
        line = tr("no space left to write {path}: free some disk space and run again")
        return line.format(path=where), Exit.PARTIAL, _file_sentence(exc)
    if exc.errno in _READ_ONLY:
        line = tr(
            "cannot write {path}: the folder is read-only or belongs to another user; "
            "fix its permissions or choose another folder with --home"
        )
        return line.format(path=where), Exit.USAGE, _file_sentence(exc)
    if exc.errno in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR, errno.ENOENT):
        line = tr("cannot use {path}: a file or folder is in the way, or the path does not exist")
        return line.format(path=where), Exit.USAGE, _file_sentence(exc)
    line = tr("cannot read or write {path}: {reason}").format(
        path=where, reason=exc.strerror or tr("input/output error")
    )
    return line, Exit.PARTIAL, _file_sentence(exc)


def _sqlite(exc: sqlite3.Error) -> _Found | None:
    text = str(exc).lower()
    found: tuple[str, Exit] | None = None
    if "disk is full" in text or "database or disk is full" in text:
        found = (
            tr("no space left for the journal: free some disk space and run again"),
            Exit.PARTIAL,
        )
    elif "readonly" in text or "read-only" in text:
        found = (
            tr(
                "the journal cannot be written: its folder is read-only; fix its permissions "
                "or choose another folder with --home"
            ),
            Exit.USAGE,
        )
    elif "unable to open database" in text:
        found = (
            tr("the journal cannot be opened: its folder is missing or not writable"),
            Exit.USAGE,
        )
    elif "disk i/o error" in text:
        found = (
            tr(
                "cannot write the journal: the disk is full or failing (input/output error); "
                "free some space and run again"
            ),
            Exit.PARTIAL,
        )
    if found is None:
        return None
    return found[0], found[1], found[0]


def _from_keyring(exc: BaseException) -> bool:
    for frame, _line in traceback.walk_tb(exc.__traceback__):
        module = str(frame.f_globals.get("__name__", ""))
        if module.startswith(("keyring.", "keyrings.")) or module in ("keyring", "keyrings"):
            return True
    return False


def _keyring(exc: BaseException) -> _Found:
    backend = os.environ.get("PYTHON_KEYRING_BACKEND", "")
    line = tr(
        "the system keyring cannot be used{backend}: {reason}. Secrets are never stored "
        "in plain text; fix the keyring, or set {env1} (the 1C password) and {env2} "
        "(the whole Bitrix24 webhook URL) for each run"
    ).format(
        backend=f" ({backend})" if backend else "",
        reason=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
        env1="DESKTOP_SYNC_ONEC_PASSWORD",
        env2="DESKTOP_SYNC_CRM_SECRET",
    )
    # the command line's hint (environment variables) means nothing to a person in the window
    sentence = tr(
        "This computer has no safe password store, and desktop-sync never keeps "
        "passwords in plain files. Unlock or set up the system's password store "
        "(Windows Credential Manager, macOS Keychain, GNOME Keyring or KWallet) "
        "and try again."
    )
    return line, Exit.USAGE, sentence
