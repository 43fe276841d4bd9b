"""Which operations of a plan go to a system together, and when (the executor's order).

``Pending``: the operations still to apply, in plan order, taken one by one or a batch
of one kind at a time. ``Deferred``: single-record updates held until a batch of them
is full or something needs them. ``batch_of``: one kind's batch; ``fill``: what else
fits in its request (the next kind's creates, held updates: one request of mixed
kinds, docs/decisions/mixed-batches.md).
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import Protocol, cast

from desktop_sync.engine.model import Operation, OpKind, System
from desktop_sync.engine.ops import EntityType


class Pending:
    """The operations still to apply, in plan order; taking one is O(1) (a plan of the
    large set has tens of thousands: copying or shifting the list per step was O(n²)).

    It takes the list over: a taken operation's place is emptied, so nothing here keeps
    an operation, and its payload, alive once it is written (issue 18: the large first
    sync's printed invoices came on top of 30,000 written operations' payloads)."""

    def __init__(self, ops: list[Operation]) -> None:
        self.ops = cast("list[Operation | None]", ops)
        self.next = 0

    def __bool__(self) -> bool:
        self._skip()
        return self.next < len(self.ops)

    def _skip(self) -> None:
        while self.next < len(self.ops) and self.ops[self.next] is None:
            self.next += 1

    def pop(self) -> Operation:
        self._skip()
        op = self.ops[self.next]
        assert op is not None  # a taken one is skipped
        self.ops[self.next] = None
        self.next += 1
        return op

    def rest(self) -> list[Operation]:
        return [op for op in self.ops[self.next :] if op is not None]

    def take_like(self, size: int, fits: Callable[[Operation], bool | None]) -> list[Operation]:
        """Up to ``size`` later operations that ``fits``, in order, taken out (``fits``
        None: look no further)."""
        out: list[Operation] = []
        for i in range(self.next, len(self.ops)):
            if len(out) >= size:
                break
            op = self.ops[i]
            if op is None:
                continue
            ok = fits(op)
            if ok is None:
                break
            if ok:
                self.ops[i] = None
                out.append(op)
        return out

    def take_creates(
        self, room: int, weight: Callable[[Operation], int], ready: Callable[[Operation], bool]
    ) -> list[list[Operation]]:
        """The next creates that are ``ready`` and whose commands (``weight`` each) fit in
        ``room``, taken out, by kind: they fill a request that would leave part empty.
        Looks at most ``LOOK_AHEAD`` operations ahead."""
        seen = 0

        def fits(op: Operation) -> bool | None:
            nonlocal room, seen
            seen += 1
            if seen > LOOK_AHEAD or room <= 0:
                return None
            if op.kind is not OpKind.CREATE or weight(op) > room or not ready(op):
                return False
            room -= weight(op)
            return True

        kinds: dict[tuple[System, str, int], list[Operation]] = {}
        for op in self.take_like(MAX_TAKEN, fits):
            kinds.setdefault((op.target, op.entity_type, weight(op)), []).append(op)
        return list(kinds.values())


LOOK_AHEAD = 2_000  # operations looked at to fill a request (a plan may have 100,000)
MAX_TAKEN = 50


_DEFERRED_KINDS = frozenset({OpKind.UPDATE, OpKind.SET_PAYMENT_STATE, OpKind.SET_SHIPMENT_STATE})


class Deferred:
    """Single-record updates the writer batches (the 1C number written back, payment and
    shipment fields), held until their batch is full, until a later operation needs one
    of them or touches the same record, or the plan's end: each batch is one request,
    each operation still journalled and settled on its own."""

    def __init__(self) -> None:
        # by kind and batch size (a product's price alone is one command, 50 to a request)
        self.groups: dict[tuple[System, str, OpKind, int], list[Operation]] = {}
        self.ids: set[str] = set()
        self.records: set[tuple[System, str, str]] = set()

    @staticmethod
    def wanted(op: Operation, batch_size: int) -> bool:
        """``op`` is a single-record update its writer batches."""
        return op.kind in _DEFERRED_KINDS and batch_size > 1

    def needed_by(self, op: Operation) -> bool:
        """``op`` waits for a held operation, or writes a record one of them writes."""
        return bool(self.ids) and (
            any(d in self.ids for d in op.depends_on) or _record(op) in self.records
        )

    def add(self, op: Operation, size: int) -> list[Operation] | None:
        """Hold ``op``; its batch when full."""
        key = (op.target, op.entity_type, op.kind, size)
        group = self.groups.setdefault(key, [])
        group.append(op)
        self.ids.add(op.op_id)
        self.records.add(_record(op))
        if len(group) < size:
            return None
        group = self.groups.pop(key)
        self.ids.difference_update(o.op_id for o in group)
        self.records = {_record(o) for g in self.groups.values() for o in g}
        return group

    def take_all(self) -> list[list[Operation]]:
        groups = list(self.groups.values())
        self.groups, self.ids, self.records = {}, set(), set()
        return groups

    def waits_for(self, op: Operation) -> bool:
        """``op`` depends on a held operation (it needs that one's answer first)."""
        return any(d in self.ids for d in op.depends_on)

    def take_room(
        self, room: int, weight: Callable[[Operation], int], target: System
    ) -> list[list[Operation]]:
        """Held updates to ``target`` whose commands (``weight`` each) fit in ``room``, in
        order, taken out: they fill a request that would leave part empty."""
        out: list[list[Operation]] = []
        for key, group in list(self.groups.items()):
            if key[0] is not target:
                continue
            n = 0
            while n < len(group) and weight(group[n]) <= room:
                room -= weight(group[n])
                n += 1
            if n:
                out.append(group[:n])
                self.groups[key] = group[n:]
                if n == len(group):
                    del self.groups[key]
            if room <= 0:
                break
        if out:
            self.ids = {o.op_id for g in self.groups.values() for o in g}
            self.records = {_record(o) for g in self.groups.values() for o in g}
        return out


class Sizes(Protocol):
    """A writer as the order needs it (``executor.Writer``)."""

    def batch_size(self, op: Operation) -> int: ...


def batch_of(
    first: Operation, pending: Pending, writer: Sizes, done: Container[str]
) -> list[Operation]:
    """``first`` and the later creates of its kind and batch size (a company without a
    requisite is one command, 50 to a request) that depend on nothing still pending:
    one request. They are taken out of ``pending``."""
    size = writer.batch_size(first)
    if size <= 1:
        return [first]
    kind = (first.target, first.entity_type, first.kind)

    def fits(op: Operation) -> bool:
        return (
            (op.target, op.entity_type, op.kind) == kind
            and writer.batch_size(op) == size
            and all(d in done for d in op.depends_on)
        )

    return [first, *pending.take_like(size - 1, fits)]


def _room(group: list[Operation], writer: Sizes) -> tuple[int, Callable[[Operation], int]]:
    """How many more commands the request of ``group`` could carry (0: none, or the
    writer does not share its requests), and the commands of each operation."""
    commands: Callable[[Operation], int] | None = getattr(writer, "commands", None)
    if commands is None or not hasattr(writer, "apply_together"):
        return 0, lambda _op: 1
    return max(0, int(getattr(writer, "REQUEST", 0)) - sum(map(commands, group))), commands


def fill(
    group: list[Operation],
    writer: Sizes,
    done: Container[str],
    pending: Pending,
    deferred: Deferred,
) -> list[list[Operation]]:
    """What fills the room ``group`` leaves in its request: the next kind's creates that
    wait for nothing, then held updates."""
    room, commands = _room(group, writer)
    if not room:
        return []

    def ready(op: Operation) -> bool:
        return (
            op.target is group[0].target
            and all(d in done for d in op.depends_on)
            and not deferred.needed_by(op)
        )

    creates = pending.take_creates(room, commands, ready)
    room -= sum(commands(op) for g in creates for op in g)
    return [*creates, *(deferred.take_room(room, commands, group[0].target) if room else [])]


def rides_after(op: Operation, deferred: Deferred, writer: Sizes, failed: Container[str]) -> bool:
    """``op`` only writes a record a held update writes, waits for none of them and is
    written now: the held go first in its request(s), in order."""
    return (
        hasattr(writer, "apply_together")
        and op.kind is not OpKind.LINK
        and not deferred.wanted(op, writer.batch_size(op))
        and not deferred.waits_for(op)
        and not any(dep in failed for dep in op.depends_on)
    )


# Records whose ids are counted apart from the CRM items' (invoice 46 is not product 46).
_OWN_IDS = frozenset({EntityType.COUNTERPARTY, EntityType.PRODUCT})


def _record(op: Operation) -> tuple[System, str, str]:
    """The record ``op`` writes: a CRM invoice by its id for every write about it (its
    fields, its payment, a note on it), so that their order stays the plan's; a company
    or a product by its own id."""
    family = op.entity_type if op.entity_type in _OWN_IDS else ""
    crm_id = getattr(op.payload, "crm_id", None)
    if op.target is System.CRM and crm_id is not None:
        return op.target, family, str(crm_id)
    return op.target, family, op.target_id or ""
