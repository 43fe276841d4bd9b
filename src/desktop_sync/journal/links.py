"""Links between a 1C record and its CRM record, with the last synced values of each side.

Core statements built once (a sync saves thousands of links; building and compiling a
statement each time cost more than the write).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Insert,
    Select,
    Table,
    Text,
    Update,
    bindparam,
    insert,
    or_,
    select,
    type_coerce,
    update,
)

from desktop_sync.journal.base import JournalBase
from desktop_sync.journal.models import EntityLink
from desktop_sync.journal.types import SharedJson, utcnow

# One side's values as a links read keeps them: the tuple of its keys (one object per
# set of keys across the read), then the values in that order.
_Packed = tuple[Any, ...]
_NO_VALUES: _Packed = ((),)


class LinkValues:
    """A link and the last synced values of each side (the 3-way diff's base).

    Immutable. A links read (:meth:`LinkJournal.links`) keeps each side's values packed,
    not as a dict: the keys' tuple shared by every link of the same fields, and one
    packing for both sides when they are the same text. ``onec_values`` and
    ``crm_values`` then make a new dict on each access (the caller's own), the values
    in it shared (read-only, as they always were). The large set's links read alone: 31.4
    → 19.7 MB (issue 18, the unchanged run in 300 MB)."""

    __slots__ = ("_crm", "_onec", "crm_id", "entity_type", "onec_ref")

    entity_type: str
    onec_ref: str | None
    crm_id: str | None
    _onec: dict[str, Any] | _Packed
    _crm: dict[str, Any] | _Packed

    def __init__(
        self,
        entity_type: str,
        onec_ref: str | None,
        crm_id: str | None,
        onec_values: dict[str, Any],
        crm_values: dict[str, Any],
    ) -> None:
        self._set(entity_type, onec_ref, crm_id, onec_values, crm_values)

    @classmethod
    def packed(
        cls, entity_type: str, onec_ref: str | None, crm_id: str | None, onec: _Packed, crm: _Packed
    ) -> LinkValues:
        """A link read from the journal, its sides packed (:func:`_packer`)."""
        link = cls.__new__(cls)
        link._set(entity_type, onec_ref, crm_id, onec, crm)
        return link

    def _set(self, *values: Any) -> None:
        for name, value in zip(_STORED, values, strict=True):
            object.__setattr__(self, name, value)

    @property
    def onec_values(self) -> dict[str, Any]:
        return _unpacked(self._onec)

    @property
    def crm_values(self) -> dict[str, Any]:
        return _unpacked(self._crm)

    def _fields(self) -> tuple[Any, ...]:
        return (self.entity_type, self.onec_ref, self.crm_id, self.onec_values, self.crm_values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a link's values cannot be changed ({name})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a link's values cannot be changed ({name})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LinkValues):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # its values are dicts, as a dataclass's were

    def __reduce__(self) -> tuple[type[LinkValues], tuple[Any, ...]]:
        return LinkValues, self._fields()

    def __repr__(self) -> str:
        names = ("entity_type", "onec_ref", "crm_id", "onec_values", "crm_values")
        shown = ", ".join(f"{n}={v!r}" for n, v in zip(names, self._fields(), strict=True))
        return f"LinkValues({shown})"


_STORED = ("entity_type", "onec_ref", "crm_id", "_onec", "_crm")


def _unpacked(side: dict[str, Any] | _Packed) -> dict[str, Any]:
    if isinstance(side, dict):
        return side
    return dict(zip(side[0], side[1:], strict=True))


class _Packer:
    """Decodes one read's value texts into packed sides (:class:`LinkValues`): texts,
    decimals and dates shared (:class:`SharedJson`), each set of keys one tuple."""

    __slots__ = ("_decode", "_shapes", "texts")

    def __init__(self, texts: dict[str, str] | None) -> None:
        self.texts: dict[str, str] = {} if texts is None else texts
        self._decode = SharedJson(self.texts)
        self._shapes: dict[tuple[str, ...], tuple[str, ...]] = {}

    def pack(self, text: str) -> _Packed:
        values = self._decode(text)
        if not values:
            return _NO_VALUES
        keys = tuple(values)
        return (self._shapes.setdefault(keys, keys), *values.values())

    def link(self, entity_type: str, onec_ref: str | None, crm_id: str | None, onec: str,
             crm: str) -> LinkValues:  # fmt: skip
        if onec_ref is not None:
            onec_ref = self.texts.setdefault(onec_ref, onec_ref)
        packed = self.pack(onec)
        other = packed if crm == onec else self.pack(crm)
        return LinkValues.packed(entity_type, onec_ref, crm_id, packed, other)


@dataclass(frozen=True, slots=True)
class LinkWrite:
    """One link to save (:meth:`Journal.save_links`); None leaves that side's values as they are."""

    entity_type: str
    onec_ref: str | None
    crm_id: str | None
    onec_values: dict[str, Any] | None = None
    crm_values: dict[str, Any] | None = None


# A link written: (an existing row is updated, the statement's parameters).
_Params = tuple[bool, dict[str, Any]]
_SIDES = ("onec_ref", "crm_id", "onec_values", "crm_values")


class LinkJournal(JournalBase):
    """The links of one profile."""

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
        """Every link of one type (:meth:`links_of`)."""
        return self.links_of((entity_type,))[entity_type]

    def links_of(
        self, entity_types: Iterable[str], shared: dict[str, str] | None = None
    ) -> dict[str, list[LinkValues]]:
        """Every link of each type, as rows (no ORM object per link), their values packed
        (:class:`LinkValues`) and every text held once across the types. ``shared``: text
        -> the object to hold it as (taken over and filled): a caller holding the records
        the links name shares their references and names with the links (the large set's
        30,000 links, issue 18, memory)."""
        packer = _Packer(shared)
        out: dict[str, list[LinkValues]] = {}
        with self.session() as s:
            for entity_type in entity_types:
                rows = s.connection().execute(
                    _LINKS_OF, {"profile": self.profile_uuid, "entity": entity_type}
                )
                out[entity_type] = [packer.link(entity_type, *row) for row in rows]
        return out

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
        link = LinkWrite(entity_type, onec_ref, crm_id, onec_values, crm_values)
        with self.session() as s:
            conn = s.connection()

            def find(side: str, entity: str, ref: str) -> int | None:
                key = {"profile": self.profile_uuid, "entity": entity, "ref": ref}
                return conn.execute(_LINK_BY[side], key).scalar()

            _execute(conn, [self._params(link, _row_id(link, find), run_id, utcnow())])

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
            found: dict[tuple[str, str, str], int] = {}
            for row_id, entity, onec_ref, crm_id in conn.execute(
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
            ):
                for side, ref in (("onec_ref", onec_ref), ("crm_id", crm_id)):
                    if ref is not None:
                        found.setdefault((side, entity, ref), row_id)

            def find(side: str, entity: str, ref: str) -> int | None:
                return found.get((side, entity, ref))

            _execute(conn, [self._params(x, _row_id(x, find), run_id, now) for x in links])

    def _params(
        self, link: LinkWrite, row_id: int | None, run_id: int | None, now: dt.datetime
    ) -> _Params:
        """The parameters that update the link's row ``row_id``, or insert it if None."""
        values: dict[str, Any] = {"run_id": run_id, "synced_at": now}
        for name in _SIDES:
            value = getattr(link, name)
            if value is not None:
                values[name] = value
        if row_id is not None:
            return True, {**values, "link_id": row_id}
        new_row = {
            "profile_uuid": self.profile_uuid,
            "entity_type": link.entity_type,
            "onec_values": {},
            "crm_values": {},
            **values,
        }
        return False, new_row


def _row_id(link: LinkWrite, find: Callable[[str, str, str], int | None]) -> int | None:
    """The row of a link: ``find(side, entity, ref)`` by its 1C side first, then its CRM side."""
    row_id = None
    if link.onec_ref is not None:
        row_id = find("onec_ref", link.entity_type, link.onec_ref)
    if row_id is None and link.crm_id is not None:
        row_id = find("crm_id", link.entity_type, link.crm_id)
    return row_id


def _execute(conn: Connection, params: Iterable[_Params]) -> None:
    """Inserts, then updates: one statement per set of columns written."""
    groups: dict[tuple[bool, tuple[str, ...]], list[dict[str, Any]]] = {}
    for is_update, values in params:
        groups.setdefault((is_update, tuple(values)), []).append(values)
    for (is_update, names), group in sorted(groups.items(), key=lambda g: g[0][0]):
        if is_update:
            conn.execute(_link_update(tuple(n for n in names if n != "link_id")), group)
        else:
            conn.execute(_link_insert(names), group)


_LINKS = cast(Table, EntityLink.__table__)


def _link_by(side: str) -> Select[int]:
    """The first link of a profile's entity whose ``side`` (onec_ref, crm_id) is ``:ref``."""
    return (
        select(_LINKS.c.id)
        .where(
            _LINKS.c.profile_uuid == bindparam("profile"),
            _LINKS.c.entity_type == bindparam("entity"),
            _LINKS.c[side] == bindparam("ref"),
        )
        .order_by(_LINKS.c.id)
        .limit(1)
    )


_LINK_BY = {side: _link_by(side) for side in ("onec_ref", "crm_id")}
# A type's links with their values as the stored JSON texts (decoded by SharedJson).
_LINKS_OF = (
    select(
        _LINKS.c.onec_ref,
        _LINKS.c.crm_id,
        type_coerce(_LINKS.c.onec_values, Text),
        type_coerce(_LINKS.c.crm_values, Text),
    )
    .where(
        _LINKS.c.profile_uuid == bindparam("profile"),
        _LINKS.c.entity_type == bindparam("entity"),
    )
    .order_by(_LINKS.c.id)
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
