"""The application icon (from ``resources/icons``)."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from desktop_sync.i18n import resources_dir


def app_icon() -> QIcon:
    folder = resources_dir() / "icons"
    icon = QIcon()
    for name in ("desktop-sync.svg", "desktop-sync.png"):
        path = folder / name
        if path.is_file():
            icon.addFile(str(path))
    return icon
