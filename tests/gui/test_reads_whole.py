"""A row's whole text without hovering, at 1366×768 (the last session's closing note):
the plan review's Record, Why and Before → after and the Inbox's «What is wrong» / «What
to do» are cut in their columns; the pane under each table says the selected row whole,
wrapped and selectable. The review keeps its uniform row heights (34,000 operations:
no row measured on the GUI thread)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyleOptionViewItem

from desktop_sync.gui.controllers.inbox import InboxWidget
from desktop_sync.gui.views.detail_pane import DetailPane
from desktop_sync.i18n import language, set_language
from tests.gui.inbox_records import inbox_record
from tests.gui.sandbox_env import demo_env, loaded_window


@pytest.fixture(params=["ru", "en"])
def lang(request: pytest.FixtureRequest):
    before = language()
    set_language(request.param)
    yield request.param
    set_language(before)


def _plain(pane: DetailPane) -> str:
    return " ".join(pane.toPlainText().split())


def _whole(text: str) -> str:
    return " ".join(text.split())


def _reads_as_a_pane(pane: DetailPane) -> None:
    """Wrapped at its width (no sideways scroll), selectable by mouse and keyboard."""
    assert pane.isVisible() and pane.height() >= 60
    assert pane.horizontalScrollBar().maximum() == 0, "the text wraps"
    flags = pane.textInteractionFlags()
    assert flags & Qt.TextInteractionFlag.TextSelectableByMouse
    assert flags & Qt.TextInteractionFlag.TextSelectableByKeyboard


def _elided_in_the_middle(view, column: int) -> bool:
    delegate = view.itemDelegateForColumn(column)
    if delegate is None:
        return False
    option = QStyleOptionViewItem()
    delegate.initStyleOption(option, view.model().index(0, column))
    return option.textElideMode == Qt.TextElideMode.ElideMiddle


def test_the_plan_review_says_the_selected_row_whole(qtbot, tmp_path: Path, lang: str) -> None:
    from desktop_sync.gui.controllers.plan_review import PlanReviewDialog

    with demo_env(tmp_path / "home") as env, loaded_window(qtbot, env) as c:
        assert c.plan is not None
        dialog = PlanReviewDialog(c.plan, c.window)
        qtbot.addWidget(dialog)
        dialog.resize(1300, 680)  # as the screenshots size it at 1366×768
        dialog.show()
        qtbot.waitUntil(lambda: dialog.filled, timeout=60_000)
        tree, pane = dialog.tree, dialog.detail
        assert tree.uniformRowHeights(), "no row measured: 34,000 stay instant"
        metrics = tree.fontMetrics()
        cut = 0
        for op_id, item in dialog._items.items():
            row = dialog._row_of[op_id]
            cells = (row.record, row.reason, row.changes)
            cut += any(
                metrics.horizontalAdvance(t) > tree.columnWidth(col) - 12
                for col, t in zip((0, 2, 3), cells, strict=True)
            )
            tree.setCurrentItem(item)
            shown = _plain(pane)
            assert _whole(row.record) in shown, (lang, row.record)
            assert _whole(row.what) in shown
            assert _whole(row.reason) in shown, (lang, row.reason)
            for change in row.changes.split("; ") if row.changes else ():
                assert _whole(change) in shown, (lang, change)
            _reads_as_a_pane(pane)
        assert cut >= 10, "the demo's plan has rows cut in their columns"
        assert dialog._waiting, "the demo's plan leaves items to a person"
        for index, child in enumerate(dialog._waiting):
            item = c.plan.items[index]
            tree.setCurrentItem(child)
            shown = _plain(pane)
            for text in (item.record_label, item.message, item.action):
                assert _whole(text) in shown, (lang, text)
        assert _elided_in_the_middle(tree, 0)  # a name's variant or date stays
        tree.setCurrentItem(None)
        assert not pane.toPlainText() and pane.placeholderText()


def test_the_inbox_says_the_selected_item_whole(qtbot, lang: str) -> None:
    message = (
        "в каталоге CRM есть товар с тем же названием, не связанный с 1С; названия не "
        "сопоставляются автоматически, чтобы не связать разные товары"
    )
    action = (
        "подтвердите, что это один и тот же товар, — и они будут связаны; иначе "
        "переименуйте товар в CRM или в 1С"
    )
    records = [
        inbox_record(1, "attention", "F5", "product", "p1", "Картридж HP 85A (вариант 25)",
                     "Наименование", message, action, None, None, None, "F5:name:p1"),
        inbox_record(2, "conflict", "F7", "counterparty", "c1", "ООО «Ромашка» (ИНН 7700000001)",
                     "Телефон", "изменён в обеих системах", "выберите значение",
                     "+7 495 000-00-01", "+7 495 000-00-02", "+7 495 000-00-00"),
    ]  # fmt: skip
    widget = InboxWidget()
    qtbot.addWidget(widget)
    widget.resize(1366, 640)
    widget.show()
    widget.set_entries(records)
    table = widget.table
    for row, e in enumerate(records):
        table.selectRow(row)
        shown = _plain(widget.detail)
        for text in (e.record_label, e.message, e.action):
            assert _whole(text) in shown, (lang, text)
        _reads_as_a_pane(widget.detail)
    assert _elided_in_the_middle(table, 1)  # «Картридж HP…(вариант 25)»
    assert isinstance(widget.detail, DetailPane)
