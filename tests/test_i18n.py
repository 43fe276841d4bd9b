"""Every string passed to tr() has a Russian translation; the catalogs parse."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from desktop_sync.i18n import (
    PLURAL_SEPARATOR,
    catalog,
    day_label,
    dotted_day,
    ntr,
    parse_po,
    resources_dir,
    set_language,
    time_label,
    tr,
)

SRC = Path(__file__).resolve().parents[1] / "src" / "desktop_sync"


def _tr_literals(names: tuple[str, ...] = ("tr", "N_", "ntr")) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in names
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found[node.args[0].value] = f"{path.relative_to(SRC)}:{node.lineno}"
    return found


def test_every_translatable_string_has_russian() -> None:
    ru = catalog("ru")
    missing = {text: where for text, where in _tr_literals().items() if text not in ru}
    assert missing == {}, "add these to resources/locale/ru/desktop_sync.po"


def test_translations_keep_placeholders() -> None:
    import re

    ru = catalog("ru")
    for source, target in ru.items():
        for form in target.split(PLURAL_SEPARATOR):
            assert set(re.findall(r"\{\w+\}", source)) == set(re.findall(r"\{\w+\}", form)), source


def test_plural_strings_have_three_russian_forms() -> None:
    ru = catalog("ru")
    for text, where in _tr_literals(("ntr",)).items():
        forms = ru.get(text, "").split(PLURAL_SEPARATOR)
        assert len(forms) == 3 and all(forms), f"{where}: «{text}» needs msgstr[0..2]"


def test_plural_forms_follow_each_language() -> None:
    po = (
        'msgid "{n} item waits"\nmsgid_plural "{n} items wait"\n'
        'msgstr[0] "{n} пункт ждёт"\nmsgstr[1] "{n} пункта ждут"\nmsgstr[2] "{n} пунктов ждут"\n'
    )
    assert parse_po(po)["{n} item waits"].split(PLURAL_SEPARATOR)[2] == "{n} пунктов ждут"
    try:
        set_language("ru")
        said = {
            n: ntr("{n} item waits for you", "{n} items wait for you", n) for n in (1, 3, 5, 21)
        }
        assert said[1].startswith("{n} пункт ") and said[21].startswith("{n} пункт ")
        assert "пункта" in said[3] and "пунктов" in said[5]
        set_language("en")
        assert ntr("{n} item waits for you", "{n} items wait for you", 1) == (
            "{n} item waits for you"
        )
        assert ntr("{n} item waits for you", "{n} items wait for you", 2).startswith("{n} items")
    finally:
        set_language("en")


def test_po_parser_handles_continuations_and_quotes() -> None:
    text = 'msgid ""\n"Hello «"\n"world»"\nmsgstr "Привет, \\"мир\\""\n'
    assert parse_po(text) == {"Hello «world»": 'Привет, "мир"'}


def test_switching_language() -> None:
    assert (resources_dir() / "locale" / "ru" / "desktop_sync.po").is_file()
    try:
        set_language("ru")
        assert tr("cancelled") == "отменено"
        set_language("en")
        assert tr("cancelled") == "cancelled"
    finally:
        set_language("en")


def test_russian_is_the_default_unless_the_system_speaks_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from desktop_sync import i18n

    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE", "DESKTOP_SYNC_LANG"):
        monkeypatch.delenv(var, raising=False)
    cases = {
        "C.UTF-8": "ru",
        "POSIX": "ru",
        "ru_RU.UTF-8": "ru",
        "en_GB.UTF-8": "en",
        "de_DE.UTF-8": "ru",
    }
    try:
        for value, expected in cases.items():
            monkeypatch.setenv("LANG", value)
            i18n._current.clear()
            assert i18n.language() == expected, value
    finally:
        i18n._current.clear()
        set_language("en")


def test_dates_as_the_language_writes_them() -> None:
    """One helper for every front (the window's tables, the plan's labels, the lookup card,
    `status`, the lock's holder): ISO in English, dd.mm.yyyy in Russian; what is written
    into 1C or the CRM is dd.mm.yyyy whatever the language."""
    from desktop_sync.engine.plan_base import day_text, label_day
    from desktop_sync.gui import fmt

    day, moment = dt.date(2026, 3, 4), dt.datetime(2026, 3, 4, 9, 5)
    assert (day_label(day), time_label(moment)) == ("2026-03-04", "2026-03-04 09:05")
    assert fmt.date(day) == "2026-03-04" and fmt.date(moment) == "2026-03-04 09:05"
    try:
        set_language("ru")
        assert (day_label(day), time_label(moment)) == ("04.03.2026", "04.03.2026 09:05")
        assert fmt.date(day) == "04.03.2026" and fmt.date(moment) == "04.03.2026 09:05"
        assert label_day is day_label  # the plan's labels: the same one
    finally:
        set_language("en")
    assert day_text is dotted_day and dotted_day(day) == "04.03.2026"
    assert dotted_day(dt.date(999, 1, 2)) == f"{dt.date(999, 1, 2):%d.%m.%Y}"
    utc = dt.datetime(2026, 3, 4, 9, 5, tzinfo=dt.UTC)  # said in the local time
    assert time_label(utc) == f"{utc.astimezone():%Y-%m-%d %H:%M}"
