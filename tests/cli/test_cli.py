"""The command-line contract, run as a user runs it: the real console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.killing import HANG

EXE = shutil.which("desktop-sync", path=str(Path(sys.executable).parent)) or "desktop-sync"


def run(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    # A machine with no keyring backend, as CI and headless servers are.
    full_env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    full_env["DESKTOP_SYNC_HOME"] = str(home)
    full_env["DESKTOP_SYNC_LANG"] = "en"
    full_env.update(env or {})
    return subprocess.run(
        [EXE, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=full_env,
        timeout=HANG,  # a hang, not a speed: Wine under load starts a process slowly
        check=False,
    )


ADD = [
    "profile",
    "add",
    "shop",
    "--onec-url",
    "http://127.0.0.1:8/base/odata/standard.odata",
    "--onec-user",
    "Бухгалтер",
    "--crm-url",
    "http://127.0.0.1:9",
]
CANARY = {
    "DESKTOP_SYNC_ONEC_PASSWORD": "Pa55-canary",
    "DESKTOP_SYNC_CRM_SECRET": "http://127.0.0.1:9/rest/1/canarycode/",
}


def _all_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_profile_lifecycle_never_writes_secrets(tmp_path: Path) -> None:
    home = tmp_path / "home"
    added = run(home, *ADD, env=CANARY)
    assert added.returncode == 0, added.stderr
    assert "Profile «shop» created." in added.stdout
    assert "DESKTOP_SYNC_ONEC_PASSWORD" in added.stdout  # says where secrets will come from

    listed = run(home, "profile", "list")
    assert listed.returncode == 0 and "shop" in listed.stdout
    shown = run(home, "profile", "show", "shop")
    assert shown.returncode == 0 and "Бухгалтер" in shown.stdout
    shown_env = run(home, "profile", "show", "shop", "--json", env=CANARY)
    data = json.loads(shown_env.stdout)
    assert data["onec_user"] == "Бухгалтер"
    assert data["secrets"]["onec_password"] == "from DESKTOP_SYNC_ONEC_PASSWORD"
    for out in (added, listed, shown, shown_env):
        assert "canary" not in out.stdout + out.stderr
    assert b"canarycode" not in _all_bytes(home)
    assert b"Pa55-canary" not in _all_bytes(home)

    assert run(home, "profile", "set", "shop", "stage.send", "DT31_1:S").returncode == 0
    assert json.loads(run(home, "profile", "show", "shop", "--json").stdout)["stages"] == {
        "send": "DT31_1:S"
    }
    removed = run(home, "profile", "remove", "shop")
    assert removed.returncode == 0
    assert "shop" not in run(home, "profile", "list").stdout


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            [
                "profile",
                "add",
                "x",
                "--onec-url",
                "not a url",
                "--onec-user",
                "u",
                "--crm-url",
                "https://b.bitrix24.ru",
            ],
            "not an http(s) URL",
        ),
        (
            [
                "profile",
                "add",
                "x",
                "--onec-url",
                "http://10.0.0.5/base/odata/standard.odata",
                "--onec-user",
                "u",
                "--crm-url",
                "https://b.bitrix24.ru",
            ],
            "unencrypted",
        ),
        (["profile", "add", "x", "--onec-url", "https://1c.ru/b"], "Missing option"),
        (["profile", "show", "nobody"], "no profile"),
        (["profile", "set", "x"], "Missing argument"),
        (["no-such-command"], "No such command"),
        (["sync", "--apply"], "no profile yet"),
        (["sync"], "exactly one of"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: list[str], reason: str) -> None:
    result = run(tmp_path, *args)
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert reason in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_webhook_secret_is_not_echoed_when_bad(tmp_path: Path) -> None:
    env = {"DESKTOP_SYNC_CRM_SECRET": "https://evil.example/rest/1/topsecret/"}
    result = run(
        tmp_path,
        "profile",
        "add",
        "s",
        "--onec-url",
        "https://1c.ru/b",
        "--onec-user",
        "u",
        "--crm-url",
        "https://shop.bitrix24.ru",
        env=env,
    )
    assert result.returncode == 2
    assert "topsecret" not in result.stderr + result.stdout


def test_version_help_and_module(tmp_path: Path) -> None:
    version = run(tmp_path, "--version")
    assert version.returncode == 0 and "desktop-sync" in version.stdout
    helptext = run(tmp_path, "--help")
    assert helptext.returncode == 0
    for command in ("profile", "sync", "journal", "demo", "sandbox", "inbox", "status"):
        assert command in helptext.stdout
    module = subprocess.run(
        [sys.executable, "-m", "desktop_sync", "--version"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert module.returncode == 0 and version.stdout == module.stdout


def test_journal_command_on_empty_journal(tmp_path: Path) -> None:
    assert run(tmp_path, *ADD).returncode == 0
    result = run(tmp_path, "journal", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"runs": []}


def test_internal_error_exits_1_without_traceback(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert run(home, *ADD).returncode == 0
    # A sound database whose schema says version 1 but holds none of its tables: a state
    # no desktop-sync writes (a bug-class failure), reported in one line. (A file that is
    # not a database at all is a damaged journal: tests/cli/test_environment.py.)
    import sqlite3
    from contextlib import closing

    data = home / "data"
    data.mkdir(parents=True, exist_ok=True)
    # closed, not only committed (Python 3.13 warns of an unclosed connection, at GC)
    with closing(sqlite3.connect(data / "journal.sqlite3")) as db, db:
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version VALUES (1)")
    result = run(home, "journal")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "details are in" in result.stderr
    log = (home / "logs" / "desktop-sync.log").read_text(encoding="utf-8")
    assert "Traceback" in log


def test_russian_is_the_default_language(tmp_path: Path) -> None:
    result = run(tmp_path, *ADD, env={"DESKTOP_SYNC_LANG": "ru"})
    assert result.returncode == 0
    assert "Профиль «shop» создан." in result.stdout
