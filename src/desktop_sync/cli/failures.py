"""What the environment did, in one line and an exit code of the contract.

A full disk, a read-only home folder, a damaged journal, a keyring backend that
cannot load, a system answering with errors: none of these is a bug in
desktop-sync, so none ends in exit 1 ("internal error"). :func:`explain` turns
such an exception into a sentence for the person and the exit code the README
promises; anything it does not recognise stays a bug (exit 1, details in the log).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import traceback

from desktop_sync.config import AppPaths
from desktop_sync.exitcodes import Exit
from desktop_sync.i18n import tr

_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


def _where(exc: OSError) -> str:
    return str(exc.filename) if exc.filename else tr("the disk")


def _os_error(exc: OSError) -> tuple[str, Exit]:
    where = _where(exc)
    if exc.errno in _FULL:
        return (
            tr("no space left to write {path}: free some disk space and run again").format(
                path=where
            ),
            Exit.PARTIAL,
        )
    if exc.errno in _READ_ONLY:
        return (
            tr(
                "cannot write {path}: the folder is read-only or belongs to another user; "
                "fix its permissions or choose another folder with --home"
            ).format(path=where),
            Exit.USAGE,
        )
    if exc.errno in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR, errno.ENOENT):
        return (
            tr(
                "cannot use {path}: a file or folder is in the way, or the path does not exist"
            ).format(path=where),
            Exit.USAGE,
        )
    return (
        tr("cannot read or write {path}: {reason}").format(
            path=where, reason=exc.strerror or tr("input/output error")
        ),
        Exit.PARTIAL,
    )


def _sqlite(exc: sqlite3.Error) -> tuple[str, Exit] | None:
    text = str(exc).lower()
    if "disk is full" in text or "database or disk is full" in text:
        return tr("no space left for the journal: free some disk space and run again"), Exit.PARTIAL
    if "readonly" in text or "read-only" in text:
        return (
            tr(
                "the journal cannot be written: its folder is read-only; fix its permissions "
                "or choose another folder with --home"
            ),
            Exit.USAGE,
        )
    if "unable to open database" in text:
        return (
            tr("the journal cannot be opened: its folder is missing or not writable"),
            Exit.USAGE,
        )
    if "disk i/o error" in text:
        return (
            tr(
                "cannot write the journal: the disk is full or failing (input/output error); "
                "free some space and run again"
            ),
            Exit.PARTIAL,
        )
    return None


def _from_keyring(exc: BaseException) -> bool:
    for frame, _line in traceback.walk_tb(exc.__traceback__):
        module = str(frame.f_globals.get("__name__", ""))
        if module.startswith(("keyring.", "keyrings.")) or module in ("keyring", "keyrings"):
            return True
    return False


def _keyring(exc: BaseException) -> tuple[str, Exit]:
    backend = os.environ.get("PYTHON_KEYRING_BACKEND", "")
    return (
        tr(
            "the system keyring cannot be used{backend}: {reason}. Secrets are never stored "
            "in plain text; fix the keyring, or set {env1} (the 1C password) and {env2} "
            "(the whole Bitrix24 webhook URL) for each run"
        ).format(
            backend=f" ({backend})" if backend else "",
            reason=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            env1="DESKTOP_SYNC_ONEC_PASSWORD",
            env2="DESKTOP_SYNC_CRM_SECRET",
        ),
        Exit.USAGE,
    )


def explain(exc: BaseException) -> tuple[str, Exit] | None:
    """A sentence and an exit code for an environment failure; None for a bug."""
    from desktop_sync.journal.db import JournalDamaged

    if isinstance(exc, JournalDamaged):
        return str(exc), Exit.PARTIAL
    try:
        from desktop_sync.config.secrets import KeyringUnavailable
    except ImportError:  # pragma: no cover - keyring missing altogether
        KeyringUnavailable = RuntimeError  # type: ignore[misc,assignment] # noqa: N806
    if isinstance(exc, KeyringUnavailable) or _from_keyring(exc):
        return _keyring(exc)
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
    if isinstance(orig, sqlite3.Error):
        found = _sqlite(orig)
        if found is not None:
            return found
    if isinstance(exc, sqlite3.Error):
        found = _sqlite(exc)
        if found is not None:
            return found
    if isinstance(orig, OSError):
        return _os_error(orig)
    if isinstance(exc, OSError):
        return _os_error(exc)
    return None


def private_files() -> None:
    """Files this process creates are readable by the user only (POSIX: umask 077)."""
    if os.name == "posix":
        os.umask(0o077)


def private_folders(paths: AppPaths) -> None:
    """The config, data and log folders: the user's only (0700), also when made earlier."""
    if os.name != "posix":
        return
    for folder in (paths.config_dir, paths.data_dir, paths.log_dir):
        with contextlib.suppress(OSError):
            if folder.is_dir() and folder.stat().st_uid == os.getuid():
                folder.chmod(0o700)
