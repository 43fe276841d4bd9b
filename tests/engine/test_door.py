"""The one door the fronts use (issue 17): typed answers, the journal without secrets."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_sync.config import AppPaths, Profile
from desktop_sync.engine.facade import ExportError, JournalDoor, export_table
from desktop_sync.engine.records import InboxRecord, OperationRecord, RunRecord
from desktop_sync.engine.service import SyncService
from desktop_sync.journal import InboxKind, RunOutcome
from desktop_sync.runlock import LockHeld, RunLock


@pytest.fixture
def door(tmp_path: Path) -> Iterator[JournalDoor]:
    paths = AppPaths.resolve(tmp_path / "home")
    paths.ensure()
    profile = Profile("office", "https://1c.example/base", "Бухгалтер", "https://b24.example")
    with JournalDoor.open_journal_only(profile, paths) as opened:
        journal = opened.journal
        run_id = journal.start_run("apply", trigger="cli")
        journal.add_operation(
            run_id, flow="F1", kind="create", target_system="onec", entity_type="invoice",
            source_id="15", idempotency_key="k1", reason="Счёт № 15: новый",
            state="failed", error="1С отказала",
        )  # fmt: skip
        journal.raise_item(
            InboxKind.CONFLICT, "F7:counterparty:c1:phone", run_id=run_id, flow="F7",
            entity_type="counterparty", record_id="c1", record_label="ООО «Ромашка»",
            field="phone", message="телефон изменён с обеих сторон",
            onec_value={"phone": "+7 1"}, crm_value={"phone": "+7 2"},
        )  # fmt: skip
        journal.finish_run(run_id, RunOutcome.PARTIAL, {})
        yield opened


def test_the_journal_door_answers_with_frozen_records_without_any_secret(
    door: JournalDoor,
) -> None:
    (run,) = door.runs()
    assert isinstance(run, RunRecord) and run.mode == "apply" and run.outcome == "partial"
    assert door.find_run(run.id) == run and door.find_run(run.id + 1) is None
    (op,) = door.operations(run.id)
    assert isinstance(op, OperationRecord) and op.reason == "Счёт № 15: новый"
    assert door.operations() == [op]  # every run's
    assert door.failed_in_last_apply() == [op]
    (item,) = door.inbox()
    assert isinstance(item, InboxRecord) and item.onec_value == {"phone": "+7 1"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.message = "x"  # type: ignore[misc]
    door.close()
    assert item.record_label == "ООО «Ромашка»"  # a copy: still readable after closing


def test_a_decision_waits_for_the_run_lock(door: JournalDoor) -> None:
    (item,) = door.inbox()
    with RunLock(door.paths.lock_path(door.profile.uuid)), pytest.raises(LockHeld):
        door.resolve(item.id, "skip")
    door.resolve(item.id, "skip")
    assert door.inbox() == []
    (decided,) = door.inbox(open_only=False)
    assert decided.state == "resolved" and decided.resolution is not None


def test_export_writes_csv_and_refuses_what_it_cannot(tmp_path: Path) -> None:
    target = tmp_path / "ops.csv"
    export_table(target, ["№", "Причина"], [[1, "новый"]], sheet="Журнал")
    assert target.read_text(encoding="utf-8-sig").splitlines() == ["№;Причина", "1;новый"]
    with pytest.raises(ExportError, match=r"\.csv"):
        export_table(tmp_path / "ops.txt", ["a"], [], sheet="x")
    with pytest.raises(ExportError, match="missing"):
        export_table(tmp_path / "missing" / "ops.csv", ["a"], [], sheet="x")


@pytest.mark.parametrize("door_class", [JournalDoor, SyncService])
def test_the_door_answers_in_types_not_any(door_class: type) -> None:
    """No method of the door returns ``Any``: the fronts know what they get."""
    untyped = [
        name
        for name, fn in inspect.getmembers(door_class, inspect.isfunction)
        if not name.startswith("_")
        and ("return" not in fn.__annotations__ or "Any" in str(fn.__annotations__["return"]))
    ]
    assert untyped == []
