"""Our custom fields on the smart invoice (``userfieldconfig.*``), created by setup."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from desktop_sync.connectors.bitrix24.access import Access
from desktop_sync.connectors.bitrix24.errors import Bitrix24PermissionError
from desktop_sync.connectors.bitrix24.fields import SYNC_FIELDS, CustomField
from desktop_sync.connectors.bitrix24.models import CustomFieldInfo
from desktop_sync.connectors.bitrix24.paging import ListScan, scan_together
from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.i18n import tr


class UserFields:
    """The smart invoice's custom fields."""

    def __init__(self, rest: RestClient, access: Access) -> None:
        self.rest = rest
        self.access = access
        self._fields: list[CustomFieldInfo] | None = None

    @staticmethod
    def field_scan(pages: float = 2) -> ListScan:
        """Every CRM field: ``entityId`` is not among the documented filter fields of
        ``userfieldconfig.list``, so the invoice's are kept afterwards."""
        return ListScan(
            "userfieldconfig.list", {"moduleId": "crm"}, id_field="id", items_key="fields",
            pages=pages,
        )  # fmt: skip

    def take(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Keep the fields a read brought (see :meth:`field_scan`) until :meth:`forget`."""
        self._fields = [
            CustomFieldInfo(
                int(r["id"]), str(r["fieldName"]), str(r["userTypeId"]), r.get("multiple") == "Y"
            )
            for r in rows
            if r.get("entityId") == "CRM_SMART_INVOICE"
        ]

    def forget(self) -> None:
        self._fields = None

    def custom_fields(self) -> list[CustomFieldInfo]:
        """The smart invoice's custom fields, asked once per run (until :meth:`forget`)."""
        if self._fields is None:
            self.take(scan_together(self.rest, {"f": self.field_scan()}).rows["f"])
        return list(self._fields or ())

    def missing_custom_fields(self) -> list[CustomField]:
        have = {f.name for f in self.custom_fields()}
        return [f for f in SYNC_FIELDS if f.name not in have]

    def add_custom_field(self, spec: CustomField) -> int:
        result = self.rest.call(
            "userfieldconfig.add",
            {
                "moduleId": "crm",
                "field": {
                    "entityId": "CRM_SMART_INVOICE",
                    "fieldName": spec.name,
                    "userTypeId": spec.user_type,
                    "multiple": "Y" if spec.multiple else "N",
                    "editFormLabel": {"ru": spec.label_ru, "en": spec.label_en},
                    "listColumnLabel": {"ru": spec.label_ru, "en": spec.label_en},
                    "showFilter": "Y",
                    "showInList": "Y",
                },
            },
            what=tr("custom field «{name}»").format(name=spec.label_ru),
        ).result
        self._fields = None  # asked again: the new field is among them
        return int(result["field"]["id"])

    def setup_custom_fields(self) -> list[CustomField]:
        """Create the missing sync fields; returns those created (nothing on a second run)."""
        missing_scopes = self.access.missing_scopes(("crm", "userfieldconfig"))
        if missing_scopes:
            raise Bitrix24PermissionError(
                "The webhook lacks the permissions "
                + ", ".join(missing_scopes)
                + " needed to create the custom fields: edit the webhook in Bitrix24.",
                method="userfieldconfig.add",
            )
        created = []
        for spec in self.missing_custom_fields():
            self.add_custom_field(spec)
            created.append(spec)
        return created
