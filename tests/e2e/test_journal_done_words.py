"""The journal says a done operation's reason as done: «…: связан» beside «выполнено»,
not the plan's «…: будет связан» (seen on the screenshots); what did not happen keeps
the planned words."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_sync.i18n import catalog
from desktop_sync.readmodel import done_reason, journal_reason

from .conftest import World

EXE = shutil.which("desktop-sync", path=str(Path(sys.executable).parent)) or "desktop-sync"
FUTURE_RU = re.compile(r"\b(?:будет|будут|приведёт)\b")
FUTURE_EN = re.compile(r"\bwill\b")


def _reason_templates() -> dict[str, str]:
    """The planner's reasons: a record's label or name, then what will be done."""
    return {
        en: ru
        for en, ru in catalog("ru").items()
        if re.match(r"(«?\{(label|name|warehouse)\}»?): ", en) and FUTURE_EN.search(en)
    }


def test_every_reason_template_is_said_as_done_in_both_languages() -> None:
    templates = _reason_templates()
    assert len(templates) > 25
    for en, ru in templates.items():
        assert not FUTURE_EN.search(done_reason(en)), en
        assert not FUTURE_RU.search(done_reason(ru)), ru
    assert done_reason("Счёт № 5 от 02.03.2026: найден в 1С (по номеру); будет связан") == (
        "Счёт № 5 от 02.03.2026: найден в 1С (по номеру); связан"
    )
    assert done_reason("ООО «Ромашка»: found in 1C (by INN); will be linked") == (
        "ООО «Ромашка»: found in 1C (by INN); linked"
    )
    planned = "«Склад»: оплата № 3 будет отмечена в ленте"
    assert journal_reason(planned, "failed") == planned
    assert journal_reason(planned, "applied") == "«Склад»: оплата № 3 отмечена в ленте"


def test_a_name_that_holds_a_future_word_is_kept() -> None:
    """Only the template's words change: a company «Всё будет хорошо» (a buyer, a record
    label) keeps its name in the done reason (was «Всё хорошо»)."""
    ru, en = catalog("ru"), "{label}: issued in 1C, will be created in the CRM for {buyer}"
    name = "ООО «Всё будет хорошо»"
    planned = ru[en].format(label=f"Счёт № 7 от 02.03.2026 ({name})", buyer=name)
    assert done_reason(planned) == (
        f"Счёт № 7 от 02.03.2026 ({name}): выставлен в 1С, создан в CRM для {name}"
    )
    planned = en.format(label="Light will be on LLC", buyer="Light will be on LLC")
    assert done_reason(planned) == (
        "Light will be on LLC: issued in 1C, created in the CRM for Light will be on LLC"
    )


@pytest.mark.parametrize("configuration", ["bp30"])
def test_the_journal_command_says_done_operations_as_done(world: World) -> None:
    world.sync(lang="ru")
    with world.service() as svc:
        (run,) = svc.runs(1)
    env = {**os.environ, **world.env(), "DESKTOP_SYNC_LANG": "ru"}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    out = subprocess.run(
        [EXE, "journal", "--run", str(run.id)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
        check=True,
    ).stdout
    done = [line for line in out.splitlines() if "\tвыполнено\t" in line]
    assert len(done) > 10, out[:2000]
    assert [line for line in done if FUTURE_RU.search(line)] == []
    assert any("связан" in line for line in done)
