"""Two workstations, one shared journal on PostgreSQL, the real console program in
separate processes: one run at a time across them, a killed holder gives way within
seconds, an inbox decision made on one is seen on the other; nothing twice, nothing lost."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from desktop_sync.engine.facade import JournalDoor
from desktop_sync.exitcodes import Exit
from desktop_sync.journal.base import workstation
from tests.killing import kill_hard
from tests.reliability.checks import State, diff, open_world, service, state
from tests.reliability.test_faults import converge

from .conftest import MEASURED, Team, Workstation

DONE = (Exit.OK, Exit.WAITING)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[State]:
    """Both systems after one workstation alone synchronised until nothing was left."""
    with (
        pytest.MonkeyPatch.context() as mp,
        open_world(tmp_path_factory.mktemp("ref"), mp) as world,
    ):
        converge(world)
        yield state(world)


def _no_twins(team: Team, reference: State) -> None:
    team.slow(False)
    converge(team.a.world)
    lost, twins, lines = diff(reference, state(team.a.world))
    assert (lost, twins) == (0, 0), lines


def _inbox(ws: Workstation) -> list[dict[str, object]]:
    done = ws.run("inbox", "--json")
    assert done.returncode == 0, done.stderr
    items: list[dict[str, object]] = json.loads(done.stdout)["items"]
    return items


def test_two_workstations_at_once_one_applies_the_other_is_refused_or_waits(
    team: Team, reference: State
) -> None:
    team.slow(delay=0.5)  # A stays inside its run, however slowly B starts on a busy machine
    first = team.a.start("sync", "--apply", "--json")
    team.wait_for_holder(first.pid)
    refused = team.b.run("sync", "--apply")
    team.slow(False)  # and A finishes at once
    assert refused.returncode == Exit.LOCKED, refused.stderr
    assert f"process {first.pid} " in refused.stderr
    assert f"on {socket.gethostname()}, since " in refused.stderr
    assert "Traceback" not in refused.stderr
    _out, err = first.communicate(timeout=120)
    assert first.returncode in DONE, err

    # Again, with --wait: the second workstation waits its turn, then runs (nothing to redo).
    team.slow()
    again = team.a.start("sync", "--apply")
    team.wait_for_holder(again.pid)
    started = time.monotonic()
    waiting = team.b.start("sync", "--apply", "--wait", "--json")
    _out, err_a = again.communicate(timeout=120)
    _out_b, err_b = waiting.communicate(timeout=120)
    assert again.returncode in DONE, err_a
    assert waiting.returncode in DONE, err_b
    MEASURED["the waiting workstation (--wait) finished"] = (
        f"{time.monotonic() - started:.1f} s after it started, behind the other's run"
    )
    # One journal: both workstations see every run, and who started each.
    runs = JournalDoor.open_journal_only(team.b.world.profile, team.b.world.paths)
    try:
        started_by = {r.started_by for r in runs.runs()}
        assert len(runs.runs()) == 3 and started_by == {workstation()}
    finally:
        runs.close()
    _no_twins(team, reference)


def test_a_killed_workstation_gives_way_within_seconds(team: Team, reference: State) -> None:
    team.slow()
    victim = team.a.start("sync", "--apply")
    team.wait_for_holder(victim.pid)
    time.sleep(0.3)  # inside its run: reading, or writing
    killed = time.monotonic()
    kill_hard(victim)
    victim.communicate(timeout=30)
    door = JournalDoor.open_journal_only(team.b.world.profile, team.b.world.paths)
    door.lock_wait = 30  # within seconds: taken before this wait runs out, not minutes
    try:
        with door.run_lock():
            took = time.monotonic() - killed
    finally:
        door.close()
    MEASURED["run lock taken over after the holding workstation was SIGKILLed"] = f"{took:.2f} s"
    after = team.b.run("sync", "--apply", "--json")
    assert after.returncode in DONE, after.stderr
    _no_twins(team, reference)


def test_an_inbox_item_resolved_on_one_is_gone_on_the_other(team: Team) -> None:
    with service(team.a.world) as svc:  # workstation A synchronises (here, in-process)
        svc.run()
        ours = svc.inbox()
    theirs = _inbox(team.b)
    assert theirs, "the sample data keeps items waiting for a person"
    assert [i["id"] for i in theirs] == [i.id for i in ours]  # one inbox
    item = theirs[0]
    decided = team.a.run("inbox", "resolve", str(item["id"]), "--skip")
    assert decided.returncode == 0, decided.stderr
    assert item["id"] not in {i["id"] for i in _inbox(team.b)}
    door = JournalDoor.open_journal_only(team.b.world.profile, team.b.world.paths)
    try:
        [resolved] = [i for i in door.inbox(open_only=False) if i.id == item["id"]]
    finally:
        door.close()
    assert resolved.state == "resolved" and resolved.resolved_by == workstation()
