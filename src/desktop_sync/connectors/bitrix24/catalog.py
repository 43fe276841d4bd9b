"""The product catalog (``catalog.product.*``) with its reference lists (catalogs,
measures, VAT rates, price types: one batch request per run) and the base prices
(``catalog.price.*``). A product's key is its ``xmlId``."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from desktop_sync.connectors.bitrix24 import mapping
from desktop_sync.connectors.bitrix24.envelope import BatchReply, Params, outcome
from desktop_sync.connectors.bitrix24.errors import Bitrix24Error
from desktop_sync.connectors.bitrix24.models import CrmProduct
from desktop_sync.connectors.bitrix24.paging import ListScan, Settle, scan_together
from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.connectors.bitrix24.timestamps import iso
from desktop_sync.domain.entities import PriceType, Product, ProductKind, Unit
from desktop_sync.domain.vat import VatRate
from desktop_sync.i18n import N_

# The catalog's reference lists, read together in one batch request (items key -> method).
_REFERENCE_LISTS = {
    "catalogs": "catalog.catalog.list",
    "measures": "catalog.measure.list",
    "vats": "catalog.vat.list",
    "priceTypes": "catalog.priceType.list",
}

PRODUCT_SELECT = [
    "id",
    "iblockId",
    "name",
    "xmlId",
    "active",
    "type",
    "measure",
    "vatId",
    "vatIncluded",
    "timestampX",
]


class Catalog:
    """Catalog products and their base prices."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest
        self._cache: dict[str, Any] = {}
        self._iblock: int | None = None
        self._price_rows: dict[int, int] = {}  # product id -> its base price row, as read

    def reference_commands(self) -> dict[str, tuple[str, Params]]:
        """The reference lists' commands for a batch, if they are not read yet."""
        if "lists" in self._cache:
            return {}
        return {k: (m, {}) for k, m in _REFERENCE_LISTS.items()}

    def take_references(self, reply: BatchReply) -> None:
        """Keep the reference lists a batch answered; a list longer than a page is
        read on, page by page."""
        lists: dict[str, list[dict[str, Any]]] = {}
        for k, method in _REFERENCE_LISTS.items():
            if k in reply.errors:
                raise reply.errors[k]
            rows = list((reply.results.get(k) or {}).get(k) or [])
            start = reply.nexts.get(k)
            while start:
                page = self.rest.call(method, {"start": start})
                rows += (page.result or {}).get(k) or []
                start = page.next
            lists[k] = rows
        self._cache["lists"] = lists

    def _reference(self, key: str) -> list[dict[str, Any]]:
        """One of the catalog's reference lists (catalogs, measures, VAT rates, price
        types). The four travel in one batch request, once per client until
        :meth:`forget` (or beside the first pages of a catalog read)."""
        if "lists" not in self._cache:
            reply = self.rest.batch(self.reference_commands(), what=N_("catalog reference lists"))
            self.take_references(reply)
        found: list[dict[str, Any]] = self._cache["lists"][key]
        return found

    def forget(self) -> None:
        """Drop the reference lists read so far: the next run sees the portal as it is."""
        self._cache = {}
        self._iblock = None
        self._price_rows = {}

    def product_iblock(self) -> int:
        if self._iblock is None:
            cats = self._reference("catalogs")
            main = [c for c in cats if not c.get("productIblockId")]
            if not main:
                raise Bitrix24Error("Bitrix24 has no product catalog (catalog.catalog.list).")
            self._iblock = int(main[0]["iblockId"])
        return self._iblock

    def _cached(self, name: str, read: Callable[[], Any]) -> Any:
        """Reference lists (measures, VAT rates, price types) read once per client."""
        cache = self._cache
        if name not in cache:
            cache[name] = read()
        return cache[name]

    def measures(self) -> list[Unit]:
        rows = self._reference("measures")
        return [
            Unit(okei=str(r["code"]).zfill(3), name=str(r.get("symbol") or ""), crm_id=int(r["id"]))
            for r in rows
        ]

    def measure_id(self, okei: str) -> int | None:
        """The portal's unit of measure with this ОКЕИ code, if it has one."""
        code = okei.zfill(3)
        return next((u.crm_id for u in self.measures() if u.okei == code), None)

    def vat_rates(self) -> dict[int, VatRate]:
        rows = self._reference("vats")
        out: dict[int, VatRate] = {}
        for r in rows:
            try:
                out[int(r["id"])] = mapping.vat_from_rate(r.get("rate"))
            except ValueError:
                continue  # a rate that is no Russian VAT: a product using it is reported
        return out

    def vat_id(self, rate: VatRate) -> int | None:
        for vat_id, r in self.vat_rates().items():
            if r is rate or (
                r.percent == rate.percent
                and r is not VatRate.WITHOUT
                and rate is not VatRate.WITHOUT
            ):
                return vat_id
        return None

    def price_types(self) -> list[PriceType]:
        rows = self._reference("priceTypes")
        return [
            PriceType(name=str(r["name"]), crm_id=int(r["id"]), base=r.get("base") == "Y")
            for r in rows
        ]

    def _base_type(self) -> int | None:
        return next((p.crm_id for p in self.price_types() if p.base), None)

    def base_prices(self) -> dict[int, Decimal]:
        if self._base_type() is None:
            return {}
        lists = {"prices": self.price_scan(self._base_type())}
        return self.prices_of(scan_together(self.rest, lists).rows["prices"])

    @staticmethod
    def prices_of(rows: Sequence[Mapping[str, Any]]) -> dict[int, Decimal]:
        return {int(r["productId"]): mapping.as_decimal(r["price"], "a price") for r in rows}

    def keep_price_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """The base price rows a read listed (``price_scan``): a price written later in
        this run updates its row without reading it again (the first row of a product,
        as a read by product gives it)."""
        for r in rows:
            self._price_rows.setdefault(int(r["productId"]), int(r["id"]))

    def price_rows(self) -> Mapping[int, int]:
        """Product id -> its base price row, as this run's read listed them."""
        return self._price_rows

    def product_scan(
        self, iblock: int | str, since: dt.datetime | None = None, pages: float = math.inf
    ) -> ListScan:
        flt: dict[str, Any] = {"iblockId": iblock}
        if since is not None:
            flt[">=timestampX"] = iso(since)
        return ListScan(
            "catalog.product.list",
            {"select": PRODUCT_SELECT, "filter": flt},
            id_field="id",
            items_key="products",
            pages=pages,
        )

    def price_scan(
        self, base: int | str | None, since: dt.datetime | None = None, pages: float = math.inf
    ) -> ListScan:
        flt: dict[str, Any] = {"catalogGroupId": 0 if base is None else base}
        if since is not None:
            flt[">=timestampX"] = iso(since)
        return ListScan(
            "catalog.price.list", {"filter": flt}, id_field="id", items_key="prices", pages=pages
        )

    def scans(
        self, since: dt.datetime | None = None, *, pages: float = math.inf
    ) -> tuple[dict[str, ListScan], dict[str, tuple[str, Params]], Settle]:
        """The product and base-price lists (changed ``since``) for :func:`scan_together`,
        with the reference lists' commands if they are not read yet.

        Unread, the catalog and the base price type are taken in the same batch by
        reference to the first of each list (the usual portal); once the lists are
        read, a wrong guess starts its list again with the right one."""
        extra = self.reference_commands()
        if extra:
            iblock: int | str = "$result[catalogs][catalogs][0][iblockId]"
            base: int | str | None = "$result[priceTypes][priceTypes][0][id]"
        else:
            iblock, base = self.product_iblock(), self._base_type()
        lists = {
            "products": self.product_scan(iblock, since, pages),
            "prices": self.price_scan(base, since, pages),
        }

        def settle(reply: BatchReply) -> dict[str, tuple[ListScan, bool]]:
            self.take_references(reply)
            first = _first(reply, "catalogs")
            guessed = (first.get("iblockId"), _first(reply, "priceTypes").get("id"))
            right = (self.product_iblock(), self._base_type())
            return {
                "products": (
                    self.product_scan(right[0], since, pages),
                    _int(guessed[0]) != right[0],
                ),
                "prices": (self.price_scan(right[1], since, pages), _int(guessed[1]) != right[1]),
            }

        return lists, extra, settle

    def read(self, since: dt.datetime | None = None) -> tuple[list[CrmProduct], dict[int, Decimal]]:
        """Products (changed ``since``) and base prices (set ``since``), their pages
        sharing batch requests with each other and with the reference lists."""
        lists, extra, settle = self.scans(since)
        got = scan_together(self.rest, lists, extra, settle=settle)
        prices = self.prices_of(got.rows["prices"])
        return self.products_of(got.rows["products"], prices), prices

    def products_of(
        self, rows: Sequence[Mapping[str, Any]], prices: Mapping[int, Decimal]
    ) -> list[CrmProduct]:
        measures = {u.crm_id: u for u in self.measures() if u.crm_id is not None}
        vats = self.vat_rates()
        return [mapping.product(r, measures, vats, prices.get(int(r["id"]))) for r in rows]

    def products(
        self,
        modified_since: dt.datetime | None = None,
        *,
        prices: Mapping[int, Decimal] | None = None,
    ) -> list[CrmProduct]:
        """Catalog products with their base price (``prices``: the base prices already
        read, see :meth:`base_prices`; without them, both are read together)."""
        if prices is None:
            return self.read(modified_since)[0]
        lists = {"products": self.product_scan(self.product_iblock(), modified_since)}
        rows = scan_together(self.rest, lists).rows["products"]
        return self.products_of(rows, prices)

    def find_product_by_xml_id(self, xml_id: str) -> int | None:
        result = (
            self.rest.call(
                "catalog.product.list",
                {
                    "select": ["id", "iblockId"],
                    "start": -1,
                    "filter": {"iblockId": self.product_iblock(), "=xmlId": xml_id},
                },
            ).result
            or {}
        )
        rows = result.get("products") or []
        return int(rows[0]["id"]) if rows else None

    def _product_add(self, product: Product, xml_id: str) -> tuple[str, dict[str, Any]]:
        measure = None
        if product.unit is not None:
            units = self._cached("measures", self.measures)
            measure = next((u.crm_id for u in units if u.okei == product.unit.okei), None)
        vats = self._cached("vats", self.vat_rates)
        fields: dict[str, Any] = {
            "iblockId": self.product_iblock(),
            "name": product.name,
            "xmlId": xml_id,
            "vatIncluded": "Y",
            "vatId": next((i for i, r in vats.items() if r is product.vat_rate), None),
            "measure": measure,
        }
        method = (
            "catalog.product.service.add"
            if product.kind is ProductKind.SERVICE
            else "catalog.product.add"
        )
        return method, {"fields": fields}

    def _price_add(self, product: Product, product_id: int | str) -> dict[str, Any] | None:
        if product.price is None:
            return None
        base = next((p.crm_id for p in self._cached("prices", self.price_types) if p.base), None)
        if base is None:
            return None
        return {
            "fields": {
                "productId": product_id,
                "catalogGroupId": base,
                "price": product.price,
                "currency": "RUB",
            }
        }

    def add_product(self, product: Product, *, xml_id: str) -> int:
        method, params = self._product_add(product, xml_id)
        result = self.rest.call(method, params, what=f"product «{product.name}»").result
        new_id = int(result["element"]["id"])
        price = self._price_add(product, new_id)
        if price is not None:
            self.rest.call("catalog.price.add", price, what=f"price of «{product.name}»")
        return new_id

    def add_products(self, items: Sequence[tuple[Product, str]]) -> list[int | Exception]:
        """Many products (with their base price), 25 to a batch request.

        One outcome per item, in order: the new id, or the error — a
        ``Bitrix24ServerError`` with ``outcome_unknown`` when the answer was lost.
        """
        commands: dict[str, tuple[str, Params]] = {}
        for n, (product, xml_id) in enumerate(items):
            commands[f"p{n}"] = self._product_add(product, xml_id)
            price = self._price_add(product, f"$result[p{n}][element][id]")
            if price is not None:
                commands[f"q{n}"] = ("catalog.price.add", price)
        reply = self.rest.batch_all(commands, what=N_("products"))
        return [
            outcome(reply, f"p{n}", lambda r: int(r["element"]["id"])) for n in range(len(items))
        ]

    def update_product(
        self, product_id: int, fields: Mapping[str, Any], *, service: bool = False
    ) -> None:
        """A catalog product's fields; a service through the services' own method, as it
        was created (``catalog.product.service.update``)."""
        self.rest.call(
            "catalog.product.service.update" if service else "catalog.product.update",
            {"id": product_id, "fields": dict(fields)},
            what=f"product {product_id}",
        )

    def set_base_price(self, product_id: int, price: Decimal) -> None:
        """Write the base price (update the existing price row, or add one)."""
        base = next((p.crm_id for p in self.price_types() if p.base), None)
        if base is None:
            raise Bitrix24Error("Bitrix24 has no base price type (catalog.priceType.list).")
        rows = (
            self.rest.call(
                "catalog.price.list",
                {"filter": {"productId": product_id, "catalogGroupId": base}},
            ).result
            or {}
        ).get("prices") or []
        what = f"price of product {product_id}"
        if rows:
            self.rest.call(
                "catalog.price.update",
                {"id": rows[0]["id"], "fields": {"price": price, "currency": "RUB"}},
                what=what,
            )
        else:
            self.rest.call(
                "catalog.price.add",
                {
                    "fields": {
                        "productId": product_id,
                        "catalogGroupId": base,
                        "price": price,
                        "currency": "RUB",
                    }
                },
                what=what,
            )


def _first(reply: BatchReply, key: str) -> Mapping[str, Any]:
    rows = (reply.results.get(key) or {}).get(key) or []
    return rows[0] if rows and isinstance(rows[0], Mapping) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
