"""Reading whole lists: the fast ID scan and the same read for many keys, over the
REST transport's calls and batches (research/bitrix24.md §2).

:func:`scan_together` reads several lists at the floor of requests: every page of
every list travels in a batch (none in a plain first call), the lists share each
batch, and one-off commands (reference lists, checks) ride along in the first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from desktop_sync.connectors.bitrix24.envelope import MAX_BATCH, PAGE, BatchReply, Params, rows_of
from desktop_sync.connectors.bitrix24.errors import Bitrix24ServerError

if TYPE_CHECKING:
    from desktop_sync.connectors.bitrix24.rest import RestClient


def scan(
    rest: RestClient,
    method: str,
    params: Params | None = None,
    *,
    id_field: str = "ID",
    items_key: str | None = None,
    pages: float = math.inf,
    what: str = "",
) -> Iterator[dict[str, Any]]:
    """Every row of a list, by the fast ID scan (research §2): ``order {ID: ASC}``,
    ``filter {>ID: last}``, ``start=-1`` (no COUNT query), every page in a batch
    request from the first (:func:`scan_together`: a list of up to 50 pages is one
    request; a plain first-page call made it two). ``pages``: how many it is expected
    to have, if known. Stops at a page shorter than 50 rows."""
    spec = ListScan(method, dict(params or {}), id_field, items_key, pages)
    yield from scan_together(rest, {"rows": spec}, what=what).rows["rows"]


def batch_all(
    rest: RestClient, commands: Mapping[str, tuple[str, Params]], *, what: str = ""
) -> BatchReply:
    """Any number of independent commands, 50 per batch, merged into one reply.

    A batch that times out or breaks does not stop the rest: its writes are
    listed in ``unknown`` (look them up before any retry), its reads in ``errors``.
    """
    merged = BatchReply()
    keys = list(commands)
    unknown: list[str] = []
    for start in range(0, len(keys), MAX_BATCH):
        chunk = {k: commands[k] for k in keys[start : start + MAX_BATCH]}
        try:
            reply = rest.batch(chunk, what=what)
        except Bitrix24ServerError as exc:
            unknown.extend(exc.unknown_keys)
            for key in chunk:
                if key not in exc.unknown_keys:
                    merged.errors[key] = exc
            continue
        merged.merge(reply)
    merged.unknown = tuple(unknown)
    return merged


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


@dataclass(frozen=True, slots=True)
class ListScan:
    """One list read by the fast ID scan: ``order {id: ASC}``, ``filter {>id: last}``,
    ``start=-1``. ``pages``: how many pages it is expected to have, if known (a probe
    of what changed expects one); the slots of a batch go where they are needed."""

    method: str
    params: Params = field(default_factory=dict)
    id_field: str = "ID"
    items_key: str | None = None
    pages: float = math.inf
    keep: tuple[str, ...] = ()  # the fields the read maps (all when empty): a row is
    # cut to them as its page is decoded, so the rest of the answer is not kept

    def slim(self, page: list[dict[str, Any]], texts: dict[str, str]) -> list[dict[str, Any]]:
        """The page's rows cut to the fields kept (and the id the scan pages by), each
        text held once in ``texts`` (a product's name on every row that sells it)."""
        if not self.keep:
            return page
        fields = (self.id_field, *self.keep)
        return [
            {k: texts.setdefault(v, v) if type(v) is str else v for k in fields if k in r
             for v in (r[k],)}
            for r in page
        ]  # fmt: skip

    def page(self, last: Any) -> dict[str, Any]:
        base = {k: v for k, v in self.params.items() if k not in ("order", "start")}
        flt = dict(base.pop("filter", None) or {})
        return {
            **base,
            "filter": {**flt, f">{self.id_field}": last},
            "order": {self.id_field: "ASC"},
            "start": -1,
        }

    def after(self, key: str) -> str:
        """A reference to the last id of the page ``key`` (resolved by the portal)."""
        path = f"[{self.items_key}]" if self.items_key else ""
        return f"$result[{key}]{path}[{PAGE - 1}][{self.id_field}]"


# After the first batch: lists whose parameters change from now on (a reference the
# portal resolved becomes a literal) and whether they start again (a guess was wrong).
Settle = Callable[[BatchReply], Mapping[str, tuple[ListScan, bool]]]

# After each batch: the lists that start from what a list's new rows say (the rows of
# the invoices just read), in the next batch beside the lists still running.
Follow = Callable[[str, list[dict[str, Any]]], Mapping[str, ListScan]]


@dataclass
class Together:
    rows: dict[str, list[dict[str, Any]]]
    extra: BatchReply  # the one-off commands' replies (errors per key, never raised)
    requests: int = 0
    started: str = ""  # when the portal began the first batch (its clock, ISO 8601)


def shares(slots: int, wanted: Mapping[str, float], lead: str = "") -> dict[str, int]:
    """``slots`` commands shared fairly: a list that needs fewer leaves the rest to others.
    ``lead``, if its size is known, takes what it needs first. A list expected to have
    1.2 pages needs 2 (its second page in a request of its own otherwise)."""
    out: dict[str, int] = {}
    left = slots
    if wanted.get(lead, math.inf) < math.inf:
        out[lead] = int(min(_pages(wanted[lead]), slots))
        left -= out[lead]
        wanted = {n: w for n, w in wanted.items() if n != lead}
    waiting = sorted(wanted, key=lambda n: wanted[n])
    while waiting and left > 0:
        name = waiting.pop(0)
        fair = max(1, left // (len(waiting) + 1))
        out[name] = int(min(_pages(wanted[name]), fair))
        left -= out[name]
    return out


def scan_together(
    rest: RestClient,
    lists: Mapping[str, ListScan],
    extra: Mapping[str, tuple[str, Params]] | None = None,
    *,
    settle: Settle | None = None,
    follow: Follow | None = None,
    lead: str = "",
    what: str = "",
) -> Together:
    """Every row of several lists, the lists sharing each batch request.

    Each batch gives each unfinished list a chain of pages (``$result[key][…][49][id]``
    references); a page shorter than 50 rows ends its list. ``extra`` commands (at
    most a few) go in the first batch; their replies are handed back as they came.
    ``follow``: lists started by the rows a batch brought (their names must be new);
    ``lead``: the list whose rows start them, given its pages first once its size is
    known, so that they are not left for a batch of their own at the end.
    """
    specs = dict(lists)
    out = Together({name: [] for name in specs}, BatchReply())
    last: dict[str, Any] = dict.fromkeys(specs, 0)
    read: dict[str, int] = dict.fromkeys(specs, 0)
    active = list(specs)
    pending = dict(extra or {})
    texts: dict[str, str] = {}  # the kept rows' texts, one object each
    while active or pending:
        cmds: dict[str, tuple[str, Params]] = dict(pending)
        given = shares(MAX_BATCH - len(cmds), {n: _left(specs[n], read[n]) for n in active}, lead)
        for name, count in given.items():
            spec = specs[name]
            for i in range(count):
                ref = last[name] if i == 0 else spec.after(f"{name}_{i - 1}")
                params = spec.page(ref)
                if i == read[name] == 0 and spec.pages == math.inf:
                    params["start"] = 0  # its size comes with its first page
                cmds[f"{name}_{i}"] = (spec.method, params)
        reply = rest.batch(cmds, what=what)
        out.requests += 1
        out.started = out.started or str((reply.time or {}).get("date_start") or "")
        _keep_extra(out.extra, reply, pending)
        changed = settle(reply) if settle is not None and pending else {}
        pending = {}
        fresh: dict[str, list[dict[str, Any]]] = {}
        for name, count in given.items():
            if name in changed:
                specs[name], again = changed[name]
                if again:  # the guess was wrong: what this batch read is not wanted
                    out.rows[name], last[name], read[name] = [], 0, 0
                    continue
            spec = specs[name]
            if read[name] == 0 and spec.pages == math.inf and f"{name}_0" in reply.totals:
                spec = specs[name] = replace(spec, pages=reply.totals[f"{name}_0"] // PAGE + 1)
            for i in range(count):
                key = f"{name}_{i}"
                if key in reply.errors:
                    raise reply.errors[key]
                raw = rows_of(reply.results.pop(key, None), spec.items_key, spec.method)
                page = spec.slim(raw, texts)
                out.rows[name].extend(page)
                fresh.setdefault(name, []).extend(page)
                read[name] += 1
                if len(page) < PAGE:
                    active.remove(name)
                    break
                last[name] = page[-1][spec.id_field]
        for name, rows in fresh.items():
            for new, spec in (follow(name, rows) if follow is not None else {}).items():
                specs[new], out.rows[new], last[new], read[new] = spec, [], 0, 0
                active.append(new)
    return out


def _pages(expected: float) -> float:
    """Pages to ask for a list expected to have ``expected`` (at least one)."""
    return max(1, math.ceil(expected)) if expected < math.inf else math.inf


def _left(spec: ListScan, read: int) -> float:
    """Pages a list is still expected to have: unknown once it has more than expected."""
    return max(1.0, spec.pages - read) if read < spec.pages else math.inf


def _keep_extra(into: BatchReply, reply: BatchReply, keys: Mapping[str, Any]) -> None:
    for key in keys:
        if key in reply.errors:
            into.errors[key] = reply.errors[key]
        elif key in reply.results:
            into.results[key] = reply.results[key]
        if key in reply.nexts:
            into.nexts[key] = reply.nexts[key]
        if key in reply.totals:
            into.totals[key] = reply.totals[key]
