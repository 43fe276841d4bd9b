"""The window's tables: rows that pair a 1C record with its CRM record, and their states.

Pure Python, no Qt, no I/O. A :class:`Table` holds rows that pair a 1C record
with the CRM record it is linked (or matched) to; each row carries native values
(``Decimal``, ``date``) for both sides, its sync state and a short note. The GUI
only formats and sorts them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from desktop_sync.i18n import N_, tr

COUNTERPARTY = "counterparty"
PRODUCT = "product"
INVOICE = "invoice"
DEAL = "deal"  # F9: a CRM deal sent to 1C as an invoice or order
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
    kind: str  # "conflict" | "attention" | "error" | "planned" | "note"
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
    Column("record", N_("Record")),  # a smart invoice or a deal (F9) on the CRM side
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
