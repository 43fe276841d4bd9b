"""The window on a shared journal keeps its inbox current by polling (issue 23): an item
raised by another workstation appears, one resolved there disappears, and the message
bar says who resolved it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from desktop_sync.config import AppPaths, ProfileStore
from desktop_sync.engine.facade import JournalDoor
from desktop_sync.engine.service import SyncService
from desktop_sync.gui.controllers.inbox_poll import POLL_ENV, resolved_elsewhere
from desktop_sync.gui.controllers.main_controller import MainController
from tests.gui.inbox_records import inbox_record
from tests.gui.sandbox_env import sandbox_env
from tests.pgcluster import PASSWORD, PgCluster


def test_the_inbox_follows_the_other_workstation(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_cluster: PgCluster
) -> None:
    monkeypatch.setenv(POLL_ENV, "1")
    monkeypatch.setenv("DESKTOP_SYNC_JOURNAL_PASSWORD", PASSWORD)
    url = pg_cluster.url(pg_cluster.new_database("gui"))
    with sandbox_env(tmp_path / "home") as env:
        ours = ProfileStore(env.paths.profiles_file).put(replace(env.profile, journal_url=url))
        c = MainController(
            env.paths,
            "demo",
            open_service=lambda p, paths: SyncService.open(p, paths, crm_throttle=False),
        )
        qtbot.addWidget(c.window)
        try:
            qtbot.waitUntil(lambda: c.snapshot is not None and not c.runner.busy, timeout=60_000)
            assert c.inbox.model.entries() == []
            # The other workstation (its own home) synchronises: items reach the shared inbox.
            theirs = AppPaths.resolve(tmp_path / "other")
            theirs.ensure()
            with SyncService.open(replace(ours, uuid="0c0ffee0-0000-4000-8000-000000000001"),
                                  theirs, crm_throttle=False) as svc:  # fmt: skip
                svc.run()
                waiting = svc.inbox()
            assert waiting
            qtbot.waitUntil(lambda: len(c.inbox.model.entries()) == len(waiting), timeout=20_000)
            # …and resolves one: it leaves this window's inbox, and who did it is said.
            door = JournalDoor.open_journal_only(ours, theirs)
            try:
                door.resolve(waiting[0].id, "skip", by="colleague@pc2")
            finally:
                door.close()
            qtbot.waitUntil(
                lambda: len(c.inbox.model.entries()) == len(waiting) - 1, timeout=20_000
            )
            assert "resolved by colleague@pc2" in c.window.message.text()
        finally:
            c.shutdown()


def test_resolved_elsewhere_names_three_and_counts_the_rest() -> None:
    items = [
        replace(
            inbox_record(i, "attention", "F1", "invoice", str(i), f"Счёт № {i}", "", "", "",
                         None, None, None),
            state="resolved", resolved_by="anna@pc1",
        )
        for i in range(5)
    ]  # fmt: skip
    text = resolved_elsewhere(items)
    assert text.count("resolved by anna@pc1") == 3 and text.endswith(" and 2 more")
