"""``desktop-sync service``: scheduled synchronisations on the team's shared journal,
a health line per run, a rotating log of its own, a clean stop on SIGTERM."""

from __future__ import annotations

import signal
import time

import pytest

from desktop_sync.cli.context import CommandError
from desktop_sync.cli.service_cmd import parse_every
from desktop_sync.engine.facade import JournalDoor
from tests.pgcluster import PASSWORD

from .conftest import MEASURED, Team


def test_three_scheduled_syncs_then_a_clean_stop_on_sigterm(team: Team) -> None:
    service = team.b.start("service", "--profile", "shop", "--every", "1s")
    assert service.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 120
    while sum("run #" in line for line in lines) < 3 and time.monotonic() < deadline:
        line = service.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
    health = [line for line in lines if "run #" in line]
    assert len(health) == 3, (lines, service.stderr.read() if service.stderr else "")
    assert all("apply:" in h and "applied" in h and "waiting for a person" in h for h in health)
    stopped_at = time.monotonic()
    service.send_signal(signal.SIGTERM)
    out, err = service.communicate(timeout=30)
    MEASURED["the service stopped after SIGTERM"] = f"{time.monotonic() - stopped_at:.2f} s"
    assert service.returncode == 0, err
    assert out.rstrip().endswith("service of profile «shop» stopped"), out
    assert "Traceback" not in err and PASSWORD not in out + err
    log = team.b.world.paths.service_log_file
    assert log.exists() and "run #" in log.read_text(encoding="utf-8")
    assert PASSWORD not in log.read_text(encoding="utf-8")
    # The other workstation sees the service's runs in the shared journal.
    door = JournalDoor.open_journal_only(team.a.world.profile, team.a.world.paths)
    try:
        scheduled = [r for r in door.runs() if r.trigger == "schedule"]
    finally:
        door.close()
    assert len(scheduled) >= 3
    assert all(r.outcome in ("done", "waiting", "cancelled") for r in scheduled)


def test_sigterm_in_the_middle_of_a_run_stops_between_operations(team: Team) -> None:
    team.slow()
    service = team.a.start("service", "--every", "10m")
    team.wait_for_holder(service.pid)
    time.sleep(0.5)
    service.send_signal(signal.SIGTERM)
    out, err = service.communicate(timeout=60)
    assert service.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err
    assert team.holder() is None  # the lock went with it


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("10m", 600), ("1h", 3600), ("5", 300), (" 2 m", 120)]
)
def test_every(text: str, seconds: float) -> None:
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["0m", "ten", "10x", "-5m", ""])
def test_a_wrong_period_is_refused(text: str) -> None:
    with pytest.raises(CommandError, match="expected a period like 30s, 10m, 1h"):
        parse_every(text)
