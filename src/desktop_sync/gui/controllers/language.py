"""The window's language: chosen in the menu, saved for the next start, never switched
half-way (a window half in one language and half in the other is worse than a restart).
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

from desktop_sync.config import AppPaths
from desktop_sync.gui.views.main_window import MainWindowView
from desktop_sync.i18n import LANG_ENV, language, set_language, tr

LANGUAGES = ("ru", "en")


def gui_settings(paths: AppPaths) -> QSettings:
    """The window's own settings (the chosen profile and language), beside the profiles."""
    return QSettings(str(paths.config_dir / "gui.ini"), QSettings.Format.IniFormat)


class LanguageMenu:
    """The View → Language actions of ``window``, saved in ``settings``."""

    def __init__(self, window: MainWindowView, settings: QSettings) -> None:
        self.window = window
        self.settings = settings
        window.act_lang_ru.triggered.connect(lambda: self.choose("ru"))
        window.act_lang_en.triggered.connect(lambda: self.choose("en"))
        self._tick(language())

    def _tick(self, lang: str) -> None:
        self.window.act_lang_ru.setChecked(lang == "ru")
        self.window.act_lang_en.setChecked(lang == "en")

    def choose(self, lang: str) -> None:
        """Saved for the next start, and said so; nothing switches half-way now.

        Menus, tables, dialogs and the journal's words all change together when the
        window opens again.
        """
        self.settings.setValue("language", lang)
        self._tick(lang)
        if lang == language():
            self.window.show_message("")
            return
        if os.environ.get(LANG_ENV, "").strip():
            self.window.show_message(
                tr(
                    "This computer's settings fix the language of desktop-sync; "
                    "ask whoever installed it to change them."
                ),
                "info",
            )
            return
        self.window.show_message(tr("The language changes the next time the window opens."), "info")


def apply_saved_language(paths: AppPaths) -> None:
    """The language chosen in the window, unless DESKTOP_SYNC_LANG says otherwise."""
    if os.environ.get(LANG_ENV, "").strip():
        return  # the environment wins (an integrator's choice, a test's)
    lang = str(gui_settings(paths).value("language", "") or "")
    if lang in LANGUAGES:
        set_language(lang)
