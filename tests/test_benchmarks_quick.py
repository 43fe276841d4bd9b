"""The benchmarks cannot rot: ``python -m benchmarks --quick`` runs, quickly, without error.

No time is asserted here (benchmarks are numbers to read, not pass/fail); only
that every benchmark still runs against today's engine and sandboxes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmarks_run(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DESKTOP_SYNC_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(tmp_path / "results")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=900,  # a hang, not a speed: no time is asserted
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "FAILED" not in proc.stdout
    for group in ("CRM read", "Sync (small", "Sync (ut11, small", "Engine", "Journal"):
        assert group in proc.stdout
    assert "Not measured:" in proc.stdout  # what is not measured is said
    assert "GUI responsiveness" in proc.stdout
    assert "Issue 18: goals" in proc.stdout  # every goal line, measured or said not to be
    assert "planner, 100,000 entities, CPU time" in proc.stdout
    assert list((tmp_path / "results").glob("*.json"))
