"""The inbox: what a run could not decide alone, open until someone (or a later run)
resolves it. Texts that may carry an error message pass through
:func:`desktop_sync.redact.scrub` on their way in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select

from desktop_sync import said
from desktop_sync.i18n import language
from desktop_sync.journal.base import JournalBase, workstation
from desktop_sync.journal.models import InboxItem, InboxKind, InboxState
from desktop_sync.redact import scrub


class InboxJournal(JournalBase):
    """The inbox items of one profile."""

    def raise_item(self, kind: InboxKind, dedup_key: str, **fields: Any) -> tuple[int, bool]:
        """Open an inbox item unless the same one is already open; returns (id, is_new)."""
        _written(fields)
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

    def raise_items(self, items: Iterable[tuple[InboxKind, str, dict[str, Any]]]) -> None:
        """Many :meth:`raise_item` at once, as they would be one by one (an item already
        open is updated, a key given twice is one item), in one transaction: one look-up
        of the open items for 500 keys and the new ones inserted together, not a look-up
        and an insert each (a plan's 341 items took 0.3 s before the run's first write,
        0.07 s so: issue 18)."""
        wanted: dict[str, tuple[InboxKind, dict[str, Any]]] = {}
        for kind, dedup_key, fields in items:
            before = wanted.get(dedup_key)
            _written(fields)
            wanted[dedup_key] = (before[0], {**before[1], **fields}) if before else (kind, fields)
        keys = list(wanted)
        new: list[dict[str, Any]] = []
        with self.session() as s:
            for n in range(0, len(keys), _KEYS_AT_ONCE):
                part = keys[n : n + _KEYS_AT_ONCE]
                found = s.scalars(
                    select(InboxItem)
                    .where(
                        InboxItem.profile_uuid == self.profile_uuid,
                        InboxItem.state == InboxState.OPEN.value,
                        InboxItem.dedup_key.in_(part),
                    )
                    .order_by(InboxItem.id)
                )
                existing: dict[str, InboxItem] = {}
                for item in found:
                    existing.setdefault(item.dedup_key, item)
                for dedup_key in part:
                    kind, fields = wanted[dedup_key]
                    if (row := existing.get(dedup_key)) is not None:
                        for key, value in fields.items():
                            setattr(row, key, value)
                    else:
                        new.append(
                            {"profile_uuid": self.profile_uuid, "kind": kind.value,
                             "dedup_key": dedup_key, **fields}
                        )  # fmt: skip
            if new:  # in bulk (executemany): the rows' ids are not wanted
                s.execute(insert(InboxItem), new)
            s.flush()

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
            _resolve(item, resolution, by or workstation())

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
                    _resolve(item, {"auto": "больше не воспроизводится"}, "desktop-sync")
                    closed += 1
            return closed


_KEYS_AT_ONCE = 500  # dedup keys to one look-up (SQLite's and PostgreSQL's parameter limits)


def _written(fields: dict[str, Any]) -> None:
    """An item's fields as the journal keeps them: texts scrubbed, what words are made of."""
    for key in ("message", "action", "record_label"):
        if key in fields:
            fields[key] = scrub(fields[key])
    fields["said"] = _made_of(fields)


def _resolve(item: InboxItem, resolution: dict[str, Any], by: str) -> None:
    item.state = InboxState.RESOLVED.value
    item.resolution = resolution
    item.resolved_by = by
    item.resolved_at = dt.datetime.now(dt.UTC)


SAID = ("message", "action", "field", "record_label")
# Values are the records' data, kept as they are, unless our words are around them
# («Иванов (ИНН 7701…)»: said.parse_value).
SAID_VALUES = ("onec_value", "crm_value", "base_value")


def _made_of(fields: dict[str, Any]) -> dict[str, Any] | None:
    """What an item's words are made of (``desktop_sync.said``), in the language they
    are written in; None when none of them is the catalog's."""
    made = {k: said.parse(str(fields[k])) for k in SAID if fields.get(k)}
    for k in SAID_VALUES:
        if isinstance(fields.get(k), str) and fields[k]:
            made[k] = said.parse_value(fields[k])
    kept = {k: v for k, v in made.items() if v is not None}
    return {"lang": language(), **kept} if kept else None
