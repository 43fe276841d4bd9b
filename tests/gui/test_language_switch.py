"""Switching the language waits for the next start and says so; nothing redraws half
in one language (issue 19, item 7). DESKTOP_SYNC_LANG wins over the saved choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_sync.config import AppPaths
from desktop_sync.gui.controllers.main_controller import MainController, apply_saved_language
from desktop_sync.i18n import language, set_language


@pytest.fixture
def ru():
    before = language()
    set_language("ru")
    yield
    set_language(before)


def test_switch_waits_for_restart_and_says_so(
    qtbot, tmp_path: Path, ru, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DESKTOP_SYNC_LANG", raising=False)
    paths = AppPaths.resolve(tmp_path / "home")
    paths.ensure()
    c = MainController(paths)
    qtbot.addWidget(c.window)
    try:
        c.window.act_lang_en.trigger()
        assert language() == "ru", "nothing switches half-way"
        assert c.window.act_lang_en.isChecked() and not c.window.act_lang_ru.isChecked()
        assert "при следующем" in c.window.message.text().lower() or "next time" in (
            c.window.message.text().lower()
        )
        c.window.act_lang_ru.trigger()  # changed her mind: nothing to wait for
        assert language() == "ru"
        assert c.window.message.isHidden()
    finally:
        c.shutdown()
    # the next start takes the saved choice
    c2 = MainController(paths)
    qtbot.addWidget(c2.window)
    c2.window.act_lang_en.trigger()
    c2.shutdown()
    apply_saved_language(paths)
    assert language() == "en"


def test_environment_wins_over_the_saved_choice(
    qtbot, tmp_path: Path, ru, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = AppPaths.resolve(tmp_path / "home")
    paths.ensure()
    c = MainController(paths)
    qtbot.addWidget(c.window)
    c.window.act_lang_en.trigger()
    c.shutdown()
    monkeypatch.setenv("DESKTOP_SYNC_LANG", "ru")
    apply_saved_language(paths)
    assert language() == "ru"
