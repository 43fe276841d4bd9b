"""Every string passed to tr() has a Russian translation; the catalogs parse."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from desktop_sync.i18n import catalog, parse_po, resources_dir, set_language, tr

SRC = Path(__file__).resolve().parents[1] / "src" / "desktop_sync"


def _tr_literals() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("tr", "N_")
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
        assert set(re.findall(r"\{\w+\}", source)) == set(re.findall(r"\{\w+\}", target)), source


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
