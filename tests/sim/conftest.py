"""The day-after-day simulation (issue 15): CI size by default; the soak size with
``--soak`` or ``DESKTOP_SYNC_SOAK=1`` runs 60 days on the medium set (seeds 1-3).
``DESKTOP_SYNC_SIM_SEED`` replays one seed, ``DESKTOP_SYNC_SIM_DAYS`` sets the number
of days, ``DESKTOP_SYNC_SIM_PROGRESS=1`` prints a line per day (with ``-s``), and
``DESKTOP_SYNC_SIM_STRICT=1`` also fails on known defects. The summary line is
printed at the end of the session."""

from __future__ import annotations

import os

import pytest

from .sim import Tally

TALLY = Tally()


def soak_enabled(config: pytest.Config) -> bool:
    option = bool(config.getoption("--soak", default=False))
    return option or os.environ.get("DESKTOP_SYNC_SOAK", "") not in ("", "0")


@pytest.fixture(scope="session")
def tally() -> Tally:
    return TALLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TALLY.runs:
        terminalreporter.section("day-after-day simulation")
        terminalreporter.write_line(TALLY.line())
