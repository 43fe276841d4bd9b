"""The window fits a 1366×768 (and a 1280×720) laptop in both languages, on every tab,
even after a long error in a connection pill (issue 19, item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_sync.engine.service import SyncService
from desktop_sync.gui.controllers.main_controller import MainController
from desktop_sync.gui.views.main_window import MainWindowView
from desktop_sync.i18n import language, set_language
from tests.gui.sandbox_env import sandbox_env

LAPTOP_W, LAPTOP_H = 1280, 720  # the smaller of the two: 1366×768 follows


@pytest.fixture(params=["ru", "en"])
def lang(request: pytest.FixtureRequest):
    before = language()
    set_language(request.param)
    yield request.param
    set_language(before)


def test_window_fits_a_laptop_on_every_tab(qtbot, tmp_path: Path, lang: str) -> None:
    with sandbox_env(tmp_path / "home") as env:
        c = MainController(
            env.paths,
            "demo",
            open_service=lambda p, paths: SyncService.open(p, paths, crm_throttle=False),
        )
        qtbot.addWidget(c.window)
        c.window.show()
        try:
            qtbot.waitUntil(lambda: c.snapshot is not None and not c.runner.busy, timeout=60_000)
            w = c.window
            long_error = "нет связи с 1С: " + "очень длинная причина " * 20
            w.onec_state.set_state("error", long_error)
            w.crm_state.set_state("error", long_error)
            c.show_error(long_error)
            for i in range(w.tabs.count()):
                w.tabs.setCurrentIndex(i)
                qtbot.wait(10)
                hint = w.minimumSizeHint()
                assert hint.width() <= LAPTOP_W, (lang, w.tabs.tabText(i), hint)
                assert hint.height() <= LAPTOP_H, (lang, w.tabs.tabText(i), hint)
            assert long_error in w.onec_state.toolTip()  # nothing lost: all in the tooltip
        finally:
            c.shutdown()


def test_first_size_never_exceeds_the_screen(qtbot) -> None:
    w = MainWindowView()
    qtbot.addWidget(w)
    free = w.screen().availableGeometry().size()
    size = MainWindowView.first_size()
    assert size.width() <= max(free.width(), 1) and size.height() <= max(free.height(), 1)


def test_the_period_fields_write_dates_as_the_tables_do(qtbot, lang: str) -> None:
    """English tables write 2026-03-16; the period fields wrote 06.09.2026 in both."""
    import datetime as dt

    from desktop_sync.gui import fmt

    w = MainWindowView()
    qtbot.addWidget(w)
    field = w.filters.date_to
    day = field.date().toPython()
    assert isinstance(day, dt.date)
    assert field.text() == fmt.date(day)
