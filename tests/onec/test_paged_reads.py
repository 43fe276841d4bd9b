"""Reads at the floor (issue 18): one request per page, ``$select`` of the profile's
fields, pages handed on as they come, and an unchanged UT 11 run reading no more than
twice what BP 3.0 reads. Real client, real sandboxes over HTTP."""

from __future__ import annotations

import copy
import datetime as dt
import math
import threading
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from desktop_sync.connectors.onec import OnecClient
from desktop_sync.domain.entities import Invoice
from desktop_sync.engine.cache import Cached
from desktop_sync.engine.model import no_progress
from desktop_sync.engine.read import read_onec
from desktop_sync.engine.snapshot import CrmData
from desktop_sync.sandbox.onec import OnecSandbox, start

from .conftest import make_client

CONFIGURATIONS = ("bp30", "ut11")


@pytest.fixture(scope="module", params=CONFIGURATIONS)
def base(request: pytest.FixtureRequest) -> Iterator[OnecSandbox]:
    with start(seed=3, size="small", configuration=request.param) as sb:
        yield sb


class _Wire:
    """What went over the wire: each GET's query options and the bytes answered."""

    def __init__(self, client: OnecClient) -> None:
        self.gets: list[dict[str, list[str]]] = []
        self.paths: list[str] = []
        self.bytes = 0
        hooks = client._http.event_hooks
        client._http.event_hooks = {**hooks, "response": [*hooks["response"], self._seen]}

    def _seen(self, response: httpx.Response) -> None:
        response.read()
        self.bytes += len(response.content)
        if response.request.method == "GET":
            url = urlsplit(str(response.request.url))
            self.gets.append(parse_qs(url.query))
            self.paths.append(url.path.rsplit("/", 1)[-1])


def _everything(c: OnecClient) -> dict[str, object]:
    return {
        "counterparties": c.counterparties(),
        "contracts": c.contracts(),
        "products": c.products(),
        "invoices": c.invoices(),
        "payments": c.payments(),
        "shipments": c.shipments(),
        "returns": c.returns(),
    }


def test_reads_select_the_profiles_fields_and_give_the_same_objects(base: OnecSandbox) -> None:
    conf = base.configuration
    with (
        make_client(base, configuration=conf) as lean,
        make_client(base, configuration=conf) as whole,
    ):
        whole.config.read_fields = lambda logical: ()  # type: ignore[method-assign]
        lean_wire, whole_wire = _Wire(lean), _Wire(whole)
        assert _everything(lean) == _everything(whole)
    documents = [
        q for q, p in zip(lean_wire.gets, lean_wire.paths, strict=True) if p.startswith("Document_")
    ]
    assert documents and all("$select" in q for q in documents)
    # A tabular part by the columns used, never whole.
    selected = ",".join(q["$select"][0] for q in documents)
    assert "Товары/Номенклатура_Key" in selected and ",Товары," not in f",{selected},"
    assert lean_wire.bytes < 0.9 * whole_wire.bytes, (lean_wire.bytes, whole_wire.bytes)


def test_one_request_per_page_and_a_page_at_a_time(base: OnecSandbox) -> None:
    conf = base.configuration
    with make_client(base, configuration=conf, page_size=None) as one:
        total = len(one.fetch(one.profile.set("invoices")))
    with make_client(base, configuration=conf, page_size=7) as paged:
        wire = _Wire(paged)
        rows = paged.config.rows("invoices")
        assert wire.gets == []  # nothing is asked before the first row is wanted
        next(rows)
        assert len(wire.gets) == 1  # the first page only: the next is read when needed
        assert wire.gets[0]["$top"] == ["7"] and wire.gets[0]["$inlinecount"] == ["allpages"]
        seen = 1 + sum(1 for _ in rows)
    assert seen == total
    # One request per page: a full page asks for the next, a short page ends it.
    assert len(wire.gets) == math.floor(total / 7) + 1
    assert [q.get("$skip", ["0"])[0] for q in wire.gets] == [
        str(7 * n) for n in range(len(wire.gets))
    ]


def _unchanged_read_bytes(configuration: str) -> tuple[int, int]:
    """1C bytes and requests of a read that finds nothing changed since the last one."""
    cancel = threading.Event()
    with (
        start(seed=1, size="small", configuration=configuration) as sb,
        make_client(sb, configuration=configuration) as c,
    ):
        data, versions = read_onec(c, no_progress, cancel)
        previous = Cached("p", data, CrmData(), dt.datetime.now(dt.UTC), onec_versions=versions)
        c.forget()
        wire = _Wire(c)
        again, _ = read_onec(c, no_progress, cancel, previous=previous)
    assert again.invoices == data.invoices and again.products == data.products
    return wire.bytes, len(wire.gets)


def test_an_unchanged_ut_read_is_at_most_twice_bp() -> None:
    bp_bytes, bp_requests = _unchanged_read_bytes("bp30")
    ut_bytes, ut_requests = _unchanged_read_bytes("ut11")
    assert ut_bytes <= 2 * bp_bytes, (ut_bytes, bp_bytes)
    # The light scans, the organization, prices and warehouses: nothing read in full.
    assert bp_requests <= 20 and ut_requests <= 24, (bp_requests, ut_requests)


def test_repeated_values_are_held_once(base: OnecSandbox) -> None:
    """A product or counterparty named by many documents, and a number repeated over
    many rows, are one object in memory (the large set in 300 MB)."""
    with make_client(base, configuration=base.configuration) as c:
        invoices = c.invoices()
        versions = c.scan("invoices")
    by_product: dict[str, list[object]] = {}
    numbers: dict[str, list[object]] = {}
    for inv in invoices:
        for line in inv.lines:
            by_product.setdefault(line.product_ref or "", []).append(line.product_ref)
            numbers.setdefault(str(line.price), []).append(line.price)
    repeated = [refs for refs in by_product.values() if len(refs) > 1]
    assert repeated and all(r is refs[0] for refs in repeated for r in refs)
    prices = [ps for ps in numbers.values() if len(ps) > 1]
    assert prices and all(p is ps[0] for ps in prices for p in ps)
    # The scan's keys and the records' own keys are the same strings.
    keys = {k: k for k in versions}
    assert all(keys[inv.onec_ref] is inv.onec_ref for inv in invoices)


def test_a_set_read_again_is_not_kept_beside_its_cached_copy() -> None:
    """Issue 18 (the large set in 300 MB): the cached copy of a changed set stayed
    alive beside the new read until the whole read and plan were done."""
    cancel = threading.Event()
    with start(seed=1, size="small") as sb, make_client(sb) as c:
        data, versions = read_onec(c, no_progress, cancel)
        changed = {**versions, "invoices": ""}  # the scan says the invoices changed
        previous = Cached(
            "p", replace(data), CrmData(), dt.datetime.now(dt.UTC), onec_versions=changed
        )
        c.forget()
        again, _ = read_onec(c, no_progress, cancel, previous=previous)
    assert again.invoices and again.invoices == data.invoices
    assert previous.onec.invoices == {}  # not kept twice
    assert again.counterparties is data.counterparties  # unchanged: the cached copy


def test_a_set_is_remembered_by_its_fingerprint_not_its_scan() -> None:
    """Issue 18: the cache kept every set's whole ``Ref_Key → DataVersion`` scan (23 MB
    of the large set's sync) only to compare it for equality with the next one."""
    with start(seed=1, size="small") as sb, make_client(sb) as c:
        first = c.fingerprint("invoices")
        assert first == c.fingerprint("invoices") and isinstance(first, str)
        assert len(first) < 80
        entity = c.profile.set("invoices")
        ref = next(iter(c.scan("invoices")))
        sb.store.update(entity, ref, {"Комментарий": "changed in 1C"})
        assert c.fingerprint("invoices") != first
        _data, versions = read_onec(c, no_progress, threading.Event())
    assert all(isinstance(v, str) and len(v) < 80 for v in versions.values())


@pytest.mark.parametrize("conf", CONFIGURATIONS)
def test_invoices_changed_since_the_cached_read_are_the_only_ones_read_again(conf: str) -> None:
    """Issue 18: one invoice changed (or made by the sync itself) moved the whole set's
    fingerprint, and all of it was read again: the large set's run after its first sync
    read 34,543 invoices for the 1,210 it had made, 38 MB more at its peak. The records
    added or changed since are read by key, the removed ones dropped, the rest kept."""
    cancel = threading.Event()
    with (
        start(seed=1, size="small", configuration=conf) as sb,
        make_client(sb, configuration=conf) as c,
    ):
        data, versions = read_onec(c, no_progress, cancel)
        cached = replace(data, invoices=dict(data.invoices))
        previous = Cached("p", cached, CrmData(), dt.datetime.now(dt.UTC), onec_versions=versions)
        entity = c.profile.set("invoices")
        newest = sorted(data.invoices.values(), key=lambda i: i.date)[-3:]  # an open period
        changed, gone, model = (str(i.onec_ref) for i in newest)
        sb.store.update(entity, changed, {"Комментарий": "changed in 1C"})
        sb.store.delete(entity, gone)
        added = copy.deepcopy(sb.store.rows[entity][model])
        added.pop("Ref_Key")
        added["Number"] = ""
        added = sb.store.insert(entity, added)["Ref_Key"]
        c.forget()
        made: list[str] = []
        read_one = c.config.invoice_from

        def counted(r: dict[str, object]) -> Invoice | None:
            made.append(str(r["Ref_Key"]))
            return read_one(r)

        c.config.invoice_from = counted  # type: ignore[method-assign]
        again, _ = read_onec(c, no_progress, cancel, previous=previous)
        c.config.invoice_from = read_one  # type: ignore[method-assign]
        whole = {i.onec_ref: i for i in c.invoices()}
    assert sorted(made) == sorted([changed, added])
    assert again.invoices == whole and gone not in again.invoices
    assert again.invoices[changed].comment == "changed in 1C"
    assert previous.onec.invoices == {}  # not kept twice


def test_rows_read_again_take_names_from_the_unchanged_catalog_not_a_new_read() -> None:
    """Issue 18: an invoice read again named its products from a new read of the whole
    catalog (20,000 products on the large set, alive through the plan beside the cached
    ones), though the catalog's scan said nothing had changed; and the cached products
    were all copied to carry prices that had not changed either."""
    cancel = threading.Event()
    with start(seed=1, size="small") as sb, make_client(sb) as c:
        data, versions = read_onec(c, no_progress, cancel)
        cached = replace(data, invoices=dict(data.invoices))
        previous = Cached("p", cached, CrmData(), dt.datetime.now(dt.UTC), onec_versions=versions)
        newest = max(data.invoices.values(), key=lambda i: i.date)
        sb.store.update(c.profile.set("invoices"), str(newest.onec_ref), {"Комментарий": "new"})
        c.forget()
        wire = _Wire(c)
        again, _ = read_onec(c, no_progress, cancel, previous=previous)
    catalog = c.profile.set("products")
    asked = zip(wire.gets, wire.paths, strict=True)
    scan = ["Ref_Key,DataVersion"]
    reads = [q for q, p in asked if unquote(p) == catalog and q.get("$select") != scan]
    assert reads == []  # its light scan only
    assert again.invoices[str(newest.onec_ref)].lines == newest.lines
    assert all(again.products[ref] is p for ref, p in data.products.items())
