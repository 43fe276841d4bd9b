"""The smart invoice's custom fields that ``setup`` creates (DESIGN.md "setup").

Field names follow research/bitrix24.md §4: ``UF_CRM_SMART_INVOICE_<CODE>``,
read and written by ``crm.item.*`` in camelCase (``ufCrmSmartInvoice<Code>``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

PREFIX = "UF_CRM_SMART_INVOICE_"


def camel(name: str) -> str:
    parts = name.lower().split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:] if p)


@dataclass(frozen=True, slots=True)
class CustomField:
    key: str  # our name for it
    name: str  # UF_CRM_SMART_INVOICE_...
    user_type: str
    label_ru: str
    label_en: str
    multiple: bool = False

    @property
    def camel(self) -> str:
        return camel(self.name)

    @property
    def label(self) -> str:
        """The label in the person's language: the same words the portal shows."""
        from desktop_sync.i18n import language

        return self.label_en if language() == "en" else self.label_ru


SYNC_FIELDS: tuple[CustomField, ...] = (
    CustomField("onec_number", PREFIX + "DS_ONEC_NUMBER", "string", "Номер в 1С", "1C number"),
    CustomField("onec_date", PREFIX + "DS_ONEC_DATE", "date", "Дата в 1С", "1C date"),
    CustomField("paid", PREFIX + "DS_PAID", "double", "Оплачено", "Paid"),
    CustomField(
        "outstanding", PREFIX + "DS_OUTSTANDING", "double", "Осталось оплатить", "Outstanding"
    ),
    CustomField(
        "last_payment_date",
        PREFIX + "DS_LAST_PAYMENT",
        "date",
        "Дата последней оплаты",
        "Last payment date",
    ),
    CustomField("payments", PREFIX + "DS_PAYMENTS", "string", "Оплаты", "Payments", multiple=True),
    CustomField("shipped", PREFIX + "DS_SHIPPED", "double", "Отгружено", "Shipped amount"),
    CustomField(
        "shipment_doc",
        PREFIX + "DS_SHIPMENT_DOC",
        "string",
        "Документ отгрузки",
        "Shipment document",
    ),
    CustomField(
        "closing_number",
        PREFIX + "DS_CLOSING_NUMBER",
        "string",
        "Реализация в 1С: номер",
        "1C sales document: number",
    ),
    CustomField(
        "closing_date",
        PREFIX + "DS_CLOSING_DATE",
        "date",
        "Реализация в 1С: дата",
        "1C sales document: date",
    ),
    CustomField(
        "sync_status", PREFIX + "DS_SYNC_STATUS", "string", "Статус синхронизации", "Sync status"
    ),
)
BY_KEY = {f.key: f for f in SYNC_FIELDS}


def sync_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Our custom fields by their keys (``paid=Decimal(…)``) as the invoice's fields."""
    return values_as_fields(values, BY_KEY, lambda spec: spec.camel)


def values_as_fields(
    values: Mapping[str, Any],
    by_key: Mapping[str, CustomField],
    name: Callable[[CustomField], str],
) -> dict[str, Any]:
    """Our fields by their keys as a record's fields, each under ``name(spec)`` (the
    smart invoice's camelCase name, the deal's UF_CRM_ name): dates as ISO text."""
    fields: dict[str, Any] = {}
    for key, value in values.items():
        spec = by_key[key]
        if isinstance(value, dt.date):
            value = value.isoformat()
        fields[name(spec)] = list(value) if spec.multiple else value
    return fields
