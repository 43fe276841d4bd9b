"""desktop_sync.said: a text made from the catalog is said again in the other language
(an inbox item written by a run in Russian, shown in English, and back)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest

from desktop_sync import said
from desktop_sync.i18n import PLURAL_SEPARATOR, catalog, language, set_language

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture
def keep_language() -> Iterator[None]:
    was = language()
    yield
    set_language(was)


def _entries() -> Iterator[tuple[str, str, dict[str, str]]]:
    """Each catalog text with arguments, filled with names no catalog entry holds."""
    for source, russian in catalog("ru").items():
        if PLURAL_SEPARATOR in russian or not PLACEHOLDER.search(source):
            continue
        if re.search(r"\{[^}]*[^\w}][^}]*\}", source):  # {name!r}: click's, never an item's
            continue
        names = dict.fromkeys(PLACEHOLDER.findall(source))
        yield source, russian, {k: f"Ромашка-{i}" for i, k in enumerate(names)}


@pytest.mark.parametrize(("written", "shown"), [("ru", "en"), ("en", "ru")])
def test_catalog_texts_are_said_again_in_the_other_language(
    keep_language: None, written: str, shown: str
) -> None:
    missed = []
    total = 0
    for source, russian, args in _entries():
        total += 1
        text = (russian if written == "ru" else source).format(**args)
        set_language(written)
        made = said.parse(text)
        set_language(shown)
        want = (source if shown == "en" else russian).format(**args)
        if made is None or said.say(made) != want:
            missed.append(source)
    # a few have no words of their own to be found by («{system}: {reason}», «{rate}%»)
    assert len(missed) <= 6 and total > 300, missed


def test_arguments_are_said_again_too(keep_language: None) -> None:
    set_language("ru")
    made = said.parse("Счёт № СЧ-0010 от 07.03.2026")
    assert made is not None
    set_language("en")
    assert said.say(made) == "Invoice No. СЧ-0010 of 2026-03-07"
    set_language("ru")
    amount = said.parse("7\u00a0353,68\u00a0₽")
    assert amount == {"money": str(Decimal("7353.68"))}
    set_language("en")
    assert said.say(amount) == "7,353.68\u00a0₽"


def test_a_text_no_catalog_entry_makes_is_not_parsed(keep_language: None) -> None:
    set_language("ru")
    assert said.parse("1С ответила: ошибка записи документа") is None
    assert said.say("как есть") == "как есть"


def test_reasons_joined_by_a_semicolon_are_each_said_again(keep_language: None) -> None:
    """A product's link reason and its packages' note, joined by «; »: each said again,
    never taken whole for the catalog's «{name}: {key} = {value}»."""
    set_language("ru")
    text = (
        "Бумага офисная А4: найден в каталоге CRM (по отметке обмена каталогом с 1С); "
        "будет связан; упаковки «Коробка (10 шт)» = 10 базовых единиц остаются в 1С: товар "
        "в CRM хранит базовую единицу, счета CRM считаются в базовых единицах"
    )
    set_language("en")
    assert said.again(text, "ru") == (
        "Бумага офисная А4: found in the CRM catalog (by the mark of 1C's catalog exchange); "
        "will be linked; packages «Коробка (10 шт)» = 10 base units stay in 1C: the CRM "
        "product keeps the base unit, CRM invoices count base units"
    )
    assert said.again(text, "") == text  # a run written before its language was kept
    # a system's own answer stays in its words, in our sentence said again
    assert said.again("1С: ошибка; повторите", "ru") == "1C: ошибка; повторите"
    assert said.again("ошибка; повторите", "ru") == "ошибка; повторите"
