"""Copying one profile's history from a journal into another (SQLite → PostgreSQL).

``desktop-sync journal migrate --to URL`` moves a workstation's SQLite journal into the
team's shared one. Runs, operations, links, cursors and inbox items of the profile are
copied in one transaction of the target; ids are given anew by the target (another
workstation's history may be there already) and every reference is carried over. The
target must not hold this profile's history yet: a second copy would double it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, insert, select

from desktop_sync.journal.models import Cursor, EntityLink, InboxItem, Operation, SyncRun

_RUNS = cast(Table, SyncRun.__table__)
_OPS = cast(Table, Operation.__table__)
_LINKS = cast(Table, EntityLink.__table__)
_CURSORS = cast(Table, Cursor.__table__)
_INBOX = cast(Table, InboxItem.__table__)
_CHUNK = 1000


class TargetNotEmpty(ValueError):
    """The target journal already holds this profile's history (``runs`` of them)."""

    def __init__(self, runs: int) -> None:
        super().__init__(runs)
        self.runs = runs


@dataclass(frozen=True, slots=True)
class Copied:
    runs: int
    operations: int
    links: int
    cursors: int
    inbox: int


def copy_profile(source: Engine, target: Engine, from_scope: str, to_scope: str) -> Copied:
    """Copy the history of ``from_scope`` in ``source`` as ``to_scope`` into ``target``."""
    with source.connect() as src, target.begin() as dst:
        existing = dst.execute(
            select(func.count()).select_from(_RUNS).where(_RUNS.c.profile_uuid == to_scope)
        ).scalar_one()
        if existing:
            raise TargetNotEmpty(int(existing))
        runs = _copy_runs(src, dst, from_scope, to_scope)
        ops = _copy_operations(src, dst, runs)
        links = _insert(
            dst,
            _LINKS,
            (
                {**r, "profile_uuid": to_scope, "run_id": runs.get(r["run_id"])}
                for r in _rows(src, select(_LINKS).where(_LINKS.c.profile_uuid == from_scope))
            ),
        )
        cursors = _insert(
            dst,
            _CURSORS,
            (
                {**r, "profile_uuid": to_scope}
                for r in _rows(src, select(_CURSORS).where(_CURSORS.c.profile_uuid == from_scope))
            ),
        )
        inbox = _insert(
            dst,
            _INBOX,
            (
                {
                    **r,
                    "profile_uuid": to_scope,
                    "run_id": runs.get(r["run_id"]),
                    "operation_id": ops.get(r["operation_id"]),
                }
                for r in _rows(src, select(_INBOX).where(_INBOX.c.profile_uuid == from_scope))
            ),
        )
    return Copied(len(runs), len(ops), links, cursors, inbox)


def _rows(conn: Connection, stmt: Any) -> Iterator[dict[str, Any]]:
    """Rows as plain dicts without their id (the target gives its own)."""
    for row in conn.execute(stmt).mappings():
        yield {k: v for k, v in row.items() if k != "id"}


def _insert(dst: Connection, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    done = 0
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= _CHUNK:
            dst.execute(insert(table), chunk)
            done += len(chunk)
            chunk = []
    if chunk:
        dst.execute(insert(table), chunk)
        done += len(chunk)
    return done


def _copy_runs(src: Connection, dst: Connection, from_scope: str, to_scope: str) -> dict[int, int]:
    """Old run id → new run id."""
    rows = list(
        src.execute(
            select(_RUNS).where(_RUNS.c.profile_uuid == from_scope).order_by(_RUNS.c.id)
        ).mappings()
    )
    return _insert_returning(
        dst,
        _RUNS,
        [int(r["id"]) for r in rows],
        [_without_id(r, profile_uuid=to_scope) for r in rows],
    )


def _copy_operations(src: Connection, dst: Connection, runs: dict[int, int]) -> dict[int, int]:
    """Old operation id → new operation id."""
    mapping: dict[int, int] = {}
    old_runs = sorted(runs)
    for start in range(0, len(old_runs), _CHUNK):
        part = old_runs[start : start + _CHUNK]
        rows = list(
            src.execute(select(_OPS).where(_OPS.c.run_id.in_(part)).order_by(_OPS.c.id)).mappings()
        )
        for at in range(0, len(rows), _CHUNK):
            chunk = rows[at : at + _CHUNK]
            mapping.update(
                _insert_returning(
                    dst,
                    _OPS,
                    [int(r["id"]) for r in chunk],
                    [_without_id(r, run_id=runs[int(r["run_id"])]) for r in chunk],
                )
            )
    return mapping


def _without_id(row: Any, **changes: Any) -> dict[str, Any]:
    return {**{k: v for k, v in row.items() if k != "id"}, **changes}


def _insert_returning(
    dst: Connection, table: Table, old_ids: Sequence[int], rows: list[dict[str, Any]]
) -> dict[int, int]:
    if not rows:
        return {}
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    new_ids = [int(i) for i in dst.execute(stmt, rows).scalars()]
    return dict(zip(old_ids, new_ids, strict=True))
