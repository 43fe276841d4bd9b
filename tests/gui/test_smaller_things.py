"""The smaller things of issue 19 (item 11) and the tray after a scheduled run: the tab
bar stays put, an invoice without a chosen requisite opens in Bitrix24 from the Inbox,
phone numbers are formatted, and a scheduled run that leaves items waiting says so in
the tray, whose notification opens the Inbox."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from desktop_sync.engine.service import SyncService
from desktop_sync.gui import fmt
from desktop_sync.gui.controllers.inbox import InboxWidget
from desktop_sync.gui.controllers.main_controller import MainController
from desktop_sync.gui.views.main_window import MainWindowView
from tests.gui.inbox_records import inbox_record
from tests.gui.sandbox_env import sandbox_env


def _open(p, paths):
    return SyncService.open(p, paths, crm_throttle=False)


def test_phone_numbers_as_people_write_them() -> None:
    assert fmt.phone("74951234567") == "+7 (495) 123-45-67"
    assert fmt.phone("8 (912) 345-67-89") == "+7 (912) 345-67-89"
    assert fmt.phone("4951234567") == "+7 (495) 123-45-67"
    assert fmt.phone("+44 20 7946 0958") == "+44 20 7946 0958"  # not Russian: as it is
    assert fmt.phone("495 123-45-67 доб. 12") == "495 123-45-67 доб. 12"


def test_the_tab_bar_does_not_jump_between_data_tabs_and_the_inbox(qtbot) -> None:
    w = MainWindowView()
    qtbot.addWidget(w)
    inbox = w.add_tab(InboxWidget(), "Inbox")
    w.resize(1366, 768)
    w.show()
    qtbot.waitExposed(w)

    def bar_y() -> int:
        return w.tabs.tabBar().mapTo(w, QPoint(0, 0)).y()

    w.tabs.setCurrentIndex(0)
    w.filters.setVisible(True)
    qtbot.wait(10)
    data_y = bar_y()
    w.tabs.setCurrentIndex(inbox)
    w.filters.setVisible(False)  # as the controller does on Inbox/Journal/Lookup
    qtbot.wait(10)
    assert bar_y() == data_y


def test_an_invoice_without_a_requisite_opens_in_bitrix24(qtbot) -> None:
    inbox = InboxWidget()
    qtbot.addWidget(inbox)
    inbox.portal = "https://shop.bitrix24.ru/"
    entries = [
        inbox_record(1, "attention", "F1", "invoice", "14", "Invoice No. СЧ-0014 of 02.03.2026",
                   "Counterparty", "the invoice names no company (or a company with several "
                   "requisites and none chosen)",
                   "choose the buyer company and its requisite in the CRM invoice", None, None,
                   None, "F1:no_company:14"),
        inbox_record(2, "conflict", "F7", "counterparty", "r1", "ООО «Х»", "Phone", "both",
                   "choose", "1", "2", None, "F7:conflict:c:r1:phone"),
    ]  # fmt: skip
    inbox.set_entries(entries)
    inbox.show()
    inbox.table.selectRow(0)
    assert inbox.open_crm.isVisible()
    assert "requisite" in inbox.detail.toPlainText()
    with qtbot.waitSignal(inbox.open_url, timeout=2000) as blocker:
        inbox.open_crm.click()
    assert blocker.args == ["https://shop.bitrix24.ru/crm/type/31/details/14/"]
    inbox.table.clearSelection()
    inbox.table.selectRow(1)
    assert not inbox.open_crm.isVisible()


def test_scheduled_run_with_items_waiting_notifies_and_opens_the_inbox(
    qtbot, tmp_path: Path
) -> None:
    with sandbox_env(tmp_path / "home") as env:
        c = MainController(env.paths, "demo", open_service=_open)
        qtbot.addWidget(c.window)
        try:
            qtbot.waitUntil(lambda: c.snapshot is not None and not c.runner.busy, timeout=60_000)
            phones = [
                str(m.data(m.index(r, col)))
                for m in (c.window.models["counterparties"],)
                for r in range(m.rowCount())
                for col in range(m.columnCount())
                if m.headerData(col, Qt.Orientation.Horizontal) == "Phone"
            ]
            filled = [p for p in phones if p and p != "None"]
            assert filled and all(re.fullmatch(r"\+7 \(\d{3}\) \d{3}-\d{2}-\d{2}", p)
                                  for p in filled), filled[:5]  # fmt: skip
            if c.tray.icon is None:  # no tray on the offscreen platform: the same icon, unshown
                c.tray.make()
            c.window.tabs.setCurrentIndex(0)
            c.scheduler.run()
            qtbot.waitUntil(lambda: c.tray.last_notification is not None, timeout=120_000)
            title, text = c.tray.last_notification
            assert "Inbox" in title and "wait" in title, title
            assert "open the Inbox" in text
            c.window.hide()
            c.tray.icon.messageClicked.emit()
            assert c.window.isVisible()
            assert c.window.tabs.currentIndex() == c.inbox_tab
            qtbot.waitUntil(lambda: not c.runner.busy, timeout=60_000)
        finally:
            c.shutdown()


def test_the_journal_reason_does_not_repeat_the_record_name(qtbot) -> None:
    import datetime as dt

    from desktop_sync.gui.controllers.journal import JournalWidget, OpEntry, without_name

    assert without_name("ООО «Ромашка» (ИНН 4139910919): found in the CRM", "ООО «Ромашка»") == (
        "found in the CRM"
    )
    assert without_name("changed in 1C: price", "ООО «Ромашка»") == "changed in 1C: price"
    widget = JournalWidget()
    qtbot.addWidget(widget)
    now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    op = OpEntry(1, "F7", "link", "crm", "counterparty", "c1", "5",
                 "ООО «Ромашка» (ИНН 4139910919): found in the CRM (same INN and KPP)",
                 None, None, "applied", "", now)  # fmt: skip
    m = widget.ops_model
    m.namer = lambda o: "ООО «Ромашка»"
    m.set_ops([op])
    assert m.data(m.index(0, 4)) == "found in the CRM (same INN and KPP)"
    assert m.data(m.index(0, 4), Qt.ItemDataRole.ToolTipRole).startswith("ООО «Ромашка» (ИНН")
