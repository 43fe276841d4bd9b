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

        def trimmed(_pad: int) -> None:
            if seen:  # (the read trims too, between the sets it reads)
                alive_at_trim.append(seen[0]() is not None)

        monkeypatch.setattr(cache, "_trim", trimmed)
        summary, _plan = svc.run()
    # the first trim before the apply; later ones after the printed invoices' requests
    assert summary.counts.get("applied") and alive_at_trim and not any(alive_at_trim)


def _once(values: list[Any], key: Any = None) -> bool:
    """Each equal value one object (decimals by spelling: 1.0 and 1.00 stay apart)."""
    spelled = [key(v) if key else v for v in values]
    return len({id(v) for v in values}) == len(set(spelled))


def test_a_fresh_read_holds_each_text_decimal_and_date_once(bp_world: World) -> None:
    """Issue 18: a read made a new object for every occurrence of a text, a decimal and a
    date (the large set's first read: 44 of its 95 MB of them second copies; its saved
    copy, loaded, shared them). Both sides' reads share them now, across the sides too
    (a product's name on a 1C and a CRM invoice row is one text)."""
    with bp_world.service() as svc:
        snap, _plan = svc.prepare()  # the read itself, not its saved copy
    onec_lines = [ln for inv in snap.onec.invoices.values() for ln in inv.lines]
    crm_lines = [ln for inv in snap.crm.invoices.values() for ln in inv.invoice.lines]
    names = [ln.product_name for ln in (*onec_lines, *crm_lines)]
    numbers = [n for ln in (*onec_lines, *crm_lines) for n in (ln.quantity, ln.price, ln.amount)]
    dates = [i.date for i in snap.onec.invoices.values()]
    dates += [i.invoice.date for i in snap.crm.invoices.values()]
    onec_names = {ln.product_name for ln in onec_lines}
    assert onec_names & {ln.product_name for ln in crm_lines}  # the check means something
    assert len(names) > len(set(names)) and len(dates) > len(set(dates))
    assert _once(names) and _once(dates) and _once(numbers, str)
