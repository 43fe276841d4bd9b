"""The journal's tables: runs, operations, links, cursors and the inbox.

Nothing here can hold a secret: the tables carry ids, names, sums and messages,
never a password, a webhook URL or a token (see ``journal.repository.scrub``).
Applied operations are never rewritten.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from desktop_sync.journal.types import JsonDecimal, UtcDateTime, utcnow


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UtcDateTime,
        dict[str, Any]: JsonDecimal,
    }


class RunMode(enum.StrEnum):
    DRY_RUN = "dry_run"
    APPLY = "apply"


class RunOutcome(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"  # exit 0
    WAITING = "waiting"  # exit 3: items wait in the inbox
    PARTIAL = "partial"  # exit 4: part failed for a reason that may pass
    CANNOT_CONNECT = "cannot_connect"  # exit 5
    CANCELLED = "cancelled"
    CRASHED = "crashed"  # exit 1; also what an interrupted run is marked as later


class OpState(enum.StrEnum):
    PLANNED = "planned"
    SENDING = "sending"  # journalled before the write; outcome not yet known
    APPLIED = "applied"
    OUTCOME_UNKNOWN = "outcome_unknown"  # timed out / killed after sending
    FAILED = "failed"
    SKIPPED = "skipped"  # unticked by the person, or nothing to do
    WAITING = "waiting"  # waits for a person (conflict / attention)


class InboxKind(enum.StrEnum):
    CONFLICT = "conflict"
    ATTENTION = "attention"


class InboxState(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class SyncRun(Base):
    __tablename__ = "sync_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_uuid: Mapped[str] = mapped_column(String(36), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    trigger: Mapped[str] = mapped_column(String(16), default="manual")  # manual|schedule|cli
    started_by: Mapped[str] = mapped_column(String(128), default="")
    mode: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16), default=RunOutcome.RUNNING.value)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    app_version: Mapped[str] = mapped_column(String(32), default="")
    lang: Mapped[str] = mapped_column(String(8), default="")  # its texts' language; "": unknown

    operations: Mapped[list[Operation]] = relationship(back_populates="run")


class Operation(Base):
    __tablename__ = "operation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_run.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(String(8))  # F1..F7
    kind: Mapped[str] = mapped_column(String(32))  # create|update|post|set_payment_state|...
    target_system: Mapped[str] = mapped_column(String(8))  # onec|crm
    entity_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(64), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    idempotency_key: Mapped[str] = mapped_column(String(80), default="")
    step: Mapped[str] = mapped_column(String(32), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonDecimal)
    after: Mapped[dict[str, Any] | None] = mapped_column(JsonDecimal)
    state: Mapped[str] = mapped_column(String(16), default=OpState.PLANNED.value)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    run: Mapped[SyncRun] = relationship(back_populates="operations")

    __table_args__ = (
        Index("ix_operation_run", "run_id"),
        Index("ix_operation_key", "idempotency_key"),
        Index("ix_operation_state", "state"),
    )


class EntityLink(Base):
    """One record known on both sides, with the last synced value of each field.

    ``onec_values`` / ``crm_values`` hold the normalized values as each system
    returned them after our last write: the base of the 3-way diff.
    """

    __tablename__ = "entity_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_uuid: Mapped[str] = mapped_column(String(36))
    entity_type: Mapped[str] = mapped_column(String(32))
    onec_ref: Mapped[str | None] = mapped_column(String(64))
    crm_id: Mapped[str | None] = mapped_column(String(64))
    onec_values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    crm_values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    synced_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_run.id", ondelete="SET NULL"))

    __table_args__ = (
        UniqueConstraint("profile_uuid", "entity_type", "onec_ref", name="uq_link_onec"),
        UniqueConstraint("profile_uuid", "entity_type", "crm_id", name="uq_link_crm"),
    )


class Cursor(Base):
    """Where an incremental read of one system and entity stopped."""

    __tablename__ = "cursor"

    profile_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    system: Mapped[str] = mapped_column(String(8), primary_key=True)
    entity: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InboxItem(Base):
    """A conflict or an attention item waiting for a person."""

    __tablename__ = "inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_uuid: Mapped[str] = mapped_column(String(36))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_run.id", ondelete="SET NULL"))
    operation_id: Mapped[int | None] = mapped_column(
        ForeignKey("operation.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(16))
    flow: Mapped[str] = mapped_column(String(8), default="")
    entity_type: Mapped[str] = mapped_column(String(32), default="")
    record_id: Mapped[str] = mapped_column(String(64), default="")
    record_label: Mapped[str] = mapped_column(Text, default="")
    field: Mapped[str] = mapped_column(String(64), default="")
    onec_value: Mapped[dict[str, Any] | None] = mapped_column(JsonDecimal)
    crm_value: Mapped[dict[str, Any] | None] = mapped_column(JsonDecimal)
    base_value: Mapped[dict[str, Any] | None] = mapped_column(JsonDecimal)
    message: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(Text, default="")
    dedup_key: Mapped[str] = mapped_column(String(160), default="")
    # what message, action, field and record_label were made of (desktop_sync.said), to
    # show them in the language of the moment; None: shown as written
    said: Mapped[dict[str, Any] | None] = mapped_column(JsonDecimal)
    state: Mapped[str] = mapped_column(String(16), default=InboxState.OPEN.value)
    resolution: Mapped[dict[str, Any] | None] = mapped_column(JsonDecimal)
    resolved_by: Mapped[str] = mapped_column(String(128), default="")
    resolved_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_inbox_open", "profile_uuid", "state"),
        Index("ix_inbox_dedup", "profile_uuid", "dedup_key"),
    )


class RunHolder(Base):
    """Who holds a profile's run lock on a shared journal, and since when (the lock is
    the database's advisory lock of the holder's session; this row is only its name)."""

    __tablename__ = "run_lock"

    profile_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    holder_user: Mapped[str] = mapped_column(String(128))
    machine: Mapped[str] = mapped_column(String(128))
    pid: Mapped[int] = mapped_column(Integer)
    since: Mapped[dt.datetime] = mapped_column(default=utcnow)
