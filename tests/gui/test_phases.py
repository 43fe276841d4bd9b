"""Empty states say the real reason and offer the fix; the status line and the summary
follow the real phase (issue 19, item 10)."""

from __future__ import annotations

from pathlib import Path

from desktop_sync.engine.model import Outcome, RunSummary
from desktop_sync.engine.service import SyncService
from desktop_sync.gui.controllers.main_controller import MainController
from desktop_sync.gui.views.summary_dialog import SummaryDialog
from tests.gui.sandbox_env import sandbox_env


def _open(p, paths):
    return SyncService.open(p, paths, crm_throttle=False)


def test_phases_empty_states_status_and_summary(qtbot, tmp_path: Path) -> None:
    with sandbox_env(tmp_path / "home") as env:
        c = MainController(env.paths, "demo", open_service=_open)
        w = c.window
        qtbot.addWidget(w)
        w.show()
        try:
            invoices = w.tables["invoices"]
            # while the first read runs, no «press F5»: it says it is reading
            qtbot.waitUntil(lambda: invoices.phase == "reading", timeout=30_000)
            assert invoices.model.rowCount() == 0
            assert "F5" not in invoices.empty.text()
            assert invoices.empty.text() == "Reading both systems…"
            qtbot.waitUntil(lambda: c.snapshot is not None and not c.runner.busy, timeout=60_000)

            # the demo maps no warehouse: the Stock tab says so and offers the fix
            stock = w.tables["stock"]
            assert not stock.notice.isHidden()
            assert "warehouse" in stock.notice_text.text()
            assert "F5" not in stock.empty.text()
            stock.notice_button.click()
            assert c.wizard is not None
            wizard = c.wizard
            qtbot.waitUntil(lambda: wizard.currentPage() is wizard.page_map, timeout=60_000)
            assert wizard.store_boxes, "the 1C warehouses are listed to map"
            wizard.reject()
            qtbot.waitUntil(lambda: not c.runner.busy, timeout=30_000)

            # applying: the status line says so, not «ready to apply»
            plan = c.plan
            assert plan is not None and plan.operations
            before = c.snapshot
            c.apply(plan, set())
            assert w.statusBar().currentMessage() == "Applying the changes…"
            # the summary comes once the re-read is done, so both tell the same story
            qtbot.waitUntil(lambda: c.summary_dialog is not None, timeout=120_000)
            assert c.snapshot is not before and invoices.phase == "read"
            assert "refresh" not in [task.name for task in c.runner._active]
            assert "ready to apply" in w.statusBar().currentMessage()
            labels = c.summary_dialog.count_labels
            assert c.last_summary is not None and c.last_summary.counts.get("failed", 0) == 0
            assert "Failed" in labels and "Failed, with reasons below" not in labels
        finally:
            c.shutdown()


def test_reasons_below_only_when_there_are_failures(qtbot) -> None:
    ok = RunSummary(1, "apply", Outcome.DONE)
    ok.counts.update(applied=3)
    dialog = SummaryDialog(ok)
    qtbot.addWidget(dialog)
    assert "Failed" in dialog.count_labels
    assert "Failed, with reasons below" not in dialog.count_labels
    bad = RunSummary(2, "apply", Outcome.PARTIAL)
    bad.counts.update(applied=2, failed=1)
    bad.failures.append(("Invoice 1", "refused"))
    dialog = SummaryDialog(bad)
    qtbot.addWidget(dialog)
    assert dialog.count_labels["Failed, with reasons below"].text() == "<b>1</b>"
