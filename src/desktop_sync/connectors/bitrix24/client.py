"""``Bitrix24Client``: the Bitrix24 side of the sync, one part per kind of record over
one REST transport (composition: each part holds the transport, none inherits it).

- ``companies``: companies, contacts and requisites;
- ``catalog``: products, their reference lists and base prices;
- ``invoices`` and ``payments``: smart invoices with their rows, and their payments;
- ``timeline``: comments and files on an invoice;
- ``userfields``: our custom fields on the smart invoice;
- ``inventory``: stores, stock balances and store documents;
- ``deals``: deals with their rows, pipelines and stages, our fields on them (F9);
- ``access``: the webhook's user and scopes.

Reads use the fast ID scan and batches; writes carry their idempotency keys where
DESIGN.md puts them (company ``ORIGINATOR_ID``+``ORIGIN_ID``, requisite ``XML_ID``,
invoice and product ``xmlId``, store document ``title``) and each has a ``find_*``
lookup so that a write whose outcome is unknown can be resolved before any retry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from desktop_sync.closing import Closing
from desktop_sync.connectors.bitrix24 import lookup, reads, sharing
from desktop_sync.connectors.bitrix24.access import NEEDED_SCOPES, Access
from desktop_sync.connectors.bitrix24.catalog import Catalog
from desktop_sync.connectors.bitrix24.changes import Changes
from desktop_sync.connectors.bitrix24.companies import Companies
from desktop_sync.connectors.bitrix24.deals import Deals
from desktop_sync.connectors.bitrix24.envelope import BatchReply, Counters, Params, Reply
from desktop_sync.connectors.bitrix24.inventory import Inventory
from desktop_sync.connectors.bitrix24.invoices import INVOICE, Invoices
from desktop_sync.connectors.bitrix24.payments import Payments
from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.connectors.bitrix24.timeline import Timeline
from desktop_sync.connectors.bitrix24.userfields import UserFields
from desktop_sync.crm.port import Waiting

__all__ = ["INVOICE", "NEEDED_SCOPES", "Bitrix24Client"]

T = TypeVar("T")


class Bitrix24Client(Closing):
    """The Bitrix24 side of the sync, over an inbound webhook (one per thread).

    ``options`` are the transport's (:class:`RestClient`): timeout, verify, transport,
    clock, sleep, throttle, burst, rate, operating_limit, max_retries, max_wait.
    """

    def __init__(self, webhook_url: str, **options: Any) -> None:
        self.rest = RestClient(webhook_url, **options)
        self.access = Access(self.rest)
        self.companies = Companies(self.rest)
        self.catalog = Catalog(self.rest)
        self.invoices = Invoices(self.rest)
        self.payments = Payments(self.rest, self.invoices)
        self.timeline = Timeline(self.rest)
        self.userfields = UserFields(self.rest, self.access)
        self.inventory = Inventory(self.rest)
        self.changes = Changes(self.rest, self.catalog)
        self.deals = Deals(self.rest, self.invoices)

    # --- the transport, shared by every part -----------------------------------------

    @property
    def portal(self) -> str:
        """The portal's address (no secret in it)."""
        return self.rest.portal

    @property
    def counters(self) -> Counters:
        return self.rest.counters

    def call(self, method: str, params: Params | None = None, *, what: str = "") -> Reply:
        return self.rest.call(method, params, what=what)

    def batch(self, commands: Mapping[str, tuple[str, Params]], **how: Any) -> BatchReply:
        return self.rest.batch(commands, **how)

    def batch_all(self, commands: Mapping[str, tuple[str, Params]], **how: Any) -> BatchReply:
        return self.rest.batch_all(commands, **how)

    def while_waiting(self, work: Callable[[], Waiting]) -> None:
        self.rest.while_waiting(work)

    def together(
        self, works: Sequence[Callable[[], T]], *, in_order: bool = False
    ) -> list[T | BaseException]:
        return sharing.together(self.rest, works, in_order=in_order)

    def scan(
        self, method: str, params: Params | None = None, **how: Any
    ) -> Iterator[dict[str, Any]]:
        return self.rest.scan(method, params, **how)

    def close(self) -> None:
        self.rest.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(portal={self.portal!r})"

    # --- what the webhook may do ----------------------------------------------------------

    def scopes(self) -> list[str]:
        return self.access.scopes()

    def missing_scopes(self, needed: Iterable[str] = NEEDED_SCOPES) -> list[str]:
        return self.access.missing_scopes(needed)

    # --- the sync's read (``reads``), and look-ups by key many at once (``lookup``) ------

    read_lists = reads.read_lists  # the client is the read's first argument: its method

    def companies_by_origin(
        self, originator_id: str, origin_ids: Sequence[str]
    ) -> dict[str, tuple[int | None, int | None]]:
        return lookup.companies_by_origin(self, originator_id, origin_ids)

    def products_by_xml_id(self, xml_ids: Sequence[str]) -> dict[str, int]:
        return lookup.products_by_xml_id(self, xml_ids)

    def forget(self) -> None:
        """Drop what was read once per client: the next run sees the portal as it is."""
        self.catalog.forget()
        self.access.forget()
        self.userfields.forget()
        self.inventory.forget()
        self.deals.forget()
        self.rest.while_waiting(None)  # an earlier run's work left undone: not this run's
