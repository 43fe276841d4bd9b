"""The demo's second day in the window (tests/gui/screens.day_two, the screenshots'
walk): synchronize, decide in the Inbox, synchronize again, reopen the window. What a
person found wrong on it, in both languages:

- after the decision the status bar said «Во «Входящих»: 4» beside «Входящие (3)», and
  «Изменений к выполнению: 0» as if the decision would change nothing;
- the journal named the three operations of one CRM invoice «счёт CRM 21», «счёт CRM 17»
  and «счёт CRM СЧ-0005» (the ids of the invoice, its timeline entry and its payment);
- invoice 26 read «Различается: Оплачено, Осталось оплатить» and payment 29 «Только в
  1С: не разнесена по счёту» after the run wrote the allocation the person confirmed;
- its operations' cells are cut, nothing under the table said them whole; a run's outcome
  was cut too («Готово; есть вопросы, ждущие реш…») beside an empty «Сообщение»;
- its «Было → станет» wrote field codes (last_payment_date, outstanding, crm_payment)
  in Russian too, and an empty list of payments as nothing at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop_sync.engine.service import SyncService
from desktop_sync.gui.controllers.main_controller import MainController
from desktop_sync.i18n import language, set_language
from tests.gui.sandbox_env import demo_env
from tests.gui.screens import day_two
from tests.killing import HANG

CODE = re.compile(r"(^|; )[a-z]+(_[a-z]+)*:")  # «last_payment_date: …», «payments: …»


@pytest.fixture(params=["ru", "en"])
def lang(request: pytest.FixtureRequest):
    before = language()
    set_language(request.param)
    yield request.param
    set_language(before)


def _inbox_count(c: Any) -> str:
    return str(c.inbox.model.rowCount())


def walk_day_two(qtbot, env: Any, visit: Callable[[str, Any, Any], None]) -> list[str]:
    """The day's screens (tests/gui/screens.day_two) at 1366×768; ``visit(name, widget,
    controller)`` at each. The screens' names, in order."""
    opened: list[Any] = []

    def wait(cond: Any) -> None:
        qtbot.waitUntil(lambda: bool(cond()), timeout=int(HANG * 1000))

    def open_window() -> Any:
        c = MainController(
            env.paths, "demo",
            open_service=lambda p, a: SyncService.open(p, a, crm_throttle=False),
        )  # fmt: skip
        qtbot.addWidget(c.window)
        c.window.resize(1366, 768)
        c.window.show()
        wait(lambda: c.snapshot is not None and not c.runner.busy)
        opened.append(c)
        return c

    def reopen() -> Any:
        opened[-1].shutdown()
        opened[-1].window.close()
        return open_window()

    seen = []
    try:
        for name, widget in day_two(open_window(), wait, reopen):
            seen.append(name)
            visit(name, widget, opened[-1])
    finally:
        for c in opened:
            c.shutdown()
    return seen


def test_the_second_day_reads_right(qtbot, tmp_path: Path, lang: str) -> None:
    def visit(name: str, _widget: Any, c: Any) -> None:
        if name == "day2-decided":
            bar = c.window.statusBar().currentMessage()
            inbox = ("Во «Входящих»: " if lang == "ru" else "In the Inbox: ") + (
                _inbox_count(c) + "."
            )
            assert inbox in bar, (bar, _inbox_count(c))
            assert ("попадут" if lang == "ru" else "will join") not in bar, bar
            taken = "принятых после чтения: 1" if lang == "ru" else "1 decision taken"
            assert taken in bar, bar  # not «0 changes» alone: the decision comes next
        if name == "day2-second-plan":
            bar = c.window.statusBar().currentMessage()
            assert ("после чтения" if lang == "ru" else "since the read") not in bar
            changes = {r.changes for rows in c.plan_dialog.rows.values() for r in rows}
            paid = (  # English said "payment not paid → payment paid"
                "Оплата в Битрикс24: не оплачена → оплачена"
                if lang == "ru"
                else "Bitrix24 payment: not marked paid → marked paid"
            )
            assert paid in changes, changes
        if name == "day2-reopened":
            _nothing_differs_when_nothing_is_to_do(c)
        if name == "day2-reopened-journal":
            _journal_reads_right(c, lambda cond: qtbot.waitUntil(cond, timeout=60_000))

    with demo_env(tmp_path / "home") as env:
        assert "day2-reopened-journal" in walk_day_two(qtbot, env, visit)


def _nothing_differs_when_nothing_is_to_do(c: Any) -> None:
    """The plan changes nothing: no row says the systems differ. Invoice 26 said «≠
    Различается: Оплачено, Осталось оплатить» and payment 29 «Only in 1C: not allocated
    to an invoice» after the run wrote the payment the person had confirmed."""
    assert c.plan is not None and not c.plan.operations
    from desktop_sync.readmodel import SyncState

    differs = [  # «АО «O'Neill Трейд» (филиал)» read «Различается: Наименование, Телефон,
        # Эл. почта» beside its company's head office values (from day one)
        (key, r.onec or r.crm)
        for key, model in c.window.models.items()
        for r in model.rows()
        if r.state is SyncState.DIFFERS
    ]
    assert not differs, differs
    payments = c.window.models["payments"].rows()
    paid = [r for r in payments if r.onec and r.onec.get("number") == "29"]
    assert paid and paid[0].state is SyncState.IN_SYNC, paid


def _journal_reads_right(c: Any, wait: Any) -> None:
    journal = c.journal
    runs = journal.runs_table
    for r in range(runs.rowCount()):  # «Готово; есть вопросы, ждущие реш…» was cut
        item = runs.item(r, 3)
        assert item is not None
        need = runs.fontMetrics().horizontalAdvance(item.text()) + 12
        assert need <= runs.columnWidth(3), (item.text(), need, runs.columnWidth(3))
    runs.selectRow(0)  # the second run: the decided payment carried out
    wait(lambda: journal.ops_model.rowCount() > 0)
    model = journal.ops_model
    ops = [model.op_at(r) for r in range(model.rowCount())]
    payment_ops = [o for o in ops if o.entity_type in ("invoice_payment", "payment_note",
                                                      "crm_payment")]  # fmt: skip
    assert len(payment_ops) >= 2, [o.entity_type for o in ops]
    names = {model.namer(o) for o in payment_ops}
    assert len(names) == 1, names  # one CRM invoice, one name
    for r in range(model.rowCount()):
        changes = str(model.data(model.index(r, 5)))
        assert not CODE.search(changes), changes
        assert ":  →" not in changes, changes  # an empty «before» says «—»
        # the operation whole under the table: its cells are cut at 1366×768
        journal.ops_table.selectRow(r)
        shown = " ".join(journal.detail.toPlainText().split())
        why = str(model.data(model.index(r, 4)))
        for text in (model.namer(ops[r]), why, *changes.split("; ")):
            assert " ".join(text.split()) in shown, (text, shown)
        assert journal.detail.horizontalScrollBar().maximum() == 0


def test_the_inbox_headline_names_only_the_kinds_there_are(qtbot, lang: str) -> None:
    """«Ждут вашего решения: 3 (конфликтов — 0, требуют внимания — 3)» on the demo's
    Inbox (only attention items): the kind there is none of is not said."""
    from desktop_sync.gui.controllers.inbox import InboxWidget
    from tests.gui.inbox_records import inbox_record

    def item(n: int, kind: str) -> Any:
        return inbox_record(n, kind, "F5", "product", f"p{n}", f"Товар {n}", "Наименование",
                            "есть одноимённый", "подтвердите", "a", "b", None,
                            f"F5:name:p{n}")  # fmt: skip

    widget = InboxWidget()
    qtbot.addWidget(widget)
    zero = "конфликтов — 0" if lang == "ru" else "0 conflicts"
    widget.set_entries([item(1, "attention"), item(2, "attention"), item(3, "attention")])
    text = widget.headline.text()
    assert zero not in text and "3" in text, text
    assert ("требующих внимания" if lang == "ru" else "3 items need your attention") in text
    widget.set_entries([item(1, "conflict")])
    text = widget.headline.text()
    assert ("1 конфликт." if lang == "ru" else "1 conflict waits for you.") in text, text
    widget.set_entries([item(1, "conflict"), item(2, "attention")])
    text = widget.headline.text()
    assert ("конфликтов — 1" if lang == "ru" else "1 conflicts and 1") in text, text
