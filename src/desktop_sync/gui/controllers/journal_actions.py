"""What the window does with the journal: a run's operations, their export, and the
history of one record ("why is this number different?"), each read in the worker."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from desktop_sync.gui.controllers.history import (
    History,
    HistoryDialog,
    HistoryRecord,
    history_task,
)
from desktop_sync.gui.controllers.host import WindowHost
from desktop_sync.gui.controllers.journal import JournalWidget, write_csv
from desktop_sync.gui.controllers.reading import RecordRef
from desktop_sync.gui.journal_names import OpEntry
from desktop_sync.gui.workers import REPAINT_FIRST_MS
from desktop_sync.i18n import tr

if TYPE_CHECKING:
    pass


class JournalHost(WindowHost, Protocol):
    journal: JournalWidget


class JournalActions:
    def __init__(self, host: JournalHost) -> None:
        self.host = host
        self.history_dialog: HistoryDialog | None = None
        host.journal.run_selected.connect(self.load_operations)
        host.journal.export_requested.connect(lambda p: self.export(Path(p)))
        host.journal.record_requested.connect(self.show_operation_history)

    def _failed(self, message: str, exc: object) -> None:
        self.host.show_error(message)

    def load_operations(self, run_id: int) -> None:
        h, svc = self.host, self.host.svc
        if svc is None:
            return

        def task(progress: Callable[[Any], None], cancel: threading.Event) -> list[OpEntry]:
            return [OpEntry.from_row(o) for o in svc.operations(run_id)]

        # after the paint of the read that selected the run (its rows' fetch is 50 ms of
        # Python beside each cell's call into Python: 42-85 ms stalls, issue 18)
        h.runner.start(task, name="operations", delay_ms=REPAINT_FIRST_MS,
                       on_done=lambda ops: h.journal.set_operations(run_id, ops),
                       on_failed=self._failed)  # fmt: skip

    def export(self, path: Path) -> None:
        h, svc, run = self.host, self.host.svc, self.host.journal.current_run
        if svc is None or run is None:
            return

        def task(progress: Callable[[Any], None], cancel: threading.Event) -> int:
            return write_csv(path, run, [OpEntry.from_row(o) for o in svc.operations(run.id)])

        h.runner.start(task, name="export", on_failed=self._failed,
                       on_done=lambda n: h.window.show_message(
                           tr("{n} operations exported to {path}").format(n=n, path=path),
                           "info"))  # fmt: skip

    def show_history(self, row: HistoryRecord) -> None:
        """Why is this number different? Every journalled change of the record."""
        h, svc = self.host, self.host.svc
        if svc is None or h.runner.busy:
            return

        def done(history: History) -> None:
            dialog = HistoryDialog(history, h.window)
            self.history_dialog = dialog
            dialog.open()

        h.runner.start(history_task(svc, row), name="history", on_done=done,
                       on_failed=self._failed)  # fmt: skip

    def show_operation_history(self, op: OpEntry) -> None:
        """Double-click in the journal: every journalled change of that operation's record."""
        ids = {i for i in (op.source_id, op.target_id) if i}
        for model in self.host.window.models.values():  # the record's row, if a table has it
            for row in model.table.rows:
                if ids & {row.onec_id, row.crm_id}:
                    self.show_history(row)
                    return
        name = self.host.journal.ops_model.namer(op)
        to_onec = op.target_system == "onec"
        one, crm = (op.target_id, op.source_id) if to_onec else (op.source_id, op.target_id)
        self.show_history(RecordRef(one or None, crm or None, {"name": name}, None, name))
