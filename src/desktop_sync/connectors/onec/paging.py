"""Reading a whole 1C set a page at a time (research/onec.md A3).

One request per page: ``$top``/``$skip`` in a stable order (``Ref_Key`` unless the
caller orders otherwise), the first page asking ``$inlinecount`` for the total. The
caller gets each page as soon as it is decoded and turns it into domain objects, so
no more than one page of raw JSON is alive at a time (issue 18: the large set in
300 MB).

Pages can shift when 1C's order is not stable or records change meanwhile: rows are
passed on once by ``Ref_Key``, and if the total shows rows were missed, the missing
ones are read by key at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from desktop_sync.connectors.onec import wire
from desktop_sync.connectors.onec.literals import Query
from desktop_sync.connectors.onec.transport import Transport

Rows = list[dict[str, Any]]


def read_pages(
    odata: Transport, entity: str, query: Query | None = None, page_size: int | None = None
) -> Iterator[Rows]:
    """Every matching record once, page by page; one request without ``page_size``."""
    query = query or Query()
    if page_size is None:
        yield odata.fetch(entity, query)
        return
    first = replace(
        query, orderby=query.orderby or ("Ref_Key",), top=page_size, skip=None, inlinecount=True
    )
    data = odata.request("GET", entity, first.params(), entity=entity)
    page = wire.values(data, entity)
    total = int(str(data.get("odata.count", len(page))))
    seen: set[str] = set()
    yield _fresh(page, seen)
    skip = page_size
    while len(page) == page_size:
        later = replace(first, skip=skip, inlinecount=False)
        page = odata.fetch(entity, later)
        yield _fresh(page, seen)
        skip += page_size
    if len(seen) < total:
        scan = odata.fetch(
            entity, Query(filter=query.filter, select=("Ref_Key",), allowed_only=query.allowed_only)
        )
        missing = [str(r["Ref_Key"]) for r in scan if str(r["Ref_Key"]) not in seen]
        yield _fresh(odata.by_refs(entity, missing, query.select), seen)


def rows(
    odata: Transport, entity: str, query: Query | None = None, page_size: int | None = None
) -> Iterator[dict[str, Any]]:
    """The records of :func:`read_pages`, one at a time."""
    for page in read_pages(odata, entity, query, page_size):
        yield from page


def read_all(
    odata: Transport, entity: str, query: Query | None = None, page_size: int | None = None
) -> Rows:
    """Every matching record, once, as one list (small sets and lookups)."""
    return list(rows(odata, entity, query, page_size))


def _fresh(page: Rows, seen: set[str]) -> Rows:
    """The rows of a page not passed on before (a page that shifted repeats some)."""
    out = []
    for r in page:
        key = str(r.get("Ref_Key"))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out
