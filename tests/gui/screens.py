"""Every screen of the window on the demo, in the order a person meets them: one walk for
the screenshots (tests/gui/make_screenshots) and for the tests that read every screen
(tests/gui/test_window_in_russian).

``every_screen`` yields ``(name, widget)`` with the screen shown and sized as a 1366×768
laptop shows it; the caller grabs or scans it, then the walk goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

SIZE = (1366, 768)
Wait = Callable[[Callable[[], Any]], None]


def centre(dialog: Any, width: int, height: int) -> None:
    dialog.resize(width, height)
    dialog.move((SIZE[0] - width) // 2, max(0, (SIZE[1] - height) // 2 - 20))


def select_waiting(w: Any, key: str) -> None:
    """The first row waiting for a person selected: the line under the tables shows it."""
    rows = w.models[key].rows()
    waits = [i for i, r in enumerate(rows) if r.waits] or ([0] if rows else [])
    if waits:
        w.tables[key].middle.selectRow(waits[0])


def select_longest(dialog: Any) -> None:
    """The plan's operation with the longest reason selected: the pane under the tree
    says it whole."""
    rows = dialog._row_of
    if rows:
        op_id = max(rows, key=lambda k: len(rows[k].reason) + len(rows[k].changes))
        dialog.tree.setCurrentItem(dialog._items[op_id])


def every_screen(c: Any, wait: Wait, *, every_tab_after: bool = False) -> Iterator[tuple[str, Any]]:
    """The data tabs, the plan review, the summary, the tables after the run (each data
    tab with ``every_tab_after``), the inbox, the journal, the lookup, each page of the
    connection wizard, a new connection's problems, the schedule."""
    w = c.window
    tabs = dict(enumerate(w.DATA_TABS))
    for index, key in tabs.items():
        w.tabs.setCurrentIndex(index)
        select_waiting(w, key)
        yield (f"main-{key}" if key != "invoices" else "main"), w

    yield from run_and_close(c, wait)
    for index, key in tabs.items() if every_tab_after else ():
        w.tabs.setCurrentIndex(index)
        select_waiting(w, key)
        yield f"main-{key}-after", w
    w.tabs.setCurrentIndex(0)  # the tables after the run: what is left, and why
    select_waiting(w, "invoices")
    yield "main-after", w
    w.tabs.setCurrentIndex(c.inbox_tab)
    c.inbox.table.selectRow(0)
    yield "inbox", w
    w.tabs.setCurrentIndex(c.journal_tab)
    wait(lambda: not c.runner.busy)
    c.journal.ops_table.selectRow(0)
    yield "journal", w

    w.tabs.setCurrentIndex(c.lookup_tab)
    # an invoice in both systems (the one the run sent to 1C), else a 1C one
    c.lookup.query.setText("СЧ-0004")  # at the demo's send stage: made in 1C
    c.lookup.search()
    if not c.lookup.table.rowCount():
        inv = sorted(c.snapshot.onec.invoices.values(), key=lambda i: i.date)[-3]
        c.lookup.query.setText(inv.number)
        c.lookup.search()
    if c.lookup.table.rowCount():
        c.lookup.table.selectRow(0)
    yield "lookup", w
    w.tabs.setCurrentIndex(0)

    # the connection wizard, page by page (as Connection → Connection settings… opens it)
    c.open_wizard(c.profile)
    wizard = c.wizard
    centre(wizard, 760, 560)
    yield "wizard-1c", wizard
    wizard.next()
    yield "wizard-crm", wizard
    wizard.next()
    wizard.test()
    wait(lambda: wizard.tested or wizard.test_button.isEnabled())
    yield "wizard-check", wizard
    wizard.next()
    yield "wizard-mapping", wizard
    wizard.reject()
    wait(lambda: not c.runner.busy)

    # a new connection: the name proposed, every problem of the page at once
    c.open_wizard(None)
    fresh = c.wizard
    centre(fresh, 760, 560)
    fresh.organization.setText("ООО «Ромашка»")
    fresh.onec_url.setText("http://1c.romashka.ru/buh")
    fresh.next()
    yield "wizard-new", fresh
    fresh.reject()

    c.open_schedule()
    yield "schedule", c.schedule_dialog
    c.schedule_dialog.reject()


def decide_one(c: Any, wait: Wait) -> str:
    """A decision in the Inbox, as a person takes it: the first item that can be
    confirmed (a product linked by its name), else skip the first. Its record's label."""
    inbox = c.inbox
    entries = inbox.model.entries()
    row = next((i for i, e in enumerate(entries) if e.confirmable), 0)
    inbox.table.selectRow(row)
    button = inbox.confirm if inbox.confirm.isEnabled() else inbox.skip
    button.click()
    wait(lambda: not c.runner.busy)
    return str(entries[row].record_label)


def run_and_close(c: Any, wait: Wait) -> Iterator[tuple[str, Any]]:
    """Synchronize: the plan review (applied as it is) and the summary."""
    c.synchronize()
    wait(lambda: c.plan_dialog is not None and c.plan_dialog.filled)
    centre(c.plan_dialog, 1300, 680)
    select_longest(c.plan_dialog)
    yield "plan", c.plan_dialog
    c.plan_dialog.accept()
    wait(lambda: c.summary_dialog is not None and c.summary_dialog.isVisible())
    yield "summary", c.summary_dialog
    c.summary_dialog.accept()
    wait(lambda: not c.runner.busy)


def day_two(c: Any, wait: Wait, reopen: Callable[[], Any]) -> Iterator[tuple[str, Any]]:
    """The demo's second day: synchronize, decide in the Inbox, synchronize again, then
    close the window and open it again (``reopen`` gives the new controller; the walk goes
    on with it). Names start with ``day2-``."""
    w = c.window
    for name, widget in run_and_close(c, wait):
        yield f"day2-first-{name}", widget
    w.tabs.setCurrentIndex(c.inbox_tab)
    c.inbox.table.selectRow(0)
    yield "day2-inbox", w
    decide_one(c, wait)
    yield "day2-decided", w
    for name, widget in run_and_close(c, wait):
        yield f"day2-second-{name}", widget
    c = reopen()
    w = c.window
    yield "day2-reopened", w
    for index, key in enumerate(w.DATA_TABS):
        w.tabs.setCurrentIndex(index)
        select_waiting(w, key)
        yield f"day2-reopened-{key}", w
    w.tabs.setCurrentIndex(c.inbox_tab)
    c.inbox.table.selectRow(0)
    yield "day2-reopened-inbox", w
    w.tabs.setCurrentIndex(c.journal_tab)
    wait(lambda: not c.runner.busy)
    c.journal.ops_table.selectRow(0)
    yield "day2-reopened-journal", w
