"""\"Why is this number different?\": every operation the journal holds on one record."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTableView, QVBoxLayout, QWidget

from desktop_sync.gui import fmt, labels
from desktop_sync.gui.controllers.journal import OpsModel, RunEntry
from desktop_sync.gui.journal_names import OpEntry
from desktop_sync.i18n import tr

if TYPE_CHECKING:
    from desktop_sync.engine.service import SyncService


class HistoryRecord(Protocol):
    """A record whose history is asked for: a table's row, or one named by the journal."""

    @property
    def onec_id(self) -> str | None: ...
    @property
    def crm_id(self) -> str | None: ...
    @property
    def onec(self) -> Mapping[str, Any] | None: ...
    @property
    def crm(self) -> Mapping[str, Any] | None: ...
    @property
    def key(self) -> str: ...
    def state_text(self) -> str: ...


@dataclass(frozen=True, slots=True)
class History:
    row: HistoryRecord
    entries: list[tuple[RunEntry, OpEntry]]


def history_task(
    svc: SyncService, row: HistoryRecord, runs: int = 100
) -> Callable[[Callable[[Any], None], threading.Event], History]:
    """Operations on the row's ids (either side) in the last ``runs`` runs, newest first."""
    ids = {i for i in (row.onec_id, row.crm_id) if i}
    ids |= {part for i in list(ids) for part in i.split(",")}

    def task(progress: Callable[[Any], None], cancel: threading.Event) -> History:
        found: list[tuple[RunEntry, OpEntry]] = []
        for run in svc.runs(limit=runs):
            if cancel.is_set():
                break
            entry = RunEntry.from_row(run)
            for op in svc.operations(run.id):
                if op.source_id in ids or op.target_id in ids:
                    found.append((entry, OpEntry.from_row(op)))
        return History(row, found)

    return task


class HistoryDialog(QDialog):
    def __init__(self, history: History, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        row = history.row
        side = row.onec or row.crm or {}
        title = " · ".join(str(side.get(k)) for k in ("number", "name", "product") if side.get(k))
        self.setWindowTitle(tr("History: {record}").format(record=title or row.key))
        self.resize(1000, 420)
        lay = QVBoxLayout(self)
        self.headline = QLabel(
            tr("{state}. Changes the journal holds on this record: {n}.").format(
                state=row.state_text(), n=len(history.entries)
            )
            if history.entries
            else tr("{state}. The journal holds no change on this record yet.").format(
                state=row.state_text()
            )
        )
        self.headline.setWordWrap(True)
        lay.addWidget(self.headline)
        self.model = OpsModel(self)
        self.model.set_ops([op for _run, op in history.entries])
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, w in enumerate((60, 200, 160, 110, 330, 220)):
            self.table.setColumnWidth(col, w)
        lay.addWidget(self.table, 1)
        self.when = QLabel(
            "; ".join(
                tr("run {id} of {date}").format(id=run.id, date=fmt.date(run.started_at))
                + f" ({labels.trigger(run.trigger)})"
                for run in {r.id: r for r, _ in history.entries}.values()
            )
        )
        self.when.setWordWrap(True)
        self.when.setStyleSheet("color: gray")
        lay.addWidget(self.when)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("Close"))
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
