"""One transaction per batch of operations (issue 18): "sending" for the batch, then the
settlements; bulk statements give the same journal as one write at a time."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event

from desktop_sync.journal import Journal, LinkWrite, OpState
from tests.journal.conftest import Backend

PROFILE = "3f2b1c9e-0000-4000-8000-000000000002"


@pytest.fixture
def journal(backend: Backend) -> Journal:
    return backend.open(PROFILE)


def _commits(journal: Journal) -> list[int]:
    seen: list[int] = []
    event.listen(journal.engine, "commit", lambda conn: seen.append(1))
    return seen


def _op(i: int) -> dict[str, Any]:
    return {
        "flow": "F7",
        "kind": "create",
        "target_system": "crm",
        "entity_type": "counterparty",
        "source_id": f"ref-{i}",
        "idempotency_key": f"key-{i}",
        "reason": f"Контрагент {i}: новый",
        "before": {"changes": {}},
        "after": {"changes": {"name": f"ООО {i}"}, "total": Decimal("1.10")},
    }


def test_a_batch_is_two_commits(journal: Journal) -> None:
    run = journal.start_run("apply")
    commits = _commits(journal)
    with journal.transaction():
        ids = journal.add_operations(run, [_op(i) for i in range(50)], OpState.SENDING)
    assert len(commits) == 1
    assert [o.id for o in journal.unfinished_by_key()] == ids  # committed before the write
    assert {o.attempts for o in journal.operations(run)} == {1}
    commits.clear()
    with journal.transaction():
        journal.settle_applied([(op, str(i), {"result": {}}) for i, op in enumerate(ids)])
        journal.save_links(
            [LinkWrite("counterparty", f"ref-{i}", str(i), {"n": i}, {"n": i}) for i in range(50)],
            run_id=run,
        )
    assert len(commits) == 1
    assert journal.unfinished_by_key() == []
    assert journal.applied_keys() == {f"key-{i}" for i in range(50)}
    with pytest.raises(ValueError, match="never rewritten"):
        journal.settle_applied([(ids[0], "x", {})])


def test_a_failed_transaction_leaves_the_batch_sending(journal: Journal) -> None:
    run = journal.start_run("apply")
    with journal.transaction():
        ids = journal.add_operations(run, [_op(i) for i in range(3)], OpState.SENDING)

    def settle_then_fail() -> None:
        with journal.transaction():
            journal.set_operation_state(ids[0], OpState.APPLIED, target_id="1")
            raise RuntimeError("killed while settling")

    with pytest.raises(RuntimeError):
        settle_then_fail()
    assert [o.id for o in journal.unfinished_by_key()] == ids  # settled by key next run


def test_bulk_links_equal_one_at_a_time(backend: Backend) -> None:
    def world(bulk: bool) -> list[tuple[Any, ...]]:
        j = backend.open(PROFILE, label=f"bulk{bulk}")
        j.save_link("counterparty", "a", None, onec_values={"v": 1}, crm_values={"w": 1})
        j.save_link("counterparty", None, "20", crm_values={"w": 2})
        j.save_link("product", "a", "30")
        writes = [
            LinkWrite("counterparty", "a", "10", None, {"w": 10}),  # found by 1C ref
            LinkWrite("counterparty", "b", "20", {"v": 2}, None),  # found by CRM id
            LinkWrite("counterparty", "c", None, {"v": 3}, {"w": 3}),  # new
            LinkWrite("product", "p", "31", {"v": 4}, {"w": 4}),  # new, other type
        ]
        if bulk:
            j.save_links(writes, run_id=None)
        else:
            for x in writes:
                j.save_link(
                    x.entity_type,
                    x.onec_ref,
                    x.crm_id,
                    onec_values=x.onec_values,
                    crm_values=x.crm_values,
                )
        return [
            (v.entity_type, v.onec_ref, v.crm_id, v.onec_values, v.crm_values)
            for t in ("counterparty", "product")
            for v in j.links(t)
        ]

    one_by_one = world(bulk=False)
    assert world(bulk=True) == one_by_one
    assert ("counterparty", "a", "10", {"v": 1}, {"w": 10}) in one_by_one


def test_the_same_record_twice_in_a_batch(journal: Journal) -> None:
    journal.save_links(
        [
            LinkWrite("counterparty", "a", None, {"v": 1}, None),
            LinkWrite("counterparty", "a", "10", None, {"w": 1}),
        ]
    )
    [link] = journal.links("counterparty")
    assert (link.onec_ref, link.crm_id, link.onec_values, link.crm_values) == (
        "a",
        "10",
        {"v": 1},
        {"w": 1},
    )


def test_transactions_are_per_thread(journal: Journal) -> None:
    import threading

    run = journal.start_run("apply")
    seen: list[int] = []
    with journal.transaction():
        journal.add_operations(run, [_op(1)], OpState.SENDING)

        def other() -> None:  # another thread (the window) reads what is committed only
            seen.append(len(journal.operations(run)))

        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen == [0]
    assert len(journal.operations(run)) == 1
