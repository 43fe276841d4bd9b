"""Automatic synchronisation: the timer while the window is open (or in the tray), the
scheduled run itself, what the tray says after it, and the dialog that sets it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desktop_sync.config import AppPaths, Profile
from desktop_sync.engine.records import Outcome, RunSummary
from desktop_sync.gui import labels
from desktop_sync.gui.controllers.progress import ProgressStrip
from desktop_sync.gui.controllers.tray import Tray
from desktop_sync.gui.controllers.wizard_fields import at_logon_box, minutes_box
from desktop_sync.gui.controllers.wizard_tasks import save_schedule
from desktop_sync.gui.workers import Runner
from desktop_sync.i18n import ntr, tr

if TYPE_CHECKING:
    from desktop_sync.engine.service import SyncService

log = logging.getLogger(__name__)


class ScheduleHost(Protocol):
    """What a scheduled run needs of the window."""

    runner: Runner
    progress: ProgressStrip
    tray: Tray
    last_summary: RunSummary | None

    @property
    def svc(self) -> SyncService | None: ...
    @property
    def plan_dialog(self) -> object | None: ...
    def refresh(self) -> None: ...
    def show_error(self, message: str) -> None: ...


class Scheduler(QObject):
    """A scheduled run applies what needs no person; never two runs at once."""

    def __init__(self, host: ScheduleHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.run)

    def follow(self, profile: Profile) -> str:
        """The profile's interval from now on, and the sentence that says it."""
        minutes = profile.schedule_minutes
        if minutes > 0:
            self.timer.start(minutes * 60_000)
            return ntr(
                "Synchronized automatically every {n} minute.",
                "Synchronized automatically every {n} minutes.",
                minutes,
            ).format(n=minutes)
        self.timer.stop()
        return tr("Automatic synchronization is off.")

    def stop(self) -> None:
        self.timer.stop()

    def run(self) -> None:
        h = self.host
        svc = h.svc
        if svc is None or h.runner.busy or h.plan_dialog is not None:
            log.info("scheduled run skipped: another run is going")
            return

        def task(progress: Callable[[Any], None], cancel: threading.Event) -> RunSummary:
            summary, _plan = svc.run(progress, cancel, trigger="schedule", operations=False)
            return summary

        h.progress.start(tr("Automatic synchronization…"))
        h.runner.start(task, name="scheduled run", on_done=self._done,
                       on_failed=self._failed, on_progress=h.progress.show)  # fmt: skip

    def _done(self, summary: RunSummary) -> None:
        h = self.host
        h.progress.end()
        h.last_summary = summary
        waiting = summary.counts.get("conflict", 0) + summary.counts.get("attention", 0)
        troubled = summary.outcome in (Outcome.PARTIAL, Outcome.CANNOT_CONNECT)
        if troubled or waiting:
            title = (
                ntr("{n} item waits for you in the Inbox", "{n} items wait for you in the Inbox",
                    waiting).format(n=waiting)
                if waiting and not troubled
                else labels.outcome(summary.outcome)
            )  # fmt: skip
            h.tray.notify(
                title,
                tr("Applied: {a}. Failed: {f}. Wait for you: {w}.").format(
                    a=summary.counts.get("applied", 0), f=summary.counts.get("failed", 0),
                    w=waiting)
                + (" " + tr("Click to open the Inbox.") if waiting else ""),
            )  # fmt: skip
        h.refresh()

    def _failed(self, message: str, exc: object) -> None:
        self.host.progress.end()
        self.host.tray.notify(tr("Automatic synchronization did not run"), message)
        self.host.show_error(message)


class ScheduleDialog(QDialog):
    """Connection → Automatic synchronisation…: how often, and whether at logon."""

    saved = Signal(str)  # profile name

    def __init__(
        self, paths: AppPaths, runner: Runner, profile: Profile, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.paths = paths
        self.runner = runner
        self.profile = profile
        self.setWindowTitle(tr("Automatic synchronization"))
        lay = QVBoxLayout(self)
        intro = QLabel(
            tr(
                "While the window is open (or in the tray), «{name}» is synchronized on its "
                "own: what needs no decision is applied, the rest waits in the Inbox and the "
                "tray says so."
            ).format(name=profile.name)
        )
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        self.minutes = minutes_box(profile.schedule_minutes, step=15)
        form.addRow(tr("Synchronize automatically every"), self.minutes)
        self.at_logon = at_logon_box(profile.start_at_logon)
        form.addRow("", self.at_logon)
        lay.addLayout(form)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        self.error.hide()
        lay.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(tr("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

    def accept(self) -> None:
        self.buttons.setEnabled(False)
        self.runner.start(
            save_schedule(
                self.paths, self.profile.name, self.minutes.value(), self.at_logon.isChecked()
            ),
            name="save schedule",
            on_done=self._saved,
            on_failed=lambda msg, _exc: self._failed(msg),
        )

    def _saved(self, profile: Profile) -> None:
        self.saved.emit(profile.name)
        super().accept()

    def _failed(self, message: str) -> None:
        self.buttons.setEnabled(True)
        self.error.setText(message)
        self.error.show()
