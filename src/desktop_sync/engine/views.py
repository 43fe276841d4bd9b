"""What the window shows: row-aligned, side-by-side tables built from a snapshot.

Pure Python, no Qt, no I/O. A :class:`Table` holds rows that pair a 1C record
with the CRM record it is linked (or matched) to; each row carries native values
(``Decimal``, ``date``) for both sides, its sync state and a short note. The GUI
only formats and sorts them.

The state of a row comes, in order of weight, from: an error of the last run, an
open conflict, an item waiting for a person, a field that differs or an
operation the last plan proposes, a record present on one side only, or "in sync".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from desktop_sync.domain.entities import Invoice, Payment, payment_state
from desktop_sync.domain.money import ZERO, round_money
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.matcher import match_counterparties, match_products
from desktop_sync.engine.model import ItemKind, Plan
from desktop_sync.engine.plan_products import compared
from desktop_sync.engine.snapshot import Snapshot, requisites_of
from desktop_sync.i18n import N_, tr
from desktop_sync.journal import LinkValues

COUNTERPARTY = "counterparty"
PRODUCT = "product"
INVOICE = "invoice"
PAYMENT = "payment"
SHIPMENT = "shipment"
STOCK = "stock"


class SyncState(StrEnum):
    IN_SYNC = "in_sync"
    DIFFERS = "differs"
    ONLY_ONEC = "only_onec"
    ONLY_CRM = "only_crm"
    CONFLICT = "conflict"
    WAITING = "waiting"
    ERROR = "error"
    WILL_CHANGE = "will_change"  # Synchronize will write something for this record

    @property
    def label(self) -> str:
        """The state's name in the user's language."""
        return tr(_STATE_LABELS[self])

    @property
    def weight(self) -> int:
        """How much the state asks of a person (sorting: the worst first)."""
        return _STATE_WEIGHT[self]


_STATE_LABELS: dict[SyncState, str] = {
    SyncState.IN_SYNC: N_("In sync"),
    SyncState.DIFFERS: N_("Differs"),
    SyncState.ONLY_ONEC: N_("Only in 1C"),
    SyncState.ONLY_CRM: N_("Only in the CRM"),
    SyncState.CONFLICT: N_("Conflict"),
    SyncState.WAITING: N_("Waiting for a person"),
    SyncState.ERROR: N_("Error"),
    SyncState.WILL_CHANGE: N_("Synchronize will"),
}
_STATE_WEIGHT: dict[SyncState, int] = {
    SyncState.ERROR: 7,
    SyncState.CONFLICT: 6,
    SyncState.WAITING: 5,
    SyncState.WILL_CHANGE: 4,
    SyncState.DIFFERS: 3,
    SyncState.ONLY_ONEC: 2,
    SyncState.ONLY_CRM: 2,
    SyncState.IN_SYNC: 0,
}


_WAITS = frozenset({SyncState.ERROR, SyncState.CONFLICT, SyncState.WAITING})
_ACTS = _WAITS | {SyncState.WILL_CHANGE}


class ColumnKind(StrEnum):
    TEXT = "text"
    MONEY = "money"
    DATE = "date"
    QTY = "qty"
    PHONE = "phone"


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str  # English source, marked with N_; translate with tr() when shown
    kind: ColumnKind = ColumnKind.TEXT


@dataclass(frozen=True, slots=True)
class Mark:
    """Something known about a record besides its values: an inbox item or an error."""

    entity_type: str
    record_id: str
    kind: str  # "conflict" | "attention" | "error" | "planned"
    message: str
    short: str = ""  # a few words for the state column ("create in 1C")


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    onec: Mapping[str, Any] | None
    crm: Mapping[str, Any] | None
    state: SyncState
    differs: tuple[str, ...] = ()  # column keys whose values differ
    note: str = ""
    date: dt.date | None = None
    counterparty: str = ""
    onec_id: str | None = None
    crm_id: str | None = None
    search: str = ""  # lower-cased text of both sides, for the search box
    detail: str = ""  # the whole story (plan reasons, inbox messages), for a tooltip

    @property
    def pending(self) -> bool:
        """Synchronize will change this record, or it waits for a person.

        Not "differs" alone: an old 1C invoice or a CRM invoice not at the send stage
        is different on the two sides and Synchronize rightly leaves it.
        """
        return self.state in _ACTS

    @property
    def waits(self) -> bool:
        """It needs a person: a conflict, an attention item, an error."""
        return self.state in _WAITS

    def state_text(self) -> str:
        """``Differs: Total, Paid`` — the state and what it is about, in one line."""
        return f"{self.state.label}: {self.note}" if self.note else self.state.label


@dataclass(frozen=True, slots=True)
class Table:
    kind: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    def column_label(self, key: str) -> str:
        for col in self.columns:
            if col.key == key:
                return tr(col.label)
        return key


@dataclass(frozen=True)
class Views:
    invoices: Table
    payments: Table
    stock: Table
    counterparties: Table
    products: Table

    def tables(self) -> tuple[Table, ...]:
        return (self.invoices, self.payments, self.stock, self.counterparties, self.products)


INVOICE_COLUMNS = (
    Column("number", N_("Number")),
    Column("date", N_("Date"), ColumnKind.DATE),
    Column("counterparty", N_("Counterparty")),
    Column("total", N_("Total"), ColumnKind.MONEY),
    Column("paid", N_("Paid"), ColumnKind.MONEY),
    Column("outstanding", N_("Outstanding"), ColumnKind.MONEY),
    Column("stage", N_("Stage")),
    Column("shipped", N_("Shipped"), ColumnKind.MONEY),
)
PAYMENT_COLUMNS = (
    Column("number", N_("Number")),
    Column("date", N_("Date"), ColumnKind.DATE),
    Column("counterparty", N_("Counterparty")),
    Column("amount", N_("Amount"), ColumnKind.MONEY),
    Column("invoice", N_("Invoice")),
    Column("kind", N_("Kind")),
)
STOCK_COLUMNS = (
    Column("product", N_("Product")),
    Column("warehouse", N_("Warehouse")),
    Column("quantity", N_("Quantity"), ColumnKind.QTY),
)
COUNTERPARTY_COLUMNS = (
    Column("name", N_("Name")),
    Column("inn", N_("INN")),
    Column("kpp", N_("KPP")),
    Column("phone", N_("Phone"), ColumnKind.PHONE),
    Column("email", N_("E-mail")),
)
PRODUCT_COLUMNS = (
    Column("name", N_("Name")),
    Column("article", N_("Article")),
    Column("kind", N_("Kind")),
    Column("unit", N_("Unit")),
    Column("vat", N_("VAT rate")),
    Column("price", N_("Base price")),
)

_PAYMENT_KINDS = {
    "bank": N_("Bank"),
    "cash": N_("Cash"),
    "card": N_("Card"),
    "bank_refund": N_("Bank refund"),
    "cash_refund": N_("Cash refund"),
}


# -- marks: what the plan, the inbox and the last run say about records ---------------------


@dataclass
class _Marks:
    by_record: dict[tuple[str, str], list[Mark]] = field(default_factory=dict)

    def add(self, mark: Mark) -> None:
        if mark.record_id:
            self.by_record.setdefault((mark.entity_type, mark.record_id), []).append(mark)

    def of(self, entity_types: Iterable[str], ids: Iterable[str | None]) -> list[Mark]:
        out: list[Mark] = []
        for et in entity_types:
            for rid in ids:
                if rid:
                    out.extend(self.by_record.get((et, rid), ()))
        return out


def marks_from_plan(plan: Plan) -> list[Mark]:
    """The plan's operations (on their source and target ids) and its items."""
    out: list[Mark] = []
    for op in plan.operations:
        for rid in (op.source_id, op.target_id):
            if rid:
                short = tr("{action} {where}").format(
                    action=tr(_OP_KINDS.get(op.kind.value, op.kind.value)).lower(),
                    where=tr("in 1C") if op.target.value == "onec" else tr("in the CRM"),
                )
                out.append(Mark(op.entity_type, rid, "planned", op.reason, short))
    for item in plan.items:
        kind = "conflict" if item.kind is ItemKind.CONFLICT else "attention"
        text = f"{item.field}: {item.message}" if item.field else item.message
        out.append(Mark(item.entity_type, item.record_id, kind, text))
    return out


def _state(
    base: SyncState, differs: Sequence[str], marks: Sequence[Mark], table_cols: Sequence[Column]
) -> tuple[SyncState, str, str]:
    """(state, a short note for the state column, the whole story for a tooltip)."""
    labels = {c.key: tr(c.label) for c in table_cols}
    for kind, state in (
        ("error", SyncState.ERROR),
        ("conflict", SyncState.CONFLICT),
        ("attention", SyncState.WAITING),
    ):
        found = [m.message for m in marks if m.kind == kind]
        if found:
            text = "; ".join(dict.fromkeys(found))
            return state, text, text
    planned = [m for m in marks if m.kind == "planned"]
    detail = "\n".join(dict.fromkeys(m.message for m in planned))
    what = ", ".join(labels.get(d, d) for d in differs)
    if planned:  # what Synchronize will do, first: «Synchronize will: create in 1C»
        note = "; ".join(dict.fromkeys(m.short or m.message for m in planned))
        return SyncState.WILL_CHANGE, note, "\n".join(x for x in (what, detail) if x)
    if base is SyncState.IN_SYNC and differs:
        base = SyncState.DIFFERS
    if differs:
        return base, what, what
    return base, "", ""


_OP_KINDS = {
    "create": N_("Create"),
    "update": N_("Update"),
    "link": N_("Link"),
    "post": N_("Post"),
    "set_payment_state": N_("Update payments"),
    "set_shipment_state": N_("Update shipment"),
    "move_stock": N_("Move stock"),
    "timeline": N_("Add to the timeline"),
}


def _search(*parts: Mapping[str, Any] | None) -> str:
    words: list[str] = []
    for side in parts:
        if side:
            words.extend(str(v) for v in side.values() if v is not None and v != "")
    return " ".join(words).casefold()


def _money_or_zero(value: Decimal | None) -> Decimal:
    return ZERO if value is None else round_money(value)


# -- counterparties ------------------------------------------------------------------------


def _counterparty_table(
    snap: Snapshot, links: list[LinkValues], marks: _Marks, extra_onec: set[str]
) -> Table:
    cols = COUNTERPARTY_COLUMNS
    onec = snap.onec.counterparties
    match = match_counterparties(onec, snap.crm.companies, links)
    crm_units = {rq.key: (rq, co) for co in snap.crm.companies.values() for rq in requisites_of(co)}
    rows: list[Row] = []
    used_crm: set[str] = set()
    shown_onec = [
        ref for ref, cp in onec.items() if ref in match.pairs or ref in extra_onec or cp.crm_id
    ]
    for ref in sorted(shown_onec, key=lambda r: nz.text(onec[r].name).casefold()):
        cp = onec[ref]
        left: dict[str, Any] = dict(nz.counterparty_values(cp))
        left["name"] = cp.name
        pair = match.pairs.get(ref)
        right: dict[str, Any] | None = None
        crm_key: str | None = None
        differs: list[str] = []
        if pair is not None and pair.crm_key in crm_units:
            crm_key = pair.crm_key
            used_crm.add(crm_key)
            rq, co = crm_units[crm_key]
            right = {
                "name": co.counterparty.name,
                "inn": rq.inn,
                "kpp": rq.kpp,
                "phone": nz.phone(co.counterparty.phone),
                "email": nz.text(co.counterparty.email).lower(),
            }
            differs = [
                c.key
                for c in cols
                if (nz.text(str(left[c.key])) if c.key == "name" else left[c.key])
                != (nz.text(str(right[c.key])) if c.key == "name" else right[c.key])
            ]
            base = SyncState.IN_SYNC if pair.known else SyncState.DIFFERS
        else:
            base = SyncState.ONLY_ONEC
        state, note, detail = _state(base, differs, marks.of([COUNTERPARTY], [ref, crm_key]), cols)
        if base is SyncState.DIFFERS and not note:
            note = tr("found by INN; will be linked")
        rows.append(
            Row(f"cp:{ref}", left, right, state, tuple(differs), note, None, cp.name, ref,
                crm_key, _search(left, right), detail)
        )  # fmt: skip
    for key, (rq, co) in sorted(crm_units.items(), key=lambda kv: kv[1][1].counterparty.name):
        if key in used_crm or co.is_my_company:
            continue
        right = {
            "name": co.counterparty.name,
            "inn": rq.inn,
            "kpp": rq.kpp,
            "phone": nz.phone(co.counterparty.phone),
            "email": nz.text(co.counterparty.email).lower(),
        }
        state, note, detail = _state(SyncState.ONLY_CRM, (), marks.of([COUNTERPARTY], [key]), cols)
        rows.append(
            Row(f"crm-cp:{key}", None, right, state, (), note, None, co.counterparty.name,
                None, key, _search(right), detail)
        )  # fmt: skip
    return Table(COUNTERPARTY, cols, tuple(rows))


# -- products ------------------------------------------------------------------------------


def _product_values(name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    out["name"] = name
    return out


def _product_table(
    snap: Snapshot, links: list[LinkValues], marks: _Marks, extra_onec: set[str]
) -> Table:
    cols = PRODUCT_COLUMNS
    onec = snap.onec.products
    match = match_products(onec, snap.crm.products, links)
    rows: list[Row] = []
    used: set[str] = set()
    shown = [ref for ref, p in onec.items() if ref in match.pairs or ref in extra_onec or p.crm_id]
    for ref in sorted(shown, key=lambda r: nz.text(onec[r].name).casefold()):
        p = onec[ref]
        left = _product_values(p.name, nz.product_values(p))
        pair = match.pairs.get(ref)
        right: dict[str, Any] | None = None
        crm_key: str | None = None
        differs: list[str] = []
        base = SyncState.ONLY_ONEC
        if pair is not None and pair.crm_key.isdigit() and int(pair.crm_key) in snap.crm.products:
            crm_key = pair.crm_key
            used.add(crm_key)
            cp = snap.crm.products[int(crm_key)]
            right = _product_values(cp.product.name, nz.product_values(cp.product))
            differs = [  # what F5 keeps equal: never the article, which the CRM lacks
                c.key
                for c in cols
                if c.key in compared(left)
                and (nz.text(str(left[c.key])) if c.key == "name" else left[c.key])
                != (nz.text(str(right[c.key])) if c.key == "name" else right[c.key])
            ]
            base = SyncState.IN_SYNC if pair.known else SyncState.DIFFERS
        state, note, detail = _state(base, differs, marks.of([PRODUCT], [ref, crm_key]), cols)
        rows.append(
            Row(f"p:{ref}", left, right, state, tuple(differs), note, None, "", ref, crm_key,
                _search(left, right), detail)
        )  # fmt: skip
    for pid, cp in sorted(snap.crm.products.items(), key=lambda kv: kv[1].product.name):
        if str(pid) in used:
            continue
        right = _product_values(cp.product.name, nz.product_values(cp.product))
        state, note, detail = _state(SyncState.ONLY_CRM, (), marks.of([PRODUCT], [str(pid)]), cols)
        rows.append(
            Row(f"crm-p:{pid}", None, right, state, (), note, None, "", None, str(pid),
                _search(right), detail)
        )  # fmt: skip
    return Table(PRODUCT, cols, tuple(rows))


# -- invoices ------------------------------------------------------------------------------


def _payments_by_invoice(payments: Iterable[Payment]) -> dict[str, list[Payment]]:
    out: dict[str, list[Payment]] = {}
    for p in payments:
        for a in p.allocations:
            if a.invoice_ref:
                out.setdefault(a.invoice_ref, []).append(p)
    return out


def _shipped_by_invoice(snap: Snapshot) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for sh in snap.onec.shipments.values():
        if sh.invoice_ref and sh.posted and not sh.deleted:
            out[sh.invoice_ref] = out.get(sh.invoice_ref, ZERO) + sh.total
    for rt in snap.onec.returns.values():
        if rt.invoice_ref and rt.posted and not rt.deleted:
            out[rt.invoice_ref] = out.get(rt.invoice_ref, ZERO) - rt.total
    return {k: round_money(v) for k, v in out.items()}


def _counterparty_name(snap: Snapshot, inv: Invoice) -> str:
    if inv.counterparty_ref and inv.counterparty_ref in snap.onec.counterparties:
        return snap.onec.counterparties[inv.counterparty_ref].name
    return inv.counterparty_name


def _crm_counterparty_name(snap: Snapshot, company_id: int | None, fallback: str) -> str:
    if company_id is not None and company_id in snap.crm.companies:
        return snap.crm.companies[company_id].counterparty.name
    return fallback


_INVOICE_COMPARED = ("date", "total", "paid", "outstanding", "shipped")


def _invoice_table(snap: Snapshot, links: list[LinkValues], marks: _Marks) -> Table:
    cols = INVOICE_COLUMNS
    by_inv = _payments_by_invoice(snap.onec.payments.values())
    shipped = _shipped_by_invoice(snap)
    crm_of: dict[str, int] = {}
    for link in links:
        if link.onec_ref and link.crm_id and link.crm_id.isdigit():
            crm_of[link.onec_ref] = int(link.crm_id)
    rows: list[Row] = []
    used: set[int] = set()
    onec_invoices = sorted(
        snap.onec.invoices.values(), key=lambda i: (i.date, i.number), reverse=True
    )
    for inv in onec_invoices:
        ref = inv.onec_ref or ""
        if inv.deleted and ref not in crm_of:
            continue
        state_ = payment_state(ref, inv.total, by_inv.get(ref, []))
        left: dict[str, Any] = {
            "number": inv.number,
            "date": inv.date,
            "counterparty": _counterparty_name(snap, inv),
            "total": inv.total,
            "paid": state_.paid,
            "outstanding": state_.outstanding,
            "stage": tr("Marked for deletion")
            if inv.deleted
            else tr("Posted")
            if inv.posted
            else tr("Not posted"),
            "shipped": shipped.get(ref, ZERO),
        }
        crm_id = crm_of.get(ref)
        if crm_id is None and inv.crm_id is not None:
            crm_id = inv.crm_id
        ci = snap.crm.invoices.get(crm_id) if crm_id is not None else None
        right: dict[str, Any] | None = None
        differs: list[str] = []
        base = SyncState.ONLY_ONEC
        if ci is not None and crm_id is not None:
            used.add(crm_id)
            right = _crm_invoice_values(snap, crm_id)
            differs = [k for k in _INVOICE_COMPARED if left[k] != right[k]]
            base = SyncState.IN_SYNC
        ids = [ref, str(crm_id) if crm_id is not None else None]
        state, note, detail = _state(
            base, differs, marks.of([INVOICE, "invoice_number"], ids), cols
        )
        rows.append(
            Row(f"inv:{ref}", left, right, state, tuple(differs), note, inv.date,
                str(left["counterparty"]), ref, ids[1], _search(left, right), detail)
        )  # fmt: skip
    for cid in sorted(snap.crm.invoices, reverse=True):
        if cid in used:
            continue
        right = _crm_invoice_values(snap, cid)
        state, note, detail = _state(SyncState.ONLY_CRM, (), marks.of([INVOICE], [str(cid)]), cols)
        rows.append(
            Row(f"crm-inv:{cid}", None, right, state, (), note, right["date"],
                str(right["counterparty"]), None, str(cid), _search(right), detail)
        )  # fmt: skip
    return Table(INVOICE, cols, _newest_first(rows))


def _crm_invoice_values(snap: Snapshot, crm_id: int) -> dict[str, Any]:
    ci = snap.crm.invoices[crm_id]
    inv = ci.invoice
    total = round_money(ci.opportunity)
    paid = _money_or_zero(ci.fields.paid)
    outstanding = (
        round_money(ci.fields.outstanding)
        if ci.fields.outstanding is not None
        else round_money(max(total - paid, ZERO))
    )
    return {
        "number": inv.number,
        "date": inv.date,
        "counterparty": _crm_counterparty_name(snap, ci.company_id, inv.counterparty_name),
        "total": total,
        "paid": paid,
        "outstanding": outstanding,
        "stage": snap.crm.stages.get(ci.stage_id, ci.stage_id),
        "shipped": _money_or_zero(ci.fields.shipped),
    }


# -- payments ------------------------------------------------------------------------------


def _payment_table(snap: Snapshot, invoice_links: list[LinkValues], marks: _Marks) -> Table:
    """A payment is on the CRM side when the CRM invoice it pays lists it."""
    cols = PAYMENT_COLUMNS
    crm_of = {
        link.onec_ref: int(link.crm_id)
        for link in invoice_links
        if link.onec_ref and link.crm_id and link.crm_id.isdigit()
    }
    rows: list[Row] = []
    for p in sorted(snap.onec.payments.values(), key=lambda x: (x.date, x.number), reverse=True):
        if not p.is_effective:
            continue
        ref = p.onec_ref or ""
        cp = snap.onec.counterparties.get(p.counterparty_ref or "")
        inv_refs = [a.invoice_ref for a in p.allocations if a.invoice_ref]
        invs = [snap.onec.invoices[r] for r in inv_refs if r in snap.onec.invoices]
        left: dict[str, Any] = {
            "number": p.number,
            "date": p.date,
            "counterparty": cp.name if cp else "",
            "kind": tr(_PAYMENT_KINDS.get(p.kind.value, p.kind.value)),
            "amount": p.effect,
            "invoice": ", ".join(i.number for i in invs),
        }
        right: dict[str, Any] | None = None
        crm_ids: list[str] = []
        base = SyncState.ONLY_ONEC
        note = ""
        if not inv_refs:
            note = tr("not allocated to an invoice")
        else:
            crm_invs = [
                (crm_of[r], snap.crm.invoices[crm_of[r]])
                for r in inv_refs
                if r in crm_of and crm_of[r] in snap.crm.invoices
            ]
            if crm_invs:
                crm_ids = [str(cid) for cid, _ in crm_invs]
                shown = any(p.number in " ".join(ci.fields.payments) for _, ci in crm_invs)
                right = {
                    "number": p.number if shown else "",
                    "date": p.date if shown else None,
                    "counterparty": _crm_counterparty_name(
                        snap, crm_invs[0][1].company_id, crm_invs[0][1].invoice.counterparty_name
                    ),
                    "kind": left["kind"] if shown else "",
                    "amount": p.effect if shown else None,
                    "invoice": ", ".join(ci.invoice.number for _, ci in crm_invs),
                }
                base = SyncState.IN_SYNC if shown else SyncState.DIFFERS
                if not shown:
                    note = tr("not yet shown on the CRM invoice")
            else:
                note = tr("its invoice is not in the CRM")
        marked = marks.of([PAYMENT], [ref, *crm_ids])
        state, mnote, detail = _state(base, (), marked, cols)
        rows.append(
            Row(f"pay:{ref}", left, right, state, (), mnote or note, p.date,
                str(left["counterparty"]), ref, ",".join(crm_ids) or None, _search(left, right),
                detail)
        )  # fmt: skip
    return Table(PAYMENT, cols, _newest_first(rows))


# -- stock ---------------------------------------------------------------------------------


def _stock_table(
    snap: Snapshot, product_links: list[LinkValues], marks: _Marks, warehouse_map: Mapping[str, str]
) -> Table:
    cols = STOCK_COLUMNS
    match = match_products(snap.onec.products, snap.crm.products, product_links)
    stores = {str(k): v for k, v in snap.crm.stores.items()}
    rows: list[Row] = []
    for level in sorted(snap.onec.stock, key=lambda s: (s.product_ref, s.warehouse_ref)):
        p = snap.onec.products.get(level.product_ref)
        wh = snap.onec.warehouses.get(level.warehouse_ref)
        pname = p.name if p else level.product_ref
        wname = wh.name if wh else level.warehouse_ref
        left: dict[str, Any] = {"product": pname, "warehouse": wname, "quantity": level.free}
        store_id = warehouse_map.get(wname)
        pair = match.pairs.get(level.product_ref)
        right: dict[str, Any] | None = None
        differs: list[str] = []
        base = SyncState.ONLY_ONEC
        note = ""
        if store_id is None:
            note = tr("the warehouse is not mapped to a CRM store")
        elif pair is None or not pair.crm_key.isdigit():
            note = tr("the product is not in the CRM yet")
        else:
            amount = snap.crm.stock.get((int(pair.crm_key), int(store_id)), Decimal(0))
            store = stores.get(store_id)
            right = {
                "product": snap.crm.products[int(pair.crm_key)].product.name
                if int(pair.crm_key) in snap.crm.products
                else pname,
                "warehouse": store.name if store else store_id,
                "quantity": amount,
            }
            base = SyncState.IN_SYNC
            if amount != level.free:
                differs = ["quantity"]
        key = f"{level.product_ref}/{level.warehouse_ref}"
        state, mnote, detail = _state(base, differs, marks.of([STOCK], [key]), cols)
        rows.append(
            Row(f"st:{key}", left, right, state, tuple(differs), mnote or note, None, "",
                key, None, _search(left, right), detail)
        )  # fmt: skip
    return Table(STOCK, cols, tuple(rows))


def _newest_first(rows: list[Row]) -> tuple[Row, ...]:
    return tuple(sorted(rows, key=lambda r: r.date or dt.date.min, reverse=True))


# -- all of it -----------------------------------------------------------------------------


def build_views(
    snap: Snapshot,
    links: Mapping[str, list[LinkValues]],
    plan: Plan | None = None,
    marks: Iterable[Mark] = (),
    warehouse_map: Mapping[str, str] | None = None,
) -> Views:
    """All five tables. ``links`` maps an entity type to the journal's links of it."""
    m = _Marks()
    for mark in marks_from_plan(plan) if plan is not None else ():
        m.add(mark)
    for mark in marks:
        m.add(mark)
    customers = _customers(snap)
    products = _products(snap)
    return Views(
        invoices=_invoice_table(snap, links.get(INVOICE, []), m),
        payments=_payment_table(snap, links.get(INVOICE, []), m),
        stock=_stock_table(snap, links.get(PRODUCT, []), m, warehouse_map or {}),
        counterparties=_counterparty_table(snap, links.get(COUNTERPARTY, []), m, customers),
        products=_product_table(snap, links.get(PRODUCT, []), m, products),
    )


def _customers(snap: Snapshot) -> set[str]:
    refs = {i.counterparty_ref for i in snap.onec.invoices.values() if not i.deleted}
    refs |= {p.counterparty_ref for p in snap.onec.payments.values() if p.is_effective}
    refs |= {s.counterparty_ref for s in snap.onec.shipments.values() if not s.deleted}
    return {r for r in refs if r}


def _products(snap: Snapshot) -> set[str]:
    refs = {ln.product_ref for i in snap.onec.invoices.values() for ln in i.lines}
    refs |= {ln.product_ref for s in snap.onec.shipments.values() for ln in s.lines}
    return {r for r in refs if r}


# -- invoice lookup --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentLine:
    number: str
    date: dt.date
    kind: str
    amount: Decimal  # signed: a refund is negative


@dataclass(frozen=True, slots=True)
class InvoiceStatus:
    number: str
    date: dt.date
    counterparty: str
    total: Decimal
    paid: Decimal
    outstanding: Decimal
    shipped: Decimal
    payments: tuple[PaymentLine, ...]
    shipments: tuple[str, ...]
    onec_ref: str | None
    crm_id: int | None
    stage: str
    crm_number: str = ""  # the CRM's own account number (e.g. СЧ-0014), the manager's

    @property
    def year_number(self) -> str:
        return f"{self.number}/{self.date.year}"


def find_invoices(
    snap: Snapshot, links: Sequence[LinkValues], query: str, limit: int = 50
) -> list[InvoiceStatus]:
    """Invoices by 1C number, ``number/year``, CRM id or account number, or counterparty.

    Answers from the last snapshot: it touches neither system.
    """
    q = nz.text(query).casefold()
    if not q:
        return []
    crm_of = {
        lk.onec_ref: int(lk.crm_id)
        for lk in links
        if lk.onec_ref and lk.crm_id and lk.crm_id.isdigit()
    }
    onec_of = {v: k for k, v in crm_of.items()}
    number, _, year = q.partition("/")
    hits: list[Invoice] = []
    for inv in snap.onec.invoices.values():
        ref = inv.onec_ref or ""
        cid = crm_of.get(ref, inv.crm_id)
        crm_number = snap.crm.invoices[cid].invoice.number if cid in snap.crm.invoices else ""
        name = _counterparty_name(snap, inv).casefold()
        if (
            (
                bool(number)
                and inv.number.casefold().lstrip("0") == number.lstrip("0")
                and (not year or str(inv.date.year) == year)
            )
            or (cid is not None and q == str(cid))
            or (crm_number and crm_number.casefold() == q)
            or (len(q) >= 3 and q in name)
        ):
            hits.append(inv)
    result = [_status(snap, inv, crm_of) for inv in hits]
    # CRM invoices not (yet) in 1C
    for cid, ci in snap.crm.invoices.items():
        if cid in onec_of:
            continue
        name = _crm_counterparty_name(snap, ci.company_id, ci.invoice.counterparty_name)
        if q in (str(cid), ci.invoice.number.casefold()) or (len(q) >= 3 and q in name.casefold()):
            v = _crm_invoice_values(snap, cid)
            status = InvoiceStatus(
                ci.invoice.number, ci.invoice.date, name, v["total"], v["paid"],
                v["outstanding"], v["shipped"], (), (), None, cid, str(v["stage"]),
                ci.invoice.number,
            )  # fmt: skip
            result.append(status)
    result.sort(key=lambda s: (s.date, s.number), reverse=True)
    return result[:limit]


def _status(snap: Snapshot, inv: Invoice, crm_of: Mapping[str, int]) -> InvoiceStatus:
    ref = inv.onec_ref or ""
    pays = [
        p for p in snap.onec.payments.values() if any(a.invoice_ref == ref for a in p.allocations)
    ]
    st = payment_state(ref, inv.total, pays)
    lines = tuple(
        PaymentLine(
            p.number,
            p.date,
            tr(_PAYMENT_KINDS.get(p.kind.value, p.kind.value)),
            round_money(
                sum((a.amount for a in p.allocations if a.invoice_ref == ref), ZERO)
                * (-1 if p.kind.is_refund else 1)
            ),
        )
        for p in st.payments
    )
    ships = tuple(
        f"{sh.number} {sh.date:%d.%m.%Y}"
        for sh in sorted(snap.onec.shipments.values(), key=lambda s: (s.date, s.number))
        if sh.invoice_ref == ref and sh.posted and not sh.deleted
    )
    cid = crm_of.get(ref, inv.crm_id)
    stage = crm_number = ""
    if cid is not None and cid in snap.crm.invoices:
        sid = snap.crm.invoices[cid].stage_id
        stage = snap.crm.stages.get(sid, sid)
        crm_number = snap.crm.invoices[cid].invoice.number
    return InvoiceStatus(
        inv.number, inv.date, _counterparty_name(snap, inv), inv.total, st.paid, st.outstanding,
        _shipped_by_invoice(snap).get(ref, ZERO), lines, ships, inv.onec_ref, cid, stage,
        crm_number,
    )  # fmt: skip


def empty_snapshot() -> Snapshot:
    """A snapshot with nothing in it (the window before the first read)."""
    from desktop_sync.engine.snapshot import CrmData, OnecData

    return Snapshot(OnecData(), CrmData())
