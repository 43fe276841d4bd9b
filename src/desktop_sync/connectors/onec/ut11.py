"""The UT 11 mapping: the same client methods, the same domain objects, UT's structure.

``OnecClient(..., configuration="ut11")`` is a :class:`Ut11Client`. What differs from
BP (research/onec.md A8):

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
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from desktop_sync.connectors.onec import convert
from desktop_sync.connectors.onec import literals as lit
from desktop_sync.connectors.onec.bodies import comment_with_key, ref_for_key
from desktop_sync.connectors.onec.client import OnecClient, Organization, payment_header
from desktop_sync.connectors.onec.errors import OnecBadResponse, OnecError
from desktop_sync.connectors.onec.literals import Guid, Query
from desktop_sync.connectors.onec.transport import CreateResult
from desktop_sync.domain.entities import (
    Allocation,
    Contract,
    Counterparty,
    CounterpartyKind,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentKind,
    PriceType,
    Product,
    ProductKind,
    Return,
    Shipment,
    StockLevel,
    Unit,
)
from desktop_sync.domain.requisites import validate_inn, validate_kpp
from desktop_sync.domain.vat import VatRate, standard_rate
from desktop_sync.i18n import tr

UNDEFINED = "StandardODATA.Undefined"
CUSTOMER = "СКлиентом"  # UT's ТипДоговора of a contract with a customer
DOMAIN_CUSTOMER = "СПокупателем"  # the domain's word (BP's) for the same
GOODS = ("Товар", "МногооборотнаяТара", "Набор")  # ТипНоменклатуры kept in stock


@dataclass(frozen=True, slots=True)
class Partner:
    """Партнер: the customer as UT sees it; its counterparties are the legal entities."""

    name: str
    onec_ref: str
    company: bool
    counterparty_refs: tuple[str, ...] = ()
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Package:
    """A product's package (``Коробка (10 шт)``): ``quantity`` base units in one."""

    name: str
    product_ref: str
    unit_ref: str | None
    quantity: Decimal
    onec_ref: str


@dataclass(frozen=True, slots=True)
class Characteristic:
    name: str
    product_ref: str
    onec_ref: str


@dataclass(frozen=True, slots=True)
class Agreement:
    name: str
    onec_ref: str
    partner_ref: str | None
    typical: bool
    uses_contracts: bool
    price_type_ref: str | None
    vat_taxation: str


def _legal(kind: CounterpartyKind) -> tuple[str, str, str]:
    """(partner ЮрФизЛицо, counterparty ЮрФизЛицо, ЮридическоеФизическоеЛицо)."""
    if kind is CounterpartyKind.ORGANIZATION:
        return "Компания", "ЮрЛицо", "ЮридическоеЛицо"
    if kind is CounterpartyKind.SOLE_TRADER:
        return "ЧастноеЛицо", "ИндивидуальныйПредприниматель", "ФизическоеЛицо"
    return "ЧастноеЛицо", "ФизЛицо", "ФизическоеЛицо"


_KIND_OF = {
    "ЮрЛицо": CounterpartyKind.ORGANIZATION,
    "ЮрЛицоНеРезидент": CounterpartyKind.ORGANIZATION,
    "ИндивидуальныйПредприниматель": CounterpartyKind.SOLE_TRADER,
    "ФизЛицо": CounterpartyKind.PERSON,
}


class Ut11Client(OnecClient):
    """:class:`OnecClient` for 1C:Управление торговлей 11 (chosen by ``configuration``)."""

    bank_accounts_set = "Catalog_БанковскиеСчетаОрганизаций"

    # --- lookups -------------------------------------------------------------------------

    def _cached(self, key: str, logical: str, query: Query | None = None) -> list[dict[str, Any]]:
        if key not in self._cache:
            self._cache[key] = self._read(logical, query)
        rows: list[dict[str, Any]] = self._cache[key]
        return rows

    def vat_rates(self) -> dict[str, VatRate]:
        """``Catalog_СтавкиНДС`` ref → the rate (by ``ПеречислениеСтавкаНДС``)."""
        entity = self.profile.set("vat_rates")
        out: dict[str, VatRate] = {}
        for r in self._cached("vat_rates", "vat_rates"):
            if r.get("DeletionMark"):
                continue
            out[str(r["Ref_Key"])] = convert.vat_rate(
                r.get("ПеречислениеСтавкаНДС"), entity, "ПеречислениеСтавкаНДС"
            )
        return out

    def _rate(self, value: Any, entity: str) -> VatRate:
        ref = convert.ref(value)
        if ref is None:
            return VatRate.WITHOUT
        rate = self.vat_rates().get(ref)
        if rate is None:
            raise OnecError(
                tr("1C names a VAT rate {ref} that {catalog} does not hold").format(
                    ref=ref, catalog=self.profile.set("vat_rates")
                ),
                entity=entity,
                field="СтавкаНДС_Key",
            )
        return rate

    def vat_ref(self, rate: VatRate, entity: str, what: str) -> str:
        """The catalog entry of a rate; a rate the base cannot express is an error."""
        for ref, known in self.vat_rates().items():
            if known is rate:
                return ref
        raise OnecError(
            tr("{what}: 1C has no VAT rate {rate} in {catalog}").format(
                what=what, rate=rate.value, catalog=self.profile.set("vat_rates")
            ),
            entity=entity,
            field="СтавкаНДС_Key",
        )

    # --- catalogs ------------------------------------------------------------------------

    def organizations(self) -> list[Organization]:
        return [
            Organization(
                str(r["Description"]),
                str(r.get("ИНН") or ""),
                str(r.get("КПП") or ""),
                str(r["Ref_Key"]),
                convert.ref(r.get("БанковскийСчетПоУмолчанию_Key")),
            )
            for r in self._read("organizations")
            if not r.get("DeletionMark")
        ]

    def partners(self) -> list[Partner]:
        """Partners (customers) with their counterparties."""
        owned: dict[str, list[str]] = {}
        for r in self._read("counterparties", Query(select=("Ref_Key", "Партнер_Key"))):
            p = convert.ref(r.get("Партнер_Key"))
            if p:
                owned.setdefault(p, []).append(str(r["Ref_Key"]))
        rows = self._read("partners", Query(filter=lit.eq("IsFolder", False)))
        return [
            Partner(
                str(r.get("Description") or ""),
                str(r["Ref_Key"]),
                r.get("ЮрФизЛицо") == "Компания",
                tuple(owned.get(str(r["Ref_Key"]), ())),
                bool(r.get("DeletionMark")),
            )
            for r in rows
        ]

    def partner_of(self, counterparty_ref: str) -> str | None:
        """The counterparty's Партнёр."""
        row = self.get(self.profile.set("counterparties"), counterparty_ref, ("Партнер_Key",))
        return convert.ref(row.get("Партнер_Key"))

    def counterparties(self) -> list[Counterparty]:
        return [self._counterparty(r) for r in self._read("counterparties")]

    @staticmethod
    def _counterparty(rec: dict[str, Any]) -> Counterparty:
        cp = replace(convert.counterparty(rec), partner_ref=convert.ref(rec.get("Партнер_Key")))
        kind = _KIND_OF.get(str(rec.get("ЮрФизЛицо") or ""))
        return replace(cp, kind=kind) if kind is not None else cp

    def contracts(self, counterparty_ref: str | None = None) -> list[Contract]:
        """Contracts in force; a contract with a customer has the domain kind
        ``СПокупателем`` (UT says ``СКлиентом``)."""
        flt = lit.eq("Контрагент_Key", Guid(counterparty_ref)) if counterparty_ref else ""
        out = []
        for r in self._read("contracts", Query(filter=flt)):
            if r.get("DeletionMark") or r.get("Статус") == "Закрыт":
                continue
            kind = str(r.get("ТипДоговора") or "")
            out.append(
                Contract(
                    name=str(r.get("Description") or ""),
                    counterparty_ref=str(r.get("Контрагент_Key")),
                    kind=DOMAIN_CUSTOMER if kind == CUSTOMER else kind,
                    onec_ref=str(r["Ref_Key"]),
                )
            )
        return out

    def customer_contract(self, counterparty_ref: str) -> str | None:
        for c in self.contracts(counterparty_ref):
            if c.kind == DOMAIN_CUSTOMER:
                return c.onec_ref
        return None

    def agreements(self) -> list[Agreement]:
        out = []
        for r in self._cached("agreements", "agreements"):
            if r.get("DeletionMark") or r.get("Статус") != "Действует":
                continue
            out.append(
                Agreement(
                    str(r.get("Description") or ""),
                    str(r["Ref_Key"]),
                    convert.ref(r.get("Партнер_Key")),
                    bool(r.get("Типовое")),
                    bool(r.get("ИспользуютсяДоговорыКонтрагентов")),
                    convert.ref(r.get("ВидЦен_Key")),
                    str(r.get("НалогообложениеНДС") or "ПродажаОблагаетсяНДС"),
                )
            )
        return out

    def agreement_for(self, partner_ref: str, counterparty_ref: str, on: dt.date) -> Agreement:
        """The partner's own agreement in force, else the one typical agreement. Several
        candidates are a question for a person, never a guess."""
        rows = {str(r["Ref_Key"]): r for r in self._cached("agreements", "agreements")}
        usable = [
            a
            for a in self.agreements()
            if _in_force(rows[a.onec_ref], on) and (a.typical or a.partner_ref == partner_ref)
        ]
        own = [a for a in usable if not a.typical]
        if len(own) > 1:
            exact = [
                a
                for a in own
                if convert.ref(rows[a.onec_ref].get("Контрагент_Key")) == counterparty_ref
            ]
            own = exact if len(exact) == 1 else own
        candidates = own or [a for a in usable if a.typical]
        if len(candidates) != 1:
            raise OnecError(
                (
                    tr(
                        "1C has no agreement in force for this customer on {date}: make one "
                        "agreement with the client (Соглашение с клиентом) or one typical"
                    )
                    if not candidates
                    else tr(
                        "1C has {count} agreements in force for this customer on {date}: "
                        "leave one in force"
                    )
                ).format(count=len(candidates), date=f"{on:%d.%m.%Y}"),
                entity=self.profile.set("agreements"),
                field="Соглашение_Key",
            )
        return candidates[0]

    def units(self) -> list[Unit]:
        """Units of measure: the entries of ``УпаковкиЕдиницыИзмерения`` owned by no
        product (a package belongs to one)."""
        return [
            convert.unit(r)
            for r in self._cached("packages", "units")
            if r.get("Owner_Type") in (None, "", UNDEFINED) and not r.get("DeletionMark")
        ]

    def packages(self, product_ref: str | None = None) -> list[Package]:
        out = []
        for r in self._cached("packages", "units"):
            if r.get("Owner_Type") != self.profile.product_type or r.get("DeletionMark"):
                continue
            owner = str(r.get("Owner") or "")
            if product_ref is not None and owner != product_ref:
                continue
            num = convert.number(r.get("Числитель"), self.profile.set("units"), "Числитель")
            den = convert.number(r.get("Знаменатель"), self.profile.set("units"), "Знаменатель")
            out.append(
                Package(
                    str(r.get("Description") or ""),
                    owner,
                    convert.ref(r.get("ЕдиницаИзмерения_Key")),
                    num / den if den else num,
                    str(r["Ref_Key"]),
                )
            )
        return out

    def characteristics(self, product_ref: str | None = None) -> list[Characteristic]:
        out = []
        for r in self._cached("characteristics", "characteristics"):
            owner = str(r.get("Owner") or "")
            if r.get("DeletionMark") or r.get("Owner_Type") != self.profile.product_type:
                continue
            if product_ref is None or owner == product_ref:
                out.append(
                    Characteristic(str(r.get("Description") or ""), owner, str(r["Ref_Key"]))
                )
        return out

    def price_types(self) -> list[PriceType]:
        """UT marks the main price type (``Основной``); without a mark, the first by code."""
        rows = self._read("price_types", Query(orderby=("Code",)))
        marked = [r["Ref_Key"] for r in rows if r.get("Основной")]
        base = marked[0] if marked else (rows[0]["Ref_Key"] if rows else None)
        return [convert.price_type(r, base) for r in rows if not r.get("DeletionMark")]

    def prices(
        self, price_type_ref: str | None = None, as_of: dt.datetime | None = None
    ) -> dict[str, Decimal]:
        """``ЦеныНоменклатуры25`` SliceLast: the price of the product itself (a price of
        one characteristic is not a product price the CRM can hold)."""
        if price_type_ref is None:
            base = [t for t in self.price_types() if t.base]
            if not base or base[0].onec_ref is None:
                return {}
            price_type_ref = base[0].onec_ref
        period = ""
        if as_of is not None:
            period = lit.datetime(as_of.astimezone(self.tz).replace(tzinfo=None))
        entity = self.profile.set("prices")
        rows = self.slice_last(
            entity,
            period=period,
            condition=f"ВидЦены_Key eq {lit.guid(price_type_ref)}",
            select=("Номенклатура_Key", "Характеристика_Key", "Цена"),
        )
        return {
            str(r["Номенклатура_Key"]): convert.number(r.get("Цена"), entity, "Цена")
            for r in rows
            if convert.ref(r.get("Характеристика_Key")) is None
        }

    def products(self, with_prices: bool = True) -> list[Product]:
        units = {u.onec_ref or "": u for u in self.units()}
        entity = self.profile.set("products")
        today = self.today()
        out = []
        rows = self._read("products", Query(filter=lit.eq("IsFolder", False)))
        for r in rows:
            rate_ref = convert.ref(r.get("СтавкаНДС_Key"))
            rate = self._rate(rate_ref, entity) if rate_ref else standard_rate(today)
            out.append(
                Product(
                    name=str(r.get("Description") or ""),
                    kind=ProductKind.GOODS
                    if r.get("ТипНоменклатуры") in GOODS
                    else ProductKind.SERVICE,
                    article=str(r.get("Артикул") or ""),
                    unit=units.get(str(r.get("ЕдиницаИзмерения_Key"))),
                    vat_rate=rate,
                    onec_ref=str(r["Ref_Key"]),
                    deleted=bool(r.get("DeletionMark")),
                )
            )
        packages: dict[str, list[tuple[str, Decimal]]] = {}
        for pk in self.packages():
            packages.setdefault(pk.product_ref, []).append((pk.name, pk.quantity))
        chars: dict[str, list[str]] = {}
        for ch in self.characteristics():
            chars.setdefault(ch.product_ref, []).append(ch.name)
        out = [
            replace(
                p,
                packages=tuple(sorted(packages.get(p.onec_ref or "", ()))),
                characteristics=tuple(sorted(chars.get(p.onec_ref or "", ()))),
            )
            for p in out
        ]
        if with_prices:
            prices = self.prices()
            out = [replace(p, price=prices.get(p.onec_ref or "")) for p in out]
        self._cache["products"] = {p.onec_ref or "": p for p in out}
        self._cache["product_rows"] = {str(r["Ref_Key"]): r for r in rows}
        return out

    def _product_row(self, ref: str) -> dict[str, Any] | None:
        rows: dict[str, dict[str, Any]] = self._cache.get("product_rows") or {}
        if ref not in rows:
            found = self.find(self.profile.set("products"), ref)
            if found is None:
                return None
            rows[ref] = found
            self._cache["product_rows"] = rows
        return rows[ref]

    # --- documents -----------------------------------------------------------------------

    def _lines(self, rows: list[dict[str, Any]], entity: str, included: bool) -> list[InvoiceLine]:
        names = self._product_names()
        out: list[InvoiceLine] = []
        for row in rows:
            if row.get("Отменено"):
                continue  # a cancelled row of an order is not sold
            product_ref = convert.ref(row.get("Номенклатура_Key"))
            p = names.get(product_ref or "")
            out.append(
                InvoiceLine(
                    line_no=len(out) + 1,
                    product_name=str(row.get("Содержание") or (p.name if p else "")),
                    quantity=convert.number(row.get("Количество"), entity, "Количество"),
                    price=convert.number(row.get("Цена"), entity, "Цена"),
                    amount=convert.number(row.get("Сумма"), entity, "Сумма"),
                    vat_rate=self._rate(row.get("СтавкаНДС_Key"), entity),
                    vat_amount=convert.number(row.get("СуммаНДС"), entity, "СуммаНДС"),
                    vat_included=included,
                    discount=convert.number(
                        row.get("СуммаРучнойСкидки"), entity, "СуммаРучнойСкидки"
                    ),
                    product_ref=product_ref,
                    unit_okei=p.unit.okei if p and p.unit else "796",
                )
            )
        return out

    def _invoice_from(self, r: dict[str, Any]) -> Invoice | None:
        entity = self.profile.set("invoices")
        day = convert.date(r.get("Date"))
        if day is None:
            return None
        included = bool(r.get("ЦенаВключаетНДС", True))
        return Invoice(
            number=convert.printed_number(str(r.get("Number") or "")),
            date=day,
            counterparty_ref=convert.ref(r.get("Контрагент_Key")),
            lines=tuple(self._lines(r.get("Товары") or [], entity, included)),
            onec_ref=str(r["Ref_Key"]),
            contract_ref=convert.ref(r.get("Договор_Key")),
            comment=str(r.get("Комментарий") or ""),
            posted=bool(r.get("Posted")),
            deleted=bool(r.get("DeletionMark")),
        )

    def _order_of(self, value: Any, type_: Any) -> str | None:
        """A composite naming an order: only a ``ЗаказКлиента`` counts."""
        return convert.ref(value) if type_ == self.profile.order_type else None

    def payments(
        self,
        since: dt.date | None = None,
        until: dt.date | None = None,
        kinds: tuple[PaymentKind, ...] = tuple(PaymentKind),
    ) -> list[Payment]:
        """As BP's, but a row names the order's settlement object, not the order."""
        read = self._payment_rows(since, until, kinds)
        order_of = self._settled_orders(
            {
                ref
                for _k, _e, r in read
                for row in r.get("РасшифровкаПлатежа") or []
                if (ref := convert.ref(row.get("ОбъектРасчетов_Key")))
            }
        )
        out: list[Payment] = []
        for kind, entity, r in read:
            allocations = tuple(
                Allocation(
                    amount=convert.number(row.get("Сумма"), entity, "Сумма"),
                    invoice_ref=order_of.get(convert.ref(row.get("ОбъектРасчетов_Key")) or ""),
                    contract_ref=convert.ref(row.get("Договор_Key")),
                    line_no=int(str(row.get("LineNumber") or 1)),
                )
                for row in r.get("РасшифровкаПлатежа") or []
            )
            payment = payment_header(kind, entity, r, allocations)
            if payment is not None:
                out.append(payment)
        return out

    def _settled_orders(self, refs: set[str]) -> dict[str, str]:
        """Settlement object → the order it stands for (objects of anything else, such
        as a shipment settled without an order, name no order)."""
        if not refs:
            return {}
        select = ("Ref_Key", "Объект", "Объект_Type")
        if len(refs) <= 50:  # a few: by key; many: the whole catalog in a few pages
            rows = self.by_refs(self.profile.set("settlement_objects"), sorted(refs), select)
        else:
            rows = self._read("settlement_objects", Query(select=select))
        return {
            str(r["Ref_Key"]): order
            for r in rows
            if (order := self._order_of(r.get("Объект"), r.get("Объект_Type")))
        }

    def shipments(
        self, since: dt.date | None = None, until: dt.date | None = None
    ) -> list[Shipment]:
        entity = self.profile.set("shipments")
        out = []
        for r in self._read("shipments", Query(filter=self._window(since, until))):
            day = convert.date(r.get("Date"))
            if day is None:
                continue
            included = bool(r.get("ЦенаВключаетНДС", True))
            out.append(
                Shipment(
                    number=convert.printed_number(str(r.get("Number") or "")),
                    date=day,
                    counterparty_ref=convert.ref(r.get("Контрагент_Key")),
                    lines=tuple(self._lines(r.get("Товары") or [], entity, included)),
                    invoice_ref=self._order_of(r.get("ЗаказКлиента"), r.get("ЗаказКлиента_Type")),
                    posted=bool(r.get("Posted")),
                    deleted=bool(r.get("DeletionMark")),
                    onec_ref=str(r["Ref_Key"]),
                )
            )
        return out

    def returns(self, since: dt.date | None = None, until: dt.date | None = None) -> list[Return]:
        entity = self.profile.set("returns")
        shipment_type = "StandardODATA." + self.profile.set("shipments")
        rows = self._read("returns", Query(filter=self._window(since, until)))

        def shipment_of(r: dict[str, Any]) -> str | None:
            for row in r.get("Товары") or []:
                if row.get("ДокументРеализации_Type") == shipment_type:
                    found = convert.ref(row.get("ДокументРеализации"))
                    if found:
                        return found
            return None

        refs = sorted({s for r in rows if (s := shipment_of(r))})
        select = ("Ref_Key", "ЗаказКлиента", "ЗаказКлиента_Type")
        if len(refs) <= 50:  # a few: by key; many: one light read of every shipment
            found = self.by_refs(self.profile.set("shipments"), refs, select)
        else:
            found = self._read("shipments", Query(select=select))
        order_of = {
            str(s["Ref_Key"]): self._order_of(s.get("ЗаказКлиента"), s.get("ЗаказКлиента_Type"))
            for s in found
        }
        out = []
        for r in rows:
            day = convert.date(r.get("Date"))
            if day is None:
                continue
            shipment = shipment_of(r)
            out.append(
                Return(
                    number=convert.printed_number(str(r.get("Number") or "")),
                    date=day,
                    counterparty_ref=convert.ref(r.get("Контрагент_Key")),
                    lines=tuple(
                        self._lines(
                            r.get("Товары") or [], entity, bool(r.get("ЦенаВключаетНДС", True))
                        )
                    ),
                    shipment_ref=shipment,
                    invoice_ref=order_of.get(shipment or ""),
                    posted=bool(r.get("Posted")),
                    deleted=bool(r.get("DeletionMark")),
                    onec_ref=str(r["Ref_Key"]),
                )
            )
        return out

    # --- stock ---------------------------------------------------------------------------

    def stock_balance(self, as_of: dt.datetime | None = None) -> list[StockLevel]:
        """On hand (``quantity``) and promised to customers (``reserved``) per product and
        warehouse, summed over characteristics, series and purposes."""
        register = self.profile.stock_register
        period = ""
        moment = as_of.astimezone(self.tz) if as_of else None
        taken = moment or dt.datetime.now(self.tz).replace(microsecond=0)
        if moment is not None:
            period = lit.datetime(moment.replace(tzinfo=None))
        # Characteristics, series, purposes and rooms are summed by 1C (Dimensions, A4).
        args = ([f"Period={period}"] if period else []) + ["Dimensions='Номенклатура,Склад'"]
        select = ("Номенклатура_Key", "Склад_Key", "ВНаличииBalance", "КОтгрузкеBalance")
        data = self.request(
            "GET",
            f"{register}/Balance({','.join(args)})",
            Query(select=select).params(),
            entity=register,
        )
        if not isinstance(data, dict) or not isinstance(data.get("value"), list):
            raise OnecBadResponse(
                f"1C sent an answer without a list of records for {register}", entity=register
            )
        rows: list[dict[str, Any]] = data["value"]
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
            StockLevel(product, wh, on_hand, reserved=reserved, as_of=taken)
            for (product, wh), (on_hand, reserved) in sorted(totals.items())
        ]

    def stock(self, as_of: dt.datetime | None = None) -> list[StockLevel]:
        """Free stock per product and warehouse (what F6 sends): on hand minus what is
        promised to customers, never below zero. ``quantity`` carries the free amount
        (the engine sends ``quantity``); :meth:`stock_balance` has both parts."""
        return [
            StockLevel(
                lv.product_ref,
                lv.warehouse_ref,
                max(lv.free, Decimal(0)),
                as_of=lv.as_of,
            )
            for lv in self.stock_balance(as_of)
        ]

    # --- writes --------------------------------------------------------------------------

    def _partner_for(self, cp: Counterparty, key: str) -> str:
        """The partner a new counterparty joins: the one partner of counterparties with
        the same ИНН when it is a customer (a branch joins its head office), else a new
        partner."""
        entity = self.profile.set("counterparties")
        if cp.partner_ref:  # the partner of its siblings: one CRM company, one partner
            return cp.partner_ref
        if cp.inn:
            same = self.fetch(
                entity, Query(filter=lit.eq("ИНН", cp.inn), select=("Ref_Key", "Партнер_Key"))
            )
            partners = sorted({p for r in same if (p := convert.ref(r.get("Партнер_Key")))})
            # Only a customer partner is joined: a supplier-only partner is not made a
            # customer behind the user's back. Two customer partners: a new one, the
            # person merges them in 1C if they are one business.
            customers = [
                r["Ref_Key"]
                for r in self.by_refs(self.profile.set("partners"), partners, ("Ref_Key", "Клиент"))
                if r.get("Клиент")
            ]
            if len(customers) == 1:
                return str(customers[0])
        company, _kind, _legal2 = _legal(cp.kind)
        body = {
            "Ref_Key": ref_for_key(key + "/partner"),
            "Description": cp.name,
            "НаименованиеПолное": cp.full_name or cp.name,
            "ЮрФизЛицо": company,
            "Клиент": True,
            "Комментарий": comment_with_key("", key + "/partner"),
        }
        return self.create(self.profile.set("partners"), body).ref

    def create_counterparty(self, cp: Counterparty, key: str) -> CreateResult:
        """A partner first (UT has no counterparty without one), then the counterparty."""
        entity = self.profile.set("counterparties")
        if cp.inn:
            try:
                validate_inn(cp.inn)
                if cp.kpp:
                    validate_kpp(cp.kpp)
            except ValueError as exc:
                raise OnecError(
                    tr("counterparty «{name}»: {error}").format(name=cp.name, error=exc),
                    entity=entity,
                    field=getattr(exc, "field", "ИНН"),
                ) from None
        existing = self.find(entity, ref_for_key(key))
        if existing is not None:  # made before (the partner too): no second partner
            return CreateResult(existing, created=False)
        partner = self._partner_for(cp, key)
        _company, kind, legal = _legal(cp.kind)
        contacts: list[dict[str, Any]] = []
        if cp.phone:
            contacts.append(
                {"LineNumber": "1", "Тип": "Телефон", "Представление": cp.phone,
                 "НомерТелефона": cp.phone}
            )  # fmt: skip
        if cp.email:
            contacts.append(
                {"LineNumber": str(len(contacts) + 1), "Тип": "АдресЭлектроннойПочты",
                 "Представление": cp.email, "АдресЭП": cp.email}
            )  # fmt: skip
        body = {
            "Ref_Key": ref_for_key(key),
            "Description": cp.name,
            "НаименованиеПолное": cp.full_name or cp.name,
            "Партнер_Key": partner,
            "ЮрФизЛицо": kind,
            "ЮридическоеФизическоеЛицо": legal,
            "ИНН": cp.inn,
            "КПП": cp.kpp,
            "Комментарий": comment_with_key("", key),
            "КонтактнаяИнформация": contacts,
        }
        return self.create(entity, body)

    def create_contract(
        self, counterparty_ref: str, key: str, name: str = "Основной договор"
    ) -> CreateResult:
        partner = self.partner_of(counterparty_ref)
        if partner is None:
            raise OnecError(
                tr("the counterparty has no partner in 1C: UT makes no contract without one"),
                entity=self.profile.set("counterparties"),
                field="Партнер_Key",
            )
        body = {
            "Ref_Key": ref_for_key(key),
            "Description": name,
            "Партнер_Key": partner,
            "Контрагент_Key": counterparty_ref,
            "Организация_Key": self.organization().onec_ref,
            "ТипДоговора": CUSTOMER,
            "Статус": "Действует",
            "ВалютаВзаиморасчетов_Key": self.currency_ref(),
            "ПорядокРасчетов": "ПоДоговорамКонтрагентов",
            "Комментарий": comment_with_key("", key),
        }
        return self.create(self.profile.set("contracts"), body)

    def create_product(self, product: Product, key: str) -> CreateResult:
        entity = self.profile.set("products")
        unit_ref = None
        if product.unit is not None:
            unit_ref = next((u.onec_ref for u in self.units() if u.okei == product.unit.okei), None)
            if unit_ref is None:
                raise OnecError(
                    tr("product «{name}»: 1C has no unit with ОКЕИ code {code}").format(
                        name=product.name, code=product.unit.okei
                    ),
                    entity=entity,
                    field="ЕдиницаИзмерения_Key",
                )
        kind = "Товар" if product.kind is ProductKind.GOODS else "Услуга"
        kinds = self._cached("product_kinds", "product_kinds")
        kind_ref = next(
            (
                k["Ref_Key"]
                for k in kinds
                if k.get("ТипНоменклатуры") == kind
                and k.get("ИспользованиеХарактеристик") in ("НеИспользовать", "", None)
            ),
            None,
        )
        body: dict[str, Any] = {
            "Ref_Key": ref_for_key(key),
            "Description": product.name,
            "НаименованиеПолное": product.name,
            "Артикул": product.article,
            "ТипНоменклатуры": kind,
            "СтавкаНДС_Key": self.vat_ref(product.vat_rate, entity, f"product «{product.name}»"),
            "ИспользованиеХарактеристик": "НеИспользовать",
            "Комментарий": comment_with_key("", key),
        }
        if unit_ref:
            body["ЕдиницаИзмерения_Key"] = unit_ref
        if kind_ref:
            body["ВидНоменклатуры_Key"] = kind_ref
        return self.create(entity, body)

    def _warehouse_ref(self) -> str:
        """The order's warehouse (UT requires one): the one the profile names
        (``onec.warehouse``), else the first by code."""
        query = Query(filter=lit.eq("IsFolder", False), orderby=("Code",))
        rows = self._cached("warehouses", "warehouses", query)
        rows = [r for r in rows if not r.get("DeletionMark")]
        if self._warehouse:
            named = [r for r in rows if str(r.get("Description") or "") == self._warehouse]
            if not named:
                raise OnecError(
                    tr("1C has no warehouse «{name}» (the profile's onec.warehouse)").format(
                        name=self._warehouse
                    ),
                    entity=self.profile.set("warehouses"),
                    field="Склад_Key",
                )
            rows = named
        if not rows:
            raise OnecError(
                tr("1C has no warehouse for the order"),
                entity=self.profile.set("warehouses"),
                field="Склад_Key",
            )
        return str(rows[0]["Ref_Key"])

    def invoice_body(self, invoice: Invoice, key: str) -> dict[str, Any]:
        """A ``ЗаказКлиента`` with every field UT needs (no form defaults over OData):
        partner, agreement, contract when the agreement uses contracts, warehouse, VAT
        references, one payment stage."""
        entity = self.profile.set("invoices")
        if not invoice.counterparty_ref:
            raise OnecError(
                tr("invoice {number}: no counterparty in 1C yet").format(number=invoice.number),
                entity=entity,
                field="Контрагент_Key",
            )
        partner = self.partner_of(invoice.counterparty_ref)
        if partner is None:
            raise OnecError(
                tr("invoice {number}: the counterparty has no partner in 1C").format(
                    number=invoice.number
                ),
                entity=self.profile.set("counterparties"),
                field="Партнер_Key",
            )
        agreement = self.agreement_for(partner, invoice.counterparty_ref, invoice.date)
        contract_ref = ""
        if agreement.uses_contracts:
            contract_ref = (
                invoice.contract_ref or self.customer_contract(invoice.counterparty_ref) or ""
            )
            if not contract_ref:
                raise OnecError(
                    tr(
                        "invoice {number}: the agreement «{agreement}» uses contracts and the "
                        "counterparty has no contract with the client in 1C"
                    ).format(number=invoice.number, agreement=agreement.name),
                    entity=entity,
                    field="Договор_Key",
                )
        included = invoice.lines[0].vat_included if invoice.lines else True
        if any(line.vat_included != included for line in invoice.lines):
            raise OnecError(
                tr(
                    "invoice {number}: some rows include VAT and some do not; a 1C order has "
                    "one setting for all rows"
                ).format(number=invoice.number),
                entity=entity,
                field="ЦенаВключаетНДС",
            )
        warehouse = self._warehouse_ref()
        rows = []
        for n, line in enumerate(invoice.lines, start=1):
            what = tr("invoice {number}, row {n} «{name}»").format(
                number=invoice.number, n=n, name=line.product_name
            )
            if not line.product_ref:
                raise OnecError(
                    tr("{what}: the product is not in 1C").format(what=what), entity=entity,
                    field="Товары/Номенклатура_Key",
                )  # fmt: skip
            product = self._product_row(line.product_ref)
            if product is None:
                raise OnecError(
                    tr("{what}: the product is not in 1C").format(what=what), entity=entity,
                    field="Товары/Номенклатура_Key",
                )  # fmt: skip
            if product.get("ИспользованиеХарактеристик") not in ("НеИспользовать", "", None):
                # The CRM row cannot say which characteristic: refuse rather than pick one.
                raise OnecError(
                    tr(
                        "{what}: the product has characteristics in 1C and the CRM row does "
                        "not say which one"
                    ).format(what=what),
                    entity=entity,
                    field="Товары/Характеристика_Key",
                )
            goods = product.get("ТипНоменклатуры") in GOODS
            rows.append(
                {
                    "LineNumber": str(n),
                    "КодСтроки": str(n),
                    "Номенклатура_Key": line.product_ref,
                    "КоличествоУпаковок": line.quantity,
                    "Количество": line.quantity,
                    "ВидЦены_Key": agreement.price_type_ref or convert.ZERO_GUID,
                    "Цена": line.price,
                    "СуммаРучнойСкидки": line.discount,
                    "Сумма": line.amount,
                    "СтавкаНДС_Key": self.vat_ref(line.vat_rate, entity, what),
                    "СуммаНДС": line.vat_amount,
                    "СуммаСНДС": line.total_with_vat,
                    "ВариантОбеспечения": "КОбеспечению" if goods else "НеТребуется",
                    "Склад_Key": warehouse,
                }
            )
        day = convert.to_onec_date(invoice.date)
        return {
            "Ref_Key": ref_for_key(key),
            "Date": day,
            "Организация_Key": self.organization().onec_ref,
            "Партнер_Key": partner,
            "Контрагент_Key": invoice.counterparty_ref,
            "Соглашение_Key": agreement.onec_ref,
            "Договор_Key": contract_ref or convert.ZERO_GUID,
            "Склад_Key": warehouse,
            "Валюта_Key": self.currency_ref(),
            "ЦенаВключаетНДС": included,
            "НалогообложениеНДС": agreement.vat_taxation,
            "ХозяйственнаяОперация": "РеализацияКлиенту",
            "Статус": "НеСогласован",
            "ЖелаемаяДатаОтгрузки": day,
            "ФормаОплаты": "Безналичная",
            "СуммаДокумента": invoice.total,
            "Комментарий": comment_with_key(invoice.comment, key),
            "Товары": rows,
            "ЭтапыГрафикаОплаты": [
                {
                    "LineNumber": "1",
                    "ВариантОплаты": "КредитПослеОтгрузки",
                    "ДатаПлатежа": day,
                    "ПроцентПлатежа": 100,
                    "СуммаПлатежа": invoice.total,
                }
            ],
        }


def _in_force(row: dict[str, Any], on: dt.date) -> bool:
    start = convert.date(row.get("ДатаНачалаДействия"))
    end = convert.date(row.get("ДатаОкончанияДействия"))
    return (start is None or start <= on) and (end is None or on <= end)
