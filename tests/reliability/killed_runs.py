"""Two ``desktop-sync sync --apply`` runs of the CLI, each SIGKILLed once the journal has
a chosen number more operations of some flows: the kill-and-restart tests of the flows
(F8, F9, F10, private-person buyers) share it."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import time
from pathlib import Path

from desktop_sync.exitcodes import Exit
from tests.e2e.conftest import World
from tests.killing import kill_hard, was_killed

from .test_kills import _env, _exe


def journalled(db: Path, flows: tuple[str, ...]) -> int:
    """Operations of ``flows`` journalled so far (any state); 0 while there is no journal
    or it cannot be read right now."""
    if not db.exists():
        return 0
    marks = ", ".join("?" for _ in flows)
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            sql = f"SELECT count(*) FROM operation WHERE flow IN ({marks})"
            (n,) = con.execute(sql, flows).fetchone()
            return int(n)
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def apply_killed_twice(
    world: World,
    rng: random.Random,
    flows: tuple[str, ...],
    spread: int,
    *,
    jitter: float = 0.06,
) -> int:
    """Run ``sync --apply`` twice, each killed when 1 to ``spread`` more operations of
    ``flows`` are journalled (plus up to ``jitter`` seconds: a request may be on its way);
    a run that ends first must end well. Returns how many runs were killed."""
    db = world.paths.journal_path()
    before = journalled(db, flows)
    killed = 0
    for _ in range(2):
        proc = subprocess.Popen(
            [_exe(), "sync", "--apply", "--json"],
            env=_env(world),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        at = before + rng.randint(1, spread)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if journalled(db, flows) >= at:
                time.sleep(rng.uniform(0, jitter))
                kill_hard(proc)
                break
            time.sleep(0.005)
        _out, err = proc.communicate(timeout=60)
        assert was_killed(proc.returncode) or proc.returncode in (Exit.OK, Exit.WAITING), err
        killed += was_killed(proc.returncode)
        before = journalled(db, flows)
    return killed
