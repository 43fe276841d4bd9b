"""A profile whose keyring holds no 1C password or Bitrix24 webhook: the command line
says how to give it from the command line (not «in the connection settings», which only
the window has) and exits 2, a configuration error; `profile secret NAME` stores them
from the environment, and the next run connects. The project's memory keyring
(tests/conftest.py), the real console entry point in this process, real sandboxes."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from desktop_sync.cli.main import run
from desktop_sync.exitcodes import Exit
from desktop_sync.i18n import language, set_language
from desktop_sync.logsetup import close_logging
from desktop_sync.sandbox import bitrix24, onec

ONEC_ENV, CRM_ENV = "DESKTOP_SYNC_ONEC_PASSWORD", "DESKTOP_SYNC_CRM_SECRET"


def invoke(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    umask = os.umask(0o022)
    os.umask(umask)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = run(argv)
    finally:
        os.umask(umask)
        close_logging()
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def systems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[onec.OnecSandbox, bitrix24.Bitrix24Sandbox]]:
    one = onec.start(port=0)
    crm = bitrix24.start(port=0)
    was = language()
    monkeypatch.setenv("DESKTOP_SYNC_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(ONEC_ENV, raising=False)
    monkeypatch.delenv(CRM_ENV, raising=False)
    try:
        code, _out, err = invoke(
            ["profile", "add", "shop", "--onec-url", one.url, "--onec-user", one.user,
             "--crm-url", crm.url]
        )  # fmt: skip
        assert code == 0, err  # no console, no variables: nothing stored
        yield one, crm
    finally:
        set_language(was)
        one.stop()
        crm.stop()


WORDS = {
    "ru": (
        "пароль 1С профиля «shop» не задан: сохраните его командой "
        "`desktop-sync profile secret shop` или задайте DESKTOP_SYNC_ONEC_PASSWORD"
    ),
    "en": (
        "the 1C password of profile «shop» is not set: store it with "
        "`desktop-sync profile secret shop`, or set DESKTOP_SYNC_ONEC_PASSWORD"
    ),
}


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_missing_secret_says_how_to_give_it_here_and_exits_2(
    systems: tuple[onec.OnecSandbox, bitrix24.Bitrix24Sandbox],
    monkeypatch: pytest.MonkeyPatch,
    lang: str,
) -> None:
    set_language(lang)
    for argv in (["sync", "--dry-run"], ["check"], ["setup"]):
        code, out, err = invoke(argv)
        assert code == Exit.USAGE, (argv, code, err)
        assert err.strip() == f"desktop-sync: {WORDS[lang]}", argv
        assert "настройках подключения" not in err and "connection settings" not in err
        assert "Traceback" not in out + err
    code, out, _err = invoke(["sync", "--dry-run", "--json"])
    assert code == Exit.USAGE
    assert json.loads(out) == {"outcome": "bad_configuration", "message": WORDS[lang]}


def test_profile_secret_stores_both_from_the_environment_and_the_run_connects(
    systems: tuple[onec.OnecSandbox, bitrix24.Bitrix24Sandbox],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    one, crm = systems
    set_language("en")
    code, _out, err = invoke(["profile", "secret", "shop"])  # nothing given: said so
    assert code == Exit.USAGE and "nothing to store for profile «shop»" in err
    monkeypatch.setenv(ONEC_ENV, one.password)
    code, out, err = invoke(["profile", "secret", "shop"])
    assert code == 0, err
    assert out.strip() == "Saved in the system keyring: 1C password."
    monkeypatch.delenv(ONEC_ENV)
    code, _out, err = invoke(["sync", "--dry-run"])  # the webhook still missing
    assert code == Exit.USAGE and "the Bitrix24 webhook of profile «shop» is not set" in err
    monkeypatch.setenv(CRM_ENV, crm.webhook)
    code, out, err = invoke(["profile", "secret", "shop"])
    assert code == 0 and out.strip() == "Saved in the system keyring: Bitrix24 webhook.", err
    monkeypatch.delenv(CRM_ENV)
    code, out, err = invoke(["sync", "--dry-run"])  # both from the keyring now
    assert code in (Exit.OK, Exit.WAITING), err
    for text in (one.password, crm.webhook):
        assert text not in out + err


def test_profile_secret_checks_the_webhook_against_the_profiles_portal(
    systems: tuple[onec.OnecSandbox, bitrix24.Bitrix24Sandbox],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_language("en")
    monkeypatch.setenv(CRM_ENV, "https://other.bitrix24.ru/rest/1/abc123/")
    code, out, err = invoke(["profile", "secret", "shop"])
    assert code == Exit.USAGE and out == "" and "Traceback" not in err
    assert "abc123" not in err
