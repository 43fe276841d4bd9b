"""Plan review (untick → excluded op ids), the summary, the inbox actions, the journal's CSV."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt

from desktop_sync.engine.model import (
    FieldChange,
    Flow,
    Item,
    ItemKind,
    Operation,
    OpKind,
    Outcome,
    Plan,
    RunSummary,
    System,
)
from desktop_sync.engine.records import InboxRecord
from desktop_sync.gui.controllers.inbox import InboxWidget
from desktop_sync.gui.controllers.journal import JournalWidget, OpEntry, RunEntry, write_csv
from desktop_sync.gui.controllers.plan_review import PlanReviewDialog
from desktop_sync.gui.views.summary_dialog import SummaryDialog
from tests.gui.inbox_records import inbox_record


def _op(
    op_id: str, flow: Flow, target: System = System.CRM, depends: tuple[str, ...] = ()
) -> Operation:
    return Operation(
        op_id, flow, OpKind.UPDATE, target, "counterparty", "src", "dst", "", f"because {op_id}",
        f"record {op_id}", (FieldChange("total", "Total", Decimal("1.00"), Decimal("2.50")),),
        depends_on=depends,
    )  # fmt: skip


PLAN = Plan(
    operations=(
        _op("a", Flow.F7),
        _op("b", Flow.F7, System.ONEC),
        _op("c", Flow.F5),
        _op("d", Flow.F1, System.ONEC, depends=("c",)),
    ),
    items=(Item("k", ItemKind.CONFLICT, Flow.F7, "counterparty", "x", "ООО «Х»", "Phone", "both",
                onec_value="1", crm_value="2"),),
)  # fmt: skip


def test_plan_review_groups_by_flow_and_untick_excludes(qtbot) -> None:
    dialog = PlanReviewDialog(PLAN)
    qtbot.addWidget(dialog)
    tree = dialog.tree
    groups = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert groups[0].startswith("Invoices from the CRM to 1C")
    assert any(g.startswith("Counterparties") for g in groups)
    assert groups[-1].startswith("Waiting for a person")
    assert dialog.excluded() == set()
    assert "4 changes" in dialog.headline.text()
    # before/after values are shown, formatted
    item = dialog._items["a"]
    assert (
        item.text(2) == "because a"
        and "→" in item.text(3)
        and "2,50" in item.text(3).replace(".", ",")
    )
    dialog.set_checked("a", False)
    assert dialog.excluded() == {"a"}
    assert "3 changes" in dialog.headline.text()
    # unticking what another operation depends on unticks that one too
    dialog.set_checked("c", False)
    assert dialog.excluded() == {"a", "c", "d"}
    # the flow's checkbox unticks its group
    group = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                 if tree.topLevelItem(i).text(0).startswith("Counterparties"))  # fmt: skip
    assert group.checkState(0) == Qt.CheckState.PartiallyChecked
    dialog.untick_all.click()
    # every change unticked: what is left is to put the waiting items in the Inbox
    assert dialog.apply_button.isEnabled() and dialog.apply_button.text() == "Put in the Inbox"
    dialog.tick_all.click()
    assert dialog.excluded() == set() and dialog.apply_button.isEnabled()
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        dialog.apply_button.click()


def test_empty_plan_says_so(qtbot) -> None:
    dialog = PlanReviewDialog(Plan((), ()))
    qtbot.addWidget(dialog)
    assert "Nothing to change" in dialog.headline.text()
    assert not dialog.apply_button.isEnabled()


def test_summary_lists_failures_and_what_waits(qtbot) -> None:
    summary = RunSummary(7, "apply", Outcome.PARTIAL)
    summary.counts.update(applied=5, failed=1, attention=2)
    summary.failures.append(("Invoice 12", "1C refused: the period is closed"))
    dialog = SummaryDialog(summary)
    qtbot.addWidget(dialog)
    assert "Partly failed" in dialog.headline.text()
    assert dialog.failures.item(0).text() == "Invoice 12: 1C refused: the period is closed"
    assert dialog.count_labels["Wait for a person"].text() == "<b>2</b>"
    assert dialog.inbox_button is not None
    assert "Found in both systems and linked, not created" not in dialog.count_labels


def test_summary_says_how_many_were_relinked(qtbot) -> None:
    summary = RunSummary(8, "apply", Outcome.DONE)
    summary.counts.update(applied=3, relinked=130)  # a lost journal: found, not created
    dialog = SummaryDialog(summary)
    qtbot.addWidget(dialog)
    assert dialog.count_labels["Found in both systems and linked, not created"].text() == (
        "<b>130</b>"
    )


def _entry(
    i: int, kind: str, field: str = "Phone", message: str = "changed in both"
) -> InboxRecord:
    onec = "+7 900" if kind == "conflict" else None
    key = f"F3:allocate:p{i}:1:i{i}" if kind == "attention" else f"F7:conflict:c:r{i}:name"
    return inbox_record(i, kind, "F7", "counterparty", f"r{i}", f"ООО «{i}»", field, message,
                      "choose", onec, "+7 901", "+7 000", key)  # fmt: skip


def test_inbox_actions_and_bulk(qtbot) -> None:
    inbox = InboxWidget()
    qtbot.addWidget(inbox)
    entries = [
        _entry(1, "conflict"),
        _entry(2, "conflict"),
        _entry(3, "attention", "Payment", "confirm?"),
        _entry(4, "conflict", "INN", "other"),
    ]
    inbox.set_entries(entries)
    assert "4 items wait for you: 3 conflicts" in inbox.headline.text()
    assert not inbox.take_onec.isEnabled() and not inbox.confirm.isEnabled()
    inbox.table.selectRow(0)
    assert inbox.take_onec.isEnabled() and not inbox.confirm.isEnabled()
    assert "+7 900" in inbox.detail.toPlainText() and "+7 000" in inbox.detail.toPlainText()
    inbox.select_alike.click()  # the two alike conflicts, not the INN one
    assert [e.id for e in inbox.selected()] == [1, 2]
    with qtbot.waitSignal(inbox.resolve_requested, timeout=2000) as blocker:
        inbox.take_crm.click()
    assert blocker.args == [[1, 2], "take_crm", None]
    inbox.table.clearSelection()
    inbox.table.selectRow(2)
    assert inbox.confirm.isEnabled() and not inbox.take_onec.isEnabled()
    with qtbot.waitSignal(inbox.resolve_requested, timeout=2000) as blocker:
        inbox.confirm.click()
    assert blocker.args == [[3], "confirm", None]
    with qtbot.waitSignal(inbox.resolve_requested, timeout=2000) as blocker:
        inbox.skip.click()
    assert blocker.args == [[3], "skip", None]


def test_inbox_edit_value(qtbot, monkeypatch) -> None:
    from PySide6.QtWidgets import QInputDialog

    inbox = InboxWidget()
    qtbot.addWidget(inbox)
    inbox.set_entries([_entry(1, "conflict")])
    inbox.table.selectRow(0)
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: (" +7 999 ", True)))
    with qtbot.waitSignal(inbox.resolve_requested, timeout=2000) as blocker:
        inbox.edit.click()
    assert blocker.args == [[1], "value", "+7 999"]


def test_journal_filter_and_csv(qtbot, tmp_path: Path) -> None:
    widget = JournalWidget()
    qtbot.addWidget(widget)
    now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    run = RunEntry(
        3, now, now, "manual", "apply", "partial", {"applied": 1, "failed": 1}, "", "anna"
    )
    with qtbot.waitSignal(widget.run_selected, timeout=2000) as blocker:
        widget.set_runs([run])
    assert blocker.args == [3]
    ops = [
        OpEntry(1, "F7", "update", "crm", "counterparty", "c1", "5", "Ромашка: changed in 1C",
                {"phone": "1"}, {"phone": "2"}, "applied", "", now),
        OpEntry(2, "F1", "create", "onec", "invoice", "12", "", "СЧ-0012 to 1C", None, None,
                "failed", "1C refused; the period is closed", now),
    ]  # fmt: skip
    widget.set_operations(3, ops)
    assert widget.ops_model.rowCount() == 2
    widget.state_filter.setCurrentIndex(widget.state_filter.findData("failed"))
    assert [o.id for o in widget.visible_ops()] == [2]
    widget.search.setText("ромашка")
    assert widget.visible_ops() == []
    path = tmp_path / "journal.csv"
    assert write_csv(path, run, ops) == 2
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0][:3] == ["run", "operation", "flow"]
    assert rows[2][8] == "failed" and rows[2][10] == "1C refused; the period is closed"
    assert "Ромашка" in rows[1][9]


def test_journal_exports_xlsx(tmp_path: Path) -> None:
    import zipfile

    now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    run = RunEntry(3, now, now, "manual", "apply", "done", {}, "", "anna")
    ops = [OpEntry(1, "F7", "update", "crm", "counterparty", "c1", "5", "ООО «Ромашка» & Co <1>",
                   None, None, "applied", "", now)]  # fmt: skip
    path = tmp_path / "journal.xlsx"
    assert write_csv(path, run, ops) == 1
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
        assert "[Content_Types].xml" in z.namelist()
        names = z.namelist()  # text inline or in the shared strings, as the writer chooses
        strings = z.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in names else ""
    assert "ООО «Ромашка» &amp; Co &lt;1&gt;" in sheet + strings
    assert '<c r="A2"><v>3</v></c>' in sheet  # the run id is a number
    import xml.dom.minidom

    xml.dom.minidom.parseString(sheet)  # well-formed


def test_inbox_disables_a_choice_the_engine_cannot_carry_out(qtbot) -> None:
    """A product's conflict: 1C leads products, so «Take the CRM value» and «Edit» are
    off; «Take the 1C value» and «Skip» stay."""
    inbox = InboxWidget()
    qtbot.addWidget(inbox)
    product = inbox_record(
        1, "conflict", "F5", "product", "p1", "Бумага", "Name", "changed in CRM",
        "choose", "Бумага", "Бумага А4", "Бумага", "F5:conflict:product:p1:name",
    )  # fmt: skip
    inbox.set_entries([product])
    inbox.table.selectRow(0)
    assert inbox.take_onec.isEnabled() and inbox.skip.isEnabled()
    assert not inbox.take_crm.isEnabled() and not inbox.edit.isEnabled()
