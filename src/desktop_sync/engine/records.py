"""What the door hands the fronts from the journal and the systems: plain frozen records.

The journal's rows are ORM objects bound to a session; the CLI and the window get
these copies instead (no session, no lazy loading, nothing to close). JSON columns
(a field's value on each side, an operation's before/after) stay JSON: ``Json``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any, Self

from desktop_sync.connectors.bitrix24.check import CheckReport as CrmCheck
from desktop_sync.connectors.onec.client import CheckReport as OnecCheck
from desktop_sync.domain.entities import Invoice
from desktop_sync.engine import normalize
from desktop_sync.engine.decisions import DecisionRefused, ItemView
from desktop_sync.engine.decisions import check as check_decision
from desktop_sync.engine.lookup import InvoiceLookupError, InvoiceStatus, PaymentLine
from desktop_sync.engine.model import (
    COUNT_KEYS,
    Flow,
    Item,
    ItemKind,
    Operation,
    OpKind,
    Outcome,
    Plan,
    Progress,
    ProgressFn,
    RunSummary,
    Stage,
    System,
    confirmable,
)
from desktop_sync.engine.snapshot import Snapshot, requisites_of
from desktop_sync.journal import LinkValues
from desktop_sync.journal.db import JournalDamaged
from desktop_sync.printing import PrintableInvoice

# The door's vocabulary is named here too (the plan and its parts, a run's summary and
# progress, the invoice lookup's answer), so that a front imports it from the door.

Json = Any  # a value decoded from a JSON column: str, number, Decimal, list, dict or None


class _FromRow:
    """``Record.of(row)``: the record's fields taken by name from a journal row."""

    __slots__ = ()

    @classmethod
    def of(cls, row: object) -> Self:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class RunRecord(_FromRow):
    """One synchronisation run (a dry run or an apply) as the journal keeps it."""

    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    trigger: str  # manual | schedule | cli
    started_by: str
    mode: str  # dry_run | apply
    outcome: str  # running | done | waiting | partial | cannot_connect | cancelled | crashed
    counts: dict[str, Json]
    message: str
    app_version: str


@dataclass(frozen=True, slots=True)
class OperationRecord(_FromRow):
    """One write a run planned or made."""

    id: int
    run_id: int
    flow: str
    kind: str
    target_system: str  # onec | crm
    entity_type: str
    source_id: str
    target_id: str
    idempotency_key: str
    reason: str
    before: dict[str, Json] | None
    after: dict[str, Json] | None
    state: str
    error: str
    attempts: int
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class InboxRecord(_FromRow):
    """A conflict or an attention item waiting for (or decided by) a person."""

    id: int
    run_id: int | None
    kind: str  # conflict | attention
    flow: str
    entity_type: str
    record_id: str
    record_label: str
    field: str
    onec_value: Json
    crm_value: Json
    base_value: Json
    message: str
    action: str
    dedup_key: str
    state: str  # open | resolved
    resolution: dict[str, Json] | None
    resolved_by: str = ""  # user@machine (a shared journal: which workstation decided)
    resolved_at: dt.datetime | None = None

    @property
    def is_conflict(self) -> bool:
        return self.kind == "conflict"

    @property
    def confirmable(self) -> bool:
        """Only a proposal (a link by name, a payment allocation) can be confirmed."""
        return confirmable(self.dedup_key)

    def allows(self, action: str) -> bool:
        """Whether the engine can carry out this decision (``engine/decisions.py``): the
        window disables a button for one it cannot rather than refuse it after the click."""
        view = ItemView(
            self.dedup_key, self.kind, self.entity_type, self.field, self.record_label, self.action
        )
        try:
            check_decision(view, action, "-" if action == "value" else None)
        except DecisionRefused:
            return False
        return True


@dataclass(frozen=True, slots=True)
class Choice:
    """Something a setting can point at: a CRM stage, a CRM store, a 1C warehouse."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class SettingChoices:
    """What the connection settings offer, read from both systems."""

    stages: tuple[Choice, ...]  # the CRM invoice stages
    stores: tuple[Choice, ...]  # the CRM stores (inventory)
    warehouses: tuple[str, ...]  # the 1C warehouses, by name
    deal_stages: tuple[Choice, ...] = ()  # F9: every deal pipeline's stages («Опт: …»)


@dataclass(frozen=True, slots=True)
class Checked:
    """What ``check`` found on each side (the problems to fix, in each report)."""

    onec: OnecCheck
    crm: CrmCheck


@dataclass(frozen=True, slots=True)
class ForPrint:
    """A 1C invoice ready to print, and how the lookup found it."""

    printable: PrintableInvoice
    invoice: Invoice
    found: InvoiceStatus


__all__ = [
    "COUNT_KEYS",
    "Checked",
    "Choice",
    "DecisionRefused",
    "Flow",
    "ForPrint",
    "InboxRecord",
    "InvoiceLookupError",
    "InvoiceStatus",
    "Item",
    "ItemKind",
    "ItemView",
    "JournalDamaged",
    "Json",
    "LinkValues",
    "OpKind",
    "Operation",
    "OperationRecord",
    "Outcome",
    "PaymentLine",
    "Plan",
    "Progress",
    "ProgressFn",
    "RunRecord",
    "RunSummary",
    "SettingChoices",
    "Snapshot",
    "Stage",
    "System",
    "check_decision",
    "confirmable",
    "normalize",
    "requisites_of",
]
