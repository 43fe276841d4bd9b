"""Starting the window: ``run_gui`` (from the CLI) and ``main`` (the gui-script)."""

from __future__ import annotations

import logging
import os
import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from desktop_sync.config import AppPaths
from desktop_sync.gui.qtcompat import pin_singletons
from desktop_sync.logsetup import setup_logging

log = logging.getLogger(__name__)

SMOKE_ENV = "DESKTOP_SYNC_GUI_QUIT_AFTER_MS"  # smoke tests: quit after this many ms


def _excepthook(exc_type: type[BaseException], exc: BaseException, tb: object) -> None:
    """An exception in a GUI slot: logged with its traceback, shown as one calm line."""
    log.error("unexpected error in the window", exc_info=(exc_type, exc, tb))  # type: ignore[arg-type]
    from desktop_sync.gui.errors import plain_message

    app = QApplication.instance()
    controller = getattr(app, "_desktop_sync_controller", None) if app else None
    if controller is not None:
        controller.show_error(plain_message(exc)[0])


SWITCH_INTERVAL = 0.002  # seconds; Python's default is 0.005


def create_app(argv: list[str] | None = None) -> QApplication:
    pin_singletons()
    # The worker runs Python too: hand the GIL back and forth more often, so the GUI
    # thread waits less for it (medium benchmark, one run each: stall 235 -> 129 ms).
    sys.setswitchinterval(SWITCH_INTERVAL)
    app = QApplication.instance()
    if app is None:
        QApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("desktop-sync")
    app.setOrganizationName("desktop-sync")
    app.setQuitOnLastWindowClosed(True)
    return app


def run_gui(paths: AppPaths, profile_name: str | None) -> int:
    """Open the main window on ``profile_name`` (or the remembered/only one); block until quit."""
    from desktop_sync.gui.controllers.main_controller import MainController, apply_saved_language
    from desktop_sync.gui.resources import app_icon

    paths.ensure()
    setup_logging(paths.log_file)
    apply_saved_language(paths)
    app = create_app()
    app.setWindowIcon(app_icon())
    controller = MainController(paths, profile_name)
    app._desktop_sync_controller = controller  # type: ignore[attr-defined]
    previous_hook = sys.excepthook
    sys.excepthook = _excepthook
    smoke_ms = os.environ.get(SMOKE_ENV, "")
    if smoke_ms.isdigit():  # the smoke test of a build: open, then quit by itself
        QTimer.singleShot(int(smoke_ms), controller.quit)
    try:
        controller.window.show()
        code = app.exec()
    finally:
        controller.shutdown()
        controller.window.deleteLater()
        app.processEvents()  # a late "quit" must not end the caller's next event loop
        sys.excepthook = previous_hook
        app._desktop_sync_controller = None  # type: ignore[attr-defined]
    return int(code)


def main() -> None:
    """``desktop-sync-gui``: the window, with ``--home`` honoured through the environment."""
    sys.exit(run_gui(AppPaths.resolve(), None))
