"""The 1C client the engine uses: domain objects in, domain objects out.

An :class:`OnecClient` *has* a :class:`Transport` (the OData conversation) and a
:class:`Configuration` (BP 3.0 or UT 11: every 1C name, the reads and write bodies
that differ), chosen in one place, :func:`configuration_for`. The client adds the
connection check and the rights probes, and gives the engine one set of methods
whatever the configuration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, Unpack
from zoneinfo import ZoneInfo

import httpx

from desktop_sync.closing import Closing
from desktop_sync.connectors.onec import access, paging, versions, wire
from desktop_sync.connectors.onec import records as rec
from desktop_sync.connectors.onec.access import CheckReport, EntityAccess
from desktop_sync.connectors.onec.bodies import comment_with_key as comment_with_key
from desktop_sync.connectors.onec.bodies import ref_for_key as ref_for_key
from desktop_sync.connectors.onec.bp30 import Bp30
from desktop_sync.connectors.onec.errors import OnecProfileError
from desktop_sync.connectors.onec.literals import Query
from desktop_sync.connectors.onec.mapping import Configuration
from desktop_sync.connectors.onec.metadata import Metadata
from desktop_sync.connectors.onec.profiles import Problem, Profile, detect, profile
from desktop_sync.connectors.onec.transport import Connection, CreateResult, Transport
from desktop_sync.connectors.onec.ut11 import Ut11
from desktop_sync.domain import entities as e
from desktop_sync.domain.vat import VatRate

__all__ = [
    "CheckReport",
    "EntityAccess",
    "OnecClient",
    "comment_with_key",
    "configuration_for",
    "ref_for_key",
]

_MAPPINGS: dict[str, type[Configuration]] = {"bp30": Bp30, "ut11": Ut11}


def configuration_for(
    odata: Transport, chosen: str | Profile, settings: rec.Settings | None = None
) -> Configuration:
    """The one place a configuration's mapping is chosen (by the profile's name)."""
    named = chosen if isinstance(chosen, Profile) else profile(chosen)
    return _MAPPINGS[named.name](odata, named, settings or rec.Settings())


class OnecClient(Closing):
    """One 1C base: its transport and its configuration's mapping."""

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        configuration: str | Profile = "bp30",
        timezone: str = "Europe/Moscow",
        organization: str | None = None,
        warehouse: str | None = None,
        page_size: int | None = 1000,
        allowed_only: bool = False,
        **connection: Unpack[Connection],
    ) -> None:
        """``connection``: how to reach the publication (timeout, certificate check,
        retries; see :class:`Transport`)."""
        # The profile first: an unknown configuration must not leave a client open.
        chosen = configuration if isinstance(configuration, Profile) else profile(configuration)
        ZoneInfo(timezone)  # an unknown zone, too
        self.transport = Transport(url, user, password, **connection)
        settings = rec.Settings(timezone, organization, warehouse, page_size, allowed_only)
        self.config = configuration_for(self.transport, chosen, settings)

    def close(self) -> None:
        self.transport.close()

    # --- what the transport and the mapping hold ----------------------------------------

    @property
    def profile(self) -> Profile:
        return self.config.profile

    @property
    def tz(self) -> ZoneInfo:
        return self.config.tz

    @property
    def url(self) -> str:
        return self.transport.url

    @property
    def requests(self) -> int:
        """Requests sent so far (retries included)."""
        return self.transport.requests

    @property
    def _cache(self) -> dict[str, Any]:
        return self.config._cache

    @property
    def _http(self) -> httpx.Client:
        return self.transport._http

    @property
    def _sleep(self) -> Callable[[float], None]:
        return self.transport._sleep

    @_sleep.setter
    def _sleep(self, sleep: Callable[[float], None]) -> None:
        self.transport._sleep = sleep

    def forget(self) -> None:
        """Drop what earlier lookups kept: the next run sees 1C as it is now."""
        self.config.forget()

    def know_products(self, products: dict[str, e.Product]) -> None:
        """The catalog as an earlier read gave it, unchanged since (its scan says so): the
        document rows read now take their product names and units from it, instead of
        reading all of it again (issue 18: 20,000 products on the large set)."""
        self.config._cache["products"] = products  # what product_names gives; the run keeps it

    def keep_products(self, refs: set[str]) -> None:
        """Of the catalog a read kept, only ``refs``: what the writes to come read back
        (an invoice made in 1C, its rows named). The rest is let go before the apply
        (issue 18: 20,000 products held through the large set's apply); a product
        asked later than that is read on its own (UT 11) or by the next read."""
        cache = self.config._cache
        for name in ("products", "product_rows"):
            if name in cache:
                cache[name] = {r: v for r, v in cache[name].items() if r in refs}

    def forget_numbers(self) -> None:
        """Once a read is over: the numbers it shared are either in its records or gone."""
        wire.forget_numbers()

    # --- connection and profile check --------------------------------------------------

    def check(self) -> list[Problem]:
        """Everything the profile needs that this base does not publish (empty = fine)."""
        meta = self.metadata()
        self._cache["metadata"] = meta
        return self.profile.validate(meta)

    def connect(self) -> Metadata:
        """Read ``$metadata`` and refuse a base that lacks what the profile needs."""
        problems = self.check()
        if problems:
            found = detect(self._cache["metadata"])
            if found is not None and found != self.profile.name:
                raise OnecProfileError(access.looks_like(found, self.profile), entity="$metadata")
            first = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise OnecProfileError(first.message + more, entity=first.entity, field=first.field)
        meta: Metadata = self._cache["metadata"]
        return meta

    def report(self) -> CheckReport:
        """What ``desktop-sync check`` shows for 1C: reachable, configuration, rights.

        Raises the connection/auth errors as they are (the caller maps them to exit
        codes); everything else is collected into the report.
        """
        problems = self.check()
        return access.report(self.transport, self.profile, self._cache["metadata"], problems)

    def writable(self, logical: str) -> bool:
        return access.writable(self.transport, self.profile.set(logical))

    def readable(self, logical: str) -> bool | None:
        return access.readable(self.transport, self.profile.set(logical))

    def hidden_rows(self, logical: str) -> bool:
        return access.hidden_rows(self.transport, self.profile.set(logical))

    # --- the OData operations (tests and tools use them directly) ------------------------

    def metadata(self) -> Metadata:
        return self.transport.metadata()

    def fetch(self, entity: str, query: Query | None = None) -> list[dict[str, Any]]:
        return self.transport.fetch(entity, query)

    def read_all(
        self, entity: str, query: Query | None = None, page_size: int | None = None
    ) -> list[dict[str, Any]]:
        return paging.read_all(self.transport, entity, query, page_size)

    def pages(self, entity: str, query: Query, page_size: int) -> Iterator[list[dict[str, Any]]]:
        return paging.read_pages(self.transport, entity, query, page_size)

    def by_refs(
        self, entity: str, refs: list[str], select: tuple[str, ...] = ()
    ) -> list[dict[str, Any]]:
        return self.transport.by_refs(entity, refs, select)

    def count(self, entity: str, filter: str = "") -> int:
        return self.transport.count(entity, filter)

    def get(self, entity: str, ref: str, select: tuple[str, ...] = ()) -> dict[str, Any]:
        return self.transport.get(entity, ref, select)

    def find(self, entity: str, ref: str, select: tuple[str, ...] = ()) -> dict[str, Any] | None:
        return self.transport.find(entity, ref, select)

    def versions(self, entity: str, filter: str = "") -> dict[str, str]:
        return self.transport.versions(entity, filter)

    def create(self, entity: str, body: dict[str, Any]) -> CreateResult:
        return self.transport.create(entity, body)

    def update(
        self, entity: str, ref: str, changes: dict[str, Any], if_match: str | None = None
    ) -> dict[str, Any]:
        return self.transport.update(entity, ref, changes, if_match)

    def mark_deleted(self, entity: str, ref: str, mark: bool = True) -> dict[str, Any]:
        return self.transport.mark_deleted(entity, ref, mark)

    def delete(self, entity: str, ref: str) -> None:
        self.transport.delete(entity, ref)

    def post(self, entity: str, ref: str, operational: bool = False) -> None:
        self.transport.post(entity, ref, operational)

    def unpost(self, entity: str, ref: str) -> None:
        self.transport.unpost(entity, ref)

    # --- catalogs (the configuration's mapping) ----------------------------------------

    def organizations(self) -> list[rec.Organization]:
        return self.config.organizations()

    def organization(self) -> rec.Organization:
        return self.config.organization()

    def bank_details(self) -> rec.BankDetails:
        return self.config.bank_details()

    def counterparties(self) -> list[e.Counterparty]:
        return self.config.counterparties()

    def find_counterparties(self, inn: str, kpp: str = "") -> list[str]:
        return self.config.find_counterparties(inn, kpp)

    def contracts(self, counterparty_ref: str | None = None) -> list[e.Contract]:
        return self.config.contracts(counterparty_ref)

    def customer_contract(self, counterparty_ref: str) -> str | None:
        return self.config.customer_contract(counterparty_ref)

    def units(self) -> list[e.Unit]:
        return self.config.units()

    def warehouses(self) -> list[e.Warehouse]:
        return self.config.warehouses()

    def price_types(self) -> list[e.PriceType]:
        return self.config.price_types()

    def today(self) -> dt.date:
        return self.config.today()

    def prices(
        self, price_type_ref: str | None = None, as_of: dt.datetime | None = None
    ) -> dict[str, Decimal]:
        return self.config.prices(price_type_ref, as_of)

    def products(self, with_prices: bool = True) -> list[e.Product]:
        return self.config.products(with_prices)

    def vat_rates(self) -> dict[str, VatRate]:
        """UT 11's catalog of VAT rates (BP 3.0 has none: an enumeration)."""
        return self.config.vat_rates()

    def partners(self) -> list[rec.Partner]:
        """UT 11's partners (BP 3.0 has none)."""
        return self.config.partners()

    def packages(self, product_ref: str | None = None) -> list[rec.Package]:
        return self.config.packages(product_ref)

    def characteristics(self, product_ref: str | None = None) -> list[rec.Characteristic]:
        return self.config.characteristics(product_ref)

    def partner_of(self, counterparty_ref: str) -> str | None:
        """UT 11: the counterparty's partner (BP 3.0 has no partners)."""
        return self.config.partner_of(counterparty_ref)

    # --- documents ---------------------------------------------------------------------

    def invoices(
        self, since: dt.date | None = None, until: dt.date | None = None
    ) -> list[e.Invoice]:
        return self.config.invoices(since, until)

    def invoices_by_number(self, printed: str, year: int) -> list[e.Invoice]:
        return self.config.invoices_by_number(printed, year)

    def invoices_by_refs(self, refs: list[str]) -> list[e.Invoice]:
        """The invoices of these keys, as :meth:`invoices` reads them (those changed)."""
        return self.config.invoices_by_refs(refs)

    def invoice(self, ref: str) -> e.Invoice | None:
        return self.config.invoice(ref)

    def payments(
        self,
        since: dt.date | None = None,
        until: dt.date | None = None,
        kinds: tuple[e.PaymentKind, ...] = tuple(e.PaymentKind),
    ) -> list[e.Payment]:
        return self.config.payments(since, until, kinds)

    def shipments(
        self, since: dt.date | None = None, until: dt.date | None = None
    ) -> list[e.Shipment]:
        return self.config.shipments(since, until)

    def returns(self, since: dt.date | None = None, until: dt.date | None = None) -> list[e.Return]:
        return self.config.returns(since, until)

    # --- stock and change detection ------------------------------------------------------

    def account_ref(self, code: str) -> str:
        return self.config.account_ref(code)

    def stock(self, as_of: dt.datetime | None = None) -> list[e.StockLevel]:
        return self.config.stock(as_of)

    def stock_balance(self, as_of: dt.datetime | None = None) -> list[e.StockLevel]:
        return self.config.stock_balance(as_of)

    def scan(self, logical: str, since: dt.date | None = None) -> dict[str, str]:
        return self.config.scan(logical, since)

    def fingerprint(self, logical: str) -> str:
        """What a whole set looks like now, in one light request: a digest of its
        ``Ref_Key → DataVersion`` scan, equal only while no record of it was added,
        changed or removed. Kept between runs instead of the scan itself (on the large
        set the scans' strings took 23 MB of the sync's memory; issue 18)."""
        return versions.fingerprint(self.config.scan(logical))

    def changes(
        self, logical: str, previous: dict[str, str], since: dt.date | None = None
    ) -> rec.Changes:
        return self.config.changes(logical, previous, since)

    # --- writes --------------------------------------------------------------------------

    def currency_ref(self) -> str:
        return self.config.currency_ref()

    def create_counterparty(self, cp: e.Counterparty, key: str) -> CreateResult:
        return self.config.create_counterparty(cp, key)

    def create_contract(
        self, counterparty_ref: str, key: str, name: str = "Основной договор"
    ) -> CreateResult:
        return self.config.create_contract(counterparty_ref, key, name)

    def create_counterparty_with_contract(
        self, cp: e.Counterparty, key: str
    ) -> tuple[CreateResult, CreateResult]:
        return self.config.create_counterparty_with_contract(cp, key)

    def create_product(self, product: e.Product, key: str) -> CreateResult:
        return self.config.create_product(product, key)

    def invoice_body(self, invoice: e.Invoice, key: str) -> dict[str, Any]:
        return self.config.invoice_body(invoice, key)

    def create_invoice(self, invoice: e.Invoice, key: str) -> CreateResult:
        return self.config.create_invoice(invoice, key)

    def post_invoice(self, ref: str) -> None:
        self.config.post_invoice(ref)

    def find_created(self, logical: str, key: str, since: dt.date | None = None) -> str | None:
        return self.config.find_created(logical, key, since)
