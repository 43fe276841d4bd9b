"""F10 under SIGKILL: CRM invoices moved to the "ship" stage, a real
``desktop-sync sync --apply`` killed at a random point of their writes (after a
random number of F10 operations journalled, a random moment later: before the
request, with it in flight, before its answer is journalled), then restarted. Every
invoice ends with exactly one sales document in 1C, its number on the CRM invoice, one
note on its timeline, and the next run plans nothing for it.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from desktop_sync.engine.model import Flow
from desktop_sync.exitcodes import Exit
from tests.e2e.test_closing_e2e import (
    SHIP,
    crm_item,
    linked_unshipped,
    move,
    notes_of,
    sales_of,
    with_ship_stage,
)

from .checks import open_world
from .conftest import Tally
from .killed_runs import apply_killed_twice, by_configuration_and_seed
from .test_kills import cli_apply

REQUESTS = 2  # CRM invoices moved to "ship" at once (the small seed has two unshipped)


pytest_generate_tests = by_configuration_and_seed


def test_killed_closing_requests_leave_no_twins(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    configuration: str,
    seed: int,
    tally: Tally,
) -> None:
    rng = random.Random(f"closing/{configuration}/{seed}")
    tally.tried += 1
    with open_world(
        tmp_path, monkeypatch, onec_faults="delay:0.005", configuration=configuration
    ) as world:
        with_ship_stage(world)
        first = cli_apply(world)
        assert first.returncode in (Exit.OK, Exit.WAITING), first.stderr
        asked = linked_unshipped(world, REQUESTS)
        for crm_id, _base in asked:
            move(world, crm_id, SHIP)
        killed = apply_killed_twice(world, rng, ("F10",), 2 * REQUESTS)
        tally.kills += killed
        final = cli_apply(world)
        assert final.returncode in (Exit.OK, Exit.WAITING), final.stderr
        twins = 0
        for crm_id, base in asked:
            made = sales_of(world, base)
            twins += max(len(made) - 1, 0)
            assert len(made) == 1, (crm_id, [m["Number"] for m in made])
            number = str(made[0]["Number"]).split("-")[-1].lstrip("0")
            assert crm_item(world, crm_id)["ufCrmSmartInvoiceDsClosingNumber"] == number
            assert notes_of(world, crm_id, number) == 1
        tally.duplicated += twins
        with world.service() as svc:
            _s, plan = svc.run()
        assert not [op.reason for op in plan.operations if op.flow is Flow.F10]
        tally.passed += 1
        tally.notes.append(f"closing seed {seed}: {killed}/2 runs killed")
