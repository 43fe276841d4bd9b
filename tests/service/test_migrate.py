"""``desktop-sync journal migrate --to URL``: a workstation's SQLite history moves into the
team's PostgreSQL journal, and the next synchronisation plans exactly what it would have
planned on the old journal (links, cursors and decisions came along)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from desktop_sync.cli.main import run
from desktop_sync.config import ProfileStore
from desktop_sync.engine.model import Plan
from desktop_sync.exitcodes import Exit
from tests.pgcluster import PASSWORD, PgCluster
from tests.reliability.checks import open_world, service


def _kinds(plan: Plan) -> Counter[str]:
    return Counter(f"{op.flow.value}:{op.kind.value}:{op.entity_type}" for op in plan.operations)


def test_a_sqlite_journal_moves_into_postgresql(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pg_cluster: PgCluster,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = pg_cluster.url(pg_cluster.new_database("mig"))
    monkeypatch.setenv("DESKTOP_SYNC_JOURNAL_PASSWORD", PASSWORD)
    with open_world(tmp_path, monkeypatch) as world:
        with service(world) as svc:
            svc.run()
            _summary, before = svc.dry_run()
            runs = len(svc.runs())
        home = ["--home", str(world.paths.config_dir.parent)]
        assert run([*home, "journal", "migrate", "--to", url]) == Exit.OK
        said = capsys.readouterr().out
        assert f"Copied {runs} runs" in said and "now uses the shared journal" in said
        moved = ProfileStore(world.paths.profiles_file).get("shop")
        assert moved.journal_url == url
        world.profile = moved
        with service(world) as svc:
            assert svc.journal.shared and len(svc.runs()) == runs
            _summary, after = svc.dry_run()
        assert _kinds(after) == _kinds(before)
        assert run([*home, "journal", "--json"]) == Exit.OK
        assert len(json.loads(capsys.readouterr().out)["runs"]) == runs + 1
        # Twice is refused: the history would be doubled.
        assert run([*home, "journal", "migrate", "--to", url]) == Exit.USAGE
        assert "already uses a shared journal" in capsys.readouterr().err
        assert PASSWORD not in (tmp_path / "home" / "config" / "profiles.json").read_text(
            encoding="utf-8"
        )
