"""The journal's repository: the only code that reads and writes its tables.

Portable SQLAlchemy only (no SQLite-only SQL), so a shared PostgreSQL journal works
through the same code. Every text that may carry an error message passes through
:func:`desktop_sync.redact.scrub` on its way in.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from desktop_sync.journal.db import open_engine, session_factory
from desktop_sync.journal.models import (
    Cursor,
    EntityLink,
    InboxItem,
    InboxKind,
    InboxState,
    Operation,
    OpState,
    RunOutcome,
    SyncRun,
)
from desktop_sync.journal.types import utcnow
from desktop_sync.redact import scrub


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (service account, container)
        return ""


@dataclass(frozen=True, slots=True)
class LinkValues:
    """A link and the last synced values of each side (the 3-way diff's base)."""

    entity_type: str
    onec_ref: str | None
    crm_id: str | None
    onec_values: dict[str, Any]
    crm_values: dict[str, Any]


class Journal:
    """One profile's view of the journal database."""

    def __init__(self, engine: Engine, profile_uuid: str) -> None:
        self.engine = engine
        self.profile_uuid = profile_uuid
        self._sessions: sessionmaker[Session] = session_factory(engine)

    @classmethod
    def open(cls, url: str, profile_uuid: str) -> Journal:
        return cls(open_engine(url), profile_uuid)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            yield s

    # -- runs -----------------------------------------------------------------------

    def start_run(self, mode: str, trigger: str = "manual", app_version: str = "") -> int:
        with self.session() as s:
            run = SyncRun(
                profile_uuid=self.profile_uuid,
                mode=mode,
                trigger=trigger,
                started_by=_user(),
                app_version=app_version,
                outcome=RunOutcome.RUNNING.value,
                counts={},
                message="",
            )
            s.add(run)
            s.flush()
            return run.id

    def finish_run(
        self, run_id: int, outcome: RunOutcome, counts: dict[str, Any], message: str = ""
    ) -> None:
        with self.session() as s:
            s.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id)
                .values(
                    outcome=outcome.value,
                    counts=counts,
                    message=scrub(message),
                    finished_at=utcnow(),
                )
            )

    def close_interrupted_runs(self) -> list[int]:
        """Mark runs left "running" by a killed process as crashed; returns their ids.

        Called under the profile's run lock, so no live run can be among them.
        """
        with self.session() as s:
            ids = list(
                s.scalars(
                    select(SyncRun.id).where(
                        SyncRun.profile_uuid == self.profile_uuid,
                        SyncRun.outcome == RunOutcome.RUNNING.value,
                    )
                )
            )
            if ids:
                s.execute(
                    update(SyncRun)
                    .where(SyncRun.id.in_(ids))
                    .values(
                        outcome=RunOutcome.CRASHED.value,
                        finished_at=utcnow(),
                        message="прервано: программа была остановлена во время синхронизации",
                    )
                )
            return ids

    def runs(self, limit: int = 50) -> list[SyncRun]:
        with self.session() as s:
            return list(
                s.scalars(
                    select(SyncRun)
                    .where(SyncRun.profile_uuid == self.profile_uuid)
                    .order_by(SyncRun.id.desc())
                    .limit(limit)
                )
            )

    def run(self, run_id: int) -> SyncRun | None:
        with self.session() as s:
            run = s.get(SyncRun, run_id)
            return run if run is not None and run.profile_uuid == self.profile_uuid else None

    # -- operations -----------------------------------------------------------------

    def add_operation(self, run_id: int, **fields: Any) -> int:
        fields.setdefault("state", OpState.PLANNED.value)
        if "error" in fields:
            fields["error"] = scrub(fields["error"])
        with self.session() as s:
            op = Operation(run_id=run_id, **fields)
            s.add(op)
            s.flush()
            return op.id

    def set_operation_state(
        self,
        op_id: int,
        state: OpState,
        *,
        error: str = "",
        target_id: str | None = None,
        after: dict[str, Any] | None = None,
        step: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"state": state.value, "error": scrub(error)}
        if target_id is not None:
            values["target_id"] = target_id
        if after is not None:
            values["after"] = after
        if step is not None:
            values["step"] = step
        with self.session() as s:
            op = s.get(Operation, op_id)
            if op is None:
                raise KeyError(op_id)
            if op.state == OpState.APPLIED.value:
                raise ValueError(f"operation {op_id} is applied and is never rewritten")
            if state is OpState.SENDING:
                values["attempts"] = op.attempts + 1
            for key, value in values.items():
                setattr(op, key, value)

    def operations(self, run_id: int) -> list[Operation]:
        with self.session() as s:
            return list(
                s.scalars(
                    select(Operation).where(Operation.run_id == run_id).order_by(Operation.id)
                )
            )

    def unfinished_by_key(self, keys: Sequence[str] | None = None) -> list[Operation]:
        """Operations of earlier runs left "sending" or "outcome unknown" (to be resolved)."""
        stmt = (
            select(Operation)
            .join(SyncRun)
            .where(
                SyncRun.profile_uuid == self.profile_uuid,
                Operation.state.in_([OpState.SENDING.value, OpState.OUTCOME_UNKNOWN.value]),
            )
        )
        if keys is not None:
            stmt = stmt.where(Operation.idempotency_key.in_(list(keys)))
        with self.session() as s:
            return list(s.scalars(stmt.order_by(Operation.id)))

    def applied_count(self) -> int:
        """How many operations of this profile were ever applied: a mark that moves
        whenever any run (or the settling of an interrupted one) writes anything.
        Applied operations are never rewritten or removed, so an equal count means
        nothing was applied in between."""
        stmt = (
            select(func.count(Operation.id))
            .join(SyncRun)
            .where(
                SyncRun.profile_uuid == self.profile_uuid,
                Operation.state == OpState.APPLIED.value,
            )
        )
        with self.session() as s:
            return int(s.scalar(stmt) or 0)

    def applied_keys(self) -> set[str]:
        stmt = (
            select(Operation.idempotency_key)
            .join(SyncRun)
            .where(
                SyncRun.profile_uuid == self.profile_uuid,
                Operation.state == OpState.APPLIED.value,
                Operation.idempotency_key != "",
            )
        )
        with self.session() as s:
            return set(s.scalars(stmt))

    # -- links ----------------------------------------------------------------------

    def link(
        self, entity_type: str, *, onec_ref: str | None = None, crm_id: str | None = None
    ) -> LinkValues | None:
        if onec_ref is None and crm_id is None:
            raise ValueError("a link is looked up by onec_ref or crm_id")
        stmt = select(EntityLink).where(
            EntityLink.profile_uuid == self.profile_uuid, EntityLink.entity_type == entity_type
        )
        stmt = (
            stmt.where(EntityLink.onec_ref == onec_ref)
            if onec_ref is not None
            else stmt.where(EntityLink.crm_id == crm_id)
        )
        with self.session() as s:
            row = s.scalars(stmt).first()
            return None if row is None else _link_values(row)

    def links(self, entity_type: str) -> list[LinkValues]:
        stmt = select(EntityLink).where(
            EntityLink.profile_uuid == self.profile_uuid, EntityLink.entity_type == entity_type
        )
        with self.session() as s:
            return [_link_values(row) for row in s.scalars(stmt.order_by(EntityLink.id))]

    def save_link(
        self,
        entity_type: str,
        onec_ref: str | None,
        crm_id: str | None,
        *,
        onec_values: dict[str, Any] | None = None,
        crm_values: dict[str, Any] | None = None,
        run_id: int | None = None,
    ) -> None:
        """Create or update the link of a record (found by either side's id)."""
        with self.session() as s:
            base = select(EntityLink).where(
                EntityLink.profile_uuid == self.profile_uuid, EntityLink.entity_type == entity_type
            )
            row = None
            if onec_ref is not None:
                row = s.scalars(base.where(EntityLink.onec_ref == onec_ref)).first()
            if row is None and crm_id is not None:
                row = s.scalars(base.where(EntityLink.crm_id == crm_id)).first()
            if row is None:
                row = EntityLink(
                    profile_uuid=self.profile_uuid,
                    entity_type=entity_type,
                    onec_values={},
                    crm_values={},
                )
                s.add(row)
            if onec_ref is not None:
                row.onec_ref = onec_ref
            if crm_id is not None:
                row.crm_id = crm_id
            if onec_values is not None:
                row.onec_values = onec_values
            if crm_values is not None:
                row.crm_values = crm_values
            row.run_id = run_id
            row.synced_at = utcnow()

    # -- cursors --------------------------------------------------------------------

    def cursor(self, system: str, entity: str) -> dict[str, Any] | None:
        with self.session() as s:
            row = s.get(Cursor, (self.profile_uuid, system, entity))
            return None if row is None else dict(row.value)

    def set_cursor(self, system: str, entity: str, value: dict[str, Any]) -> None:
        with self.session() as s:
            row = s.get(Cursor, (self.profile_uuid, system, entity))
            if row is None:
                s.add(
                    Cursor(
                        profile_uuid=self.profile_uuid, system=system, entity=entity, value=value
                    )
                )
            else:
                row.value = value
                row.updated_at = utcnow()

    # -- inbox ----------------------------------------------------------------------

    def raise_item(self, kind: InboxKind, dedup_key: str, **fields: Any) -> tuple[int, bool]:
        """Open an inbox item unless the same one is already open; returns (id, is_new)."""
        for key in ("message", "action", "record_label"):
            if key in fields:
                fields[key] = scrub(fields[key])
        with self.session() as s:
            existing = s.scalars(
                select(InboxItem).where(
                    InboxItem.profile_uuid == self.profile_uuid,
                    InboxItem.dedup_key == dedup_key,
                    InboxItem.state == InboxState.OPEN.value,
                )
            ).first()
            if existing is not None:
                for key, value in fields.items():
                    setattr(existing, key, value)
                return existing.id, False
            item = InboxItem(
                profile_uuid=self.profile_uuid, kind=kind.value, dedup_key=dedup_key, **fields
            )
            s.add(item)
            s.flush()
            return item.id, True

    def inbox(self, *, open_only: bool = True) -> list[InboxItem]:
        stmt = select(InboxItem).where(InboxItem.profile_uuid == self.profile_uuid)
        if open_only:
            stmt = stmt.where(InboxItem.state == InboxState.OPEN.value)
        with self.session() as s:
            return list(s.scalars(stmt.order_by(InboxItem.id)))

    def resolve_item(self, item_id: int, resolution: dict[str, Any], by: str = "") -> None:
        with self.session() as s:
            item = s.get(InboxItem, item_id)
            if item is None or item.profile_uuid != self.profile_uuid:
                raise KeyError(item_id)
            if item.state == InboxState.RESOLVED.value:
                raise ValueError(f"inbox item {item_id} is already resolved")
            item.state = InboxState.RESOLVED.value
            item.resolution = resolution
            item.resolved_by = by or _user()
            item.resolved_at = dt.datetime.now(dt.UTC)

    def close_items_not_in(self, dedup_keys: set[str], prefix: str) -> int:
        """Resolve open items (of ``prefix``) the latest full run no longer raises."""
        with self.session() as s:
            rows = s.scalars(
                select(InboxItem).where(
                    InboxItem.profile_uuid == self.profile_uuid,
                    InboxItem.state == InboxState.OPEN.value,
                    InboxItem.dedup_key.startswith(prefix),
                )
            ).all()
            closed = 0
            for item in rows:
                if item.dedup_key not in dedup_keys:
                    item.state = InboxState.RESOLVED.value
                    item.resolution = {"auto": "больше не воспроизводится"}
                    item.resolved_by = "desktop-sync"
                    item.resolved_at = dt.datetime.now(dt.UTC)
                    closed += 1
            return closed


def _link_values(row: EntityLink) -> LinkValues:
    return LinkValues(
        row.entity_type, row.onec_ref, row.crm_id, dict(row.onec_values), dict(row.crm_values)
    )
