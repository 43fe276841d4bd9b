"""The day-after-day simulation (issue 15): CI size by default; the soak size with
``DESKTOP_SYNC_SOAK=1`` (or ``--soak`` when tests/reliability registered it) runs 60
days on the medium set. ``DESKTOP_SYNC_SIM_SEED`` replays one seed;
``DESKTOP_SYNC_SIM_DAYS`` overrides the number of days. The summary line is printed
at the end of the session."""

from __future__ import annotations

import os

import pytest

from .sim import Tally

TALLY = Tally()


def soak_enabled(config: pytest.Config) -> bool:
    try:
        option = bool(config.getoption("--soak"))
    except ValueError:  # run alone: tests/reliability did not register the option
        option = False
    return option or os.environ.get("DESKTOP_SYNC_SOAK", "") not in ("", "0")


@pytest.fixture(scope="session")
def tally() -> Tally:
    return TALLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TALLY.runs:
        terminalreporter.section("day-after-day simulation")
        terminalreporter.write_line(TALLY.line())
