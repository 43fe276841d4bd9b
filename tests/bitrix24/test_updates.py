"""Single-record writes of many records in batch requests (connectors/bitrix24/updates.py),
against the sandbox portal: what a batch's query string cannot carry (a field to clear,
a ``$`` in a text) goes call by call, and the portal ends up as asked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.updates import Updates, batchable, invoice_fields, sync_fields
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox


def _invoice(client: Bitrix24Client, n: int) -> int:
    return client.invoices.add_invoice(
        {"title": f"Счёт {n}", "companyId": 2, "stageId": "DT31_1:N"}, xml_id=f"ds:upd:{n}"
    )


def test_fields_are_set_and_cleared_many_to_a_batch(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    client.userfields.setup_custom_fields()
    ids = [_invoice(client, n) for n in range(3)]
    paid = {
        "paid": Decimal("10.00"),
        "payments": ("No. 1: 10,00 ₽",),
        "last_payment_date": dt.date(2026, 3, 4),
    }
    updates = Updates(client.rest)
    assert (
        updates.run([[invoice_fields(i, sync_fields(paid))] for i in ids], "invoices") == [None] * 3
    )
    portal.stats.reset()
    cleared = {"paid": Decimal("0.00"), "payments": (), "last_payment_date": None}
    renamed = {"sync_status": "отправлен в 1С", "onec_number": "A$1"}
    plain = {"sync_status": "отправлен в 1С", "onec_number": "17"}
    writes = [
        [invoice_fields(ids[0], sync_fields(cleared))],
        [invoice_fields(ids[1], sync_fields(renamed))],
        [
            invoice_fields(ids[2], sync_fields(plain)),
            invoice_fields(ids[2], {"stageId": "DT31_1:S"}),
        ],
    ]
    assert updates.run(writes, "invoices") == [None] * 3
    assert portal.stats.calls["batch"] == 1  # the plain one
    assert portal.stats.calls["crm.item.update"] == 2  # the two a batch cannot carry
    first, second, third = (client.invoices.get(i) for i in ids)
    assert first.fields.payments == [] or first.fields.payments == ()
    assert first.fields.last_payment_date is None and first.fields.paid == Decimal("0.00")
    assert second.fields.onec_number == "A$1"
    assert third.fields.onec_number == "17" and third.stage_id == "DT31_1:S"


def test_what_a_batch_cannot_carry() -> None:
    assert batchable({"fields": {"a": 1, "b": [1, 2], "c": Decimal(1)}})
    assert not batchable({"fields": {"a": None}})
    assert not batchable({"fields": {"a": []}})
    assert not batchable({"fields": {"a": "x$y"}})
