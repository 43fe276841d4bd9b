"""What every part of the journal's repository shares: the database, one profile, and
the session or transaction its statements run in.

The repository is split by table family (runs and operations, links, the inbox); each
family is a class over this base, and :class:`desktop_sync.journal.Journal` is all of
them. Portable SQLAlchemy only (no SQLite-only SQL), so a shared PostgreSQL journal works
through the same code.
"""

from __future__ import annotations

import getpass
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from desktop_sync.journal.db import is_shared, open_engine, session_factory


def current_user() -> str:
    """The login name of who runs the program ("" for a service account or container)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (service account, container)
        return ""


def workstation() -> str:
    """``user@machine``: who did something, as the other workstations of a team see it."""
    return f"{current_user() or '?'}@{socket.gethostname() or '?'}"


class JournalBase:
    """One profile's view of the journal database."""

    def __init__(self, engine: Engine, profile_uuid: str) -> None:
        self.engine = engine
        self.profile_uuid = profile_uuid
        self._sessions: sessionmaker[Session] = session_factory(engine)
        self._local = threading.local()  # the open transaction() of this thread, if any

    @classmethod
    def open(cls, url: str, profile_uuid: str, password: str | None = None) -> Self:
        return cls(open_engine(url, password), profile_uuid)

    @property
    def shared(self) -> bool:
        """On a database server several workstations share (PostgreSQL)."""
        return is_shared(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        shared: Session | None = getattr(self._local, "session", None)
        if shared is not None:  # inside transaction(): its session, committed at its end
            yield shared
            return
        with self._sessions.begin() as s:
            yield s

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Every journal write of this thread inside is one transaction, committed at the end.

        The executor journals a batch's operations as "sending" in one, and their
        settlements in another: one commit (one WAL fsync at most) per batch instead of
        several per operation. If anything inside raises, nothing of it is kept: the
        rows stay as the previous transaction left them ("sending"), and the next run
        settles them by their keys. Nested calls join the outer transaction.
        """
        if getattr(self._local, "session", None) is not None:
            yield
            return
        with self._sessions.begin() as s:
            self._local.session = s
            try:
                yield
            finally:
                self._local.session = None
