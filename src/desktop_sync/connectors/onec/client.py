"""The 1C client the engine uses: domain objects in, domain objects out.

Built on :class:`Transport` (the OData conversation) and a configuration
:class:`Profile` (every 1C name). Creates use a deterministic ``Ref_Key`` (UUID5
of the idempotency key) and repeat the key in ``Комментарий``
(DESIGN.md "Idempotency"); creating and posting are separate calls, so the
engine can journal each step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from desktop_sync.connectors.onec import bodies, convert
from desktop_sync.connectors.onec import literals as lit
from desktop_sync.connectors.onec.bodies import MARK
from desktop_sync.connectors.onec.bodies import comment_with_key as comment_with_key
from desktop_sync.connectors.onec.bodies import ref_for_key as ref_for_key
from desktop_sync.connectors.onec.errors import (
    OnecAccessDenied,
    OnecConflict,
    OnecError,
    OnecNotFound,
    OnecProfileError,
    OnecServerError,
)
from desktop_sync.connectors.onec.literals import Guid, Query
from desktop_sync.connectors.onec.metadata import Metadata
from desktop_sync.connectors.onec.profiles import Problem, Profile, detect, profile
from desktop_sync.connectors.onec.transport import CreateResult, Transport
from desktop_sync.domain.entities import (
    Allocation,
    Contract,
    Counterparty,
    Invoice,
    Payment,
    PaymentKind,
    PriceType,
    Product,
    ProductKind,
    Return,
    Shipment,
    StockLevel,
    Unit,
    Warehouse,
)
from desktop_sync.i18n import tr

RUB_CODE = "643"


def _light(entity: str) -> tuple[str, ...]:
    """The cheapest $select for a probe: registers have no Ref_Key."""
    return () if "Register_" in entity else ("Ref_Key",)


@dataclass(frozen=True, slots=True)
class Organization:
    name: str
    inn: str
    kpp: str
    onec_ref: str
    bank_account_ref: str | None


@dataclass(frozen=True, slots=True)
class BankDetails:
    """The organization's settlement account and its bank, as an invoice prints them."""

    account: str  # НомерСчета
    bank_name: str
    bic: str  # the bank's Code
    correspondent_account: str  # КоррСчет
    city: str


# The catalog of banks a bank account's ``Банк_Key`` points to: «КлассификаторБанков»
# since БСП 3.1 (UT 11.5, newer BP 3.0 releases), «Банки» before.
BANK_SETS = ("Catalog_КлассификаторБанков", "Catalog_Банки")


@dataclass(frozen=True, slots=True)
class Changes:
    """The difference between two ``Ref_Key → DataVersion`` scans."""

    created: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]  # deleted physically (or now outside the window)
    versions: dict[str, str]


@dataclass(frozen=True, slots=True)
class EntityAccess:
    """One object the flows need: published, readable, writable (None = not needed)."""

    logical: str
    entity: str
    published: bool
    readable: bool
    writable: bool | None
    rows_hidden: bool  # record-level security hides rows: reads need allowedOnly


@dataclass(frozen=True, slots=True)
class CheckReport:
    configuration: str
    problems: tuple[Problem, ...]
    entities: tuple[EntityAccess, ...]
    # What $metadata says the base is (bp30/ut11), whatever the profile says; None when
    # the published objects fit neither.
    detected: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and all(
            e.readable and e.writable is not False for e in self.entities
        )


class OnecClient(Transport):
    def __new__(cls, *args: Any, **kwargs: Any) -> OnecClient:
        """``configuration="ut11"`` gives the UT 11 mapping (:mod:`.ut11`): the same
        methods, the same domain objects, UT's structure."""
        chosen = kwargs.get("configuration", "bp30")
        name = chosen.name if isinstance(chosen, Profile) else chosen
        if cls is OnecClient and name == "ut11":
            from desktop_sync.connectors.onec.ut11 import Ut11Client

            return super().__new__(Ut11Client)
        return super().__new__(cls)

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        timeout: float = 30.0,
        verify: bool | str = True,
        transport: httpx.BaseTransport | None = None,
        configuration: str | Profile = "bp30",
        timezone: str = "Europe/Moscow",
        organization: str | None = None,
        warehouse: str | None = None,
        page_size: int | None = 1000,
        allowed_only: bool = False,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        # The profile first: an unknown configuration must not leave a client open.
        chosen = configuration if isinstance(configuration, Profile) else profile(configuration)
        kwargs: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        super().__init__(
            url,
            user,
            password,
            timeout=timeout,
            verify=verify,
            transport=transport,
            retries=retries,
            backoff=backoff,
            **kwargs,
        )
        self.profile = chosen
        self.tz = ZoneInfo(timezone)
        self.page_size = page_size
        # Read only the rows record-level security lets this user see (allowedOnly=true);
        # without it 1C refuses a whole set that holds one hidden row (code 20).
        self.allowed_only = allowed_only
        self._organization = organization
        self._warehouse = warehouse  # UT 11: the warehouse of orders made from the CRM
        self._cache: dict[str, Any] = {}

    def __enter__(self) -> OnecClient:
        return self

    # --- connection and profile check --------------------------------------------------

    def check(self) -> list[Problem]:
        """Everything the profile needs that this base does not publish (empty = fine)."""
        meta = self.metadata()
        self._cache["metadata"] = meta
        return self.profile.validate(meta)

    def forget(self) -> None:
        """Drop what earlier lookups kept (organization, units, agreements…): the next
        run sees 1C as it is now. A run keeps them; the service calls this per run."""
        self._cache.clear()

    def connect(self) -> Metadata:
        """Read ``$metadata`` and refuse a base that lacks what the profile needs."""
        problems = self.check()
        if problems:
            found = detect(self._cache["metadata"])
            if found is not None and found != self.profile.name:
                raise OnecProfileError(
                    f"this 1C base looks like configuration '{found}', but the profile says "
                    f"'{self.profile.name}' ({self.profile.title}): change the profile's "
                    "configuration",
                    entity="$metadata",
                )
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
        missing = {p.entity for p in problems if not p.field}
        entities: list[EntityAccess] = []
        for logical, entity in self.profile.sets.items():
            if entity in missing:
                entities.append(EntityAccess(logical, entity, False, False, False, False))
                continue
            readable = bool(self.readable(logical))
            hidden = self.hidden_rows(logical) if readable else False
            writable = (
                self.writable(logical) if readable and logical in self.profile.writes else None
            )
            entities.append(EntityAccess(logical, entity, True, readable, writable, hidden))
        found = detect(self._cache["metadata"])
        if found is not None and found != self.profile.name:
            # Say first what the base is: the missing objects below follow from it.
            problems.insert(
                0,
                Problem(
                    "$metadata",
                    "",
                    f"this 1C base looks like configuration '{found}', but the profile says "
                    f"'{self.profile.name}' ({self.profile.title}): change the profile's "
                    "configuration",
                ),
            )
        return CheckReport(self.profile.title, tuple(problems), tuple(entities), found)

    def writable(self, logical: str) -> bool:
        """Probe write rights without changing data: PATCH an existing record with an
        empty body and an ``If-Match`` that cannot match. No right → code 20; right →
        412 (DOC 17.4.13.1.5). A base that ignores ``If-Match`` (HC saw that) answers
        200 after writing the record unchanged: still no data changed, only its
        DataVersion. A POST probe was rejected: a base that ignores client keys would
        create an empty record (see docs/decisions/onec-client.md)."""

        entity = self.profile.set(logical)
        # A document probe takes an unposted one, so even a base that ignores If-Match
        # re-posts nothing.
        flt = lit.eq("Posted", False) if entity.startswith("Document_") else ""
        rows = self.fetch(entity, Query(filter=flt, select=("Ref_Key",), top=1, allowed_only=True))
        if not rows:
            return True  # nothing to probe with; the first real write will tell
        try:
            self.update(entity, str(rows[0]["Ref_Key"]), {}, if_match="desktop-sync-probe")
        except OnecAccessDenied:
            return False
        except (OnecConflict, OnecServerError):
            return True  # past the rights check: refused for another reason
        return True

    def readable(self, logical: str) -> bool | None:
        """Can this user read the set? ``None`` when the answer says neither."""

        try:
            entity = self.profile.set(logical)
            self.fetch(entity, Query(select=_light(entity), top=1, allowed_only=True))
        except OnecAccessDenied:
            return False
        return True

    def hidden_rows(self, logical: str) -> bool:
        """Does record-level security hide rows of this set from the user (allowedOnly)?"""

        entity = self.profile.set(logical)
        try:
            self.fetch(entity, Query(select=_light(entity)))
        except OnecAccessDenied:
            self.fetch(entity, Query(select=_light(entity), top=1, allowed_only=True))
            return True
        return False

    def _read(self, logical: str, query: Query | None = None) -> list[dict[str, Any]]:
        query = query or Query()
        query.allowed_only = query.allowed_only or self.allowed_only
        return self.read_all(self.profile.set(logical), query, self.page_size)

    def _one_by_code(self, logical: str, code: str) -> dict[str, Any] | None:
        rows = self.fetch(self.profile.set(logical), Query(filter=lit.eq("Code", code)))
        return rows[0] if rows else None

    # --- catalogs ----------------------------------------------------------------------

    def organizations(self) -> list[Organization]:
        rows = self._read("organizations")
        return [
            Organization(
                str(r["Description"]),
                str(r.get("ИНН") or ""),
                str(r.get("КПП") or ""),
                str(r["Ref_Key"]),
                convert.ref(r.get("ОсновнойБанковскийСчет_Key")),
            )
            for r in rows
            if not r.get("DeletionMark")
        ]

    def organization(self) -> Organization:
        """The profile's organization: by ref, name or ИНН, or the only one in the base."""
        if "organization" in self._cache:
            org: Organization = self._cache["organization"]
            return org
        orgs = self.organizations()
        wanted = self._organization
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

    bank_accounts_set = "Catalog_БанковскиеСчета"  # UT 11: …СчетаОрганизаций

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
            self.find(entity, org.bank_account_ref, ("Ref_Key", "НомерСчета", "Банк_Key"))
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
                bank = self.find(
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
            str(bank.get("Description") or "").strip(),
            str(bank.get("Code") or "").strip(),
            str(bank.get("КоррСчет") or "").strip(),
            str(bank.get("Город") or "").strip(),
        )
        self._cache["bank_details"] = details
        return details

    def counterparties(self) -> list[Counterparty]:
        rows = self._read("counterparties", Query(filter=lit.eq("IsFolder", False)))
        return [convert.counterparty(r) for r in rows]

    def find_counterparties(self, inn: str, kpp: str = "") -> list[str]:
        """Refs of the counterparties (not marked for deletion) with this ИНН and КПП:
        what a create from the CRM looks up first (one request)."""
        folders = "IsFolder" in self.profile.fields.get("counterparties", ())  # not in UT 11
        flt = lit.and_(
            lit.eq("IsFolder", False) if folders else "",
            lit.eq("ИНН", inn),
            lit.eq("КПП", kpp) if kpp else "",
        )
        rows = self._read("counterparties", Query(filter=flt, select=("Ref_Key", "DeletionMark")))
        return sorted(str(r["Ref_Key"]) for r in rows if not r.get("DeletionMark"))

    def contracts(self, counterparty_ref: str | None = None) -> list[Contract]:
        flt = lit.eq("Owner_Key", Guid(counterparty_ref)) if counterparty_ref else ""
        return [
            convert.contract(r)
            for r in self._read("contracts", Query(filter=flt))
            if not r.get("DeletionMark")
        ]

    def units(self) -> list[Unit]:
        if "units" not in self._cache:
            self._cache["units"] = [convert.unit(r) for r in self._read("units")]
        units: list[Unit] = self._cache["units"]
        return units

    def warehouses(self) -> list[Warehouse]:
        rows = self._read("warehouses", Query(filter=lit.eq("IsFolder", False)))
        return [convert.warehouse(r) for r in rows if not r.get("DeletionMark")]

    def price_types(self) -> list[PriceType]:
        # BP has no "base" flag: the first price type by code is taken as the base one.
        rows = self._read("price_types", Query(orderby=("Code",)))
        first = rows[0]["Ref_Key"] if rows else None
        return [convert.price_type(r, first) for r in rows if not r.get("DeletionMark")]

    def today(self) -> dt.date:
        return dt.datetime.now(self.tz).date()

    def prices(
        self, price_type_ref: str | None = None, as_of: dt.datetime | None = None
    ) -> dict[str, Decimal]:
        """Product → price of a price type (the base one by default), as of a moment
        (aware; now by default): the register's SliceLast (BP keeps prices there)."""
        if price_type_ref is None:
            base = [t for t in self.price_types() if t.base]
            if not base:
                return {}
            price_type_ref = base[0].onec_ref
        assert price_type_ref is not None
        period = ""
        if as_of is not None:
            period = lit.datetime(as_of.astimezone(self.tz).replace(tzinfo=None))
        entity = self.profile.set("prices")
        rows = self.slice_last(
            entity,
            period=period,
            condition=f"ТипЦен_Key eq {lit.guid(price_type_ref)}",
            select=("Номенклатура_Key", "Цена"),
        )
        return {
            str(r["Номенклатура_Key"]): convert.number(r.get("Цена"), entity, "Цена") for r in rows
        }

    def products(self, with_prices: bool = True) -> list[Product]:
        """Products with the base price type's current price (two more requests)."""
        units = {u.onec_ref or "": u for u in self.units()}
        rows = self._read("products", Query(filter=lit.eq("IsFolder", False)))
        today = self.today()
        products = [convert.product(r, units, today) for r in rows]
        if with_prices:
            prices = self.prices()
            products = [replace(p, price=prices.get(p.onec_ref or "")) for p in products]
        self._cache["products"] = {p.onec_ref or "": p for p in products}  # names for rows
        return products

    def _product_names(self) -> dict[str, Product]:
        if "products" not in self._cache:
            self._cache["products"] = {p.onec_ref or "": p for p in self.products()}
        names: dict[str, Product] = self._cache["products"]
        return names

    # --- documents ---------------------------------------------------------------------

    def _window(self, since: dt.date | None, until: dt.date | None) -> str:
        return lit.and_(
            lit.ge("Date", since) if since else "",
            lit.lt("Date", until + dt.timedelta(days=1)) if until else "",
        )

    def invoices(self, since: dt.date | None = None, until: dt.date | None = None) -> list[Invoice]:
        return self._invoices(Query(filter=self._window(since, until)))

    def _invoices(self, query: Query) -> list[Invoice]:
        rows = self._read("invoices", query)
        return [inv for r in rows if (inv := self._invoice_from(r)) is not None]

    def _invoice_from(self, r: dict[str, Any]) -> Invoice | None:
        entity = self.profile.set("invoices")
        day = convert.date(r.get("Date"))
        if day is None:
            return None
        included = bool(r.get("СуммаВключаетНДС", True))
        return Invoice(
            number=convert.printed_number(str(r.get("Number") or "")),
            date=day,
            counterparty_ref=convert.ref(r.get("Контрагент_Key")),
            lines=tuple(
                convert.lines(r.get("Товары") or [], entity, included, self._product_names())
            ),
            onec_ref=str(r["Ref_Key"]),
            contract_ref=convert.ref(r.get("ДоговорКонтрагента_Key")),
            comment=str(r.get("Комментарий") or ""),
            posted=bool(r.get("Posted")),
            deleted=bool(r.get("DeletionMark")),
        )

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

    def payments(
        self,
        since: dt.date | None = None,
        until: dt.date | None = None,
        kinds: tuple[PaymentKind, ...] = tuple(PaymentKind),
    ) -> list[Payment]:
        out: list[Payment] = []
        for kind, entity, r in self._payment_rows(since, until, kinds):
            allocations = tuple(
                Allocation(
                    amount=convert.number(row.get("СуммаПлатежа"), entity, "СуммаПлатежа"),
                    invoice_ref=convert.ref(row.get("СчетНаОплату_Key")),
                    contract_ref=convert.ref(row.get("ДоговорКонтрагента_Key")),
                    line_no=int(str(row.get("LineNumber") or 1)),
                )
                for row in r.get("РасшифровкаПлатежа") or []
            )
            payment = payment_header(kind, entity, r, allocations)
            if payment is not None:
                out.append(payment)
        return out

    def _payment_rows(
        self, since: dt.date | None, until: dt.date | None, kinds: tuple[PaymentKind, ...]
    ) -> list[tuple[PaymentKind, str, dict[str, Any]]]:
        """Every payment document of ``kinds`` in the window: (kind, entity set, row)."""
        out: list[tuple[PaymentKind, str, dict[str, Any]]] = []
        for kind in kinds:
            entity = self.profile.payment_sets[kind]
            query = Query(filter=self._window(since, until), allowed_only=self.allowed_only)
            out.extend((kind, entity, r) for r in self.read_all(entity, query, self.page_size))
        return out

    def shipments(
        self, since: dt.date | None = None, until: dt.date | None = None
    ) -> list[Shipment]:
        entity = self.profile.set("shipments")
        names = self._product_names()
        out = []
        for r in self._read("shipments", Query(filter=self._window(since, until))):
            day = convert.date(r.get("Date"))
            if day is None:
                continue
            included = bool(r.get("СуммаВключаетНДС", True))
            goods = convert.lines(r.get("Товары") or [], entity, included, names)
            services = convert.lines(
                r.get("Услуги") or [], entity, included, names, start=len(goods) + 1
            )
            out.append(
                Shipment(
                    number=convert.printed_number(str(r.get("Number") or "")),
                    date=day,
                    counterparty_ref=convert.ref(r.get("Контрагент_Key")),
                    lines=tuple(goods + services),
                    invoice_ref=convert.ref(r.get("СчетНаОплатуПокупателю_Key")),
                    posted=bool(r.get("Posted")),
                    deleted=bool(r.get("DeletionMark")),
                    onec_ref=str(r["Ref_Key"]),
                )
            )
        return out

    def returns(self, since: dt.date | None = None, until: dt.date | None = None) -> list[Return]:
        entity = self.profile.set("returns")
        names = self._product_names()
        rows = self._read("returns", Query(filter=self._window(since, until)))
        shipment_refs = sorted(
            {
                r["ДокументРеализации_Key"]
                for r in rows
                if convert.ref(r.get("ДокументРеализации_Key"))
            }
        )
        invoice_of = {
            str(s["Ref_Key"]): convert.ref(s.get("СчетНаОплатуПокупателю_Key"))
            for s in self.by_refs(
                self.profile.set("shipments"),
                shipment_refs,
                ("Ref_Key", "СчетНаОплатуПокупателю_Key"),
            )
        }
        out = []
        for r in rows:
            day = convert.date(r.get("Date"))
            if day is None:
                continue
            shipment = convert.ref(r.get("ДокументРеализации_Key"))
            out.append(
                Return(
                    number=convert.printed_number(str(r.get("Number") or "")),
                    date=day,
                    counterparty_ref=convert.ref(r.get("Контрагент_Key")),
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
                    posted=bool(r.get("Posted")),
                    deleted=bool(r.get("DeletionMark")),
                    onec_ref=str(r["Ref_Key"]),
                )
            )
        return out

    # --- stock -------------------------------------------------------------------------

    def account_ref(self, code: str) -> str:
        key = f"account:{code}"
        if key not in self._cache:
            row = self._one_by_code("accounts", code)
            if row is None:
                raise OnecProfileError(
                    f"1C has no account {code} in {self.profile.set('accounts')}",
                    entity=self.profile.set("accounts"),
                    field="Code",
                )
            self._cache[key] = str(row["Ref_Key"])
        found: str = self._cache[key]
        return found

    def stock(self, as_of: dt.datetime | None = None) -> list[StockLevel]:
        """Quantities on the goods account per product and warehouse (A7 "Stock in BP").

        ``as_of`` (aware) is converted to the 1C server's zone; the balance is taken
        just before that moment. Without it, the balance after all movements.
        """
        period = ""
        moment = as_of.astimezone(self.tz) if as_of else None
        taken = moment or dt.datetime.now(self.tz).replace(microsecond=0)
        if moment is not None:
            period = lit.datetime(moment.replace(tzinfo=None))
        account = self.account_ref(self.profile.goods_account)
        org = self.organization().onec_ref
        rows = self.balance(
            self.profile.accounting_register,
            period=period,
            account_condition=f"Account_Key eq {lit.guid(account)}",
            filter=lit.eq("Организация_Key", Guid(org)),
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
            out.append(
                StockLevel(
                    product,
                    warehouse or "",
                    convert.number(
                        r.get("КоличествоBalance"),
                        self.profile.accounting_register,
                        "КоличествоBalance",
                    ),
                    as_of=taken,
                )
            )
        return out

    # --- change detection --------------------------------------------------------------

    def scan(self, logical: str, since: dt.date | None = None) -> dict[str, str]:
        """``Ref_Key → DataVersion`` in one light request; documents by a date window.

        1C cannot say what changed since a moment (A9): a back-dated document edit is
        seen only when its date falls inside the window, and a physical deletion only
        as a key missing from the scan.
        """
        flt = self._window(since, None) if since else ""
        return self.versions(self.profile.set(logical), flt)

    def changes(
        self, logical: str, previous: dict[str, str], since: dt.date | None = None
    ) -> Changes:
        now = self.scan(logical, since)
        created = tuple(k for k in now if k not in previous)
        changed = tuple(k for k, v in now.items() if k in previous and previous[k] != v)
        removed = tuple(k for k in previous if k not in now)
        return Changes(created, changed, removed, now)

    # --- writes ------------------------------------------------------------------------

    def currency_ref(self) -> str:
        if "rub" not in self._cache:
            row = self._one_by_code("currencies", RUB_CODE)
            if row is None:
                raise OnecProfileError(
                    "1C has no currency 643 (рубль)",
                    entity=self.profile.set("currencies"),
                    field="Code",
                )
            self._cache["rub"] = str(row["Ref_Key"])
        found: str = self._cache["rub"]
        return found

    def create_counterparty(self, cp: Counterparty, key: str) -> CreateResult:
        entity = self.profile.set("counterparties")
        return self.create(entity, bodies.counterparty(cp, key, entity))

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
        return self.create(self.profile.set("contracts"), body)

    def create_counterparty_with_contract(
        self, cp: Counterparty, key: str
    ) -> tuple[CreateResult, CreateResult]:
        """Counterparty, then its contract «с покупателем» (1C makes none over OData)."""
        made = self.create_counterparty(cp, key)
        contract = self.create_contract(made.ref, key + "/contract")
        return made, contract

    def customer_contract(self, counterparty_ref: str) -> str | None:
        for c in self.contracts(counterparty_ref):
            if c.kind == self.profile.customer_contract_kind:
                return c.onec_ref
        return None

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
        is_service = product.kind is ProductKind.SERVICE
        if "product_kinds" not in self._cache:
            self._cache["product_kinds"] = self._read("product_kinds")
        kinds: list[dict[str, Any]] = self._cache["product_kinds"]
        kind_ref = next((k["Ref_Key"] for k in kinds if bool(k.get("Услуга")) == is_service), None)
        return self.create(entity, bodies.product(product, key, unit_ref, kind_ref))

    def invoice_body(self, invoice: Invoice, key: str) -> dict[str, Any]:
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

    def create_invoice(self, invoice: Invoice, key: str) -> CreateResult:
        """Create (not post) a СчетНаОплатуПокупателю; repeating the key makes no twin."""
        return self.create(self.profile.set("invoices"), self.invoice_body(invoice, key))

    def post_invoice(self, ref: str) -> None:
        self.post(self.profile.set("invoices"), ref)

    def invoice(self, ref: str) -> Invoice | None:
        r = self.find(self.profile.set("invoices"), ref)
        return None if r is None else self._invoice_from(r)

    def find_created(self, logical: str, key: str, since: dt.date | None = None) -> str | None:
        """Find a record whose create outcome is unknown: by its Ref_Key, else by the key
        in Комментарий (a base that ignored the client's Ref_Key). 1C cannot filter an
        unlimited string, so the comments are scanned (documents within ``since``)."""
        entity = self.profile.set(logical)
        if self.find(entity, ref_for_key(key), ("Ref_Key",)) is not None:
            return ref_for_key(key)
        flt = (
            self._window(since, None)
            if since and logical in ("invoices", "shipments", "returns")
            else ""
        )
        marker = f"[{MARK}{key}]"
        for r in self._read(logical, Query(filter=flt, select=("Ref_Key", "Комментарий"))):
            if marker in str(r.get("Комментарий") or ""):
                return str(r["Ref_Key"])
        return None


def payment_header(
    kind: PaymentKind, entity: str, r: dict[str, Any], allocations: tuple[Allocation, ...]
) -> Payment | None:
    """A payment document's header (the same fields in BP 3.0 and UT 11); None without
    a date."""
    day = convert.date(r.get("Date"))
    if day is None:
        return None
    return Payment(
        number=convert.printed_number(str(r.get("Number") or "")),
        date=day,
        kind=kind,
        amount=convert.number(r.get("СуммаДокумента"), entity, "СуммаДокумента"),
        counterparty_ref=convert.ref(r.get("Контрагент_Key")),
        allocations=allocations,
        purpose=str(r.get("НазначениеПлатежа") or r.get("Основание") or ""),
        posted=bool(r.get("Posted")),
        deleted=bool(r.get("DeletionMark")),
        onec_ref=str(r["Ref_Key"]),
    )
