"""The demo's tables read at 1366×768 in both languages: the key columns of each side fit
without a scroll, the selected row's state shows whole under the tables, and the two
counts of the status bar say what they count (seen on the screenshots of stop 29)."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from desktop_sync.gui.models.side_by_side import CRM, ONEC
from desktop_sync.i18n import language, set_language
from desktop_sync.readmodel import SyncState
from tests.gui.sandbox_env import demo_env, loaded_window

KEYS = {"invoices": ("number", "date", "counterparty", "total"),
        "payments": ("number", "date", "counterparty", "amount")}  # fmt: skip


@pytest.fixture(params=["ru", "en"])
def lang(request: pytest.FixtureRequest):
    before = language()
    set_language(request.param)
    yield request.param
    set_language(before)


def _visible(view, column: int) -> bool:
    """The whole column within the view's viewport: no scroll needed to read it."""
    left = view.columnViewportPosition(column)
    return left >= 0 and left + view.columnWidth(column) <= view.viewport().width()


def _key(model, column: int) -> str:
    cols = model.table.columns
    return cols[column if column < len(cols) else column - len(cols) - 1].key


def test_the_demo_reads_at_1366_without_scrolling(qtbot, tmp_path: Path, lang: str) -> None:
    with demo_env(tmp_path / "home") as env, loaded_window(qtbot, env) as c:
        w = c.window
        for width, height in ((1366, 768), (1920, 1080)):  # a laptop, then a wider screen
            w.resize(width, height)
            w.show()
            qtbot.waitUntil(lambda width=width: w.width() == width)
            for key, keys in KEYS.items():
                w.tabs.setCurrentIndex(w.DATA_TABS.index(key))
                table, model = w.tables[key], w.models[key]
                qtbot.wait(10)
                for view, side in ((table.left, ONEC), (table.right, CRM)):
                    for col in model.side_columns(side):
                        name = _key(model, col)
                        if name in keys:
                            assert _visible(view, col), (lang, width, key, side, name)
                assert table.middle.columnWidth(model.state_column) >= 300, (lang, key)
        w.resize(1366, 768)

        # the selected row's whole state under the tables, not only in a tooltip
        w.tabs.setCurrentIndex(0)
        model, table = w.models["invoices"], w.tables["invoices"]
        waits = [i for i, r in enumerate(model.rows()) if r.state is SyncState.WAITING]
        longest = max(waits, key=lambda i: len(model.row_at(i).detail))
        row = model.row_at(longest)
        table.middle.selectRow(longest)
        shown = w.row_detail.text()
        assert row.state.label in shown
        for part in row.detail.splitlines():  # every line of the story, to its end
            assert html.escape(part[-30:]) in shown, (lang, part)
        assert w.row_detail.isVisible() and not w.progress_strip.isVisible()

        # the two counts name what they count: the plan's changes on every tab, this
        # tab's rows
        assert w.tabs.tabText(0) in w.filters.count.text()
        message = w.statusBar().currentMessage()
        assert ("на всех вкладках" if lang == "ru" else "on all tabs") in message


def test_the_line_under_the_tables_says_each_thing_once() -> None:
    """The column's words first, then what differs and each reason not already said (the
    counterparties' line read «Synchronize will: Name, Phone, E-mail; …»)."""
    from desktop_sync.gui.models.side_by_side import row_story
    from desktop_sync.readmodel import COUNTERPARTY_COLUMNS, Row, Table

    table = Table("counterparties", COUNTERPARTY_COLUMNS, ())
    found = "АО «Луч» (ИНН 1162883827): found in the CRM; will be linked"
    linked = Row("k", {}, {}, SyncState.WILL_CHANGE, differs=("name", "phone"),
                 note="link in the CRM", detail=f"Name, Phone\n{found}")  # fmt: skip
    head, story = row_story(linked, table)
    assert head == "→ Synchronize will: link in the CRM"
    assert (
        story == "Differs: Name, Phone; АО «Луч» (ИНН 1162883827): found in the CRM; will be linked"
    )
    waits = Row("k", {}, None, SyncState.WAITING, note="Counterparty: none chosen",
                detail="Counterparty: none chosen")  # fmt: skip
    assert row_story(waits, table) == ("! Waiting for a person: Counterparty: none chosen", "")


def test_the_journal_shows_each_flow_name_whole(qtbot, lang: str) -> None:
    """180 px cut «Контрагенты (в обе стороны)» and "Products from 1C to the CRM"; only a
    name longer than FLOW_MAX (F10's «Закрывающие документы: …») is cut, its tooltip whole."""
    from desktop_sync.engine.records import Flow
    from desktop_sync.gui import labels
    from desktop_sync.gui.controllers.journal import FLOW_MAX, JournalWidget

    journal = JournalWidget()
    qtbot.addWidget(journal)
    table = journal.ops_table
    assert table.columnWidth(0) <= FLOW_MAX + 16  # the reason beside keeps its room
    for flow in Flow:
        width = table.fontMetrics().horizontalAdvance(labels.flow(flow))
        if flow is not Flow.F10:
            assert width + 8 <= table.columnWidth(0), labels.flow(flow)


def test_a_row_waiting_behind_another_record_reads_whole_in_its_cell(
    qtbot, tmp_path: Path, lang: str
) -> None:
    """The demo's 1C invoices № 24 and 25 wait behind a product of the same name: their
    cell said «Ждёт решения: создать в CRM после решения по «Картр…», cut at 1366×768.
    The cell names whom it waits for; what it will do and the item, whole, are in the
    tooltip and the line under the tables."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFont, QFontMetrics

    with demo_env(tmp_path / "home") as env, loaded_window(qtbot, env) as c:
        w = c.window
        w.resize(1366, 768)
        w.show()
        qtbot.waitUntil(lambda: w.width() == 1366)
        model, table = w.models["invoices"], w.tables["invoices"]
        decided = "после решения по «" if lang == "ru" else "» is decided"
        held = [i for i, r in enumerate(model.rows()) if decided in r.detail]
        assert held, "the demo has invoices held behind a product"
        bold = QFont(table.middle.font())
        bold.setBold(True)
        room = table.middle.columnWidth(model.state_column) - 12  # the cell's margins
        for i in held:
            index = model.index(i, model.state_column)
            cell = model.data(index, Qt.ItemDataRole.DisplayRole)
            assert QFontMetrics(bold).horizontalAdvance(cell) <= room, (lang, cell)
            tip = model.data(index, Qt.ItemDataRole.ToolTipRole)
            assert decided in tip and "Картридж HP 85A" in tip  # the whole story
            table.middle.selectRow(i)
            assert decided in html.unescape(w.row_detail.text())
        # a 1C product held behind the CRM's product of its own name said «сначала
        # «Картридж HP 85A»» on «Картридж HP 85A»: it names the namesake
        w.tabs.setCurrentIndex(w.DATA_TABS.index("products"))
        model = w.models["products"]
        held = [r for r in model.rows() if decided in r.detail and r.onec]
        assert held, "the demo's products held behind a CRM product of their name"
        for row in held:
            assert f"«{row.onec['name']}»" not in row.note, (lang, row.note)
            namesake = "одноимённая" if lang == "ru" else "namesake"
            assert namesake in row.note and row.onec["name"] in row.detail


@pytest.mark.parametrize("synced", [False, True], ids=["demo", "after-a-run"])
def test_every_state_cell_reads_whole_at_1366(
    qtbot, tmp_path: Path, lang: str, synced: bool
) -> None:
    """Every row's state cell on every data tab fits its column at 1366×768, on the demo
    and on a profile with a run behind it (its inbox items marked from the journal). The
    demo's СЧ-0012 read «! Ждёт решения: Строки: строка 3 «Ручка шарикова…»: its item's
    sentence is the tooltip's and the line's under the tables; the cell names the field
    and where it is decided («Строки — во «Входящих»»)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFont, QFontMetrics

    from desktop_sync.engine.service import SyncService

    with demo_env(tmp_path / "home") as env:
        if synced:
            with SyncService.open(env.profile, env.paths, crm_throttle=False) as svc:
                svc.run()
        with loaded_window(qtbot, env) as c:
            w = c.window
            w.resize(1366, 768)
            w.show()
            qtbot.waitUntil(lambda: w.width() == 1366)
            cut: list[tuple[str, str, int, int]] = []
            items = 0
            for key in w.DATA_TABS:
                w.tabs.setCurrentIndex(w.DATA_TABS.index(key))
                qtbot.wait(10)
                model, table = w.models[key], w.tables[key]
                bold = QFont(table.middle.font())
                bold.setBold(True)
                room = table.middle.columnWidth(model.state_column) - 12  # the margins
                for i, row in enumerate(model.rows()):
                    index = model.index(i, model.state_column)
                    cell = model.data(index, Qt.ItemDataRole.DisplayRole)
                    font = bold if row.pending else table.middle.font()
                    width = QFontMetrics(font).horizontalAdvance(cell)
                    if width > room:
                        cut.append((key, cell, width, room))
                    if row.state is SyncState.WAITING and ": " in row.detail:
                        items += 1
                        tip = model.data(index, Qt.ItemDataRole.ToolTipRole)
                        assert row.detail in tip
            assert not cut, (lang, cut)
            assert items, "the demo has rows waiting for a person"


def test_the_plan_review_shows_what_will_be_done_whole(qtbot, tmp_path: Path, lang: str) -> None:
    """«What will be done» was 170 px: "Add to the timeline in th…", «Создать в 1С; номер
    1С…» on the demo's plan. It fits the plan's words now, in both languages, as the
    screenshots size the dialog (1300 px), and its tooltip says them too."""
    from desktop_sync.gui.controllers.plan_review import PlanReviewDialog

    with demo_env(tmp_path / "home") as env, loaded_window(qtbot, env) as c:
        assert c.plan is not None
        dialog = PlanReviewDialog(c.plan, c.window)
        qtbot.addWidget(dialog)
        dialog.resize(1300, 680)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.filled, timeout=60_000)
        tree = dialog.tree
        room = tree.columnWidth(1) - 12  # the cell's margins
        shown = list(dialog._items.values())
        assert shown
        for item in shown:
            width = tree.fontMetrics().horizontalAdvance(item.text(1))
            assert width <= room, (lang, item.text(1), width, room)
            assert item.toolTip(1) == item.text(1)
        assert tree.columnWidth(2) >= 380  # «Why» keeps its room
