"""Reading both systems into a :class:`Snapshot` (the network part of a sync).

After the first run the read is incremental, starting from the cached snapshot:

- the CRM says what changed: companies, products and invoices modified since the
  newest change seen last time (minus an overlap, for clock skew and for records
  written while we were reading) are read again and replace their cached copies;
- 1C cannot say what changed (research/onec.md A9): a light ``Ref_Key,DataVersion``
  scan of each document and catalog set tells whether the set changed, and only
  changed sets are read again.

A full reconciliation (everything read, deletions seen) runs when there is no
usable cache, when it is older than :data:`FULL_EVERY`, or when asked for.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from desktop_sync.connectors.onec import OnecClient
from desktop_sync.connectors.onec import versions as onec_versions
from desktop_sync.crm.port import CrmPort
from desktop_sync.crm.types import CrmCompany, CrmLists, CrmProduct, Known, read_moment
from desktop_sync.engine.cache import Cached, give_back
from desktop_sync.engine.facade import ConnectError
from desktop_sync.engine.model import Progress, ProgressFn, Stage
from desktop_sync.engine.sharing import Sharing
from desktop_sync.engine.snapshot import CrmData, OnecData
from desktop_sync.errors import Cancelled, SyncError
from desktop_sync.i18n import N_, tr

FULL_EVERY = dt.timedelta(hours=24)
OVERLAP = dt.timedelta(minutes=10)


def _step(
    cancel: threading.Event, progress: ProgressFn, stage: Stage, done: int, total: int, what: str
) -> None:
    if cancel.is_set():
        raise Cancelled
    progress(Progress(stage, done, total, what))


@dataclass(frozen=True)
class _Group:
    """Sets of 1C read together: re-read when any of their scans changed."""

    label: str
    logicals: tuple[str, ...]
    load: Callable[[OnecClient, OnecData], None]
    fields: tuple[str, ...]  # the OnecData fields it fills


def _counterparties(client: OnecClient, data: OnecData) -> None:
    data.counterparties = {c.onec_ref: c for c in client.counterparties() if c.onec_ref}
    data.contracts = {}
    for contract in client.contracts():
        data.contracts.setdefault(contract.counterparty_ref, []).append(contract)


def _products(client: OnecClient, data: OnecData) -> None:
    data.products = {p.onec_ref: p for p in client.products() if p.onec_ref}


def _invoices(client: OnecClient, data: OnecData) -> None:
    data.invoices = {i.onec_ref: i for i in client.invoices() if i.onec_ref}


def _payments(client: OnecClient, data: OnecData) -> None:
    data.payments = {p.onec_ref: p for p in client.payments() if p.onec_ref}


def _shipments(client: OnecClient, data: OnecData) -> None:
    data.shipments = {s.onec_ref: s for s in client.shipments() if s.onec_ref}
    data.returns = {r.onec_ref: r for r in client.returns() if r.onec_ref}


GROUPS = (
    _Group(N_("Counterparties"), ("counterparties", "contracts", "partners", "agreements"),
           _counterparties,
           ("counterparties", "contracts")),
    _Group(N_("Products"), ("products", "characteristics"), _products, ("products",)),
    _Group(N_("Customer invoices"), ("invoices",), _invoices, ("invoices",)),
    _Group(N_("Payments"), ("bank_receipts", "cash_receipts", "card_payments", "bank_refunds",
                            "settlement_objects",
                            "cash_refunds"), _payments, ("payments",)),
    _Group(N_("Shipments"), ("shipments", "returns"), _shipments, ("shipments", "returns")),
)  # fmt: skip


# Sets whose changed records are read again alone (``connectors.onec.versions``), when at
# most one in ``BY_RECORD_SHARE`` changed: a page holds 1,000 records, a request by key 25.
BY_RECORD = ("invoices",)
BY_RECORD_SHARE = 4


class _Scanned(NamedTuple):
    """A set's light scan, kept only as what the read needs of it."""

    fingerprint: str
    digests: bytes
    size: int
    changed: list[str] | None  # added or changed since the cached read (None: unknown)
    removed: list[str]  # cached records the scan no longer has


def _scan(client: OnecClient, logical: str, previous: Cached | None) -> _Scanned:
    scanned = client.scan(logical)
    before = previous.onec.scanned.get(logical) if previous is not None else None
    cached = previous.onec.invoices if previous is not None else {}  # BY_RECORD's one set
    return _Scanned(
        onec_versions.fingerprint(scanned),
        onec_versions.digests(scanned),
        len(scanned),
        onec_versions.changed(scanned, before) if before is not None else None,
        [ref for ref in cached if ref not in scanned],
    )


def _again_by_record(
    client: OnecClient,
    data: OnecData,
    previous: Cached,
    group: _Group,
    scans: dict[str, _Scanned],
    share: Sharing,
) -> bool:
    """The invoices read again only where added or changed since the cached read, the
    others kept (issue 18: the large set's run after a first sync read 34,543 invoices
    again for 1,210 it had made, 38 MB more at its peak). False: read the whole set."""
    scan = scans.get("invoices")
    if group.load is not _invoices or scan is None or scan.changed is None:
        return False
    if len(scan.changed) > scan.size // BY_RECORD_SHARE:
        return False
    kept, previous.onec.invoices = previous.onec.invoices, {}
    for ref in (*scan.removed, *scan.changed):
        kept.pop(ref, None)
    again = share(client.invoices_by_refs(scan.changed))  # (the kept ones are shared)
    kept.update({i.onec_ref: i for i in again if i.onec_ref})
    data.invoices = kept
    return True


def read_onec(
    client: OnecClient,
    progress: ProgressFn,
    cancel: threading.Event,
    *,
    stock: bool = False,
    previous: Cached | None = None,
    share: Sharing | None = None,
) -> tuple[OnecData, dict[str, str]]:
    """Everything the flows need from 1C; with ``previous``, only the changed sets.

    The sets read again are emptied in ``previous.onec`` as they are read: the
    cached copies are not needed any more and are not kept beside the new ones. Each
    set read is given ``share``'s one object per text, decimal and date as soon as it
    is read (the read as small as its saved copy loaded: issue 18)."""
    share = share or Sharing()
    steps = len(GROUPS) + 2
    data = OnecData()
    _step(cancel, progress, Stage.READ_ONEC, 0, steps, tr("Organization"))
    data.organization_ref = client.organization().onec_ref
    # The light scan first: what is read after it can only be newer than it.
    # Only the sets this configuration has (UT's partners, agreements and settlement
    # objects; BP has none of them).
    published = client.profile.sets
    scans = {lg: _scan(client, lg, previous) for lg in BY_RECORD if lg in published}
    data.scanned = {lg: scan.digests for lg, scan in scans.items()}
    versions = {
        lg: scans[lg].fingerprint if lg in scans else client.fingerprint(lg)
        for group in GROUPS
        for lg in group.logicals
        if lg in published
    }
    reloaded = False
    for n, group in enumerate(GROUPS, start=1):
        _step(cancel, progress, Stage.READ_ONEC, n, steps, tr(group.label))
        if previous is not None and all(
            previous.onec_versions.get(lg) == versions[lg]
            for lg in group.logicals
            if lg in published
        ):
            for name in group.fields:  # unchanged since the last read: reuse it
                setattr(data, name, getattr(previous.onec, name))
            if group.load is _products:  # the rows read after it name them: no new read
                client.know_products(data.products)
            continue
        if previous is not None and _again_by_record(client, data, previous, group, scans, share):
            continue
        if previous is not None:  # read again: the cached copy is not kept beside it
            for name in group.fields:  # (issue 18: the large set in 300 MB)
                setattr(previous.onec, name, type(getattr(previous.onec, name))())
        group.load(client, data)
        for name in group.fields:
            setattr(data, name, share(getattr(data, name)))
        give_back()  # the pages' answers and second copies, freed: not the next set's floor
        if group.load is _products:
            reloaded = True
    if not reloaded and data.products:
        # A price is a register record: no catalog version moves with it, so the base
        # prices are read again on every run (one light request).
        # A product whose price is spelled as before stays the cached object (not a
        # second copy of the catalog beside the cached one while the plan is made).
        prices = client.prices()
        data.products = {
            ref: p if str(p.price) == str(prices.get(ref)) else replace(p, price=prices.get(ref))
            for ref, p in data.products.items()
        }
    _step(cancel, progress, Stage.READ_ONEC, steps - 1, steps, tr("Warehouses"))
    data.warehouses = share({w.onec_ref: w for w in client.warehouses() if w.onec_ref})
    if stock:
        data.stock = share(client.stock())
    if previous is not None:  # read again on every run: the cached ones not kept beside
        previous.onec.stock, previous.onec.warehouses = [], {}
    client.forget_numbers()
    _step(cancel, progress, Stage.READ_ONEC, steps, steps, "")
    return data, versions


def _newest(data: CrmData) -> dt.datetime | None:
    stamps: list[dt.datetime] = [c.modified for c in data.companies.values()]
    stamps += [p.modified for p in data.products.values() if p.modified is not None]
    stamps += [i.updated for i in data.invoices.values()]
    return max(stamps) if stamps else None


class CrmRead(NamedTuple):
    data: CrmData
    cursor: dt.datetime | None  # the newest change seen: where the next read's probes start
    keys: frozenset[str] | None  # a full read: the 1C keys on CRM records (``CrmLists.keys``)


def read_crm(
    client: CrmPort,
    progress: ProgressFn,
    cancel: threading.Event,
    *,
    stock: bool = False,
    previous: Cached | None = None,
    deals: Sequence[int] = (),
    share: Sharing | None = None,
) -> CrmRead:
    """The CRM side; with ``previous``, only what changed since its cursor (``previous.crm``
    is emptied once read: its records are in the new read or were read again).

    Every list travels in shared batch requests (``connectors.bitrix24.reads``): with
    nothing changed, the whole read is one request. What is read now is given
    ``share``'s one object per text, decimal and date (as :func:`read_onec`)."""
    share = share or Sharing()
    steps = 4
    since = _since(previous)
    old = previous.crm if previous is not None and since is not None else None
    reuse = previous is not None and bool(previous.crm.stages)
    _step(cancel, progress, Stage.READ_CRM, 0, steps, tr("Companies and requisites"))
    lists = share(
        client.read_lists(
            since if old is not None else None,
            known=_known(old),
            stores=not reuse,
            stock=stock,
            stock_since=old.stock_at if old is not None else "",
        )
    )
    _step(cancel, progress, Stage.READ_CRM, 1, steps, tr("Product catalog"))
    data = CrmData(read_at=lists.read_at)
    data.companies = _crm_companies(lists, old)
    data.products = _crm_products(lists, old)
    _step(cancel, progress, Stage.READ_CRM, 2, steps, tr("Invoices"))
    _invoices_into(client, data, lists, old)
    if deals:  # F9: the deals of the mapped pipelines (with which of our fields they lack)
        _deals_into(client, data, deals, len(old.deals) if old is not None else 0)
        data.deals = share(data.deals)
    _contacts_into(client, data, lists, old)
    data.persons_asked = old.persons_asked if old is not None else []  # (read_persons)
    data.contacts_touched = lists.contact_inns
    data.contacts_listed = lists.contact_requisites
    _step(cancel, progress, Stage.READ_CRM, 3, steps, tr("Stages"))
    if previous is not None and reuse:
        data.stages, data.stores = previous.crm.stages, previous.crm.stores
    else:
        stages = lists.stages if lists.stages is not None else client.invoices.stages()
        data.stages = {s.id: s.name for s in stages}
        data.stores = {w.crm_id: w for w in lists.stores or () if w.crm_id is not None}
    if stock and lists.stock is not None:
        data.stock = {(a.product_id, a.store_id): a.amount for a in lists.stock}
        data.stock_at = lists.stock_at
    elif stock and old is not None:  # no store document moved since the last read
        data.stock, data.stock_at = old.stock, old.stock_at
    if previous is not None:  # what it held is in ``data`` now, or was read again: the
        previous.crm = CrmData()  # older copies are not kept beside it (issue 18)
    give_back()  # the answers' bytes and raw rows, freed (the large set's: 43 MB)
    _step(cancel, progress, Stage.READ_CRM, steps, steps, "")
    return CrmRead(data, _newest(data), lists.keys)


def check_scopes(client: CrmPort, after: SyncError | None = None) -> None:
    """The webhook's permissions (the read's first request answers them; asked here
    otherwise): the sync goes on only with all of them. ``after``: the error a request
    met, raised as it is if the permissions cannot be asked either."""
    try:
        missing = client.missing_scopes()
    except SyncError:
        if after is None:
            raise
        raise ConnectError.of(after) from None
    if missing:
        raise ConnectError(
            tr(
                "Bitrix24: the webhook lacks the permissions {scopes}; add them to the "
                "inbound webhook"
            ).format(scopes=", ".join(missing))
        )


def _since(previous: Cached | None) -> dt.datetime | None:
    """Where the probes of what changed start: the newest change the last read saw,
    minus the overlap. A stamp later than the moment that read began (the portal's
    clock; a clock that ran ahead and was set back, records carried over from another
    server) counts as that moment: taken as it came, a stamp a year ahead hid every
    change for a year, those the last run wrote too (the large set's second run)."""
    if previous is None or previous.crm_cursor is None:
        return None
    began = read_moment(previous.crm.read_at) or dt.datetime.now(dt.UTC)
    return min(previous.crm_cursor, began) - OVERLAP


def _known(old: CrmData | None) -> Known:
    """What the last read saw, for the probe to tell what really changed."""
    if old is None:
        return Known()
    invoices = {iid: inv.updated for iid, inv in old.invoices.items()}
    return Known(invoices, old.companies, read_moment(old.read_at))


def _crm_companies(lists: CrmLists, old: CrmData | None) -> dict[int, CrmCompany]:
    read = {c.counterparty.crm_id: c for c in lists.companies if c.counterparty.crm_id is not None}
    return {**old.companies, **read} if old is not None else read


def _crm_products(lists: CrmLists, old: CrmData | None) -> dict[int, CrmProduct]:
    """Products read now over the cached ones; a base price set since is the price (a
    new price does not move its product's timestampX), else the one known before."""
    read = {p.product.crm_id: p for p in lists.products if p.product.crm_id}
    if old is None:
        return read
    out = {**old.products, **read}
    for pid, cp in out.items():
        known = old.products.get(pid)
        price = lists.prices.get(pid, known.product.price if known else cp.product.price)
        if price != cp.product.price:
            out[pid] = replace(cp, product=replace(cp.product, price=price))
    return out


def _deals_into(client: CrmPort, data: CrmData, pipelines: Sequence[int], expected: int) -> None:
    """F9: the deals of these pipelines, read whole (two requests: the deals with our
    fields' list, then their rows), and the requisite chosen on a deal whose company
    has several (one more, only then)."""
    read = client.deals.read(pipelines, data.deals_unreadable, expected, data.deal_stages)
    deals = {d.invoice.crm_id: d for d in read if d.invoice.crm_id}
    several = [
        did
        for did, d in deals.items()
        if (co := data.companies.get(d.company_id or -1)) and len(co.counterparty.requisites) > 1
    ]
    if several:
        chosen = client.deals.deal_requisites(several)
        deals.update({did: replace(deals[did], requisite_id=chosen.get(did)) for did in several})
    data.deals = deals


def _contacts_into(client: CrmPort, data: CrmData, lists: CrmLists, old: CrmData | None) -> None:
    """The private persons buying on an invoice or deal without a company: those of the
    invoices read now (a full read brings them with the lists: ``CrmLists.contacts``), and
    any not known yet (a deal's, a snapshot from before contacts were read), and those
    whose requisite changed since (``CrmLists.contact_inns``: an ИНН given or taken away):
    one request, only when there are any; the others as last read."""
    known = old.contacts if old is not None else {}
    fresh = {i.contact_id for i in lists.invoices if i.contact_id and not i.company_id}
    came = set(fresh) if lists.contacts is not None else set()  # asked with the lists
    fresh |= {
        d.contact_id
        for d in (*data.invoices.values(), *data.deals.values())
        if d.contact_id and not d.company_id and d.contact_id not in known
    }
    fresh |= {c for c, _inn in lists.contact_inns if c in known}  # its ИНН changed
    brought = [c for c in lists.contacts or () if c.counterparty.crm_id in fresh]
    asked = client.companies.contacts_of(sorted(fresh - came))
    read = {c.counterparty.crm_id: c for c in [*brought, *asked]}
    data.contacts = {**known, **{k: v for k, v in read.items() if k is not None}}


def _invoices_into(client: CrmPort, data: CrmData, lists: CrmLists, old: CrmData | None) -> None:
    """Invoices read now (with their rows) over the cached ones."""
    unreadable = lists.unreadable
    invoices = {i.invoice.crm_id: i for i in lists.invoices if i.invoice.crm_id}

    # A buyer with several requisites (a head office and its branch, a UT partner's
    # legal entities): which one the manager chose on the invoice, read for the
    # invoices read now (a new choice moves the invoice's updatedTime).
    def held(company_id: int | None) -> int:
        company = data.companies.get(company_id or -1)
        return len(company.counterparty.requisites) if company is not None else 0

    several = [iid for iid, inv in invoices.items() if held(inv.company_id) > 1]
    if several:  # a full read listed every choice (``CrmLists.chosen``)
        chosen = (
            lists.chosen
            if lists.chosen is not None
            else client.invoices.invoice_requisites(several)
        )
        invoices.update(
            {iid: replace(invoices[iid], requisite_id=chosen.get(iid)) for iid in several}
        )
    data.invoices = {**old.invoices, **invoices} if old is not None else invoices
    for crm_id in unreadable:
        data.invoices.pop(crm_id, None)  # an older readable copy must not stand in for it
    data.unreadable = {**(old.unreadable if old is not None else {}), **unreadable}
    for crm_id in invoices:
        data.unreadable.pop(crm_id, None)  # read fine this time
