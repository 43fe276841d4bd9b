"""Russian by default, everywhere on the command line (issue 20, item 4).

Runs every command as a person does (help pages, usage errors, and a whole working
session against the sandboxes) with the Russian language and scans what it prints
for untranslated English: a Latin word outside the names and codes that stay Latin
in Russian text (1C, CRM, OData, JSON, URL …), after setting aside what is not
prose (addresses, `commands`, --options, ENV_VARS, choices, file names).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_sync.sandbox import bitrix24, onec
from tests.killing import HANG

EXE = shutil.which("desktop-sync", path=str(Path(sys.executable).parent)) or "desktop-sync"

# Latin words that Russian text keeps: product and standard names, codes, units.
ALLOWED = {
    "1C", "CRM", "OData", "JSON", "URL", "HTTP", "HTTPS", "http", "https", "Basic",
    "Bitrix24", "id", "ID", "csv", "xlsx", "sudo", "apt", "install", "bp30", "ut11",
    "onec", "crm", "value", "GUID", "CA", "Qt", "ПО", "desktop-sync", "F", "S", "N",
    "P", "D", "UC", "TO1C", "PART", "DT31", "html", "html200", "timeout", "drop",
    "lost", "delay", "badjson", "burst", "method", "item", "list", "on", "off", "small",
    "medium", "large", "s", "it", "bitrix24", "F1", "F2", "F3", "F4", "F5", "F6", "F7",
    "F8", "F9", "F10", "F11",
}  # fmt: skip
# The commands themselves are typed as they are.
ALLOWED |= {
    "profile", "add", "list", "show", "set", "remove", "secret", "sync", "inbox", "resolve",
    "setup",
    "check", "status", "journal", "sandbox", "demo", "invoice", "pdf",
}  # fmt: skip
ALLOWED |= {"QR", "QR-", "PDF"}  # the printed invoice (F11): «QR-код»
# The shared journal and the service (issue 23): its command words, periods (10m, 1h).
ALLOWED |= {"service", "migrate", "SIGTERM", "PostgreSQL", "m", "h"}
# Data from the sandboxes' seeded records («Картридж HP 85A», «Кабель UTP 5e»).
DATA_WORDS = {"HP", "A", "UTP", "shop"}  # the seeded goods, the profile name

NOT_PROSE = [
    r"'[^'\n]*'",  # what the person typed, echoed: 'no-such-command', '--run'
    r"«[^»\n]*»",  # names: profiles, records, values
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",  # identifiers
    r"\S+://\S+",  # addresses
    r"`[^`]*`",  # commands to type
    r"(?<![\w-])--?[a-z][\w-]*(=\S+)?",  # options
    r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b",  # ENV_VARS
    r"\[[^\]\n]*\|[^\]\n]*\]",  # [choice|choice]
    r"(?:[\w.-]*/)+[\w.-]+",  # paths
    r"\b[\w-]+\.(?:csv|xlsx|sqlite3|log|json|odata)\b",  # file names
    r"\b(?:crm|catalog|userfieldconfig|user|batch)\.[\w.]+",  # Bitrix24 method names
    r"\b\d+(?:[.,]\d+)?(?:/s)?\b",  # numbers, rates
    r"\b\w+(?:\.\w+)+\b",  # setting keys as typed: stage.send
    r"\S*\w:\S*",  # codes with a colon: DT31_1:S, onec:500:0.05 (also cut by wrapping)
]


def latin_words(text: str) -> set[str]:
    for pattern in NOT_PROSE:
        text = re.sub(pattern, " ", text)
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9-]*", text))
    return {w for w in words if w not in ALLOWED and w not in DATA_WORDS}


def run(home: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    full_env.update(
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        DESKTOP_SYNC_HOME=str(home),
        DESKTOP_SYNC_LANG="ru",
        COLUMNS="200",
    )
    full_env.update(env or {})
    result = subprocess.run(
        [EXE, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=full_env,
        timeout=HANG,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode != 1, result.stderr
    return result.stdout + result.stderr


HELP_PAGES = [
    [],
    ["profile"],
    ["profile", "add"],
    ["profile", "list"],
    ["profile", "show"],
    ["profile", "set"],
    ["profile", "remove"],
    ["profile", "secret"],
    ["sync"],
    ["inbox"],
    ["inbox", "list"],
    ["inbox", "resolve"],
    ["setup"],
    ["check"],
    ["status"],
    ["journal"],
    ["journal", "migrate"],
    ["service"],
    ["sandbox"],
    ["demo"],
    ["invoice"],
    ["invoice", "pdf"],
]
MISTAKES = [
    ["--bogus"],
    ["sync", "--bogus"],
    ["no-such-command"],
    ["profile", "add"],
    ["profile", "add", "x", "--onec-url", "ftp://x", "--onec-user", "u", "--crm-url", "y"],
    ["inbox", "resolve"],
    ["journal", "--run", "abc"],
    ["sync"],
    ["sync", "--apply"],
    ["profile", "show", "nobody"],
    ["demo", "--configuration", "xx"],
    ["journal", "--export", "/no/such/folder/x.csv"],
]


@pytest.mark.parametrize("page", HELP_PAGES, ids=lambda p: " ".join(p) or "root")
def test_help_pages_are_in_russian(tmp_path: Path, page: list[str]) -> None:
    text = run(tmp_path, *page, "--help")
    assert "Использование:" in text and "Параметры" in text, text
    assert latin_words(text) == set(), text


@pytest.mark.parametrize("args", MISTAKES, ids=lambda a: " ".join(a))
def test_mistakes_are_said_in_russian(tmp_path: Path, args: list[str]) -> None:
    text = run(tmp_path, *args)
    assert text.startswith("desktop-sync: "), text
    assert latin_words(text) == set(), text


@pytest.fixture
def session(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    one = onec.start(port=0)
    crm = bitrix24.start(port=0, rate_limit=False)
    try:
        env = {
            "DESKTOP_SYNC_ONEC_PASSWORD": one.password,
            "DESKTOP_SYNC_CRM_SECRET": crm.webhook,
            "ONEC_URL": one.url,
            "CRM_URL": crm.url,
        }
        yield tmp_path / "home", env
    finally:
        crm.stop()
        one.stop()


def test_a_working_session_is_in_russian(session: tuple[Path, dict[str, str]]) -> None:
    home, env = session
    outputs = {}
    steps = [
        ["profile", "add", "shop", "--onec-url", env["ONEC_URL"], "--onec-user", "Бухгалтер",
         "--crm-url", env["CRM_URL"]],
        ["profile", "list"],
        ["profile", "show", "shop"],
        ["profile", "set", "shop", "stage.send", "DT31_1:S"],
        ["setup"],
        ["check"],
        ["sync", "--dry-run"],
        ["sync", "--apply"],
        ["inbox"],
        ["journal"],
        ["journal", "--run", "2"],
        ["status", "2"],
        ["status", "crm:2"],
        ["inbox", "resolve", "#999", "--skip"],
    ]  # fmt: skip
    for step in steps:
        outputs[" ".join(step[:2])] = text = run(home, *step, env=env)
        assert latin_words(text) == set(), (step, text)
    assert "Создано в Битрикс24: Номер в 1С" in outputs["setup"]
    created = outputs["setup"].split(":", 1)[1].strip().rstrip(".").split(", ")
    assert "Номер в 1С (сделки)" in created  # the deals' fields said apart from the invoices'
    assert len(created) == len(set(created)), created
    assert "(выполнение)" in outputs["sync --apply"]
    assert "выполнено" in outputs["journal"]
    assert "уточните" in outputs["status 2"]

    export = home.parent / "journal.csv"
    run(home, "journal", "--export", str(export), env=env)
    with export.open(encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh, delimiter=";"))
    assert header[:3] == ["№", "Поток", "Операция"]
    assert latin_words(" ".join(header)) == set()


def test_the_plan_prints_amounts_the_russian_way() -> None:
    from decimal import Decimal

    from desktop_sync.cli.sync_cmds import _value
    from desktop_sync.i18n import set_language

    try:
        set_language("ru")
        assert _value(Decimal("7.5")) + " → " + _value(Decimal("10.50")) == "7,50 → 10,50"
        assert _value("40032.57", "price") == "40\u00a0032,57"
        assert _value("Ромашка", "name") == "Ромашка"
        set_language("en")
        assert _value(Decimal("7.5")) == "7.50"
    finally:
        set_language("en")


def test_the_lock_of_a_running_synchronisation_is_said_in_russian(
    session: tuple[Path, dict[str, str]],
) -> None:
    import json

    from desktop_sync.config import AppPaths
    from desktop_sync.runlock import RunLock

    home, env = session
    run(home, "profile", "add", "shop", "--onec-url", env["ONEC_URL"], "--onec-user", "u",
        "--crm-url", env["CRM_URL"], env=env)  # fmt: skip
    profiles = json.loads((home / "config" / "profiles.json").read_text(encoding="utf-8"))
    uuid = profiles["profiles"][0]["uuid"]
    with RunLock(AppPaths.resolve(home).lock_path(uuid)):
        text = run(home, "sync", "--apply", env=env)
    assert "идёт другая синхронизация этого профиля" in text, text
    import getpass
    import socket

    names = {getpass.getuser(), socket.gethostname()}  # the holder's user and machine
    assert latin_words(text) - names == set(), text
