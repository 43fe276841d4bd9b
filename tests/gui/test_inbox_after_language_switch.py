"""The Inbox after a language switch: items a Russian run wrote read in English when the
window is opened in English on the same profile, and the other way round.

The journal keeps each item's words as the run that found it wrote them, and what they
were made of (``inbox.said``); the door says them again in the language of the moment
(engine/inbox_words.py, desktop_sync/said.py). The window switches language at its next
start only (the language menu saves the choice), so each language here is a new window
on the same profile's journal, built after ``apply_saved_language`` as the program starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop_sync.config import AppPaths
from desktop_sync.engine.service import SyncService
from desktop_sync.gui.controllers.main_controller import MainController, apply_saved_language
from desktop_sync.gui.models.inbox_model import COLUMNS
from desktop_sync.i18n import language, set_language
from tests.gui.sandbox_env import SandboxEnv, demo_env
from tests.killing import HANG

WORDS = ("kind", "field", "message", "action")  # the columns the catalog says


@pytest.fixture
def keep_language(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("DESKTOP_SYNC_LANG", raising=False)  # the saved choice decides
    before = language()
    yield
    set_language(before)


def _window(qtbot: Any, env: SandboxEnv) -> MainController:
    """The window as the program starts it: the saved language first, then the profile."""
    apply_saved_language(env.paths)
    c = MainController(
        env.paths, "demo", open_service=lambda p, a: SyncService.open(p, a, crm_throttle=False)
    )
    qtbot.addWidget(c.window)
    c.window.show()
    qtbot.waitUntil(lambda: c.snapshot is not None and not c.runner.busy, timeout=HANG * 1000)
    return c


def _shown(c: MainController) -> dict[int, dict[str, str]]:
    """What the Inbox table shows, by item: each column's text as its view asks for it."""
    view = c.inbox.table
    model = view.model()
    out: dict[int, dict[str, str]] = {}
    for row in range(model.rowCount()):
        entry = c.inbox.model.entry(row)
        out[entry.id] = {
            key: str(model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole))
            for column, (key, _label) in enumerate(COLUMNS)
            if key in WORDS
        }
    return out


def _synchronize(qtbot: Any, c: MainController) -> None:
    c.synchronize()
    qtbot.waitUntil(lambda: c.plan_dialog is not None, timeout=HANG * 1000)
    assert c.plan_dialog is not None
    c.plan_dialog.accept()
    qtbot.waitUntil(lambda: c.summary_dialog is not None, timeout=HANG * 1000)
    assert c.summary_dialog is not None
    c.summary_dialog.accept()
    qtbot.waitUntil(lambda: not c.runner.busy and c.shown is not None, timeout=HANG * 1000)


def _restart_in(qtbot: Any, c: MainController, env: SandboxEnv, lang: str) -> MainController:
    """The language menu, then the window closed and opened again."""
    (c.window.act_lang_en if lang == "en" else c.window.act_lang_ru).trigger()
    c.shutdown()
    c.window.close()
    c = _window(qtbot, env)
    assert language() == lang
    return c


def _stored(env: SandboxEnv) -> dict[int, str]:
    """Each open item's message as the journal keeps it (the words of the run)."""
    with SyncService.open(env.profile, env.paths, crm_throttle=False) as svc:
        return {item.id: item.message for item in svc.journal.inbox()}


def test_inbox_items_follow_the_language_the_window_opens_in(
    qtbot: Any, tmp_path: Path, keep_language: None
) -> None:
    with demo_env(tmp_path / "home") as env:
        assert isinstance(env.paths, AppPaths)
        set_language("ru")
        c = _window(qtbot, env)
        try:
            _synchronize(qtbot, c)  # the items written by a run in Russian
            in_russian = _shown(c)
            assert len(in_russian) >= 3, "the demo keeps items waiting for a person"
            stored = _stored(env)

            c = _restart_in(qtbot, c, env, "en")
            in_english = _shown(c)
            assert in_english.keys() == in_russian.keys()
            said_again = [i for i in in_english if in_english[i]["message"] != stored[i]]
            assert len(said_again) >= 3, (in_english, stored)  # not the stored words
            for item, texts in in_english.items():
                assert texts != in_russian[item], texts
                assert texts["kind"] in ("Conflict", "Needs attention"), texts

            _synchronize(qtbot, c)  # the same items written by a run in English
            by_english_run = _shown(c)
            common = in_english.keys() & by_english_run.keys()
            assert len(common) >= 3
            for item in common:  # what the window said equals what an English run writes
                assert in_english[item] == by_english_run[item]

            c = _restart_in(qtbot, c, env, "ru")  # and back: the English run's in Russian
            again_in_russian = _shown(c)
            for item in common & in_russian.keys():
                assert again_in_russian[item] == in_russian[item]
        finally:
            c.shutdown()
