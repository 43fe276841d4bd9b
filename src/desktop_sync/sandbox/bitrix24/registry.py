"""Method registry: lower-case name -> (scope, handler), and what a handler returns.

What a method reads from its parameters is in ``args``; how it renders values, ``render``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desktop_sync.sandbox.bitrix24.store import Store, Table, User, Webhook

if TYPE_CHECKING:
    from desktop_sync.sandbox.bitrix24.query import Page


@dataclass(frozen=True, slots=True)
class Ctx:
    store: Store
    user: User
    hook: Webhook

    def sees(self, row: dict[str, Any]) -> bool:
        """The caller may see this legacy CRM record (company, contact, deal)."""
        return self.store.company_visible(self.user, row)

    def sees_item(self, row: dict[str, Any]) -> bool:
        """The caller may see this smart invoice."""
        return self.store.item_visible(self.user, row)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A method's ``result`` (already rendered) plus what the envelope and cost need."""

    result: Any
    total: int | None = None
    next: int | None = None
    rows: int = 0
    skipped: int = 0
    counted: int = 0
    writes: int = 0


def removed(table: Table, row_id: int) -> Outcome:
    """Delete one stored row; the portal answers ``true``, one write."""
    del table.rows[row_id]
    return Outcome(True, writes=1)


def added(table: Table, row: dict[str, Any], untitled: str) -> Outcome:
    """Store a new legacy CRM record and answer its id; one added without a title gets
    the portal's own (``untitled`` with the id in ``{}``), one write."""
    new_id = table.insert(row)
    if not row["TITLE"]:
        row["TITLE"] = untitled.format(new_id)
    return Outcome(new_id, writes=1)


def paged(result: Any, rendered: int, page: Page) -> Outcome:
    """A list method's outcome: ``result`` (``rendered`` rows of ``page``) and the page's
    total, next start and what it scanned."""
    return Outcome(
        result,
        page.total,
        page.next,
        rows=rendered,
        skipped=page.skipped,
        counted=page.counted,
    )


Handler = Callable[[Ctx, dict[str, Any]], Outcome]

# scope None = basic methods every webhook may call (scope, profile, batch...)
METHODS: dict[str, tuple[frozenset[str] | None, Handler]] = {}


def method(name: str, scope: str | tuple[str, ...] | None) -> Callable[[Handler], Handler]:
    scopes: frozenset[str] | None
    if scope is None:
        scopes = None
    elif isinstance(scope, str):
        scopes = frozenset({scope})
    else:
        scopes = frozenset(scope)

    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = (scopes, handler)
        return handler

    return register


def deleting(
    name: str,
    scope: str,
    fetch: Callable[[Ctx, dict[str, Any]], dict[str, Any]],
    table: Callable[[Store], Table],
    key: str = "id",
) -> Handler:
    """Register ``name`` as a plain delete: the row ``fetch`` finds (with its checks and
    errors) is removed from ``table``; the portal answers ``true``, one write."""

    def delete(ctx: Ctx, params: dict[str, Any]) -> Outcome:
        return removed(table(ctx.store), fetch(ctx, params)[key])

    return method(name, scope)(delete)
