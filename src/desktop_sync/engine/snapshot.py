"""What a sync read from both systems: domain objects, and the CRM's own wrappers
(``desktop_sync.crm.types``) where the CRM holds more than the domain does.

Readers (``engine.readers``) fill it; the matcher and the planner only read it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from desktop_sync.crm.types import CrmCompany, CrmInvoice, CrmProduct
from desktop_sync.domain.entities import (
    Contract,
    Counterparty,
    Invoice,
    Payment,
    Product,
    Return,
    Shipment,
    StockLevel,
    Warehouse,
)


@dataclass(frozen=True, slots=True)
class CrmRequisite:
    """One requisite of a CRM company: the unit counterparties are matched on."""

    company_id: int
    requisite_id: int | None
    inn: str
    kpp: str
    name: str = ""  # the requisite's own name (RQ_COMPANY_NAME / RQ_NAME)
    shared: bool = False  # the company holds other requisites too
    # The CRM side's id of a counterparty link: ``company`` or ``company/requisite``. Made
    # once: a plan of 100,000 records asked for it some 125,000 times (issue 18).
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        key = (
            f"{self.company_id}/{self.requisite_id}"
            if self.requisite_id is not None
            else str(self.company_id)
        )
        object.__setattr__(self, "key", key)


def requisites_of(co: CrmCompany) -> tuple[CrmRequisite, ...]:
    """A company's requisites as match units (a company without any is one unit)."""
    cid = co.counterparty.crm_id or 0
    if not co.counterparty.requisites:
        return (CrmRequisite(cid, None, "", ""),)
    shared = len(co.counterparty.requisites) > 1
    return tuple(
        CrmRequisite(cid, rq.crm_id, rq.inn.strip(), rq.kpp.strip(), rq.name.strip(), shared)
        for rq in co.counterparty.requisites
    )


@dataclass
class OnecData:
    organization_ref: str | None = None
    counterparties: dict[str, Counterparty] = field(default_factory=dict)
    contracts: dict[str, list[Contract]] = field(default_factory=dict)  # by counterparty ref
    products: dict[str, Product] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    shipments: dict[str, Shipment] = field(default_factory=dict)
    returns: dict[str, Return] = field(default_factory=dict)
    warehouses: dict[str, Warehouse] = field(default_factory=dict)
    stock: list[StockLevel] = field(default_factory=list)
    # set -> its records' (Ref_Key, DataVersion) digests as read (connectors.onec.versions):
    # the next read asks again only for the records added or changed since
    scanned: dict[str, bytes] = field(default_factory=dict)


@dataclass
class CrmData:
    companies: dict[int, CrmCompany] = field(default_factory=dict)
    products: dict[int, CrmProduct] = field(default_factory=dict)
    invoices: dict[int, CrmInvoice] = field(default_factory=dict)
    stores: dict[int, Warehouse] = field(default_factory=dict)
    stock: dict[tuple[int, int], Decimal] = field(default_factory=dict)  # (product, store)
    stages: dict[str, str] = field(default_factory=dict)  # stage id -> name
    unreadable: dict[int, str] = field(default_factory=dict)  # invoice id -> why
    deals: dict[int, CrmInvoice] = field(default_factory=dict)  # F9: mapped pipelines' deals
    deals_unreadable: dict[int, str] = field(default_factory=dict)  # deal id -> why
    deal_stages: dict[str, str] = field(default_factory=dict)  # F9: of the mapped pipelines
    contacts: dict[int, CrmCompany] = field(default_factory=dict)  # buyers without a company
    # ИНН of 1C private persons asked about since the last full read (engine/read_persons)
    persons_asked: list[str] = field(default_factory=list)
    # (contact, ИНН) of the contacts' requisites changed since the last read (read_persons)
    contacts_touched: list[tuple[int, str]] = field(default_factory=list)
    # a full read: (contact, ИНН) of every contact's requisite (read_persons looks among
    # them, no request of its own); None: a read of what changed, which did not list them
    contacts_listed: list[tuple[int, str]] | None = None
    stock_at: str = ""  # the portal's time when ``stock`` was read (ISO 8601)
    read_at: str = ""  # the portal's time when this read began (ISO 8601)


@dataclass
class ReadStats:
    onec_requests: int = 0
    crm_requests: int = 0
    onec_rows: int = 0
    crm_rows: int = 0


@dataclass
class Snapshot:
    onec: OnecData
    crm: CrmData
    full: bool = True
    read_at: dt.datetime | None = None
    stats: ReadStats = field(default_factory=ReadStats)


def link_texts(snap: Snapshot) -> dict[str, str]:
    """The texts of the 1C counterparties and products a links read shares (``Journal.
    links_of``): their references, names and requisites, as the links' values hold them
    when unchanged. The large set's 28,000 links of them held their own copies (issue 18,
    the unchanged run's memory)."""
    texts: dict[str, str] = {}
    for cp in snap.onec.counterparties.values():
        for value in (cp.onec_ref, cp.name, cp.inn, cp.kpp, cp.phone, cp.email):
            if value:
                texts.setdefault(value, value)
    for ref, p in snap.onec.products.items():
        for value in (ref, p.name, p.article):
            if value:
                texts.setdefault(value, value)
    return texts
