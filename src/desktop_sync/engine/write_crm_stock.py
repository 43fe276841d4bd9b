"""F6 written: the CRM store document that brings a store to 1C's quantities.

The document is created (or found by its title and finished), its rows computed
against the balances read just before writing; a lost answer leaves it unconducted
(status N), and the next plan finds it and adds only the rows it still lacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from desktop_sync.crm.port import CrmPort
from desktop_sync.crm.types import StoreAmount
from desktop_sync.engine.executor import Applied, OutcomeUnknown, WriteError
from desktop_sync.engine.model import Operation
from desktop_sync.engine.ops import StoreDocument as Move
from desktop_sync.engine.ops import document_title
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
    """Create (or find and finish) the store document; rows against fresh balances. The
    look-up and the balances share a request; the document, its rows and its posting go
    50 commands to a batch request (the new document referred to by the rows)."""
    target = _target(p, results)
    doc, amounts = client.inventory.find_with_amounts(p.title, sorted(target))
    rows = _rows(p, target, amounts)
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
    written = client.inventory.write_document(
        doc, p.store_id, missing, (p.doc_type, p.title, op.reason)
    )
    if written is None:
        raise OutcomeUnknown(tr("no answer while adding rows to a store document"))
    return Applied(str(written.id))


def find_conducted(client: CrmPort, key: str) -> Applied | None:
    """An unconducted document is finished by the next plan, never counted as done."""
    doc = client.inventory.find_store_document(document_title(key))
    return Applied(str(doc.id)) if doc is not None and doc.status != "N" else None
