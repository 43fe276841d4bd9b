"""The read keeps of each invoice and product row only the fields it maps (issue 18:
the large set's CRM read held every field of 16,667 invoices and 33,333 rows until
the end, 220 MB more RSS for 76 MB of records kept).

Mapping a field the lists do not keep would silently read it as empty: every field
the mapping reads must be in ``mapping.ITEM_FIELDS`` / ``mapping.LINE_FIELDS``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from desktop_sync.connectors.bitrix24 import Bitrix24Client, mapping
from desktop_sync.connectors.bitrix24.paging import scan_together
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox


class _Reads(Mapping[str, Any]):
    """A row that remembers which fields were read from it."""

    def __init__(self, row: Mapping[str, Any], seen: set[str]) -> None:
        self._row, self._seen = row, seen

    def __getitem__(self, key: str) -> Any:
        self._seen.add(key)
        return self._row[key]

    def get(self, key: str, default: Any = None) -> Any:
        self._seen.add(key)
        return self._row.get(key, default)

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the mapping walked every field of a row")

    def __len__(self) -> int:
        return len(self._row)


def _whole(client: Bitrix24Client) -> tuple[list[dict[str, Any]], dict[int, list[dict[str, Any]]]]:
    """Every invoice and product row with all the fields the portal sends."""
    items = scan_together(client.rest, {"i": client.invoices.item_scan()}).rows["i"]
    scans = client.invoices.row_scans([int(i["id"]) for i in items])
    got = scan_together(client.rest, scans).rows
    return items, client.invoices.rows_by_owner(r for rows in got.values() for r in rows)


def test_the_mapping_reads_only_the_fields_kept(
    medium: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    items, lines = _whole(make_client(medium.add_webhook(), throttle=False))
    item_seen: set[str] = set()
    line_seen: set[str] = set()
    for item in items[:200]:
        rows = [_Reads(r, line_seen) for r in lines.get(int(item["id"]), [])]
        mapping.invoice(_Reads(item, item_seen), rows)
    assert line_seen and item_seen
    assert line_seen <= set(mapping.LINE_FIELDS)
    assert item_seen <= set(mapping.ITEM_FIELDS)


def test_the_read_keeps_fewer_fields_and_maps_the_same_invoices(
    medium: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    client = make_client(medium.add_webhook(), throttle=False)
    items, lines = _whole(client)
    assert set(items[0]) - set(mapping.ITEM_FIELDS)  # the portal sends more than is kept
    read = client.read_lists(stores=False)
    assert read.invoices == client.invoices.of(items, lines)
    assert len(read.invoices) == len(medium.store.items)


def test_a_list_cut_to_its_fields_keeps_its_paging_id(
    medium: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    client = make_client(medium.add_webhook(), throttle=False)
    scan = client.invoices.item_scan()
    got = scan_together(client.rest, {"i": replace(scan, keep=("title",))}).rows["i"]
    assert len(got) == len(medium.store.items)
    assert all(set(r) <= {"id", "title"} and "id" in r for r in got)
