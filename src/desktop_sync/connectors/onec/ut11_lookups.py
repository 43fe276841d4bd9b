"""UT 11's lookups: VAT rates, agreements, units and packages, characteristics, and
document rows in domain terms. Each catalog is read once per run (the mapping's
cache); :class:`desktop_sync.connectors.onec.ut11.Ut11` composes them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from desktop_sync.connectors.onec import convert
from desktop_sync.connectors.onec import literals as lit
from desktop_sync.connectors.onec import ut11_bodies as ub
from desktop_sync.connectors.onec.errors import OnecError
from desktop_sync.connectors.onec.literals import Query
from desktop_sync.connectors.onec.profiles import Profile
from desktop_sync.connectors.onec.records import Characteristic, Package
from desktop_sync.connectors.onec.ut11_bodies import UNDEFINED, Agreement
from desktop_sync.domain.entities import InvoiceLine, Product, Unit
from desktop_sync.domain.vat import VatRate
from desktop_sync.i18n import day_label, tr

_WAREHOUSES = Query(filter=lit.eq("IsFolder", False), orderby=("Code",))
Cached = Callable[[str, str, Query | None], list[dict[str, Any]]]


class Ut11Lookups:
    """Catalogs UT 11 refers to by key, read once per run through ``cached``."""

    def __init__(self, profile: Profile, cached: Cached) -> None:
        self.profile = profile
        self._cached = cached
        # the rates built from the catalog's rows, kept while the run's cache holds them
        self._rates: tuple[list[dict[str, Any]], dict[str, VatRate]] | None = None

    def cached(self, key: str, logical: str) -> list[dict[str, Any]]:
        return self._cached(key, logical, None)

    # --- VAT --------------------------------------------------------------------------

    def vat_rates(self) -> dict[str, VatRate]:
        """``Catalog_СтавкиНДС`` ref → the rate (by ``ПеречислениеСтавкаНДС``); built once
        from the run's rows, not for every document row that names a rate."""
        rows = self.cached("vat_rates", "vat_rates")
        if self._rates is not None and self._rates[0] is rows:
            return self._rates[1]
        entity = self.profile.set("vat_rates")
        out: dict[str, VatRate] = {}
        for r in rows:
            if r.get("DeletionMark"):
                continue
            out[convert.key(r["Ref_Key"])] = convert.vat_rate(
                r.get("ПеречислениеСтавкаНДС"), entity, "ПеречислениеСтавкаНДС"
            )
        self._rates = (rows, out)
        return out

    def rate(self, value: Any, entity: str) -> VatRate:
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

    def agreements(self) -> list[Agreement]:
        return [
            ub.agreement(r)
            for r in self.cached("agreements", "agreements")
            if not r.get("DeletionMark") and r.get("Статус") == "Действует"
        ]

    def agreement_for(self, partner_ref: str, counterparty_ref: str, on: dt.date) -> Agreement:
        """The partner's own agreement in force, else the one typical agreement. Several
        candidates are a question for a person, never a guess."""
        rows = {convert.key(r["Ref_Key"]): r for r in self.cached("agreements", "agreements")}
        usable = [
            a
            for a in self.agreements()
            if ub.in_force(rows[a.onec_ref], on) and (a.typical or a.partner_ref == partner_ref)
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
                ).format(count=len(candidates), date=day_label(on)),
                entity=self.profile.set("agreements"),
                field="Соглашение_Key",
            )
        return candidates[0]

    def units(self) -> list[Unit]:
        """Units of measure: the entries of ``УпаковкиЕдиницыИзмерения`` owned by no
        product (a package belongs to one)."""
        return [
            convert.unit(r)
            for r in self.cached("packages", "units")
            if r.get("Owner_Type") in (None, "", UNDEFINED) and not r.get("DeletionMark")
        ]

    def packages(self, product_ref: str | None = None) -> list[Package]:
        out = []
        entity = self.profile.set("units")
        for r in self.cached("packages", "units"):
            if r.get("Owner_Type") != self.profile.product_type or r.get("DeletionMark"):
                continue
            owner = str(r.get("Owner") or "")
            if product_ref is not None and owner != product_ref:
                continue
            num = convert.number(r.get("Числитель"), entity, "Числитель")
            den = convert.number(r.get("Знаменатель"), entity, "Знаменатель")
            out.append(
                Package(
                    str(r.get("Description") or ""),
                    owner,
                    convert.ref(r.get("ЕдиницаИзмерения_Key")),
                    num / den if den else num,
                    convert.key(r["Ref_Key"]),
                )
            )
        return out

    def characteristics(self, product_ref: str | None = None) -> list[Characteristic]:
        out = []
        for r in self.cached("characteristics", "characteristics"):
            owner = str(r.get("Owner") or "")
            if r.get("DeletionMark") or r.get("Owner_Type") != self.profile.product_type:
                continue
            if product_ref is None or owner == product_ref:
                out.append(
                    Characteristic(
                        str(r.get("Description") or ""), owner, convert.key(r["Ref_Key"])
                    )
                )
        return out

    def lines(
        self,
        rows: list[dict[str, Any]],
        entity: str,
        included: bool,
        names: dict[str, Product],
    ) -> list[InvoiceLine]:
        """An order's (a shipment's, a return's) rows; a cancelled row is not sold."""
        out: list[InvoiceLine] = []
        for row in rows:
            if row.get("Отменено"):
                continue  # a cancelled row of an order is not sold
            product_ref = convert.ref(row.get("Номенклатура_Key"))
            p = names.get(product_ref or "")
            out.append(
                InvoiceLine(
                    line_no=len(out) + 1,
                    product_name=convert.line_name(row.get("Содержание"), p),
                    quantity=convert.number(row.get("Количество"), entity, "Количество"),
                    price=convert.number(row.get("Цена"), entity, "Цена"),
                    amount=convert.number(row.get("Сумма"), entity, "Сумма"),
                    vat_rate=self.rate(row.get("СтавкаНДС_Key"), entity),
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

    def warehouse_ref(self, wanted: str | None) -> str:
        """The order's warehouse (UT requires one): the one the profile names
        (``onec.warehouse``), else the first by code."""
        rows = self._cached("warehouses", "warehouses", _WAREHOUSES)
        rows = [r for r in rows if not r.get("DeletionMark")]
        entity = self.profile.set("warehouses")
        if wanted:
            rows = [r for r in rows if str(r.get("Description") or "") == wanted]
            if not rows:
                raise OnecError(
                    tr("1C has no warehouse «{name}» (the profile's onec.warehouse)").format(
                        name=wanted
                    ),
                    entity=entity,
                    field="Склад_Key",
                )
        if not rows:
            raise OnecError(
                tr("1C has no warehouse for the order"), entity=entity, field="Склад_Key"
            )
        return str(rows[0]["Ref_Key"])
