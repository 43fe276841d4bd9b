"""What the window no longer shows is freed a piece at a time, and the plan review makes
its rows turn by turn, the waiting items too (issue 18: no stall over 50 ms).

Freeing a read at once (its snapshot, plan, tables: hundreds of thousands of objects) is
one step of the interpreter that holds the GIL; on the medium set it was 10-20 ms of the
GUI thread's CPU in the handler that shows the next read. Counted here, not timed.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

from desktop_sync.gui import release
from desktop_sync.gui.controllers.plan_review import CHUNK, FIRST_CHUNK, PlanReviewDialog
from desktop_sync.gui.release import Release
from tests.gui.sandbox_env import demo_env, loaded_window


class Part:
    """A row of a read: a few values of its own."""

    def __init__(self, n: int) -> None:
        self.values = {"number": str(n), "name": f"name {n}", "sum": n * 10}


class Read:
    def __init__(self, n: int) -> None:
        self.parts = tuple(Part(i) for i in range(n))
        self.index = {str(i): (str(i), i) for i in range(n)}


def test_a_big_structure_is_freed_a_round_at_a_time(qtbot: Any) -> None:
    read = Read(5000)
    alive = [weakref.ref(p) for p in read.parts]
    whole = weakref.ref(read)
    r = Release()
    r.later(read, None)
    del read
    assert whole() is not None, "held until the loop turns"
    steps, most = 0, 0
    was = len(alive)
    while r.holding:
        r.step(budget_s=0.0)  # one round: at most ROUND objects let go of
        now = sum(1 for a in alive if a() is not None)
        most = max(most, was - now)
        was, steps = now, steps + 1
    assert whole() is None and was == 0
    assert most <= release.ROUND, most  # never the whole tuple in one go
    assert steps > 5000 // release.ROUND


def test_something_still_used_elsewhere_is_not_taken_apart(qtbot: Any) -> None:
    read = Read(100)
    r = Release()
    r.later(read)
    r.flush()
    assert len(read.parts) == 100 and read.index["7"] == ("7", 7)
    assert read.parts[3].values["name"] == "name 3"


def test_the_previous_read_is_freed_after_the_turn_that_shows_the_next(
    qtbot: Any, tmp_path: Path
) -> None:
    """Before: freed inside ``_loaded``, in the turn that also reset the five tables."""
    with demo_env(tmp_path / "home") as env, loaded_window(qtbot, env) as window:
        c: Any = window
        assert c.shown is not None
        previous = weakref.ref(c.shown)
        seen: dict[str, bool] = {}
        original = c._loaded

        def loaded(new: Any) -> None:
            original(new)
            seen["alive after the handler"] = previous() is not None

        c._loaded = loaded
        c.refresh()
        qtbot.waitUntil(lambda: bool(seen), timeout=60_000)
        assert seen["alive after the handler"], "freed at once, in the handler"
        gc.collect()
        qtbot.waitUntil(lambda: previous() is None and not c.release.holding, timeout=60_000)


def test_the_review_makes_its_waiting_rows_turn_by_turn_and_stops_when_closed(
    qtbot: Any, tmp_path: Path
) -> None:
    """Before: all the waiting items' rows were made with the dialog (341 on the medium
    set), and the operations' rows went on being made after the dialog was closed."""
    with demo_env(tmp_path / "home") as env, loaded_window(qtbot, env) as window:
        c: Any = window
        plan, items = c.plan, c.shown.items
        assert plan is not None and items
        rows = c.shown.plan_rows
        n_ops = sum(len(r) for r in rows.values())
        dialog = PlanReviewDialog(plan, c.window, rows, items * 40)  # many waiting
        qtbot.addWidget(dialog)
        made = len(dialog._items) + len(dialog._waiting)
        assert made == min(FIRST_CHUNK, n_ops + len(items) * 40), made
        qtbot.waitUntil(lambda: dialog.filled, timeout=60_000)
        assert len(dialog._waiting) == len(items) * 40 and len(dialog._items) == n_ops

        closed = PlanReviewDialog(plan, c.window, rows, items * 40)
        qtbot.addWidget(closed)
        closed.open()
        closed.reject()
        made = len(closed._items) + len(closed._waiting)
        for _ in range(5):
            qtbot.wait(20)
        assert len(closed._items) + len(closed._waiting) == made < CHUNK + FIRST_CHUNK


def test_the_review_is_shown_in_a_turn_after_the_one_that_makes_it(
    qtbot: Any, tmp_path: Path
) -> None:
    """Before: made and shown in one turn (its first paint with it: one gap of the GUI
    thread's own work of about 45 ms on the medium set); a review closed before it is
    shown is never shown."""
    with demo_env(tmp_path / "home") as env, loaded_window(qtbot, env) as window:
        c: Any = window
        c._open_review(c.shown)
        dialog = c.plan_dialog
        assert dialog is not None and not dialog.isVisible()
        qtbot.waitUntil(dialog.isVisible, timeout=60_000)
        dialog.reject()
        qtbot.waitUntil(lambda: c.plan_dialog is None, timeout=60_000)

        closed = PlanReviewDialog(c.plan, c.window, c.shown.plan_rows, c.shown.items)
        qtbot.addWidget(closed)
        closed.open_soon()
        closed.reject()
        qtbot.wait(50)
        assert not closed.isVisible()


def test_the_next_rows_wait_for_a_later_turn_when_made_in_a_timers_handler(
    qtbot: Any, tmp_path: Path
) -> None:
    """The review is made in a timer's handler (``_open_review``); the ``singleShot(0)`` for
    its next rows was a posted event, which can run in the pass under way: 200 more rows in
    the turn that made the dialog. Now a timer: posted events alone never run it."""
    from PySide6.QtCore import QCoreApplication

    with demo_env(tmp_path / "home") as env, loaded_window(qtbot, env) as window:
        c: Any = window
        dialog = PlanReviewDialog(c.plan, c.window, c.shown.plan_rows, c.shown.items * 40)
        qtbot.addWidget(dialog)
        QCoreApplication.sendPostedEvents()
        assert len(dialog._items) + len(dialog._waiting) == FIRST_CHUNK
        qtbot.waitUntil(lambda: dialog.filled, timeout=60_000)


def test_a_big_dict_is_taken_apart_a_piece_at_a_time(qtbot: Any) -> None:
    """Before: its 40,000 keys and values listed in one go in the round that reached it
    (5-12 ms of one step on the medium set's journal index, budget 2 ms)."""

    class Holder:
        def __init__(self) -> None:
            self.index = {str(i): (str(i), i) for i in range(20_000)}

    r = Release()
    r.later(Holder())
    most = 0
    while r.holding:
        r.step(budget_s=0.0)
        most = max(most, r.holding)
    assert most <= 1_000, most  # a piece of its entries and a round's, not all 40,000
