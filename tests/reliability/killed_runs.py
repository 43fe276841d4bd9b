"""Two ``desktop-sync sync --apply`` runs of the CLI, each SIGKILLed once the journal has
a chosen number more operations of some flows: the kill-and-restart tests of the flows
(F8, F9, F10, private-person buyers) share it."""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

import pytest

from desktop_sync.config import ProfileStore
from desktop_sync.exitcodes import Exit
from tests.e2e.conftest import World
from tests.e2e.test_deals_e2e import PAID, SEND
from tests.killing import HANG, kill_hard, reaped, was_killed

from .checks import CONFIGURATIONS
from .conftest import soak_enabled
from .test_kills import start_apply


def by_configuration_and_seed(metafunc: pytest.Metafunc) -> None:
    """Each test of a kill family on both configurations, with seed 1 (16 with --soak);
    a module takes it as its ``pytest_generate_tests``."""
    if "configuration" in metafunc.fixturenames:
        metafunc.parametrize("configuration", CONFIGURATIONS)
    if "seed" in metafunc.fixturenames:
        soak = soak_enabled(metafunc.config)
        metafunc.parametrize("seed", range(1, 17) if soak else (1,))


def map_the_deal_pipeline(world: World) -> None:
    """Pipeline 1's deals sent at «Согласовано» and paid at «Оплачено» (the deals' e2e)."""
    profile = world.profile.with_setting("deal.1.send", SEND).with_setting("deal.1.paid", PAID)
    world.profile = ProfileStore(world.paths.profiles_file).put(profile)


def journalled(db: Path, flows: tuple[str, ...]) -> int:
    """Operations of ``flows`` journalled so far (any state); 0 while there is no journal
    or it cannot be read right now."""
    if not db.exists():
        return 0
    marks = ", ".join("?" for _ in flows)
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            sql = f"SELECT count(*) FROM operation WHERE flow IN ({marks})"
            (n,) = con.execute(sql, flows).fetchone()
            return int(n)
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def apply_killed_twice(
    world: World,
    rng: random.Random,
    flows: tuple[str, ...],
    spread: int,
    *,
    jitter: float = 0.06,
) -> int:
    """Run ``sync --apply`` twice, each killed when 1 to ``spread`` more operations of
    ``flows`` are journalled (plus up to ``jitter`` seconds: a request may be on its way);
    a run that ends first must end well. Returns how many runs were killed."""
    db = world.paths.journal_path()
    before = journalled(db, flows)
    killed = 0
    for _ in range(2):
        at = before + rng.randint(1, spread)
        with reaped(start_apply(world, output=False)) as proc:
            hang = time.monotonic() + HANG
            while proc.poll() is None and journalled(db, flows) < at:
                assert time.monotonic() < hang, f"{at} operations not journalled in {HANG:.0f} s"
                time.sleep(0.005)
            if proc.poll() is None:  # not when the run ended first
                time.sleep(rng.uniform(0, jitter))
                kill_hard(proc)
            _out, err = proc.communicate(timeout=HANG)
        assert was_killed(proc.returncode) or proc.returncode in (Exit.OK, Exit.WAITING), err
        killed += was_killed(proc.returncode)
        before = journalled(db, flows)
    return killed
