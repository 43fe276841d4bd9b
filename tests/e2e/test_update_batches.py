"""Single-record CRM updates (the 1C number written back, payment and shipment fields,
Bitrix24 payments marked paid) travel many to a batch request, each with its own
journal row; a run killed after such a batch reached the CRM is finished by the next
run, nothing twice, nothing lost."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.engine.executor import Applied, Writer
from desktop_sync.engine.model import Operation, System
from desktop_sync.engine.ops import EntityType, NumberBack, ProductUpdate, Unsettled
from desktop_sync.journal import OpState

from .conftest import World


def _numbers(world: World) -> dict[int, str]:
    """The 1C number written back on each CRM invoice (empty: none yet)."""
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        return {ci.invoice.crm_id or 0: ci.fields.onec_number or "" for ci in c.invoices.read()}


def test_number_backs_travel_in_batches_each_journalled(world: World) -> None:
    stats = world.crm.stats
    with world.service() as svc:
        stats.reset()
        summary, plan = svc.run()
        backs = [op for op in plan.operations if op.entity_type is EntityType.INVOICE_BACK]
        assert len(backs) > 1 and summary.counts["failed"] == 0
        rows = [
            op
            for run in svc.journal.runs()
            for op in svc.journal.operations(run.id)
            if op.entity_type == EntityType.INVOICE_BACK
        ]
    assert len(rows) == len(backs) and {r.state for r in rows} == {OpState.APPLIED.value}
    assert stats.calls["crm.item.update"] == 0  # no single update request
    assert stats.subcalls["crm.item.update"] >= len(backs)  # each inside a batch
    numbers = _numbers(world)
    assert all(
        numbers[int(op.payload.crm_id)] for op in backs if isinstance(op.payload, NumberBack)
    )


class _Killed(BaseException):
    """The process dies right after a batch of updates reached the CRM."""


class _KilledAfterUpdateBatch:
    def __init__(self, inner: Writer) -> None:
        self.inner = inner
        self.killed_with: list[Operation] = []

    def apply(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        return self.inner.apply(op, results)

    def apply_many(
        self, ops: list[Operation], results: Mapping[str, Applied]
    ) -> list[Applied | Exception]:
        out = self.inner.apply_many(ops, results)
        if isinstance(ops[0].payload, NumberBack):
            self.killed_with = ops
            raise _Killed
        return out

    def batch_size(self, op: Operation) -> int:
        return self.inner.batch_size(op)

    def lookup(self, op: Unsettled) -> Applied | None:
        return self.inner.lookup(op)


def test_a_run_killed_after_an_update_batch_is_finished_without_repeats(world: World) -> None:
    with world.service() as svc:
        killer = _KilledAfterUpdateBatch(svc.writers[System.CRM])
        svc.writers[System.CRM] = killer
        with pytest.raises(_Killed):
            svc.run()
        killed = {op.op_id for op in killer.killed_with}
        crm_ids = {int(op.payload.crm_id) for op in killer.killed_with}  # type: ignore[union-attr]
        assert len(killed) > 1
        sending = [
            op
            for run in svc.journal.runs()
            for op in svc.journal.operations(run.id)
            if op.state == OpState.SENDING.value
        ]
        assert len(sending) == len(killed)  # each journalled before the batch left
    with world.service() as svc:
        summary, plan = svc.run()  # settles the rows left "sending", then the rest
        assert summary.counts["failed"] == 0
        again = [op for op in plan.operations if op.op_id in killed]
        assert again == []  # the CRM holds the numbers already: nothing to write again
        states = {op.state for run in svc.journal.runs() for op in svc.journal.operations(run.id)}
        assert OpState.SENDING.value not in states
        assert OpState.OUTCOME_UNKNOWN.value not in states
        _s, plan2 = svc.run()
    assert [op for op in plan2.operations if op.entity_type is EntityType.INVOICE_BACK] == []
    numbers = _numbers(world)
    assert all(numbers[crm_id] for crm_id in crm_ids)


@pytest.mark.usefixtures("payloads_kept")
def test_product_renames_travel_in_batches(world: World) -> None:
    """Products renamed in 1C: the CRM catalog takes every change through batch
    requests, not a request (or three, with a price) a product."""
    from .test_products_day2 import _first_sync, _linked, _onec_products

    _first_sync(world)
    products = _onec_products(world)
    linked = sorted(r for r in _linked(world) if products[r].kind.value != "service")[:6]
    assert len(linked) > 1
    with world.story.client() as c:
        c.connect()
        for n, ref in enumerate(linked):
            c.update(world.story.products, ref, {"Description": f"Товар (новое имя {n})"})
    world.crm.stats.reset()
    with world.service() as svc:
        summary, plan = svc.run()
    assert summary.counts["failed"] == 0, summary.failures
    updates = [op for op in plan.operations if isinstance(op.payload, ProductUpdate)]
    assert len(updates) == len(linked)
    stats = world.crm.stats
    assert stats.calls["catalog.product.update"] == 0  # no single update request
    assert stats.subcalls["catalog.product.update"] == len(linked)
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        names = {p.product.name for p in c.catalog.products()}
    assert {f"Товар (новое имя {n})" for n in range(len(linked))} <= names
