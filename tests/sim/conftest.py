"""The day-after-day simulation (issue 15): CI size by default; the soak size with
``--soak`` or ``DESKTOP_SYNC_SOAK=1`` runs 60 days on the medium set (seeds 1-3).
``DESKTOP_SYNC_SIM_SEED`` replays one seed, ``DESKTOP_SYNC_SIM_DAYS`` sets the number
of days, ``DESKTOP_SYNC_SIM_PROGRESS=1`` prints a line per day (with ``-s``), and
``DESKTOP_SYNC_SIM_STRICT=1`` also fails on known defects. The summary line is
printed at the end of the session."""

from __future__ import annotations

import os
from collections import Counter

import pytest

from tests import summaries

from .sim import Tally

TALLY = Tally()


def _counts() -> summaries.Counts:
    if not TALLY.runs:
        return {}
    return {k: dict(v) if isinstance(v, Counter) else v for k, v in vars(TALLY).items()}


def summary_lines(counts: summaries.Counts) -> list[str]:
    known, pairs = Counter(counts.pop("known", {})), Counter(counts.pop("pairs", {}))
    return [Tally(**counts, known=known, pairs=pairs).line()]


# Printed at the end of the session, whole under pytest-xdist (tests/summaries.py).
summaries.provide("day-after-day simulation", "tests.sim.conftest:summary_lines", _counts)


def soak_enabled(config: pytest.Config) -> bool:
    option = bool(config.getoption("--soak", default=False))
    return option or os.environ.get("DESKTOP_SYNC_SOAK", "") not in ("", "0")


@pytest.fixture(scope="session")
def tally() -> Tally:
    return TALLY
