"""An invoice or deal the sync cannot understand is named, with why, and left out; the
others are read (both through ``mapping.readable``)."""

from __future__ import annotations

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client, mapping
from desktop_sync.connectors.bitrix24.deals import deal_of
from desktop_sync.connectors.bitrix24.errors import Bitrix24BadResponse
from desktop_sync.connectors.bitrix24.invoices import Invoices
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox


def test_a_broken_invoice_is_named_and_the_others_read(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    items = [dict(i) for i in client.rest.scan("crm.item.list", {"entityTypeId": 31},
                                               id_field="id", items_key="items")]  # fmt: skip
    broken = {**items[0], "opportunity": "сто рублей"}
    unreadable: dict[int, str] = {}
    read = Invoices.of([broken, *items[1:]], {}, unreadable)
    assert len(read) == len(items) - 1
    number = broken.get("accountNumber") or broken["id"]
    assert list(unreadable) == [int(broken["id"])]
    assert unreadable[int(broken["id"])].startswith(f"{number}: ")
    with pytest.raises(Bitrix24BadResponse):
        Invoices.of([broken], {})


def test_a_broken_deal_is_named_by_its_title() -> None:
    unreadable: dict[int, str] = {}
    broken = {"ID": "7", "TITLE": "Сделка 7", "OPPORTUNITY": "много"}
    assert mapping.readable([broken], {}, deal_of, ("ID", "TITLE"), unreadable) == []
    assert list(unreadable) == [7] and unreadable[7].startswith("Сделка 7: ")
