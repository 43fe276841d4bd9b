"""`check` and `setup` with a webhook that cannot do everything, said in Russian.

The portal's administrator hands over a webhook of a manager, or one without a scope:
`check` lists what to fix and `setup` says why it cannot, naming the field, in the
person's language. Both wrote English into the Russian output: «Битрикс24: The webhook
lacks the permissions catalog.», «11 custom fields are missing: run …», «… для: custom
field «Номер в 1С»». Real console script, both sandboxes over loopback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_sync.sandbox import bitrix24, onec
from desktop_sync.sandbox.bitrix24.store import ALL_SCOPES
from tests.cli.test_russian_output import latin_words
from tests.killing import HANG

EXE = shutil.which("desktop-sync", path=str(Path(sys.executable).parent)) or "desktop-sync"


@pytest.fixture(scope="module")
def systems() -> Iterator[tuple[onec.OnecSandbox, bitrix24.Bitrix24Sandbox]]:
    one = onec.start(port=0)
    crm = bitrix24.start(port=0, rate_limit=False)
    try:
        yield one, crm
    finally:
        crm.stop()
        one.stop()


def run(
    home: Path, lang: str, secrets: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    env.update(
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        DESKTOP_SYNC_HOME=str(home),
        DESKTOP_SYNC_LANG=lang,
        COLUMNS="200",
        **secrets,
    )
    return subprocess.run(
        [EXE, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=HANG,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _home(tmp_path: Path, one: onec.OnecSandbox, crm: bitrix24.Bitrix24Sandbox, webhook: str
          ) -> tuple[Path, dict[str, str]]:  # fmt: skip
    home = tmp_path / "home"
    secrets = {"DESKTOP_SYNC_ONEC_PASSWORD": one.password, "DESKTOP_SYNC_CRM_SECRET": webhook}
    added = run(home, "ru", secrets, "profile", "add", "shop", "--onec-url", one.url,
                "--onec-user", one.user, "--crm-url", crm.url)  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert (
        run(home, "ru", secrets, "profile", "set", "shop", "stage.send", "DT31_1:S").returncode == 0
    )
    return home, secrets


CASES = {
    # webhook kind -> what `check` says in Russian, and in English
    "manager": (
        ["вебхук принадлежит пользователю Михаил О'Брайен, который не администратор",
         "не хватает пользовательских полей"],
        ["who is not an administrator", "custom fields are missing"],
    ),
    "no-catalog": (["у вебхука нет прав catalog"], ["the webhook lacks the permissions catalog"]),
}  # fmt: skip


def _webhook(crm: bitrix24.Bitrix24Sandbox, kind: str) -> str:
    if kind == "manager":
        return crm.manager_webhook()
    return crm.add_webhook(1, ALL_SCOPES - {"catalog"})


@pytest.mark.parametrize("kind", sorted(CASES))
def test_check_says_what_the_webhook_lacks_in_the_language(
    tmp_path: Path, systems: tuple[onec.OnecSandbox, bitrix24.Bitrix24Sandbox], kind: str
) -> None:
    one, crm = systems
    home, secrets = _home(tmp_path, one, crm, _webhook(crm, kind))
    russian, english = CASES[kind]
    ru = run(home, "ru", secrets, "check")
    assert ru.returncode == 2, ru.stderr
    assert "Traceback" not in ru.stdout + ru.stderr
    for said in russian:
        assert said in ru.stdout, ru.stdout
    names = {"Михаил", "О'Брайен"}  # the webhook's user, as the portal names them
    assert latin_words(ru.stdout) - names == set(), ru.stdout
    en = run(home, "en", secrets, "check")
    assert en.returncode == 2, en.stderr
    for said in english:
        assert said in en.stdout, en.stdout


def test_setup_with_a_managers_webhook_names_the_field_in_russian(
    tmp_path: Path, systems: tuple[onec.OnecSandbox, bitrix24.Bitrix24Sandbox]
) -> None:
    one, crm = systems
    home, secrets = _home(tmp_path, one, crm, crm.manager_webhook())
    result = run(home, "ru", secrets, "setup")
    assert result.returncode == 5, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert "пользовательское поле «Номер в 1С»" in lines[0], lines[0]
    assert "custom field" not in lines[0]
