"""Mixed batches under SIGKILL (docs/decisions/mixed-batches.md): a real ``desktop-sync
sync --apply`` killed while the request carrying the first sync's companies *and*
products together is unanswered, then restarted.

The portal executes that request and holds its answer (the sandbox's ``timeout`` fault on
``crm.company.add``), so the kill lands where the outcome of both kinds is unknown: the
records are in the CRM, the journal says "sending". The restarted run finds each by its
key (company ``ORIGIN_ID``, product ``xmlId``) instead of sending it again: each exists
once, none is lost, and the run after plans nothing.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from desktop_sync.engine.model import OpKind, System
from desktop_sync.sandbox.bitrix24.faults import FaultPlan
from tests.e2e.conftest import World
from tests.killing import HANG, kill_hard, reaped, was_killed

from .checks import creates_exactly_once, crm_state, journal_problems, open_world, service
from .conftest import Tally
from .test_kills import start_apply


def _made(world: World) -> tuple[int, int]:
    """(companies, products) the portal holds under our keys."""
    state = crm_state(world)
    return sum(state["origin"].values()), sum(n for k, n in state["product_xml"].items() if k)


def test_killed_while_a_mixed_request_is_unanswered_then_restarted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tally: Tally
) -> None:
    tally.tried += 1
    with open_world(tmp_path, monkeypatch, configuration="bp30") as world:
        with service(world) as svc:
            _snap, plan = svc.prepare()
        creates = [
            op for op in plan.operations if op.kind is OpKind.CREATE and op.target is System.CRM
        ]
        assert {op.entity_type for op in creates} >= {
            "counterparty",
            "product",
        }
        before = _made(world)
        portal = world.crm.portal
        portal.faults = FaultPlan("timeout:1@crm.company.add", 7)
        portal.faults.timeout_seconds = 60.0
        with reaped(start_apply(world)) as proc:  # never left running, also on a failure
            hang = time.monotonic() + HANG
            companies, products = before
            # the portal runs a request's commands one by one: both kinds seen, or none
            while not (companies > before[0] and products > before[1]):
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < hang, (before, companies, products)
                time.sleep(0.02)
                companies, products = _made(world)
            # the portal has executed the request: companies and products in it together
            # (one kind a request, the products would wait behind the held companies)
            kill_hard(proc)
            proc.communicate(timeout=HANG)
        assert was_killed(proc.returncode)
        tally.kills += 1
        portal.faults = FaultPlan("", 7)
        portal.stopping.set()  # release the held answer's thread at once
        portal.stopping.clear()

        with service(world) as svc:  # restarted: settles by key, then the rest
            summary, again = svc.run()
        assert summary.counts.get("failed", 0) == 0, summary.failures
        # the CRM's creates all made by the killed run (one request): none planned again
        assert {op.op_id for op in again.operations} & {op.op_id for op in creates} == set()
        problems = creates_exactly_once(world, plan.operations)
        tally.lost += sum(" 0 in the target" in p for p in problems)
        tally.duplicated += sum(" 0 in the target" not in p for p in problems)
        assert problems == []  # each company and product once: none lost, none twice
        assert journal_problems(world.paths.journal_path()) == []
        tally.passed += 1
