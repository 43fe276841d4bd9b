"""The README's "For a team" blocks, as written, on a workstation and a server (issue 23).

The database server's block (``createuser``/``createdb``) is what the throwaway cluster
of the tests already did; the workstation's block runs line by line through the shell,
and the server's ``service`` line runs until its first health line, then gets SIGTERM.
Only the addresses differ: the example database URL points at the test's PostgreSQL,
the profile at the sandboxes; the secrets come from the environment the README names.
"""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
from pathlib import Path

import pytest

from tests.pgcluster import PgCluster
from tests.reliability.checks import open_world

from .conftest import Workstation, exe

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = "postgresql://sync@db.example.ru/desktop_sync"


def team_blocks() -> list[list[str]]:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## For a team", 1)[1]
    section = section.split("\n## ", 1)[0]
    return [
        [line.strip() for line in b.splitlines() if line.strip() and not line.startswith("#")]
        for b in re.findall(r"```sh\n(.*?)```", section, re.S)
    ]


def test_the_blocks_are_what_a_team_needs() -> None:
    server, workstation, service = team_blocks()
    assert all("sudo -u postgres" in line for line in server)
    assert workstation[0] == f"desktop-sync profile set shop journal.url {EXAMPLE}"
    assert service == ["desktop-sync service --profile shop --every 10m"]


def test_the_team_section_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_cluster: PgCluster
) -> None:
    _server, workstation, service = team_blocks()
    url = pg_cluster.url(pg_cluster.new_database("readme"))
    with open_world(tmp_path, monkeypatch) as world:
        ws = Workstation("A", world)
        env = ws.env()
        env["PATH"] = f"{Path(exe()).parent}:{env.get('PATH', '')}"
        for line in workstation:
            done = subprocess.run(
                line.replace(EXAMPLE, url), shell=True, env=env, capture_output=True,
                text=True, encoding="utf-8", timeout=180, check=False,
            )  # fmt: skip
            assert done.returncode in (0, 3), (line, done.stdout, done.stderr)
            assert "Traceback" not in done.stderr
        [line] = service
        args = shlex.split(line)
        proc = subprocess.Popen(
            [exe(), *args[1:]], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8",
        )  # fmt: skip
        assert proc.stdout is not None
        first = [proc.stdout.readline(), proc.stdout.readline()]
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError((first, out, err)) from None
        assert proc.returncode == 0, err
        assert "run #" in first[1], first
        assert out.rstrip().endswith("stopped")
