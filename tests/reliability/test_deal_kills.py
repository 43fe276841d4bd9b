"""F9 under SIGKILL: deals moved to their pipeline's "send" stage, a real
``desktop-sync sync --apply`` killed at a random point of their writes (after a
random number of F1 operations journalled, a random moment later: before the request,
with it in flight, before its answer is journalled), then restarted. Every deal ends
with exactly one 1C document made from it, its 1C number on the deal, and the next
run plans nothing for it.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from desktop_sync.config import ProfileStore
from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.engine.ops import EntityType
from desktop_sync.exitcodes import Exit
from tests.e2e.test_deals_e2e import PAID, SEND, deal_like_sent_invoice, made_from

from .checks import CONFIGURATIONS, open_world
from .conftest import Tally, soak_enabled
from .killed_runs import apply_killed_twice
from .test_kills import cli_apply

DEALS = 2  # deals moved to "send" at once


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "configuration" in metafunc.fixturenames:
        metafunc.parametrize("configuration", CONFIGURATIONS)
    if "seed" in metafunc.fixturenames:
        soak = soak_enabled(metafunc.config)
        metafunc.parametrize("seed", range(1, 17) if soak else (1,))


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
        profile = world.profile.with_setting("deal.1.send", SEND).with_setting("deal.1.paid", PAID)
        world.profile = ProfileStore(world.paths.profiles_file).put(profile)
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
