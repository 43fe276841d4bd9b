"""The UT 11 mapping: the same client methods, the same domain objects, UT's structure.

``OnecClient(..., configuration="ut11")`` works through :class:`Ut11`. What differs
from BP (research/onec.md A8):

- a customer is a partner (``Catalog_Партнеры``) with one or more counterparties
  (``Партнер_Key``); a counterparty created from the CRM gets a partner first (the
  partner of a counterparty with the same ИНН when there is exactly one such partner,
  so a branch joins its head office);
- a sale runs through an agreement (``Catalog_СоглашенияСКлиентами``) and a customer
  order (``Document_ЗаказКлиента``): the CRM invoice becomes an order; its agreement
  is the partner's own one in force, else the one typical agreement; a contract is
  filled when the agreement uses contracts;
- VAT is a reference to ``Catalog_СтавкиНДС`` (a rate the catalog lacks is an error,
  never a default); goods have packages and characteristics;
- payments (``РасшифровкаПлатежа.ОбъектРасчетов_Key``, a settlement object whose
  ``Объект`` is the order), shipments (``ЗаказКлиента``) and returns
  (``Товары.ДокументРеализации``) hang on the order;
- stock is ``AccumulationRegister_ТоварыНаСкладах``: ``ВНаличии`` minus what is
  promised to customers (``КОтгрузке``) is the free stock F6 sends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from desktop_sync.connectors.onec import bodies, convert
from desktop_sync.connectors.onec import literals as lit
from desktop_sync.connectors.onec import ut11_bodies as ub
from desktop_sync.connectors.onec.bodies import ref_for_key
from desktop_sync.connectors.onec.errors import OnecError
from desktop_sync.connectors.onec.literals import Guid, Query
from desktop_sync.connectors.onec.mapping import Configuration
from desktop_sync.connectors.onec.profiles import Profile
from desktop_sync.connectors.onec.records import (
    Characteristic,
    Package,
    Partner,
    Settings,
    payments_of,
)
from desktop_sync.connectors.onec.transport import CreateResult, Transport
from desktop_sync.connectors.onec.ut11_bodies import GOODS, Agreement
from desktop_sync.connectors.onec.ut11_lookups import Ut11Lookups
from desktop_sync.domain import entities as e
from desktop_sync.domain.entities import Counterparty, Invoice, InvoiceLine, PaymentKind
from desktop_sync.domain.vat import VatRate, standard_rate
from desktop_sync.i18n import tr

# What an order row needs of its product: goods or a service, characteristics or none.
_ORDER_FIELDS = ("ТипНоменклатуры", "ИспользованиеХарактеристик")


class Ut11(Configuration):
    """1C:Управление торговлей 11."""

    bank_accounts_set = "Catalog_БанковскиеСчетаОрганизаций"
    organization_account_field = "БанковскийСчетПоУмолчанию_Key"
    price_type_field = "ВидЦены_Key"

    def __init__(self, odata: Transport, profile: Profile, settings: Settings) -> None:
        super().__init__(odata, profile, settings)
        self.lookups = Ut11Lookups(profile, self.cached)

    # --- the lookups (VAT, agreements, packages, characteristics) ------------------------

    def vat_rates(self) -> dict[str, VatRate]:
        return self.lookups.vat_rates()

    def vat_ref(self, rate: VatRate, entity: str, what: str) -> str:
        return self.lookups.vat_ref(rate, entity, what)

    def agreements(self) -> list[Agreement]:
        return self.lookups.agreements()

    def agreement_for(self, partner_ref: str, counterparty_ref: str, on: dt.date) -> Agreement:
        return self.lookups.agreement_for(partner_ref, counterparty_ref, on)

    def units(self) -> list[e.Unit]:
        return self.lookups.units()

    def packages(self, product_ref: str | None = None) -> list[Package]:
        return self.lookups.packages(product_ref)

    def characteristics(self, product_ref: str | None = None) -> list[Characteristic]:
        return self.lookups.characteristics(product_ref)

    # --- catalogs ---------------------------------------------------------------------

    def partners(self) -> list[Partner]:
        """Partners (customers) with their counterparties."""
        owned: dict[str, list[str]] = {}
        for r in self.read("counterparties", Query(select=("Ref_Key", "Партнер_Key"))):
            p = convert.ref(r.get("Партнер_Key"))
            if p:
                owned.setdefault(p, []).append(convert.key(r["Ref_Key"]))
        rows = self.read("partners", Query(filter=lit.eq("IsFolder", False)))
        return [
            Partner(
                str(r.get("Description") or ""),
                convert.key(r["Ref_Key"]),
                r.get("ЮрФизЛицо") == "Компания",
                tuple(owned.get(convert.key(r["Ref_Key"]), ())),
                bool(r.get("DeletionMark")),
            )
            for r in rows
        ]

    def partner_of(self, counterparty_ref: str) -> str | None:
        """The counterparty's Партнёр."""
        entity = self.profile.set("counterparties")
        return convert.ref(
            self.odata.get(entity, counterparty_ref, ("Партнер_Key",)).get("Партнер_Key")
        )

    def counterparties(self) -> list[Counterparty]:
        return [ub.counterparty_from(r) for r in self.rows("counterparties")]

    def contracts(self, counterparty_ref: str | None = None) -> list[e.Contract]:
        """Contracts in force; a contract with a customer has the domain kind
        ``СПокупателем`` (UT says ``СКлиентом``)."""
        flt = lit.eq("Контрагент_Key", Guid(counterparty_ref)) if counterparty_ref else ""
        out = []
        for r in self.read("contracts", Query(filter=flt)):
            if r.get("DeletionMark") or r.get("Статус") == "Закрыт":
                continue
            kind = str(r.get("ТипДоговора") or "")
            out.append(
                e.Contract(
                    name=str(r.get("Description") or ""),
                    counterparty_ref=str(r.get("Контрагент_Key")),
                    kind=ub.DOMAIN_CUSTOMER if kind == ub.CUSTOMER else kind,
                    onec_ref=convert.key(r["Ref_Key"]),
                )
            )
        return out

    def price_types(self) -> list[e.PriceType]:
        """UT marks the main price type (``Основной``); without a mark, the first by code."""
        rows = self.read("price_types", Query(orderby=("Code",)))
        marked = [r["Ref_Key"] for r in rows if r.get("Основной")]
        base = marked[0] if marked else (rows[0]["Ref_Key"] if rows else None)
        return [convert.price_type(r, base) for r in rows if not r.get("DeletionMark")]

    def products(self, with_prices: bool = True) -> list[e.Product]:
        units = {u.onec_ref or "": u for u in self.units()}
        entity = self.profile.set("products")
        today = self.today()
        packages: dict[str, list[tuple[str, Decimal]]] = {}
        for pk in self.packages():
            packages.setdefault(pk.product_ref, []).append((pk.name, pk.quantity))
        chars: dict[str, list[str]] = {}
        for ch in self.characteristics():
            chars.setdefault(ch.product_ref, []).append(ch.name)
        prices = self.prices() if with_prices else {}
        out = []
        kept: dict[str, dict[str, Any]] = {}  # what an order row needs of each product
        for r in self.rows("products", Query(filter=lit.eq("IsFolder", False))):
            kept[convert.key(r["Ref_Key"])] = {f: r.get(f) for f in _ORDER_FIELDS}
            ref = convert.key(r["Ref_Key"])
            rate_ref = convert.ref(r.get("СтавкаНДС_Key"))
            out.append(
                e.Product(
                    name=str(r.get("Description") or ""),
                    kind=e.ProductKind.GOODS
                    if r.get("ТипНоменклатуры") in GOODS
                    else e.ProductKind.SERVICE,
                    article=str(r.get("Артикул") or ""),
                    unit=units.get(str(r.get("ЕдиницаИзмерения_Key"))),
                    vat_rate=self.lookups.rate(rate_ref, entity)
                    if rate_ref
                    else standard_rate(today),
                    onec_ref=ref,
                    deleted=bool(r.get("DeletionMark")),
                    packages=tuple(sorted(packages.get(ref, ()))),
                    characteristics=tuple(sorted(chars.get(ref, ()))),
                    price=prices.get(ref),
                )
            )
        self._cache["products"] = {p.onec_ref or "": p for p in out}
        self._cache["product_rows"] = kept
        return out

    def _product_row(self, ref: str) -> dict[str, Any] | None:
        rows: dict[str, dict[str, Any]] = self._cache.get("product_rows") or {}
        if ref not in rows:
            found = self.odata.find(self.profile.set("products"), ref, _ORDER_FIELDS)
            if found is None:
                return None
            rows[ref] = found
            self._cache["product_rows"] = rows
        return rows[ref]

    # --- documents --------------------------------------------------------------------

    def _doc_lines(self, r: dict[str, Any], entity: str) -> tuple[InvoiceLine, ...]:
        included = bool(r.get("ЦенаВключаетНДС", True))
        return tuple(
            self.lookups.lines(r.get("Товары") or [], entity, included, self.product_names())
        )

    def invoice_from(self, r: dict[str, Any]) -> Invoice | None:
        h = convert.head(r)
        if h is None:
            return None
        return Invoice(
            **h,
            lines=self._doc_lines(r, self.profile.set("invoices")),
            contract_ref=convert.ref(r.get("Договор_Key")),
            comment=str(r.get("Комментарий") or ""),
            organization_ref=convert.ref(r.get("Организация_Key")),
        )

    def _order_of(self, value: Any, type_: Any) -> str | None:
        """A composite naming an order: only a ``ЗаказКлиента`` counts."""
        return convert.ref(value) if type_ == self.profile.order_type else None

    def payments(
        self,
        since: dt.date | None = None,
        until: dt.date | None = None,
        kinds: tuple[PaymentKind, ...] = tuple(PaymentKind),
    ) -> list[e.Payment]:
        """As BP's, but a row names the order's settlement object, not the order: the
        documents are read a page at a time with the settlement objects, which are then
        turned into orders."""
        settled = payments_of(
            self.payment_rows(since, until, kinds),
            amount="Сумма",
            contract="Договор_Key",
            invoice_of=lambda row: convert.ref(row.get("ОбъектРасчетов_Key")),
        )
        order_of = self._settled_orders(
            {a.invoice_ref for p in settled for a in p.allocations if a.invoice_ref}
        )
        return [
            replace(
                p,
                allocations=tuple(
                    replace(a, invoice_ref=order_of.get(a.invoice_ref or "")) for a in p.allocations
                ),
            )
            if p.allocations
            else p
            for p in settled
        ]

    def _settled_orders(self, refs: set[str]) -> dict[str, str]:
        """Settlement object → the order it stands for (objects of anything else, such
        as a shipment settled without an order, name no order)."""
        if not refs:
            return {}
        rows = self.by_refs_or_all("settlement_objects", refs, ("Ref_Key", "Объект", "Объект_Type"))
        return {
            convert.key(r["Ref_Key"]): order
            for r in rows
            if (order := self._order_of(r.get("Объект"), r.get("Объект_Type")))
        }

    def shipments(
        self, since: dt.date | None = None, until: dt.date | None = None
    ) -> list[e.Shipment]:
        entity = self.profile.set("shipments")
        out = []
        for r in self.rows("shipments", Query(filter=self.window(since, until))):
            h = convert.head(r)
            if h is None:
                continue
            out.append(
                e.Shipment(
                    **h,
                    lines=self._doc_lines(r, entity),
                    invoice_ref=self._order_of(r.get("ЗаказКлиента"), r.get("ЗаказКлиента_Type")),
                )
            )
        return out

    def returns(self, since: dt.date | None = None, until: dt.date | None = None) -> list[e.Return]:
        entity = self.profile.set("returns")
        shipment_type = "StandardODATA." + self.profile.set("shipments")
        rows = self.read("returns", Query(filter=self.window(since, until)))

        def shipment_of(r: dict[str, Any]) -> str | None:
            for row in r.get("Товары") or []:
                if row.get("ДокументРеализации_Type") == shipment_type:
                    found = convert.ref(row.get("ДокументРеализации"))
                    if found:
                        return found
            return None

        refs = {s for r in rows if (s := shipment_of(r))}
        select = ("Ref_Key", "ЗаказКлиента", "ЗаказКлиента_Type")
        order_of = {
            str(s["Ref_Key"]): self._order_of(s.get("ЗаказКлиента"), s.get("ЗаказКлиента_Type"))
            for s in self.by_refs_or_all("shipments", refs, select)
        }
        out = []
        for r in rows:
            h = convert.head(r)
            if h is None:
                continue
            shipment = shipment_of(r)
            out.append(
                e.Return(
                    **h,
                    lines=self._doc_lines(r, entity),
                    shipment_ref=shipment,
                    invoice_ref=order_of.get(shipment or ""),
                )
            )
        return out

    # --- stock ------------------------------------------------------------------------

    def stock_balance(self, as_of: dt.datetime | None = None) -> list[e.StockLevel]:
        """On hand (``quantity``) and promised to customers (``reserved``) per product and
        warehouse, summed over characteristics, series and purposes."""
        register = self.profile.stock_register
        period, taken = self.moment(as_of)
        # Characteristics, series, purposes and rooms are summed by 1C (Dimensions, A4).
        rows = self.odata.balance(
            register,
            period=period,
            dimensions="Номенклатура,Склад",
            select=("Номенклатура_Key", "Склад_Key", "ВНаличииBalance", "КОтгрузкеBalance"),
        )
        totals: dict[tuple[str, str], list[Decimal]] = {}
        for r in rows:
            product = convert.ref(r.get("Номенклатура_Key"))
            if product is None:
                continue
            key = (product, convert.ref(r.get("Склад_Key")) or "")
            acc = totals.setdefault(key, [Decimal(0), Decimal(0)])
            acc[0] += convert.number(r.get("ВНаличииBalance"), register, "ВНаличииBalance")
            acc[1] += convert.number(r.get("КОтгрузкеBalance"), register, "КОтгрузкеBalance")
        return [
            e.StockLevel(product, wh, on_hand, reserved=reserved, as_of=taken)
            for (product, wh), (on_hand, reserved) in sorted(totals.items())
        ]

    def stock(self, as_of: dt.datetime | None = None) -> list[e.StockLevel]:
        """Free stock per product and warehouse (what F6 sends): on hand minus what is
        promised to customers, never below zero. ``quantity`` carries the free amount
        (the engine sends ``quantity``); :meth:`stock_balance` has both parts."""
        return [
            e.StockLevel(lv.product_ref, lv.warehouse_ref, max(lv.free, Decimal(0)), as_of=lv.as_of)
            for lv in self.stock_balance(as_of)
        ]

    # --- writes -----------------------------------------------------------------------

    def _partner_for(self, cp: Counterparty, key: str) -> str:
        """The partner a new counterparty joins: the one partner of counterparties with
        the same ИНН when it is a customer (a branch joins its head office), else a new
        partner."""
        if cp.partner_ref:  # the partner of its siblings: one CRM company, one partner
            return cp.partner_ref
        if cp.inn:
            same = self.odata.fetch(
                self.profile.set("counterparties"),
                Query(filter=lit.eq("ИНН", cp.inn), select=("Ref_Key", "Партнер_Key")),
            )
            partners = sorted({p for r in same if (p := convert.ref(r.get("Партнер_Key")))})
            # Only a customer partner is joined: a supplier-only partner is not made a
            # customer behind the user's back. Two customer partners: a new one, the
            # person merges them in 1C if they are one business.
            customers = [
                r["Ref_Key"]
                for r in self.odata.by_refs(
                    self.profile.set("partners"), partners, ("Ref_Key", "Клиент")
                )
                if r.get("Клиент")
            ]
            if len(customers) == 1:
                return str(customers[0])
        return self.odata.create(self.profile.set("partners"), ub.partner(cp, key)).ref

    def create_counterparty(self, cp: Counterparty, key: str) -> CreateResult:
        """A partner first (UT has no counterparty without one), then the counterparty."""
        entity = self.profile.set("counterparties")
        bodies.check_requisites(cp, entity)
        existing = self.odata.find(entity, ref_for_key(key))
        if existing is not None:  # made before (the partner too): no second partner
            return CreateResult(existing, created=False)
        partner = self._partner_for(cp, key)
        return self.odata.create(entity, ub.counterparty(cp, key, partner))

    def _partner_or_refuse(self, counterparty_ref: str, message: str, entity: str) -> str:
        partner = self.partner_of(counterparty_ref)
        if partner is None:
            raise OnecError(message, entity=entity, field="Партнер_Key")
        return partner

    def create_contract(
        self, counterparty_ref: str, key: str, name: str = "Основной договор"
    ) -> CreateResult:
        partner = self._partner_or_refuse(
            counterparty_ref,
            tr("the counterparty has no partner in 1C: UT makes no contract without one"),
            self.profile.set("counterparties"),
        )
        org, currency = self.organization().onec_ref, self.currency_ref()
        body = ub.contract(key, name, partner, counterparty_ref, org, currency)
        return self.odata.create(self.profile.set("contracts"), body)

    def create_product(self, product: e.Product, key: str) -> CreateResult:
        entity = self.profile.set("products")
        unit_ref = self.unit_ref(product, entity)
        kind = "Товар" if product.kind is e.ProductKind.GOODS else "Услуга"
        kind_ref = next(
            (
                k["Ref_Key"]
                for k in self.cached("product_kinds", "product_kinds")
                if k.get("ТипНоменклатуры") == kind
                and k.get("ИспользованиеХарактеристик") in ("НеИспользовать", "", None)
            ),
            None,
        )
        vat = self.vat_ref(product.vat_rate, entity, f"product «{product.name}»")
        return self.odata.create(entity, ub.product(product, key, vat, unit_ref, kind_ref))

    def _order_head(self, invoice: Invoice, counterparty_ref: str) -> ub.OrderHead:
        entity = self.profile.set("invoices")
        partner = self._partner_or_refuse(
            counterparty_ref,
            tr("invoice {number}: the counterparty has no partner in 1C").format(
                number=invoice.number
            ),
            self.profile.set("counterparties"),
        )
        agreement = self.agreement_for(partner, counterparty_ref, invoice.date)
        contract_ref = ""
        if agreement.uses_contracts:
            contract_ref = invoice.contract_ref or self.customer_contract(counterparty_ref) or ""
            if not contract_ref:
                raise OnecError(
                    tr(
                        "invoice {number}: the agreement «{agreement}» uses contracts and the "
                        "counterparty has no contract with the client in 1C"
                    ).format(number=invoice.number, agreement=agreement.name),
                    entity=entity,
                    field="Договор_Key",
                )
        included = ub.one_vat_mode(invoice, entity)
        return ub.OrderHead(
            self.organization().onec_ref,
            partner,
            agreement,
            contract_ref,
            self.lookups.warehouse_ref(self.settings.warehouse),
            self.currency_ref(),
            included,
        )

    def invoice_body(self, invoice: Invoice, key: str) -> dict[str, Any]:
        """A ``ЗаказКлиента`` with every field UT needs (no form defaults over OData):
        partner, agreement, contract when the agreement uses contracts, warehouse, VAT
        references, one payment stage."""
        if not invoice.counterparty_ref:
            raise OnecError(
                tr("invoice {number}: no counterparty in 1C yet").format(number=invoice.number),
                entity=self.profile.set("invoices"),
                field="Контрагент_Key",
            )
        head = self._order_head(invoice, invoice.counterparty_ref)
        return ub.order(
            invoice,
            key,
            head,
            ub.order_rows(
                invoice, head, self.profile.set("invoices"), self._product_row, self.vat_ref
            ),
        )
