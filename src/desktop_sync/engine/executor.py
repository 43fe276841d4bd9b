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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from desktop_sync.engine.apply_order import Deferred, Pending, batch_of, fill, rides_after
from desktop_sync.engine.model import (
    Operation,
    OpKind,
    Progress,
    ProgressFn,
    RunSummary,
    Stage,
    System,
)
from desktop_sync.engine.ops import LinkOnly, Unsettled, journal_image
from desktop_sync.engine.outage import Outage
from desktop_sync.engine.outage import may_pass as _may_pass  # tried again next run
from desktop_sync.errors import (
    Cancelled,
    Category,
    Refused,
    SyncError,
    Transient,
    category_of,
)
from desktop_sync.errors import OutcomeUnknown as OutcomeUnknown  # the writers raise it
from desktop_sync.i18n import tr
from desktop_sync.journal import InboxKind, Journal, LinkWrite, OpState
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


FOUND = "found"  # in ``Applied.result``: a create found its record already there
Outcome = Applied | Exception  # one operation of a batch: written, or why not
# A writer's handler of many operations at once (with what earlier ones produced).
Many = Callable[[list[Operation], Mapping[str, Applied]], list[Outcome]]


class WriteError(Refused):
    """A write the target refused for a reason that will not pass by itself.

    ``field`` names the field when the target said which; the message is the
    target's reason in plain words.
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class TemporaryFailure(Transient):
    """Refused for a reason that may pass (limits, a system down): retry next run."""


H = TypeVar("H")


def refused_kind(op: Operation, refusal: str) -> WriteError:
    """A kind of operation this writer does not make (``refusal`` names ``{what}``)."""
    return WriteError(refusal.format(what=f"{op.kind.value} {op.entity_type}"))


def handler_for(table: Mapping[type, H], op: Operation, refusal: str) -> H:
    """A writer's handler for ``op``'s payload type, from its table."""
    handler = table.get(type(op.payload))
    if handler is None:
        raise refused_kind(op, refusal)
    return handler


class Writer(Protocol):
    """One system's writes, as the executor needs them."""

    def apply(self, op: Operation, results: Mapping[str, Applied]) -> Applied: ...

    def batch_size(self, op: Operation) -> int:
        """How many operations like ``op`` may go in one request (≤ 1: one at a time)."""
        ...

    def apply_many(
        self, ops: list[Operation], results: Mapping[str, Applied]
    ) -> list[Applied | Exception]:
        """Several independent writes of one kind; one outcome each, in order."""
        ...

    def lookup(self, op: Unsettled) -> Applied | None:
        """The record an unsettled operation made, found by its key; None: not made."""
        ...


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
        unsettled = Unsettled.from_image(row.entity_type, row.kind, row.idempotency_key, row.after)
        if unsettled is None:
            journal.set_operation_state(
                row.id, OpState.FAILED, error=tr("interrupted; will be planned again")
            )
            missing += 1
            continue
        try:
            hit = writer.lookup(unsettled)
        except SyncError as exc:
            if not _may_pass(exc):
                raise
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


def _link_write(applied: Applied, link_type: str) -> LinkWrite:
    return LinkWrite(
        link_type, applied.onec_ref, applied.crm_id, applied.onec_values, applied.crm_values
    )


_NO_RESULT: dict[str, Any] = {}  # every kept write without a result: read, never written


def _kept(applied: Applied) -> Applied:
    """What later operations read of a write (its ids and result): the link's values,
    journalled with it, are let go, and an empty result is one shared dict (34,000 writes
    of the large set, most with none: issue 18, memory)."""
    result = applied.result or _NO_RESULT
    if applied.onec_values is None and applied.crm_values is None and result is applied.result:
        return applied
    return replace(applied, onec_values=None, crm_values=None, result=result)


def _save_link(journal: Journal, applied: Applied, run_id: int) -> None:
    if applied.link_type is not None:
        journal.save_links([_link_write(applied, applied.link_type)], run_id=run_id)


def _linked(op: Operation) -> Applied:
    """What a link operation settles: both sides' values become the link's base."""
    link = op.payload if isinstance(op.payload, LinkOnly) else LinkOnly({}, {})
    return Applied(
        target_id=op.target_id or "",
        link_type=op.entity_type,
        onec_ref=op.source_id if op.target is System.CRM else op.target_id,
        crm_id=op.target_id if op.target is System.CRM else op.source_id,
        onec_values=dict(link.onec_values),
        crm_values=dict(link.crm_values),
        result=dict(link.result),
    )


def _after_image(op: Operation) -> dict[str, Any]:
    """What the journal keeps of an operation's intent (values, never secrets)."""
    image: dict[str, Any] = {
        "changes": {c.field: c.after for c in op.changes},
    }
    image["source_id"] = op.source_id
    image["target_id"] = op.target_id or ""
    image.update(journal_image(op.payload))
    return image


def _before_image(op: Operation) -> dict[str, Any]:
    return {"changes": {c.field: c.before for c in op.changes}}


class _Run:
    """One apply: the journal rows, the results so far, what is held back."""

    def __init__(
        self, journal: Journal, run_id: int, writers: Mapping[System, Writer], summary: RunSummary
    ) -> None:
        self.journal = journal
        self.run_id = run_id
        self.writers = writers
        self.summary = summary
        self.results: dict[str, Applied] = {}
        self.held: set[str] = set()
        self.outage = Outage()  # a system that stopped answering: its other writes wait
        # applied writes of the batch being settled, journalled together by flush()
        self._applied: list[tuple[int, str, dict[str, Any]]] = []
        self._links: list[LinkWrite] = []

    def flush(self) -> None:
        """Journal the batch's applied writes and their links: a few bulk statements."""
        self.journal.settle_applied(self._applied)
        self.journal.save_links(self._links, run_id=self.run_id)
        self._applied, self._links = [], []

    def skip(self, op: Operation, why: str) -> None:
        state = OpState.SKIPPED.value
        self.journal.add_operation(self.run_id, **row_of(op), state=state, error=why)
        self.summary.count("skipped", op.flow)

    def unreached(self, ops: list[Operation]) -> None:
        """Writes to a system that stopped answering: failed, planned again next run."""
        with self.journal.transaction():
            for op in ops:
                why = Outage.reason(op.target)
                self.journal.add_operation(
                    self.run_id, **row_of(op), state=OpState.FAILED.value, error=why
                )
                self.held.add(op.op_id)
                self.summary.count("failed", op.flow)

    def links(self, ops: list[Operation]) -> None:
        """Records found on both sides: journalled applied and linked, a few bulk
        statements in one transaction (nothing is written to either system)."""
        made = [_linked(op) for op in ops]
        with self.journal.transaction():
            self.journal.add_operations(self.run_id, [row_of(op) for op in ops], OpState.APPLIED)
            self.journal.save_links(
                [_link_write(a, op.entity_type) for op, a in zip(ops, made, strict=True)],
                run_id=self.run_id,
            )
        for op, applied in zip(ops, made, strict=True):
            self.results[op.op_id] = _kept(applied)
            self.summary.count("applied", op.flow)
            if not (isinstance(op.payload, LinkOnly) and op.payload.rebase):
                self.summary.count("relinked", op.flow)  # found where it is: nothing created

    def sending(self, ops: list[Operation]) -> list[int]:
        """The journal rows, committed as "sending" (one transaction) before the request leaves."""
        with self.journal.transaction():
            return self.journal.add_operations(
                self.run_id, [row_of(op) for op in ops], OpState.SENDING
            )

    def settle(self, op: Operation, op_row: int, outcome: Applied | Exception) -> None:
        """Journal what became of one write: applied, unknown (looked up), failed, refused."""
        journal, summary = self.journal, self.summary
        # The connectors' errors arrive as they are: their category decides (errors.py).
        kind = category_of(outcome)
        if kind is Category.OUTCOME_UNKNOWN:
            journal.set_operation_state(op_row, OpState.OUTCOME_UNKNOWN, error=str(outcome))
            hit = None
            unsettled = Unsettled.from_image(
                op.entity_type, op.kind.value, op.idempotency_key, _after_image(op)
            )
            if op.idempotency_key and unsettled is not None and op.target not in self.outage.down:
                try:
                    hit = self.writers[op.target].lookup(unsettled)
                except SyncError as exc:
                    if not _may_pass(exc):
                        raise
                    self.outage.lookup_failed(op.target)  # next run's look-up settles it
            if hit is None:
                self.held.add(op.op_id)
                _count_failure(summary, op, tr("no answer; checked again on the next run"))
                return
            outcome, kind = hit, None
        if kind is Category.TRANSIENT:
            journal.set_operation_state(op_row, OpState.FAILED, error=str(outcome))
            self.held.add(op.op_id)
            _count_failure(summary, op, scrub(str(outcome)))
            summary.message = summary.message or scrub(str(outcome))
            return
        if kind is not None:  # refused, a login refused, a wrong setting
            # A permanent refusal (bad data, a posting 1C will not accept) is a failed
            # operation (the summary counts it) and waits for a person in the inbox;
            # skipping that item keeps the same write out of later plans.
            journal.set_operation_state(op_row, OpState.FAILED, error=str(outcome))
            self.held.add(op.op_id)
            _count_failure(summary, op, scrub(str(outcome)))
            journal.raise_item(
                InboxKind.ATTENTION,
                f"{op.flow.value}:refused:{op.op_id}",
                run_id=self.run_id,
                operation_id=op_row,
                flow=op.flow.value,
                entity_type=op.entity_type,
                record_id=op.source_id,
                record_label=op.record_label,
                field=getattr(outcome, "field", "") or "",
                message=tr("{system} refused: {reason}").format(
                    system=op.target.label, reason=str(outcome)
                ),
                action=tr("correct the record and run the synchronization again"),
            )
            summary.count("attention", op.flow)
            return
        if isinstance(outcome, Exception):
            raise outcome
        after = {**_after_image(op), "result": outcome.result}
        self._applied.append((op_row, outcome.target_id, after))
        if outcome.link_type is not None:
            self._links.append(_link_write(outcome, outcome.link_type))
        self.results[op.op_id] = _kept(outcome)
        summary.count("applied", op.flow)
        if outcome.result.get(FOUND):  # a create that found its record: relinked
            summary.count("relinked", op.flow)


def _write(groups: list[list[Operation]], writer: Writer, run: _Run, in_order: bool) -> None:
    """Independent groups' writes (each a batch, or one write), their requests shared
    where the writer can (``apply_together``; ``in_order``: they write the same
    records): all journalled "sending" (committed) first, then each settled."""
    together = getattr(writer, "apply_together", None)
    parts = getattr(writer, "parts", None)  # a group's independent parts, to share too
    if together is not None and parts is not None:
        groups = [part for g in groups for part in parts(g)]
    if len(groups) > 1 and together is None:  # each its own request(s), one after another
        for one in groups:
            if one[0].target in run.outage.down:
                run.unreached(one)
            else:
                _write([one], writer, run, in_order)
        return
    ops = [op for g in groups for op in g]
    rows = run.sending(ops)  # committed before the write
    if together is not None and len(groups) > 1:
        outcomes = [o for outs in together(groups, run.results, in_order) for o in outs]
    else:
        outcomes = _one_group(ops, writer, run)
    with run.journal.transaction():  # the batch's settlements: one commit
        for op, op_row, outcome in zip(ops, rows, outcomes, strict=True):
            run.settle(op, op_row, outcome)
        run.flush()
    run.outage.request_done(ops[0].target, outcomes)


def _one_group(group: list[Operation], writer: Writer, run: _Run) -> list[Outcome]:
    if len(group) > 1:
        return writer.apply_many(group, run.results)
    try:
        return [writer.apply(group[0], run.results)]
    except SyncError as exc:
        return [exc]


def _links(first: Operation, pending: Pending, run: _Run) -> list[Operation]:
    """``first`` and later links that wait for nothing: journalled in one transaction
    (a link writes nothing to either system)."""

    def fits(op: Operation) -> bool:
        return op.kind is OpKind.LINK and all(d in run.results for d in op.depends_on)

    group = [first, *pending.take_like(49, fits)]
    run.links(group)
    return group


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
    """Apply ``ops`` in order; a failed or unknown step holds back what depends on it.

    Independent creates of one kind (companies, products) go to the CRM 25 to a batch
    request when the writer offers ``apply_many``, single-record updates 50 to a batch
    (``Deferred``): each is journalled "sending" before the batch leaves, and each is
    settled on its own afterwards. Independent groups of different kinds share a
    request where the writer offers ``apply_together``: a part-full batch takes the
    next kind's ready creates and held updates (``apply_order.fill``); the held go
    first in the request of an operation on their records (docs/decisions/mixed-batches.md).
    """
    run = _Run(journal, run_id, writers, summary)
    for writer in writers.values():  # a writer may prepare what needs no earlier write
        ahead = getattr(writer, "ahead", None)
        if ahead is not None:
            ahead(ops, run.results)
    total = len(ops)
    pending = Pending(ops)  # taken over: emptied as they are written
    deferred = Deferred()
    done = 0

    def write(groups: list[list[Operation]], in_order: bool = False) -> None:
        """Groups written together, each system's apart."""
        nonlocal done
        for target in dict.fromkeys(g[0].target for g in groups):
            same = [g for g in groups if g[0].target is target]
            if target in run.outage.down:
                run.unreached([op for g in same for op in g])
            else:
                _write(same, writers[target], run, in_order)
        done += sum(len(g) for g in groups)

    while pending:
        op = pending.pop()
        progress(Progress(Stage.APPLY, done, total, op.reason))
        if cancel.is_set():
            with journal.transaction():
                held = [o for g in deferred.take_all() for o in g]
                for rest in [*held, op, *pending.rest()]:
                    run.skip(rest, tr("cancelled by the user"))
            raise Cancelled
        writer = writers[op.target]
        first: list[list[Operation]] = []  # held updates of op's records: in its request
        if deferred.needed_by(op):
            if rides_after(op, deferred, writer, run.held):
                first = deferred.take_all()
            else:
                write(deferred.take_all())
        if any(dep in run.held for dep in op.depends_on):
            run.held.add(op.op_id)
            run.skip(op, tr("waits for a step that did not succeed"))
            done += 1
            continue
        if op.kind is OpKind.LINK:
            done += len(_links(op, pending, run))
            continue
        if deferred.wanted(op, writer.batch_size(op)):
            full = deferred.add(op, writer.batch_size(op))
            if full is not None:
                write([full])
            continue
        group = batch_of(op, pending, writer, run.results)
        if first:
            write([*first, group], in_order=True)
            continue
        write([group, *fill(group, writer, run.results, pending, deferred)])
    write(deferred.take_all())
    if run.outage.down:
        summary.message = Outage.message(run.outage.down)
    progress(Progress(Stage.APPLY, total, total, ""))


def row_of(op: Operation) -> dict[str, Any]:
    return {
        "flow": op.flow.value,
        "kind": op.kind.value,
        "target_system": op.target.value,
        "entity_type": op.entity_type,
        "source_id": op.source_id,
        "target_id": op.target_id or "",
        "idempotency_key": op.idempotency_key,
        "reason": _unbound(op.reason),
        "before": _before_image(op),
        "after": _after_image(op),
    }


def _unbound(text: str) -> str:
    """``text`` to bind in a statement, not the plan's own string: SQLite keeps a UTF-8
    copy of a non-ASCII string bound to it inside that string object, for as long as it
    lives. The plan lives through the apply: its 34,000 reasons kept 5.4 MB more to its end
    (the large set's first sync, issue 18). An ASCII text is its own UTF-8: bound as it is."""
    return text if text.isascii() else text.encode().decode()
