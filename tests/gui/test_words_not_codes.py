"""No codes in what a person sees: units by name, VAT as «22 %», «товар»/«услуга»
(issue 19, item 6)."""

from __future__ import annotations

import re
from pathlib import Path

from desktop_sync.i18n import language, set_language
from tests.gui.sandbox_env import loaded_window, sandbox_env

CODES = re.compile(r"^(\d{3}|НДС\d+(_\d+)?|БезНДС|goods|service)$")


def test_product_table_shows_words_not_codes(qtbot, tmp_path: Path) -> None:
    before = language()
    set_language("ru")
    try:
        with sandbox_env(tmp_path / "home") as env, loaded_window(qtbot, env) as c:
            model = c.window.models["products"]
            assert model.rowCount() > 0
            cells = [
                str(model.data(model.index(r, col)))
                for r in range(model.rowCount())
                for col in range(model.columnCount())
            ]
            raw = sorted({cell for cell in cells if CODES.match(cell)})
            assert raw == [], f"codes shown to a person: {raw}"
            assert any(cell == "шт" for cell in cells)
            assert any(re.fullmatch(r"\d+\u00a0%", cell) for cell in cells)
            assert any(cell in ("товар", "услуга") for cell in cells)
    finally:
        set_language(before)
