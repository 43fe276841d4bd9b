"""What the planner's parts share: entity types, settings, links, the builder that
keeps operations and items unique and ordered, and the 3-way diff of linked records."""

from __future__ import annotations

import datetime as dt
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from urllib.parse import urlsplit

from desktop_sync.connectors.onec.bodies import KEY_NAMESPACE
from desktop_sync.domain.entities import Invoice, Return, Shipment
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.evolve import evolve as evolve
from desktop_sync.engine.matcher import Matches, MatchResult, Pair
from desktop_sync.engine.model import (
    ALL_FLOWS,
    NAMESPACE,
    Decision,
    FieldChange,
    Flow,
    Item,
    ItemKind,
    Operation,
    Plan,
    System,
    confirmable,
)
from desktop_sync.engine.ops import CRM_WRITABLE, NO_PAYLOAD, ONEC_WRITABLE, EntityType
from desktop_sync.engine.ops import PRODUCT_SYNCED as PRODUCT_SYNCED
from desktop_sync.i18n import day_label, dotted_day
from desktop_sync.journal import LinkValues

COUNTERPARTY = EntityType.COUNTERPARTY
CONTRACT = EntityType.CONTRACT
PRODUCT = EntityType.PRODUCT
INVOICE = EntityType.INVOICE
INVOICE_BACK = EntityType.INVOICE_BACK  # the 1C number and date written back to the CRM
DEAL = EntityType.DEAL  # F9: a CRM deal sent to 1C as an invoice or order

# The fields an update of each system carries, per record type (what the writers can
# do, ``ops``). A change of any other field is never planned as a write, which would be
# journalled as done and come back on every run: it waits for a person instead.
WRITABLE: dict[tuple[System, str], frozenset[str]] = {
    **{(System.CRM, e): f for e, f in CRM_WRITABLE.items()},
    **{(System.ONEC, e): f for e, f in ONEC_WRITABLE.items()},
}


def key_scope(crm_url: str, fallback: str) -> str:
    """What create keys are derived from: the pair of systems, not the profile's random
    uuid. A 1C source is its Ref_Key (a GUID, unique anywhere); a CRM source is an id of
    one portal, so the portal's address scopes the keys. A profile removed and added
    again, or a lost journal, then makes the same keys and finds what exists."""
    parts = urlsplit(crm_url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not host:
        return fallback
    return f"crm:{host}:{port}" if port and port not in (80, 443) else f"crm:{host}"


@dataclass(frozen=True)
class PlanSettings:
    profile_uuid: str  # the scope of create keys: ``key_scope`` (the uuid only without a URL)
    send_stage: str = ""
    paid_stage: str = ""
    partly_paid_stage: str = ""
    flows: tuple[Flow, ...] = ALL_FLOWS
    full: bool = True
    missing_crm_fields: tuple[tuple[str, str], ...] = ()  # ours the portal lacks: key, label
    warehouses: dict[str, str] = field(default_factory=dict)  # 1C warehouse -> CRM store
    inventory_off: bool = False  # the portal's inventory management (store documents) is off
    decisions: dict[str, Decision] = field(default_factory=dict)
    invoice_pdf: bool = True  # F11: the printed invoice on the CRM invoice's timeline
    # F8: 1C invoices dated on or after ``issued_since`` (None: none) become CRM invoices
    # at ``issued_stage`` ("": the first), ``responsible`` (None: the CRM's choice); one
    # marked for deletion in 1C moves to ``cancelled_stage`` ("": a person decides)
    issued_since: dt.date | None = None
    issued_stage: str = ""
    cancelled_stage: str = ""
    responsible: int | None = None
    issued_posted_only: bool = False  # F8: UT 11's draft (unposted) orders wait
    # F9: deal pipeline -> {meaning: stage} ("send", "paid", "partly_paid", "ship"); which
    # of a deal and its own smart invoice is sent ("invoice" or "deal"); the 1C document
    # a deal becomes ("invoice": BP's СчетНаОплатуПокупателю, "order": UT's ЗаказКлиента);
    # our fields deals lack (their writes wait for setup)
    deal_stages: dict[int, dict[str, str]] = field(default_factory=dict)
    sale_carrier: str = "invoice"
    deal_document: str = "invoice"
    missing_deal_fields: tuple[tuple[str, str], ...] = ()
    ship_stages: tuple[str, ...] = ()  # F10: the "ship" stage of each pipeline
    ship_post: bool = False  # F10: the sales document is posted at once


@dataclass(frozen=True)
class Links:
    """The link table, per entity type, as the journal holds it before the run."""

    by_type: dict[str, list[LinkValues]] = field(default_factory=dict)
    # (entity type, side) -> id -> the first link of it: made when first asked (a scan of
    # every link per invoice made planning quadratic)
    _index: dict[tuple[str, str], dict[str, LinkValues]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def of(self, entity_type: str) -> list[LinkValues]:
        return self.by_type.get(entity_type, [])

    def onec(self, entity_type: str, onec_ref: str) -> LinkValues | None:
        return self._by(entity_type, "onec").get(onec_ref)

    def crm(self, entity_type: str, crm_id: str) -> LinkValues | None:
        return self._by(entity_type, "crm").get(crm_id)

    def _by(self, entity_type: str, side: str) -> dict[str, LinkValues]:
        found = self._index.get((entity_type, side))
        if found is None:
            found = self._index[entity_type, side] = {}
            for link in self.of(entity_type):
                key = link.onec_ref if side == "onec" else link.crm_id
                if key is not None:
                    found.setdefault(key, link)
        return found


_OnecT = TypeVar("_OnecT")
_CrmT = TypeVar("_CrmT")


def linked(
    links: Links,
    entity_type: str,
    onec: Mapping[str, _OnecT],
    crm: Callable[[str], _CrmT | None],
) -> Iterator[tuple[LinkValues, str, _OnecT, _CrmT]]:
    """(link, 1C ref, 1C record, CRM record) of each link whose records were both read
    this time; one not read (incremental) or deleted is left to deletions."""
    for link in links.of(entity_type):
        if link.onec_ref is None or link.crm_id is None:
            continue
        record, other = onec.get(link.onec_ref), crm(link.crm_id)
        if record is None or other is None:
            continue
        yield link, link.onec_ref, record, other


def fmt_date(inv: Invoice) -> str:
    return label_day(inv.date)


# A date a person reads (ISO in English, dd.mm.yyyy in Russian) and a date written into
# 1C or the CRM (dd.mm.yyyy in any language): one of each, in desktop_sync.i18n.
label_day = day_label
day_text = dotted_day


def uuid5_text(namespace: bytes, name: str) -> str:
    """``str(uuid.uuid5(UUID(bytes=namespace), name))``, about four times faster: a plan
    of 100,000 records makes some 90,000 create keys and 1C refs. The namespace is
    hashed once; each name continues a copy of that hash."""
    started = _STARTED.get(namespace)
    if started is None:
        started = _STARTED[namespace] = hashlib.sha1(namespace, usedforsecurity=False)
    sha = started.copy()
    sha.update(name.encode())
    h = sha.hexdigest()
    # the version (5) in the 13th digit, the RFC 4122 variant in the top bits of the 17th
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


_VARIANT = {d: f"{int(d, 16) & 0x3 | 0x8:x}" for d in "0123456789abcdef"}
_STARTED: dict[bytes, Any] = {}  # namespace -> its SHA-1 begun


_KEYS = NAMESPACE.bytes  # model.idempotency_key's namespace
_REFS = KEY_NAMESPACE.bytes  # the 1C client's Ref_Key of a create key


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    """What a person sees in the plan: labelled fields, values in their words."""
    return tuple(
        FieldChange(k, nz.label(k), nz.display(k, before.get(k)), nz.display(k, after[k]))
        for k in sorted(after)
        if before.get(k) != after[k] and (k in before or after[k] not in ("", None))
    )


def documents_by_invoice(
    shipments: Mapping[str, Shipment], returns: Mapping[str, Return]
) -> dict[str, list[tuple[str, Any]]]:
    """Each 1C invoice's shipments and returns (``money.plan_money``'s
    ``shipments_by_invoice``), for smart invoices and deals alike."""
    docs: dict[str, list[tuple[str, Any]]] = {}
    for sh in shipments.values():
        if sh.invoice_ref:
            docs.setdefault(sh.invoice_ref, []).append(("shipment", sh))
    for ret in returns.values():
        # A BP return names its shipment; the shipment names the invoice.
        shipment = shipments.get(ret.shipment_ref or "")
        invoice_ref = ret.invoice_ref or (shipment.invoice_ref if shipment else None)
        if invoice_ref:
            docs.setdefault(invoice_ref, []).append(("return", ret))
    return docs


class InCrm(ABC):
    """1C records made to exist in the CRM once a plan (F7's counterparties, F5's
    products): linked to the CRM record they were matched with, or created there.
    ``crm_ready``: per 1C ref, the op id after which it exists ("": nothing to do)."""

    def __init__(self, match: MatchResult) -> None:
        self.match = match
        self.crm_ready: dict[str, str] = {}

    @abstractmethod
    def read_in_onec(self, onec_ref: str) -> bool:
        """Whether the 1C record was read (a ref of another kind, or not read: none)."""

    @abstractmethod
    def link_op(self, onec_ref: str, crm_key: str, rule: str) -> str:
        """The operation linking the 1C record to the CRM record matched by ``rule``."""

    @abstractmethod
    def create_in_crm(self, onec_ref: str, why: str) -> str:
        """The op id creating an unmatched 1C record in the CRM ("": none made)."""

    def ensure_in_crm(self, onec_ref: str, why: str) -> str | None:
        """An op id after which the 1C record exists (and is linked) in the CRM."""
        ready = self.crm_ready.get(onec_ref)
        if ready is not None:
            return ready or None
        if not self.read_in_onec(onec_ref):
            return None
        pair = self.match.pairs.get(onec_ref)
        if pair is not None:
            return self.linked(onec_ref, pair.crm_key, pair) or None
        made = self.crm_ready[onec_ref] = self.create_in_crm(onec_ref, why)
        return made or None

    def linked(self, onec_ref: str, crm_key: str, pair: Pair) -> str:
        """The op id linking a matched pair ("" when linked before), made once a plan:
        every invoice of a company asks for it again (issue 18)."""
        op_id = self.crm_ready.get(onec_ref)
        if op_id is None:
            op_id = "" if pair.known else self.link_op(onec_ref, crm_key, pair.rule)
            self.crm_ready[onec_ref] = op_id
        return op_id


class Builder:
    """Collects operations and items; keeps them unique and ordered."""

    def __init__(self, settings: PlanSettings) -> None:
        self.settings = settings
        self.ops: dict[str, Operation] = {}
        self.items: dict[str, Item] = {}
        self.skipped: set[str] = set()  # blocked by an item the person chose to skip
        self._blocks: set[str] = set()  # every op id some raised item blocks
        self._item_blocks: dict[str, set[str]] = {}  # per item key, for repeated raises
        # (flow, entity type) -> (the keys' common beginning, source id -> its key)
        self._keys: dict[tuple[Flow, str], tuple[str, dict[str, str]]] = {}
        self._refs: dict[str, str] = {}
        self.notes: list[tuple[str, str, str, str]] = []  # ``Plan.notes``

    def key(self, flow: Flow, entity_type: str, source_id: str) -> str:
        """The create key (``model.idempotency_key``), made once a plan."""
        kind = self._keys.get((flow, entity_type))
        if kind is None:
            start = f"{self.settings.profile_uuid}/{flow}/{entity_type}/"
            kind = self._keys[flow, entity_type] = (start, {})
        found = kind[1].get(source_id)
        if found is None:
            found = kind[1][source_id] = uuid5_text(_KEYS, f"{kind[0]}{source_id}")
        return found

    def new_ref(self, key: str) -> str:
        """The Ref_Key 1C gets for a create key (``model.onec_ref_for``), made once a plan."""
        found = self._refs.get(key)
        if found is None:
            found = self._refs[key] = uuid5_text(_REFS, key)
        return found

    def op(self, op: Operation) -> str:
        self.ops.setdefault(op.op_id, op)
        return op.op_id

    def item(self, item: Item) -> None:
        decision = self.settings.decisions.get(item.key)
        if decision is not None and decision.action == "confirm" and confirmable(item.key):
            return  # the person confirmed: what it blocked may go ahead
        if decision is not None and decision.action == "skip":
            self.skipped.update(item.blocks)  # neither shown again nor done
            return
        self._blocks.update(item.blocks)
        existing = self.items.get(item.key)
        if existing is None:
            self.items[item.key] = item
        elif item.blocks:
            # the same item raised again (a product on many invoices): add what it newly
            # blocks; nothing is rebuilt when it blocks nothing new
            known = self._item_blocks.setdefault(item.key, set(existing.blocks))
            fresh = tuple(dict.fromkeys(b for b in item.blocks if b not in known))
            if fresh:
                known.update(fresh)
                self.items[item.key] = replace(existing, blocks=existing.blocks + fresh)

    def attention(
        self,
        flow: Flow,
        entity_type: str,
        key: str,
        *,
        record_id: str,
        record_label: str,
        field: str,
        message: str,
        action: str = "",
        onec_value: Any = None,
        crm_value: Any = None,
        blocks: tuple[str, ...] = (),
    ) -> None:
        """An attention item: the record, the field, what is wrong and what to do."""
        self.item(
            Item(
                key=key,
                kind=ItemKind.ATTENTION,
                flow=flow,
                entity_type=entity_type,
                record_id=record_id,
                record_label=record_label,
                field=field,
                message=message,
                action=action,
                onec_value=onec_value,
                crm_value=crm_value,
                blocks=blocks,
            )
        )

    def unreadable(
        self, what: tuple[EntityType, str], found: Mapping[int, str], label: str, action: str
    ) -> None:
        """F1: an attention item for each CRM record (``label`` with its ``{id}``) whose
        data could not be understood; ``what`` is its type and its items' key prefix."""
        entity_type, prefix = what
        for crm_id, why in sorted(found.items()):
            self.attention(
                Flow.F1,
                entity_type,
                f"{prefix}{crm_id}",
                record_id=str(crm_id),
                record_label=label.format(id=crm_id),
                field=nz.label("rows"),
                message=why,
                action=action,
            )

    def is_blocked(self, op_id: str) -> bool:
        """Held back by an item raised so far (or skipped by the person)."""
        return op_id in self.skipped or op_id in self._blocks

    def build(self, matches: Matches | None = None) -> Plan:
        cause = {b: i.key for i in self.items.values() for b in i.blocks}  # op id -> item
        blocked = set(cause) | self.skipped
        decisions = self.settings.decisions
        for op in self.ops.values() if decisions else ():  # a refused write, skipped
            d = decisions.get(f"{op.flow.value}:refused:{op.op_id}")
            if d is not None and d.action == "skip" and d.changes == planned_changes(op):
                blocked.add(op.op_id)
        # An operation that depends on a blocked one is blocked too.
        dependent = [op for op in self.ops.values() if op.depends_on]
        changed = True
        while changed:
            changed = False
            for op in dependent:
                if op.op_id not in blocked:
                    held = [d for d in op.depends_on if d in blocked]
                    if held:  # (most: none; no generator made for them)
                        dep = next((d for d in held if d in cause), held[0])
                        blocked.add(op.op_id)
                        changed = True
                        if dep in cause:  # waits for the item its dependency waits for
                            cause[op.op_id] = cause[dep]
        ops = tuple(op for op in self.ops.values() if op.op_id not in blocked)
        return Plan(
            # every dependency of an operation not held is not held either: ``self.ops``
            # finds them as a table of ``ops`` would (not made again: 100,000 entries)
            operations=topological(ops, self.ops),
            items=tuple(sorted(self.items.values(), key=lambda i: (i.flow, i.key))),
            flows=self.settings.flows,
            full=self.settings.full,
            matches=matches,
            # without their payloads: what only a writer reads, and nothing writes a held
            # operation (the large first sync's 6,922: issue 18, memory)
            held=tuple(
                (replace(op, payload=NO_PAYLOAD), cause[op.op_id])
                for op in self.ops.values()
                if op.op_id in cause
            ),
            notes=tuple(self.notes),
        )


def planned_changes(op: Operation) -> dict[str, Any]:
    """What an operation would write, as the journal keeps it (field → new value)."""
    return {c.field: c.after for c in op.changes}


def topological(
    ops: tuple[Operation, ...], by_id: Mapping[str, Operation] | None = None
) -> tuple[Operation, ...]:
    """Dependencies first; otherwise keep the planner's (deterministic) order. ``by_id``:
    the operations by id, when the caller has them (it may hold more, but none that an
    operation of ``ops`` depends on)."""
    if by_id is None:
        by_id = {op.op_id: op for op in ops}
    done: set[str] = set()
    out: list[Operation] = []

    def visit(op: Operation, trail: tuple[str, ...] = ()) -> None:
        if op.op_id in done:
            return
        if op.op_id in trail:
            raise ValueError(f"dependency cycle through {op.op_id}")
        for dep in op.depends_on:
            if dep in by_id:
                visit(by_id[dep], (*trail, op.op_id))
        done.add(op.op_id)
        out.append(op)

    for op in ops:
        if op.op_id in done:
            continue
        for dep in op.depends_on:
            if dep in by_id and dep not in done:
                visit(op)
                break
        else:  # nothing to put first (most operations: none, or all placed already)
            done.add(op.op_id)
            out.append(op)
    return tuple(out)
