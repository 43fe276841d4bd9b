"""A run lets go of each write's payload once it is written (issue 18: the large first
sync's printed invoices came on top of 30,000 written operations' payloads), and hands
back a plan that names every operation, without payloads."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from desktop_sync.engine import write_crm_pdf
from desktop_sync.engine.model import Operation
from desktop_sync.engine.ops import NO_PAYLOAD, CounterpartyCreate, InvoicePdf, ProductCreate

from .conftest import World


def _alive(kind: type) -> int:
    """Objects of ``kind`` alive in the process: compared with the count before the run,
    as an earlier test in the same process may have left some."""
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is kind)


def test_the_written_operations_payloads_are_let_go_before_the_invoices_print(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, int]] = []
    attach = write_crm_pdf.PdfAttacher.attach_many

    def counted(self: Any, ops: Any, results: Any) -> Any:
        if not seen:  # the first printed invoices: every company and product written
            seen.append((_alive(ProductCreate), _alive(CounterpartyCreate)))
        return attach(self, ops, results)

    monkeypatch.setattr(write_crm_pdf.PdfAttacher, "attach_many", counted)
    with world.service() as svc:
        _dry, planned = svc.dry_run()
        creates = sum(isinstance(op.payload, ProductCreate) for op in planned.operations)
        del planned, _dry
        before = (_alive(ProductCreate), _alive(CounterpartyCreate))
        summary, plan = svc.run()
    assert summary.counts["failed"] == 0, summary.failures
    assert creates and seen == [before]  # before: every one of them, held by the plan
    assert len(plan.operations) == summary.counts["planned"]
    assert all(op.payload is NO_PAYLOAD for op in plan.operations)
    assert (
        sum(op.entity_type == "product" and op.kind == "create" for op in plan.operations)
        == creates
    )


def test_a_run_reporting_its_items_alone_lets_each_operation_go_once_written(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``run(operations=False)``, as the command line and the scheduler run: the plan
    handed back keeps its items only, so what is alive of the plan when the invoices
    print is what is still to write (before: every operation, without its payload,
    with the pairs matched and what the items hold back)."""
    seen: list[tuple[int, int]] = []
    attach = write_crm_pdf.PdfAttacher.attach_many

    def counted(self: Any, ops: Any, results: Any) -> Any:
        if not seen:  # operations alive; those not settled yet (this batch is "sending")
            run_id = svc.journal.runs(limit=1)[0].id
            settled = sum(r.state != "sending" for r in svc.journal.operations(run_id))
            seen.append((_alive(Operation) - before, planned - settled))
        return attach(self, ops, results)

    monkeypatch.setattr(write_crm_pdf.PdfAttacher, "attach_many", counted)
    with world.service() as svc:
        _dry, dry_plan = svc.dry_run()
        planned, items = len(dry_plan.operations), len(dry_plan.items)
        pdfs = sum(isinstance(op.payload, InvoicePdf) for op in dry_plan.operations)
        del dry_plan, _dry
        before = _alive(Operation)
        summary, plan = svc.run(operations=False)
    assert summary.counts["failed"] == 0, summary.failures
    assert pdfs and summary.counts["planned"] == planned
    assert seen and seen[0][0] <= seen[0][1] < planned
    assert plan.operations == () and plan.held == () and plan.matches is None
    assert len(plan.items) == items
