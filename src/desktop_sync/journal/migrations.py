"""Schema migrations: a numbered list of steps, each run once, in a transaction.

Why not Alembic: the journal has five tables and must migrate inside a frozen
PyInstaller build on the accountant's machine; a list of plain SQLAlchemy Core
steps has no script directory to ship and no ini file, and works on SQLite and
PostgreSQL alike (docs/decisions/journal-migrations.md).

Each step's tables are frozen copies of the schema at that version: never edit a
released step, add a new one. ``tests/journal/test_migrations.py`` proves that
migrating from version 1 keeps the data and ends equal to ``models.Base``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    select,
    text,
)

Step = Callable[[Connection], None]
MIGRATION_LOCK_KEY = 0x64_73_6D_69_67  # "dsmig": one key for the whole database


def _v1(conn: Connection) -> None:
    md = MetaData()
    Table(
        "sync_run",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("profile_uuid", String(36), nullable=False, index=True),
        Column("started_at", String(32), nullable=False),
        Column("finished_at", String(32)),
        Column("trigger", String(16), nullable=False),
        Column("started_by", String(128), nullable=False),
        Column("mode", String(16), nullable=False),
        Column("outcome", String(16), nullable=False),
        Column("counts", Text, nullable=False),
        Column("message", Text, nullable=False),
        Column("app_version", String(32), nullable=False),
    )
    Table(
        "operation",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Integer, ForeignKey("sync_run.id", ondelete="CASCADE"), nullable=False),
        Column("flow", String(8), nullable=False),
        Column("kind", String(32), nullable=False),
        Column("target_system", String(8), nullable=False),
        Column("entity_type", String(32), nullable=False),
        Column("source_id", String(64), nullable=False),
        Column("target_id", String(64), nullable=False),
        Column("idempotency_key", String(80), nullable=False),
        Column("step", String(32), nullable=False),
        Column("reason", Text, nullable=False),
        Column("before", Text),
        Column("after", Text),
        Column("state", String(16), nullable=False),
        Column("error", Text, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("created_at", String(32), nullable=False),
        Column("updated_at", String(32), nullable=False),
        Index("ix_operation_run", "run_id"),
        Index("ix_operation_key", "idempotency_key"),
        Index("ix_operation_state", "state"),
    )
    Table(
        "entity_link",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("profile_uuid", String(36), nullable=False),
        Column("entity_type", String(32), nullable=False),
        Column("onec_ref", String(64)),
        Column("crm_id", String(64)),
        Column("onec_values", Text, nullable=False),
        Column("crm_values", Text, nullable=False),
        Column("synced_at", String(32), nullable=False),
        Column("run_id", Integer, ForeignKey("sync_run.id", ondelete="SET NULL")),
        UniqueConstraint("profile_uuid", "entity_type", "onec_ref", name="uq_link_onec"),
        UniqueConstraint("profile_uuid", "entity_type", "crm_id", name="uq_link_crm"),
    )
    Table(
        "cursor",
        md,
        Column("profile_uuid", String(36), primary_key=True),
        Column("system", String(8), primary_key=True),
        Column("entity", String(64), primary_key=True),
        Column("value", Text, nullable=False),
        Column("updated_at", String(32), nullable=False),
    )
    Table(
        "inbox",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("profile_uuid", String(36), nullable=False),
        Column("run_id", Integer, ForeignKey("sync_run.id", ondelete="SET NULL")),
        Column("operation_id", Integer, ForeignKey("operation.id", ondelete="SET NULL")),
        Column("kind", String(16), nullable=False),
        Column("flow", String(8), nullable=False),
        Column("entity_type", String(32), nullable=False),
        Column("record_id", String(64), nullable=False),
        Column("record_label", Text, nullable=False),
        Column("field", String(64), nullable=False),
        Column("onec_value", Text),
        Column("crm_value", Text),
        Column("base_value", Text),
        Column("message", Text, nullable=False),
        Column("action", Text, nullable=False),
        Column("state", String(16), nullable=False),
        Column("resolution", Text),
        Column("resolved_by", String(128), nullable=False),
        Column("resolved_at", String(32)),
        Column("created_at", String(32), nullable=False),
        Index("ix_inbox_open", "profile_uuid", "state"),
    )
    md.create_all(conn)


def _v2(conn: Connection) -> None:
    """The inbox learns to recognise an item it has already raised (``dedup_key``),
    so a permanent problem is one open item, not one per run."""
    conn.execute(text("ALTER TABLE inbox ADD COLUMN dedup_key VARCHAR(160) NOT NULL DEFAULT ''"))
    conn.execute(text("CREATE INDEX ix_inbox_dedup ON inbox (profile_uuid, dedup_key)"))


def _v3(conn: Connection) -> None:
    """Who holds a profile's run lock on a shared journal (the lock itself is the
    database's advisory lock; this row only says who and since when)."""
    md = MetaData()
    Table(
        "run_lock",
        md,
        Column("profile_uuid", String(36), primary_key=True),
        Column("holder_user", String(128), nullable=False),
        Column("machine", String(128), nullable=False),
        Column("pid", Integer, nullable=False),
        Column("since", String(32), nullable=False),
    )
    md.create_all(conn)


def _v4(conn: Connection) -> None:
    """An inbox item keeps what its words were made of (``desktop_sync.said``), and a
    run the language its texts are written in, so that both are shown in the language
    of the moment; what was written before keeps its words."""
    conn.execute(text("ALTER TABLE inbox ADD COLUMN said TEXT"))
    conn.execute(text("ALTER TABLE sync_run ADD COLUMN lang VARCHAR(8) NOT NULL DEFAULT ''"))


STEPS: tuple[Step, ...] = (_v1, _v2, _v3, _v4)
LATEST = len(STEPS)

_version_md = MetaData()
_version = Table("schema_version", _version_md, Column("version", Integer, nullable=False))


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        return 0
    value = conn.execute(select(_version.c.version)).scalar()
    return int(value or 0)


class JournalTooNew(RuntimeError):
    """The journal was written by a newer desktop-sync."""


def migrate(conn: Connection, target: int = LATEST) -> int:
    """Bring the schema to ``target``; returns the version reached.

    On PostgreSQL two workstations may open a new journal at once: a transaction-scoped
    advisory lock makes the second wait for the first's migration, then find it done."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    version = current_version(conn)
    if version > LATEST:
        raise JournalTooNew(
            f"the journal has schema version {version}, this desktop-sync knows {LATEST}: "
            "update the program"
        )
    if version == 0:
        _version_md.create_all(conn)
        conn.execute(_version.insert().values(version=0))
    for number in range(version + 1, target + 1):
        STEPS[number - 1](conn)
        conn.execute(_version.update().values(version=number))
    return max(version, target)
