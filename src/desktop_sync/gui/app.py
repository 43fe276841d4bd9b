"""Starting the window: ``run_gui`` (from the CLI) and ``main`` (the gui-script)."""

from __future__ import annotations

import logging
import os
import sys

from PySide6.QtCore import QLibraryInfo, QLocale, Qt, QTimer, QTranslator
from PySide6.QtWidgets import QApplication

from desktop_sync.config import AppPaths
from desktop_sync.gui.qtcompat import pin_singletons
from desktop_sync.gui.single_instance import SingleInstance, instance_key
from desktop_sync.i18n import language, tr
from desktop_sync.logsetup import setup_logging
from desktop_sync.stdio import prepare_stdio

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
    qt_in_language(app)
    return app


_qt_words: list[QTranslator] = []  # the one installed, to take back on a switch


def qt_in_language(app: QApplication) -> bool:
    """Qt's own words in the window's language, as Qt ships them (``qtbase_ru.qm``): a
    message box's «ОК» (was "OK" under «О программе» in Russian), a line edit's context
    menu («Копировать», was "Copy"), the calendar's months. English: Qt's own. True when
    a translation was installed."""
    for old in _qt_words:
        app.removeTranslator(old)
    _qt_words.clear()
    lang = language()
    QLocale.setDefault(QLocale(lang))
    if lang == "en":
        return False
    words = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not words.load(QLocale(lang), "qtbase", "_", folder):
        log.warning("Qt's own words in %s not found in %s: they stay English", lang, folder)
        return False
    app.installTranslator(words)
    _qt_words.append(words)
    return True


def run_gui(paths: AppPaths, profile_name: str | None) -> int:
    """Open the main window on ``profile_name`` (or the remembered/only one); block until quit."""
    from desktop_sync.gui.controllers.language import apply_saved_language
    from desktop_sync.gui.controllers.main_controller import MainController
    from desktop_sync.gui.resources import app_icon

    paths.ensure()
    setup_logging(paths.gui_log_file)
    apply_saved_language(paths)
    app = create_app()
    key = instance_key(paths.config_dir, _instance_suffix(paths, profile_name))
    single = SingleInstance(key, lock_file=paths.config_dir / f"{key}.lock")
    if not single.claim():  # listening from here on: a later start finds this window
        log.info("a window is already open for %s: brought it forward", paths.config_dir)
        return 0
    app.setWindowIcon(app_icon())
    try:
        controller = MainController(paths, profile_name)
    except BaseException:
        single.close()  # the next start is the first, not kept waiting on this one
        raise
    single.activated.connect(lambda: _bring_forward(controller))
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
        single.close()
    return int(code)


def _bring_forward(controller: object) -> None:
    log.info("another start asked for the window: brought forward")
    controller.show_window()  # type: ignore[attr-defined]


def _instance_suffix(paths: AppPaths, profile_name: str | None) -> str:
    """The demo has a window of its own; every other start shares the one window."""
    from desktop_sync.engine.profiles_door import ProfilesDoor

    # a damaged file is the window's to report, not this check's: None
    profile = ProfilesDoor(paths).find(profile_name)
    return "demo" if profile is not None and profile.demo else ""


def show_startup_error(text: str) -> None:
    """A message box for an error before (or instead of) the window: no console to read."""
    try:
        from PySide6.QtWidgets import QMessageBox

        create_app()
        box = QMessageBox(QMessageBox.Icon.Critical, "desktop-sync", text)
        box.addButton(tr("OK"), QMessageBox.ButtonRole.AcceptRole)  # Qt's stays "OK"
        box.exec()
    except Exception:  # no display at all: the log has it
        log.exception("cannot show the start-up error")


def main() -> None:
    """``desktop-sync-gui``: the window, with ``--home`` honoured through the environment.

    Started without a console (pythonw), so a failure to start is shown in a message
    box and written to the log, never lost on a stderr nobody sees.
    """
    prepare_stdio()
    try:
        paths = AppPaths.resolve()
        code = run_gui(paths, None)
    except Exception as exc:
        log.exception("the window could not start")
        from desktop_sync.gui.errors import plain_message
        from desktop_sync.logsetup import current_log_file

        where = current_log_file()
        text = plain_message(exc)[0]
        if where is not None:
            text += "\n\n" + tr("Details are in the log: {log}").format(log=where)
        show_startup_error(text)
        code = 1
    sys.exit(code)
