"""Smart invoices (``crm.item.*`` with ``entityTypeId`` 31), their product rows, stages
and the buyer's requisite chosen on them. An invoice's key is its ``xmlId``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from desktop_sync.connectors.bitrix24 import mapping
from desktop_sync.connectors.bitrix24.envelope import Params
from desktop_sync.connectors.bitrix24.errors import (
    Bitrix24BadResponse,
    Bitrix24Error,
    Bitrix24NotFound,
    Bitrix24RequestError,
    Bitrix24ServerError,
)
from desktop_sync.connectors.bitrix24.fields import SYNC_FIELDS
from desktop_sync.connectors.bitrix24.models import CrmInvoice, Stage
from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.connectors.bitrix24.timestamps import iso
from desktop_sync.domain.entities import InvoiceLine

INVOICE = 31


class Invoices:
    """Smart invoices with their rows."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest

    def invoice_category(self) -> int:
        cats = (self.rest.call("crm.category.list", {"entityTypeId": INVOICE}).result or {}).get(
            "categories"
        ) or []
        default = [c for c in cats if c.get("isDefault") == "Y"] or cats
        if not default:
            raise Bitrix24Error("Smart invoices have no pipeline in this Bitrix24.")
        return int(default[0]["id"])

    def stages(self, category_id: int | None = None) -> list[Stage]:
        cat = self.invoice_category() if category_id is None else category_id
        rows = (
            self.rest.call(
                "crm.status.list",
                {"filter": {"ENTITY_ID": f"SMART_INVOICE_STAGE_{cat}"}, "order": {"SORT": "ASC"}},
            ).result
            or []
        )
        return [mapping.stage(r) for r in rows]

    def invoice_items(
        self,
        updated_since: dt.datetime | None = None,
        extra_filter: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        flt: dict[str, Any] = dict(extra_filter or {})
        if updated_since is not None:
            flt[">=updatedTime"] = iso(updated_since)
        return list(
            self.rest.scan(
                "crm.item.list",
                {
                    "entityTypeId": INVOICE,
                    "filter": flt,
                    "select": ["*"],
                },  # "*" includes the custom fields
                id_field="id",
                items_key="items",
            )
        )

    def product_rows(
        self, invoice_ids: Sequence[int], *, group: int = 16
    ) -> dict[int, list[dict[str, Any]]]:
        """Rows of many invoices, 50 commands per batch, each command for ``group`` invoices.

        ``filter[=ownerId]`` with a list is an ``IN`` in the portal's ORM; each command
        counts its rows (``start=0``), so a group with more than 50 rows is read on.
        A portal that refuses the list form gets one command per invoice instead.
        """
        ids = list(dict.fromkeys(invoice_ids))
        out: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        groups = [ids[k : k + group] for k in range(0, len(ids), group)]
        for start in range(0, len(groups), 50):
            chunk = groups[start : start + 50]
            commands: dict[str, tuple[str, Mapping[str, Any]]] = {
                f"g{n}": ("crm.item.productrow.list", _rows_params(grp, 0))
                for n, grp in enumerate(chunk)
            }
            reply = self.rest.batch(commands, what="invoice product rows")
            for n, grp in enumerate(chunk):
                key = f"g{n}"
                if key in reply.errors:
                    if group > 1 and isinstance(
                        reply.errors[key], (Bitrix24RequestError, Bitrix24NotFound)
                    ):
                        out.update(self.product_rows(grp, group=1))
                        continue
                    raise reply.errors[key]
                rows = list((reply.results.get(key) or {}).get("productRows") or [])
                total = reply.totals.get(key, len(rows))
                while len(rows) < total:
                    more = self.rest.call("crm.item.productrow.list", _rows_params(grp, len(rows)))
                    page = (more.result or {}).get("productRows") or []
                    if not page:
                        break
                    rows.extend(page)
                for row in rows:
                    out.setdefault(int(row["ownerId"]), []).append(row)
        return out

    def read(
        self,
        updated_since: dt.datetime | None = None,
        *,
        with_rows: bool = True,
        extra_filter: Mapping[str, Any] | None = None,
        unreadable: dict[int, str] | None = None,
    ) -> list[CrmInvoice]:
        """Smart invoices (with rows and our custom fields), oldest id first.

        With ``unreadable``, an invoice whose data cannot be understood (a row with a tax
        rate that is no Russian VAT rate, say) is left out and named there with the
        reason, instead of failing the whole read over one record.
        """
        items = self.invoice_items(updated_since, extra_filter)
        rows = self.product_rows([int(i["id"]) for i in items]) if with_rows else {}
        out: list[CrmInvoice] = []
        for item in items:
            try:
                out.append(mapping.invoice(item, rows.get(int(item["id"]), [])))
            except Bitrix24BadResponse as exc:
                if unreadable is None:
                    raise
                number = item.get("accountNumber") or item["id"]
                unreadable[int(item["id"])] = f"{number}: {exc}"
        return out

    def get(self, invoice_id: int) -> CrmInvoice:
        item = self.rest.call(
            "crm.item.get",
            {"entityTypeId": INVOICE, "id": invoice_id},
            what=f"invoice {invoice_id}",
        ).result["item"]
        rows = self.product_rows([invoice_id])[invoice_id]
        return mapping.invoice(item, rows)

    def invoice_ids(self) -> list[int]:
        """Every invoice id the user can see: the periodic reconciliation finds deletions."""
        return [
            int(r["id"])
            for r in self.rest.scan(
                "crm.item.list",
                {"entityTypeId": INVOICE, "select": ["id"]},
                id_field="id",
                items_key="items",
            )
        ]

    def find_invoice_by_xml_id(self, xml_id: str) -> int | None:
        result = (
            self.rest.call(
                "crm.item.list",
                {
                    "entityTypeId": INVOICE,
                    "filter": {"=xmlId": xml_id},
                    "select": ["id"],
                    "start": -1,
                },
            ).result
            or {}
        )
        items = result.get("items") or []
        return int(items[0]["id"]) if items else None

    def add_invoice(self, fields: Mapping[str, Any], *, xml_id: str) -> int:
        data = {**fields, "xmlId": xml_id}
        result = self.rest.call(
            "crm.item.add",
            {"entityTypeId": INVOICE, "fields": data},
            what=f"invoice {fields.get('accountNumber', xml_id)}",
        ).result
        return int(result["item"]["id"])

    def update_invoice(self, invoice_id: int, fields: Mapping[str, Any]) -> CrmInvoice:
        result = self.rest.call(
            "crm.item.update",
            {"entityTypeId": INVOICE, "id": invoice_id, "fields": dict(fields)},
            what=f"invoice {invoice_id}",
        ).result
        return mapping.invoice(result["item"], [])

    def set_sync_fields(self, invoice_id: int, **values: Any) -> None:
        """Write our custom fields (keys of ``fields.SYNC_FIELDS``: paid=Decimal(...))."""
        by_key = {f.key: f for f in SYNC_FIELDS}
        fields: dict[str, Any] = {}
        for key, value in values.items():
            spec = by_key[key]
            if isinstance(value, dt.date):
                value = value.isoformat()
            fields[spec.camel] = list(value) if spec.multiple else value
        self.update_invoice(invoice_id, fields)

    def set_product_rows(self, invoice_id: int, lines: Sequence[InvoiceLine]) -> None:
        rows = [mapping.product_row_payload(line, (n + 1) * 10) for n, line in enumerate(lines)]
        self.rest.call(
            "crm.item.productrow.set",
            {"ownerType": "SI", "ownerId": invoice_id, "productRows": rows},
            what=f"rows of invoice {invoice_id}",
        )

    def invoice_requisites(self, invoice_ids: Sequence[int]) -> dict[int, int]:
        """The buyer's requisite chosen on each invoice (``crm.requisite.link.get``, 50
        to a batch request); an invoice without a choice is left out. A failure other
        than "no link" is raised: a missing choice must not be invented by an outage."""
        commands: dict[str, tuple[str, Params]] = {
            f"i{iid}": ("crm.requisite.link.get", {"entityTypeId": INVOICE, "entityId": iid})
            for iid in invoice_ids
        }
        reply = self.rest.batch_all(commands, what="requisites chosen on invoices")
        out: dict[int, int] = {}
        for iid in invoice_ids:
            key = f"i{iid}"
            error = reply.errors.get(key)
            if error is not None and not isinstance(
                error, (Bitrix24NotFound, Bitrix24RequestError)
            ):
                raise error
            if key in reply.unknown:
                raise Bitrix24ServerError("Bitrix24 did not answer a batch of reads.")
            row = reply.results.get(key)
            requisite = mapping.as_int(row.get("REQUISITE_ID")) if isinstance(row, dict) else None
            if requisite:
                out[iid] = requisite
        return out

    def link_invoice_requisite(
        self, invoice_id: int, requisite_id: int, my_requisite_id: int = 0
    ) -> None:
        self.rest.call(
            "crm.requisite.link.register",
            {
                "fields": {
                    "ENTITY_TYPE_ID": INVOICE,
                    "ENTITY_ID": invoice_id,
                    "REQUISITE_ID": requisite_id,
                    "BANK_DETAIL_ID": 0,
                    "MC_REQUISITE_ID": my_requisite_id,
                    "MC_BANK_DETAIL_ID": 0,
                }
            },
            what=f"invoice {invoice_id}",
        )


def _rows_params(invoice_ids: Sequence[int], start: int) -> dict[str, Any]:
    owner: int | list[int] = invoice_ids[0] if len(invoice_ids) == 1 else list(invoice_ids)
    return {"filter": {"=ownerType": "SI", "=ownerId": owner}, "start": start}
