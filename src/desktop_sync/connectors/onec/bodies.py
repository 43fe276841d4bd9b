"""Write bodies for 1C: every field posting needs, keys, and the checks made before
anything is sent (a bad ИНН, a row without a product, mixed VAT modes).

Over OData 1C fills no form defaults (research/onec.md A7), so the bodies carry
organization, contract, bank account and currency explicitly. Each create carries a
deterministic ``Ref_Key`` (UUID5 of the idempotency key) and the key in
``Комментарий`` (DESIGN.md "Idempotency").
"""

from __future__ import annotations

import uuid
from typing import Any

from desktop_sync.connectors.onec import convert
from desktop_sync.connectors.onec.errors import OnecError
from desktop_sync.domain.entities import (
    Counterparty,
    CounterpartyKind,
    Invoice,
    Product,
    ProductKind,
)
from desktop_sync.domain.requisites import validate_inn, validate_kpp
from desktop_sync.i18n import tr

KEY_NAMESPACE = uuid.UUID("1c0da7a0-5e1d-4c3b-9d6e-0de5c7a11c01")
MARK = "desktop-sync:"


def ref_for_key(key: str) -> str:
    """The deterministic Ref_Key of a create key."""
    return str(uuid.uuid5(KEY_NAMESPACE, key))


def comment_with_key(comment: str, key: str) -> str:
    return f"{comment} [{MARK}{key}]".strip()


def check_requisites(cp: Counterparty, entity: str) -> None:
    """A bad ИНН or КПП is refused before anything is sent, naming the counterparty."""
    if not cp.inn:
        return
    try:
        validate_inn(cp.inn)
        if cp.kpp:
            validate_kpp(cp.kpp)
    except ValueError as exc:
        raise OnecError(
            tr("counterparty «{name}»: {error}").format(name=cp.name, error=exc),
            entity=entity,
            field=getattr(exc, "field", "ИНН"),
        ) from None


def contacts(cp: Counterparty) -> list[dict[str, Any]]:
    """The phone and e-mail rows of ``КонтактнаяИнформация`` (the same in BP and UT)."""
    rows: list[dict[str, Any]] = []
    if cp.phone:
        rows.append(
            {
                "LineNumber": "1",
                "Тип": "Телефон",
                "Представление": cp.phone,
                "НомерТелефона": cp.phone,
            }
        )
    if cp.email:
        rows.append(
            {
                "LineNumber": str(len(rows) + 1),
                "Тип": "АдресЭлектроннойПочты",
                "Представление": cp.email,
                "АдресЭП": cp.email,
            }
        )
    return rows


def catalog_item(key: str, name: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A catalog item we create, in any configuration: the reference made of our key,
    its name, its ``fields``, and our key in its comment."""
    return {
        "Ref_Key": ref_for_key(key),
        "Description": name,
        **fields,
        "Комментарий": comment_with_key("", key),
    }


def counterparty_fields(cp: Counterparty, own: dict[str, Any]) -> dict[str, Any]:
    """A counterparty's fields every configuration has, with its ``own`` (BP: the legal
    kind; UT: the partner and both legal kinds) after the full name."""
    return {
        "НаименованиеПолное": cp.full_name or cp.name,
        **own,
        "ИНН": cp.inn,
        "КПП": cp.kpp,
        "КонтактнаяИнформация": contacts(cp),
    }


def counterparty_item(cp: Counterparty, key: str, own: dict[str, Any]) -> dict[str, Any]:
    """A counterparty to create, in any configuration, with its ``own`` fields."""
    return catalog_item(key, cp.name, counterparty_fields(cp, own))


def contract_item(
    key: str, name: str, organization_ref: str, currency_ref: str, own: dict[str, Any]
) -> dict[str, Any]:
    """A customer contract to create: its ``own`` fields (whose it is, of which kind),
    then the organisation and the settlement currency every configuration's has."""
    fields = {**own, "Организация_Key": organization_ref, "ВалютаВзаиморасчетов_Key": currency_ref}
    return catalog_item(key, name, fields)


def counterparty(cp: Counterparty, key: str, entity: str) -> dict[str, Any]:
    check_requisites(cp, entity)
    legal = "ЮридическоеЛицо" if cp.kind is CounterpartyKind.ORGANIZATION else "ФизическоеЛицо"
    return counterparty_item(cp, key, {"ЮридическоеФизическоеЛицо": legal})


def contract(
    counterparty_ref: str, key: str, name: str, organization_ref: str, currency_ref: str, kind: str
) -> dict[str, Any]:
    own = {"Owner_Key": counterparty_ref, "ВидДоговора": kind}
    return contract_item(key, name, organization_ref, currency_ref, own)


def product(
    p: Product, key: str, unit_ref: str | None, kind_ref: str | None, own: dict[str, Any]
) -> dict[str, Any]:
    """A product to create: the fields every configuration has, then its ``own``
    (BP: ``Услуга`` and ``ВидСтавкиНДС``; UT: ``ТипНоменклатуры`` and ``СтавкаНДС_Key``)."""
    body = catalog_item(key, p.name, {"НаименованиеПолное": p.name, "Артикул": p.article, **own})
    if unit_ref:
        body["ЕдиницаИзмерения_Key"] = unit_ref
    if kind_ref:
        body["ВидНоменклатуры_Key"] = kind_ref
    return body


def bp_product(p: Product) -> dict[str, Any]:
    """What BP 3.0 says of a product beyond its name: service or goods, its VAT kind."""
    return {
        "Услуга": p.kind is ProductKind.SERVICE,
        "ВидСтавкиНДС": convert.RATE_TO_VAT_KIND.get(p.vat_rate, "Общая"),
    }


def invoice(
    inv: Invoice,
    key: str,
    entity: str,
    organization_ref: str,
    bank_account_ref: str,
    contract_ref: str,
    currency_ref: str,
) -> dict[str, Any]:
    rows = []
    for n, line in enumerate(inv.lines, start=1):
        if not line.product_ref:
            raise OnecError(
                tr("{what}: the product is not in 1C").format(
                    what=tr("invoice {number}, row {n} «{name}»").format(
                        number=inv.number, n=n, name=line.product_name
                    )
                ),
                entity=entity,
                field="Товары/Номенклатура_Key",
            )
        rows.append(
            {
                "LineNumber": str(n),
                "Номенклатура_Key": line.product_ref,
                "Содержание": line.product_name,
                "Количество": line.quantity,
                "Цена": line.price,
                "Сумма": line.amount,
                "СуммаСкидки": line.discount,
                "СтавкаНДС": line.vat_rate.onec_name,
                "СуммаНДС": line.vat_amount,
            }
        )
    included = one_vat_mode(
        inv,
        entity,
        "СуммаВключаетНДС",
        tr(
            "invoice {number}: some rows include VAT and some do not; a 1C invoice has "
            "one setting for all rows"
        ),
    )
    return {
        "Ref_Key": ref_for_key(key),
        "Date": convert.to_onec_date(inv.date),
        "Организация_Key": organization_ref,
        "Контрагент_Key": inv.counterparty_ref,
        "ДоговорКонтрагента_Key": contract_ref,
        "СтруктурнаяЕдиница_Key": bank_account_ref,
        "ВалютаДокумента_Key": currency_ref,
        "КурсВзаиморасчетов": 1,
        "КратностьВзаиморасчетов": "1",
        "СуммаВключаетНДС": included,
        "СуммаДокумента": inv.total,
        "Комментарий": comment_with_key(inv.comment, key),
        "Товары": rows,
    }


def one_vat_mode(invoice: Invoice, entity: str, field: str, refusal: str) -> bool:
    """Whether the rows' prices include VAT: one setting for all rows of a 1C document
    (its ``field``), or ``refusal`` (a sentence with ``{number}``) as the error."""
    included = invoice.lines[0].vat_included if invoice.lines else True
    if any(line.vat_included != included for line in invoice.lines):
        raise OnecError(refusal.format(number=invoice.number), entity=entity, field=field)
    return included
