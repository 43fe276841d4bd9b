"""Screenshots of every screen of the window on the sandboxes' story, in both languages:

    xvfb-run -s "-screen 0 1366x768x24" sh -c \\
        'openbox & sleep 1; .venv/bin/python -m tests.gui.make_screenshots docs/screenshots'

(a real X server with a window manager: whole-screen PNGs at 1366×768 with the frames and
dialogs as a person sees them; without a display it falls back to ``offscreen`` and grabs
each window alone). ``CONFIGURATION=ut11`` for a UT 11 base; languages as arguments after
the folder (default: ru en); ``--day-two`` walks the demo's second day instead
(synchronize, decide in the Inbox, synchronize again, reopen the window: ``day2-*``).

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


def main(out: Path, lang: str, *, second_day: bool = False) -> list[Path]:
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
    from desktop_sync.i18n import set_language
    from tests.gui.sandbox_env import demo_env
    from tests.gui.screens import SIZE, day_two, every_screen

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

    configuration = os.environ.get("CONFIGURATION", "bp30")
    with (
        tempfile.TemporaryDirectory() as tmp,
        demo_env(Path(tmp) / "home", configuration) as env,  # what the demo shows
    ):

        def open_window() -> Any:
            c = MainController(
                env.paths, "demo",
                open_service=lambda p, a: SyncService.open(p, a, crm_throttle=False),
            )  # fmt: skip
            c.window.resize(*SIZE)
            c.window.showMaximized()
            wait(lambda: c.snapshot is not None and not c.runner.busy)
            opened.append(c)
            return c

        def reopen() -> Any:
            close(opened[-1])
            return open_window()

        def close(c: Any) -> None:
            c.shutdown()
            c.window.close()
            settle(0.2)

        opened: list[Any] = []
        c = open_window()
        walk = day_two(c, wait, reopen) if second_day else every_screen(c, wait)
        for name, widget in walk:
            shot(widget, name)
        close(opened[-1])
    return saved


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--day-two"]
    target = Path(args[0] if args else "docs/screenshots")
    for language in args[1:] or ["ru", "en"]:
        for p in main(target, language, second_day="--day-two" in sys.argv):
            print(p)
