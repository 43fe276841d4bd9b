"""F6 written: the CRM store document that brings a store to 1C's quantities.

The document is created (or found by its title and finished), its rows computed
against the balances read just before writing; a lost answer leaves it unconducted
(status N), and the next plan finds it and adds only the rows it still lacks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from desktop_sync.crm.port import CrmPort
from desktop_sync.crm.types import StoreAmount
from desktop_sync.crm.types import StoreDocument as StoreDoc
from desktop_sync.engine.executor import Applied, Outcome, OutcomeUnknown, WriteError
from desktop_sync.engine.model import Operation
from desktop_sync.engine.ops import StoreDocument as Move
from desktop_sync.engine.ops import document_title
from desktop_sync.errors import SyncError
from desktop_sync.i18n import tr


def _target(p: Move, results: Mapping[str, Applied]) -> dict[int, Decimal]:
    """The wanted quantity by CRM product id (products created earlier in this run too)."""
    target = {int(pid): Decimal(str(q)) for pid, q in p.target.items()}
    for op_id, q in p.pending.items():
        made = results.get(op_id)
        if made is None or not made.target_id.isdigit():
            raise WriteError(tr("a product of this document was not created in the CRM"))
        target[int(made.target_id)] = Decimal(str(q))
    return target


def _rows(p: Move, target: dict[int, Decimal], amounts: list[StoreAmount]) -> dict[int, Decimal]:
    """The amount each row moves, against fresh balances (only what still differs)."""
    fresh = {a.product_id: a.amount for a in amounts if a.store_id == p.store_id}
    rows = {}
    for pid, want in target.items():
        delta = want - fresh.get(pid, Decimal(0))
        amount = delta if p.doc_type == "S" else -delta
        if amount > 0:
            rows[pid] = amount
    return rows


def store_document(
    client: CrmPort, op: Operation, p: Move, results: Mapping[str, Applied]
) -> Applied:
    """Create (or find and finish) the store document; rows against fresh balances."""
    return _raised(store_documents(client, [op], results)[0])


def store_documents(
    client: CrmPort, ops: Sequence[Operation], results: Mapping[str, Applied]
) -> list[Outcome]:
    """Several store documents, one outcome each: their look-ups and the fresh balances
    share a request; each document, its rows and its posting go 50 commands to a batch
    request (the new document referred to by the rows). A document whose store and
    products another one of the group moved is read again after it."""
    out: dict[str, Outcome] = {}
    targets: dict[str, dict[int, Decimal]] = {}
    for op in ops:
        try:
            targets[op.op_id] = _target(_move(op), results)
        except WriteError as exc:
            out[op.op_id] = exc
    todo = [op for op in ops if op.op_id in targets]
    moved: set[tuple[int, int]] = set()  # (store, product) the group's documents moved
    docs: dict[str, StoreDoc] = {}
    amounts: list[StoreAmount] = []
    if todo:
        try:
            docs, amounts = client.inventory.find_with_amounts(
                [_move(op).title for op in todo],
                sorted({i for op in todo for i in targets[op.op_id]}),
                sorted({_move(op).store_id for op in todo}),
            )
        except SyncError as exc:
            return [out.get(op.op_id, exc) for op in ops]
    for op in todo:
        p, target = _move(op), targets[op.op_id]
        try:
            if any((p.store_id, pid) in moved for pid in target):
                found, fresh = client.inventory.find_with_amounts(
                    [p.title], sorted(target), [p.store_id]
                )
                doc, now = found.get(p.title), fresh
            else:
                doc, now = docs.get(p.title), amounts
            out[op.op_id] = _write(client, op, p, doc, _rows(p, target, now))
        except SyncError as exc:
            out[op.op_id] = exc
        moved |= {(p.store_id, pid) for pid in target}
    return [out[op.op_id] for op in ops]


def _write(
    client: CrmPort, op: Operation, p: Move, doc: StoreDoc | None, rows: dict[int, Decimal]
) -> Applied:
    """The document found (or None) brought to ``rows``, and posted."""
    if doc is not None and doc.status != "N":
        if not rows:
            return Applied(str(doc.id))  # conducted before (an answer was lost)
        doc = None  # an earlier move of the same quantities: this one is new
    present: set[int] = set()  # a document made just now has no rows yet
    if doc is None:
        if not rows:
            return Applied("")  # the balances already agree
    else:  # found unconducted: the rows an earlier attempt added are not added again
        present = {int(e["elementId"]) for e in client.inventory.document_elements(doc.id)}
        if not (present or rows):
            return Applied(str(doc.id))
    missing = {pid: a for pid, a in rows.items() if pid not in present}
    new = StoreDoc(0, p.doc_type, p.title, "", "")
    written = client.inventory.write_document(doc or new, p.store_id, missing, op.reason)
    if written is None:
        raise OutcomeUnknown(tr("no answer while adding rows to a store document"))
    return Applied(str(written.id))


def _move(op: Operation) -> Move:
    assert isinstance(op.payload, Move)
    return op.payload


def _raised(outcome: Outcome) -> Applied:
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def find_conducted(client: CrmPort, key: str) -> Applied | None:
    """An unconducted document is finished by the next plan, never counted as done."""
    doc = client.inventory.find_store_document(document_title(key))
    return Applied(str(doc.id)) if doc is not None and doc.status != "N" else None
