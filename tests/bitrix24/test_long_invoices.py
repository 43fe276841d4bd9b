"""An invoice of many rows: ``crm.item.productrow.set`` carries about ten variables a
row, so from 100 rows on its batch command is over the 1,000 variables PHP's
``parse_str`` keeps (``max_input_vars``); a real portal would set only the first rows.
Such a command goes alone, its parameters as JSON, which PHP does not count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.encoding import MAX_VARS, http_build_query, variables
from desktop_sync.connectors.bitrix24.mapping import rows_set
from desktop_sync.crm.changes import InvoiceRows, InvoiceStage
from desktop_sync.crm.types import InvoiceDraft
from desktop_sync.domain.entities import InvoiceLine, make_line
from desktop_sync.domain.vat import VatRate
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox

ROWS = 130


def _lines(count: int = ROWS) -> tuple[InvoiceLine, ...]:
    return tuple(
        make_line(n, f"Товар {n}", Decimal(2), Decimal("10.50"), VatRate.VAT22)
        for n in range(1, count + 1)
    )


def _rows_on_portal(portal: Bitrix24Sandbox, invoice_id: int) -> int:
    return sum(
        1
        for r in portal.store.product_rows
        if r["ownerType"] == "SI" and int(r["ownerId"]) == invoice_id
    )


def test_variables_are_what_parse_str_counts() -> None:
    params = rows_set("SI", 5, _lines())[1]
    assert variables(params) == http_build_query(params).count("&") + 1 > MAX_VARS
    assert variables({"a": None, "b": [], "c": {"d": [1, None, True]}}) == 2


def test_the_rows_of_a_long_invoice_are_all_set(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    invoice_id = client.invoices.add_invoice({"title": "Много строк", "companyId": 2}, xml_id="k")
    stage = client.invoices.get(invoice_id).stage_id
    short = client.invoices.add_invoice({"title": "Мало строк", "companyId": 2}, xml_id="s")
    outcomes = client.changes.write(
        [
            [InvoiceRows(invoice_id, _lines()), InvoiceStage(invoice_id, stage)],
            [InvoiceRows(short, _lines(3))],
        ],
        "invoices",
    )
    assert outcomes == [None, None]
    assert _rows_on_portal(portal, invoice_id) == ROWS
    assert _rows_on_portal(portal, short) == 3


def test_an_invoice_from_1c_with_many_rows_gets_them_all(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    client.userfields.setup_custom_fields()

    def draft(key: str) -> InvoiceDraft:
        return InvoiceDraft(key, key, dt.date(2026, 3, 1), 2, None, "", None, "RUB", {})

    made = client.invoices.add_drafts(
        [(draft("long"), _lines(), None), (draft("short"), _lines(2), None)]
    )
    assert all(isinstance(m, int) for m in made)
    assert [_rows_on_portal(portal, int(m)) for m in made] == [ROWS, 2]
