"""What the apply keeps of the plan's operations (issue 18: the large set's first sync,
34,000 operations, in 300 MB): journalling an operation leaves its reason as planned, and
the writes later operations may read are kept without an empty result each."""

from __future__ import annotations

import sys
from pathlib import Path

from desktop_sync.engine.executor import Applied, _kept, row_of
from desktop_sync.engine.model import Flow, Head, OpKind, System, operation
from desktop_sync.engine.ops import EntityType
from desktop_sync.journal import Journal, OpState
from desktop_sync.journal.db import sqlite_url


def test_journalling_an_operation_leaves_its_reason_as_planned(tmp_path: Path) -> None:
    reason = "".join(["Счёт № СЧ-0018 от 27.02.2026", ": новый, будет создан в 1С"])
    op = operation(
        "F1:create_onec:18",
        Head(Flow.F1, OpKind.CREATE, System.ONEC, EntityType.INVOICE),
        ("18", None),
        "Счёт № СЧ-0018",
        reason,
        key="k-18",
    )
    size = sys.getsizeof(op.reason)
    journal = Journal.open(sqlite_url(tmp_path / "j.sqlite3"), "p")
    try:
        run = journal.start_run("apply")
        with journal.transaction():
            journal.add_operations(run, [row_of(op)], OpState.SENDING)
        journal.add_operation(run, **row_of(op), state=OpState.SKIPPED.value, error="x")
        # SQLite's UTF-8 copy of a bound string stays inside the string object: 2 bytes a
        # letter more for as long as the plan lives, had the plan's own string been bound
        assert sys.getsizeof(op.reason) == size
        assert journal.operations(run)[0].reason == reason
    finally:
        journal.close()


def test_kept_writes_share_one_empty_result() -> None:
    one = _kept(Applied("1", "product", "ref-1", "1", {"name": "a"}, {"name": "a"}))
    two = _kept(Applied("2"))
    assert one.result is two.result
    assert one.result == {}
    assert (one.onec_values, one.crm_values) == (None, None)
    found = _kept(Applied("3", result={"found": True}))
    assert found.result == {"found": True}


def test_a_held_operation_is_kept_for_the_window_without_its_payload() -> None:
    from desktop_sync.engine.model import Item, ItemKind
    from desktop_sync.engine.ops import NO_PAYLOAD, LinkOnly, ProductCreate
    from desktop_sync.engine.plan_base import Builder, PlanSettings

    b = Builder(PlanSettings("p"))
    values = {"name": "Бумага"}
    held = operation(
        "F5:create_crm:r1",
        Head(Flow.F5, OpKind.CREATE, System.CRM, EntityType.PRODUCT),
        ("r1", None),
        "Бумага",
        "Бумага: будет создан",
        ProductCreate(None, values),  # type: ignore[arg-type]  # only carried here
        key="k-r1",
    )
    b.op(held)
    b.item(Item("F5:name:1:r1", ItemKind.ATTENTION, Flow.F5, "product", "1", "Бумага", "name",
                "same name", blocks=(held.op_id,)))  # fmt: skip
    plan = b.build()
    assert plan.operations == ()
    ((op, key),) = plan.held
    assert key == "F5:name:1:r1"
    assert op.payload is NO_PAYLOAD
    assert (op.op_id, op.reason, op.idempotency_key) == (held.op_id, held.reason, "k-r1")
    assert LinkOnly({}, {}).result is LinkOnly({}, {}).result  # one empty result for all
