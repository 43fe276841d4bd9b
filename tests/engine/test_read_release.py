"""What an incremental read lets go of (issue 18: the large set in 300 MB). Real
clients against the sandboxes over loopback."""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_sync.engine import cache
from desktop_sync.engine.model import Plan, no_progress
from desktop_sync.engine.read import read_crm, read_onec
from desktop_sync.engine.snapshot import CrmData, Snapshot
from tests.e2e.conftest import World, make_world


@pytest.fixture
def bp_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch)


def test_the_cached_crm_records_are_let_go_once_read_again(bp_world: World) -> None:
    """The cached CRM lists stayed alive beside the new read (their records read again
    too: 14,000 on the large set's run after its first sync) until the plan was made."""
    with bp_world.service() as svc:
        svc.run()
        path = cache.cache_path(bp_world.paths.data_dir, bp_world.profile.uuid)
        previous = cache.load(path, bp_world.profile.uuid)
        assert previous is not None and previous.crm.invoices and previous.crm.companies
        before = dict(previous.crm.invoices)
        read = read_crm(svc.crm, no_progress, threading.Event(), previous=previous)
    assert read.data.invoices.keys() == before.keys()
    assert not previous.crm.invoices and not previous.crm.companies and not previous.crm.products


def test_the_cached_stock_and_warehouses_are_let_go_once_read_again(bp_world: World) -> None:
    """1C stock balances and warehouses are read on every run; their cached copies (the
    large set's 23,961 balances) stayed alive beside them until the plan was made."""
    cancel = threading.Event()
    with bp_world.service() as svc:
        first, versions = read_onec(svc.onec, no_progress, cancel, stock=True)
        previous = cache.Cached(
            "p", first, CrmData(), dt.datetime.now(dt.UTC), onec_versions=versions
        )
        assert first.stock and first.warehouses
        data, _ = read_onec(svc.onec, no_progress, cancel, stock=True, previous=previous)
    assert data.stock and data.warehouses
    assert not previous.onec.stock and not previous.onec.warehouses


def test_a_run_gives_memory_back_once_its_read_is_let_go(
    bp_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The memory a run's read held stayed the process's after the read was let go
    (glibc keeps freed pages): the first large sync's peak counted 31 MB of it beside
    the apply's own. The run trims once the read is saved and gone, before the apply."""
    seen: list[weakref.ref[Snapshot]] = []
    alive_at_trim: list[bool] = []
    with bp_world.service() as svc:
        prepare = svc.prepare

        def spied(*args: Any, **kwargs: Any) -> tuple[Snapshot, Plan]:
            snapshot, plan = prepare(*args, **kwargs)
            seen.append(weakref.ref(snapshot))
            return snapshot, plan

        monkeypatch.setattr(svc, "prepare", spied)
        monkeypatch.setattr(
            cache, "_trim", lambda _pad: alive_at_trim.append(seen[0]() is not None)
        )
        summary, _plan = svc.run()
    assert summary.counts.get("applied") and alive_at_trim == [False]
