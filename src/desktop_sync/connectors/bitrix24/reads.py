"""What a synchronisation reads from Bitrix24, in the fewest requests.

Every list the sync needs — companies, requisites (a full read: the contacts' too),
products, base prices, invoices, the CRM's custom fields, and stores and stock when
asked — is read by the ID scan, the lists sharing each batch request
(``paging.scan_together``); the catalog's reference lists and the inventory mode ride
in the first batch. With ``since``, each list is a probe of what changed since then
(one page expected). Then one follow-up read, only if something changed: the rows of
the invoices read, the companies touched (whole, with every requisite) and the stock if
a store document moved. A sync with nothing changed reads everything it needs in one request.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from desktop_sync.connectors.bitrix24 import mapping
from desktop_sync.connectors.bitrix24.companies import with_requisites
from desktop_sync.connectors.bitrix24.envelope import IN_LIST, BatchReply, Params
from desktop_sync.connectors.bitrix24.errors import (
    Bitrix24Error,
    Bitrix24NotFound,
    Bitrix24RequestError,
)
from desktop_sync.connectors.bitrix24.invoices import INVOICE
from desktop_sync.connectors.bitrix24.mapping import ITEM_FIELDS, LINE_FIELDS
from desktop_sync.connectors.bitrix24.paging import Follow, ListScan, Together, scan_together
from desktop_sync.crm.types import CrmCompany, CrmInvoice, CrmLists, Known, Stage

if TYPE_CHECKING:  # the client offers this read as its own (the CRM port's)
    from desktop_sync.connectors.bitrix24.client import Bitrix24Client

_PART = 500  # invoices mapped at a time, their raw rows let go after


def read_lists(
    client: Bitrix24Client,
    since: dt.datetime | None = None,
    *,
    known: Known | None = None,
    stores: bool = True,
    stock: bool = False,
    stock_since: str = "",
) -> CrmLists:
    """Every list of a sync in as few batch requests as their pages allow.

    ``stock``: the stock balances are wanted; with ``stock_since`` (the portal's time
    of the last stock read) they are read only if a store document was conducted or
    cancelled since, else ``stock`` is None in the answer (the last read stands).
    """
    known = known or Known()
    got, chained = _first(client, since, stores=stores, stock=stock, stock_since=stock_since)
    rows = got.rows
    contacts = _contact_requisites(rows) if since is None else None
    out = _lists_of(client, got, since, stores=stores)
    out.contact_requisites = contacts
    items = [i for i in rows.pop("items") if _new_item(i, known)]
    changed, owners = _touched(rows, known) if since is not None else ({}, [])
    out.contact_inns = _contact_inns(rows)
    moved = stock and bool(stock_since) and bool(rows["documents"])
    for done in ("products", "prices", "requisites", "new_requisites", "links", "fields"):
        rows.pop(done, None)  # mapped: the raw rows go before the invoices are mapped
    unread = [] if chained else [int(i["id"]) for i in items]
    more = _follow_up(client, unread, changed, owners, moved)
    out.requests += more.requests
    reqs = [r for k, v in more.rows.items() if k.startswith("r") for r in v]
    found = [r for k, v in more.rows.items() if k.startswith("c") for r in v]
    if owners:
        out.companies = _companies([*changed.values(), *found], reqs)
    rows.pop("companies", None)
    del changed, found, reqs
    if stock and (not stock_since or moved):
        first = "stock" in rows
        amounts = rows.pop("stock") if first else more.rows.pop("stock")
        out.stock = client.inventory.amounts_of(amounts)
        out.stock_at = got.started if first else more.started
    if chained:
        out.contacts = _contacts(rows)
    lines = client.invoices.rows_by_owner(_popped_rows(rows, more.rows))
    out.invoices = _invoices(client, items, lines, out.unreadable)
    return out


def _contact_requisites(rows: dict[str, list[dict[str, Any]]]) -> list[tuple[int, str]]:
    """(contact, ИНН) of the contacts' requisites a full read listed with the companies'
    (those stay in ``rows["requisites"]``). The 1C private persons' contacts are found
    among them (engine/read_persons): every requisite is one list, its pages known from
    its first, where the look-up by ИНН was a request of its own after the read."""
    companies: list[dict[str, Any]] = []
    contacts: set[tuple[int, str]] = set()
    for r in rows["requisites"]:
        kind = mapping.as_int(r.get("ENTITY_TYPE_ID"))
        if kind == 4:
            companies.append(r)
        elif kind == 3 and (owner := mapping.as_int(r.get("ENTITY_ID"))):
            contacts.add((owner, str(r.get("RQ_INN") or "").strip()))
    rows["requisites"] = companies
    return sorted(contacts)


def _contact_inns(rows: dict[str, list[dict[str, Any]]]) -> list[tuple[int, str]]:
    """(contact, ИНН) of the contacts' requisites changed or added since (popped)."""
    found = {
        (owner, str(r.get("RQ_INN") or "").strip())
        for key in ("person_DATE_MODIFY", "person_DATE_CREATE")
        for r in rows.pop(key, ())
        if (owner := mapping.as_int(r.get("ENTITY_ID")))
    }
    return sorted(found)


def _contacts(rows: dict[str, list[dict[str, Any]]]) -> list[CrmCompany]:
    """The contacts the invoices' batches brought (keys ``k…``), with their requisites."""
    keys = [k for k in rows if k[0] == "k"]
    contacts = [r for k in keys if k.endswith("contacts") for r in rows[k]]
    reqs = [r for k in keys if k.endswith("requisites") for r in rows[k]]
    for key in keys:
        del rows[key]
    return with_requisites(contacts, reqs, mapping.contact)


def _invoices(
    client: Bitrix24Client,
    items: list[dict[str, Any]],
    lines: dict[int, list[dict[str, Any]]],
    unreadable: dict[int, str],
) -> list[CrmInvoice]:
    """The invoices mapped in parts, each part's raw rows let go once mapped (the raw
    and the mapped invoices of the large set are never all alive together)."""
    out: list[CrmInvoice] = []
    items.reverse()
    while items:
        part = items[-_PART:][::-1]
        del items[-_PART:]
        mine = {i: lines.pop(i, []) for i in (int(r["id"]) for r in part)}
        out.extend(client.invoices.of(part, mine, unreadable))
    return out


def _popped_rows(
    *lists: dict[str, list[dict[str, Any]]],
) -> Iterator[dict[str, Any]]:
    """The invoices' product rows (keys ``g…``), each list let go once taken."""
    for got in lists:
        for key in [k for k in got if k[0] == "g"]:
            yield from got.pop(key)


def _first(
    client: Bitrix24Client,
    since: dt.datetime | None,
    *,
    stores: bool,
    stock: bool,
    stock_since: str,
) -> tuple[Together, bool]:
    """The first batch, and whether the invoices' rows came chained in the lists'
    batches (a full read does so unless the portal refuses a list of owners)."""
    chained = since is None
    try:
        got = _probe(client, since, stores=stores, stock=stock, stock_since=stock_since,
                     rows=chained)  # fmt: skip
    except (Bitrix24RequestError, Bitrix24NotFound) as exc:
        if not chained or exc.method != "crm.item.productrow.list":
            raise
        chained = False  # a portal that refuses a list of owners: rows read after
        got = _probe(client, since, stores=stores, stock=stock, stock_since=stock_since)
    return got, chained


def _lists_of(
    client: Bitrix24Client, got: Together, since: dt.datetime | None, *, stores: bool
) -> CrmLists:
    """The answer as far as the first batch tells it (invoices and stock come after)."""
    rows = got.rows
    full = since is None
    prices = client.catalog.prices_of(rows["prices"])
    client.catalog.keep_price_rows(rows["prices"])
    return CrmLists(
        companies=_companies(rows["companies"], rows["requisites"]) if full else [],
        products=client.catalog.products_of(rows["products"], prices),
        prices=prices,
        stores=client.inventory.stores_of(rows["stores"]) if stores else None,
        stages=_stages(client, got.extra) if stores else None,
        chosen=_chosen(rows["links"]) if full else None,
        read_at=got.started,
        requests=got.requests,
        keys=_keys(rows) if full else None,
    )


def _probe(
    client: Bitrix24Client,
    since: dt.datetime | None,
    *,
    stores: bool,
    stock: bool,
    stock_since: str,
    rows: bool = False,
) -> Together:
    """The first batch: every list (from ``since``), the reference lists and checks;
    ``rows``: the rows of the invoices listed, each batch's in the next (``_rows_of``)."""
    pages = 1.0 if since is not None else math.inf
    lists, extra, settle = client.catalog.scans(since, pages=pages)
    lists["companies"] = client.companies.company_scan(since, pages)
    # A full read lists every requisite, the contacts' too (``_contact_requisites``).
    kinds = 4 if since is not None else None
    lists["requisites"] = client.companies.requisite_scan(kinds, since, "DATE_MODIFY", pages)
    if since is not None:  # a requisite added later has no DATE_MODIFY on every portal
        lists["new_requisites"] = client.companies.requisite_scan(4, since, "DATE_CREATE", 1)
        for stamp in ("DATE_MODIFY", "DATE_CREATE"):  # contacts': read_persons asks again
            lists[f"person_{stamp}"] = client.companies.requisite_scan(3, since, stamp, 1)
    lists["items"] = replace(client.invoices.item_scan(since, pages=pages), keep=ITEM_FIELDS)
    if since is None:  # the buyer's requisite chosen on each invoice (few have one)
        lists["links"] = ListScan(
            "crm.requisite.link.list", {"filter": {"ENTITY_TYPE_ID": INVOICE}}, "ENTITY_ID"
        )
    lists["fields"] = client.userfields.field_scan()
    extra = {**extra, **client.access.scope_command()}  # the webhook's permissions
    if stores:  # the reference lists of a first read: stores, the invoice pipeline
        lists["stores"] = client.inventory.store_scan()
        extra = {**extra, **_STAGES}
    if stock:
        extra = {**extra, **client.inventory.mode_command()}
        if stock_since:
            lists["documents"] = client.inventory.documents_scan(stock_since)
        else:
            lists["stock"] = client.inventory.amount_scan()
    follow = _rows_of(client) if rows else None
    got = scan_together(client.rest, lists, extra, settle=settle, follow=follow, lead="items")
    client.inventory.take_mode(got.extra)
    client.access.take(got.extra.results.get("scope"))
    client.userfields.take(got.rows["fields"])
    return got


def _keys(rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> frozenset[str]:
    """The 1C keys on CRM records, as a full read saw them: what the key look-up before
    a create would find (docs/decisions/exactly-once-creates.md)."""
    found = [r.get("ORIGIN_ID") for r in rows["companies"]]
    found += [r.get("XML_ID") for r in rows["requisites"]]
    found += [r.get("xmlId") for r in rows["products"]]
    return frozenset(str(k).strip().lower() for k in found if k)


# The invoice pipeline's stages, in the first batch: guessed to be those of the first
# pipeline (the default on the usual portal); a wrong guess asks again (_stages).
_STAGES: dict[str, tuple[str, Params]] = {
    "categories": ("crm.category.list", {"entityTypeId": INVOICE}),
    "stages": (
        "crm.status.list",
        {
            "filter": {"ENTITY_ID": "SMART_INVOICE_STAGE_$result[categories][categories][0][id]"},
            "order": {"SORT": "ASC"},
        },
    ),
}


def _stages(client: Bitrix24Client, extra: BatchReply) -> list[Stage]:
    """The stages of the default invoice pipeline, from the first batch's answers."""
    if "categories" in extra.errors:
        raise extra.errors["categories"]
    cats = (extra.results.get("categories") or {}).get("categories") or []
    default = [c for c in cats if c.get("isDefault") == "Y"] or cats
    if not default:
        raise Bitrix24Error("Smart invoices have no pipeline in this Bitrix24.")
    wanted = int(default[0]["id"])
    if wanted != int(cats[0]["id"]) or "stages" in extra.errors:
        return client.invoices.stages(wanted)
    return [mapping.stage(r) for r in extra.results.get("stages") or []]


def _rows_of(client: Bitrix24Client) -> Follow:
    """The scans of the rows of the invoices a batch brought (keys ``g<batch>_<n>``),
    and of the contacts buying on those without a company, with their requisites (keys
    ``k<batch>_…``): in the next batch, not in a request of their own after the read."""
    batches = itertools.count()
    seen: set[int] = set()  # contacts asked for already

    def follow(name: str, rows: list[dict[str, Any]]) -> dict[str, ListScan]:
        if name != "items" or not rows:
            return {}
        n = next(batches)
        scans = client.invoices.row_scans([int(r["id"]) for r in rows])
        out = {f"g{n}_{key}": replace(scan, keep=LINE_FIELDS) for key, scan in scans.items()}
        buyers = {mapping.as_int(r.get("contactId")) for r in rows if not _company_of(r)}
        fresh = sorted(c for c in buyers if c and c not in seen)
        seen.update(fresh)
        for part in range(0, len(fresh), IN_LIST):
            contacts = client.companies.contact_scans(fresh[part : part + IN_LIST])
            out.update({f"k{n}_{part}_{key}": scan for key, scan in contacts.items()})
        return out

    return follow


def _company_of(item: Mapping[str, Any]) -> int | None:
    return mapping.as_int(item.get("companyId")) or None


def _chosen(rows: Sequence[Mapping[str, Any]]) -> dict[int, int]:
    """Invoice id -> the requisite chosen on it, from the links listed."""
    pairs = (
        (mapping.as_int(r.get("ENTITY_ID")), mapping.as_int(r.get("REQUISITE_ID"))) for r in rows
    )
    return {invoice: req for invoice, req in pairs if invoice and req}


def _new_item(item: Mapping[str, Any], known: Known) -> bool:
    seen = known.invoices.get(mapping.as_int(item.get("id")) or 0)
    return not known.unchanged(mapping.as_datetime(item.get("updatedTime")), seen)


def _touched(
    rows: Mapping[str, list[dict[str, Any]]], known: Known
) -> tuple[dict[int, dict[str, Any]], list[int]]:
    """Company rows changed since the last read, and the ids of every company changed
    or holding a requisite that changed (each is read again whole: the first
    requisite gives a company its kind and tax numbers)."""
    changed: dict[int, dict[str, Any]] = {}
    for row in rows["companies"]:
        cid = mapping.as_int(row.get("ID")) or 0
        seen = known.companies.get(cid)
        stamp = mapping.as_datetime(row.get("DATE_MODIFY") or row.get("DATE_CREATE"))
        if not known.unchanged(stamp, seen.modified if seen is not None else None):
            changed[cid] = row
    owners = set(changed)
    for req in rows["requisites"] + rows["new_requisites"]:
        owner = mapping.as_int(req.get("ENTITY_ID")) or 0
        seen = known.companies.get(owner)
        if seen is None or mapping.requisite(req) not in seen.counterparty.requisites:
            owners.add(owner)
    return changed, sorted(owners - {0})


def _follow_up(
    client: Bitrix24Client,
    invoice_ids: Sequence[int],
    changed: Mapping[int, Any],
    owners: Sequence[int],
    stock: bool,
) -> Together:
    """One read for what the probe found changed (nothing to read: no request)."""
    lists = {
        k: replace(v, keep=LINE_FIELDS) for k, v in client.invoices.row_scans(invoice_ids).items()
    }
    for n in range(0, len(owners), IN_LIST):
        part = owners[n : n + IN_LIST]
        lists[f"r{n}"] = client.companies.requisite_scan(4, owners=part)
        unread = [o for o in part if o not in changed]
        if unread:
            lists[f"c{n}"] = client.companies.company_scan(ids=unread)
    if stock:
        lists["stock"] = client.inventory.amount_scan()
    if not lists:
        return Together({}, BatchReply())
    try:
        return scan_together(client.rest, lists)
    except (Bitrix24RequestError, Bitrix24NotFound):
        if not invoice_ids:
            raise
    # a portal that refuses a list of owners for rows: one scan per invoice
    others = {k: v for k, v in lists.items() if not k.startswith("g")}
    got = scan_together(client.rest, others) if others else Together({}, BatchReply())
    lines = client.invoices.product_rows(invoice_ids, group=1)
    got.rows["g"] = [r for rows in lines.values() for r in rows]
    return got


def _companies(
    rows: Sequence[Mapping[str, Any]], reqs: Sequence[Mapping[str, Any]]
) -> list[CrmCompany]:
    theirs = [r for r in rows if r.get("IS_MY_COMPANY") != "Y"]
    return with_requisites(theirs, reqs, mapping.company)
