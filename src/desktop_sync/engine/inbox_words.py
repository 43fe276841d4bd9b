"""An inbox item's values as the person reads them, made when they are shown.

The journal keeps what the sync compares: a conflict about an invoice's counterparty
holds the 1C counterparty's reference (a GUID) on each side, and ``crm:None`` when the
CRM invoice names no company; its rows hold each product's 1C reference. A decision
is checked against exactly those values, so they stay as they are. What the CLI's
``inbox`` and the window's Inbox show is made here, by the door, in the language of
the moment: a counterparty by its name with ИНН/КПП, a product by its name (both from
the journal's link of that record), a missing CRM side «нет в CRM», rows one by one
(only the rows that differ, when the sides have as many), dates and sums as the
window writes them. A reference the journal does not know is named by what it is,
never shown as a GUID. A counterparty's attention item that lists the records it is
about (two 1C persons with a contact's ИНН, a contact or CRM companies that fit a 1C
counterparty) names each of them the same way.

The plan review shows the plan's items with the same words (``JournalDoor.in_words``):
an inbox record's ``dedup_key`` and a plan item's ``key`` are the same text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from desktop_sync import said
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.decisions import conflict_field
from desktop_sync.engine.plan_base import COUNTERPARTY, PRODUCT
from desktop_sync.i18n import day_label, language, money_label, tr

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
CRM_PREFIX = "crm:"
# a counterparty's reference as the plan keeps it: a 1C GUID, a CRM contact
# (``contact/3``) or a CRM company's requisite (``12/7``)
REFERENCE = re.compile(GUID.pattern[1:-1].join(("^(", r"|contact/\d+|\d+/\d+)$")))

# (entity type, 1C ref) -> that record's last synchronized 1C values, None if not linked
Known = Callable[[str, str], Mapping[str, Any] | None]

R = TypeVar("R")


def _field(dedup_key: str) -> str:
    """The field an item is about: its key's last part for a conflict or a change
    desktop-sync does not write (``F2:conflict:invoice:<ref>:counterparty``)."""
    named = conflict_field(dedup_key)
    if named is not None:
        return named
    if ":unwritable:" in dedup_key:
        return dedup_key.rsplit(":", 1)[-1]
    return ""


def shown(record: R, known: Known) -> R:
    """``record`` (an inbox record, or a plan's item: its ``dedup_key`` or ``key``,
    ``entity_type``, ``onec_value``, ``crm_value``, ``base_value``) with its three
    values in words; the record itself when they are words already."""
    r: Any = record
    key = str(getattr(r, "dedup_key", None) or getattr(r, "key", ""))
    field = _field(key)
    values = (r.onec_value, r.crm_value, r.base_value)
    if getattr(r, "entity_type", "") == COUNTERPARTY and not field:
        texts = tuple(_parties(v, known) for v in values)
    elif not any(_needs_words(field, v) for v in values):
        return record
    elif field == "rows" and all(isinstance(v, list | None) for v in values):
        texts = _rows_texts(values, known)
    else:
        texts = tuple(value_words(field, v, known) for v in values)
    if texts == values:
        return record
    return replace(r, onec_value=texts[0], crm_value=texts[1], base_value=texts[2])  # type: ignore[no-any-return]


def in_language(record: R, made_of: Mapping[str, Any] | None) -> R:
    """``record`` with its message, action, field and record (and a value with our
    words in it, «Иванов (ИНН …)») said in the language of the moment, from what the
    journal keeps they were made of (``desktop_sync.said``); as written when it keeps
    nothing (an item written before, a system's own words, a record's own data)."""
    if not made_of or made_of.get("lang") == language():
        return record
    texts = {k: said.say(v) for k, v in made_of.items() if k != "lang"}
    r: Any = record
    return replace(r, **texts) if texts else record


def _parties(value: Any, known: Known) -> Any:
    """A counterparty item's value that lists references («ref1, ref2», ``contact/3``,
    ``12/7, 15/3``): each named; any other value (an ИНН, a name) as it is."""
    if not isinstance(value, str) or not value:
        return value
    parts = value.split(", ")
    if not all(REFERENCE.match(p) for p in parts):
        return value_words("", value, known) if _needs_words("", value) else value
    return ", ".join(party(p if GUID.match(p) else CRM_PREFIX + p, known) for p in parts)


def _needs_words(field: str, value: Any) -> bool:
    if value is None:
        return False
    if field in ("counterparty", "rows", "date", "total"):
        return True
    if isinstance(value, str):
        return bool(GUID.match(value)) or value.startswith(CRM_PREFIX)
    if isinstance(value, list | tuple):
        return any(_needs_words("", v) for v in value)
    return False


def value_words(field: str, value: Any, known: Known) -> Any:
    """One value in words; a value that needs none comes back as it is (a Decimal, a
    name), for the front to write as it writes such values."""
    if value is None:
        return None
    if field == "counterparty" and isinstance(value, str):
        return party(value, known)
    if field == "rows" and isinstance(value, list):
        return "; ".join(row_words(row, known) for row in value) or "—"
    if field == "date" and isinstance(value, str):
        return _day(value)
    if field == "total" and isinstance(value, str):
        return _money(value)
    if isinstance(value, str):
        if value.startswith(CRM_PREFIX):
            return crm_side(value[len(CRM_PREFIX) :], COUNTERPARTY)
        if GUID.match(value):
            return party(value, known) if known(COUNTERPARTY, value) else product(value, known)
        return nz.display(field, value)
    if isinstance(value, list | tuple):
        return "; ".join(str(value_words("", v, known)) for v in value)
    return value


def party(ref: str, known: Known) -> str:
    """A counterparty: «ООО «Ромашка» (ИНН 7707083893, КПП 770701001)»."""
    if ref.startswith(CRM_PREFIX):
        return crm_side(ref[len(CRM_PREFIX) :], COUNTERPARTY)
    if not ref:
        return tr("none")
    values = known(COUNTERPARTY, ref)
    if values is None:
        return tr("a 1C counterparty not linked to the CRM")
    name = str(values.get("name") or "") or tr("counterparty without a name")
    inn, kpp = str(values.get("inn") or ""), str(values.get("kpp") or "")
    if inn and kpp:
        return tr("{name} (INN {inn}, KPP {kpp})").format(name=name, inn=inn, kpp=kpp)
    if inn:
        return tr("{name} (INN {inn})").format(name=name, inn=inn)
    return name


def product(ref: str, known: Known) -> str:
    if ref.startswith(CRM_PREFIX):
        return crm_side(ref[len(CRM_PREFIX) :], PRODUCT)
    values = known(PRODUCT, ref) if ref else None
    if values is None:
        return tr("a 1C product not linked to the CRM")
    return str(values.get("name") or "") or tr("product without a name")


def crm_side(key: str, entity_type: str) -> str:
    """What a CRM invoice names that has no 1C record linked: nothing (``None``), a
    company's requisite (``12/7``), a contact (``contact/3``), a product (``55``)."""
    if key in ("", "None"):
        return tr("not in the CRM")
    if key.startswith("contact/"):
        return tr("CRM contact {id}, not linked to 1C").format(id=key.split("/", 1)[1])
    if entity_type == PRODUCT:
        return tr("CRM product {id}, not linked to 1C").format(id=key)
    return tr("CRM company {id}, not linked to 1C").format(id=key.split("/", 1)[0])


def row_words(row: Any, known: Known) -> str:
    """One invoice row (``normalize.line_values``): «Кофе: 6 × 3 290,20 ₽ = 19 741,20 ₽,
    НДС 0 %»."""
    if not isinstance(row, Sequence) or isinstance(row, str) or len(row) < 5:
        return str(value_words("", row, known))
    ref, qty, price, total, vat = row[:5]
    return tr("{product}: {qty} × {price} = {total}, VAT {vat}").format(
        product=product(str(ref or ""), known),
        qty=str(qty) if language() == "en" else str(qty).replace(".", ","),
        price=_money(str(price)),
        total=_money(str(total)),
        vat=nz.display("vat", vat),
    )


def _rows_texts(values: tuple[Any, Any, Any], known: Known) -> tuple[Any, Any, Any]:
    """Rows of each side: only those that differ when the sides have as many rows
    («строка 1: …»), all of them otherwise."""
    lists = [v for v in values if v is not None]
    same_length = len({len(v) for v in lists}) == 1
    keep = list(range(max((len(v) for v in lists), default=0)))
    if same_length:
        keep = [i for i in keep if len({repr(v[i]) for v in lists}) > 1] or keep
    out: list[Any] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        parts = [
            tr("row {n}: {row}").format(n=i + 1, row=row_words(v[i], known))
            for i in keep
            if i < len(v)
        ]
        out.append("; ".join(parts) if parts else tr("no rows"))
    return out[0], out[1], out[2]


def _day(text: str) -> str:
    try:
        return day_label(dt.date.fromisoformat(text[:10]))
    except ValueError:
        return text


def _money(text: str) -> str:
    try:
        return money_label(Decimal(text))
    except (InvalidOperation, ValueError):
        return text
