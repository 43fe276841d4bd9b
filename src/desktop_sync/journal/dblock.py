"""One run per profile across workstations: a PostgreSQL advisory lock on a session.

- **The lock** is ``pg_try_advisory_lock`` on a connection held open for the whole run.
  It belongs to that database session: when the holder exits, is killed, or its
  machine vanishes, the server ends the session and the lock goes with it, so a
  killed workstation never leaves a stale lock. The session asks the server for TCP
  keepalives (15 s idle, 3 probes 5 s apart) so even a pulled cable frees it in about
  half a minute; a killed process frees it at once (its socket closes).
- **Who holds it** (user, machine, process, since when) is the ``run_lock`` row of the
  profile, written by the holder after it got the lock. The row is only a name: a
  stale row (its holder was killed) is overwritten by the next holder, and a refused
  run reads it to say who is in the way.
- **Waiting** (``--wait``) polls once a second until the lock is free or the
  deadline passes; ``cancel`` stops the wait.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
from typing import cast

from sqlalchemy import Connection, Engine, Table, delete, insert, select, text
from sqlalchemy.exc import OperationalError

from desktop_sync.errors import Locked
from desktop_sync.i18n import time_label, tr
from desktop_sync.journal.base import current_user
from desktop_sync.journal.db import JournalUnreachable
from desktop_sync.journal.models import RunHolder
from desktop_sync.journal.types import utcnow
from desktop_sync.runlock import HeldLock

_KEEPALIVES = (
    "SET tcp_keepalives_idle = 15",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
)
POLL_SECONDS = 1.0
log = logging.getLogger(__name__)


class LockHeldElsewhere(Locked):
    """Another workstation (or process) runs a synchronisation of this profile."""


def lock_key(scope: str) -> int:
    """The advisory lock's 64-bit key for one profile's scope (signed, as PostgreSQL wants)."""
    digest = hashlib.sha256(f"desktop-sync/run/{scope}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class DbRunLock(HeldLock):
    """The run lock of one profile (``scope``) on a shared journal's database."""

    def __init__(
        self,
        engine: Engine,
        scope: str,
        *,
        wait: float | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.engine = engine
        self.scope = scope
        self.key = lock_key(scope)
        self.wait = wait
        self.cancel = cancel
        self._conn: Connection | None = None

    def acquire(self) -> None:
        deadline = None if self.wait is None else time.monotonic() + self.wait
        try:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except OperationalError as exc:  # the server went away since the journal was opened
            raise JournalUnreachable(self.engine.url, exc) from None
        try:
            for statement in _KEEPALIVES:
                conn.execute(text(statement))
            while not conn.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}
            ).scalar():
                if deadline is None or time.monotonic() >= deadline:
                    raise self._held(conn)
                if self.cancel is not None and self.cancel.wait(POLL_SECONDS):
                    raise self._held(conn)
                if self.cancel is None:
                    time.sleep(POLL_SECONDS)
            self._write_holder(conn)
        except BaseException:
            conn.invalidate()  # the session ends: whatever it held is freed
            conn.close()
            raise
        self._conn = conn

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute(delete(_HOLDERS).where(_HOLDERS.c.profile_uuid == self.scope))
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
        except Exception as exc:  # the server went away: the session, and the lock, are gone
            log.info("run lock: the session ended before its release (%s)", type(exc).__name__)
        finally:
            conn.invalidate()
            conn.close()

    # --- who holds it ------------------------------------------------------------------

    def _write_holder(self, conn: Connection) -> None:
        """The row naming this holder (any row left by a killed one is replaced)."""
        conn.execute(delete(_HOLDERS).where(_HOLDERS.c.profile_uuid == self.scope))
        conn.execute(
            insert(_HOLDERS).values(
                profile_uuid=self.scope,
                holder_user=current_user() or "?",
                machine=socket.gethostname() or "?",
                pid=os.getpid(),
                since=utcnow(),
            )
        )

    def holder(self, conn: Connection) -> str | None:
        """Who holds the lock, in words (None when no row names anyone)."""
        row = conn.execute(select(_HOLDERS).where(_HOLDERS.c.profile_uuid == self.scope)).first()
        if row is None:
            return None
        return tr("process {pid} of {user} on {machine}, since {since}").format(
            pid=row.pid, user=row.holder_user, machine=row.machine, since=time_label(row.since)
        )

    def _held(self, conn: Connection) -> LockHeldElsewhere:
        message = tr("another synchronization of this profile is running")
        try:
            who = self.holder(conn)
        except Exception:  # who holds it is a courtesy; the lock is what counts
            who = None
        return LockHeldElsewhere(message, who or "")


_HOLDERS = cast(Table, RunHolder.__table__)
