"""The day-after-day simulation (issue 15): CI size by default; the soak size with
``--soak`` or ``DESKTOP_SYNC_SOAK=1`` runs 60 days on the medium set (seeds 1-3).
``DESKTOP_SYNC_SIM_SEED`` replays one seed, ``DESKTOP_SYNC_SIM_DAYS`` sets the number
of days, ``DESKTOP_SYNC_SIM_PROGRESS=1`` prints a line per day (with ``-s``), and
``DESKTOP_SYNC_SIM_STRICT=1`` also fails on known defects. The summary line is
printed at the end of the session."""

from __future__ import annotations

import contextlib
import os

import pytest

from .sim import Tally

TALLY = Tally()


def pytest_addoption(parser: pytest.Parser) -> None:
    # tests/reliability registers the same option when it is loaded first
    with contextlib.suppress(ValueError):
        parser.addoption(
            "--soak",
            action="store_true",
            default=False,
            help="simulation (and reliability harness): the soak size",
        )


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
