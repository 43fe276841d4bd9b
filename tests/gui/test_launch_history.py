"""Day two in the window: a profile with journal history shows its data at launch,
without a keystroke (issue 19, item 1). The profile is opened once, and a refresh asked
for while the worker is busy runs as soon as it is free instead of being dropped.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from desktop_sync.config import ProfileStore
from desktop_sync.engine.service import SyncService
from desktop_sync.gui.controllers.main_controller import MainController
from tests.gui.sandbox_env import sandbox_env


@pytest.fixture
def env_with_history(tmp_path: Path):
    with sandbox_env(tmp_path / "home") as e:
        store = ProfileStore(e.paths.profiles_file)
        shop = store.put(replace(e.profile, name="shop", demo=False, uuid=_new_uuid()))
        with SyncService.open(shop, e.paths, crm_throttle=False) as svc:
            svc.run(trigger="cli")  # yesterday's synchronisation from the command line
        e.shop = shop
        yield e


def _new_uuid() -> str:
    import uuid

    return str(uuid.uuid4())


def test_profile_with_history_shows_its_rows_at_launch(qtbot, env_with_history) -> None:
    opened: list[str] = []

    def counting_open(profile, paths):
        opened.append(profile.name)
        return SyncService.open(profile, paths, crm_throttle=False)

    c = MainController(env_with_history.paths, "shop", open_service=counting_open)
    qtbot.addWidget(c.window)
    c.window.show()
    try:
        qtbot.waitUntil(lambda: c.snapshot is not None, timeout=60_000)
        qtbot.waitUntil(lambda: not c.runner.busy, timeout=30_000)
        w = c.window
        assert opened == ["shop"], "the profile must be opened once"
        assert w.onec_state.state == "ok" and w.crm_state.state == "ok"
        assert w.models["invoices"].rowCount() > 0
        assert w.models["counterparties"].rowCount() > 0
        assert c.journal.runs, "yesterday's run is in the journal tab"
    finally:
        c.shutdown()


def test_refresh_while_busy_is_not_dropped(qtbot, env_with_history) -> None:
    c = MainController(
        env_with_history.paths,
        "shop",
        open_service=lambda p, paths: SyncService.open(p, paths, crm_throttle=False),
    )
    qtbot.addWidget(c.window)
    try:
        qtbot.waitUntil(lambda: c.snapshot is not None and not c.runner.busy, timeout=60_000)
        first = c.snapshot
        c.refresh()  # starts a read
        assert c.runner.busy
        c.refresh()  # asked again while busy (F5 pressed twice): runs after, not dropped
        qtbot.waitUntil(lambda: c.snapshot is not first and not c.runner.busy, timeout=60_000)
    finally:
        c.shutdown()
