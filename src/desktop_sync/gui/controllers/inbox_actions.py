"""The Inbox tab's decisions, recorded through the door in the worker, and what the
window says of what waits (the tab's title, the tray's tooltip)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from typing import Any, Protocol

from desktop_sync.engine.records import InboxRecord, Plan
from desktop_sync.gui.controllers.host import WindowHost
from desktop_sync.gui.controllers.inbox import InboxWidget
from desktop_sync.gui.controllers.inbox_poll import InboxPoller
from desktop_sync.gui.controllers.reading import status_line
from desktop_sync.gui.controllers.tray import Tray
from desktop_sync.i18n import ntr, tr


class InboxHost(WindowHost, Protocol):
    inbox: InboxWidget
    inbox_tab: int
    tray: Tray
    plan: Plan | None


class InboxActions:
    def __init__(self, host: InboxHost) -> None:
        self.host = host
        host.inbox.resolve_requested.connect(self.resolve)
        self.poller = InboxPoller(host, self)  # a shared journal changes from elsewhere too
        self.decided = 0  # decisions taken since the last read: its plan does not hold them

    def show(self, entries: list[InboxRecord], planned: Collection[str] | None = None) -> None:
        h = self.host
        h.inbox.set_entries(entries, planned)
        n = len(entries)
        h.window.tabs.setTabText(h.inbox_tab, tr("Inbox ({n})").format(n=n) if n else tr("Inbox"))
        h.tray.set_waiting(n)
        if h.plan is not None and not h.runner.busy:  # «In the Inbox: 4» said 3 were left
            line = status_line(
                len(h.plan.operations), entries, h.plan, h.inbox.planned, self.decided
            )
            h.window.statusBar().showMessage(line)

    def resolve(self, ids: list[int], action: str, value: object) -> None:
        h, svc = self.host, self.host.svc
        if svc is None:
            return

        decided = {e.dedup_key for e in h.inbox.model.entries() if e.id in ids}

        def task(progress: Callable[[Any], None], cancel: threading.Event) -> list[InboxRecord]:
            for item_id in ids:
                svc.resolve(item_id, action, value, by="")
            return svc.inbox()

        def done(entries: list[InboxRecord]) -> None:
            self.decided += len(ids)  # «Changes ready: 0» is the read's; these come next
            self.show(entries, h.inbox.planned - decided)  # decided: not to join it again
            h.window.show_message(
                ntr(
                    "{n} decision recorded; the next synchronization carries it out.",
                    "{n} decisions recorded; the next synchronization carries them out.",
                    len(ids),
                ).format(n=len(ids)),
                "info",
            )

        h.runner.start(task, name="resolve", on_done=done,
                       on_failed=lambda message, _exc: h.show_error(message))  # fmt: skip
