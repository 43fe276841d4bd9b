"""The read phase writes nothing, and a plan read before another run's writes is stale
(issue 15).

A scheduled ``sync --apply`` is held at its first write (the write itself is the real
one, made a moment later) while the window refreshes and ``desktop-sync status`` runs:
neither may settle the running run's operations or rewrite the snapshot cache. A plan
read while that run was creating records is refused when it is applied, and the
re-read plan creates nothing twice. Real clients against both sandboxes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.engine.cache import cache_path
from desktop_sync.engine.executor import Applied, Writer
from desktop_sync.engine.model import Flow, Operation, OpKind, RunSummary, System
from desktop_sync.engine.ops import Unsettled
from desktop_sync.engine.service import StalePlan, SyncService
from desktop_sync.journal import OpState

from .conftest import World


class _HeldAtFirstWrite:
    """A writer that waits at its first write until the test lets it go (then writes)."""

    def __init__(self, inner: Writer, reached: threading.Event, go: threading.Event) -> None:
        self.inner, self.reached, self.go = inner, reached, go

    def _wait(self) -> None:
        if not self.reached.is_set():
            self.reached.set()
            assert self.go.wait(120), "the test never let the run go on"

    def apply(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        self._wait()
        return self.inner.apply(op, results)

    def apply_many(
        self, ops: list[Operation], results: Mapping[str, Applied]
    ) -> list[Applied | Exception]:
        self._wait()
        return self.inner.apply_many(ops, results)

    def batch_size(self, op: Operation) -> int:
        return self.inner.batch_size(op)

    def lookup(self, op: Unsettled) -> Applied | None:
        return self.inner.lookup(op)


class _ScheduledRun:
    """``sync --apply`` of another process, held at its first write."""

    def __init__(self, world: World) -> None:
        self.svc = world.service()
        self.reached, self.go = threading.Event(), threading.Event()
        for system in (System.ONEC, System.CRM):
            self.svc.writers[system] = _HeldAtFirstWrite(
                self.svc.writers[system], self.reached, self.go
            )
        self.summary: RunSummary | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.summary, _plan = self.svc.run(trigger="schedule")
        except BaseException as exc:  # reported by finish()
            self.error = exc

    def start(self) -> None:
        self.thread.start()
        assert self.reached.wait(120), "the run never reached a write"

    def finish(self) -> RunSummary:
        self.go.set()
        self.thread.join(120)
        self.svc.close()
        if self.error is not None:
            raise self.error
        assert self.summary is not None
        return self.summary


@pytest.fixture
def scheduled(world: World) -> Iterator[_ScheduledRun]:
    run = _ScheduledRun(world)
    yield run
    run.go.set()
    run.thread.join(120)


def _cache_bytes(world: World) -> bytes | None:
    path = cache_path(world.paths.data_dir, world.profile.uuid)
    return path.read_bytes() if path.exists() else None


def _states(svc: SyncService) -> dict[int, str]:
    return {op.id: op.state for run in svc.journal.runs() for op in svc.journal.operations(run.id)}


def _crm_twins(world: World) -> dict[str, int]:
    """CRM companies and products that exist more than once under one sync key."""
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        origins = Counter(co.origin_id for co in c.companies.read() if co.origin_id)
        xml = Counter(p.xml_id for p in c.catalog.products() if p.xml_id)
    return {k: n for k, n in (origins + xml).items() if n > 1}


def test_refresh_and_status_during_a_run_write_nothing(
    world: World, scheduled: _ScheduledRun
) -> None:
    with world.service() as svc:  # yesterday's run: the cache exists, all is linked
        svc.run()
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:  # today's new work
        invoice_id = c.invoices.invoice_ids()[0]
        waiting = [i for i in c.invoices.read() if i.stage_id == "DT31_1:N" and i.company_id]
        for inv in waiting[:3]:
            c.invoices.update_invoice(inv.invoice.crm_id or 0, {"stageId": "DT31_1:S"})
    scheduled.start()
    cache_before = _cache_bytes(world)  # as the run left it before its first write
    assert cache_before is not None
    with world.service() as window:
        in_flight = {k: v for k, v in _states(window).items() if v == OpState.SENDING.value}
        assert in_flight, "the run is held at a write it journalled as sending"
        window.prepare()  # the window's refresh
        exe = shutil.which("desktop-sync", path=str(Path(sys.executable).parent))
        assert exe
        env = {**os.environ, **world.env(), "DESKTOP_SYNC_LANG": "en",
               "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}  # fmt: skip
        status = subprocess.run(
            [exe, "status", f"crm:{invoice_id}", "--json"],
            capture_output=True, text=True, encoding="utf-8", env=env, timeout=120, check=False,
        )  # fmt: skip
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["crm_id"] == invoice_id
        after = _states(window)
        # the running run's operation is still its own: neither settled nor failed
        assert {k: after[k] for k in in_flight} == in_flight
    assert _cache_bytes(world) == cache_before, "the read phase rewrote the cache"
    scheduled.finish()
    with world.service() as svc:
        states = _states(svc)
    # the held write went on and was journalled by its own run
    assert {states[k] for k in in_flight} == {OpState.APPLIED.value}
    counts = Counter(states.values())
    assert counts[OpState.SENDING.value] == counts[OpState.OUTCOME_UNKNOWN.value] == 0


def test_plan_read_during_another_runs_creates_is_refused(
    world: World, scheduled: _ScheduledRun
) -> None:
    """The first synchronisation runs on schedule; the accountant's window reads both
    systems while it is creating. Applying that plan would create everything twice."""
    scheduled.start()
    with world.service() as window:
        _snap, plan = window.prepare()
        creates = [op for op in plan.operations if op.kind is OpKind.CREATE]
        assert creates, "the window's plan proposes what the run is creating"
        summary = scheduled.finish()
        assert summary.counts.get("failed", 0) == 0, summary.failures
        with pytest.raises(StalePlan, match="another synchronization changed the systems"):
            window.apply(plan)
        assert _crm_twins(world) == {}
        # the window reads again: the new plan creates nothing
        _snap, plan = window.prepare()
        assert [op for op in plan.operations if op.kind is OpKind.CREATE] == []
        window.apply(plan)
    assert _crm_twins(world) == {}


def test_a_dry_run_in_between_does_not_make_a_plan_stale(world: World) -> None:
    with world.service() as window, world.service() as other:
        _snap, plan = window.prepare(flows=(Flow.F7,))
        assert plan.operations
        other.dry_run(flows=(Flow.F7,))  # reads and journals a plan; applies nothing
        summary = window.apply(plan)
    assert summary.counts.get("failed", 0) == 0, summary.failures
    assert summary.counts.get("applied", 0) >= len(plan.operations)


class _Killed(BaseException):
    """The process dies right after a write reached the system, before it is journalled."""


class _KilledAfterFirstWrite(_HeldAtFirstWrite):
    def apply(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        self.inner.apply(op, results)
        raise _Killed

    def apply_many(
        self, ops: list[Operation], results: Mapping[str, Applied]
    ) -> list[Applied | Exception]:
        self.inner.apply_many(ops, results)
        raise _Killed


def test_a_killed_runs_writes_are_settled_under_the_lock_and_make_the_plan_stale(
    world: World,
) -> None:
    """A run dies after its first write reached the system. The window's read leaves
    the unfinished operations alone; applying its plan settles them under the lock,
    finds the records, and refuses the plan (its creates exist now). Read again, the
    plan creates nothing twice."""
    with world.service() as svc:
        never = threading.Event()
        for system in (System.ONEC, System.CRM):
            svc.writers[system] = _KilledAfterFirstWrite(svc.writers[system], never, never)
        with pytest.raises(_Killed):
            svc.run()
    with world.service() as window:
        unfinished = {k for k, v in _states(window).items() if v == OpState.SENDING.value}
        assert unfinished
        _snap, plan = window.prepare()
        assert {k for k, v in _states(window).items() if v == OpState.SENDING.value} == unfinished
        with pytest.raises(StalePlan):
            window.apply(plan)
        states = _states(window)
        assert {states[k] for k in unfinished} == {OpState.APPLIED.value}  # found, linked
        _snap, plan = window.prepare()
        window.apply(plan)
    assert _crm_twins(world) == {}
