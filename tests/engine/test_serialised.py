"""Setup and inbox decisions never run beside a synchronisation (issue 16, item 8)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_sync.runlock import LockHeld, RunLock
from tests.e2e.conftest import World, make_world


@pytest.fixture
def bp_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch)


def test_setup_and_decisions_wait_for_the_run_lock(bp_world: World) -> None:
    with bp_world.service() as svc:
        svc.run()
        items = svc.journal.inbox()
        assert items, "the seeded data leaves at least one item waiting"
        with RunLock(bp_world.paths.lock_path(bp_world.profile.uuid)):
            with pytest.raises(LockHeld):
                svc.setup()
            with pytest.raises(LockHeld):
                svc.resolve(items[0].id, "skip")
        # once the run is over, both go through
        svc.setup()
        svc.resolve(items[0].id, "skip")
        assert all(i.id != items[0].id for i in svc.journal.inbox())
