"""No codes in what a person sees: units by name, VAT as «22 %» in Russian and "22%" in
English, «товар»/«услуга» (issue 19, item 6)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from desktop_sync.engine import normalize
from desktop_sync.i18n import language, set_language
from tests.gui.sandbox_env import loaded_window, sandbox_env

CODES = re.compile(r"^(\d{3}|НДС\d+(_\d+)?|БезНДС|goods|service)$")


RATE = {"ru": r"\d+\u00a0%", "en": r"\d+%"}  # «22 %» with a no-break space; "22%"
WORDS = {"ru": ("шт", ("товар", "услуга")), "en": ("pcs", ("goods", "service"))}


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_product_table_shows_words_not_codes(qtbot, tmp_path: Path, lang: str) -> None:
    before = language()
    set_language(lang)
    try:
        with sandbox_env(tmp_path / "home") as env, loaded_window(qtbot, env) as c:
            model = c.window.models["products"]
            assert model.rowCount() > 0
            cells = [
                str(model.data(model.index(r, col)))
                for r in range(model.rowCount())
                for col in range(model.columnCount())
            ]
            codes = CODES if lang == "ru" else re.compile(r"^(\d{3}|НДС\d+(_\d+)?|БезНДС)$")
            raw = sorted({cell for cell in cells if codes.match(cell)})
            assert raw == [], f"codes shown to a person: {raw}"
            unit, kinds = WORDS[lang]
            assert any(cell == unit for cell in cells)
            rates = {cell for cell in cells if "%" in cell}
            assert rates and all(re.fullmatch(RATE[lang], cell) for cell in rates), rates
            assert any(cell in kinds for cell in cells)
    finally:
        set_language(before)


@pytest.mark.parametrize(
    ("lang", "rate", "calculated", "without"),
    [("ru", "22\u00a0%", "22/122\u00a0%", "без НДС"), ("en", "22%", "22/122%", "without VAT")],
)
def test_a_vat_rate_reads_as_the_language_writes_it(
    lang: str, rate: str, calculated: str, without: str
) -> None:
    """English wrote «22 %» (the plan's "VAT rate: — → 22 %", a VAT rounding note's
    "(22 % of 1,000.00 ₽)"): "22%" there, «22 %» in Russian."""
    before = language()
    set_language(lang)
    try:
        assert normalize.display("vat", "НДС22") == rate
        assert normalize.display("vat", "НДС22_122") == calculated
        assert normalize.display("vat", "БезНДС") == without
    finally:
        set_language(before)
