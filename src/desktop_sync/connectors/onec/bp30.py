"""The BP 3.0 mapping (1С:Бухгалтерия предприятия 3.0): its reads and write bodies.

Contracts are owned by the counterparty (``Owner_Key``), VAT is an enumeration on
each row, payment rows name the invoice (``СчетНаОплату_Key``), and stock is the
balance of the goods account in ``AccountingRegister_Хозрасчетный`` (A7).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from desktop_sync.connectors.onec import bodies, convert
from desktop_sync.connectors.onec import literals as lit
from desktop_sync.connectors.onec.errors import OnecError
from desktop_sync.connectors.onec.literals import Guid, Query
from desktop_sync.connectors.onec.mapping import Configuration
from desktop_sync.connectors.onec.records import payments_of
from desktop_sync.connectors.onec.transport import CreateResult
from desktop_sync.domain import entities as e
from desktop_sync.i18n import tr

# What a goods-account balance row is read for: its subconto (product, warehouse) and
# the quantity.
_STOCK_FIELDS = (
    *(f"ExtDimension{i}{t}" for i in (1, 2, 3) for t in ("", "_Type")),
    "КоличествоBalance",
)


class Bp30(Configuration):
    """1С:Бухгалтерия предприятия 3.0."""

    # --- catalogs ---------------------------------------------------------------------

    def counterparties(self) -> list[e.Counterparty]:
        rows = self.rows("counterparties", Query(filter=lit.eq("IsFolder", False)))
        return [convert.counterparty(r) for r in rows]

    def contracts(self, counterparty_ref: str | None = None) -> list[e.Contract]:
        flt = lit.eq("Owner_Key", Guid(counterparty_ref)) if counterparty_ref else ""
        return [
            convert.contract(r)
            for r in self.read("contracts", Query(filter=flt))
            if not r.get("DeletionMark")
        ]

    def units(self) -> list[e.Unit]:
        if "units" not in self._cache:
            self._cache["units"] = [convert.unit(r) for r in self.read("units")]
        units: list[e.Unit] = self._cache["units"]
        return units

    def price_types(self) -> list[e.PriceType]:
        # BP has no "base" flag: the first price type by code is taken as the base one.
        rows = self.read("price_types", Query(orderby=("Code",)))
        first = rows[0]["Ref_Key"] if rows else None
        return [convert.price_type(r, first) for r in rows if not r.get("DeletionMark")]

    def products(self, with_prices: bool = True) -> list[e.Product]:
        """Products with the base price type's current price (two more requests)."""
        units = {u.onec_ref or "": u for u in self.units()}
        rows = self.rows("products", Query(filter=lit.eq("IsFolder", False)))
        today = self.today()
        products = [convert.product(r, units, today) for r in rows]
        if with_prices:
            prices = self.prices()
            products = [replace(p, price=prices.get(p.onec_ref or "")) for p in products]
        self._cache["products"] = {p.onec_ref or "": p for p in products}  # names for rows
        return products

    # --- documents --------------------------------------------------------------------

    def invoice_from(self, r: dict[str, Any]) -> e.Invoice | None:
        entity = self.profile.set("invoices")
        h = convert.head(r)
        if h is None:
            return None
        included = bool(r.get("СуммаВключаетНДС", True))
        return e.Invoice(
            **h,
            lines=tuple(
                convert.lines(r.get("Товары") or [], entity, included, self.product_names())
            ),
            contract_ref=convert.ref(r.get("ДоговорКонтрагента_Key")),
            comment=str(r.get("Комментарий") or ""),
            organization_ref=convert.ref(r.get("Организация_Key")),
        )

    def payments(
        self,
        since: dt.date | None = None,
        until: dt.date | None = None,
        kinds: tuple[e.PaymentKind, ...] = tuple(e.PaymentKind),
    ) -> list[e.Payment]:
        return payments_of(
            self.payment_rows(since, until, kinds),
            amount="СуммаПлатежа",
            contract="ДоговорКонтрагента_Key",
            invoice_of=lambda row: convert.ref(row.get("СчетНаОплату_Key")),
        )

    def shipments(
        self, since: dt.date | None = None, until: dt.date | None = None
    ) -> list[e.Shipment]:
        entity = self.profile.set("shipments")
        names = self.product_names()
        out = []
        for r in self.rows("shipments", Query(filter=self.window(since, until))):
            h = convert.head(r)
            if h is None:
                continue
            included = bool(r.get("СуммаВключаетНДС", True))
            goods = convert.lines(r.get("Товары") or [], entity, included, names)
            services = convert.lines(
                r.get("Услуги") or [], entity, included, names, start=len(goods) + 1
            )
            out.append(
                e.Shipment(
                    **h,
                    lines=tuple(goods + services),
                    invoice_ref=convert.ref(r.get("СчетНаОплатуПокупателю_Key")),
                )
            )
        return out

    def returns(self, since: dt.date | None = None, until: dt.date | None = None) -> list[e.Return]:
        entity = self.profile.set("returns")
        names = self.product_names()
        rows = self.read("returns", Query(filter=self.window(since, until)))
        shipment_refs = sorted(
            {
                r["ДокументРеализации_Key"]
                for r in rows
                if convert.ref(r.get("ДокументРеализации_Key"))
            }
        )
        invoice_of = {
            str(s["Ref_Key"]): convert.ref(s.get("СчетНаОплатуПокупателю_Key"))
            for s in self.odata.by_refs(
                self.profile.set("shipments"),
                shipment_refs,
                ("Ref_Key", "СчетНаОплатуПокупателю_Key"),
            )
        }
        out = []
        for r in rows:
            h = convert.head(r)
            if h is None:
                continue
            shipment = convert.ref(r.get("ДокументРеализации_Key"))
            out.append(
                e.Return(
                    **h,
                    lines=tuple(
                        convert.lines(
                            r.get("Товары") or [],
                            entity,
                            bool(r.get("СуммаВключаетНДС", True)),
                            names,
                        )
                    ),
                    shipment_ref=shipment,
                    invoice_ref=invoice_of.get(shipment or ""),
                )
            )
        return out

    # --- stock ------------------------------------------------------------------------

    def stock(self, as_of: dt.datetime | None = None) -> list[e.StockLevel]:
        """Quantities on the goods account per product and warehouse (A7 "Stock in BP").

        ``as_of`` (aware) is converted to the 1C server's zone; the balance is taken
        just before that moment. Without it, the balance after all movements.
        """
        period, taken = self.moment(as_of)
        account = self.account_ref(self.profile.goods_account)
        org = self.organization().onec_ref
        register = self.profile.accounting_register
        rows = self.odata.balance(
            register,
            period=period,
            account_condition=f"Account_Key eq {lit.guid(account)}",
            filter=lit.eq("Организация_Key", Guid(org)),
            select=_STOCK_FIELDS,
        )
        out = []
        for r in rows:
            product = warehouse = None
            for i in (1, 2, 3):
                t = r.get(f"ExtDimension{i}_Type")
                if t == self.profile.product_type:
                    product = convert.ref(r.get(f"ExtDimension{i}"))
                elif t == self.profile.warehouse_type:
                    warehouse = convert.ref(r.get(f"ExtDimension{i}"))
            if product is None:
                continue
            quantity = convert.number(r.get("КоличествоBalance"), register, "КоличествоBalance")
            out.append(e.StockLevel(product, warehouse or "", quantity, as_of=taken))
        return out

    # --- writes -----------------------------------------------------------------------

    def create_counterparty(self, cp: e.Counterparty, key: str) -> CreateResult:
        entity = self.profile.set("counterparties")
        return self.odata.create(entity, bodies.counterparty(cp, key, entity))

    def create_contract(
        self, counterparty_ref: str, key: str, name: str = "Основной договор"
    ) -> CreateResult:
        body = bodies.contract(
            counterparty_ref,
            key,
            name,
            self.organization().onec_ref,
            self.currency_ref(),
            self.profile.customer_contract_kind,
        )
        return self.odata.create(self.profile.set("contracts"), body)

    def create_product(self, product: e.Product, key: str) -> CreateResult:
        entity = self.profile.set("products")
        unit_ref = self.unit_ref(product, entity)
        is_service = product.kind is e.ProductKind.SERVICE
        kinds = self.cached("product_kinds", "product_kinds")
        kind_ref = next((k["Ref_Key"] for k in kinds if bool(k.get("Услуга")) == is_service), None)
        body = bodies.product(product, key, unit_ref, kind_ref, bodies.bp_product(product))
        return self.odata.create(entity, body)

    def invoice_body(self, invoice: e.Invoice, key: str) -> dict[str, Any]:
        """Every field posting needs (1C fills no form defaults over OData, A7)."""
        entity = self.profile.set("invoices")
        if not invoice.counterparty_ref:
            raise OnecError(
                tr("invoice {number}: no counterparty in 1C yet").format(number=invoice.number),
                entity=entity,
                field="Контрагент_Key",
            )
        contract_ref = invoice.contract_ref or self.customer_contract(invoice.counterparty_ref)
        if not contract_ref:
            raise OnecError(
                tr(
                    "invoice {number}: the counterparty has no contract «с покупателем» in 1C"
                ).format(number=invoice.number),
                entity=entity,
                field="ДоговорКонтрагента_Key",
            )
        org = self.organization()
        if not org.bank_account_ref:
            raise OnecError(
                tr("organization «{name}» has no main bank account in 1C").format(name=org.name),
                entity=self.profile.set("organizations"),
                field="ОсновнойБанковскийСчет_Key",
            )
        return bodies.invoice(
            invoice,
            key,
            entity,
            org.onec_ref,
            org.bank_account_ref,
            contract_ref,
            self.currency_ref(),
        )
