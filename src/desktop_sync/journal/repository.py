"""The journal's repository: the only code that reads and writes its tables.

Portable SQLAlchemy only (no SQLite-only SQL), so a shared PostgreSQL journal works
through the same code. Every text that may carry an error message passes through
:func:`desktop_sync.redact.scrub` on its way in.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine, Insert, Table, Update, bindparam, func, insert, or_, select, update
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


@dataclass(frozen=True, slots=True)
class LinkWrite:
    """One link to save (:meth:`Journal.save_links`); None leaves that side's values as they are."""

    entity_type: str
    onec_ref: str | None
    crm_id: str | None
    onec_values: dict[str, Any] | None = None
    crm_values: dict[str, Any] | None = None


class Journal:
    """One profile's view of the journal database."""

    def __init__(self, engine: Engine, profile_uuid: str) -> None:
        self.engine = engine
        self.profile_uuid = profile_uuid
        self._sessions: sessionmaker[Session] = session_factory(engine)
        self._local = threading.local()  # the open transaction() of this thread, if any

    @classmethod
    def open(cls, url: str, profile_uuid: str) -> Journal:
        return cls(open_engine(url), profile_uuid)

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

    def add_operations(
        self, run_id: int, rows: Sequence[dict[str, Any]], state: OpState
    ) -> list[int]:
        """Journal several operations in ``state`` with one bulk statement; their ids in order.

        ``SENDING`` counts the first attempt, as :meth:`set_operation_state` would.
        """
        if not rows:
            return []
        attempts = 1 if state is OpState.SENDING else 0
        params = []
        for fields in rows:
            values = {**fields, "run_id": run_id, "state": state.value, "attempts": attempts}
            if "error" in values:
                values["error"] = scrub(values["error"])
            params.append(values)
        stmt = insert(Operation).returning(Operation.id, sort_by_parameter_order=True)
        with self.session() as s:
            return [int(i) for i in s.scalars(stmt, params)]

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
        stmt = _state_statement(tuple(values), state is OpState.SENDING)
        with self.session() as s:
            conn = s.connection()
            if conn.execute(stmt, {**values, "op_id": op_id}).rowcount:
                return
            if conn.execute(_OP_EXISTS, {"op_id": op_id}).first() is None:
                raise KeyError(op_id)
            raise ValueError(f"operation {op_id} is applied and is never rewritten")

    def settle_applied(self, rows: Sequence[tuple[int, str, dict[str, Any]]]) -> None:
        """Several operations applied at once: ``(op_id, target_id, after)`` each, one statement."""
        if not rows:
            return
        params = [
            {
                "op_id": op_id,
                "state": OpState.APPLIED.value,
                "error": "",
                "target_id": target,
                "after": after,
            }
            for op_id, target, after in rows
        ]
        stmt = _state_statement(("state", "error", "target_id", "after"), False)
        with self.session() as s:
            done = s.connection().execute(stmt, params).rowcount
            if done != len(rows):
                raise ValueError("an operation is applied already and is never rewritten")

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
        """Create or update the link of a record (found by either side's id).

        Core statements built once (a sync saves thousands of links; building and
        compiling a statement each time cost more than the write)."""
        values: dict[str, Any] = {"run_id": run_id, "synced_at": utcnow()}
        if onec_ref is not None:
            values["onec_ref"] = onec_ref
        if crm_id is not None:
            values["crm_id"] = crm_id
        if onec_values is not None:
            values["onec_values"] = onec_values
        if crm_values is not None:
            values["crm_values"] = crm_values
        key = {"profile": self.profile_uuid, "entity": entity_type}
        with self.session() as s:
            conn = s.connection()
            row = None
            if onec_ref is not None:
                row = conn.execute(_LINK_BY_ONEC, {**key, "ref": onec_ref}).first()
            if row is None and crm_id is not None:
                row = conn.execute(_LINK_BY_CRM, {**key, "ref": crm_id}).first()
            if row is None:
                new_row = {
                    "profile_uuid": self.profile_uuid,
                    "entity_type": entity_type,
                    "onec_values": {},
                    "crm_values": {},
                    **values,
                }
                conn.execute(_link_insert(tuple(new_row)), new_row)
            else:
                conn.execute(_link_update(tuple(values)), {**values, "link_id": row[0]})

    def save_links(self, links: Sequence[LinkWrite], run_id: int | None = None) -> None:
        """:meth:`save_link` for several records: one look-up, then bulk inserts and updates."""
        keys_onec = [(x.entity_type, x.onec_ref) for x in links if x.onec_ref is not None]
        keys_crm = [(x.entity_type, x.crm_id) for x in links if x.crm_id is not None]
        if (
            len(links) <= 1
            or len(set(keys_onec)) < len(keys_onec)
            or (len(set(keys_crm)) < len(keys_crm))
        ):  # one record twice in the batch: one at a time, each sees the one before
            for x in links:
                self.save_link(
                    x.entity_type,
                    x.onec_ref,
                    x.crm_id,
                    onec_values=x.onec_values,
                    crm_values=x.crm_values,
                    run_id=run_id,
                )
            return
        now = utcnow()
        with self.session() as s:
            conn = s.connection()
            found = conn.execute(
                select(_LINKS.c.id, _LINKS.c.entity_type, _LINKS.c.onec_ref, _LINKS.c.crm_id)
                .where(
                    _LINKS.c.profile_uuid == self.profile_uuid,
                    _LINKS.c.entity_type.in_(sorted({x.entity_type for x in links})),
                    or_(
                        _LINKS.c.onec_ref.in_(sorted({r for _, r in keys_onec if r})),
                        _LINKS.c.crm_id.in_(sorted({c for _, c in keys_crm if c})),
                    ),
                )
                .order_by(_LINKS.c.id)
            ).all()
            by_onec: dict[tuple[str, str], int] = {}
            by_crm: dict[tuple[str, str], int] = {}
            for row_id, entity, onec_ref, crm_id in found:
                if onec_ref is not None:
                    by_onec.setdefault((entity, onec_ref), row_id)
                if crm_id is not None:
                    by_crm.setdefault((entity, crm_id), row_id)
            inserts: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for x in links:
                values: dict[str, Any] = {"run_id": run_id, "synced_at": now}
                if x.onec_ref is not None:
                    values["onec_ref"] = x.onec_ref
                if x.crm_id is not None:
                    values["crm_id"] = x.crm_id
                if x.onec_values is not None:
                    values["onec_values"] = x.onec_values
                if x.crm_values is not None:
                    values["crm_values"] = x.crm_values
                row_id = None
                if x.onec_ref is not None:
                    row_id = by_onec.get((x.entity_type, x.onec_ref))
                if row_id is None and x.crm_id is not None:
                    row_id = by_crm.get((x.entity_type, x.crm_id))
                if row_id is None:
                    values = {
                        "profile_uuid": self.profile_uuid,
                        "entity_type": x.entity_type,
                        "onec_values": {},
                        "crm_values": {},
                        **values,
                    }
                    inserts.setdefault(tuple(values), []).append(values)
                else:
                    values["link_id"] = row_id
                    updates.setdefault(tuple(values), []).append(values)
            for names, params in inserts.items():
                conn.execute(_link_insert(names), params)
            for names, params in updates.items():
                conn.execute(_link_update(tuple(n for n in names if n != "link_id")), params)

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


_OPS = cast(Table, Operation.__table__)
_LINKS = cast(Table, EntityLink.__table__)
_OP_EXISTS = select(_OPS.c.id).where(_OPS.c.id == bindparam("op_id"))
_LINK_BY_ONEC = (
    select(_LINKS.c.id)
    .where(
        _LINKS.c.profile_uuid == bindparam("profile"),
        _LINKS.c.entity_type == bindparam("entity"),
        _LINKS.c.onec_ref == bindparam("ref"),
    )
    .order_by(_LINKS.c.id)
    .limit(1)
)
_LINK_BY_CRM = (
    select(_LINKS.c.id)
    .where(
        _LINKS.c.profile_uuid == bindparam("profile"),
        _LINKS.c.entity_type == bindparam("entity"),
        _LINKS.c.crm_id == bindparam("ref"),
    )
    .order_by(_LINKS.c.id)
    .limit(1)
)


@functools.cache
def _state_statement(names: tuple[str, ...], sending: bool) -> Update:
    """``UPDATE operation SET … WHERE id = :op_id AND state != 'applied'`` (never rewritten)."""
    values: dict[str, Any] = {n: bindparam(n) for n in names}
    if sending:
        values["attempts"] = _OPS.c.attempts + 1
    return (
        update(_OPS)
        .where(_OPS.c.id == bindparam("op_id"), _OPS.c.state != OpState.APPLIED.value)
        .values(values)
    )


@functools.cache
def _link_insert(names: tuple[str, ...]) -> Insert:
    return insert(_LINKS).values({n: bindparam(n) for n in names})


@functools.cache
def _link_update(names: tuple[str, ...]) -> Update:
    return (
        update(_LINKS)
        .where(_LINKS.c.id == bindparam("link_id"))
        .values({n: bindparam(n) for n in names})
    )


def _link_values(row: EntityLink) -> LinkValues:
    return LinkValues(
        row.entity_type, row.onec_ref, row.crm_id, dict(row.onec_values), dict(row.crm_values)
    )
