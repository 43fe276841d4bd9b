"""Inventory: stores, stock balances and store documents (``catalog.store.*``,
``catalog.storeproduct.*``, ``catalog.document.*``). A document's key is its title."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from functools import partial
from typing import Any

from desktop_sync.connectors.bitrix24 import mapping
from desktop_sync.connectors.bitrix24.envelope import IN_LIST, MAX_BATCH, BatchReply, Params
from desktop_sync.connectors.bitrix24.errors import Bitrix24ServerError
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
        return _found(self.rest.call(*_find(title)).result)

    def find_with_amounts(
        self, titles: Sequence[str], product_ids: Sequence[int], stores: Sequence[int] = ()
    ) -> tuple[dict[str, StoreDocument], list[StoreAmount]]:
        """The documents of these titles (those there are) and these products' balances
        (in ``stores`` only, if given), read together: one request while the balances fit
        in 50 pages. The products go :data:`IN_LIST` to a list filter: the portal keeps
        only the first 1,000 parameters of a command, and a longer list lost the rest."""
        flt: dict[str, Any] = {"@storeId": list(stores)} if stores else {}
        ids = list(product_ids)
        scans = {
            f"a{n}": replace(
                self.amount_scan(), params={"filter": {**flt, "@productId": ids[n : n + IN_LIST]}}
            )
            for n in range(0, len(ids), IN_LIST)
        }
        finds = {f"doc{n}": _find(title) for n, title in enumerate(titles)}
        got = scan_together(self.rest, scans, finds)
        for key in finds:
            if key in got.extra.errors:
                raise got.extra.errors[key]
        found = {t: _found(got.extra.results.get(f"doc{n}")) for n, t in enumerate(titles)}
        amounts = [a for key in scans for a in self.amounts_of(got.rows[key])]
        return {t: d for t, d in found.items() if d is not None}, amounts

    def add_store_document(
        self, doc_type: str, *, title: str, doc_number: str = "", comment: str = ""
    ) -> StoreDocument:
        result = self.rest.call(
            *_add(doc_type, title, doc_number, comment), what=f"store document «{title}»"
        ).result
        return _document(result["document"])

    def write_document(
        self, doc: StoreDocument, store_id: int, rows: Mapping[int, Decimal], comment: str = ""
    ) -> StoreDocument | None:
        """A document's rows (product id -> amount) and its conduct, 50 commands to a batch
        request; one not made yet (id 0) is added first, with ``comment``, in the same
        request, its rows and conduct referring to it by ``$result``. Each request halts
        at a refusal, so a document missing rows is never conducted; the refusal is
        raised. None: an answer was lost (the document stays unconducted, the next plan
        finishes it)."""
        commands: list[tuple[str, Callable[[int | str], tuple[str, Params]]]] = [
            (f"e{pid}", partial(_element, doc.doc_type, pid, store_id, amount))
            for pid, amount in rows.items()
        ]
        commands.append(("conduct", lambda ref: ("catalog.document.conduct", {"id": ref})))
        if not doc.id:
            add = _add(doc.doc_type, doc.title, doc.doc_number, comment)
            commands.insert(0, ("doc", lambda _ref: add))
        what = f"store document «{doc.title}»"
        for start in range(0, len(commands), MAX_BATCH):
            ref: int | str = doc.id or "$result[doc][document][id]"
            chunk = {key: make(ref) for key, make in commands[start : start + MAX_BATCH]}
            try:
                reply = self.rest.batch(chunk, halt=True, what=what)
            except Bitrix24ServerError as exc:
                if exc.outcome_unknown:
                    return None
                raise
            if reply.errors:
                raise next(iter(reply.errors.values()))
            if "doc" in reply.results:
                doc = _document(reply.results["doc"]["document"])
        return doc

    def add_document_element(
        self, doc: StoreDocument, product_id: int, store_id: int, amount: Decimal
    ) -> int:
        result = self.rest.call(
            *_element(doc.doc_type, product_id, store_id, amount, doc.id),
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


def _find(title: str) -> tuple[str, Params]:
    # the newest: an unfinished one after earlier conducted ones of the title
    return "catalog.document.list", {
        "filter": {"=title": title}, "start": -1, "order": {"id": "DESC"}
    }  # fmt: skip


def _found(result: Any) -> StoreDocument | None:
    rows = (result or {}).get("documents") or []
    return _document(rows[0]) if rows else None


def _add(doc_type: str, title: str, doc_number: str, comment: str) -> tuple[str, Params]:
    if doc_type not in ("S", "D"):
        raise ValueError("the sync writes only S (оприходование) and D (списание) documents")
    return "catalog.document.add", {
        "fields": {
            "docType": doc_type, "title": title, "docNumber": doc_number, "currency": "RUB",
            "commentary": comment,
        }
    }  # fmt: skip


def _element(
    doc_type: str, product_id: int, store_id: int, amount: Decimal, doc_id: int | str
) -> tuple[str, Params]:
    side = "storeTo" if doc_type == "S" else "storeFrom"
    return "catalog.document.element.add", {
        "fields": {
            "docId": doc_id,
            "elementId": product_id,
            side: store_id,
            "amount": amount,
            "purchasingPrice": Decimal(0),
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
