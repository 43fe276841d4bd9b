"""Inventory: stores, stock balances and store documents (``catalog.store.*``,
``catalog.storeproduct.*``, ``catalog.document.*``). A document's key is its title."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from desktop_sync.connectors.bitrix24 import mapping
from desktop_sync.connectors.bitrix24.envelope import BatchReply, Params
from desktop_sync.connectors.bitrix24.models import StoreAmount, StoreDocument
from desktop_sync.connectors.bitrix24.paging import ListScan, scan_together
from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.domain.entities import Warehouse

MODE = "catalog.document.mode.status"


class Inventory:
    """Stores, stock and the store documents that move it."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest
        self._mode: bool | None = None

    def enabled(self) -> bool:
        """Inventory management is on: asked once per run (until :meth:`forget`)."""
        if self._mode is None:
            self._mode = self.rest.call(MODE).result in ("Y", True)
        return self._mode

    def mode_command(self) -> dict[str, tuple[str, Params]]:
        """The mode's question for a batch, if it is not answered yet."""
        return {} if self._mode is not None else {"mode": (MODE, {})}

    def take_mode(self, reply: BatchReply) -> None:
        if "mode" in reply.results:
            self._mode = reply.results["mode"] in ("Y", True)

    def forget(self) -> None:
        self._mode = None

    @staticmethod
    def amount_scan() -> ListScan:
        return ListScan("catalog.storeproduct.list", {}, id_field="id", items_key="storeProducts")

    @staticmethod
    def store_scan() -> ListScan:
        return ListScan("catalog.store.list", {}, id_field="id", items_key="stores", pages=1)

    @staticmethod
    def documents_scan(since: str) -> ListScan:
        """Store documents conducted or cancelled at ``since`` (the portal's time) or later:
        only they move the stock."""
        return ListScan(
            "catalog.document.list", {"filter": {">=dateStatus": since}}, id_field="id",
            items_key="documents", pages=1,
        )  # fmt: skip

    @staticmethod
    def amounts_of(rows: Sequence[Mapping[str, Any]]) -> list[StoreAmount]:
        return [
            StoreAmount(
                int(r["productId"]),
                int(r["storeId"]),
                mapping.as_decimal(r.get("amount"), "an amount"),
                mapping.as_decimal(r.get("quantityReserved"), "an amount"),
            )
            for r in rows
        ]

    @staticmethod
    def stores_of(rows: Sequence[Mapping[str, Any]]) -> list[Warehouse]:
        return [Warehouse(name=str(r["title"]), crm_id=int(r["id"])) for r in rows]

    def stores(self) -> list[Warehouse]:
        return self.stores_of(scan_together(self.rest, {"s": self.store_scan()}).rows["s"])

    def store_amounts(self, product_ids: Sequence[int] | None = None) -> list[StoreAmount]:
        flt: dict[str, Any] = {}
        if product_ids is not None:
            flt["@productId"] = list(product_ids)
        rows = self.rest.scan(
            "catalog.storeproduct.list", {"filter": flt}, id_field="id", items_key="storeProducts"
        )
        return self.amounts_of(list(rows))

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
        result = self.rest.call(
            "catalog.document.element.add",
            _element(doc, product_id, store_id, amount, purchasing_price),
            what=f"row of store document «{doc.title}»",
        ).result
        return int(result["documentElement"]["id"])

    def add_document_elements(
        self, doc: StoreDocument, store_id: int, rows: Mapping[int, Decimal]
    ) -> bool:
        """Rows (product id -> amount) added 50 a request; False: an answer was lost
        (the document stays unconducted). An error the portal answered is raised."""
        commands: dict[str, tuple[str, Params]] = {
            f"e{pid}": (
                "catalog.document.element.add",
                _element(doc, pid, store_id, amount, Decimal(0)),
            )
            for pid, amount in rows.items()
        }
        reply = self.rest.batch_all(commands, what=f"rows of store document «{doc.title}»")
        if reply.unknown:
            return False
        if reply.errors:
            raise next(iter(reply.errors.values()))
        return True

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


def _element(
    doc: StoreDocument, product_id: int, store_id: int, amount: Decimal, price: Decimal
) -> Params:
    side = "storeTo" if doc.doc_type == "S" else "storeFrom"
    return {
        "fields": {
            "docId": doc.id,
            "elementId": product_id,
            side: store_id,
            "amount": amount,
            "purchasingPrice": price,
        }
    }


def _document(row: Mapping[str, Any]) -> StoreDocument:
    return StoreDocument(
        int(row["id"]),
        str(row["docType"]),
        str(row.get("title") or ""),
        str(row.get("docNumber") or ""),
        str(row.get("status") or ""),
    )
