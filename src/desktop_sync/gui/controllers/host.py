"""What the window's helper classes need of it: the worker, the view, the door."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from desktop_sync.gui.views.main_window import MainWindowView
from desktop_sync.gui.workers import Runner

if TYPE_CHECKING:
    from desktop_sync.engine.service import SyncService


class WindowHost(Protocol):
    runner: Runner
    window: MainWindowView

    @property
    def svc(self) -> SyncService | None: ...
    def show_error(self, message: str) -> None: ...
