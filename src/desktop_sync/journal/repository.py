"""The journal's repository: the only code that reads and writes its tables.

Portable SQLAlchemy only (no SQLite-only SQL), so a shared PostgreSQL journal works
through the same code. Every text that may carry an error message passes through
:func:`desktop_sync.redact.scrub` on its way in. Runs, operations and cursors are here;
links in :mod:`.links`, the inbox in :mod:`.inbox`, the session they share in :mod:`.base`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, Update, and_, bindparam, func, insert, or_, select, update

from desktop_sync.i18n import language
from desktop_sync.journal.base import workstation
from desktop_sync.journal.inbox import InboxJournal
from desktop_sync.journal.links import LinkJournal, LinkValues, LinkWrite
from desktop_sync.journal.models import Cursor, Operation, OpState, RunOutcome, SyncRun
from desktop_sync.journal.types import utcnow
from desktop_sync.redact import scrub

__all__ = ["Journal", "LinkValues", "LinkWrite"]


class Journal(LinkJournal, InboxJournal):
    """One profile's view of the journal database: runs, operations, links, cursors, inbox."""

    # -- runs -----------------------------------------------------------------------

    def start_run(self, mode: str, trigger: str = "manual", app_version: str = "") -> int:
        with self.session() as s:
            run = SyncRun(
                profile_uuid=self.profile_uuid,
                mode=mode,
                trigger=trigger,
                started_by=workstation(),
                app_version=app_version,
                outcome=RunOutcome.RUNNING.value,
                counts={},
                message="",
                lang=language(),
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

    def write_mark(self) -> int:
        """The newest operation of any profile sharing this journal (0: none yet): a mark
        for :meth:`written_since`."""
        with self.session() as s:
            return int(s.scalar(select(func.max(Operation.id))) or 0)

    def written_since(self, mark: int) -> bool:
        """Whether any profile sharing this journal may have written to a system since
        ``mark``: an operation after it applied or not settled, or any left unsettled."""
        unsettled = [OpState.SENDING.value, OpState.OUTCOME_UNKNOWN.value]
        stmt = select(Operation.id).where(
            or_(
                and_(Operation.id > mark, Operation.state == OpState.APPLIED.value),
                Operation.state.in_(unsettled),
            )
        )
        with self.session() as s:
            return s.scalar(stmt.limit(1)) is not None

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


_OPS = cast(Table, Operation.__table__)
_OP_EXISTS = select(_OPS.c.id).where(_OPS.c.id == bindparam("op_id"))


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
