"""A business lives its days in both systems; after every day's sync the five
invariants hold (see sim.py). Both configurations; CI size by default, the soak
size (60 days, medium set) with DESKTOP_SYNC_SOAK=1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import soak_enabled
from .sim import Simulation, Tally, open_world

CONFIGURATIONS = ("bp30", "ut11")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    soak = soak_enabled(metafunc.config)
    if "seed" in metafunc.fixturenames:
        one = os.environ.get("DESKTOP_SYNC_SIM_SEED")
        metafunc.parametrize("seed", [int(one)] if one else ([1, 2, 3] if soak else [1]))
    if "size" in metafunc.fixturenames:
        metafunc.parametrize("size", ["medium" if soak else "small"])
    if "days" in metafunc.fixturenames:
        days = os.environ.get("DESKTOP_SYNC_SIM_DAYS")
        metafunc.parametrize("days", [int(days) if days else (60 if soak else 12)])


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_days_of_a_business_keep_the_invariants(
    tmp_path: Path, configuration: str, seed: int, size: str, days: int, tally: Tally
) -> None:
    with open_world(tmp_path, configuration, size) as world:
        sim = Simulation(world, seed, tally)
        try:
            sim.live(days, actions=(6, 14))
        finally:
            sim.close()
