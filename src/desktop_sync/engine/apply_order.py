"""Which operations of a plan go to a system together, and when (the executor's order).

``Pending``: the operations still to apply, in plan order, taken one by one or a batch
of one kind at a time. ``Deferred``: single-record updates held until a batch of them
is full or something needs them.
"""

from __future__ import annotations

from collections.abc import Callable

from desktop_sync.engine.model import Operation, OpKind, System
from desktop_sync.engine.ops import EntityType


class Pending:
    """The operations still to apply, in plan order; taking one is O(1) (a plan of the
    large set has tens of thousands: copying or shifting the list per step was O(n²))."""

    def __init__(self, ops: list[Operation]) -> None:
        self.ops = ops
        self.taken = [False] * len(ops)
        self.next = 0

    def __bool__(self) -> bool:
        self._skip()
        return self.next < len(self.ops)

    def _skip(self) -> None:
        while self.next < len(self.ops) and self.taken[self.next]:
            self.next += 1

    def pop(self) -> Operation:
        self._skip()
        self.taken[self.next] = True
        self.next += 1
        return self.ops[self.next - 1]

    def rest(self) -> list[Operation]:
        return [op for i, op in enumerate(self.ops) if i >= self.next and not self.taken[i]]

    def take_like(self, size: int, fits: Callable[[Operation], bool]) -> list[Operation]:
        """Up to ``size`` later operations that ``fits``, in order, taken out."""
        out: list[Operation] = []
        for i in range(self.next, len(self.ops)):
            if len(out) >= size:
                break
            if not self.taken[i] and fits(self.ops[i]):
                self.taken[i] = True
                out.append(self.ops[i])
        return out


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
