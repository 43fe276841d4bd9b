"""The inbox kept current while the window is open: on a shared journal another
workstation (or the service on a server) raises and resolves items too.

Every ``POLL_SECONDS`` a ``QTimer`` asks the door for the inbox, in a worker of its own
(never on the GUI thread, never in the way of the window's one worker: while that one
runs, the tick is skipped; a run's end refreshes everything anyway). When the open items
changed, the tab is redrawn; items that were open here and were resolved elsewhere are
named in the message bar with who resolved them (``user@machine``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer

from desktop_sync.engine.records import InboxRecord
from desktop_sync.gui.workers import Runner
from desktop_sync.i18n import tr

if TYPE_CHECKING:
    from desktop_sync.gui.controllers.inbox_actions import InboxActions, InboxHost

POLL_SECONDS = 30.0
POLL_ENV = "DESKTOP_SYNC_INBOX_POLL"  # seconds (tests, or a busy team)
_Polled = tuple[list[InboxRecord], list[InboxRecord]]  # (open now, resolved since)


def poll_seconds() -> float:
    try:
        return max(1.0, float(os.environ.get(POLL_ENV, "") or POLL_SECONDS))
    except ValueError:
        return POLL_SECONDS


def resolved_elsewhere(resolved: list[InboxRecord]) -> str:
    """The message bar's sentence: which items someone else resolved, and who."""
    named = [
        tr("{record}: resolved by {who}").format(
            record=i.record_label or f"#{i.id}", who=i.resolved_by or "?"
        )
        for i in resolved[:3]
    ]
    more = len(resolved) - len(named)
    return "; ".join(named) + (tr(" and {n} more").format(n=more) if more > 0 else "")


class InboxPoller(QObject):
    def __init__(self, host: InboxHost, actions: InboxActions) -> None:
        super().__init__(host.window)
        self.host = host
        self.actions = actions
        self.runner = Runner(self)
        self.timer = QTimer(self)
        self.timer.setInterval(int(poll_seconds() * 1000))
        self.timer.timeout.connect(self.poll)
        self.timer.start()

    def _shown(self) -> dict[int, InboxRecord]:
        return {e.id: e for e in self.host.inbox.model.entries()}

    def poll(self) -> None:
        svc = self.host.svc
        if svc is None or self.runner.busy or self.host.runner.busy:
            return
        before = self._shown()

        def task(progress: Callable[[Any], None], cancel: threading.Event) -> _Polled:
            items = svc.inbox(open_only=False)
            open_now = [i for i in items if i.state == "open"]
            gone = [i for i in items if i.id in before and i.state != "open"]
            return open_now, gone

        self.runner.start(task, name="inbox-poll", on_done=self._done)

    def _done(self, polled: _Polled) -> None:
        open_now, gone = polled
        if [e.id for e in open_now] == list(self._shown()):
            return
        self.actions.show(open_now)
        if gone:
            self.host.window.show_message(resolved_elsewhere(gone), "info")
