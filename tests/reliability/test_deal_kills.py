"""F9 under SIGKILL: deals moved to their pipeline's "send" stage, a real
``desktop-sync sync --apply`` killed at a random point of their writes (after a
random number of F1 operations journalled, a random moment later: before the request,
with it in flight, before its answer is journalled), then restarted. Every deal ends
with exactly one 1C document made from it, its 1C number on the deal, and the next
run plans nothing for it.
"""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.engine.ops import EntityType
from desktop_sync.exitcodes import Exit
from tests.e2e.test_deals_e2e import deal_like_sent_invoice, made_from

from .checks import open_world
from .conftest import Tally
from .killed_runs import apply_killed_twice, by_configuration_and_seed, map_the_deal_pipeline
from .test_kills import cli_apply

DEALS = 2  # deals moved to "send" at once


pytest_generate_tests = by_configuration_and_seed


def test_killed_deal_sends_leave_no_twins(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    configuration: str,
    seed: int,
    tally: Tally,
) -> None:
    rng = random.Random(f"deals/{configuration}/{seed}")
    tally.tried += 1
    with open_world(
        tmp_path, monkeypatch, onec_faults="delay:0.005", configuration=configuration
    ) as world:
        map_the_deal_pipeline(world)
        first = cli_apply(world)
        assert first.returncode in (Exit.OK, Exit.WAITING), first.stderr
        deals = [deal_like_sent_invoice(world, f"Сделка {n}", n)[0] for n in range(DEALS)]
        killed = apply_killed_twice(world, rng, ("F1",), 2 * DEALS)
        tally.kills += killed
        final = cli_apply(world)
        assert final.returncode in (Exit.OK, Exit.WAITING), final.stderr
        twins = 0
        with Bitrix24Client(world.crm.webhook, throttle=False) as c:
            for deal_id in deals:
                made = made_from(world, deal_id)
                twins += max(len(made) - 1, 0)
                assert len(made) == 1, (deal_id, [m.number for m in made])
                assert c.deals.get(deal_id).fields.onec_number == made[0].number
        tally.duplicated += twins
        with world.service() as svc:
            _s, plan = svc.run()
            linked = {lk.crm_id for lk in svc.links(EntityType.DEAL)}
        assert not [op.reason for op in plan.operations if op.entity_type == EntityType.DEAL]
        assert {str(d) for d in deals} <= linked
        tally.passed += 1
        tally.notes.append(f"deals seed {seed}: {killed}/2 runs killed")


def test_killed_deal_payment_notes_are_noted_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, tally: Tally
) -> None:
    """The deals' payments noted on their timelines (F3), the run killed among those
    writes twice, then restarted: one note per payment on each deal, none twice (a note
    whose answer was lost is found on the deal's timeline by its key). The CRM side is
    the same on both configurations: BP 3.0 only."""
    rng = random.Random(f"deal-notes/{seed}")
    tally.tried += 1
    with open_world(tmp_path, monkeypatch, onec_faults="delay:0.005") as world:
        map_the_deal_pipeline(world)
        with world.service() as svc:  # the smart invoices first
            assert svc.run()[0].counts.get("failed", 0) == 0
        deals = [deal_like_sent_invoice(world, f"Сделка {n}", n)[0] for n in range(DEALS)]
        with world.service() as svc:  # then the deals made like them
            assert svc.run()[0].counts.get("failed", 0) == 0
        for n, deal_id in enumerate(deals):
            (doc,) = made_from(world, deal_id)
            world.story.payment([(doc.onec_ref, Decimal("100.00"))], f"90{n}", 17)
        killed = apply_killed_twice(world, rng, ("F3",), 2 * DEALS)
        tally.kills += killed
        final = cli_apply(world)
        assert final.returncode in (Exit.OK, Exit.WAITING), final.stderr
        twins = 0
        with Bitrix24Client(world.crm.webhook, throttle=False) as c:
            for n, deal_id in enumerate(deals):
                texts = c.timeline.comment_texts(deal_id, deal=True)
                notes = [t for t in texts if f"№ 90{n} " in t or f"No. 90{n} " in t]
                twins += max(len(notes) - 1, 0)
                assert len(notes) == 1, (deal_id, notes)
        tally.duplicated += twins
        tally.passed += 1
        tally.notes.append(f"deal notes seed {seed}: {killed}/2 runs killed")
