"""Reading whole lists: the fast ID scan and the same read for many keys, over the
REST transport's calls and batches (research/bitrix24.md §2)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from desktop_sync.connectors.bitrix24.envelope import MAX_BATCH, PAGE, Params, rows_of

if TYPE_CHECKING:
    from desktop_sync.connectors.bitrix24.rest import RestClient


def scan(
    rest: RestClient,
    method: str,
    params: Params | None = None,
    *,
    id_field: str = "ID",
    items_key: str | None = None,
    chain: int = MAX_BATCH,
    what: str = "",
) -> Iterator[dict[str, Any]]:
    """Every row of a list, by the fast ID scan (research §2).

    ``order {ID: ASC}``, ``filter {>ID: last}``, ``start=-1`` (no COUNT query);
    the first page is one call, further pages are chained ``chain`` to a batch
    with ``$result[pN][items][49][id]`` references. Stops at a page shorter
    than 50 rows.
    """
    base = dict(params or {})
    user_filter = dict(base.pop("filter", None) or {})
    base.pop("order", None)
    base.pop("start", None)
    path = f"[{items_key}]" if items_key else ""

    def page_params(last: Any) -> dict[str, Any]:
        return {
            **base,
            "filter": {**user_filter, f">{id_field}": last},
            "order": {id_field: "ASC"},
            "start": -1,
        }

    first = rest.call(method, page_params(0), what=what)
    rows = rows_of(first.result, items_key, method)
    yield from rows
    while len(rows) == PAGE:
        last = rows[-1][id_field]
        cmds: dict[str, tuple[str, Params]] = {}
        for i in range(chain):
            ref = last if i == 0 else f"$result[p{i - 1}]{path}[{PAGE - 1}][{id_field}]"
            cmds[f"p{i}"] = (method, page_params(ref))
        reply = rest.batch(cmds, what=what)
        rows = []
        for i in range(chain):
            key = f"p{i}"
            if key in reply.errors:
                raise reply.errors[key]
            rows = rows_of(reply.results.get(key), items_key, method)
            yield from rows
            if len(rows) < PAGE:
                return


def get_many(
    rest: RestClient, method: str, params_by_key: Mapping[str, Params], what: str = ""
) -> dict[str, Any]:
    """Run the same read for many keys, 50 per batch; raises the first error."""
    out: dict[str, Any] = {}
    keys = list(params_by_key)
    for start in range(0, len(keys), MAX_BATCH):
        chunk = {f"k{k}": (method, params_by_key[k]) for k in keys[start : start + MAX_BATCH]}
        reply = rest.batch(chunk, what=what)
        for key in chunk:
            if key in reply.errors:
                raise reply.errors[key]
            out[key[1:]] = reply.results.get(key)
    return out
