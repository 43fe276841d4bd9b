"""engine/inbox_words: an inbox item's values in words, each kind of reference (unit
tests; the whole path on real sandboxes is tests/cli/test_inbox_words.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from desktop_sync.engine.inbox_words import GUID, shown
from desktop_sync.engine.plan_base import COUNTERPARTY, PRODUCT
from desktop_sync.i18n import language, set_language

CP = "ce314be0-7e87-5183-94c3-d1d66e7e6064"
OTHER = "79b0bf72-8ce3-5f30-af7f-5797eb44e767"
GOODS = "f8cd0e23-c791-5b9b-8994-76e6c5cbeac9"
UNKNOWN = "00000000-1111-2222-3333-444444444444"
KNOWN: dict[tuple[str, str], Mapping[str, Any]] = {
    (COUNTERPARTY, CP): {"name": "ПАО «Восток-Снаб»", "inn": "6074957275", "kpp": "607401001"},
    (COUNTERPARTY, OTHER): {"name": "ИП Петров", "inn": "500100732259", "kpp": ""},
    (PRODUCT, GOODS): {"name": "Монтаж оборудования"},
}


def known(entity_type: str, ref: str) -> Mapping[str, Any] | None:
    return KNOWN.get((entity_type, ref))


@dataclass(frozen=True)
class Rec:
    dedup_key: str
    onec_value: Any
    crm_value: Any
    base_value: Any = None


@pytest.fixture(params=["ru", "en"])
def lang(request: pytest.FixtureRequest) -> Iterator[str]:
    was = language()
    set_language(str(request.param))
    yield str(request.param)
    set_language(was)


def _texts(r: Rec) -> str:
    return " | ".join(str(v) for v in (r.onec_value, r.crm_value, r.base_value))


def test_a_counterparty_by_name_with_inn_and_kpp_and_a_missing_side(lang: str) -> None:
    key = f"F2:conflict:invoice:{CP}:counterparty"
    out = shown(Rec(key, CP, "crm:None", CP), known)
    inn, kpp, missing = (
        ("ИНН", "КПП", "нет в CRM") if lang == "ru" else ("INN", "KPP", "not in the CRM")
    )
    assert out.onec_value == f"ПАО «Восток-Снаб» ({inn} 6074957275, {kpp} 607401001)"
    assert out.crm_value == missing
    out = shown(Rec(key, OTHER, "crm:12/7", UNKNOWN), known)
    assert out.onec_value == f"ИП Петров ({inn} 500100732259)"
    assert "12" in out.crm_value and "7" not in out.crm_value.replace("12", "")
    assert not GUID.search(_texts(out)) and "crm:" not in _texts(out)
    out = shown(Rec(key, CP, "crm:contact/3"), known)
    assert "3" in out.crm_value and "contact/" not in out.crm_value


def test_rows_name_their_product_and_only_the_rows_that_differ(lang: str) -> None:
    same = [GOODS, "20", "37737.22", "754744.40", "НДС22"]
    onec = [[GOODS, "1", "19741.20", "19741.20", "НДС0"], same]
    crm = [["crm:55", "6", "3290.20", "19741.20", "НДС0"], same]
    out = shown(Rec(f"F2:conflict:invoice:{CP}:rows", onec, crm, onec), known)
    text = _texts(out)
    assert not GUID.search(text) and "crm:" not in text and "None" not in text
    row = "строка 1: " if lang == "ru" else "row 1: "
    assert out.onec_value.startswith(row + "Монтаж оборудования: 1 × ")
    assert "55" in out.crm_value and "754" not in text  # the second row is the same
    fewer = shown(Rec(f"F2:conflict:invoice:{CP}:rows", onec, [same], None), known)
    assert fewer.onec_value.count(row[:-3]) == 2 and fewer.base_value is None


def test_values_in_words_already_are_left_alone() -> None:
    r = Rec(f"F7:conflict:counterparty:{CP}:name", "Имя из 1С", "Имя из CRM", "ООО «Ромашка»")
    assert shown(r, known) is r
    attention = Rec("F1:no_company:12", None, None)
    assert shown(attention, known) is attention


def test_an_unknown_reference_is_named_by_what_it_is(lang: str) -> None:
    out = shown(Rec(f"F2:conflict:invoice:{CP}:counterparty", UNKNOWN, CP), known)
    assert not GUID.search(str(out.onec_value)) and out.onec_value


def test_a_plan_item_is_said_as_its_inbox_record(lang: str) -> None:
    """The plan review and the Inbox show one conflict in the same words: a plan's
    ``Item`` (``key``) goes through the same function as the journal's record."""
    from desktop_sync.engine.model import Flow, Item, ItemKind

    key = f"F2:conflict:invoice:{CP}:counterparty"
    item = Item(key, ItemKind.CONFLICT, Flow.F2, "invoice", CP, "Счёт № 1", "Контрагент",
                "изменено с обеих сторон", onec_value=CP, crm_value="crm:None",
                base_value=OTHER)  # fmt: skip
    said, record = shown(item, known), shown(Rec(key, CP, "crm:None", OTHER), known)
    assert (said.onec_value, said.crm_value, said.base_value) == (
        record.onec_value, record.crm_value, record.base_value,
    )  # fmt: skip
    assert said.key == key and not GUID.search(_texts(Rec(key, *_values(said))))


def _values(r: Any) -> tuple[Any, Any, Any]:
    return r.onec_value, r.crm_value, r.base_value


@dataclass(frozen=True)
class Party:
    dedup_key: str
    onec_value: Any
    crm_value: Any
    base_value: Any = None
    entity_type: str = COUNTERPARTY


def test_a_counterparty_item_names_each_record_it_lists(lang: str) -> None:
    """Two 1C persons with a contact's ИНН, a contact or CRM companies that fit a 1C
    counterparty: each named, never ``contact/3`` or a GUID; an ИНН stays an ИНН."""
    out = shown(Party("F7:person_inn:contact/3", f"{CP}, {UNKNOWN}", "503766444957"), known)
    assert out.onec_value.startswith("ПАО «Восток-Снаб» (")
    assert out.onec_value.count(", ") >= 2 and not GUID.search(out.onec_value)
    assert out.crm_value == "503766444957"
    out = shown(Party(f"F7:ambiguous:{CP}", None, "contact/3"), known)
    contact = "контакт CRM № 3" if lang == "ru" else "CRM contact 3"
    assert out.crm_value.startswith(contact), out.crm_value
    out = shown(Party(f"F7:ambiguous:{CP}", None, "12/7, 15/3"), known)
    assert "12" in out.crm_value and "15" in out.crm_value and "/" not in out.crm_value
    named = Party("F7:person:contact/3", None, "Иванов Пётр")
    assert shown(named, known) is named


def test_an_item_is_said_in_the_language_of_the_moment(lang: str) -> None:
    """What the journal keeps an item's words were made of (desktop_sync.said): said
    again when the language differs; an item written before (nothing kept) as written."""
    from desktop_sync import said
    from desktop_sync.engine.inbox_words import in_language
    from desktop_sync.engine.records import InboxRecord

    other = "en" if lang == "ru" else "ru"
    set_language(other)
    made = {"lang": other, "field": said.parse("ИНН" if other == "ru" else "INN")}
    set_language(lang)
    rec = InboxRecord(1, None, "attention", "F7", COUNTERPARTY, CP, "ООО «Ромашка»", "x",
                      None, None, None, "m", "a", "F7:x", "open", None)  # fmt: skip
    assert in_language(rec, made).field == ("ИНН" if lang == "ru" else "INN")
    assert in_language(rec, None) is rec
    assert in_language(rec, {**made, "lang": lang}) is rec


def test_a_value_in_our_words_is_said_again_and_a_records_data_is_not(
    lang: str, tmp_path: Path
) -> None:
    """An item's value made of our words around the records' data («Иванов (ИНН 7701…),
    Петров (ИНН 7702…)», plan_persons and plan_counterparties write such) stayed in the
    language of the run that found it; the journal now keeps what it is made of, and the
    door says it again. A record's own data (a name, a stage that reads as one of the
    catalog's plain texts, references) is never said again."""
    from desktop_sync.engine.inbox_words import in_language
    from desktop_sync.engine.records import InboxRecord
    from desktop_sync.i18n import tr
    from desktop_sync.journal import InboxKind, Journal
    from desktop_sync.journal.db import sqlite_url

    other = "en" if lang == "ru" else "ru"
    set_language(other)
    named = tr("{name} (INN {inn})")
    value = f"{named.format(name='Иванов', inn='7701')}, {named.format(name='Петров', inn='7702')}"
    journal = Journal.open(
        sqlite_url(tmp_path / "j.sqlite3"), "3f2b1c9e-0000-4000-8000-0000000000aa"
    )
    try:
        journal.raise_item(
            InboxKind.ATTENTION, "F7:person_inn:x", message="m", onec_value=value,
            crm_value=tr("Phone"), base_value=f"{CP}, {OTHER}",
        )  # fmt: skip
        (item,) = journal.inbox()
    finally:
        journal.close()
    set_language(lang)
    shown_now = in_language(InboxRecord.of(item), item.said)
    inn = "ИНН" if lang == "ru" else "INN"
    assert shown_now.onec_value == f"Иванов ({inn} 7701), Петров ({inn} 7702)"
    assert shown_now.crm_value == item.crm_value  # the record's own data, as it is
    assert shown_now.base_value == f"{CP}, {OTHER}"
