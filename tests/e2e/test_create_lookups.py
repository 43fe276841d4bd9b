"""CRM requests a sync need not make (issue 18): the key look-up before a create, asked
only when the record may exist, and the webhook's permissions, asked in the read's first
batch.

A create whose 1C key a full read of the CRM did not see, with nothing written by any
profile of the journal since that read began, cannot find a record: it is made without
the look-up (docs/decisions/exactly-once-creates.md). A key the read did see on a record
the planner did not pair is still looked up, and the record relinked, never made twice.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.catalog import Catalog
from desktop_sync.connectors.bitrix24.companies import Companies
from desktop_sync.engine.facade import ConnectError
from desktop_sync.engine.planner import COUNTERPARTY

from .conftest import World

LOOKUPS = (
    (Bitrix24Client, "companies_by_origin"),
    (Bitrix24Client, "products_by_xml_id"),
    (Companies, "find_company_by_origin"),
    (Companies, "find_requisite_by_xml_id"),
    (Catalog, "find_product_by_xml_id"),
)


@pytest.fixture
def configuration() -> str:
    return "bp30"  # the look-ups are the same in both configurations


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each key look-up was asked (the real one runs)."""
    asked: Counter[str] = Counter()
    for cls, name in LOOKUPS:
        real = getattr(cls, name)

        def counted(*args: object, _real: object = real, _name: str = name, **kw: object) -> object:
            asked[_name] += 1
            return _real(*args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(cls, name, counted)
    return asked


def test_a_first_sync_makes_its_creates_without_looking_keys_up(
    world: World, lookups: Counter[str]
) -> None:
    with world.service() as svc:
        summary, plan = svc.run()
    created = [op for op in plan.operations if op.kind.value == "create"]
    assert created and summary.counts.get("failed", 0) == 0, summary.failures
    assert sum(lookups.values()) == 0, lookups  # was one batch per 25 creates


def _companies_with_origin(world: World, ref: str) -> int:
    return sum(1 for r in world.crm.store.companies.rows.values() if r.get("ORIGIN_ID") == ref)


def test_a_key_the_read_saw_is_looked_up_and_relinked(
    world: World, lookups: Counter[str], tmp_path: Path
) -> None:
    """Our company whose ИНН was changed in the CRM, its link lost: the planner cannot
    pair it, the full read saw its key, so the create looks it up and relinks it."""
    with world.service() as svc:
        svc.run()
        made = [k for k in svc.journal.links(COUNTERPARTY) if k.onec_ref and k.crm_id]
    link = next(k for k in made if _companies_with_origin(world, str(k.onec_ref)) == 1)
    ref = str(link.onec_ref)
    requisite = int(str(link.crm_id).split("/")[1])
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        c.rest.call("crm.requisite.update", {"id": requisite, "fields": {"RQ_INN": "7707083893"}})
    journal = world.paths.journal_path()
    for extra in ("", "-wal", "-shm"):
        Path(f"{journal}{extra}").unlink(missing_ok=True)
    lookups.clear()
    with world.service() as svc:
        summary, plan = svc.run(full=True)
    mine = [(op.kind.value, op.reason) for op in plan.operations if op.source_id == ref]
    mine += [(i.kind.value, i.message) for i in plan.items if i.record_id == ref]
    assert "create" in {k for k, _ in mine}, mine
    assert summary.counts.get("failed", 0) == 0, summary.failures
    assert lookups["companies_by_origin"] + lookups["find_company_by_origin"] > 0, lookups
    assert _companies_with_origin(world, ref) == 1


def test_the_permissions_ride_in_the_reads_first_batch(world: World) -> None:
    for _ in range(2):  # the first sync and what it leaves
        with world.service() as svc:
            svc.run()
    time.sleep(1.1)  # the portal stamps whole seconds (see test_crm_requests)
    with world.service() as svc:
        svc.run()
    stats = world.crm.stats
    requests, asked = stats.requests, stats.calls["scope"]
    with world.service() as svc:
        svc.run()
    assert stats.calls["scope"] == asked  # never a request of its own
    assert stats.requests - requests == 1  # was 2: the scope check, then the probes


def test_a_permission_missing_is_named(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    hook = world.crm.add_webhook(1, ("crm",))
    monkeypatch.setenv("DESKTOP_SYNC_CRM_SECRET", hook)
    with world.service() as svc, pytest.raises(ConnectError) as raised:
        svc.prepare()
    assert "catalog, userfieldconfig" in str(raised.value)


def test_a_store_document_made_now_is_not_asked_for_its_rows(world: World) -> None:
    from desktop_sync.engine.model import Flow

    from .test_stock_e2e import _map_warehouse

    _map_warehouse(world)
    stats = world.crm.stats
    with world.service() as svc:
        svc.run(flows=(Flow.F7, Flow.F5))
        before = stats.calls["catalog.document.element.list"]
        made = stats.subcalls["catalog.document.add"]  # in a batch with its rows
        summary, _plan = svc.run(flows=(Flow.F6,))
    assert summary.counts.get("failed", 0) == 0, summary.failures
    assert stats.subcalls["catalog.document.add"] > made
    assert stats.calls["catalog.document.element.list"] == before  # was one per document
    assert stats.subcalls["catalog.document.element.list"] == 0
