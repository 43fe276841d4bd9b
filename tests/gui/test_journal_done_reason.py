"""The window's Journal tab says a done operation's reason as done («связан» beside
«Выполнено», not the plan's «будет связан»); one that failed keeps the planned words."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt


def test_done_rows_say_it_as_done(qtbot) -> None:
    from desktop_sync.gui.controllers.journal import JournalWidget, OpEntry

    widget = JournalWidget()
    qtbot.addWidget(widget)
    now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    reason = "ООО «Ромашка»: найден в CRM (ИНН и КПП); будет связан"
    ops = [
        OpEntry(
            n, "F7", "link", "crm", "counterparty", "c1", "5", reason, None, None, state, "", now
        )
        for n, state in ((1, "applied"), (2, "failed"))
    ]
    m = widget.ops_model
    m.namer = lambda o: "ООО «Ромашка»"
    m.set_ops(ops)
    assert m.data(m.index(0, 4)) == "найден в CRM (ИНН и КПП); связан"
    assert m.data(m.index(0, 4), Qt.ItemDataRole.ToolTipRole).endswith("КПП); связан")
    assert m.data(m.index(1, 4)) == "найден в CRM (ИНН и КПП); будет связан"
