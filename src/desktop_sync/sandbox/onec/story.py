"""What both 1C configurations seed alike from the shared story: times, numbers, prices.

BP 3.0 (``seed.py``) and UT 11 (``ut11_seed.py``) tell the same business in their own
documents; the dates, numbers and prices those documents carry are chosen here once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from desktop_sync.domain.entities import Counterparty, Payment, PaymentKind, Unit
from desktop_sync.sandbox.dataset import (
    ORGANIZATION_INN,
    ORGANIZATION_KPP,
    ORGANIZATION_NAME,
    Dataset,
    ref,
)
from desktop_sync.sandbox.onec import shared_sets
from desktop_sync.sandbox.onec.schema import ZERO_GUID, EntitySet
from desktop_sync.sandbox.onec.store import Record, Store, User

PREFIX = "СВ00-"
CLOSED_UNTIL = dt.date(2025, 11, 30)  # дата запрета изменения данных
USER = "Бухгалтер"  # full rights
PASSWORD = "Пароль-2026"
LIMITED_USER = "Менеджер"  # partial rights and record-level security
LIMITED_PASSWORD = "менеджер"
CURRENCY_REF = ref("currency", "643")
BANK_ACCOUNT_REF = ref("bank_account", "organization")
BANK_REF = ref("bank", "044525225")
BANK_BIC = "044525225"
BANK_NAME = "ПАО СБЕРБАНК"
BANK_CORRESPONDENT_ACCOUNT = "30101810400000000225"
ACCOUNT_NUMBER = "40702810900000012345"
CENT = Decimal("0.01")

# (tag, date, price type, rows of (product, price)) of one price-setting document
PriceSetting = tuple[str, dt.datetime, str, list[tuple[str, Decimal]]]


def manager(read: set[str], write: set[str], rls: dict[str, Callable[[Record], bool]]) -> User:
    """The manager's partial rights: the sets it may ``read`` and ``write``, and the
    records it sees (record-level security ``rls``)."""
    return User(LIMITED_PASSWORD, read=read, write=write, rls=rls)


def open_base(store: Store, install: Callable[[Store], None], limited: User) -> None:
    """A new base of the company: its numbering, closed period, posting rules (``install``),
    the accountant with full rights, the ``limited`` manager and the rouble."""
    store.number_prefix = PREFIX
    store.closed_until = CLOSED_UNTIL
    install(store)
    store.users[USER] = User(PASSWORD)
    store.users[LIMITED_USER] = limited
    store.insert(shared_sets.CURRENCIES, rouble())


_BY_BANK = (PaymentKind.BANK, PaymentKind.BANK_REFUND, PaymentKind.CARD)


@dataclass(frozen=True, slots=True)
class PaymentFields:
    """What a configuration's cash documents call the operation, the currency and the
    organization's bank account."""

    operation: str
    currency: str
    bank_account: str


def seed_payments(
    store: Store,
    ds: Dataset,
    document: Callable[[Payment], tuple[str, str, Record]],
    fields: PaymentFields,
) -> None:
    """Every payment of the story as a cash document of the configuration: ``document``
    gives its set, its operation and its own fields. The key, number, time (apart by
    the second), organization, counterparty, currency, sum, deletion mark and posting
    are the story's; so are the purpose and, by bank or card, the organization's
    account, or in cash the payer's or the payee's name."""
    names = {c.onec_ref: c.name for c in ds.counterparties}
    for i, p in enumerate(ds.payments):
        set_name, operation, own = document(p)
        own |= {fields.operation: operation, fields.currency: CURRENCY_REF}
        if p.kind in _BY_BANK:
            own |= {fields.bank_account: BANK_ACCOUNT_REF, "НазначениеПлатежа": p.purpose}
        else:
            who = "ПринятоОт" if p.kind is PaymentKind.CASH else "Выдать"
            own |= {"Основание": p.purpose, who: names.get(p.counterparty_ref, "")}
        head: Record = {
            "Ref_Key": p.onec_ref,
            "Number": number(p.number),
            "Date": at(p.date, 11, i % 3600),
            "Организация_Key": ds.organization_ref,
            "Контрагент_Key": p.counterparty_ref or ZERO_GUID,
            "СуммаДокумента": p.amount,
            "DeletionMark": p.deleted,
        }
        rec = store.insert(set_name, head | own)
        rec["Posted"] = p.posted and not p.deleted


def unit(u: Unit) -> Record:
    """A unit of measure by its ОКЕИ code (in Code)."""
    return {
        "Ref_Key": u.onec_ref or ref("unit", u.okei),
        "Code": u.okei,
        "Description": u.name,
        "НаименованиеПолное": u.name,
    }


def seed_prices(
    store: Store,
    ds: Dataset,
    priced: list[tuple[str, Decimal]],
    documents: str,
    post: Callable[[Store, EntitySet, Record], object],
    own: Callable[[str, list[tuple[str, Decimal]]], Record],
) -> None:
    """The price-setting documents of ``price_settings``, posted before the story
    begins: ``own`` gives a document's fields in the configuration's terms (for its
    price type and rows), ``post`` the configuration's posting of prices."""
    docs = store.schema.sets[documents]
    for k, (tag, when, price_type, rows) in enumerate(price_settings(ds, priced), start=1):
        head: Record = {
            "Ref_Key": ref("price_setting", tag),
            "Number": number(str(k)),
            "Date": when,
        }
        rec = store.insert(documents, head | own(price_type, rows))
        # Posted before the closed period ended: the rule runs without the period check.
        post(store, docs, rec)
        rec["Posted"] = True


def at(day: dt.date, hour: int, second: int = 0) -> dt.datetime:
    """``day`` at ``hour``, ``second`` seconds past (apart documents of one day)."""
    return dt.datetime.combine(day, dt.time(hour, second // 60 % 60, second % 60))


def number(text: str) -> str:
    """The 1C number of a story number: the base's prefix and six digits."""
    digits = "".join(ch for ch in text if ch.isdigit()) or "0"
    return f"{PREFIX}{int(digits):06d}"


def unit_cost(price: Decimal) -> Decimal:
    """What a unit cost the company: the sandbox's cost of goods sold."""
    return (price * Decimal("0.6")).quantize(CENT)


def price_settings(ds: Dataset, priced: list[tuple[str, Decimal]]) -> list[PriceSetting]:
    """Prices as 1C users set them: by price-setting documents before the story begins.
    The base price type carries the story's price, the others a tenth lower; an older
    base price (a fifth lower, 200 days before) shows SliceLast at work."""
    start = at(ds.today - dt.timedelta(days=150), 0)
    settings: list[PriceSetting] = []
    for pt in ds.price_types:
        if pt.base:
            older = [(p, (price * Decimal("0.8")).quantize(CENT)) for p, price in priced]
            before = start - dt.timedelta(days=200)
            settings.append((f"older-{pt.onec_ref}", before, str(pt.onec_ref), older))
    for n, pt in enumerate(ds.price_types):
        rows = [
            (p, price if pt.base else (price * Decimal("0.9")).quantize(CENT))
            for p, price in priced
        ]
        settings.append((str(pt.onec_ref), start + dt.timedelta(seconds=n), str(pt.onec_ref), rows))
    return settings


def contact_rows(cp: Counterparty) -> list[dict[str, object]]:
    """The counterparty's phone and e-mail as rows of КонтактнаяИнформация."""
    rows: list[dict[str, object]] = []
    if cp.phone:
        rows.append(
            {
                "LineNumber": 1,
                "Тип": "Телефон",
                "Представление": cp.phone,
                "НомерТелефона": cp.phone,
            }
        )
    if cp.email:
        rows.append(
            {
                "LineNumber": len(rows) + 1,
                "Тип": "АдресЭлектроннойПочты",
                "Представление": cp.email,
                "АдресЭП": cp.email,
            }
        )
    return rows


@dataclass(frozen=True, slots=True)
class KeptCounterparty:
    """A story's counterparty kept in 1C, with what both configurations say of it
    beyond the story: its head office and whether it is marked for deletion."""

    cp: Counterparty
    head: str | None  # the head office's Ref_Key: a branch's (same ИНН, КПП …01001) or its own
    deleted: bool

    @property
    def branch(self) -> bool:
        return bool(self.head and self.head != self.cp.onec_ref)

    @property
    def head_key(self) -> str:
        """``ГоловнойКонтрагент_Key``: a branch's head office, the empty reference otherwise."""
        return self.head if self.head and self.branch else ZERO_GUID


def kept_counterparties(ds: Dataset) -> list[KeptCounterparty]:
    """The story's counterparties 1C keeps, in order. A few are marked for deletion:
    only ones the CRM does not know."""
    heads = {(c.inn, c.kpp): c.onec_ref for c in ds.counterparties if c.kpp.endswith("01001")}
    kept = [cp for cp in ds.counterparties if cp.onec_ref in ds.counterparties_in_onec]
    return [
        KeptCounterparty(
            cp,
            heads.get((cp.inn, cp.kpp.replace("02002", "01001"))) if cp.kpp else None,
            n % 7 == 5 and cp.onec_ref not in ds.counterparties_in_crm,
        )
        for n, cp in enumerate(kept, start=1)
    ]


def rouble() -> dict[str, object]:
    return {
        "Ref_Key": CURRENCY_REF,
        "Code": "643",
        "Description": "руб.",
        "НаименованиеПолное": "Российский рубль",
    }


def bank() -> dict[str, object]:
    """The organization's bank (its БИК in Code)."""
    return {
        "Ref_Key": BANK_REF,
        "Code": BANK_BIC,
        "Description": BANK_NAME,
        "КоррСчет": BANK_CORRESPONDENT_ACCOUNT,
        "Город": "г. Москва",
        "Адрес": "117312, г. Москва, ул. Вавилова, д. 19",
        "Телефоны": "",
    }


def bank_account() -> dict[str, object]:
    """The organization's settlement account at that bank (its owner named by the caller)."""
    return {
        "Ref_Key": BANK_ACCOUNT_REF,
        "Description": f"{ACCOUNT_NUMBER}, {BANK_NAME}",
        "НомерСчета": ACCOUNT_NUMBER,
        "Банк_Key": BANK_REF,
        "ВалютаДенежныхСредств_Key": CURRENCY_REF,
    }


def organization(ds: Dataset) -> dict[str, object]:
    """ООО «Северный ветер»: names and codes (the kind of person named by the caller)."""
    return {
        "Ref_Key": ds.organization_ref,
        "Description": ORGANIZATION_NAME,
        "НаименованиеПолное": "Общество с ограниченной ответственностью «Северный ветер»",
        "НаименованиеСокращенное": ORGANIZATION_NAME,
        "ИНН": ORGANIZATION_INN,
        "КПП": ORGANIZATION_KPP,
        "Префикс": "СВ",
    }
