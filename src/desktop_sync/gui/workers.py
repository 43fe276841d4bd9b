"""Long work off the GUI thread: a ``QRunnable`` with its signals on a separate ``QObject``.

A task is a plain function ``fn(progress, cancel) -> result``. The worker calls it
in a pool thread; every progress report, the result and any exception travel back
by queued signals. An exception never escapes: it is logged with its traceback and
emitted as one plain sentence (``failed``), so a dialog waiting for ``done`` is
always released.

Progress reports reach the GUI thread at most every :data:`PROGRESS_EVERY` seconds
(a new stage at once, the last report always before the result): the apply reports
every operation, and a burst of them (links, skipped steps, a batch's rows) queued
hundreds of handlers that the window ran in one turn of its loop, each waiting for
the GIL (issue 18: no stall over 50 ms).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from desktop_sync.engine.records import Progress
from desktop_sync.gui.errors import plain_message

log = logging.getLogger(__name__)

Task = Callable[[Callable[[Any], None], threading.Event], Any]

PROGRESS_EVERY = 0.04  # seconds between two progress reports of one stage (25 a second)
# The apply starts this long after the review closes: the window first repaints what the
# dialog covered (all three tables, each cell a call into Python) with no worker beside
# it to take the GIL from; started at once, that repaint waited on the worker's snapshot
# cache write (issue 18: no stall over 50 ms). A read starts this long after it is asked
# for too: asked in the pass that showed the last read (Synchronize as the window opens),
# a profile with history decoded its saved snapshot beside the tables' paint (223-288 ms).
REPAINT_FIRST_MS = 20
# The plan review is made, and the summary shown, this long after a read is shown: after
# the tables' paint, a turn after the handler that shows the read (1 ms could fire in it)
AFTER_PAINT_MS = 20


# While a task runs the interpreter hands its lock between threads at least this often
# (the program's 2 ms otherwise, gui/app.py). The GUI thread takes the lock each time Qt
# calls into Python (a tick's handler, a model's ``data``, an event filter), and each
# time waits up to the switch interval for a worker running Python: a tick with a few
# such calls waited 40-60 ms behind the medium read's tables and plan (issue 18).
BUSY_SWITCH_INTERVAL = 0.0005


class _Switching:
    """The switch interval while any runner is busy; the program's own when none is."""

    busy = 0
    idle = 0.0

    @classmethod
    def started(cls) -> None:
        cls.busy += 1
        if cls.busy == 1:
            cls.idle = sys.getswitchinterval()
            sys.setswitchinterval(min(cls.idle, BUSY_SWITCH_INTERVAL))

    @classmethod
    def ended(cls) -> None:
        cls.busy -= 1
        if cls.busy == 0:
            sys.setswitchinterval(cls.idle)


class Coalesced:
    """A task's ``progress``: reports of one stage passed on at most every
    :data:`PROGRESS_EVERY`; the ones between are held, only the newest kept."""

    def __init__(self, emit: Callable[[Any], None]) -> None:
        self.emit = emit
        self.stage: object = None
        self.last = -PROGRESS_EVERY
        self.held: list[Progress] = []

    def __call__(self, report: Any) -> None:
        if not isinstance(report, Progress):  # a sentence, a flag: rare, passed on at once
            self.emit(report)
            return
        now = time.monotonic()
        if report.stage == self.stage and now - self.last < PROGRESS_EVERY:
            self.held[:] = [report]
            return
        self.stage, self.last = report.stage, now
        self.held.clear()
        self.emit(report)

    def flush(self) -> None:
        """The newest held report, before the result: the strip ends where the task did."""
        if self.held:
            self.emit(self.held.pop())


class Signals(QObject):
    """What a worker reports. Lives in the GUI thread; emitted from the pool thread."""

    progress = Signal(object)
    done = Signal(object)
    failed = Signal(str, object)  # plain sentence, the exception
    finished = Signal()  # after done or failed, always


class Worker(QRunnable):
    def __init__(self, task: Task, name: str = "task") -> None:
        super().__init__()
        self.task = task
        self.name = name
        self.cancel = threading.Event()
        self.signals = Signals()
        self.setAutoDelete(True)

    def run(self) -> None:  # runs in a pool thread
        signals = self.signals
        progress = Coalesced(signals.progress.emit)
        try:
            result = self.task(progress, self.cancel)
        except Exception as exc:  # every error reaches the person as one sentence
            progress.flush()
            message, expected = plain_message(exc)
            if expected:
                log.warning("%s: %s", self.name, message)
            else:
                log.exception("%s failed unexpectedly", self.name)
            signals.failed.emit(message, exc)
        else:
            progress.flush()
            signals.done.emit(result)
        finally:
            signals.finished.emit()


class Runner(QObject):
    """Starts workers on its own pool (one thread: the service is used by one at a time)."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, threads: int = 1) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._active: list[Worker] = []
        self._waiting: list[Worker] = []  # started with a delay, not in the pool yet

    @property
    def busy(self) -> bool:
        return bool(self._active)

    def start(
        self,
        task: Task,
        *,
        name: str = "task",
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[str, object], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        delay_ms: int = 0,
    ) -> Worker:
        """Busy at once; the task enters the pool after ``delay_ms`` (0: now)."""
        worker = Worker(task, name)
        s = worker.signals
        if on_progress is not None:
            s.progress.connect(on_progress)

        def done(result: Any) -> None:
            self._finished(worker)  # not busy any more when the callback starts the next task
            if on_done is not None:
                on_done(result)

        def failed(message: str, exc: object) -> None:
            self._finished(worker)
            if on_failed is not None:
                on_failed(message, exc)

        s.done.connect(done)
        s.failed.connect(failed)
        self._active.append(worker)
        if len(self._active) == 1:
            _Switching.started()
            self.busy_changed.emit(True)
        if delay_ms > 0:
            self._waiting.append(worker)
            QTimer.singleShot(delay_ms, self, lambda: self._launch(worker))
        else:
            self.pool.start(worker)
        return worker

    def _launch(self, worker: Worker) -> None:
        if worker in self._waiting:  # not dropped by wait() meanwhile
            self._waiting.remove(worker)
            self.pool.start(worker)  # a Cancel pressed meanwhile: the task sees it at once

    def _finished(self, worker: Worker) -> None:
        if worker in self._active:
            self._active.remove(worker)
            if not self._active:
                _Switching.ended()
                self.busy_changed.emit(False)

    def cancel_all(self) -> None:
        for worker in self._active:
            worker.cancel.set()

    def wait(self, msecs: int = 30_000) -> bool:
        """Cancel what runs and wait for the pool (closing the window); a task still
        waiting for its delay never starts."""
        self.cancel_all()
        for worker in self._waiting[:]:
            self._waiting.remove(worker)
            self._finished(worker)
        return self.pool.waitForDone(msecs)
