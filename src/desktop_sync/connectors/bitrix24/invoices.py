"""Smart invoices (``crm.item.*`` with ``entityTypeId`` 31), their product rows, stages
and the buyer's requisite chosen on them. An invoice's key is its ``xmlId``."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from desktop_sync.connectors.bitrix24 import mapping
from desktop_sync.connectors.bitrix24.encoding import MAX_VARS, variables
from desktop_sync.connectors.bitrix24.envelope import PAGE, Params
from desktop_sync.connectors.bitrix24.errors import (
    Bitrix24Error,
    Bitrix24NotFound,
    Bitrix24RequestError,
    Bitrix24ServerError,
)
from desktop_sync.connectors.bitrix24.fields import sync_values
from desktop_sync.connectors.bitrix24.models import CrmInvoice, Stage
from desktop_sync.connectors.bitrix24.paging import ListScan, scan_together
from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.connectors.bitrix24.timestamps import iso
from desktop_sync.crm.types import InvoiceDraft
from desktop_sync.domain.entities import InvoiceLine
from desktop_sync.i18n import N_, tr

INVOICE = 31
ROW_GROUP = 200  # invoices per row scan
ROWS_EXPECTED = 2.5  # rows an invoice is expected to have: how many pages a group is given


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

    def item_scan(
        self,
        updated_since: dt.datetime | None = None,
        extra_filter: Mapping[str, Any] | None = None,
        pages: float = math.inf,
    ) -> ListScan:
        flt: dict[str, Any] = dict(extra_filter or {})
        if updated_since is not None:
            flt[">=updatedTime"] = iso(updated_since)
        return ListScan(
            "crm.item.list",
            {"entityTypeId": INVOICE, "filter": flt, "select": ["*"]},  # "*": custom fields too
            id_field="id",
            items_key="items",
            pages=pages,
        )

    def invoice_items(
        self,
        updated_since: dt.datetime | None = None,
        extra_filter: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        lists = {"items": self.item_scan(updated_since, extra_filter)}
        return scan_together(self.rest, lists).rows["items"]

    @staticmethod
    def row_scans(invoice_ids: Sequence[int], group: int = ROW_GROUP) -> dict[str, ListScan]:
        """ID scans of the rows of ``group`` invoices each (keys ``g0``, ``g1``, …).

        ``filter[=ownerId]`` with a list is an ``IN`` in the portal's ORM (kept well
        below the 1,000 parameters a PHP portal parses)."""
        ids = list(dict.fromkeys(invoice_ids))
        groups = [ids[k : k + group] for k in range(0, len(ids), group)]
        return {f"g{n}": _row_scan(grp) for n, grp in enumerate(groups)}

    @staticmethod
    def rows_by_owner(
        rows: Iterable[Mapping[str, Any]], invoice_ids: Sequence[int] = ()
    ) -> dict[int, list[dict[str, Any]]]:
        """Rows by invoice, in their order on the invoice."""
        out: dict[int, list[dict[str, Any]]] = {i: [] for i in invoice_ids}
        for row in rows:
            # the read's own dict as it is (a copy of every row doubled them, issue 18)
            out.setdefault(int(row["ownerId"]), []).append(
                row if isinstance(row, dict) else dict(row)
            )
        for mine in out.values():
            mine.sort(key=lambda r: (mapping.as_int(r.get("sort")) or 0, int(r["id"])))
        return out

    def product_rows(
        self, invoice_ids: Sequence[int], *, group: int = ROW_GROUP
    ) -> dict[int, list[dict[str, Any]]]:
        """Rows of many invoices: the scans of :meth:`row_scans` sharing batch requests.
        A portal that refuses the list form gets one scan per invoice instead."""
        try:
            got = scan_together(
                self.rest, self.row_scans(invoice_ids, group), what=N_("invoice product rows")
            )
        except (Bitrix24RequestError, Bitrix24NotFound):
            if group == 1:
                raise
            return self.product_rows(invoice_ids, group=1)
        return self.rows_by_owner(
            (r for rows in got.rows.values() for r in rows), list(dict.fromkeys(invoice_ids))
        )

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
        return self.with_rows(items, with_rows=with_rows, unreadable=unreadable)

    def with_rows(
        self,
        items: Sequence[Mapping[str, Any]],
        *,
        with_rows: bool = True,
        unreadable: dict[int, str] | None = None,
    ) -> list[CrmInvoice]:
        """Invoices of the items read, with their rows (read now)."""
        rows = self.product_rows([int(i["id"]) for i in items]) if with_rows else {}
        return self.of(items, rows, unreadable)

    @staticmethod
    def of(
        items: Sequence[Mapping[str, Any]],
        rows: Mapping[int, Sequence[Mapping[str, Any]]],
        unreadable: dict[int, str] | None = None,
    ) -> list[CrmInvoice]:
        """Invoices of the items and rows read; see :meth:`read` for ``unreadable``."""
        return mapping.readable(items, rows, mapping.invoice, ("id", "accountNumber"), unreadable)

    def get(self, invoice_id: int) -> CrmInvoice:
        item = self.rest.call(
            "crm.item.get",
            {"entityTypeId": INVOICE, "id": invoice_id},
            what=tr("invoice {id}").format(id=invoice_id),
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
            what=tr("invoice {id}").format(id=fields.get("accountNumber", xml_id)),
        ).result
        return int(result["item"]["id"])

    def add_invoice_draft(self, draft: InvoiceDraft) -> int:
        """F8: a smart invoice made from a 1C invoice (its rows are set apart)."""
        return self.add_invoice(_draft_fields(draft), xml_id=draft.xml_id)

    def invoices_by_xml_id(self, xml_ids: Sequence[str]) -> dict[str, int]:
        """``key (lower case) -> invoice id`` of the invoices carrying these keys (one
        list command each, 50 to a batch request)."""
        commands: dict[str, tuple[str, Params]] = {
            f"x{n}": (
                "crm.item.list",
                {"entityTypeId": INVOICE, "filter": {"=xmlId": x}, "select": ["id"], "start": -1},
            )
            for n, x in enumerate(xml_ids)
        }
        reply = self.rest.batch_all(commands, what=N_("invoices by their 1C key"))
        out: dict[str, int] = {}
        for n, x in enumerate(xml_ids):
            error = reply.errors.get(f"x{n}")
            if error is not None:
                raise error
            if f"x{n}" in reply.unknown:
                raise Bitrix24ServerError("Bitrix24 did not answer a batch of reads.")
            items = (reply.results.get(f"x{n}") or {}).get("items") or []
            if items:
                out[x.strip().lower()] = int(items[0]["id"])
        return out

    def add_drafts(
        self, drafts: Sequence[tuple[InvoiceDraft, Sequence[InvoiceLine], int | None]]
    ) -> list[int | Exception]:
        """F8: invoices with their rows and the buyer's requisite chosen on them (``None``:
        none), up to 16 to a batch request (three commands each); one outcome each: the
        id, or the portal's error (an invoice made whose rows were refused: the error;
        its key finds it). No value may hold a ``$`` (a reference inside a batch). Rows
        over the 1,000 variables PHP keeps of a batch command (100 rows or more) are set
        by a call of their own once the invoice is made."""
        out: list[int | Exception] = []
        for start in range(0, len(drafts), DRAFTS_PER_BATCH):
            chunk = drafts[start : start + DRAFTS_PER_BATCH]
            commands: dict[str, tuple[str, Params]] = {}
            for n, (draft, lines, requisite) in enumerate(chunk):
                fields = {**_draft_fields(draft), "xmlId": draft.xml_id}
                commands[f"a{n}"] = ("crm.item.add", {"entityTypeId": INVOICE, "fields": fields})
                made = f"$result[a{n}][item][id]"
                rows = mapping.rows_set("SI", made, lines)
                if variables(rows[1]) <= MAX_VARS:
                    commands[f"r{n}"] = rows
                if requisite:
                    commands[f"l{n}"] = (
                        "crm.requisite.link.register",
                        _requisite_link(made, requisite),
                    )
            reply = self.rest.batch(commands, what=N_("invoices from 1C"))
            for n in range(len(chunk)):
                errors = [reply.errors[k] for k in (f"a{n}", f"r{n}", f"l{n}") if k in reply.errors]
                item = (reply.results.get(f"a{n}") or {}).get("item") or {}
                if errors:
                    out.append(errors[0])
                elif "id" not in item:
                    out.append(Bitrix24ServerError("Bitrix24 did not say which invoice it made."))
                elif f"r{n}" in commands:
                    out.append(int(item["id"]))
                else:
                    out.append(self._rows_alone(int(item["id"]), chunk[n][1]))
        return out

    def _rows_alone(self, invoice_id: int, lines: Sequence[InvoiceLine]) -> int | Exception:
        """A made invoice's rows too many for a batch command: their own call (JSON)."""
        try:
            self.set_product_rows(invoice_id, lines)
        except Bitrix24Error as exc:
            return exc
        return invoice_id

    def set_header(self, invoice_id: int, *, stage_id: str = "", title: str = "") -> None:
        fields = {k: v for k, v in (("stageId", stage_id), ("title", title)) if v}
        self.rest.call(
            "crm.item.update",
            {"entityTypeId": INVOICE, "id": invoice_id, "fields": fields},
            what=tr("invoice {id}").format(id=invoice_id),
        )

    def update_invoice(self, invoice_id: int, fields: Mapping[str, Any]) -> CrmInvoice:
        result = self.rest.call(
            "crm.item.update",
            {"entityTypeId": INVOICE, "id": invoice_id, "fields": dict(fields)},
            what=tr("invoice {id}").format(id=invoice_id),
        ).result
        return mapping.invoice(result["item"], [])

    def set_sync_fields(self, invoice_id: int, **values: Any) -> None:
        """Write our custom fields (keys of ``fields.SYNC_FIELDS``: paid=Decimal(...))."""
        self.update_invoice(invoice_id, sync_values(values))

    def set_product_rows(self, invoice_id: int, lines: Sequence[InvoiceLine]) -> None:
        self.rest.call(
            *mapping.rows_set("SI", invoice_id, lines), what=f"rows of invoice {invoice_id}"
        )

    def invoice_requisites(
        self, invoice_ids: Sequence[int], *, entity_type_id: int = INVOICE
    ) -> dict[int, int]:
        """The buyer's requisite chosen on each invoice (``crm.requisite.link.get``, 50
        to a batch request); an invoice without a choice is left out. A failure other
        than "no link" is raised: a missing choice must not be invented by an outage.
        ``entity_type_id`` 2: of deals."""
        commands: dict[str, tuple[str, Params]] = {
            f"i{iid}": (
                "crm.requisite.link.get",
                {"entityTypeId": entity_type_id, "entityId": iid},
            )
            for iid in invoice_ids
        }
        reply = self.rest.batch_all(commands, what=N_("requisites chosen on invoices"))
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
            _requisite_link(invoice_id, requisite_id, my_requisite_id),
            what=tr("invoice {id}").format(id=invoice_id),
        )


DRAFTS_PER_BATCH = 16  # three commands each: the invoice, its rows, the requisite chosen


def _requisite_link(invoice: int | str, requisite_id: int, my_requisite_id: int = 0) -> Params:
    return {
        "fields": {
            "ENTITY_TYPE_ID": INVOICE,
            "ENTITY_ID": invoice,
            "REQUISITE_ID": requisite_id,
            "BANK_DETAIL_ID": 0,
            "MC_REQUISITE_ID": my_requisite_id,
            "MC_BANK_DETAIL_ID": 0,
        }
    }


def _draft_fields(draft: InvoiceDraft) -> dict[str, Any]:
    """F8: a smart invoice's fields for a 1C invoice (its key apart)."""
    fields: dict[str, Any] = {
        "title": draft.title,
        "begindate": draft.date.isoformat(),
        "currencyId": draft.currency,
        **sync_values(draft.fields),
    }
    if draft.company_id:
        fields["companyId"] = draft.company_id
    if draft.contact_id:
        fields["contactId"] = draft.contact_id
    if draft.stage_id:
        fields["stageId"] = draft.stage_id
    if draft.assigned_by:
        fields["assignedById"] = draft.assigned_by
    return fields


def _row_scan(invoice_ids: Sequence[int]) -> ListScan:
    owner: int | list[int] = invoice_ids[0] if len(invoice_ids) == 1 else list(invoice_ids)
    return ListScan(
        "crm.item.productrow.list",
        {"filter": {"=ownerType": "SI", "=ownerId": owner}},
        id_field="id",
        items_key="productRows",
        pages=max(1.0, len(invoice_ids) * ROWS_EXPECTED / PAGE),
    )
