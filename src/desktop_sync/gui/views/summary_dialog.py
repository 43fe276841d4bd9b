"""The end of a run: what changed, what failed and why, what waits for a person."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_sync.engine.records import Outcome, RunSummary
from desktop_sync.gui import labels
from desktop_sync.i18n import tr

_COLOURS = {
    Outcome.DONE: "#2e7d32",
    Outcome.WAITING: "#ad1457",
    Outcome.PARTIAL: "#b26a00",
    Outcome.CANCELLED: "#546e7a",
    Outcome.CANNOT_CONNECT: "#c62828",
}


class SummaryDialog(QDialog):
    def __init__(self, summary: RunSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = summary
        self.setWindowTitle(tr("Synchronization finished"))
        self.setMinimumWidth(520)
        lay = QVBoxLayout(self)
        colour = _COLOURS.get(summary.outcome, "#546e7a")
        self.headline = QLabel(
            f'<span style="color:{colour}; font-size:15pt">●</span> '
            f'<b style="font-size:13pt">{labels.outcome(summary.outcome)}</b>'
        )
        lay.addWidget(self.headline)
        if summary.message:
            msg = QLabel(summary.message)
            msg.setWordWrap(True)
            lay.addWidget(msg)
        c = summary.counts
        waiting = c.get("conflict", 0) + c.get("attention", 0)
        grid = QGridLayout()
        grid.setHorizontalSpacing(24)
        rows: list[tuple[str, int]] = [
            (tr("Applied"), c.get("applied", 0)),
            # «reasons below» only when there are failures and reasons to read below
            (
                tr("Failed, with reasons below") if summary.failures else tr("Failed"),
                c.get("failed", 0),
            ),
            (tr("Left out by you"), c.get("skipped", 0)),
            (tr("Wait for a person"), waiting),
        ]
        if c.get("relinked", 0):  # found already there (a journal lost, a profile re-added)
            rows.append((tr("Found in both systems and linked, not created"), c["relinked"]))
        self.count_labels: dict[str, QLabel] = {}
        for r, (name, n) in enumerate(rows):
            grid.addWidget(QLabel(name), r, 0)
            value = QLabel(f"<b>{n}</b>")
            grid.addWidget(value, r, 1)
            self.count_labels[name] = value
        lay.addLayout(grid)
        self.failures = QListWidget()
        if summary.failures:
            lay.addWidget(QLabel(tr("What failed, and why:")))
            for record, reason in summary.failures:
                self.failures.addItem(f"{record}: {reason}")
            lay.addWidget(self.failures)
        if waiting:
            hint = QLabel(tr("Open the Inbox to decide what waits for a person."))
            hint.setWordWrap(True)
            lay.addWidget(hint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("Close"))
        self.inbox_button = None
        if waiting:
            self.inbox_button = buttons.addButton(
                tr("Open the Inbox"), QDialogButtonBox.ButtonRole.AcceptRole
            )
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        lay.addWidget(buttons)
        self._closed = False
        self.finished.connect(self._close)

    def _close(self, _result: int) -> None:
        self._closed = True

    def open_soon(self, delay_ms: int = 1) -> None:
        """Show the dialog in a later turn of the event loop: its first paint apart from the
        turn that shows the re-read's tables and the one that paints them (issue 18: no
        stall over 50 ms); not if it was closed meanwhile."""
        QTimer.singleShot(delay_ms, self, lambda: None if self._closed else self.open())
