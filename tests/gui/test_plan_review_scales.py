"""Plan review that scales (issue 19, item 9): search and filters by kind and target,
totals per section with sums of money, one row per invoice (its creation in 1C and the
1C number written back to the CRM tick together), reasons without the record's name in
front, «Apply» the default button; and no GUIDs in the demo's plan (item 6)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from desktop_sync.engine.model import Flow, Operation, OpKind, Plan, System
from desktop_sync.engine.ops import InvoiceCreate, NumberBack
from desktop_sync.engine.service import SyncService
from desktop_sync.gui.controllers.main_controller import MainController
from desktop_sync.gui.controllers.plan_review import PlanReviewDialog
from desktop_sync.i18n import language, set_language
from tests.gui.sandbox_env import sandbox_env


@dataclass
class _Invoice:
    total: Decimal


def _invoice_ops(n: int, total: str) -> tuple[Operation, Operation]:
    label = f"Invoice No. СЧ-{n:04d} of 01.03.2026"
    create = Operation(
        f"F1:create_onec:{n}", Flow.F1, OpKind.CREATE, System.ONEC, "invoice", str(n), None,
        f"key{n}", f"{label}: new, will be created in 1C for ООО «Ромашка {n}»", label,
        payload=InvoiceCreate(_Invoice(Decimal(total)), str(n), {}),  # type: ignore[arg-type]
    )  # fmt: skip
    back = Operation(
        f"F1:number_back:{n}", Flow.F1, OpKind.UPDATE, System.CRM, "invoice_back", "", str(n),
        "", f"{label}: the 1C number and date will be written to the CRM invoice", label,
        payload=NumberBack(create.op_id, str(n)), depends_on=(create.op_id,),
    )  # fmt: skip
    return create, back


def _company(n: int) -> Operation:
    label = f"ООО «Компания {n}» (ИНН 77000000{n:02d})"
    return Operation(
        f"F7:create_crm:{n}", Flow.F7, OpKind.CREATE, System.CRM, "counterparty", f"r{n}", None,
        f"k{n}", f"{label}: not in the CRM yet; a company will be created", label,
    )  # fmt: skip


def test_one_row_per_invoice_totals_search_and_filters(qtbot) -> None:
    ops = [*_invoice_ops(1, "1000.00"), *_invoice_ops(2, "234.50")]
    ops += [_company(n) for n in range(3)]
    link = Operation(
        "F7:link:x", Flow.F7, OpKind.LINK, System.ONEC, "counterparty", "x", "9", "",
        "ООО «Связь»: found in the CRM; will be linked", "ООО «Связь»",
    )  # fmt: skip
    dialog = PlanReviewDialog(Plan((*ops, link), ()))
    qtbot.addWidget(dialog)
    dialog.finish_filling()
    tree = dialog.tree
    sections = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    invoices = sections[0]
    assert invoices.childCount() == 2, "one row per invoice, not create + write-back"
    title = invoices.text(0)
    assert "(2)" in title and "create: 2" in title.lower()
    assert "1,234.50" in title or "1 234,50" in title, title  # the section's sum of money
    row = invoices.child(0)
    assert row.text(0) == "Invoice No. СЧ-0001 of 01.03.2026"
    assert not row.text(2).startswith("Invoice No."), "the name has its own column"
    assert row.text(2).startswith("new, will be created in 1C")
    assert "number" in row.text(1)
    # both operations of the invoice are left out together, from either end
    dialog.set_checked("F1:create_onec:1", False)
    assert {"F1:create_onec:1", "F1:number_back:1"} <= dialog.excluded()
    dialog.set_checked("F1:number_back:1", True)
    assert dialog.excluded() == set()
    assert "8 changes" in dialog.headline.text()

    # search, kind and target
    dialog.search.setText("компания 2")
    dialog.apply_filter()
    visible = [
        s.child(i).text(0)
        for s in sections
        if not s.isHidden()
        for i in range(s.childCount())
        if not s.child(i).isHidden()
    ]
    assert visible == ["ООО «Компания 2» (ИНН 7700000002)"]
    assert invoices.isHidden()
    assert dialog.shown.text() == "shown 1 of 6"
    dialog.search.clear()
    dialog.kind_filter.setCurrentIndex(dialog.kind_filter.findData("link"))
    assert dialog.shown.text() == "shown 1 of 6"
    dialog.kind_filter.setCurrentIndex(0)
    dialog.target_filter.setCurrentIndex(dialog.target_filter.findData("onec"))
    assert dialog.shown.text() == "shown 3 of 6"  # two invoices and the link
    dialog.target_filter.setCurrentIndex(0)
    assert dialog.shown.text() == ""
    assert dialog.apply_button.isDefault()


def test_prices_kept_as_text_are_shown_as_money(qtbot) -> None:
    from desktop_sync.engine.model import FieldChange

    op = Operation(
        "F5:update:p", Flow.F5, OpKind.UPDATE, System.CRM, "product", "p", "5", "",
        "Степлер: changed in 1C (Base price); the CRM will be updated", "Степлер",
        (FieldChange("price", "Base price", "32401.63", "34106.98"),),
    )  # fmt: skip
    dialog = PlanReviewDialog(Plan((op,), ()))
    qtbot.addWidget(dialog)
    assert dialog._items[op.op_id].text(3) == "Base price: 32,401.63\u00a0₽ → 34,106.98\u00a0₽"


def test_demo_plan_has_no_guids_and_reasons_are_not_cut_by_names(qtbot, tmp_path: Path) -> None:
    before = language()
    set_language("ru")
    try:
        with sandbox_env(tmp_path / "home") as env:
            c = MainController(
                env.paths,
                "demo",
                open_service=lambda p, paths: SyncService.open(p, paths, crm_throttle=False),
            )
            qtbot.addWidget(c.window)
            try:
                qtbot.waitUntil(
                    lambda: c.snapshot is not None and not c.runner.busy, timeout=60_000
                )
                c.synchronize()
                qtbot.waitUntil(lambda: c.plan_dialog is not None, timeout=60_000)
                d = c.plan_dialog
                d.finish_filling()
                texts = [item.text(col) for item in d._items.values() for col in range(4)] + [
                    d.tree.topLevelItem(i).text(0) for i in range(d.tree.topLevelItemCount())
                ]
                guid = re.compile(r"GUID|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}", re.I)
                assert [t for t in texts if guid.search(t)] == []
                for item in d._items.values():
                    assert not item.text(2).startswith(item.text(0)), item.text(2)
                d.reject()
            finally:
                c.shutdown()
    finally:
        set_language(before)
