"""F6, planned: stock per mapped warehouse, 1C → CRM. Pure.

Bitrix24 balances are read-only: they change only through store documents, ``S``
(оприходование, adds) and ``D`` (списание, removes). For each mapped warehouse the
plan proposes at most one document of each type, whose rows bring the CRM to 1C's
quantities. The document's title carries a key computed from the target
quantities, so a run killed half-way finds its own unfinished document (status
``N``) and completes it instead of making a second one. The writer re-reads the
balances just before writing and computes each row against them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from desktop_sync.domain.entities import Product, StockLevel, Warehouse
from desktop_sync.engine.model import (
    FieldChange,
    Flow,
    Head,
    Item,
    ItemKind,
    Operation,
    OpKind,
    System,
    operation,
)
from desktop_sync.engine.ops import EntityType, StoreDocument
from desktop_sync.engine.ops import document_title as document_title
from desktop_sync.i18n import tr

STORE_DOCUMENT = EntityType.STORE_DOCUMENT


def _qty(value: Decimal) -> str:
    q = value.normalize()
    return format(q, "f") if q != q.to_integral_value() else str(int(q))


def plan_stock(
    *,
    ops: list[Operation],
    items: list[Item],
    profile_uuid: str,
    warehouses: dict[str, Warehouse],
    mapping: dict[str, str],
    stock: list[StockLevel],
    crm_stock: dict[tuple[int, int], Decimal],
    products: dict[str, Product],
    product_links: dict[str, int],
    key: Callable[[Flow, str, str], str],
    pending: dict[str, str] | None = None,
) -> None:
    """``mapping``: 1C warehouse name -> CRM store id (the profile's warehouse.* settings);
    ``product_links``: 1C product ref -> CRM product id; ``pending``: 1C product ref ->
    the op that creates it in the CRM in this same plan (its stock follows it at once)."""
    pending = pending or {}
    ref_of = {pid: ref for ref, pid in product_links.items()}
    names = {pid: products[ref].name for ref, pid in product_links.items() if ref in products}
    by_name = {w.name: w for w in warehouses.values()}
    for name, store in sorted(mapping.items()):
        wh = by_name.get(name)
        if wh is None or not store.isdigit():
            items.append(_unknown_warehouse(name))
            continue
        s = _Store(name, int(store), crm_stock, ref_of, names, pending, key)
        target = _target(s, wh, stock, product_links)
        _below_zero(s, target, items)
        new: dict[str, Decimal] = {}  # products created in this run: their CRM stock is 0
        for level in stock:
            if level.warehouse_ref == wh.onec_ref and level.product_ref in pending:
                new[level.product_ref] = new.get(level.product_ref, Decimal(0)) + level.free
        new = {ref: q for ref, q in new.items() if q > 0}
        for doc_type, sign in (("S", 1), ("D", -1)):
            op = _document(s, doc_type, sign, target, new if doc_type == "S" else {})
            if op is not None:
                ops.append(op)


@dataclass(frozen=True, slots=True)
class _Store:
    """One mapped warehouse's CRM store, and what its documents are planned from."""

    name: str  # the 1C warehouse
    store_id: int
    crm_stock: dict[tuple[int, int], Decimal]
    ref_of: dict[int, str]  # CRM product id -> 1C ref
    names: dict[int, str]  # CRM product id -> the 1C product's name
    pending: dict[str, str]
    key: Callable[[Flow, str, str], str]

    def crm(self, pid: int) -> Decimal:
        return self.crm_stock.get((pid, self.store_id), Decimal(0))


def _unknown_warehouse(name: str) -> Item:
    return Item(
        key=f"F6:warehouse:{name}",
        kind=ItemKind.ATTENTION,
        flow=Flow.F6,
        entity_type="warehouse",
        record_id=name,
        record_label=name,
        field=tr("Warehouse"),
        message=tr("the profile maps warehouse «{name}», but 1C has no such warehouse").format(
            name=name
        ),
        action=tr("correct the name: desktop-sync profile set NAME warehouse.<1C name> <store id>"),
    )


def _target(
    s: _Store, wh: Warehouse, stock: list[StockLevel], product_links: dict[str, int]
) -> dict[int, Decimal]:
    """CRM product id -> the quantity 1C has in the warehouse (0 for what it no longer has)."""
    target: dict[int, Decimal] = {}
    for level in stock:
        if level.warehouse_ref != wh.onec_ref:
            continue
        pid = product_links.get(level.product_ref)
        if pid is not None:
            target[pid] = target.get(pid, Decimal(0)) + level.free
    linked = set(product_links.values())
    for pid, sid in s.crm_stock:
        if sid == s.store_id and pid in linked and pid not in target:
            target[pid] = Decimal(0)  # 1C has none left: the CRM must show none
    return target


def _below_zero(s: _Store, target: dict[int, Decimal], items: list[Item]) -> None:
    """BP lets a shipment take a warehouse below zero; a CRM store cannot hold less than
    nothing (Bitrix24 refuses the write-off): 0 there, and said."""
    for pid, want in sorted(target.items()):
        if want >= 0:
            continue
        target[pid] = Decimal(0)
        items.append(
            Item(
                key=f"F6:negative:{s.store_id}:{s.ref_of.get(pid, pid)}",
                kind=ItemKind.ATTENTION,
                flow=Flow.F6,
                entity_type="stock",
                record_id=str(s.ref_of.get(pid, pid)),
                record_label=s.names.get(pid, str(pid)),
                field=tr("Stock"),
                message=tr(
                    "1C shows {qty} in «{warehouse}», below zero; the CRM store shows 0"
                ).format(qty=_qty(want), warehouse=s.name),
                action=tr("post the missing receipt, or correct the shipment, in 1C"),
                onec_value=want,
                crm_value=Decimal(0),
            )
        )


def _document(
    s: _Store,
    doc_type: str,
    sign: int,
    target: dict[int, Decimal],
    rows_new: dict[str, Decimal],
) -> Operation | None:
    """The store document of ``doc_type`` (S adds, D removes) that brings the CRM store
    to ``target``, with what this run's new products bring (``rows_new``); none needed:
    None."""
    store_id, name, pending = s.store_id, s.name, s.pending
    rows = {pid: want for pid, want in sorted(target.items()) if sign * (want - s.crm(pid)) > 0}
    if not rows and not rows_new:
        return None
    # The key names 1C refs, not CRM ids: the same target after a restart (when
    # this run's new products have their ids) gives the same document title.
    # With the CRM's quantities before the move: stock that comes back to a target
    # written before (moved out, in, out again) is a new document, not the old one.
    # A restart before the document is conducted sees the same quantities: same key.
    wanted = [(s.ref_of[pid], q, s.crm(pid)) for pid, q in rows.items()] + [
        (ref, q, Decimal(0)) for ref, q in rows_new.items()
    ]
    digest = hashlib.sha256(
        ";".join(f"{ref}={_qty(f)}>{_qty(q)}" for ref, q, f in sorted(wanted)).encode()
    ).hexdigest()[:16]
    source = f"{store_id}/{doc_type}/{digest}"
    op_key = s.key(Flow.F6, STORE_DOCUMENT, source)
    what = tr("stock receipt") if doc_type == "S" else tr("stock write-off")
    reason = tr(
        "«{warehouse}»: {n} products differ from 1C; a {what} document will "
        "bring the CRM store to 1C's quantities"
    )
    return operation(
        f"F6:{store_id}:{doc_type}",
        Head(Flow.F6, OpKind.MOVE_STOCK, System.CRM, STORE_DOCUMENT),
        (source, str(store_id)),
        name,
        reason.format(warehouse=name, n=len(rows) + len(rows_new), what=what),
        StoreDocument(
            store_id=store_id,
            doc_type=doc_type,
            target={str(p): q for p, q in rows.items()},
            pending={pending[ref]: q for ref, q in rows_new.items()},
            title=document_title(op_key),
        ),
        key=op_key,
        changes=tuple(
            FieldChange(str(pid), s.names.get(pid, str(pid)), s.crm(pid), q)
            for pid, q in rows.items()
        ),
        depends_on=tuple(sorted(pending[ref] for ref in rows_new)),
    )
