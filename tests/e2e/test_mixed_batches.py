"""Writes of different kinds share one batch request (docs/decisions/mixed-batches.md):
the first sync's companies and products leave together, the held updates with the
printed invoices; each operation is still journalled "sending" before its request and
settled on its own, and a run killed once a mixed request reached the CRM is finished by
the next run, nothing lost, nothing twice."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.engine.executor import Applied, Outcome
from desktop_sync.engine.model import Operation, OpKind, System
from desktop_sync.engine.write_crm import CrmWriter
from desktop_sync.journal import OpState
from tests.reliability.checks import creates_exactly_once, journal_problems

from .conftest import World

Sent = list[set[str]]  # each write request's methods


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Sent:
    """The methods of each CRM request that writes (a batch: its commands')."""
    requests: Sent = []
    post = RestClient._post

    def noted(self: RestClient, method: str, body: Mapping[str, Any]) -> Any:
        commands = body.get("cmd") or {} if method == "batch" else {}
        methods = {str(c).partition("?")[0] for c in commands.values()} or {method}
        if any(m.rsplit(".", 1)[-1] in ("add", "update", "pay", "conduct") for m in methods):
            requests.append(methods)
        return post(self, method, body)

    monkeypatch.setattr(RestClient, "_post", noted)
    return requests


@pytest.mark.usefixtures("payloads_kept")
def test_the_first_syncs_kinds_share_requests(world: World, sent: Sent) -> None:
    _summary, plan = world.sync()
    kinds = {type(op.payload).__name__ for op in plan.operations if op.target is System.CRM}
    assert {"CounterpartyCreate", "ProductCreate", "NumberBack", "InvoicePdf"} <= kinds
    # one request of companies and products, one of the updates held and the printed
    # invoices: 7 before (one or more a kind, and a company alone in a call)
    assert len(sent) == 2, sent
    assert {"crm.company.add", "crm.requisite.add", "catalog.product.add"} <= sent[0]
    assert {"crm.item.update", "crm.timeline.comment.add"} <= sent[1]
    _again, plan2 = world.sync()
    assert plan2.operations == ()


class _Killed(BaseException):
    """The process dies once a mixed request reached the CRM, before any settlement."""


def _killed_after_mixed(monkeypatch: pytest.MonkeyPatch) -> list[list[Operation]]:
    """The next mixed round is sent, then the run dies: its groups."""
    killed: list[list[Operation]] = []
    together: Callable[..., list[list[Outcome]]] = CrmWriter.apply_together

    def then_killed(
        self: CrmWriter,
        groups: list[list[Operation]],
        results: Mapping[str, Applied],
        in_order: bool,
    ) -> Sequence[Sequence[Outcome]]:
        out = together(self, groups, results, in_order)
        if not killed and len({type(g[0].payload) for g in groups}) > 1:
            killed.extend(groups)
            raise _Killed
        return out

    monkeypatch.setattr(CrmWriter, "apply_together", then_killed)
    return killed


def test_a_run_killed_after_a_mixed_request_is_finished_by_the_next(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    together = CrmWriter.apply_together
    killed = _killed_after_mixed(monkeypatch)
    with world.service() as svc:
        _snap, planned = svc.prepare()
        with pytest.raises(_Killed):
            svc.apply(planned)
    ops = [op for g in killed for op in g]
    creates = [op for op in ops if op.kind is OpKind.CREATE]
    assert len({op.entity_type for op in creates}) == 2  # companies and products
    with world.service() as svc:
        sending = [
            op
            for run in svc.journal.runs()
            for op in svc.journal.operations(run.id)
            if op.state == OpState.SENDING.value
        ]
        assert len(sending) == len(ops)  # each journalled before the request left
    monkeypatch.setattr(CrmWriter, "apply_together", together)  # the next run, whole
    summary, plan = world.sync()  # settles them by their keys, then the rest
    again = {op.op_id for op in plan.operations} & {op.op_id for op in ops}
    assert again == set()  # found by key: none written twice
    assert summary.counts.get("failed", 0) == 0
    assert creates_exactly_once(world, planned.operations) == []  # none lost, none twice
    assert journal_problems(world.paths.journal_path()) == []
    _s, plan2 = world.sync()
    assert plan2.operations == ()
