"""SIGKILL a real ``desktop-sync sync --apply`` at random moments, several times, then restart.

The moment is drawn per seed, uniformly over the length of an uninterrupted run,
so kills land during start-up, between requests, inside a multi-step write and
while the journal is being written. After the restarts the end state equals
the uninterrupted run's, with no twin and nothing lost; the journal file passes
SQLite's integrity check and has nothing left in flight; exit codes are 0 or 3.
(tests/e2e/test_sync_e2e.py kills once at a chosen journal state; this is the
random, repeated version.)
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop_sync.exitcodes import Exit
from tests.e2e.conftest import World
from tests.e2e.test_same_run import branch_of_a_partner
from tests.killing import HANG, kill_hard, reaped, was_killed

from .checks import (
    CONFIGURATIONS,
    State,
    diff,
    inbox_state,
    journal_problems,
    open_world,
    secrets_found,
    state,
)
from .conftest import Tally, soak_enabled
from .test_faults import converge

ONEC_DELAY = "delay:0.01"  # spreads a small run over a second or two: room for kills


def _exe() -> str:
    exe = shutil.which("desktop-sync", path=str(Path(sys.executable).parent))
    assert exe, "desktop-sync is not installed in this venv (pip install -e .)"
    return exe


def _env(world: World) -> dict[str, str]:
    return {
        **os.environ,
        **world.env(),
        "DESKTOP_SYNC_LANG": "en",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }


def start_apply(world: World, *, output: bool = True) -> subprocess.Popen[str]:
    """``desktop-sync sync --apply --json`` started as a process of its own (to be killed);
    ``output=False``: its standard output is thrown away."""
    return subprocess.Popen(
        [_exe(), "sync", "--apply", "--json"],
        env=_env(world),
        stdout=subprocess.PIPE if output else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def cli_apply(world: World, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_exe(), "sync", "--apply", "--json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(world),
        timeout=timeout,
        check=False,
    )


@dataclass
class Reference:
    state: State
    seconds: float  # one uninterrupted CLI apply, start-up included
    inbox: Counter[str]  # what waits for a person at the end


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, configuration: str) -> Iterator[Reference]:
    with (
        pytest.MonkeyPatch.context() as mp,
        open_world(
            tmp_path_factory.mktemp("ref"), mp, onec_faults=ONEC_DELAY, configuration=configuration
        ) as world,
    ):
        branch_of_a_partner(world)
        t0 = time.monotonic()
        first = cli_apply(world)
        seconds = time.monotonic() - t0
        assert first.returncode in (Exit.OK, Exit.WAITING), first.stderr
        converge(world)  # later runs still have work (money flows follow the 1C numbers)
        yield Reference(state(world), seconds, inbox_state(world))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "configuration" in metafunc.fixturenames:
        metafunc.parametrize("configuration", CONFIGURATIONS, scope="module")
    if "seed" in metafunc.fixturenames:
        soak = soak_enabled(metafunc.config)
        # soak: 32 seeds x 4 kills x 2 configurations = 256 moments to kill at; a run
        # that ends before its moment is not killed (measured: 224 killed, 0 lost, 0 twins)
        metafunc.parametrize("seed", range(1, 33) if soak else (1, 2))
    if "kills" in metafunc.fixturenames:
        metafunc.parametrize("kills", (4,) if soak_enabled(metafunc.config) else (2,))


def test_random_kills_then_restart_equal_uninterrupted_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reference: Reference,
    seed: int,
    kills: int,
    configuration: str,
    tally: Tally,
) -> None:
    rng = random.Random(f"kills/{seed}")
    tally.tried += 1
    outputs: list[str] = []
    with open_world(
        tmp_path, monkeypatch, onec_faults=ONEC_DELAY, configuration=configuration
    ) as world:
        branch_of_a_partner(world)  # UT 11: F7 joins a requisite F1 must see in the same run
        killed = 0
        for _ in range(kills):
            with reaped(start_apply(world)) as proc:
                time.sleep(rng.uniform(0.05, 1.0) * reference.seconds)  # the moment drawn
                if proc.poll() is None:
                    kill_hard(proc)
                    killed += 1
                    tally.kills += 1
                out, err = proc.communicate(timeout=HANG)
            outputs += [out, err]
            assert was_killed(proc.returncode) or proc.returncode in (
                Exit.OK,
                Exit.WAITING,
                Exit.PARTIAL,
            ), err
            assert journal_problems_integrity_only(world) == []
        # restart: the next run settles what was in flight and finishes the job
        final = cli_apply(world)
        outputs += [final.stdout, final.stderr]
        assert final.returncode in (Exit.OK, Exit.WAITING), final.stderr
        assert json.loads(final.stdout)["counts"]["failed"] == 0
        converge(world)
        lost, dup, lines = diff(reference.state, state(world))
        tally.lost += lost
        tally.duplicated += dup
        assert (lost, dup) == (0, 0), "\n".join(lines[:20])
        # the same end state includes what waits for a person (UT 11: an invoice sent or
        # waiting, a conflict nobody caused, must not depend on where a run was killed)
        assert inbox_state(world) == reference.inbox
        assert journal_problems(world.paths.journal_path()) == []
        assert secrets_found(world, *outputs) == []
        tally.passed += 1
        tally.notes.append(f"seed {seed}: {killed}/{kills} runs killed")


def journal_problems_integrity_only(world: World) -> list[str]:
    """Right after a kill only the file must be sound; operations may be in flight."""
    db = world.paths.journal_path()
    if not db.exists():
        return []
    return [p for p in journal_problems(db) if p.startswith("integrity")]
