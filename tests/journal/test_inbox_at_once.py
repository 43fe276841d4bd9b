"""A plan's inbox items raised at once (``InboxJournal.raise_items``): as one by one
(``raise_item``), in a few statements, not a look-up and a flush each (issue 18: a plan's
341 items took 0.3 s before the run's first write, the bucket standing empty meanwhile)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from desktop_sync.journal import InboxKind, Journal

from .conftest import Backend

PROFILE = "3f2b1c9e-0000-4000-8000-000000000002"


@pytest.fixture
def journal(backend: Backend) -> Journal:
    return backend.open(PROFILE)


def _items(n: int, word: str = "неверный") -> list[tuple[InboxKind, str, dict[str, Any]]]:
    return [
        (InboxKind.ATTENTION, f"F7:inn:{i}", {"flow": "F7", "message": f"{word} ИНН {i}"})
        for i in range(n)
    ]


def _seen(journal: Journal) -> list[tuple[str, str, str, str]]:
    return [(i.kind, i.dedup_key, i.message, i.state) for i in journal.inbox(open_only=False)]


def test_items_raised_at_once_are_those_raised_one_by_one(
    journal: Journal, backend: Backend
) -> None:
    """An open item is updated, a resolved one opened again as a new item, a key given
    twice is one item with the later fields; the rest are new."""
    other = backend.open("3f2b1c9e-0000-4000-8000-000000000003")
    for j in (journal, other):
        j.raise_item(InboxKind.CONFLICT, "F2:open", message="было")
        done, _new = j.raise_item(InboxKind.ATTENTION, "F2:done", message="решено")
        j.resolve_item(done, {"skip": True})
    journal.raise_items(
        [
            (InboxKind.CONFLICT, "F2:open", {"message": "стало"}),
            (InboxKind.ATTENTION, "F2:done", {"message": "снова"}),
            (InboxKind.ATTENTION, "F7:twice", {"message": "первый", "field": "ИНН"}),
            (InboxKind.CONFLICT, "F7:twice", {"message": "второй"}),
        ]
    )
    for kind, key, fields in [
        (InboxKind.CONFLICT, "F2:open", {"message": "стало"}),
        (InboxKind.ATTENTION, "F2:done", {"message": "снова"}),
        (InboxKind.ATTENTION, "F7:twice", {"message": "первый", "field": "ИНН"}),
        (InboxKind.CONFLICT, "F7:twice", {"message": "второй"}),
    ]:
        other.raise_item(kind, key, **fields)
    assert _seen(journal) == _seen(other)
    twice = next(i for i in journal.inbox() if i.dedup_key == "F7:twice")
    assert (twice.kind, twice.message, twice.field) == ("attention", "второй", "ИНН")


def test_many_items_take_a_few_statements(journal: Journal) -> None:
    """1,200 items (three look-ups of 500 keys): a handful of statements, where one by
    one took a look-up and an insert each."""
    journal.raise_items(_items(200, "прежний"))  # some open already: updated, not added
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(journal.engine, "before_cursor_execute", count)
    try:
        journal.raise_items(_items(1_200))
    finally:
        event.remove(journal.engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3, statements
    assert len(statements) <= 12, statements  # inserts in bulk, the updates one each at most
    assert len(journal.inbox()) == 1_200
    assert {i.message for i in journal.inbox()} == {
        m for _k, _d, f in _items(1_200) for m in [f["message"]]
    }
