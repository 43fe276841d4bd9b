"""The executor: applies a plan one step at a time, journal first.

For every write: the operation is journalled as "sending" (with its idempotency
key) and committed *before* the request leaves; after the answer it becomes
"applied" with what the target system returned, and the link table receives the
values read back (the next diff's base). A timeout or a dropped connection makes
it "outcome unknown": the record is looked up by its key at once, and again at the
start of the next run, before anything is retried — so a run killed at any point
is finished by the next one without twins.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from desktop_sync.engine.model import (
    Operation,
    OpKind,
    Progress,
    ProgressFn,
    RunSummary,
    Stage,
    System,
)
from desktop_sync.i18n import tr
from desktop_sync.journal import InboxKind, Journal, OpState
from desktop_sync.redact import scrub

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Applied:
    """What a write produced: the target's id and both sides' values for the link."""

    target_id: str
    link_type: str | None = None  # entity type to link; None = no link to save
    onec_ref: str | None = None
    crm_id: str | None = None
    onec_values: dict[str, Any] | None = None
    crm_values: dict[str, Any] | None = None
    result: dict[str, Any] = field(default_factory=dict)  # for dependent operations


class WriteError(Exception):
    """A write the target refused for a reason that will not pass by itself.

    ``field`` names the field when the target said which; the message is the
    target's reason in plain words.
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class OutcomeUnknown(Exception):
    """The request may or may not have been applied (timeout, connection lost)."""


class TemporaryFailure(Exception):
    """Refused for a reason that may pass (limits, a system down): retry next run."""


class Writer(Protocol):
    """One system's writes, as the executor needs them."""

    def apply(self, op: Operation, results: Mapping[str, Applied]) -> Applied: ...

    def lookup(
        self, entity_type: str, kind: str, key: str, payload: Mapping[str, Any]
    ) -> Applied | None: ...


class Cancelled(Exception):
    pass


def _count_failure(summary: RunSummary, op: Operation, message: str) -> None:
    summary.count("failed", op.flow)
    summary.failures.append((op.record_label, message))


def resume_unfinished(journal: Journal, writers: Mapping[System, Writer]) -> tuple[int, int]:
    """Settle operations left "sending"/"outcome unknown" by an earlier run.

    Each is looked up by its idempotency key: found → applied (and linked); not
    found → failed, so the planner proposes it again. Returns (found, not found).
    """
    found = missing = 0
    for row in journal.unfinished_by_key():
        writer = writers.get(System(row.target_system))
        if writer is None or not row.idempotency_key:
            journal.set_operation_state(
                row.id, OpState.FAILED, error=tr("interrupted; will be planned again")
            )
            missing += 1
            continue
        payload = dict(row.after or {})
        try:
            hit = writer.lookup(row.entity_type, row.kind, row.idempotency_key, payload)
        except (OutcomeUnknown, TemporaryFailure) as exc:
            log.warning("cannot settle operation %s yet: %s", row.id, exc)
            continue
        if hit is None:
            journal.set_operation_state(
                row.id,
                OpState.FAILED,
                error=tr("interrupted before it reached the target; will be planned again"),
            )
            missing += 1
            continue
        journal.set_operation_state(
            row.id, OpState.APPLIED, target_id=hit.target_id, step="found_on_resume"
        )
        _save_link(journal, hit, row.run_id)
        found += 1
    return found, missing


def _save_link(journal: Journal, applied: Applied, run_id: int) -> None:
    if applied.link_type is None:
        return
    journal.save_link(
        applied.link_type,
        applied.onec_ref,
        applied.crm_id,
        onec_values=applied.onec_values,
        crm_values=applied.crm_values,
        run_id=run_id,
    )


def _after_image(op: Operation) -> dict[str, Any]:
    """What the journal keeps of an operation's intent (values, never secrets)."""
    image: dict[str, Any] = {
        "changes": {c.field: c.after for c in op.changes},
    }
    image["source_id"] = op.source_id
    image["target_id"] = op.target_id or ""
    for name in ("crm_id", "from_op", "values"):
        if name in op.payload:
            image[name] = op.payload[name]
    return image


def _before_image(op: Operation) -> dict[str, Any]:
    return {"changes": {c.field: c.before for c in op.changes}}


def execute(
    ops: list[Operation],
    *,
    journal: Journal,
    run_id: int,
    writers: Mapping[System, Writer],
    summary: RunSummary,
    progress: ProgressFn,
    cancel: threading.Event,
) -> None:
    """Apply ``ops`` in order; a failed or unknown step holds back what depends on it."""
    results: dict[str, Applied] = {}
    held: set[str] = set()
    total = len(ops)
    for index, op in enumerate(ops):
        progress(Progress(Stage.APPLY, index, total, op.reason))
        if cancel.is_set():
            for rest in ops[index:]:
                journal.add_operation(
                    run_id,
                    **_row(rest),
                    state=OpState.SKIPPED.value,
                    error=tr("cancelled by the user"),
                )
                summary.count("skipped", rest.flow)
            raise Cancelled
        if any(dep in held for dep in op.depends_on):
            held.add(op.op_id)
            journal.add_operation(
                run_id,
                **_row(op),
                state=OpState.SKIPPED.value,
                error=tr("waits for a step that did not succeed"),
            )
            summary.count("skipped", op.flow)
            continue
        op_row = journal.add_operation(run_id, **_row(op))
        if op.kind is OpKind.LINK:
            applied = Applied(
                target_id=op.target_id or "",
                link_type=op.entity_type,
                onec_ref=op.source_id if op.target is System.CRM else op.target_id,
                crm_id=op.target_id if op.target is System.CRM else op.source_id,
                onec_values=dict(op.payload.get("onec_values", {})),
                crm_values=dict(op.payload.get("crm_values", {})),
            )
            journal.set_operation_state(op_row, OpState.APPLIED, target_id=applied.target_id)
            _save_link(journal, applied, run_id)
            results[op.op_id] = applied
            summary.count("applied", op.flow)
            continue
        writer = writers[op.target]
        journal.set_operation_state(op_row, OpState.SENDING)  # committed before the write
        try:
            applied = writer.apply(op, results)
        except OutcomeUnknown as exc:
            journal.set_operation_state(op_row, OpState.OUTCOME_UNKNOWN, error=str(exc))
            hit = None
            if op.idempotency_key:
                try:
                    hit = writer.lookup(
                        op.entity_type, op.kind.value, op.idempotency_key, _after_image(op)
                    )
                except (OutcomeUnknown, TemporaryFailure):
                    hit = None
            if hit is None:
                held.add(op.op_id)
                _count_failure(summary, op, tr("no answer; checked again on the next run"))
                continue
            applied = hit
        except TemporaryFailure as exc:
            journal.set_operation_state(op_row, OpState.FAILED, error=str(exc))
            held.add(op.op_id)
            _count_failure(summary, op, scrub(str(exc)))
            summary.message = summary.message or scrub(str(exc))
            continue
        except WriteError as exc:
            # A permanent refusal (bad data, a posting 1C will not accept) waits for a
            # person in the inbox: it is not a failure that makes every run "partial".
            journal.set_operation_state(op_row, OpState.FAILED, error=str(exc))
            held.add(op.op_id)
            summary.failures.append((op.record_label, scrub(str(exc))))
            journal.raise_item(
                InboxKind.ATTENTION,
                f"{op.flow.value}:refused:{op.op_id}",
                run_id=run_id,
                operation_id=op_row,
                flow=op.flow.value,
                entity_type=op.entity_type,
                record_id=op.source_id,
                record_label=op.record_label,
                field=exc.field,
                message=tr("{system} refused: {reason}").format(
                    system="1С" if op.target is System.ONEC else "CRM", reason=str(exc)
                ),
                action=tr("correct the record and run the synchronisation again"),
            )
            summary.count("attention", op.flow)
            continue
        after = {**_after_image(op), "result": applied.result}
        journal.set_operation_state(
            op_row, OpState.APPLIED, target_id=applied.target_id, after=after
        )
        _save_link(journal, applied, run_id)
        results[op.op_id] = applied
        summary.count("applied", op.flow)
    progress(Progress(Stage.APPLY, total, total, ""))


def _row(op: Operation) -> dict[str, Any]:
    return {
        "flow": op.flow.value,
        "kind": op.kind.value,
        "target_system": op.target.value,
        "entity_type": op.entity_type,
        "source_id": op.source_id,
        "target_id": op.target_id or "",
        "idempotency_key": op.idempotency_key,
        "reason": op.reason,
        "before": _before_image(op),
        "after": _after_image(op),
    }
