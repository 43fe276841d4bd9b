"""Deals (``crm.deal.*``; a deal is ``crm.item`` with ``entityTypeId`` 2): their
pipelines and stages, product rows and the sync's custom fields on them (F9).

A deal is read as the engine reads a smart invoice (``CrmInvoice``): its id is the
invoice's number, its title kept beside it; its rows are read by
``crm.item.productrow.list`` with ``ownerType`` ``D``, many deals a request. Our fields
on a deal are its user fields ``UF_CRM_DS_…`` (``crm.deal.userfield.*``), written by
``crm.deal.update`` with the stage, in batches like the invoice's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from desktop_sync.connectors.bitrix24 import mapping
from desktop_sync.connectors.bitrix24.envelope import PAGE, Params
from desktop_sync.connectors.bitrix24.fields import (
    PREFIX,
    SYNC_FIELDS,
    CustomField,
    values_as_fields,
)
from desktop_sync.connectors.bitrix24.invoices import Invoices
from desktop_sync.connectors.bitrix24.models import CrmInvoice, Stage
from desktop_sync.connectors.bitrix24.paging import ListScan, scan_together
from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.domain.entities import InvoiceLine
from desktop_sync.i18n import N_, tr

DEAL = 2
ROW_GROUP = 200  # deals per row scan
Command = tuple[str, Params]


def deal_field_name(spec: CustomField) -> str:
    """A sync field's name on the deal: ``UF_CRM_DS_ONEC_NUMBER`` for the invoice's
    ``UF_CRM_SMART_INVOICE_DS_ONEC_NUMBER``."""
    return "UF_CRM_" + spec.name.removeprefix(PREFIX)


DEAL_FIELDS = tuple(dataclasses.replace(f, name=deal_field_name(f)) for f in SYNC_FIELDS)
_BY_KEY = {f.key: f for f in DEAL_FIELDS}


def deal_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Our fields by their keys (``paid=Decimal(…)``) as the deal's fields."""
    return values_as_fields(values, _BY_KEY, lambda spec: spec.name)


def deal_update(deal_id: int, fields: Mapping[str, Any]) -> Command:
    """``crm.deal.update`` of a deal's fields (ours by their keys go through
    :func:`deal_values` first)."""
    return "crm.deal.update", {"id": deal_id, "fields": dict(fields)}


def stage_entity(category_id: int) -> str:
    """The ``crm.status.list`` entity of a pipeline's stages."""
    return "DEAL_STAGE" if category_id == 0 else f"DEAL_STAGE_{category_id}"


def deal_of(row: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> CrmInvoice:
    """A deal (legacy UPPER_CASE row) with its product rows, in the invoice's shape."""
    item: dict[str, Any] = {
        "id": row.get("ID"),
        "accountNumber": row.get("ID"),
        "begindate": row.get("BEGINDATE"),
        "createdTime": row.get("DATE_CREATE"),
        "updatedTime": row.get("DATE_MODIFY"),
        "companyId": row.get("COMPANY_ID"),
        "contactId": row.get("CONTACT_ID"),
        "mycompanyId": row.get("MYCOMPANY_ID"),
        "opportunity": row.get("OPPORTUNITY"),
        "taxValue": row.get("TAX_VALUE"),
        "isManualOpportunity": row.get("IS_MANUAL_OPPORTUNITY"),
        "stageId": row.get("STAGE_ID"),
        "categoryId": row.get("CATEGORY_ID"),
        "currencyId": row.get("CURRENCY_ID"),
        "comments": row.get("COMMENTS"),
        "assignedById": row.get("ASSIGNED_BY_ID"),
    }
    for spec, ours in zip(SYNC_FIELDS, DEAL_FIELDS, strict=True):
        item[spec.camel] = row.get(ours.name)
    deal = mapping.invoice(item, rows)
    return dataclasses.replace(deal, title=str(row.get("TITLE") or ""))


class Deals:
    """Deals with their rows, pipelines and stages, and our fields on them."""

    def __init__(self, rest: RestClient, invoices: Invoices) -> None:
        self.rest = rest
        self.invoices = invoices  # the requisite chosen on a deal is read as an invoice's
        self._fields: list[str] | None = None

    # -- pipelines and stages ------------------------------------------------------------

    def categories(self) -> list[tuple[int, str]]:
        """(id, name) of each deal pipeline (the default one is 0)."""
        reply = self.rest.call("crm.category.list", {"entityTypeId": DEAL}).result or {}
        return [(int(c["id"]), str(c.get("name") or "")) for c in reply.get("categories") or []]

    def stages(self, category_id: int = 0) -> list[Stage]:
        rows = (
            self.rest.call(
                "crm.status.list",
                {"filter": {"ENTITY_ID": stage_entity(category_id)}, "order": {"SORT": "ASC"}},
            ).result
            or []
        )
        return [dataclasses.replace(mapping.stage(r), category_id=category_id) for r in rows]

    # -- reading ---------------------------------------------------------------------------

    @staticmethod
    def deal_scan(categories: Sequence[int], expected: int = 0) -> ListScan:
        """The deals of these pipelines; ``expected``: how many the last read found (the
        batch's page commands are given by it, not all 50 to a list of a few deals)."""
        flt: dict[str, Any] = {"@CATEGORY_ID": list(categories)}
        pages = expected // PAGE + 1
        return ListScan("crm.deal.list", {"filter": flt, "select": ["*", "UF_*"]}, pages=pages)

    @staticmethod
    def row_scans(deal_ids: Sequence[int], group: int = ROW_GROUP) -> dict[str, ListScan]:
        ids = list(dict.fromkeys(deal_ids))
        out: dict[str, ListScan] = {}
        for n in range(0, len(ids), group):
            part = ids[n : n + group]
            owner: int | list[int] = part[0] if len(part) == 1 else part
            out[f"d{n}"] = ListScan(
                "crm.item.productrow.list",
                {"filter": {"=ownerType": "D", "=ownerId": owner}},
                id_field="id",
                items_key="productRows",
                pages=max(1.0, len(part) * 2.5 / PAGE),
            )
        return out

    def read(
        self,
        categories: Sequence[int],
        unreadable: dict[int, str] | None = None,
        expected: int = 0,
        stages: dict[str, str] | None = None,
    ) -> list[CrmInvoice]:
        """The deals of these pipelines with their rows (two reads: the deals, then
        their rows). A deal that cannot be understood is named in ``unreadable``;
        ``expected``: how many deals the last read found; ``stages`` gets the
        pipelines' stages (id -> name), asked in the deals' first request."""
        if not categories:
            return []
        asked: dict[str, tuple[str, Params]] = {"fields": ("crm.deal.userfield.list", {})}
        for cat in categories:
            where = {"filter": {"ENTITY_ID": stage_entity(cat)}, "order": {"SORT": "ASC"}}
            asked[f"stages{cat}"] = ("crm.status.list", where)
        scan = self.deal_scan(categories, expected)
        got = scan_together(self.rest, {"deals": scan}, asked, what=N_("deals"))
        fields = got.extra.results.get("fields")
        if isinstance(fields, list):
            self._fields = [str(r.get("FIELD_NAME") or "") for r in fields]
        named = stages if stages is not None else {}
        for cat in categories:
            found = got.extra.results.get(f"stages{cat}")
            for row in found if isinstance(found, list) else ():
                named[str(row["STATUS_ID"])] = str(row.get("NAME") or "")
        rows = got.rows["deals"]
        ids = [int(r["ID"]) for r in rows]
        lines: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            more = scan_together(self.rest, self.row_scans(ids), what=N_("deal product rows"))
            for part in more.rows.values():
                for r in part:
                    lines.setdefault(int(r["ownerId"]), []).append(dict(r))
        for mine in lines.values():
            mine.sort(key=lambda r: (mapping.as_int(r.get("sort")) or 0, int(r["id"])))
        return mapping.readable(rows, lines, deal_of, ("ID", "TITLE"), unreadable)

    def deal_requisites(self, deal_ids: Sequence[int]) -> dict[int, int]:
        """The buyer's requisite chosen on each deal (as on an invoice, 50 a request)."""
        return self.invoices.invoice_requisites(deal_ids, entity_type_id=DEAL)

    def get(self, deal_id: int) -> CrmInvoice:
        row = self.rest.call(
            "crm.deal.get", {"id": deal_id}, what=tr("deal {id}").format(id=deal_id)
        ).result
        got = scan_together(
            self.rest, self.row_scans([deal_id]), what=tr("rows of deal {id}").format(id=deal_id)
        )
        return deal_of(row, [r for part in got.rows.values() for r in part])

    # -- writing ---------------------------------------------------------------------------

    def add_deal(self, fields: Mapping[str, Any]) -> int:
        reply = self.rest.call("crm.deal.add", {"fields": dict(fields)}, what=N_("deal"))
        return int(reply.result)

    def update_deal(self, deal_id: int, fields: Mapping[str, Any]) -> None:
        method, params = deal_update(deal_id, fields)
        self.rest.call(method, params, what=tr("deal {id}").format(id=deal_id))

    def set_product_rows(self, deal_id: int, lines: Sequence[InvoiceLine]) -> None:
        self.rest.call(
            *mapping.rows_set("D", deal_id, lines), what=tr("rows of deal {id}").format(id=deal_id)
        )

    # -- our fields on deals ---------------------------------------------------------------

    def field_names(self) -> list[str]:
        """The deal's custom fields, asked once per client (until :meth:`forget`)."""
        if self._fields is None:
            rows = self.rest.call("crm.deal.userfield.list", {}).result or []
            self._fields = [str(r.get("FIELD_NAME") or "") for r in rows]
        return list(self._fields)

    def forget(self) -> None:
        self._fields = None

    def missing_custom_fields(self) -> list[CustomField]:
        have = set(self.field_names())
        return [f for f in DEAL_FIELDS if f.name not in have]

    def setup_custom_fields(self) -> list[CustomField]:
        """Create the missing sync fields on deals; those created (none the second time)."""
        created = []
        for spec in self.missing_custom_fields():
            self.rest.call(
                "crm.deal.userfield.add",
                {
                    "fields": {
                        "FIELD_NAME": spec.name.removeprefix("UF_CRM_"),
                        "USER_TYPE_ID": spec.user_type,
                        "MULTIPLE": "Y" if spec.multiple else "N",
                        "EDIT_FORM_LABEL": {"ru": spec.label_ru, "en": spec.label_en},
                        "LIST_COLUMN_LABEL": {"ru": spec.label_ru, "en": spec.label_en},
                        "SHOW_FILTER": "Y",
                    }
                },
                what=tr("deal field «{name}»").format(name=spec.label_ru),
            )
            created.append(spec)
        self._fields = None
        return created
