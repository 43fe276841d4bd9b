"""Letting go of what the window no longer shows, a few objects at a time.

When the last reference to a read (its snapshot, plan, tables and journal names) goes,
Python frees every object under it at once: one step of the interpreter that holds the
GIL throughout, on the GUI thread, where the new read replaces the old one. On the medium
set that was 10-20 ms of the GUI thread's CPU inside ``MainController._loaded`` (its own
time and ``SideBySideModel.set_table``'s: the old rows freed), in the turn that also
showed the new tables (issue 18: no stall over 50 ms).

:class:`Release` keeps such objects and frees them in turns of the event loop of at most
:data:`BUDGET_S` each. An object it holds the last reference to is split first: what it
refers to is kept (``gc.get_referents``), then the object itself is dropped, which frees
only its own shell. Containers of more than :data:`BIG` entries are split at any depth,
others only near the top (:data:`DEPTH`), so a row, a record or an operation is freed whole
(microseconds) and a tuple of five thousand of them one by one.
"""

from __future__ import annotations

import gc
import sys
import time

from PySide6.QtCore import QObject, QTimer

BUDGET_S = 0.002  # seconds of freeing per turn of the event loop
BIG = 32  # a container with more entries is split wherever it is
DEPTH = 6  # smaller objects are split this far below what was handed over
ROUND = 64  # objects let go of between two looks at the clock
PIECE = 256  # entries taken at a time out of a big list, dict or set held last here
_CONTAINERS = (tuple, list, dict, set, frozenset)


def _split(obj: object, depth: int) -> bool:
    if isinstance(obj, _CONTAINERS):
        return len(obj) > BIG or depth < DEPTH
    return depth < DEPTH and gc.is_tracked(obj) and not isinstance(obj, type)


def _take_apart(obj: object, depth: int, held: list[tuple[object, int]]) -> None:
    """What ``obj`` (held last here) refers to, onto ``held``. A big list, dict or set gives
    :data:`PIECE` entries at a time, itself kept for the rest: its whole list of parts (a
    journal index of 16,000 entries: 32,000 parts) was made in one go, 5-12 ms in one step
    of a 2 ms budget (issue 18)."""
    big = isinstance(obj, _CONTAINERS) and len(obj) > BIG
    if big and isinstance(obj, list | dict | set) and len(obj) > PIECE:
        held.append((obj, depth))  # the rest after this piece
        piece: list[object]
        if isinstance(obj, list):
            piece = obj[-PIECE:]
            del obj[-PIECE:]
        elif isinstance(obj, dict):
            piece = [x for _ in range(PIECE) for x in obj.popitem()]
        else:
            piece = [obj.pop() for _ in range(PIECE)]
        held.extend((part, DEPTH) for part in piece)
        return
    below = DEPTH if big else depth + 1  # a big one's entries freed whole
    held.extend((part, below) for part in gc.get_referents(obj))


class Release(QObject):
    """Holds what is let go of and frees it a piece at a time on the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._held: list[tuple[object, int]] = []
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.step)

    @property
    def holding(self) -> int:
        return len(self._held)

    def later(self, *objects: object) -> None:
        """Free ``objects`` in the turns to come (``None`` is skipped)."""
        self._held.extend((o, 0) for o in objects if o is not None)
        if self._held and not self._timer.isActive():
            self._timer.start()

    def step(self, budget_s: float = BUDGET_S) -> None:
        """Free for at most ``budget_s``; stop the timer once nothing is held."""
        held = self._held
        deadline = time.perf_counter() + budget_s
        while held:
            for _ in range(ROUND):
                if not held:
                    break
                obj, depth = held.pop()
                if sys.getrefcount(obj) <= 2 and _split(obj, depth):  # ``obj`` and the argument
                    _take_apart(obj, depth, held)
                del obj
            if time.perf_counter() >= deadline:
                break
        if not held:
            self._timer.stop()

    def flush(self) -> None:
        """Free everything held now (closing the window, tests)."""
        while self._held:
            self.step(budget_s=1.0)
