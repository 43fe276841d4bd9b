"""The product catalog (``catalog.product.*``) with its reference lists (catalogs,
measures, VAT rates, price types: one batch request per run) and the base prices
(``catalog.price.*``). A product's key is its ``xmlId``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from desktop_sync.connectors.bitrix24 import mapping
from desktop_sync.connectors.bitrix24.envelope import Params, outcome
from desktop_sync.connectors.bitrix24.errors import Bitrix24Error
from desktop_sync.connectors.bitrix24.models import CrmProduct
from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.connectors.bitrix24.timestamps import iso
from desktop_sync.domain.entities import PriceType, Product, ProductKind, Unit
from desktop_sync.domain.vat import VatRate

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

    def _reference(self, key: str) -> list[dict[str, Any]]:
        """One of the catalog's reference lists (catalogs, measures, VAT rates, price
        types). The four travel in one batch request, once per client until
        :meth:`forget`; a list longer than a page is read on, page by page."""
        cache = self._cache
        if "lists" not in cache:
            reply = self.rest.batch(
                {k: (m, {}) for k, m in _REFERENCE_LISTS.items()},
                what="catalog reference lists",
            )
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
            cache["lists"] = lists
        found: list[dict[str, Any]] = cache["lists"][key]
        return found

    def forget(self) -> None:
        """Drop the reference lists read so far: the next run sees the portal as it is."""
        self._cache = {}
        self._iblock = None

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

    def base_prices(self) -> dict[int, Decimal]:
        base = next((p.crm_id for p in self.price_types() if p.base), None)
        if base is None:
            return {}
        rows = self.rest.scan(
            "catalog.price.list",
            {"filter": {"catalogGroupId": base}},
            id_field="id",
            items_key="prices",
        )
        return {int(r["productId"]): mapping.as_decimal(r["price"], "a price") for r in rows}

    def products(
        self,
        modified_since: dt.datetime | None = None,
        *,
        prices: Mapping[int, Decimal] | None = None,
    ) -> list[CrmProduct]:
        """Catalog products with their base price (``prices``: the base prices already
        read, see :meth:`base_prices`)."""
        flt: dict[str, Any] = {"iblockId": self.product_iblock()}
        if modified_since is not None:
            flt[">=timestampX"] = iso(modified_since)
        rows = self.rest.scan(
            "catalog.product.list",
            {
                "select": PRODUCT_SELECT,
                "filter": flt,
            },
            id_field="id",
            items_key="products",
        )
        measures = {u.crm_id: u for u in self.measures() if u.crm_id is not None}
        vats = self.vat_rates()
        if prices is None:
            prices = self.base_prices()
        return [mapping.product(r, measures, vats, prices.get(int(r["id"]))) for r in rows]

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
        reply = self.rest.batch_all(commands, what="products")
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
