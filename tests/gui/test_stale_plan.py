"""The window's plan made stale by a scheduled run: applying it is refused with one
calm sentence, nothing is written twice, and the window reads both systems again
(issue 15). The real window against both sandboxes."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_sync.engine.model import OpKind
from desktop_sync.gui.controllers.main_controller import MainController
from tests.gui.sandbox_env import sandbox_env
from tests.gui.test_window_e2e import fast_open


@pytest.fixture
def env(tmp_path: Path):
    with sandbox_env(tmp_path / "home") as e:
        yield e


def test_a_plan_made_stale_by_another_run_is_refused_and_read_again(qtbot, env):
    c = MainController(env.paths, "demo", open_service=fast_open)
    qtbot.addWidget(c.window)
    try:
        qtbot.waitUntil(lambda: c.plan is not None and not c.runner.busy, timeout=60_000)
        stale = c.plan
        assert [op for op in stale.operations if op.kind is OpKind.CREATE]
        with fast_open(c.profile, env.paths) as scheduler:  # the scheduled sync --apply
            scheduler.run(trigger="schedule")
            applied_before = scheduler.journal.applied_count()
        c.apply(stale, set())
        qtbot.waitUntil(lambda: "another synchronization" in c.last_error, timeout=60_000)
        assert "\n" not in c.last_error and "Traceback" not in c.last_error
        # read again: the new plan creates nothing the scheduler made
        qtbot.waitUntil(lambda: c.plan is not stale and not c.runner.busy, timeout=60_000)
        assert [op for op in c.plan.operations if op.kind is OpKind.CREATE] == []
        assert c.svc.journal.applied_count() == applied_before  # the refused plan wrote nothing
    finally:
        c.shutdown()
