"""F8 under SIGKILL: invoices issued in 1C (the seed's newest, and two issued here),
a real ``desktop-sync sync --apply`` killed at a random point of their creates in the
CRM (after a random number of F8 operations journalled, a random moment later: before
the look-up, between the invoice and its rows, before the answer is journalled), then
restarted. Every 1C invoice ends as exactly one CRM invoice under its key, with its
rows and total, and the next run plans nothing for it.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from desktop_sync.exitcodes import Exit
from tests.e2e.test_issued_invoices import crm_of, issue, onec_invoice, set_profile
from tests.killing import kill_hard, was_killed

from .checks import CONFIGURATIONS, open_world
from .conftest import Tally, soak_enabled
from .test_kills import _env, _exe, cli_apply

SINCE = "2026-03-01"  # the seed's newest 1C invoices, and those issued here


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "configuration" in metafunc.fixturenames:
        metafunc.parametrize("configuration", CONFIGURATIONS)
    if "seed" in metafunc.fixturenames:
        soak = soak_enabled(metafunc.config)
        metafunc.parametrize("seed", range(1, 17) if soak else (1,))


def _f8_rows(db: Path) -> int:
    """F8 operations journalled so far (any state)."""
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            (n,) = con.execute("SELECT count(*) FROM operation WHERE flow = 'F8'").fetchone()
            return int(n)
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_killed_issued_creates_leave_no_twins(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    configuration: str,
    seed: int,
    tally: Tally,
) -> None:
    rng = random.Random(f"issued/{configuration}/{seed}")
    tally.tried += 1
    with open_world(
        tmp_path,
        monkeypatch,
        onec_faults="delay:0.005",
        configuration=configuration,
    ) as world:
        first = cli_apply(world)  # the start day is this month: nothing of F8 yet
        assert first.returncode in (Exit.OK, Exit.WAITING), first.stderr
        set_profile(world, ("onec.invoices_since", SINCE))
        issue(world, 13)
        issue(world, 14, (1,))
        with world.service() as svc:  # what an uninterrupted run would create
            _snap, plan = svc.prepare()
        refs = [op.source_id for op in plan.operations if op.op_id.startswith("F8:create_crm:")]
        assert len(refs) == 3, refs  # the seed's newest (the others are linked), and two
        db = world.paths.journal_path()
        before = _f8_rows(db)
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
            at = before + rng.randint(1, len(refs))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and proc.poll() is None:
                if _f8_rows(db) >= at:
                    time.sleep(rng.uniform(0, 0.03))  # a request may be on its way
                    kill_hard(proc)
                    break
                time.sleep(0.005)
            _out, err = proc.communicate(timeout=60)
            assert was_killed(proc.returncode) or proc.returncode in (Exit.OK, Exit.WAITING), err
            killed += was_killed(proc.returncode)
            before = _f8_rows(db)
        tally.kills += killed
        final = cli_apply(world)
        assert final.returncode in (Exit.OK, Exit.WAITING), final.stderr
        twins = 0
        for ref in refs:
            made = crm_of(world, ref)
            twins += max(len(made) - 1, 0)
            assert len(made) == 1, (ref, [m.invoice.crm_id for m in made])
            onec = onec_invoice(world, ref)
            assert made[0].opportunity == onec.total
            assert len(made[0].invoice.lines) == len(onec.lines)
        tally.duplicated += twins
        with world.service() as svc:
            svc.run()  # F3 notes the seeded invoices' payments on their timelines
            _s, plan = svc.run()
        left = [op.reason for op in plan.operations if op.flow.value in ("F8", "F2")]
        assert left == []
        tally.passed += 1
        tally.notes.append(f"issued seed {seed}: {killed}/2 runs killed")
