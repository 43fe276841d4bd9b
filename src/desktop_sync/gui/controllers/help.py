"""The Help menu: the log file, and what this program is."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_sync.config import AppPaths
from desktop_sync.i18n import tr


def open_log(paths: AppPaths) -> None:
    from desktop_sync.logsetup import current_log_file

    where = current_log_file() or paths.gui_log_file
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(where)))


def about(parent: QWidget) -> None:
    from desktop_sync import __version__

    box = QMessageBox(parent)
    box.setWindowTitle(tr("About desktop-sync"))
    box.setText(
        tr("desktop-sync {version}: supervised synchronization of 1C and Bitrix24.").format(
            version=__version__
        )
    )
    box.setIconPixmap(parent.windowIcon().pixmap(64, 64))
    box.addButton(tr("OK"), QMessageBox.ButtonRole.AcceptRole)  # Qt's own stays "OK" in Russian
    box.exec()
