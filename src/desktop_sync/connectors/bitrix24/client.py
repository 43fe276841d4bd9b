"""``Bitrix24Client``: the domain-level reads and writes the sync engine needs.

Reads use the fast ID scan and batches (rows of 50 invoices per request);
writes carry their idempotency keys where DESIGN.md puts them (company
``ORIGINATOR_ID``+``ORIGIN_ID``, requisite ``XML_ID``, invoice and product
``xmlId``, store document ``title``) and each has a ``find_*`` lookup so that a
write whose outcome is unknown can be resolved before any retry.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from desktop_sync.connectors.bitrix24 import mapping
from desktop_sync.connectors.bitrix24.errors import (
    Bitrix24BadResponse,
    Bitrix24Error,
    Bitrix24NotFound,
    Bitrix24PermissionError,
    Bitrix24RequestError,
    Bitrix24ServerError,
)
from desktop_sync.connectors.bitrix24.fields import SYNC_FIELDS, CustomField
from desktop_sync.connectors.bitrix24.models import (
    CrmCompany,
    CrmInvoice,
    CrmProduct,
    CustomFieldInfo,
    Stage,
    StoreAmount,
    StoreDocument,
    TimelineComment,
    TimelineFile,
)
from desktop_sync.connectors.bitrix24.rest import BatchReply, Params, RestClient
from desktop_sync.domain.entities import (
    Counterparty,
    CounterpartyKind,
    InvoiceLine,
    PriceType,
    Product,
    ProductKind,
    Requisite,
    Unit,
    Warehouse,
)
from desktop_sync.domain.vat import VatRate

INVOICE = 31
COMPANY_SELECT = ["*", "UF_*", "PHONE", "EMAIL"]
PRESET = {
    CounterpartyKind.ORGANIZATION: 1,
    CounterpartyKind.SOLE_TRADER: 2,
    CounterpartyKind.PERSON: 3,
}
NEEDED_SCOPES = ("crm", "catalog", "userfieldconfig")


def _iso(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("a naive datetime cannot be sent to Bitrix24: give it a time zone")
    return value.isoformat()


# The catalog's reference lists, read together in one batch request (items key -> method).
_REFERENCE_LISTS = {
    "catalogs": "catalog.catalog.list",
    "measures": "catalog.measure.list",
    "vats": "catalog.vat.list",
    "priceTypes": "catalog.priceType.list",
}


class Bitrix24Client(RestClient):
    """The Bitrix24 side of the sync, over an inbound webhook."""

    _iblock: int | None = None

    # --- portal ---------------------------------------------------------------------

    def scopes(self) -> list[str]:
        return [str(s) for s in self.call("scope").result or []]

    def current_user(self) -> dict[str, Any]:
        result = self.call("profile").result
        return dict(result) if isinstance(result, Mapping) else {}

    def missing_scopes(self, needed: Iterable[str] = NEEDED_SCOPES) -> list[str]:
        have = set(self.scopes())
        return [s for s in needed if s not in have]

    # --- companies and requisites ----------------------------------------------------------

    def company_rows(self, modified_since: dt.datetime | None = None) -> list[dict[str, Any]]:
        flt: dict[str, Any] = {}
        if modified_since is not None:
            flt[">=DATE_MODIFY"] = _iso(modified_since)
        return list(self.scan("crm.company.list", {"select": COMPANY_SELECT, "filter": flt}))

    def requisite_rows(self, entity_type: int = 4) -> list[dict[str, Any]]:
        return list(self.scan("crm.requisite.list", {"filter": {"ENTITY_TYPE_ID": entity_type}}))

    def companies(
        self,
        modified_since: dt.datetime | None = None,
        *,
        requisites: dict[int, tuple[Requisite, ...]] | None = None,
    ) -> list[CrmCompany]:
        """Companies the webhook's user can see, each with its requisites (oldest first).

        Every requisite is read whatever ``modified_since`` says (adding one does not
        touch its company's DATE_MODIFY); with ``requisites``, they are also handed
        back by owner, so an incremental reader can refresh unchanged companies too.
        """
        rows = self.company_rows(modified_since)
        by_owner: dict[int, list[dict[str, Any]]] = {}
        for req in self.requisite_rows(4):
            owner = mapping.as_int(req.get("ENTITY_ID"))
            if owner is not None:
                by_owner.setdefault(owner, []).append(req)
        if requisites is not None:
            requisites.update(
                {
                    owner: tuple(mapping.requisite(r) for r in reqs)
                    for owner, reqs in by_owner.items()
                }
            )
        return [
            mapping.company(r, by_owner.get(mapping.as_int(r.get("ID")) or 0, []))
            for r in rows
            if r.get("IS_MY_COMPANY") != "Y"
        ]

    def contacts(self) -> list[CrmCompany]:
        rows = list(self.scan("crm.contact.list", {"select": ["*", "PHONE", "EMAIL"]}))
        by_owner: dict[int, list[dict[str, Any]]] = {}
        for req in self.requisite_rows(3):
            by_owner.setdefault(mapping.as_int(req.get("ENTITY_ID")) or 0, []).append(req)
        return [
            mapping.contact(r, by_owner.get(mapping.as_int(r.get("ID")) or 0, [])) for r in rows
        ]

    def find_company_by_origin(self, originator_id: str, origin_id: str) -> int | None:
        rows = (
            self.call(
                "crm.company.list",
                {
                    "filter": {"=ORIGINATOR_ID": originator_id, "=ORIGIN_ID": origin_id},
                    "select": ["ID"],
                    "order": {"ID": "ASC"},
                    "start": -1,
                },
            ).result
            or []
        )
        return mapping.as_int(rows[0]["ID"]) if rows else None

    def find_requisites(self, inn: str, kpp: str | None = None) -> list[Requisite]:
        flt: dict[str, Any] = {"RQ_INN": inn}
        if kpp is not None:
            flt["RQ_KPP"] = kpp
        rows = self.call("crm.requisite.list", {"filter": flt, "order": {"ID": "ASC"}}).result
        return [mapping.requisite(r) for r in rows or []]

    def requisite_owner(self, requisite_id: int) -> tuple[int, int]:
        """-> (entity type, entity id) the requisite belongs to."""
        row = self.call(
            "crm.requisite.get", {"id": requisite_id}, what=f"requisite {requisite_id}"
        ).result
        return int(row["ENTITY_TYPE_ID"]), int(row["ENTITY_ID"])

    def find_requisite_by_xml_id(self, xml_id: str) -> int | None:
        rows = (
            self.call(
                "crm.requisite.list", {"filter": {"=XML_ID": xml_id}, "select": ["ID"], "start": -1}
            ).result
            or []
        )
        return mapping.as_int(rows[0]["ID"]) if rows else None

    def add_company(
        self,
        cp: Counterparty,
        *,
        originator_id: str,
        origin_id: str,
        assigned_by: int | None = None,
    ) -> int:
        fields = company_fields(cp, originator_id, origin_id, assigned_by)
        result = self.call(
            "crm.company.add", {"fields": fields}, what=f"company «{cp.name}»"
        ).result
        return int(result)

    def find_contact_by_origin(self, originator_id: str, origin_id: str) -> int | None:
        rows = (
            self.call(
                "crm.contact.list",
                {
                    "filter": {"=ORIGINATOR_ID": originator_id, "=ORIGIN_ID": origin_id},
                    "select": ["ID"],
                    "order": {"ID": "ASC"},
                    "start": -1,
                },
            ).result
            or []
        )
        return mapping.as_int(rows[0]["ID"]) if rows else None

    def add_contact(self, cp: Counterparty, *, originator_id: str, origin_id: str) -> int:
        """A private person becomes a contact (its requisite: preset 3, owner type 3)."""
        parts = cp.name.split()
        parts += [""] * (3 - len(parts))
        fields: dict[str, Any] = {
            "LAST_NAME": parts[0],
            "NAME": parts[1],
            "SECOND_NAME": " ".join(parts[2:]).strip(),
            "ORIGINATOR_ID": originator_id,
            "ORIGIN_ID": origin_id,
        }
        if cp.phone:
            fields["PHONE"] = [{"VALUE": cp.phone, "VALUE_TYPE": "WORK"}]
        result = self.call("crm.contact.add", {"fields": fields}, what=f"contact «{cp.name}»")
        return int(result.result)

    def update_company(self, company_id: int, fields: Mapping[str, Any]) -> None:
        self.call(
            "crm.company.update",
            {"id": company_id, "fields": dict(fields)},
            what=f"company {company_id}",
        )

    def update_requisite(self, requisite_id: int, fields: Mapping[str, Any]) -> None:
        self.call(
            "crm.requisite.update",
            {"id": requisite_id, "fields": dict(fields)},
            what=f"requisite {requisite_id}",
        )

    def add_requisite(
        self,
        owner_id: int,
        req: Requisite,
        *,
        name: str,
        kind: CounterpartyKind = CounterpartyKind.ORGANIZATION,
        xml_id: str | None = None,
        owner_type: int = 4,
    ) -> int:
        fields = requisite_fields(
            owner_id, req, name=name, kind=kind, xml_id=xml_id, owner_type=owner_type
        )
        result = self.call(
            "crm.requisite.add", {"fields": fields}, what=f"requisite ИНН {req.inn} of «{name}»"
        ).result
        return int(result)

    def full_payments(self, invoices: Sequence[tuple[int, Decimal]]) -> list[int | Exception]:
        """Bitrix24 payments of whole invoices, marked paid, in a few batch requests.

        An invoice that already has a payment of its whole sum (``total``) gets that one
        (paid); any other gets a new payment with every row attached and paid, its
        commands in one batch request (the server runs a batch to the end even if our
        answer is lost, so a retry finds the payment by its sum: never a second one).
        Bitrix24 gives a payment no settable sum: it is the sum of the rows attached
        (research/bitrix24.md, Payments), hence whole invoices only.
        """
        ids = [iid for iid, _total in invoices]
        listed = self.batch_all(
            {
                f"i{iid}": ("crm.item.payment.list", {"entityTypeId": INVOICE, "entityId": iid})
                for iid in ids
            },
            what="payments of invoices",
        )
        rows = self.product_rows(ids)
        out: dict[int, int | Exception] = {}
        groups: list[dict[str, tuple[str, Params]]] = [{}]
        for n, (iid, total) in enumerate(invoices):
            if f"i{iid}" in listed.errors or f"i{iid}" in listed.unknown:
                out[n] = listed.errors.get(f"i{iid}") or Bitrix24ServerError(
                    "Bitrix24 did not answer a read of payments."
                )
                continue
            same = [
                int(p["id"])
                for p in listed.results.get(f"i{iid}") or []
                if mapping.as_decimal(p.get("sum") or 0, "a payment sum") == total
            ]
            cmds: dict[str, tuple[str, Params]] = {}
            if same:
                out[n] = same[0]
                cmds[f"y{n}"] = ("crm.item.payment.pay", {"id": same[0]})
            elif not rows.get(iid):
                out[n] = Bitrix24BadResponse(f"invoice {iid} has no rows to pay for")
                continue
            else:
                cmds[f"p{n}"] = (
                    "crm.item.payment.add",
                    {"entityTypeId": INVOICE, "entityId": iid},
                )
                for k, row in enumerate(rows[iid]):
                    cmds[f"r{n}x{k}"] = (
                        "crm.item.payment.product.add",
                        {"paymentId": f"$result[p{n}]", "rowId": row["id"],
                         "quantity": row["quantity"]},
                    )  # fmt: skip
                cmds[f"y{n}"] = ("crm.item.payment.pay", {"id": f"$result[p{n}]"})
            if len(groups[-1]) + len(cmds) > 50:  # an invoice's commands stay together
                groups.append({})
            groups[-1].update(cmds)
        for group in groups:
            if not group:
                continue
            reply = self.batch_all(group, what="payments of invoices")
            for n in sorted({int(key[1:].split("x")[0]) for key in group}):
                if f"p{n}" in group:
                    out[n] = _outcome(reply, f"p{n}", int)
                    attached = [
                        _outcome(reply, k, lambda _r: 1) for k in group if k.startswith(f"r{n}x")
                    ]
                    failed = next((r for r in attached if isinstance(r, Exception)), None)
                    if failed is not None and not isinstance(out[n], Exception):
                        out[n] = failed
                paid = _outcome(reply, f"y{n}", lambda _r: 1)
                if isinstance(paid, Exception) and not isinstance(out[n], Exception):
                    out[n] = paid
        return [out[n] for n in range(len(invoices))]

    def set_payment_paid(self, payment_id: int, paid: bool) -> None:
        self.call(
            "crm.item.payment.pay" if paid else "crm.item.payment.unpay",
            {"id": payment_id},
            what=f"payment {payment_id}",
        )

    def invoice_requisites(self, invoice_ids: Sequence[int]) -> dict[int, int]:
        """The buyer's requisite chosen on each invoice (``crm.requisite.link.get``, 50
        to a batch request); an invoice without a choice is left out. A failure other
        than "no link" is raised: a missing choice must not be invented by an outage."""
        commands: dict[str, tuple[str, Params]] = {
            f"i{iid}": ("crm.requisite.link.get", {"entityTypeId": INVOICE, "entityId": iid})
            for iid in invoice_ids
        }
        reply = self.batch_all(commands, what="requisites chosen on invoices")
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
        self.call(
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

    def find_companies_by_phone(self, phones: Sequence[str]) -> list[int]:
        result = self.call(
            "crm.duplicate.findbycomm",
            {"type": "PHONE", "values": list(phones)[:20], "entity_type": "COMPANY"},
        ).result
        if isinstance(result, Mapping):
            return [int(i) for i in result.get("COMPANY", [])]
        return []

    # --- catalog ---------------------------------------------------------------------------

    def _reference(self, key: str) -> list[dict[str, Any]]:
        """One of the catalog's reference lists (catalogs, measures, VAT rates, price
        types). The four travel in one batch request, once per client until
        :meth:`forget`; a list longer than a page is read on, page by page."""
        cache: dict[str, Any] = self.__dict__.setdefault("_ref_cache", {})
        if "lists" not in cache:
            reply = self.batch(
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
                    page = self.call(method, {"start": start})
                    rows += (page.result or {}).get(k) or []
                    start = page.next
                lists[k] = rows
            cache["lists"] = lists
        found: list[dict[str, Any]] = cache["lists"][key]
        return found

    def forget(self) -> None:
        """Drop the reference lists read so far: the next run sees the portal as it is."""
        self.__dict__.pop("_ref_cache", None)
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
        cache: dict[str, Any] = self.__dict__.setdefault("_ref_cache", {})
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

    def stores(self) -> list[Warehouse]:
        rows = list(self.scan("catalog.store.list", {}, id_field="id", items_key="stores"))
        return [Warehouse(name=str(r["title"]), crm_id=int(r["id"])) for r in rows]

    def base_prices(self) -> dict[int, Decimal]:
        base = next((p.crm_id for p in self.price_types() if p.base), None)
        if base is None:
            return {}
        rows = self.scan(
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
            flt[">=timestampX"] = _iso(modified_since)
        rows = self.scan(
            "catalog.product.list",
            {
                "select": [
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
                ],
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
            self.call(
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
        result = self.call(method, params, what=f"product «{product.name}»").result
        new_id = int(result["element"]["id"])
        price = self._price_add(product, new_id)
        if price is not None:
            self.call("catalog.price.add", price, what=f"price of «{product.name}»")
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
        reply = self.batch_all(commands, what="products")
        return [
            _outcome(reply, f"p{n}", lambda r: int(r["element"]["id"])) for n in range(len(items))
        ]

    def add_companies(
        self, items: Sequence[tuple[Counterparty, str]], *, originator_id: str
    ) -> list[tuple[int, int | None] | Exception]:
        """Many companies, each with its requisite (``XML_ID`` = ``ORIGIN_ID``), 25 to a
        batch request. One outcome per item: (company id, requisite id or None), or the
        error of the company's creation."""
        commands: dict[str, tuple[str, Params]] = {}
        for n, (cp, origin_id) in enumerate(items):
            commands[f"c{n}"] = (
                "crm.company.add",
                {"fields": company_fields(cp, originator_id, origin_id, None)},
            )
            if cp.inn:
                req = Requisite(cp.inn, cp.kpp, cp.full_name or cp.name)
                commands[f"r{n}"] = (
                    "crm.requisite.add",
                    {
                        "fields": requisite_fields(
                            f"$result[c{n}]", req, name=cp.name, kind=cp.kind, xml_id=origin_id
                        )
                    },
                )
        reply = self.batch_all(commands, what="companies")
        out: list[tuple[int, int | None] | Exception] = []
        for n, (cp, _origin) in enumerate(items):
            company = _outcome(reply, f"c{n}", int)
            if isinstance(company, Exception):
                out.append(company)
                continue
            requisite = _outcome(reply, f"r{n}", int) if cp.inn else None
            # A requisite that failed is added by the lookup of the next run (by XML_ID).
            out.append((company, requisite if isinstance(requisite, int) else None))
        return out

    def update_product(
        self, product_id: int, fields: Mapping[str, Any], *, service: bool = False
    ) -> None:
        """A catalog product's fields; a service through the services' own method, as it
        was created (``catalog.product.service.update``)."""
        self.call(
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
            self.call(
                "catalog.price.list",
                {"filter": {"productId": product_id, "catalogGroupId": base}},
            ).result
            or {}
        ).get("prices") or []
        what = f"price of product {product_id}"
        if rows:
            self.call(
                "catalog.price.update",
                {"id": rows[0]["id"], "fields": {"price": price, "currency": "RUB"}},
                what=what,
            )
        else:
            self.call(
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

    # --- invoices ----------------------------------------------------------------------------

    def invoice_category(self) -> int:
        cats = (self.call("crm.category.list", {"entityTypeId": INVOICE}).result or {}).get(
            "categories"
        ) or []
        default = [c for c in cats if c.get("isDefault") == "Y"] or cats
        if not default:
            raise Bitrix24Error("Smart invoices have no pipeline in this Bitrix24.")
        return int(default[0]["id"])

    def stages(self, category_id: int | None = None) -> list[Stage]:
        cat = self.invoice_category() if category_id is None else category_id
        rows = (
            self.call(
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
            flt[">=updatedTime"] = _iso(updated_since)
        return list(
            self.scan(
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
            reply = self.batch(commands, what="invoice product rows")
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
                    more = self.call("crm.item.productrow.list", _rows_params(grp, len(rows)))
                    page = (more.result or {}).get("productRows") or []
                    if not page:
                        break
                    rows.extend(page)
                for row in rows:
                    out.setdefault(int(row["ownerId"]), []).append(row)
        return out

    def invoices(
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

    def invoice(self, invoice_id: int) -> CrmInvoice:
        item = self.call(
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
            for r in self.scan(
                "crm.item.list",
                {"entityTypeId": INVOICE, "select": ["id"]},
                id_field="id",
                items_key="items",
            )
        ]

    def find_invoice_by_xml_id(self, xml_id: str) -> int | None:
        result = (
            self.call(
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
        result = self.call(
            "crm.item.add",
            {"entityTypeId": INVOICE, "fields": data},
            what=f"invoice {fields.get('accountNumber', xml_id)}",
        ).result
        return int(result["item"]["id"])

    def update_invoice(self, invoice_id: int, fields: Mapping[str, Any]) -> CrmInvoice:
        result = self.call(
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
        self.call(
            "crm.item.productrow.set",
            {"ownerType": "SI", "ownerId": invoice_id, "productRows": rows},
            what=f"rows of invoice {invoice_id}",
        )

    def add_timeline_comment(
        self, invoice_id: int, text: str, files: Sequence[tuple[str, bytes]] = ()
    ) -> int:
        """A comment on the invoice's timeline; ``files`` (name, content) go with it, in
        Base64 without line breaks, as ``FILES: [[name, base64], …]``."""
        fields: dict[str, Any] = {
            "ENTITY_ID": invoice_id,
            "ENTITY_TYPE": "dynamic_31",
            "COMMENT": text,
        }
        if files:
            fields["FILES"] = [
                [name, base64.b64encode(data).decode("ascii")] for name, data in files
            ]
        result = self.call(
            "crm.timeline.comment.add",
            {"fields": fields},
            what=f"timeline of invoice {invoice_id}",
        ).result
        return int(result)

    def timeline(self, invoice_id: int) -> list[TimelineComment]:
        """The invoice's timeline comments with their files (``FILES`` keyed by file id)."""
        rows = (
            self.call(
                "crm.timeline.comment.list",
                {
                    "filter": {"ENTITY_ID": invoice_id, "ENTITY_TYPE": "dynamic_31"},
                    "select": ["ID", "COMMENT", "FILES"],
                },
            ).result
            or []
        )
        out = []
        for r in rows:
            raw = r.get("FILES") or {}
            items = raw.values() if isinstance(raw, dict) else raw
            files = tuple(
                TimelineFile(
                    int(f.get("id") or 0), str(f.get("name") or ""), int(f.get("size") or 0)
                )
                for f in items
                if isinstance(f, dict)
            )
            out.append(TimelineComment(int(r.get("ID") or 0), str(r.get("COMMENT") or ""), files))
        return out

    def timeline_comments(self, invoice_id: int) -> list[str]:
        rows = (
            self.call(
                "crm.timeline.comment.list",
                {"filter": {"ENTITY_ID": invoice_id, "ENTITY_TYPE": "dynamic_31"}},
            ).result
            or []
        )
        return [str(r.get("COMMENT") or "") for r in rows]

    def payments(self, invoice_id: int) -> list[dict[str, Any]]:
        result = self.call(
            "crm.item.payment.list", {"entityTypeId": INVOICE, "entityId": invoice_id}
        ).result
        return list(result or [])

    # --- custom fields (setup) --------------------------------------------------------------

    def custom_fields(self) -> list[CustomFieldInfo]:
        """The smart invoice's custom fields. ``entityId`` is not among the documented
        filter fields of ``userfieldconfig.list``, so every CRM field is listed and
        the invoice's are kept here."""
        rows = self.scan(
            "userfieldconfig.list",
            {"moduleId": "crm"},
            id_field="id",
            items_key="fields",
        )
        return [
            CustomFieldInfo(
                int(r["id"]), str(r["fieldName"]), str(r["userTypeId"]), r.get("multiple") == "Y"
            )
            for r in rows
            if r.get("entityId") == "CRM_SMART_INVOICE"
        ]

    def missing_custom_fields(self) -> list[CustomField]:
        have = {f.name for f in self.custom_fields()}
        return [f for f in SYNC_FIELDS if f.name not in have]

    def add_custom_field(self, spec: CustomField) -> int:
        result = self.call(
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
            what=f"custom field «{spec.label_ru}»",
        ).result
        return int(result["field"]["id"])

    def setup_custom_fields(self) -> list[CustomField]:
        """Create the missing sync fields; returns those created (nothing on a second run)."""
        missing_scopes = self.missing_scopes(("crm", "userfieldconfig"))
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

    # --- stock -----------------------------------------------------------------------------

    def inventory_enabled(self) -> bool:
        return self.call("catalog.document.mode.status").result in ("Y", True)

    def store_amounts(self, product_ids: Sequence[int] | None = None) -> list[StoreAmount]:
        flt: dict[str, Any] = {}
        if product_ids is not None:
            flt["@productId"] = list(product_ids)
        rows = self.scan(
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
            self.call(
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
        result = self.call(
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
        result = self.call(
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
            self.scan(
                "catalog.document.element.list",
                {"filter": {"docId": doc_id}},
                id_field="id",
                items_key="documentElements",
            )
        )

    def conduct_document(self, doc_id: int) -> None:
        self.call("catalog.document.conduct", {"id": doc_id}, what=f"store document {doc_id}")


def company_fields(
    cp: Counterparty, originator_id: str, origin_id: str, assigned_by: int | None
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "TITLE": cp.name,
        "COMPANY_TYPE": "CUSTOMER",
        "ORIGINATOR_ID": originator_id,
        "ORIGIN_ID": origin_id,
    }
    if cp.phone:
        fields["PHONE"] = [{"VALUE": cp.phone, "VALUE_TYPE": "WORK"}]
    if cp.email:
        fields["EMAIL"] = [{"VALUE": cp.email, "VALUE_TYPE": "WORK"}]
    if assigned_by is not None:
        fields["ASSIGNED_BY_ID"] = assigned_by
    return fields


def requisite_fields(
    owner_id: int | str,
    req: Requisite,
    *,
    name: str,
    kind: CounterpartyKind = CounterpartyKind.ORGANIZATION,
    xml_id: str | None = None,
    owner_type: int = 4,
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "ENTITY_TYPE_ID": owner_type,
        "ENTITY_ID": owner_id,
        "PRESET_ID": PRESET[kind],
        "NAME": {1: "Организация", 2: "ИП", 3: "Физ. лицо"}[PRESET[kind]],
        "RQ_INN": req.inn,
        "ACTIVE": "Y",
    }
    if kind is CounterpartyKind.ORGANIZATION:
        fields["RQ_KPP"] = req.kpp
        fields["RQ_COMPANY_NAME"] = name
        fields["RQ_COMPANY_FULL_NAME"] = req.full_name or name
    else:
        fields["RQ_NAME"] = name
    if xml_id is not None:
        fields["XML_ID"] = xml_id
    return fields


def _outcome(reply: BatchReply, key: str, convert: Callable[[Any], int]) -> int | Exception:
    """One batch command's outcome: its converted result, or why there is none."""
    if key in reply.unknown:
        return Bitrix24ServerError(
            "Bitrix24 did not answer the batch that carried this write.", outcome_unknown=True
        )
    if key in reply.errors:
        error: Exception = reply.errors[key]
        return error
    if key not in reply.results:
        return Bitrix24BadResponse("Bitrix24 left a batch command without a result.")
    try:
        value: int = convert(reply.results[key])
        return value
    except (KeyError, TypeError, ValueError):
        return Bitrix24BadResponse(f"Bitrix24 answered {key} in an unknown shape.")


def _rows_params(invoice_ids: Sequence[int], start: int) -> dict[str, Any]:
    owner: int | list[int] = invoice_ids[0] if len(invoice_ids) == 1 else list(invoice_ids)
    return {"filter": {"=ownerType": "SI", "=ownerId": owner}, "start": start}


def _document(row: Mapping[str, Any]) -> StoreDocument:
    return StoreDocument(
        int(row["id"]),
        str(row["docType"]),
        str(row.get("title") or ""),
        str(row.get("docNumber") or ""),
        str(row.get("status") or ""),
    )
