"""A team: two workstations (two homes, two profiles with their own uuids, the same 1C
and portal) and one shared journal on a throwaway PostgreSQL (tests/pgcluster.py).

Each workstation runs the real ``desktop-sync`` console program in its own process with
its own ``DESKTOP_SYNC_HOME``; secrets come from the environment (no keyring).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from desktop_sync.config import AppPaths, Profile, ProfileStore
from tests import summaries
from tests.e2e.conftest import World
from tests.killing import HANG, kill_hard
from tests.pgcluster import PASSWORD, PgCluster
from tests.reliability.checks import open_world

# Numbers the tests measured, printed at the end of the session (pytest's summary).
MEASURED: dict[str, str] = {}
ONEC_DELAY = 0.01  # seconds per 1C answer: a run lasts a few seconds, room for the other


def exe() -> str:
    found = shutil.which("desktop-sync", path=str(Path(sys.executable).parent))
    assert found, "desktop-sync is not installed in this venv (pip install -e .)"
    return found


@dataclass
class Workstation:
    name: str
    world: World  # this workstation's home and profile; the sandboxes are the team's
    started: list[subprocess.Popen[str]] = dataclasses.field(default_factory=list)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            **self.world.env(),
            "DESKTOP_SYNC_JOURNAL_PASSWORD": PASSWORD,
            "DESKTOP_SYNC_LANG": "en",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }

    def start(self, *args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [exe(), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=self.env(),
        )
        self.started.append(proc)
        return proc

    def reap(self) -> None:
        """Whatever a failed test left running: ended, its pipes closed."""
        for proc in self.started:
            if proc.poll() is None:
                kill_hard(proc)
            proc.communicate(timeout=30)

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe(), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=self.env(),
            timeout=timeout,
            check=False,
        )


@dataclass
class Team:
    a: Workstation
    b: Workstation
    cluster: PgCluster
    database: str
    url: str

    def slow(self, on: bool = True, delay: float = ONEC_DELAY) -> None:
        """Every 1C answer a little late (``delay`` seconds): a run lasts long enough for
        the other workstation to meet it. The sandbox is the test's: this is immediate."""
        self.a.world.onec.faults.delay = delay if on else 0.0

    def holder(self) -> tuple[int, str] | None:
        """(pid, machine) of the run lock's holder row, if any."""
        with psycopg.connect(
            host="127.0.0.1", port=self.cluster.port, user="sync", password=PASSWORD,
            dbname=self.database,
        ) as conn:  # fmt: skip
            try:
                row = conn.execute("SELECT pid, machine FROM run_lock").fetchone()
            except psycopg.errors.UndefinedTable:  # the first run has not made the schema yet
                return None
        return None if row is None else (int(row[0]), str(row[1]))

    def wait_for_holder(self, pid: int, timeout: float = HANG) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.holder()
            if found is not None and found[0] == pid:
                return
            time.sleep(0.05)
        raise AssertionError(f"process {pid} never took the run lock")


def _second_home(world: World, root: Path, url: str) -> World:
    paths = AppPaths.resolve(root / "home")
    paths.ensure()
    theirs = Profile(
        name="shop",
        onec_url=world.profile.onec_url,
        onec_user=world.profile.onec_user,
        crm_url=world.profile.crm_url,
        configuration=world.profile.configuration,
        stages=dict(world.profile.stages),
        crm_throttle=False,
        journal_url=url,
    )  # a uuid of its own: set up on that workstation by its accountant
    theirs = ProfileStore(paths.profiles_file).add(theirs)
    return World(world.onec, world.crm, paths, theirs)


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_cluster: PgCluster) -> Iterator[Team]:
    database = pg_cluster.new_database("team")
    url = pg_cluster.url(database)
    monkeypatch.setenv("DESKTOP_SYNC_JOURNAL_PASSWORD", PASSWORD)
    with open_world(tmp_path / "a", monkeypatch) as world:
        store = ProfileStore(world.paths.profiles_file)
        ours = dataclasses.replace(world.profile, journal_url=url)
        store.put(ours)
        a = World(world.onec, world.crm, world.paths, ours)
        b = _second_home(world, tmp_path / "b", url)
        assert a.profile.uuid != b.profile.uuid
        team = Team(Workstation("A", a), Workstation("B", b), pg_cluster, database, url)
        try:
            yield team
        finally:
            team.a.reap()
            team.b.reap()


@pytest.fixture(autouse=True)
def _no_log_handler_left() -> Iterator[None]:
    """Commands run in this process (``cli.main.run``) set up the log file: remove it
    after each test, or a later test's own ``setup_logging`` would be a no-op."""
    yield
    from desktop_sync.logsetup import close_logging

    close_logging()


def summary_lines(counts: summaries.Counts) -> list[str]:
    return [f"{what}: {value}" for what, value in counts.items()]


# Printed at the end of the session, whole under pytest-xdist (tests/summaries.py).
summaries.provide(
    "shared journal (issue 23)", "tests.service.conftest:summary_lines", MEASURED.copy
)
