"""Finding records by the keys they carry, many at once, before creating them.

A create looks its key up first (a plan made before another run's creates, a profile
added again, a lost journal): companies by ``ORIGINATOR_ID``/``ORIGIN_ID``, their
requisites by ``XML_ID``, catalog products by ``xmlId``. One batch request answers
25 companies (two lists each) or 50 products, so a batch of 25 creates costs one
request more, not 25.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from desktop_sync.connectors.bitrix24 import mapping
from desktop_sync.connectors.bitrix24.envelope import BatchReply, Params

if TYPE_CHECKING:  # the client offers these look-ups as its own (the CRM port's)
    from desktop_sync.connectors.bitrix24.client import Bitrix24Client


def _first_id(rows: Any, key: str = "ID") -> int | None:
    if isinstance(rows, dict):  # catalog lists answer {"products": [...]}
        rows = rows.get("products") or []
    if not isinstance(rows, list) or not rows:
        return None
    return mapping.as_int(rows[0].get(key))


def _read(client: Bitrix24Client, commands: dict[str, tuple[str, Params]], what: str) -> BatchReply:
    reply = client.batch_all(commands, what=what)
    if reply.errors:  # a look-up that failed is no answer: nothing may be created blindly
        raise next(iter(reply.errors.values()))
    return reply


def companies_by_origin(
    client: Bitrix24Client, originator_id: str, origin_ids: Sequence[str]
) -> dict[str, tuple[int | None, int | None]]:
    """``origin id -> (company id, requisite id)`` for those found either way."""
    commands: dict[str, tuple[str, Params]] = {}
    for n, origin in enumerate(origin_ids):
        commands[f"c{n}"] = (
            "crm.company.list",
            {
                "filter": {"=ORIGINATOR_ID": originator_id, "=ORIGIN_ID": origin},
                "select": ["ID"],
                "order": {"ID": "ASC"},
                "start": -1,
            },
        )
        commands[f"r{n}"] = (
            "crm.requisite.list",
            {"filter": {"=XML_ID": origin}, "select": ["ID"], "order": {"ID": "ASC"}, "start": -1},
        )
    if not commands:
        return {}
    reply = _read(client, commands, "companies by their 1C key")
    out: dict[str, tuple[int | None, int | None]] = {}
    for n, origin in enumerate(origin_ids):
        company = _first_id(reply.results.get(f"c{n}"))
        requisite = _first_id(reply.results.get(f"r{n}"))
        if company is not None or requisite is not None:
            out[origin] = (company, requisite)
    return out


def products_by_xml_id(client: Bitrix24Client, xml_ids: Sequence[str]) -> dict[str, int]:
    """``xmlId -> product id`` for the products found."""
    if not xml_ids:
        return {}
    iblock = client.catalog.product_iblock()
    commands: dict[str, tuple[str, Params]] = {
        f"p{n}": (
            "catalog.product.list",
            {
                "select": ["id", "iblockId"],
                "start": -1,
                "filter": {"iblockId": iblock, "=xmlId": x},
            },
        )
        for n, x in enumerate(xml_ids)
    }
    reply = _read(client, commands, "products by their 1C key")
    out: dict[str, int] = {}
    for n, xml_id in enumerate(xml_ids):
        found = _first_id(reply.results.get(f"p{n}"), "id")
        if found is not None:
            out[xml_id] = found
    return out
