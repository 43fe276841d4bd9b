"""The command line's side of the error taxonomy: one line and an exit code.

A full disk, a read-only home folder, a damaged journal, a keyring backend that
cannot load, a system answering with errors: none of these is a bug in
desktop-sync, so none ends in exit 1 ("internal error"). :func:`explain` asks the
one door of :mod:`desktop_sync.errors` for the sentence and the exit code the README
promises; anything it does not recognise stays a bug (exit 1, details in the log).
"""

from __future__ import annotations

import contextlib
import os
import sys

from desktop_sync.config import AppPaths
from desktop_sync.errors import describe
from desktop_sync.exitcodes import Exit


def explain(exc: BaseException) -> tuple[str, Exit] | None:
    """A sentence and an exit code for a known failure; None for a bug. A missing
    secret is said the command line's way: how to give it from here (exit 2)."""
    words = said_here(exc)
    if words is not None:
        return words, Exit.USAGE
    said = describe(exc)
    return (said.reason, said.exit_code) if said.expected else None


def said_here(exc: BaseException) -> str | None:
    """The command line's own words for a failure the window words its own way."""
    # A SecretMissing was raised by the engine's facade, so it is imported already; a
    # usage or profile error does not import the engine to find out (a command's start-up).
    facade = sys.modules.get("desktop_sync.engine.facade")
    if facade is None or not isinstance(exc, facade.SecretMissing):
        return None
    from desktop_sync.cli.profile_cmds import secret_missing_words

    return secret_missing_words(exc.profile, exc.secret)


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
