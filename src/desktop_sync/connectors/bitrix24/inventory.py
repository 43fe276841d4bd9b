"""Inventory: stores, stock balances and store documents (``catalog.store.*``,
``catalog.storeproduct.*``, ``catalog.document.*``). A document's key is its title."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from desktop_sync.connectors.bitrix24 import mapping
from desktop_sync.connectors.bitrix24.models import StoreAmount, StoreDocument
from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.domain.entities import Warehouse


class Inventory:
    """Stores, stock and the store documents that move it."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest

    def enabled(self) -> bool:
        return self.rest.call("catalog.document.mode.status").result in ("Y", True)

    def stores(self) -> list[Warehouse]:
        rows = list(self.rest.scan("catalog.store.list", {}, id_field="id", items_key="stores"))
        return [Warehouse(name=str(r["title"]), crm_id=int(r["id"])) for r in rows]

    def store_amounts(self, product_ids: Sequence[int] | None = None) -> list[StoreAmount]:
        flt: dict[str, Any] = {}
        if product_ids is not None:
            flt["@productId"] = list(product_ids)
        rows = self.rest.scan(
            "catalog.storeproduct.list", {"filter": flt}, id_field="id", items_key="storeProducts"
        )
        return [
            StoreAmount(
                int(r["productId"]),
                int(r["storeId"]),
                mapping.as_decimal(r.get("amount"), "an amount"),
                mapping.as_decimal(r.get("quantityReserved"), "an amount"),
            )
            for r in rows
        ]

    def find_store_document(self, title: str) -> StoreDocument | None:
        result = (
            self.rest.call(
                "catalog.document.list",
                # the newest: an unfinished one after earlier conducted ones of the title
                {"filter": {"=title": title}, "start": -1, "order": {"id": "DESC"}},
            ).result
            or {}
        )
        rows = result.get("documents") or []
        return _document(rows[0]) if rows else None

    def add_store_document(
        self, doc_type: str, *, title: str, doc_number: str = "", comment: str = ""
    ) -> StoreDocument:
        if doc_type not in ("S", "D"):
            raise ValueError("the sync writes only S (оприходование) and D (списание) documents")
        result = self.rest.call(
            "catalog.document.add",
            {
                "fields": {
                    "docType": doc_type,
                    "title": title,
                    "docNumber": doc_number,
                    "currency": "RUB",
                    "commentary": comment,
                }
            },
            what=f"store document «{title}»",
        ).result
        return _document(result["document"])

    def add_document_element(
        self,
        doc: StoreDocument,
        product_id: int,
        store_id: int,
        amount: Decimal,
        purchasing_price: Decimal = Decimal(0),
    ) -> int:
        side = "storeTo" if doc.doc_type == "S" else "storeFrom"
        result = self.rest.call(
            "catalog.document.element.add",
            {
                "fields": {
                    "docId": doc.id,
                    "elementId": product_id,
                    side: store_id,
                    "amount": amount,
                    "purchasingPrice": purchasing_price,
                }
            },
            what=f"row of store document «{doc.title}»",
        ).result
        return int(result["documentElement"]["id"])

    def document_elements(self, doc_id: int) -> list[dict[str, Any]]:
        return list(
            self.rest.scan(
                "catalog.document.element.list",
                {"filter": {"docId": doc_id}},
                id_field="id",
                items_key="documentElements",
            )
        )

    def conduct_document(self, doc_id: int) -> None:
        self.rest.call("catalog.document.conduct", {"id": doc_id}, what=f"store document {doc_id}")


def _document(row: Mapping[str, Any]) -> StoreDocument:
    return StoreDocument(
        int(row["id"]),
        str(row["docType"]),
        str(row.get("title") or ""),
        str(row.get("docNumber") or ""),
        str(row.get("status") or ""),
    )
