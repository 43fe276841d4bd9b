"""Screenshots of every screen of the window on the sandboxes' story, in both languages:

    xvfb-run -s "-screen 0 1366x768x24" sh -c \\
        'openbox & sleep 1; .venv/bin/python -m tests.gui.make_screenshots docs/screenshots'

(a real X server with a window manager: whole-screen PNGs at 1366×768 with the frames and
dialogs as a person sees them; without a display it falls back to ``offscreen`` and grabs
each window alone). ``CONFIGURATION=ut11`` for a UT 11 base; languages as arguments after
the folder (default: ru en).

Screens: the five data tabs, the plan review, the summary, the inbox, the journal, the
invoice lookup, each page of the connection wizard, the schedule dialog.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SIZE = (1366, 768)


def main(out: Path, lang: str) -> list[Path]:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["DESKTOP_SYNC_LANG"] = lang
    from desktop_sync.gui.qtcompat import pin_singletons

    pin_singletons()
    from PySide6.QtCore import QEventLoop
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QWidget

    from desktop_sync.engine.service import SyncService
    from desktop_sync.gui.controllers.main_controller import MainController
    from desktop_sync.gui.resources import app_icon
    from desktop_sync.gui.views.main_window import MainWindowView
    from desktop_sync.i18n import set_language
    from tests.gui.sandbox_env import demo_env

    set_language(lang)
    app = QApplication.instance() or QApplication([])
    from desktop_sync.gui.app import qt_in_language

    qt_in_language(app)  # Qt's own words in the language, as the window's start does
    app.setWindowIcon(app_icon())
    real_screen = QGuiApplication.platformName() not in ("offscreen", "minimal")

    def wait(cond: Callable[[], Any], timeout: float = 120) -> None:
        start = time.monotonic()
        while not cond():
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if time.monotonic() - start > timeout:
                raise TimeoutError

    def settle(seconds: float = 0.4) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:  # the window manager maps and paints the windows
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []

    def shot(widget: QWidget, name: str) -> None:
        settle()
        path = out / f"{name}-{lang}.png"
        screen = QGuiApplication.primaryScreen()
        if real_screen and screen is not None:
            picture = screen.grabWindow(0)  # the whole screen: frames, dialogs over the window
        else:
            picture = widget.window().grab()
        picture.save(str(path))
        saved.append(path)

    def centre(dialog: QWidget, width: int, height: int) -> None:
        dialog.resize(width, height)
        dialog.move((SIZE[0] - width) // 2, max(0, (SIZE[1] - height) // 2 - 20))

    configuration = os.environ.get("CONFIGURATION", "bp30")
    with (
        tempfile.TemporaryDirectory() as tmp,
        demo_env(Path(tmp) / "home", configuration) as env,  # what the demo shows
    ):
        c = MainController(
            env.paths, "demo",
            open_service=lambda p, a: SyncService.open(p, a, crm_throttle=False),
        )  # fmt: skip
        w = c.window
        w.resize(*SIZE)
        w.showMaximized()
        wait(lambda: c.snapshot is not None and not c.runner.busy)
        names = dict(enumerate(MainWindowView.DATA_TABS))

        def select_waiting(key: str) -> None:  # the line under the tables shows it whole
            rows = w.models[key].rows()
            waits = [i for i, r in enumerate(rows) if r.waits] or ([0] if rows else [])
            if waits:
                w.tables[key].middle.selectRow(waits[0])

        for index, key in names.items():
            w.tabs.setCurrentIndex(index)
            select_waiting(key)
            shot(w, f"main-{key}" if key != "invoices" else "main")

        c.synchronize()
        wait(lambda: c.plan_dialog is not None and c.plan_dialog.filled)
        centre(c.plan_dialog, 1300, 680)
        shot(c.plan_dialog, "plan")
        c.plan_dialog.accept()
        wait(lambda: c.summary_dialog is not None)
        shot(c.summary_dialog, "summary")
        c.summary_dialog.accept()
        wait(lambda: not c.runner.busy)
        w.tabs.setCurrentIndex(0)  # the tables after the run: what is left, and why
        select_waiting("invoices")
        shot(w, "main-after")
        w.tabs.setCurrentIndex(c.inbox_tab)
        c.inbox.table.selectRow(0)
        shot(w, "inbox")

        w.tabs.setCurrentIndex(c.journal_tab)
        wait(lambda: not c.runner.busy)
        shot(w, "journal")

        w.tabs.setCurrentIndex(c.lookup_tab)
        assert c.snapshot is not None
        # an invoice in both systems (the one the run sent to 1C), else a 1C one
        c.lookup.query.setText("СЧ-0004")  # at the demo's send stage: made in 1C
        c.lookup.search()
        if not c.lookup.table.rowCount():
            inv = sorted(c.snapshot.onec.invoices.values(), key=lambda i: i.date)[-3]
            c.lookup.query.setText(inv.number)
            c.lookup.search()
        if c.lookup.table.rowCount():
            c.lookup.table.selectRow(0)
        shot(w, "lookup")
        w.tabs.setCurrentIndex(0)

        # the connection wizard, page by page (as Connection → Connection settings… opens it)
        c.open_wizard(c.profile)
        wizard = c.wizard
        assert wizard is not None
        centre(wizard, 760, 560)
        shot(wizard, "wizard-1c")
        wizard.next()
        shot(wizard, "wizard-crm")
        wizard.next()
        wizard.test()
        wait(lambda: wizard.tested or wizard.test_button.isEnabled())
        shot(wizard, "wizard-check")
        wizard.next()
        shot(wizard, "wizard-mapping")
        wizard.reject()
        wait(lambda: not c.runner.busy)

        # a new connection: the name proposed, every problem of the page at once
        c.open_wizard(None)
        fresh = c.wizard
        assert fresh is not None
        centre(fresh, 760, 560)
        fresh.organization.setText("ООО «Ромашка»")
        fresh.onec_url.setText("http://1c.romashka.ru/buh")
        fresh.next()
        shot(fresh, "wizard-new")
        fresh.reject()

        c.open_schedule()
        assert c.schedule_dialog is not None
        shot(c.schedule_dialog, "schedule")
        c.schedule_dialog.reject()

        c.shutdown()
        w.close()
        settle(0.2)
    return saved


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    for language in sys.argv[2:] or ["ru", "en"]:
        for p in main(target, language):
            print(p)
