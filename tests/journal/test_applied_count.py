"""The mark that makes a plan stale: the count of applied operations of one profile."""

from __future__ import annotations

from desktop_sync.journal import OpState
from tests.journal.conftest import Backend


def test_applied_count_moves_only_when_something_is_applied(backend: Backend) -> None:
    ours, theirs = backend.open("profile-a"), backend.open("profile-b")
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
