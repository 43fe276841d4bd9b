"""The mark that makes a plan stale: the count of applied operations of one profile."""

from __future__ import annotations

from pathlib import Path

from desktop_sync.journal import Journal, OpState
from desktop_sync.journal.db import sqlite_url


def test_applied_count_moves_only_when_something_is_applied(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "j.sqlite3")
    ours, theirs = Journal.open(url, "profile-a"), Journal.open(url, "profile-b")
    try:
        assert ours.applied_count() == 0
        dry = ours.start_run("dry_run")
        ours.add_operation(dry, flow="F7", kind="create", target_system="crm", entity_type="x")
        run = ours.start_run("apply")
        op = ours.add_operation(run, flow="F7", kind="create", target_system="crm",
                                entity_type="x", idempotency_key="k1")  # fmt: skip
        ours.set_operation_state(op, OpState.SENDING)
        failed = ours.add_operation(run, flow="F7", kind="create", target_system="crm",
                                    entity_type="x", idempotency_key="k2")  # fmt: skip
        ours.set_operation_state(failed, OpState.FAILED, error="refused")
        assert ours.applied_count() == 0  # planned, sending, failed: nothing applied yet
        ours.set_operation_state(op, OpState.APPLIED, target_id="1")
        assert ours.applied_count() == 1
        other = theirs.start_run("apply")
        done = theirs.add_operation(other, flow="F7", kind="create", target_system="crm",
                                    entity_type="x")  # fmt: skip
        theirs.set_operation_state(done, OpState.APPLIED)
        assert (ours.applied_count(), theirs.applied_count()) == (1, 1)  # per profile
    finally:
        ours.close()
        theirs.close()
