"""When Python's cyclic garbage collector may run, so that it never freezes the window.

Measured on the medium data set: a full (generation 2) collection over a read
snapshot takes up to a second, and it holds the GIL in whichever thread triggers
it — usually the worker — so the GUI thread stops with it. The policy:

- while a worker runs, automatic collection is off (reference counting still frees
  almost everything: snapshots are acyclic dataclasses), and nothing is kept frozen
  (``gc.unfreeze``: a list splice). Python 3.11's ``gc.get_freeze_count`` walks every
  frozen object, and the planner asks it after each plan: with a read snapshot frozen
  that walk held the GIL for 55-90 ms, the longest stall of a medium sync (issue 18);
- when the runner becomes idle, what survived is frozen (``gc.freeze``: constant
  time) so later collections scan only new objects, and collection is back on;
- every ``full_minutes`` of idleness, a full collection reclaims cyclic garbage
  that was frozen — at a moment when nothing is being shown as in progress.
"""

from __future__ import annotations

import gc
import logging
import time

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)


class CollectorPolicy(QObject):
    def __init__(self, parent: QObject | None = None, full_minutes: int = 30) -> None:
        super().__init__(parent)
        self.busy = False
        self.full = QTimer(self)
        self.full.setInterval(full_minutes * 60_000)
        self.full.timeout.connect(self.collect_fully)
        self.full.start()

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        if busy:
            gc.disable()
            gc.unfreeze()
        else:
            gc.freeze()
            gc.enable()

    def collect_fully(self) -> None:
        if self.busy:
            return
        started = time.perf_counter()
        gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        log.info("full collection: %d objects in %.0f ms", found,
                 (time.perf_counter() - started) * 1000)  # fmt: skip

    def stop(self) -> None:
        """Leave the interpreter as it was found (tests, the end of the program)."""
        self.full.stop()
        gc.unfreeze()
        gc.enable()
