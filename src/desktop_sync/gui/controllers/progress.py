"""The progress strip under the tables: what runs now, how far, and the Cancel button."""

from __future__ import annotations

from collections.abc import Callable

from desktop_sync.engine.records import Progress, Stage
from desktop_sync.gui.views.main_window import MainWindowView
from desktop_sync.i18n import tr

_STAGE_TR: dict[Stage, Callable[[], str]] = {
    Stage.CONNECT: lambda: tr("Connecting to both systems"),
    Stage.RESUME: lambda: tr("Finishing writes an earlier run left unfinished"),
    Stage.READ_ONEC: lambda: tr("Reading 1C"),
    Stage.READ_CRM: lambda: tr("Reading the CRM"),
    Stage.PLAN: lambda: tr("Working out what to change"),
    Stage.APPLY: lambda: tr("Applying the changes"),
    Stage.DONE: lambda: tr("Done"),
}


class ProgressStrip:
    """Drives the window's progress widgets; every method runs on the GUI thread."""

    def __init__(self, window: MainWindowView) -> None:
        self.window = window

    def start(self, text: str) -> None:
        w = self.window
        w.progress_label.setText(text)
        w.progress.setRange(0, 0)
        w.cancel_button.setEnabled(True)
        w.show_progress(True)

    def end(self) -> None:
        self.window.show_progress(False)

    def cancelling(self) -> None:
        self.window.progress_label.setText(tr("Cancelling… the current step finishes first."))
        self.window.cancel_button.setEnabled(False)

    def show(self, p: object) -> None:
        """A worker's report: a :class:`Progress` of a stage, or a plain sentence."""
        w = self.window
        if isinstance(p, Progress):
            stage = _STAGE_TR.get(p.stage, lambda: str(p.stage))()
            if p.total:
                w.progress.setRange(0, p.total)
                w.progress.setValue(p.done)
                w.progress.setFormat(f"{p.done} / {p.total}")
            else:
                w.progress.setRange(0, 0)
            text = f"{stage}: {p.current}" if p.current else stage
            if w.cancel_button.isEnabled():
                w.progress_label.setText(text)
        elif isinstance(p, str):
            w.progress_label.setText(p)
