"""The tray icon: its menu, its tooltip (what waits) and its notifications."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from desktop_sync.gui.resources import app_icon
from desktop_sync.i18n import ntr, tr


class Tray(QObject):
    """``icon`` is None where the desktop has no tray (the notifications are still kept)."""

    open_requested = Signal()
    sync_requested = Signal()
    quit_requested = Signal()
    inbox_requested = Signal()  # a notification clicked: it said what waits

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon: QSystemTrayIcon | None = None
        self.menu: QMenu | None = None
        self.last_notification: tuple[str, str] | None = None  # what the tray said last
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.make()

    def make(self) -> QSystemTrayIcon:
        icon = QSystemTrayIcon(app_icon(), self)
        menu = QMenu()
        menu.addAction(tr("Open"), lambda: self.open_requested.emit())
        menu.addAction(tr("Synchronize now"), lambda: self.sync_requested.emit())
        menu.addSeparator()
        menu.addAction(tr("Quit"), lambda: self.quit_requested.emit())
        icon.setContextMenu(menu)
        self.menu = menu
        icon.activated.connect(lambda _r: self.open_requested.emit())
        icon.messageClicked.connect(lambda: self.inbox_requested.emit())
        icon.setToolTip("desktop-sync")
        icon.show()
        self.icon = icon
        return icon

    def set_waiting(self, n: int) -> None:
        if self.icon is not None:
            self.icon.setToolTip(
                "desktop-sync: "
                + ntr("{n} item waits for you", "{n} items wait for you", n).format(n=n)
                if n
                else "desktop-sync"
            )

    def notify(self, title: str, text: str) -> None:
        self.last_notification = (title, text)
        if self.icon is not None:
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 10_000)

    def hide(self) -> None:
        if self.icon is not None:
            self.icon.hide()
