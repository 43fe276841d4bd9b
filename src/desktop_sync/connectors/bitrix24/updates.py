"""Single-record writes of many records (an invoice's sync fields or stage, a payment
marked paid), 50 commands to a batch request, one outcome per record.

A record's commands are independent of other records'; Bitrix24 runs a batch's
commands in order, so a record's two commands (its fields, then its stage) keep
their order. A batch whose answer is lost leaves its records' outcome unknown
(``Bitrix24ServerError`` with ``outcome_unknown``): updates set values, so the next
run simply plans what still differs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from desktop_sync.connectors.bitrix24.envelope import Params, outcome
from desktop_sync.connectors.bitrix24.fields import SYNC_FIELDS
from desktop_sync.connectors.bitrix24.invoices import INVOICE
from desktop_sync.connectors.bitrix24.rest import RestClient

Command = tuple[str, Params]

_BY_KEY = {f.key: f for f in SYNC_FIELDS}


def sync_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """Our custom fields by their keys (``paid=Decimal(…)``) as the invoice's fields."""
    fields: dict[str, Any] = {}
    for key, value in values.items():
        spec = _BY_KEY[key]
        if isinstance(value, dt.date):
            value = value.isoformat()
        fields[spec.camel] = list(value) if spec.multiple else value
    return fields


def invoice_fields(invoice_id: int, fields: Mapping[str, Any]) -> Command:
    """``crm.item.update`` of a smart invoice's fields."""
    return "crm.item.update", {"entityTypeId": INVOICE, "id": invoice_id, "fields": dict(fields)}


def payment_paid(payment_id: int, paid: bool) -> Command:
    return ("crm.item.payment.pay" if paid else "crm.item.payment.unpay"), {"id": payment_id}


class Updates:
    """Many records' single writes in few batch requests."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest

    def run(self, writes: Sequence[Sequence[Command]], what: str) -> list[Exception | None]:
        """Each record's commands; its outcome: None (all done) or its first error."""
        commands: dict[str, Command] = {
            f"w{n}x{k}": command
            for n, record in enumerate(writes)
            for k, command in enumerate(record)
        }
        if not commands:
            return [None for _ in writes]
        methods = ", ".join(sorted({method for method, _params in commands.values()}))
        reply = self.rest.batch_all(commands, what=f"{methods}: {what}")
        out: list[Exception | None] = []
        for n, record in enumerate(writes):
            errors = (outcome(reply, f"w{n}x{k}", lambda _r: 1) for k in range(len(record)))
            out.append(next((e for e in errors if isinstance(e, Exception)), None))
        return out
