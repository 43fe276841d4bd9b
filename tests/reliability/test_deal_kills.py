"""F9 under SIGKILL: deals moved to their pipeline's "send" stage, a real
``desktop-sync sync --apply`` killed at a random point of their writes (after a
random number of F1 operations journalled, a random moment later: before the request,
with it in flight, before its answer is journalled), then restarted. Every deal ends
with exactly one 1C document made from it, its 1C number on the deal, and the next
run plans nothing for it.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from desktop_sync.config import ProfileStore
from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.engine.ops import EntityType
from desktop_sync.exitcodes import Exit
from tests.e2e.test_deals_e2e import PAID, SEND, deal_like_sent_invoice, made_from
from tests.killing import kill_hard, was_killed

from .checks import CONFIGURATIONS, open_world
from .conftest import Tally, soak_enabled
from .test_kills import _env, _exe, cli_apply

DEALS = 2  # deals moved to "send" at once


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "configuration" in metafunc.fixturenames:
        metafunc.parametrize("configuration", CONFIGURATIONS)
    if "seed" in metafunc.fixturenames:
        soak = soak_enabled(metafunc.config)
        metafunc.parametrize("seed", range(1, 17) if soak else (1,))


def _f1_rows(db: Path) -> int:
    """F1 operations journalled so far (any state): after the first run, the deals'."""
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            (n,) = con.execute("SELECT count(*) FROM operation WHERE flow = 'F1'").fetchone()
            return int(n)
        finally:
            con.close()
    except sqlite3.Error:
        return 0


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
        db = world.paths.journal_path()
        before = _f1_rows(db)
        killed = 0
        for _ in range(2):
            proc = subprocess.Popen(
                [_exe(), "sync", "--apply", "--json"],
                env=_env(world),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
            at = before + rng.randint(1, 2 * DEALS)  # creates and write-backs
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and proc.poll() is None:
                if _f1_rows(db) >= at:
                    time.sleep(rng.uniform(0, 0.06))  # a request may be on its way
                    kill_hard(proc)
                    break
                time.sleep(0.005)
            _out, err = proc.communicate(timeout=60)
            assert was_killed(proc.returncode) or proc.returncode in (Exit.OK, Exit.WAITING), err
            killed += was_killed(proc.returncode)
            before = _f1_rows(db)
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
