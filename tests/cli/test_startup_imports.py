"""A help page or a usage error does not import the engine.

Every `desktop-sync` process pays for what its command imports: the journal's ORM
(SQLAlchemy), the connectors (httpx), the printed invoice (fpdf2). A help page, a
mistyped option or `profile list` needs none of them; they are imported by the commands
that run a synchronisation or open the journal (docs/decisions/ci-time.md: the CLI's
start-up). Measured there: `desktop-sync --help` 0.84 -> 0.19 s of CPU.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli.test_russian_output import HELP_PAGES
from tests.killing import HANG

# What a command that needs none of them must not pay for.
HEAVY = (
    "sqlalchemy",
    "httpx",
    "fpdf",
    "PySide6",
    "desktop_sync.engine.service",
    "desktop_sync.engine.facade",
    "desktop_sync.journal",
    "desktop_sync.connectors",
    "desktop_sync.readmodel",
)
LIGHT = [
    *([*page, "--help"] for page in HELP_PAGES),
    ["--version"],
    ["--bogus"],
    ["no-such-command"],
    ["sync"],  # neither --dry-run nor --apply
    ["sync", "--bogus"],
    ["inbox", "resolve"],
    ["profile", "list"],
    ["profile", "show", "nobody"],
]

# In one process, each command in turn: what each one imported first is what it cost.
PROBE = """
import json, sys
from desktop_sync.cli.main import run
heavy = tuple(sys.argv[1].split(","))
found = {}
for args in json.loads(sys.argv[2]):
    before = set(sys.modules)
    run(args)
    new = sorted(m for m in set(sys.modules) - before if m.partition(".")[0] in heavy
                 or m.startswith(heavy))
    if new:
        found[" ".join(args)] = new[:5]
print(json.dumps(found))
"""


def test_help_pages_and_usage_errors_do_not_import_the_engine(tmp_path: Path) -> None:
    result = _python(tmp_path, PROBE, ",".join(HEAVY), json.dumps(LIGHT))
    found = json.loads(result.stdout.splitlines()[-1])
    assert found == {}, found


def _python(tmp_path: Path, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh Python, in English, on a home of its own, no keyring; it must
    end well."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    env.update(DESKTOP_SYNC_HOME=str(tmp_path / "home"), DESKTOP_SYNC_LANG="en")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=HANG,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    return result


# A fresh process, the command line's module imported as `desktop-sync` does: what it
# holds at the end (its own import counts, unlike PROBE's commands after the first).
FRESH = """
import json, sys
from desktop_sync.cli.main import run
run(sys.argv[2:])
print(json.dumps(sorted(m for m in sys.argv[1].split(",") if m in sys.modules)), file=sys.stderr)
"""
START_UP = ("keyring", "importlib.metadata")


def imported_by(tmp_path: Path, *args: str) -> list[str]:
    result = _python(tmp_path, FRESH, ",".join(START_UP), *args)
    found: list[str] = json.loads(result.stderr.splitlines()[-1])
    return found


def test_the_keyring_and_the_version_are_imported_only_when_asked(tmp_path: Path) -> None:
    """keyring (its backends' discovery) and importlib.metadata (the email parser): about
    40 ms of every command's start-up, needed only for a secret and for `--version`."""
    assert imported_by(tmp_path, "--help") == []
    assert imported_by(tmp_path, "profile", "list") == []
    assert imported_by(tmp_path, "--version") == ["importlib.metadata"]
