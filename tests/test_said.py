"""desktop_sync.said: a text made from the catalog is said again in the other language
(an inbox item written by a run in Russian, shown in English, and back)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest

from desktop_sync import said
from desktop_sync.crm.types import CrmCompany
from desktop_sync.domain.entities import Counterparty, CounterpartyKind
from desktop_sync.engine import normalize as nz
from desktop_sync.engine import plan_persons
from desktop_sync.engine.model import System
from desktop_sync.engine.outage import Outage
from desktop_sync.i18n import PLURAL_SEPARATOR, catalog, language, money_label, set_language, tr

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
        # a VAT rate is a number («{rate}%»: no words of its own but its «%»)
        yield source, russian, {k: "20" if source == said.RATE else f"Ромашка-{i}"
                                for i, k in enumerate(names)}  # fmt: skip


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
        if (text if made is None else said.say(made)) != want:
            missed.append(source)
    # the few with no words of their own («{system}: {reason}», «{action} {where}») are
    # written the same in both languages: said as written, they are right
    assert missed == [] and total > 300, missed


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


def _contact(contact_id: int, name: str, inn: str = "") -> CrmCompany:
    person = Counterparty(name=name, inn=inn, kind=CounterpartyKind.PERSON, crm_id=contact_id)
    return CrmCompany(person, None, None, False, None, dt.datetime(2026, 12, 7), "contact")


def _composite() -> list[str]:
    """Texts whose arguments are lists of catalog texts, made as the plan and the
    writers make them, in the current language."""
    twins = [
        _contact(2, "Иванов Дмитрий Сергеевич", "503766444957"),
        _contact(3, "Иванов, Дмитрий", "503766444957"),  # a comma in a name
        _contact(4, "Петров"),
    ]
    contacts = ", ".join(map(plan_persons.person_label, twins))
    return [
        tr(plan_persons._SHARED).format(inn="503766444957", contacts=contacts),
        tr(
            "several CRM contacts have this INN: {contacts}; one person is not made two "
            "1C counterparties"
        ).format(contacts=contacts),
        tr(plan_persons._TWO).format(inn="503766444957", contact=contacts),
        tr("desktop-sync does not write {fields} to {system}").format(
            fields=", ".join(nz.label(f) for f in ("inn", "kpp", "name")), system="CRM"
        ),
        tr("desktop-sync cannot change {fields} of a CRM product").format(
            fields=", ".join(nz.label(f) for f in ("price", "vat", "UF_CRM_OWN"))  # one not ours
        ),
        tr("{name}: changed in 1C ({fields}); the CRM will be updated").format(
            name="Кофе", fields=", ".join(nz.label(f) for f in ("name", "vat", "unit"))
        ),
        Outage.message({System.ONEC, System.CRM}),
        tr(
            "row {n}: VAT {vat} instead of {formula} ({rate} of {amount}) so that the row's "
            "total is the CRM's {total} (the CRM rounds the price with VAT per unit)"
        ).format(
            n=2,
            vat=money_label(Decimal("1.67")),
            formula="10 × 1,00",
            rate=nz.display("vat", "НДС20"),
            amount=money_label(Decimal("8.33")),
            total=money_label(Decimal("10")),
        ),
    ]


@pytest.mark.parametrize(("written", "shown"), [("ru", "en"), ("en", "ru")])
def test_lists_of_catalog_texts_inside_an_argument_are_said_again(
    keep_language: None, written: str, shown: str
) -> None:
    """«… у нескольких контактов CRM: Иванов (контакт 2, ИНН …), Иванов (contact 3,
    INN …)» was half said again: a list joined inside one argument. Each listed text is
    said again now, and a name (a comma in it, or not a catalog text) as written."""
    set_language(written)
    texts = _composite()
    set_language(shown)
    want = _composite()
    got = [said.again(text, written) for text in texts]
    assert got == want
    assert all(said.again(text, shown) == text for text in want)  # and back


def test_a_name_with_commas_is_not_taken_for_a_list(keep_language: None) -> None:
    """A record's name with «, » in it, one of its parts a catalog text: a name still."""
    set_language("ru")
    name = f"Ромашка, {nz.label('name')}"  # «Ромашка, Наименование»
    text = tr("{name}: changed in 1C ({fields}); the CRM will be updated").format(
        name=name, fields=nz.label("name")
    )
    set_language("en")
    assert said.again(text, "ru") == f"{name}: changed in 1C (Name); the CRM will be updated"


@pytest.mark.parametrize(("written", "shown"), [("ru", "en"), ("en", "ru")])
def test_the_system_names_are_said_again(keep_language: None, written: str, shown: str) -> None:
    """«1С» was passed into the sentences as it is, so an English run wrote «changed in 1С»
    and a Russian run's item stayed «1С» in English; now the names are the catalog's, and
    the connectors' errors name their system in the language of the moment."""
    from desktop_sync.connectors.bitrix24.errors import Bitrix24Error
    from desktop_sync.connectors.onec.errors import OnecError
    from desktop_sync.engine.facade import ConnectError

    set_language(written)
    one_c, bitrix = ("1С", "Битрикс24") if written == "ru" else ("1C", "Bitrix24")
    assert str(ConnectError.of(Bitrix24Error("Ромашка"))) == f"{bitrix}: Ромашка"
    texts = [
        tr("changed in {source}, but desktop-sync does not write «{field}» to {system}").format(
            source=tr("1C"), field=tr("Phone"), system="CRM"
        ),
        tr("{system} refused: {reason}").format(system=tr("1C"), reason="Ромашка"),
        str(ConnectError.of(OnecError("Ромашка"))),
    ]
    assert all(one_c in t for t in texts), texts
    made = [said.parse(t) for t in texts]
    set_language(shown)
    again = [said.say(m) for m in made]
    one_c = "1С" if shown == "ru" else "1C"
    assert all(one_c in t for t in again), again
    if shown == "en":
        assert not [t for t in again if re.search("[А-Яа-яЁё]", t.replace("Ромашка", ""))]


@pytest.mark.parametrize(("written", "shown"), [("ru", "en"), ("en", "ru")])
def test_a_run_stopped_by_a_system_is_said_again(
    keep_language: None, written: str, shown: str
) -> None:
    """A run's message when a system failed it («Битрикс24: Битрикс24 не ответил вовремя
    …») was «{system}: {reason}», a text with no words of its own around its arguments:
    it was shown in the language of the run. Each system now has a sentence of its own."""
    from desktop_sync.connectors.bitrix24.errors import Bitrix24Error
    from desktop_sync.connectors.onec.errors import OnecError
    from desktop_sync.engine.facade import ConnectError

    def messages() -> list[str]:
        late = tr("Bitrix24 did not answer {method} ({what}) in time.")
        refused = tr("1C did not accept the user name or password")
        return [
            str(ConnectError.of(Bitrix24Error(late.format(method="batch", what=tr("invoices"))))),
            str(ConnectError.of(OnecError(refused))),
        ]

    set_language(written)
    texts = messages()
    set_language(shown)
    assert [said.again(text, written) for text in texts] == messages()
