"""Entity sets BP 3.0 and UT 11 publish alike (the same names and fields in both)."""

from __future__ import annotations

from desktop_sync.sandbox.onec.schema import (
    EntitySet,
    Field,
    SetKind,
    TabularPart,
    enum,
    int64,
    memo,
    ref,
    text,
)

CURRENCIES = "Catalog_Валюты"
ORGANIZATIONS = "Catalog_Организации"
WAREHOUSES = "Catalog_Склады"

CONTACTS = TabularPart(
    "КонтактнаяИнформация",
    (
        int64("LineNumber"),
        enum("Тип", "ТипыКонтактнойИнформации"),
        text("Представление"),
        text("АдресЭП"),
        text("НомерТелефона"),
        memo("ЗначенияПолей"),
    ),
)


def currencies(name: str) -> EntitySet:
    return EntitySet(name, SetKind.CATALOG, (text("НаименованиеПолное"),), code_length=3)


def banks(name: str) -> EntitySet:
    """Banks by БИК (in Code)."""
    fields = (text("КоррСчет", 20), text("Город"), text("Адрес"), text("Телефоны"))
    return EntitySet(name, SetKind.CATALOG, fields, code_length=9)


def organizations(legal_kind: str, bank_account: str, bank_accounts: str) -> EntitySet:
    """The company's organizations; the configuration names the legal-kind enumeration
    (``legal_kind``, a field of that name too) and the main bank account's field."""
    return EntitySet(
        ORGANIZATIONS,
        SetKind.CATALOG,
        (
            text("НаименованиеПолное"),
            text("НаименованиеСокращенное"),
            text("ИНН", 12),
            text("КПП", 9),
            enum(legal_kind, legal_kind),
            ref(bank_account, bank_accounts),
            text("Префикс"),
        ),
    )


def moves(
    name: str,
    header: tuple[Field, ...],
    rows: tuple[Field, ...],
    rows_required: tuple[tuple[str, str, str], ...],
) -> EntitySet:
    """Перемещение товаров: from one warehouse of the organization to another."""
    return EntitySet(
        name,
        SetKind.DOCUMENT,
        (
            *header,
            ref("Организация", ORGANIZATIONS),
            ref("СкладОтправитель", WAREHOUSES),
            ref("СкладПолучатель", WAREHOUSES),
            memo("Комментарий"),
        ),
        tabular=(TabularPart("Товары", rows),),
        presentation="Перемещение товаров",
        required_for_posting=(
            ("Организация_Key", "Организация"),
            ("СкладОтправитель_Key", "Склад-отправитель"),
            ("СкладПолучатель_Key", "Склад-получатель"),
        ),
        required_in_rows=rows_required,
    )
