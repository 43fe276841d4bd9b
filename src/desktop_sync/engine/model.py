"""What the engine hands to its callers (CLI, GUI): plans, operations, progress, summaries.

Plain, frozen data: no I/O, no Qt. The GUI shows these; the CLI prints them.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from desktop_sync.connectors.onec.client import ref_for_key
from desktop_sync.engine.evolve import constructor
from desktop_sync.engine.ops import NO_PAYLOAD, EntityType, Payload
from desktop_sync.i18n import tr

if TYPE_CHECKING:
    from desktop_sync.engine.matcher import Matches


class Flow(StrEnum):
    F1 = "F1"  # invoice CRM -> 1C
    F2 = "F2"  # later changes of an invoice
    F3 = "F3"  # payments 1C -> CRM
    F4 = "F4"  # shipments and returns 1C -> CRM
    F5 = "F5"  # products 1C -> CRM
    F6 = "F6"  # stock 1C -> CRM
    F7 = "F7"  # counterparties <-> companies
    F8 = "F8"  # invoice issued in 1C -> CRM
    F10 = "F10"  # closing documents: a 1C sales document at the CRM's request
    F11 = "F11"  # the printed invoice (PDF) on the CRM invoice's timeline


ALL_FLOWS: tuple[Flow, ...] = tuple(Flow)


class System(StrEnum):
    ONEC = "onec"
    CRM = "crm"

    @property
    def other(self) -> System:
        return System.CRM if self is System.ONEC else System.ONEC

    @property
    def label(self) -> str:
        """The system in a sentence, in the language of the moment: «1С», or "CRM"."""
        return tr("1C") if self is System.ONEC else "CRM"


class OpKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    LINK = "link"  # record exists on both sides: only the link is new
    POST = "post"
    SET_PAYMENT_STATE = "set_payment_state"
    SET_SHIPMENT_STATE = "set_shipment_state"
    MOVE_STOCK = "move_stock"
    TIMELINE = "timeline"


class ItemKind(StrEnum):
    CONFLICT = "conflict"
    ATTENTION = "attention"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field's value before and after an operation (for the plan review)."""

    field: str
    label: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class Operation:
    """One write the plan proposes. ``op_id`` is stable across runs for the same intent;
    ``payload`` is what the writer needs, one type per kind of operation (``ops``)."""

    op_id: str
    flow: Flow
    kind: OpKind
    target: System
    entity_type: EntityType
    source_id: str
    target_id: str | None
    idempotency_key: str
    reason: str
    record_label: str
    changes: tuple[FieldChange, ...] = ()
    payload: Payload = NO_PAYLOAD
    depends_on: tuple[str, ...] = ()


class Head(NamedTuple):
    """What kind of write an operation is, where and of what (``operation``)."""

    flow: Flow
    kind: OpKind
    target: System
    entity_type: EntityType


def operation(
    op_id: str,
    head: Head,
    ids: tuple[str, str | None],
    label: str,
    reason: str,
    payload: Payload = NO_PAYLOAD,
    *,
    key: str = "",
    changes: tuple[FieldChange, ...] = (),
    depends_on: tuple[str, ...] = (),
) -> Operation:
    """An ``Operation`` from its head, its (source, target) ids, the record's label and
    the reason; ``key`` is the idempotency key (a create's, none for a link or update)."""
    return _new_operation(op_id, *head, *ids, key, reason, label, changes, payload, depends_on)


_new_operation = constructor(Operation)  # Operation(...), faster (a plan makes 100,000)


@dataclass(frozen=True, slots=True)
class Item:
    """A conflict or an attention item: it names the record, the field and what to do."""

    key: str  # stable: the same problem raised twice is one inbox item
    kind: ItemKind
    flow: Flow
    entity_type: str
    record_id: str
    record_label: str
    field: str
    message: str
    action: str = ""
    onec_value: Any = None
    crm_value: Any = None
    base_value: Any = None
    blocks: tuple[str, ...] = ()  # op_ids that wait for this item


CONFIRMABLE = ("F7:name:", "F5:name:", "F3:allocate:")


def confirmable(item_key: str) -> bool:
    """Items whose proposal a person may confirm (a link by name, a payment allocation).

    Everything else is fixed in the data; a "confirm" there would send bad data on.
    """
    return item_key.startswith(CONFIRMABLE)


@dataclass(frozen=True, slots=True)
class Decision:
    """A person's resolution of an inbox item, as the next plan applies it.

    ``action``: ``take_onec`` | ``take_crm`` | ``value`` | ``skip`` | ``confirm``.
    A conflict's decision holds only while both sides still have the values the
    person saw; a new change makes it a new conflict.
    """

    action: str
    value: Any = None
    onec_value: Any = None
    crm_value: Any = None
    changes: Any = None  # a refused write's changes: skipping it holds while they are these


@dataclass(frozen=True, slots=True)
class Plan:
    operations: tuple[Operation, ...]
    items: tuple[Item, ...]
    flows: tuple[Flow, ...] = ALL_FLOWS
    full: bool = True  # a full reconciliation (not only what changed since the last run)
    matches: Matches | None = field(default=None, compare=False)  # the planner's pairs
    # what an item holds back, directly or through what it depends on: (operation, item key)
    held: tuple[tuple[Operation, str], ...] = field(default=(), compare=False)
    # what a record waits for that needs no person, in words: (entity type, record id,
    # a few words, the whole story); e.g. a UT 11 draft order goes once posted
    notes: tuple[tuple[str, str, str, str], ...] = field(default=(), compare=False)

    def without_payloads(self) -> Plan:
        """The plan with its operations' payloads left out (what only a writer reads), as
        ``SyncService.run`` hands it back: the writes' own data is let go as they are
        written, not kept for the run's whole length (issue 18)."""
        return replace(
            self, operations=tuple(replace(op, payload=NO_PAYLOAD) for op in self.operations)
        )

    def items_only(self) -> Plan:
        """The plan without its operations and what only shows them (the pairs matched,
        what items hold back): what ``SyncService.run`` hands back to a caller that
        reports the items alone (the command line, the scheduler), so that each operation
        is let go once written (issue 18: the large set's 34,000 operations' reasons and
        changes, its pairs and held operations, about 50 MB of objects, stood through
        the printed invoices)."""
        return replace(self, operations=(), matches=None, held=())

    def by_flow(self) -> dict[Flow, list[Operation]]:
        out: dict[Flow, list[Operation]] = {}
        for op in self.operations:
            out.setdefault(op.flow, []).append(op)
        return out

    @property
    def conflicts(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.kind is ItemKind.CONFLICT)

    @property
    def attention(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.kind is ItemKind.ATTENTION)

    def is_empty(self) -> bool:
        return not self.operations and not self.items


class Stage(StrEnum):
    CONNECT = "connect"
    READ_ONEC = "read_onec"
    READ_CRM = "read_crm"
    PLAN = "plan"
    RESUME = "resume"
    APPLY = "apply"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Progress:
    stage: Stage
    done: int = 0
    total: int = 0
    current: str = ""


ProgressFn = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    return None


class Outcome(StrEnum):
    DONE = "done"
    WAITING = "waiting"
    PARTIAL = "partial"
    CANNOT_CONNECT = "cannot_connect"
    CANCELLED = "cancelled"


COUNT_KEYS = ("planned", "applied", "failed", "conflict", "attention", "skipped")


@dataclass
class RunSummary:
    run_id: int
    mode: str  # dry_run | apply
    outcome: Outcome
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    per_flow: dict[str, dict[str, int]] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (record label, reason)
    message: str = ""
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None

    def count(self, key: str, flow: Flow, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n
        bucket = self.per_flow.setdefault(flow.value, dict.fromkeys(COUNT_KEYS, 0))
        bucket[key] = bucket.get(key, 0) + n

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "mode": self.mode,
            "outcome": self.outcome.value,
            "counts": dict(self.counts),
            "flows": {k: dict(v) for k, v in sorted(self.per_flow.items())},
            "failures": [{"record": r, "reason": m} for r, m in self.failures],
            "message": self.message,
        }


def plan_counts(plan: Plan) -> Counter[str]:
    c: Counter[str] = Counter()
    c["planned"] = len(plan.operations)
    c["conflict"] = len(plan.conflicts)
    c["attention"] = len(plan.attention)
    return c


NAMESPACE = uuid.UUID("0f6c2a8e-3d5b-4e0b-9a1f-7c1d5e2b8a40")


@functools.lru_cache(maxsize=1 << 18)  # a plan asks for the same keys many times
def idempotency_key(profile_uuid: str, flow: Flow, entity_type: str, source_id: str) -> str:
    """(profile, flow, source id) — never the source's version, or an edit makes a twin."""
    return str(uuid.uuid5(NAMESPACE, f"{profile_uuid}/{flow.value}/{entity_type}/{source_id}"))


@functools.lru_cache(maxsize=1 << 18)
def onec_ref_for(key: str) -> str:
    """The deterministic ``Ref_Key`` the 1C client sends on POST for a create key."""
    return ref_for_key(key)


def crm_xml_id_for(key: str) -> str:
    """What goes into a CRM record's ``xmlId``/``ORIGIN_ID`` for a create key."""
    return f"ds-{key}"
