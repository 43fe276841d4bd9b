"""The journal tab: runs, the operations of the chosen run (filterable), CSV export."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_sync.engine.records import Flow, Outcome, RunRecord
from desktop_sync.gui import fmt, journal_names, labels
from desktop_sync.gui.journal_names import OpEntry
from desktop_sync.gui.views.detail_pane import DETAIL_HEIGHT, DetailPane, fields_html
from desktop_sync.i18n import N_, tr
from desktop_sync.readmodel import journal_reason
from desktop_sync.xlsx import write_xlsx


@dataclass(frozen=True, slots=True)
class RunEntry:
    id: int
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    trigger: str
    mode: str
    outcome: str
    counts: dict[str, Any]
    message: str
    started_by: str

    @classmethod
    def from_row(cls, r: RunRecord) -> RunEntry:
        return cls(r.id, r.started_at, r.finished_at, r.trigger, r.mode, r.outcome,
                   dict(r.counts or {}), r.message or "", r.started_by or "")  # fmt: skip


_STATE_COLOURS = {"applied": "#2e7d32", "failed": "#c62828", "outcome_unknown": "#b26a00",
                  "skipped": "#546e7a", "waiting": "#ad1457"}  # fmt: skip
_OUTCOME_COLOURS = {
    "done": "#2e7d32",
    "waiting": "#ad1457",
    "partial": "#b26a00",
    "cannot_connect": "#c62828",
    "crashed": "#c62828",
    "cancelled": "#546e7a",
}

CSV_HEADER = ("run", "operation", "flow", "kind", "target", "entity", "source_id", "target_id",
              "state", "reason", "error", "before", "after", "updated_at")  # fmt: skip


def default_export_path(run_id: int) -> Path:
    """An absolute default for the export dialog: the user's Documents folder.

    A bare file name would be resolved against the working directory, which for a
    Start-menu shortcut is the program folder (not writable, or lost on upgrade).
    """
    import platformdirs

    return Path(platformdirs.user_documents_dir()) / f"journal-run-{run_id}.csv"


def _export_rows(run: RunEntry | None, ops: list[OpEntry]) -> list[list[object]]:
    return [
        [run.id if run else "", o.id, o.flow, o.kind, o.target_system, o.entity_type,
         o.source_id, o.target_id, o.state, o.reason, o.error,
         fmt.value(o.before) if o.before else "", fmt.value(o.after) if o.after else "",
         o.updated_at.isoformat() if o.updated_at else ""]
        for o in ops
    ]  # fmt: skip


def write_csv(path: Path, run: RunEntry | None, ops: list[OpEntry]) -> int:
    """Operations as CSV (UTF-8 with BOM and ';' so Excel opens Cyrillic right), or as
    .xlsx when the name ends so."""
    rows = _export_rows(run, ops)
    if path.suffix.lower() == ".xlsx":
        write_xlsx(path, CSV_HEADER, rows)
        return len(rows)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(CSV_HEADER)
        w.writerows(rows)
    return len(rows)


OP_HEADERS = (N_("Flow"), N_("What"), N_("Record"), N_("State"), N_("Why"),
              N_("Before → after"), N_("Error"))  # fmt: skip


FLOW_MAX = 260  # pixels of a flow's name in the journal before it is cut


class OpsModel(QAbstractTableModel):
    """A run's operations: a model, so a run of thousands opens at once."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._ops: list[OpEntry] = []
        self.namer: Callable[[OpEntry], str] = journal_names.namer(None)

    def set_ops(self, ops: list[OpEntry]) -> None:
        self.beginResetModel()
        self._ops = ops
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ops)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(OP_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return tr(OP_HEADERS[section])
        return None

    def _text(self, o: OpEntry, col: int) -> str:
        if col == 0:
            return labels.flow(o.flow)
        if col == 1:
            return f"{labels.kind(o.kind)} {labels.target(o.target_system)}"
        if col == 2:
            return self.namer(o)
        if col == 3:
            return labels.op_state(o.state)
        if col == 4:
            return without_name(journal_reason(o.reason, o.state), self.namer(o))
        if col == 5:
            return journal_names.changes_text(o.before, o.after)
        return o.error

    def op_at(self, row: int) -> OpEntry:
        return self._ops[row]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        o = self._ops[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.ToolTipRole and col == 4:
            return journal_reason(o.reason, o.state)  # the whole sentence
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(o, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 3 and o.state in _STATE_COLOURS:
                return QBrush(QColor(_STATE_COLOURS[o.state]))
            if col == 6 and o.error:
                return QBrush(QColor("#c62828"))
        return None


def without_name(reason: str, name: str) -> str:
    """The reason without the record's name in front: the name has a column of its own,
    and a reason cut off by a name it repeats says nothing («ООО «Ромашка» (ИНН …): …»)."""
    if name and reason.startswith(name):
        cut = reason.find(": ", len(name))
        if 0 <= cut <= len(name) + 40:
            return reason[cut + 2 :]
    return reason


def _item(text: str, colour: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if colour:
        item.setForeground(QBrush(QColor(colour)))
    return item


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setAlternatingRowColors(True)
    t.setWordWrap(False)
    t.verticalHeader().hide()
    t.verticalHeader().setDefaultSectionSize(26)
    t.horizontalHeader().setStretchLastSection(True)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return t


def no_runs_text() -> str:
    return tr("No runs yet: each synchronization is written here, with every change.")


class JournalWidget(QWidget):
    run_selected = Signal(int)
    export_requested = Signal(str)  # path
    record_requested = Signal(object)  # an OpEntry double-clicked: its record's history

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: list[RunEntry] = []
        self.ops: list[OpEntry] = []
        self.current_run: RunEntry | None = None
        lay = QVBoxLayout(self)
        self.runs_table = _table(
            [
                tr("Run"),
                tr("Started"),
                tr("How"),
                tr("Outcome"),
                tr("Applied"),
                tr("Failed"),
                tr("Waiting"),
                tr("Message"),
            ]
        )
        # an outcome whole in this font: 250 px cut «Готово; есть вопросы, ждущие реш…»
        outcomes = max(self.runs_table.fontMetrics().horizontalAdvance(labels.outcome(o))
                       for o in Outcome) + 16  # fmt: skip
        for col, w in enumerate((60, 140, 210, max(250, outcomes), 80, 80, 80)):
            self.runs_table.setColumnWidth(col, w)
        self.ops_model = OpsModel(self)
        self.ops_table = QTableView()
        self.ops_table.setModel(self.ops_model)
        self.ops_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.ops_table.setAlternatingRowColors(True)
        self.ops_table.setWordWrap(False)
        self.ops_table.verticalHeader().hide()
        self.ops_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.ops_table.verticalHeader().setDefaultSectionSize(26)
        self.ops_table.horizontalHeader().setStretchLastSection(True)
        self.ops_table.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        # the flow in words, each name whole in this font (180 px cut «Контрагенты (в обе
        # стороны)» and "Products from 1C to the CRM" at 1366 px) up to FLOW_MAX, a longer
        # one (F10's) cut with its tooltip whole; "before → after" gives way
        fm = self.ops_table.fontMetrics()
        flows = min(max(fm.horizontalAdvance(labels.flow(f)) for f in Flow), FLOW_MAX) + 16
        for col, w in enumerate((flows, 150, 200, 100, 360, max(160, 400 - flows))):
            self.ops_table.setColumnWidth(col, w)
        bar = QHBoxLayout()
        self.state_filter = QComboBox()
        self.state_filter.addItem(tr("All operations"), "")
        for s in ("applied", "failed", "outcome_unknown", "skipped", "waiting"):
            self.state_filter.addItem(labels.op_state(s), s)
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("Find a record in this run…"))
        self.search.setClearButtonEnabled(True)
        self.export_button = QPushButton(tr("Export (CSV, XLSX)…"))
        self.ops_title = QLabel(no_runs_text())  # a new profile's journal: what will come here
        bar.addWidget(self.ops_title, 1)
        bar.addWidget(self.search)
        bar.addWidget(self.state_filter)
        bar.addWidget(self.export_button)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addLayout(bar)
        bl.addWidget(self.ops_table)
        self.detail = DetailPane()  # the selected operation whole: its why, each change
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.runs_table)
        split.addWidget(bottom)
        split.addWidget(self.detail)
        split.setSizes([170, 470 - DETAIL_HEIGHT - 40, DETAIL_HEIGHT + 40])
        split.setChildrenCollapsible(False)
        lay.addWidget(split)
        for table in (self.runs_table, self.ops_table):  # headers never clipped
            table.horizontalHeader().setMinimumSectionSize(40)
        rh = self.runs_table.horizontalHeader()
        for col in (0, 4, 5, 6):
            rh.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.ops_table.doubleClicked.connect(
            lambda index: self.record_requested.emit(self.ops_model.op_at(index.row()))
        )
        self.ops_table.setToolTip(tr("Double-click an operation to see its record's history."))
        self.ops_table.selectionModel().currentRowChanged.connect(self._show_op)
        self.ops_model.modelReset.connect(lambda: self.detail.show_html(""))
        self.runs_table.itemSelectionChanged.connect(self._run_changed)
        self.state_filter.currentIndexChanged.connect(self._fill_ops)
        self.search.textChanged.connect(self._fill_ops)
        self.export_button.clicked.connect(self._ask_export)
        self.export_button.setEnabled(False)

    def _show_op(self, current: QModelIndex, *_: object) -> None:
        """The current operation's whole text under the table (its cells are cut)."""
        if not current.isValid():
            self.detail.show_html("")
            return
        m, row = self.ops_model, current.row()
        text = [str(m.data(m.index(row, col))) for col in range(len(OP_HEADERS))]
        heads = [tr(h) for h in OP_HEADERS]
        changes = "\n" + text[5].replace("; ", "\n") if text[5] else ""
        fields = [(heads[1], text[1]), (heads[3], text[3]), (heads[4], text[4]),
                  (heads[5], changes), (heads[6], text[6])]  # fmt: skip
        self.detail.show_html(fields_html(text[2], text[0], fields))

    def set_runs(self, runs: list[RunEntry]) -> None:
        if runs == self.runs:
            return  # nothing new: no rebuild, the selection stays
        selected = self.current_run.id if self.current_run else None
        self.runs = runs
        if not runs:
            self.ops_title.setText(no_runs_text())
        t = self.runs_table
        t.setRowCount(len(runs))
        for r, run in enumerate(runs):
            c = run.counts
            how = f"{labels.mode(run.mode)}, {labels.trigger(run.trigger)}"
            waiting = int(c.get("conflict", 0)) + int(c.get("attention", 0))
            cells = [
                _item(str(run.id)),
                _item(fmt.date(run.started_at)),
                _item(how),
                _item(labels.outcome(run.outcome), _OUTCOME_COLOURS.get(run.outcome)),
                _item(str(c.get("applied", 0))),
                _item(str(c.get("failed", 0))),
                _item(str(waiting)),
                _item(run.message),
            ]
            for col, cell in enumerate(cells):
                t.setItem(r, col, cell)
        if runs:
            row = next((i for i, x in enumerate(runs) if x.id == selected), 0)
            t.selectRow(row)

    def _run_changed(self) -> None:
        rows = self.runs_table.selectionModel().selectedRows()
        if rows:
            run = self.runs[rows[0].row()]
            self.current_run = run
            self.ops_title.setText(tr("Run {id}: operations").format(id=run.id))
            self.run_selected.emit(run.id)

    def set_names(self, namer: Callable[[OpEntry], str]) -> None:
        """Records by name, from the last read of both systems."""
        self.ops_model.namer = namer
        self._fill_ops()

    def set_operations(self, run_id: int, ops: list[OpEntry]) -> None:
        if self.current_run is None or self.current_run.id != run_id:
            return
        self.ops = ops
        self._fill_ops()

    def visible_ops(self) -> list[OpEntry]:
        state = self.state_filter.currentData()
        q = self.search.text().strip().casefold()
        return [
            o for o in self.ops
            if (not state or o.state == state)
            and (not q or q in f"{self.ops_model.namer(o)} {o.reason} {o.error}".casefold())
        ]  # fmt: skip

    def _fill_ops(self, *_: object) -> None:
        self.ops_model.set_ops(self.visible_ops())
        self.export_button.setEnabled(self.current_run is not None)

    def _ask_export(self) -> None:
        if self.current_run is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, tr("Export the journal"), str(default_export_path(self.current_run.id)),
            tr("CSV files (*.csv);;Excel workbooks (*.xlsx)"),
        )  # fmt: skip
        if path:
            self.export_requested.emit(path)
