"""What a 1C configuration maps, and the logic every configuration shares.

A :class:`Configuration` *has* the OData transport and a :class:`Profile` (every 1C
name); BP 3.0 (:mod:`.bp30`) and UT 11 (:mod:`.ut11`) each implement the reads and
write bodies that differ. Which one a client gets is decided in one place,
:func:`desktop_sync.connectors.onec.client.configuration_for`.

Creates use a deterministic ``Ref_Key`` (UUID5 of the idempotency key) and repeat the
key in ``Комментарий`` (DESIGN.md "Idempotency"); creating and posting are separate
calls, so the engine can journal each step.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from desktop_sync.connectors.onec import convert, paging
from desktop_sync.connectors.onec import literals as lit
from desktop_sync.connectors.onec.bodies import MARK, ref_for_key
from desktop_sync.connectors.onec.errors import OnecError, OnecNotFound, OnecProfileError
from desktop_sync.connectors.onec.literals import Query
from desktop_sync.connectors.onec.profiles import Profile
from desktop_sync.connectors.onec.records import (
    BankDetails,
    Changes,
    Characteristic,
    Organization,
    Package,
    Partner,
    Settings,
)
from desktop_sync.connectors.onec.transport import CreateResult, Transport
from desktop_sync.domain.entities import (
    Contract,
    Counterparty,
    Invoice,
    Payment,
    PaymentKind,
    PriceType,
    Product,
    Return,
    Shipment,
    StockLevel,
    Unit,
    Warehouse,
)
from desktop_sync.domain.vat import VatRate
from desktop_sync.i18n import tr

RUB_CODE = "643"
CUSTOMER_KIND = "СПокупателем"  # the domain's kind of a contract with a customer (BP's word)

# The catalog of banks a bank account's ``Банк_Key`` points to: «КлассификаторБанков»
# since БСП 3.1 (UT 11.5, newer BP 3.0 releases), «Банки» before.
BANK_SETS = ("Catalog_КлассификаторБанков", "Catalog_Банки")


class Configuration(ABC):
    """One configuration's mapping over the transport; the shared part (each
    configuration implements the abstract methods: a missing one fails at construction)."""

    bank_accounts_set: ClassVar[str] = "Catalog_БанковскиеСчета"
    organization_account_field: ClassVar[str] = "ОсновнойБанковскийСчет_Key"
    price_type_field: ClassVar[str] = "ТипЦен_Key"  # of the prices register

    def __init__(self, odata: Transport, profile: Profile, settings: Settings) -> None:
        self.odata = odata
        self.profile = profile
        self.settings = settings
        self.tz = ZoneInfo(settings.timezone)
        self.page_size = settings.page_size
        self.allowed_only = settings.allowed_only
        self._cache: dict[str, Any] = {}

    # --- what each configuration answers differently ---------------------------------

    @abstractmethod
    def counterparties(self) -> list[Counterparty]: ...

    @abstractmethod
    def contracts(self, counterparty_ref: str | None = None) -> list[Contract]: ...

    @abstractmethod
    def units(self) -> list[Unit]: ...

    @abstractmethod
    def price_types(self) -> list[PriceType]: ...

    @abstractmethod
    def products(self, with_prices: bool = True) -> list[Product]: ...

    @abstractmethod
    def invoice_from(self, r: dict[str, Any]) -> Invoice | None: ...

    @abstractmethod
    def payments(
        self,
        since: dt.date | None = None,
        until: dt.date | None = None,
        kinds: tuple[PaymentKind, ...] = tuple(PaymentKind),
    ) -> list[Payment]: ...

    @abstractmethod
    def shipments(
        self, since: dt.date | None = None, until: dt.date | None = None
    ) -> list[Shipment]: ...

    @abstractmethod
    def returns(
        self, since: dt.date | None = None, until: dt.date | None = None
    ) -> list[Return]: ...

    @abstractmethod
    def stock(self, as_of: dt.datetime | None = None) -> list[StockLevel]: ...

    @abstractmethod
    def create_counterparty(self, cp: Counterparty, key: str) -> CreateResult: ...

    @abstractmethod
    def create_contract(
        self, counterparty_ref: str, key: str, name: str = "Основной договор"
    ) -> CreateResult: ...

    @abstractmethod
    def create_product(self, product: Product, key: str) -> CreateResult: ...

    @abstractmethod
    def invoice_body(self, invoice: Invoice, key: str) -> dict[str, Any]: ...

    # What only some configurations have (UT 11): nothing by default.

    def stock_balance(self, as_of: dt.datetime | None = None) -> list[StockLevel]:
        """On hand and promised to customers; without reservations, the stock itself."""
        return self.stock(as_of)

    def vat_rates(self) -> dict[str, VatRate]:
        return {}

    def partner_of(self, counterparty_ref: str) -> str | None:
        return None

    def partners(self) -> list[Partner]:
        return []

    def packages(self, product_ref: str | None = None) -> list[Package]:
        return []

    def characteristics(self, product_ref: str | None = None) -> list[Characteristic]:
        return []

    # --- reading helpers --------------------------------------------------------------

    def read(self, logical: str, query: Query | None = None) -> list[dict[str, Any]]:
        """Every matching record of a set (a lookup or a small set), as one list."""
        return list(self.rows(logical, query))

    def rows(self, logical: str, query: Query | None = None) -> Iterator[dict[str, Any]]:
        """The matching records a page at a time (one request per page), only the
        fields the profile names unless the query selects others."""
        query = query or Query()
        query.allowed_only = query.allowed_only or self.allowed_only
        query.select = query.select or self.read_fields(logical)
        return paging.rows(self.odata, self.profile.set(logical), query, self.page_size)

    def read_fields(self, logical: str) -> tuple[str, ...]:
        """``$select`` of a set: the profile's fields (checked against ``$metadata``),
        a tabular part by the columns named, not whole."""
        fields = self.profile.fields.get(logical, ())
        parts = {f.split("/", 1)[0] for f in fields if "/" in f}
        return tuple(f for f in fields if f not in parts)

    def cached(self, key: str, logical: str, query: Query | None = None) -> list[dict[str, Any]]:
        """A lookup read once per run (see :meth:`forget`)."""
        if key not in self._cache:
            self._cache[key] = self.read(logical, query)
        rows: list[dict[str, Any]] = self._cache[key]
        return rows

    def forget(self) -> None:
        """Drop what earlier lookups kept (organization, units, agreements…): the next
        run sees 1C as it is now. A run keeps them; the service calls this per run."""
        self._cache.clear()

    def _one_by_code(self, logical: str, code: str) -> dict[str, Any] | None:
        rows = self.odata.fetch(self.profile.set(logical), Query(filter=lit.eq("Code", code)))
        return rows[0] if rows else None

    def _ref_by_code(self, logical: str, code: str, missing: str) -> str:
        """The Ref_Key of a catalog entry by code, read once per run."""
        key = f"{logical}:{code}"
        if key not in self._cache:
            row = self._one_by_code(logical, code)
            if row is None:
                raise OnecProfileError(missing, entity=self.profile.set(logical), field="Code")
            self._cache[key] = str(row["Ref_Key"])
        found: str = self._cache[key]
        return found

    def by_refs_or_all(
        self, logical: str, refs: set[str], select: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """A few records by key; many: one light read of the whole set in pages."""
        if len(refs) <= 50:
            return self.odata.by_refs(self.profile.set(logical), sorted(refs), select)
        return self.read(logical, Query(select=select))

    def window(self, since: dt.date | None, until: dt.date | None) -> str:
        return lit.and_(
            lit.ge("Date", since) if since else "",
            lit.lt("Date", until + dt.timedelta(days=1)) if until else "",
        )

    def today(self) -> dt.date:
        return dt.datetime.now(self.tz).date()

    def moment(self, as_of: dt.datetime | None) -> tuple[str, dt.datetime]:
        """A register's ``Period`` literal in the server's zone ("" = now) and the moment
        the answer stands for."""
        moment = as_of.astimezone(self.tz) if as_of else None
        taken = moment or dt.datetime.now(self.tz).replace(microsecond=0)
        return (lit.datetime(moment.replace(tzinfo=None)) if moment else ""), taken

    def product_names(self) -> dict[str, Product]:
        if "products" not in self._cache:
            self._cache["products"] = {p.onec_ref or "": p for p in self.products()}
        names: dict[str, Product] = self._cache["products"]
        return names

    # --- catalogs ---------------------------------------------------------------------

    def organizations(self) -> list[Organization]:
        return [
            Organization(
                str(r["Description"]),
                str(r.get("ИНН") or ""),
                str(r.get("КПП") or ""),
                convert.key(r["Ref_Key"]),
                convert.ref(r.get(self.organization_account_field)),
            )
            for r in self.read("organizations")
            if not r.get("DeletionMark")
        ]

    def organization(self) -> Organization:
        """The profile's organization: by ref, name or ИНН, or the only one in the base."""
        if "organization" in self._cache:
            org: Organization = self._cache["organization"]
            return org
        orgs = self.organizations()
        wanted = self.settings.organization
        found = [o for o in orgs if wanted in (o.onec_ref, o.name, o.inn)] if wanted else orgs
        if len(found) != 1:
            raise OnecError(
                (
                    tr("1C has {count} organizations matching «{wanted}»")
                    if wanted
                    else tr("1C has {count} organizations and the profile names none")
                ).format(count=len(found), wanted=wanted)
                + tr(": name the organization in the profile (setting organization)"),
                entity=self.profile.set("organizations"),
            )
        self._cache["organization"] = found[0]
        return found[0]

    def bank_details(self) -> BankDetails:
        """The profile organization's main bank account and its bank (for the invoice).

        Three reads by key: the account, then its bank in whichever catalog of banks
        the base publishes.
        """
        if "bank_details" in self._cache:
            cached: BankDetails = self._cache["bank_details"]
            return cached
        org = self.organization()
        entity = self.bank_accounts_set
        account = (
            self.odata.find(entity, org.bank_account_ref, ("Ref_Key", "НомерСчета", "Банк_Key"))
            if org.bank_account_ref
            else None
        )
        if account is None:
            raise OnecError(
                tr(
                    "The organization «{name}» has no main bank account in 1C: choose it in "
                    "the organization's card (field «Основной банковский счёт»)"
                ).format(name=org.name),
                entity=entity,
            )
        bank: dict[str, Any] | None = None
        bank_ref = convert.ref(account.get("Банк_Key"))
        for bank_set in BANK_SETS if bank_ref else ():
            try:
                bank = self.odata.find(
                    bank_set, str(bank_ref), ("Code", "Description", "КоррСчет", "Город")
                )
            except OnecNotFound:  # this catalog is not published: the other name
                continue
            break
        if bank is None:
            raise OnecError(
                tr(
                    "The bank account {account} of «{name}» names no bank in 1C: fill in "
                    "«Банк» in the bank account's card"
                ).format(account=account.get("НомерСчета") or "", name=org.name),
                entity=entity,
            )
        details = BankDetails(
            str(account.get("НомерСчета") or "").strip(),
            *(str(bank.get(f) or "").strip() for f in ("Description", "Code", "КоррСчет", "Город")),
        )
        self._cache["bank_details"] = details
        return details

    def find_counterparties(self, inn: str, kpp: str = "") -> list[str]:
        """Refs of the counterparties (not marked for deletion) with this ИНН and КПП:
        what a create from the CRM looks up first (one request)."""
        folders = "IsFolder" in self.profile.fields.get("counterparties", ())  # not in UT 11
        flt = lit.and_(
            lit.eq("IsFolder", False) if folders else "",
            lit.eq("ИНН", inn),
            lit.eq("КПП", kpp) if kpp else "",
        )
        rows = self.read("counterparties", Query(filter=flt, select=("Ref_Key", "DeletionMark")))
        return sorted(convert.key(r["Ref_Key"]) for r in rows if not r.get("DeletionMark"))

    def customer_contract(self, counterparty_ref: str) -> str | None:
        for c in self.contracts(counterparty_ref):
            if c.kind == CUSTOMER_KIND:
                return c.onec_ref
        return None

    def warehouses(self) -> list[Warehouse]:
        rows = self.read("warehouses", Query(filter=lit.eq("IsFolder", False)))
        return [convert.warehouse(r) for r in rows if not r.get("DeletionMark")]

    def base_price_type(self) -> str | None:
        base = [t for t in self.price_types() if t.base]
        return base[0].onec_ref if base else None

    def prices(
        self, price_type_ref: str | None = None, as_of: dt.datetime | None = None
    ) -> dict[str, Decimal]:
        """Product → price of a price type (the base one by default), as of a moment
        (aware; now by default): the register's SliceLast. A price of one
        characteristic (UT 11) is not a product price the CRM can hold."""
        price_type_ref = price_type_ref or self.base_price_type()
        if price_type_ref is None:
            return {}
        period = ""
        if as_of is not None:
            period = lit.datetime(as_of.astimezone(self.tz).replace(tzinfo=None))
        entity = self.profile.set("prices")
        characteristics = "characteristics" in self.profile.sets
        rows = self.odata.slice_last(
            entity,
            period=period,
            condition=f"{self.price_type_field} eq {lit.guid(price_type_ref)}",
            select=(
                "Номенклатура_Key",
                *(("Характеристика_Key",) if characteristics else ()),
                "Цена",
            ),
        )
        return {
            str(r["Номенклатура_Key"]): convert.number(r.get("Цена"), entity, "Цена")
            for r in rows
            if convert.ref(r.get("Характеристика_Key")) is None
        }

    def unit_ref(self, product: Product, entity: str) -> str | None:
        """The unit of a product to create, by its ОКЕИ code; a code 1C lacks is an error."""
        if product.unit is None:
            return None
        okei = product.unit.okei
        found = next((u.onec_ref for u in self.units() if u.okei == okei), None)
        if found is None:
            raise OnecError(
                tr("product «{name}»: 1C has no unit with ОКЕИ code {code}").format(
                    name=product.name, code=okei
                ),
                entity=entity,
                field="ЕдиницаИзмерения_Key",
            )
        return found

    def currency_ref(self) -> str:
        return self._ref_by_code("currencies", RUB_CODE, "1C has no currency 643 (рубль)")

    def account_ref(self, code: str) -> str:
        missing = f"1C has no account {code} in {self.profile.set('accounts')}"
        return self._ref_by_code("accounts", code, missing)

    # --- documents --------------------------------------------------------------------

    def invoices(self, since: dt.date | None = None, until: dt.date | None = None) -> list[Invoice]:
        return self._invoices(Query(filter=self.window(since, until)))

    def _invoices(self, query: Query) -> list[Invoice]:
        rows = self.rows("invoices", query)
        return [inv for r in rows if (inv := self.invoice_from(r)) is not None]

    def invoices_by_refs(self, refs: list[str], chunk: int = 25) -> list[Invoice]:
        """As :meth:`invoices` reads them, these keys only (25 to a request: the URL)."""
        window = self.window(None, None)
        parts = (lit.any_of("Ref_Key", refs[i : i + chunk]) for i in range(0, len(refs), chunk))
        return [
            inv for part in parts for inv in self._invoices(Query(filter=lit.and_(window, part)))
        ]

    def invoices_by_number(self, printed: str, year: int) -> list[Invoice]:
        """Invoices whose printed number (no prefix, no leading zeros) and year match:
        1C numbers restart every year and carry a prefix the user never types."""
        digits = printed.strip().lstrip("0")
        if not digits:
            return []
        flt = lit.and_(
            f"endswith(Number, {lit.string(digits)})",
            lit.ge("Date", dt.date(year, 1, 1)),
            lit.lt("Date", dt.date(year + 1, 1, 1)),
        )
        found = self._invoices(Query(filter=flt))
        return [i for i in found if i.number == digits]

    def payment_rows(
        self, since: dt.date | None, until: dt.date | None, kinds: tuple[PaymentKind, ...]
    ) -> Iterator[tuple[PaymentKind, str, dict[str, Any]]]:
        """Every payment document of ``kinds`` in the window: (kind, entity set, row),
        a page at a time."""
        logical = {entity: name for name, entity in self.profile.sets.items()}
        for kind in kinds:
            entity = self.profile.payment_sets[kind]
            query = Query(filter=self.window(since, until))
            yield from ((kind, entity, r) for r in self.rows(logical[entity], query))

    # --- change detection -------------------------------------------------------------

    def scan(self, logical: str, since: dt.date | None = None) -> dict[str, str]:
        """``Ref_Key → DataVersion`` in one light request; documents by a date window.

        1C cannot say what changed since a moment (A9): a back-dated document edit is
        seen only when its date falls inside the window, and a physical deletion only
        as a key missing from the scan.
        """
        flt = self.window(since, None) if since else ""
        return self.odata.versions(self.profile.set(logical), flt)

    def changes(
        self, logical: str, previous: dict[str, str], since: dt.date | None = None
    ) -> Changes:
        now = self.scan(logical, since)
        created = tuple(k for k in now if k not in previous)
        changed = tuple(k for k, v in now.items() if k in previous and previous[k] != v)
        removed = tuple(k for k in previous if k not in now)
        return Changes(created, changed, removed, now)

    # --- writes -----------------------------------------------------------------------

    def create_counterparty_with_contract(
        self, cp: Counterparty, key: str
    ) -> tuple[CreateResult, CreateResult]:
        """Counterparty, then its contract «с покупателем» (1C makes none over OData)."""
        made = self.create_counterparty(cp, key)
        contract = self.create_contract(made.ref, key + "/contract")
        return made, contract

    def create_invoice(self, invoice: Invoice, key: str) -> CreateResult:
        """Create (not post) the invoice (UT: the order); repeating the key makes no twin."""
        return self.odata.create(self.profile.set("invoices"), self.invoice_body(invoice, key))

    def post_invoice(self, ref: str) -> None:
        self.odata.post(self.profile.set("invoices"), ref)

    def invoice(self, ref: str) -> Invoice | None:
        r = self.odata.find(self.profile.set("invoices"), ref)
        return None if r is None else self.invoice_from(r)

    def find_created(self, logical: str, key: str, since: dt.date | None = None) -> str | None:
        """Find a record whose create outcome is unknown: by its Ref_Key, else by the key
        in Комментарий (a base that ignored the client's Ref_Key). 1C cannot filter an
        unlimited string, so the comments are scanned (documents within ``since``)."""
        entity = self.profile.set(logical)
        if self.odata.find(entity, ref_for_key(key), ("Ref_Key",)) is not None:
            return ref_for_key(key)
        flt = (
            self.window(since, None)
            if since and logical in ("invoices", "shipments", "returns")
            else ""
        )
        marker = f"[{MARK}{key}]"
        for r in self.read(logical, Query(filter=flt, select=("Ref_Key", "Комментарий"))):
            if marker in str(r.get("Комментарий") or ""):
                return convert.key(r["Ref_Key"])
        return None
