"""A full read under the run lock (``run``, ``dry_run``) is saved as the snapshot cache at
once and planned from the saved copy, the read let go first (issue 18: the large set's
first sync, the read's 160 MB of objects, the copy's 118 with its texts and numbers
shared). The plan is the one the read itself gives; ``prepare`` writes nothing."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_sync.engine import cache, service
from desktop_sync.engine.model import Plan
from tests.e2e.conftest import World, make_world


@pytest.fixture
def bp_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch)


def _shape(plan: Plan) -> list[tuple[str, str, str, str, str]]:
    return [
        (op.op_id, op.idempotency_key, op.reason, op.record_label, repr(op.payload))
        for op in plan.operations
    ]


def test_a_full_run_plans_from_the_saved_copy_with_the_read_let_go(
    bp_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = cache.cache_path(bp_world.paths.data_dir, bp_world.profile.uuid)
    with bp_world.service() as svc:
        _snap, from_read = svc.prepare()
        assert not path.exists()  # prepare writes nothing
    del _snap
    reads: list[weakref.ref[Any]] = []
    alive_at_plan: list[bool] = []
    read_onec, build_plan = service.read_onec, service.build_plan

    def reading(*args: Any, **kw: Any) -> Any:
        onec, versions = read_onec(*args, **kw)
        reads.append(weakref.ref(onec))
        return onec, versions

    def planning(snap: Any, *args: Any) -> Plan:
        gc.collect()
        alive_at_plan.append(reads[-1]() is not None)
        assert snap.onec is not reads[-1]()
        return build_plan(snap, *args)

    monkeypatch.setattr(service, "read_onec", reading)
    monkeypatch.setattr(service, "build_plan", planning)
    with bp_world.service() as svc:
        _summary, from_saved = svc.dry_run()
    assert alive_at_plan == [False]
    assert path.exists()  # saved under the run lock
    assert _shape(from_saved) == _shape(from_read)
    assert from_saved.items == from_read.items
