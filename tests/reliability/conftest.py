"""The reliability harness: faults, kills and bad input on both sandboxes, nothing lost.

CI-sized by default (well under 90 s on 2 cores); ``pytest tests/reliability --soak``
or ``DESKTOP_SYNC_SOAK=1`` runs the larger soak (more seeds, more fault rates,
more kills). Each category prints a summary line at the end of the session:
cases tried, passed, and anything lost or duplicated (which must be zero).

Worlds come from ``tests/e2e/conftest.py: make_world`` (both sandboxes on
loopback, a profile, a private home, ``crm_throttle=False`` with ``rate_limit=False``).
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field

import pytest

from tests import summaries


def soak_enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("--soak", default=False)) or os.environ.get(
        "DESKTOP_SYNC_SOAK", ""
    ) not in ("", "0")


@pytest.fixture(scope="session")
def soak(pytestconfig: pytest.Config) -> bool:
    return soak_enabled(pytestconfig)


@dataclass
class Tally:
    tried: int = 0
    passed: int = 0
    lost: int = 0
    duplicated: int = 0
    kills: int = 0  # processes actually killed (a run may end before its moment)
    notes: list[str] = field(default_factory=list)


TALLIES: dict[str, Tally] = defaultdict(Tally)


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Tally:
    """The category's tally (the test module's name without ``test_``)."""
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    return TALLIES[name]


def summary_lines(counts: summaries.Counts) -> list[str]:
    lines = []
    for name, fields in sorted(counts.items()):
        t = Tally(**fields)
        lines.append(
            f"{name:<10} tried {t.tried:>3}  passed {t.passed:>3}  "
            f"lost {t.lost}  duplicated {t.duplicated}" + (f"  kills {t.kills}" if t.kills else "")
        )
    return lines


# Printed at the end of the session, whole under pytest-xdist (tests/summaries.py).
summaries.provide(
    "reliability summary",
    "tests.reliability.conftest:summary_lines",
    lambda: {name: dict(vars(t)) for name, t in TALLIES.items()},
)
