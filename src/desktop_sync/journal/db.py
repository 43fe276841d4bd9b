"""Opening the journal: SQLite by default (WAL, foreign keys), or a shared PostgreSQL.

A journal file is checked before it is used (``PRAGMA quick_check``): a damaged one
(truncated, overwritten, a folder in its place) is moved aside under a new name and
:class:`JournalDamaged` says where; the next open starts a fresh journal. Journal
files are readable by their owner only.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from desktop_sync.errors import CannotConnect, Transient
from desktop_sync.i18n import tr
from desktop_sync.journal.migrations import migrate
from desktop_sync.redact import scrub

_SIDE_FILES = ("-wal", "-shm", "-journal")


class JournalDamaged(Transient):
    """The journal file is damaged; it was moved aside (``kept_as``) for a fresh start."""

    def __init__(self, path: Path, kept_as: Path | None, detail: str) -> None:
        self.path = path
        self.kept_as = kept_as
        self.detail = detail = _in_words(detail)
        if kept_as is not None:
            text = tr(
                "the journal {path} is damaged ({detail}); it was kept as {kept}, and the next "
                "run starts a fresh journal (links to existing records are found again)"
            ).format(path=path, detail=detail, kept=kept_as.name)
        else:
            text = tr(
                "the journal {path} is damaged ({detail}) and could not be moved aside: "
                "move or delete it, then run again"
            ).format(path=path, detail=detail)
        super().__init__(text)


class JournalUnreachable(CannotConnect):
    """The shared journal's database cannot be reached or refused the login (exit 5)."""

    def __init__(self, url: URL, exc: OperationalError) -> None:
        where = f"{url.host or 'localhost'}{f':{url.port}' if url.port else ''}/{url.database}"
        orig = getattr(exc, "orig", exc)
        lines = str(orig).strip().splitlines()
        detail = lines[0].removeprefix("connection failed: ") if lines else type(orig).__name__
        self.where = where
        text = tr("the shared journal {where} cannot be used: {detail}").format(
            where=where, detail=scrub(detail)
        )
        if "password" in detail.lower():
            text += "; " + tr(
                "its password is taken from the keyring (`desktop-sync profile set NAME "
                "journal.url URL` on a terminal asks for it) or from DESKTOP_SYNC_JOURNAL_PASSWORD"
            )
        super().__init__(text)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _in_words(detail: str) -> str:
    text = detail.lower()
    if "not a database" in text or "encrypted" in text:
        return tr("the file is not a database")
    if "malformed" in text or "corrupt" in text or "page" in text or "btree" in text:
        return tr("the file is cut short or overwritten")
    return detail


def _damage(path: Path) -> str | None:
    """Why the SQLite file at ``path`` cannot be used as a journal, or None if it can."""
    if path.is_dir():
        return tr("a folder is in its place")
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "unable to open" in text:
            return None  # busy or unreadable: not damage; the real open says what it is
        return text
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()
    problems = [str(r[0]) for r in rows if r and r[0] != "ok"]
    return problems[0] if problems else None


def _set_aside(path: Path) -> Path | None:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while kept.exists():
        n += 1
        kept = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    try:
        path.rename(kept)
        for side in _SIDE_FILES:
            extra = path.with_name(path.name + side)
            if extra.exists():
                extra.rename(kept.with_name(kept.name + side))
    except OSError:
        return None
    return kept


def check_journal_file(path: Path) -> None:
    """Raise :class:`JournalDamaged` (after moving the file aside) if ``path`` is damaged."""
    detail = _damage(path)
    if detail is not None:
        raise JournalDamaged(path, _set_aside(path), detail)


def _private(path: Path) -> None:
    """Owner-only permissions on POSIX (the journal names customers and amounts)."""
    if sys.platform == "win32":
        return
    for f in (path, *(path.with_name(path.name + s) for s in _SIDE_FILES)):
        try:
            if f.exists():
                os.chmod(f, 0o600)
        except OSError:
            pass


def open_engine(url: str, password: str | None = None) -> Engine:
    """Create an engine for ``url`` and migrate the schema to the latest version.

    ``password`` is a shared journal's (never part of ``url``). Raises
    :class:`JournalDamaged` when a SQLite journal file is damaged and
    :class:`JournalUnreachable` when a database server cannot be reached or refuses."""
    file: Path | None = None
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            file = Path(url.removeprefix("sqlite:///"))
            file.parent.mkdir(parents=True, exist_ok=True)
            check_journal_file(file)
        engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = _server_engine(url, password)
    try:
        with engine.begin() as conn:
            migrate(conn)
    except Exception as exc:
        engine.dispose()
        if file is not None and _is_damage(exc):
            raise JournalDamaged(file, _set_aside(file), str(getattr(exc, "orig", exc))) from None
        if file is None and isinstance(exc, OperationalError):
            raise JournalUnreachable(engine.url, exc) from None
        raise
    if file is not None:
        _private(file)
    return engine


def is_shared(engine: Engine) -> bool:
    """A journal on a database server (PostgreSQL), which several workstations share."""
    return engine.dialect.name == "postgresql"


def _server_engine(url: str, password: str | None) -> Engine:
    """PostgreSQL through psycopg 3; TCP keepalives so a workstation that vanishes (cable
    pulled, power lost) is noticed by the server within a minute, and its run lock freed."""
    target = make_url(url)
    if target.drivername == "postgresql":
        target = target.set(drivername="postgresql+psycopg")
    if password:
        target = target.set(password=password)
    return create_engine(
        target,
        pool_pre_ping=True,
        pool_size=2,
        connect_args={
            "connect_timeout": 10,
            "application_name": "desktop-sync",
            "keepalives": 1,
            "keepalives_idle": 15,
            "keepalives_interval": 5,
            "keepalives_count": 3,
        },
    )


def _is_damage(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", exc)
    if not isinstance(orig, sqlite3.DatabaseError) or isinstance(orig, sqlite3.OperationalError):
        return False
    text = str(orig).lower()
    return "malformed" in text or "not a database" in text or "encrypted" in text


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
