"""The portal's in-memory data: tables of rows in native Python values.

Rows hold ints, ``Decimal``, aware ``datetime``, text and lists; the method
modules render them per family (legacy UPPER_CASE strings, ORM numbers). All
access goes through ``Store.lock`` (the server runs one method at a time, as a
portal runs one PHP request's method: no interleaving inside a call).
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

PORTAL_TZ = dt.timezone(dt.timedelta(hours=3))  # Europe/Moscow, no DST

ALL_SCOPES = frozenset(
    {"crm", "catalog", "user", "user_brief", "user_basic", "userfieldconfig", "department"}
)


_UNINDEXABLE = object()


def _index_key(value: Any) -> Any:
    """The key of a value in an equality index: an int as is, text casefolded (the
    filter compares text so); None for empty (never found by an index); anything else
    makes the field unindexable."""
    if type(value) is int:
        return value
    if isinstance(value, str):
        return value.casefold() if value else None
    if value is None:
        return None
    return _UNINDEXABLE


@dataclass
class Table:
    """Rows keyed by id; ids grow and are never reused (as auto-increment)."""

    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1
    _version: tuple[int, int] = field(default=(-1, -1), repr=False, compare=False)
    _ordered: list[dict[str, Any]] | None = field(default=None, repr=False, compare=False)
    _indexes: dict[str, dict[Any, list[int]] | None] = field(
        default_factory=dict, repr=False, compare=False
    )

    def insert(self, row: dict[str, Any], key: str = "ID") -> int:
        new_id = self.next_id
        self.next_id += 1
        row[key] = new_id
        self.rows[new_id] = row
        return new_id

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(list(self.rows.values()))

    def __len__(self) -> int:
        return len(self.rows)

    def _fresh(self) -> None:
        """Drop the derived lists when rows were added or removed since they were built.

        Rows are only ever inserted (``next_id`` grows) or deleted (the count falls), so
        ``(count, next_id)`` changes with every change of membership.
        """
        version = (len(self.rows), self.next_id)
        if version == self._version:
            return
        old_len, old_next = self._version
        if old_len >= 0 and version[0] - old_len == version[1] - old_next:
            # only inserts since: extend what was built, as a database updates its index
            added = [(i, self.rows[i]) for i in range(old_next, version[1])]
            if self._ordered is not None:
                self._ordered.extend(row for _, row in added)
            for name, index in list(self._indexes.items()):
                if index is None:
                    continue
                for row_id, row in added:
                    key = _index_key(row.get(name))
                    if key is _UNINDEXABLE:
                        self._indexes[name] = None
                        break
                    if key is not None:
                        index.setdefault(key, []).append(row_id)
        else:
            self._ordered = None
            self._indexes = {}
        self._version = version

    def ordered(self) -> list[dict[str, Any]]:
        """The rows in ascending id order (as stored); shared, do not modify the list."""
        self._fresh()
        if self._ordered is None:
            self._ordered = list(self.rows.values())
        return self._ordered

    def invalidate(self) -> None:
        """A row's indexed field was changed in place: the indexes are built again."""
        self._indexes = {}

    def index(self, name: str) -> dict[Any, list[int]] | None:
        """Ids by the value of a field (ints as is, text casefolded; empty values left out).

        A field changed in place must be followed by :meth:`invalidate`. None when some
        row holds a value that is neither an int nor text: an index would then disagree
        with the filter's comparison, and the caller scans instead.
        """
        self._fresh()
        if name not in self._indexes:
            built: dict[Any, list[int]] = {}
            plain = True
            for row_id, row in self.rows.items():
                key = _index_key(row.get(name))
                if key is _UNINDEXABLE:
                    plain = False
                    break
                if key is not None:
                    built.setdefault(key, []).append(row_id)
            self._indexes[name] = built if plain else None
        return self._indexes[name]


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    last_name: str
    admin: bool
    email: str = ""

    def sees_all(self) -> bool:
        """Admins read everything; others only what is assigned to them ("own" rights)."""
        return self.admin


@dataclass(frozen=True, slots=True)
class Webhook:
    user_id: int
    code: str
    scopes: frozenset[str]
    expires: dt.datetime | None = None


def now_portal() -> dt.datetime:
    return dt.datetime.now(PORTAL_TZ).replace(microsecond=0)


def iso(value: dt.datetime) -> str:
    """PHP ``date('c')`` in the portal's time zone: ``2026-03-16T10:00:00+03:00``."""
    return value.astimezone(PORTAL_TZ).replace(microsecond=0).isoformat()


def day_start(day: dt.date) -> dt.datetime:
    """A date-only field as the portal returns it: midnight in its time zone."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=PORTAL_TZ)


@dataclass
class Store:
    users: dict[int, User] = field(default_factory=dict)
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    companies: Table = field(default_factory=Table)
    contacts: Table = field(default_factory=Table)
    requisites: Table = field(default_factory=Table)
    requisite_links: dict[tuple[int, int], dict[str, int]] = field(default_factory=dict)
    presets: list[dict[str, Any]] = field(default_factory=list)
    multifield_ids: Table = field(default_factory=Table)
    categories: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    items: Table = field(default_factory=Table)
    product_rows: Table = field(default_factory=Table)
    deals: Table = field(default_factory=Table)  # crm.deal.* (deals.py)
    deal_rows: Table = field(default_factory=Table)  # their product rows (ownerType D)
    payments: Table = field(default_factory=Table)
    payment_products: Table = field(default_factory=Table)
    comments: Table = field(default_factory=Table)
    # timeline files: id -> (name, content)
    files: dict[int, tuple[str, bytes]] = field(default_factory=dict)
    userfields: Table = field(default_factory=Table)
    catalogs: list[dict[str, Any]] = field(default_factory=list)
    products: Table = field(default_factory=Table)
    prices: Table = field(default_factory=Table)
    price_types: list[dict[str, Any]] = field(default_factory=list)
    measures: list[dict[str, Any]] = field(default_factory=list)
    vats: list[dict[str, Any]] = field(default_factory=list)
    stores: Table = field(default_factory=Table)
    store_products: Table = field(default_factory=Table)
    documents: Table = field(default_factory=Table)
    document_elements: Table = field(default_factory=Table)
    inventory_mode: bool = True
    lock: threading.RLock = field(default_factory=threading.RLock)
    _rows_key: tuple[int, int] = (-1, -1)
    _rows_index: dict[int, list[int]] = field(default_factory=dict)
    _stock_index: dict[tuple[int, int], int] = field(default_factory=dict)

    def next_file_id(self) -> int:
        return max(self.files, default=0) + 1

    def rows_of(self, owner_id: int) -> list[dict[str, Any]]:
        """The product rows of one invoice, in insertion order (an index, rebuilt on change)."""
        table = self.product_rows
        key = (len(table.rows), table.next_id)
        old_len, old_next = self._rows_key
        if key != self._rows_key:
            if old_len >= 0 and key[0] - old_len == key[1] - old_next:
                for row_id in range(old_next, key[1]):  # only inserts since: extend
                    row = table.rows[row_id]
                    self._rows_index.setdefault(row["ownerId"], []).append(row_id)
            else:
                index: dict[int, list[int]] = {}
                for row_id, row in table.rows.items():
                    index.setdefault(row["ownerId"], []).append(row_id)
                self._rows_index = index
            self._rows_key = key
        return [table.rows[i] for i in self._rows_index.get(owner_id, []) if i in table.rows]

    # --- users and webhooks -------------------------------------------------

    def add_webhook(
        self,
        user_id: int = 1,
        scopes: frozenset[str] | set[str] | tuple[str, ...] = ALL_SCOPES,
        *,
        code: str | None = None,
        expires: dt.datetime | None = None,
    ) -> Webhook:
        if user_id not in self.users:
            raise ValueError(f"no user {user_id}")
        hook = Webhook(user_id, code or secrets.token_hex(8), frozenset(scopes), expires)
        self.webhooks[hook.code] = hook
        return hook

    # --- rights -------------------------------------------------------------

    def company_visible(self, user: User, row: dict[str, Any]) -> bool:
        return user.sees_all() or row.get("ASSIGNED_BY_ID") == user.id

    def item_visible(self, user: User, row: dict[str, Any]) -> bool:
        return user.sees_all() or row.get("assignedById") == user.id

    # --- the smart invoice's custom fields ------------------------------------

    def invoice_userfields(self) -> list[dict[str, Any]]:
        return [f for f in self.userfields if f["entityId"] == "CRM_SMART_INVOICE"]

    def invoice_stages(self, category_id: int) -> list[dict[str, Any]]:
        entity = f"SMART_INVOICE_STAGE_{category_id}"
        return [s for s in self.statuses if s["ENTITY_ID"] == entity]

    # --- stock --------------------------------------------------------------

    def stock_row(self, product_id: int, store_id: int) -> dict[str, Any]:
        known = self._stock_index.get((product_id, store_id))
        if known is not None and known in self.store_products.rows:
            return self.store_products.rows[known]
        row = {
            "productId": product_id,
            "storeId": store_id,
            "amount": Decimal(0),
            "quantityReserved": Decimal(0),
        }
        self._stock_index[(product_id, store_id)] = self.store_products.insert(row, "id")
        return row
