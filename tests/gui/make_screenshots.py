"""Screenshots of the window on the sandboxes' story, offscreen:

    .venv/bin/python -m tests.gui.make_screenshots docs/screenshots [ru] [en]

(offscreen: ``QT_QPA_PLATFORM`` defaults to ``offscreen``; ``CONFIGURATION=ut11`` for a
UT 11 base).

Main window (invoices), the plan review, the inbox after a run, the invoice lookup.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def main(out: Path, lang: str) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["DESKTOP_SYNC_LANG"] = lang
    from desktop_sync.gui.qtcompat import pin_singletons

    pin_singletons()
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from desktop_sync.engine.service import SyncService
    from desktop_sync.gui.controllers.main_controller import MainController
    from desktop_sync.gui.resources import app_icon
    from desktop_sync.gui.views.main_window import MainWindowView
    from desktop_sync.i18n import set_language
    from tests.gui.sandbox_env import sandbox_env

    set_language(lang)
    app = QApplication.instance() or QApplication([])
    app.setWindowIcon(app_icon())

    def wait(cond, timeout: float = 120) -> None:
        start = time.monotonic()
        while not cond():
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if time.monotonic() - start > timeout:
                raise TimeoutError

    def settle() -> None:
        for _ in range(10):
            app.processEvents()

    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []

    def shot(widget, name: str) -> None:
        settle()
        path = out / f"{name}-{lang}.png"
        widget.grab().save(str(path))
        saved.append(path)

    configuration = os.environ.get("CONFIGURATION", "bp30")
    with (
        tempfile.TemporaryDirectory() as tmp,
        sandbox_env(Path(tmp) / "home", configuration=configuration) as env,
    ):
        c = MainController(
            env.paths, "demo",
            open_service=lambda p, a: SyncService.open(p, a, crm_throttle=False),
        )  # fmt: skip
        w = c.window
        w.resize(1440, 860)
        w.show()
        wait(lambda: c.snapshot is not None and not c.runner.busy)
        shot(w, "main")
        c.synchronize()
        wait(lambda: c.plan_dialog is not None and c.plan_dialog.filled)
        c.plan_dialog.resize(1280, 720)
        shot(c.plan_dialog, "plan")
        c.plan_dialog.accept()
        wait(lambda: c.summary_dialog is not None and not c.runner.busy)
        shot(c.summary_dialog, "summary")
        c.summary_dialog.accept()
        c.inbox.table.selectRow(0)
        shot(w, "inbox")
        wait(lambda: not c.runner.busy)
        w.tabs.setCurrentIndex(MainWindowView.DATA_TABS.index("counterparties"))
        shot(w, "counterparties")
        w.tabs.setCurrentIndex(MainWindowView.DATA_TABS.index("payments"))
        shot(w, "payments")
        w.tabs.setCurrentIndex(c.lookup_tab)
        inv = sorted(c.snapshot.onec.invoices.values(), key=lambda i: i.date)[-3]
        c.lookup.query.setText(inv.counterparty_name or inv.number)
        c.lookup.query.setText(inv.number)
        c.lookup.search()
        shot(w, "lookup")
        w.tabs.setCurrentIndex(0)
        c.shutdown()
        w.close()
    return saved


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    for language in sys.argv[2:] or ["ru", "en"]:
        for p in main(target, language):
            print(p)
