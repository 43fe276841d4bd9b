"""Timeline comments with files (the printed invoice, F11): what the portal accepts,
shows back and refuses — through our client and on the wire."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

import httpx
import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.errors import Bitrix24Error
from desktop_sync.domain.vat import VatRate
from desktop_sync.printing import (
    BankAccount,
    InvoiceRow,
    Party,
    PrintableInvoice,
    render_invoice_pdf,
)
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox

PDF = render_invoice_pdf(
    PrintableInvoice(
        "28",
        dt.date(2026, 3, 3),
        Party("ООО «Ромашка»", "7701234567", "770101001"),
        BankAccount("40702810900000012345", "ПАО СБЕРБАНК", "044525225", "30101810400000000225"),
        Party("ООО «Д'Артаньян»", "5001007322", "500101001"),
        [
            InvoiceRow(
                "Бумага", Decimal(1), "шт", Decimal(122), Decimal(122), VatRate.VAT22, Decimal(22)
            )
        ],
    )
)


def _invoice_id(portal: Bitrix24Sandbox) -> int:
    return min(portal.store.items.rows)


def test_a_comment_carries_the_pdf_and_lists_it_back(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    invoice_id = _invoice_id(portal)
    comment_id = client.timeline.add_comment(
        invoice_id, "Счёт № 28 от 03.03.2026 (PDF)", [("Счёт_28_от_03.03.2026.pdf", PDF)]
    )
    (comment,) = [c for c in client.timeline.comments(invoice_id) if c.id == comment_id]
    assert comment.text == "Счёт № 28 от 03.03.2026 (PDF)"
    (file,) = comment.files
    assert file.name == "Счёт_28_от_03.03.2026.pdf" and file.size == len(PDF)
    assert portal.store.files[file.id] == ("Счёт_28_от_03.03.2026.pdf", PDF)
    plain = client.timeline.add_comment(invoice_id, "без файла")
    assert [c.files for c in client.timeline.comments(invoice_id) if c.id == plain] == [()]


def test_get_shows_files_keyed_by_id(portal: Bitrix24Sandbox, http: httpx.Client) -> None:
    body = {
        "fields": {
            "ENTITY_ID": _invoice_id(portal),
            "ENTITY_TYPE": "dynamic_31",
            "COMMENT": "Счёт",
            "FILES": [["счёт.pdf", base64.b64encode(PDF).decode()]],
        }
    }
    r = http.post(portal.webhook + "crm.timeline.comment.add", json=body)
    assert r.status_code == 200, r.text
    got = http.post(portal.webhook + "crm.timeline.comment.get", json={"id": r.json()["result"]})
    files = got.json()["result"]["FILES"]
    ((key, file),) = files.items()
    assert file["id"] == key and file["name"] == "счёт.pdf" and file["size"] == str(len(PDF))
    assert file["urlDownload"] and file["urlShow"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ENTITY_TYPE": "invoice_x"}, "ENTITY_TYPE"),
        ({"ENTITY_ID": 999999}, "not found"),
        ({"FILES": [["счёт.pdf", "это не base64!"]]}, "file"),
    ],
)
def test_refused_as_the_portal_refuses(
    portal: Bitrix24Sandbox, http: httpx.Client, change: dict[str, object], message: str
) -> None:
    fields: dict[str, object] = {
        "ENTITY_ID": _invoice_id(portal),
        "ENTITY_TYPE": "dynamic_31",
        "COMMENT": "Счёт",
        "FILES": [["счёт.pdf", base64.b64encode(PDF).decode()]],
    }
    fields.update(change)
    r = http.post(portal.webhook + "crm.timeline.comment.add", json={"fields": fields})
    assert r.status_code == 400
    assert message.casefold() in r.json()["error_description"].casefold()


def test_the_client_says_which_invoice(client: Bitrix24Client) -> None:
    with pytest.raises(Bitrix24Error) as err:
        client.timeline.add_comment(999999, "Счёт", [("счёт.pdf", PDF)])
    assert "999999" in str(err.value)


def test_list_shows_the_files_and_a_missing_invoice_is_refused(
    portal: Bitrix24Sandbox, http: httpx.Client
) -> None:
    invoice_id = _invoice_id(portal)
    fields = {
        "ENTITY_ID": invoice_id,
        "ENTITY_TYPE": "dynamic_31",
        "COMMENT": "Счёт (PDF)",
        "FILES": [["счёт.pdf", base64.b64encode(PDF).decode()]],
    }
    made = http.post(portal.webhook + "crm.timeline.comment.add", json={"fields": fields})
    listed = http.post(
        portal.webhook + "crm.timeline.comment.list",
        json={"filter": {"ENTITY_ID": invoice_id, "ENTITY_TYPE": "dynamic_31"}},
    ).json()["result"]
    (row,) = [r for r in listed if int(r["ID"]) == made.json()["result"]]
    (file,) = row["FILES"].values()
    assert {"id", "name", "size", "urlDownload"} <= set(file) and file["name"] == "счёт.pdf"
    missing = http.post(
        portal.webhook + "crm.timeline.comment.list",
        json={"filter": {"ENTITY_ID": 999999, "ENTITY_TYPE": "dynamic_31"}},
    )
    assert missing.status_code == 400


def test_a_body_over_the_limit_gets_nginx_413_and_nothing_is_made(
    portal: Bitrix24Sandbox, client: Bitrix24Client
) -> None:
    invoice_id = _invoice_id(portal)
    before = len(portal.store.comments.rows)
    portal.portal.max_body = 4096  # the front server's client_max_body_size, made small
    with pytest.raises(Bitrix24Error) as err:
        client.timeline.add_comment(invoice_id, "Счёт", [("счёт.pdf", PDF)])
    assert "413" in str(err.value)
    assert len(portal.store.comments.rows) == before
    client.timeline.add_comment(invoice_id, "без файла")  # small: accepted
    assert len(portal.store.comments.rows) == before + 1
