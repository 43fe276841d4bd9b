"""``Bitrix24Sandbox``: a running portal on loopback, and the helpers tests use."""

from __future__ import annotations

import datetime as dt
import pathlib
import tempfile
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from desktop_sync.sandbox.bitrix24.crm_items import recalc_opportunity
from desktop_sync.sandbox.bitrix24.dataset_bridge import Dataset
from desktop_sync.sandbox.bitrix24.seed import ADMIN_ID, MANAGER_ID, seed
from desktop_sync.sandbox.bitrix24.server import Portal, PortalServer, Stats
from desktop_sync.sandbox.bitrix24.store import ALL_SCOPES, Store, now_portal
from desktop_sync.sandbox.serving import Serving
from desktop_sync.sandbox.tls import serve_tls


class Bitrix24Sandbox(Serving):
    """A seeded Bitrix24 cloud portal served over HTTP(S) on a background thread."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        seed_value: int,
        size: str,
        rate_limit: bool,
        faults: str,
        tls_dir: pathlib.Path | None,
    ) -> None:
        self.store = Store()
        self.dataset: Dataset = seed(self.store, seed_value, size)
        self.portal = Portal(self.store, rate_limit=rate_limit, faults=faults, seed=seed_value)
        self._server = PortalServer((host, port), self.portal)
        self.ca_file: pathlib.Path | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        scheme = "http"
        if tls_dir is not None:
            self.ca_file = serve_tls(self._server, tls_dir)
            scheme = "https"
        bound_host, bound_port = self._server.server_address[:2]
        self.host = str(bound_host)
        self.port = int(bound_port)
        self.url = f"{scheme}://{self.host}:{self.port}"
        admin = self.store.add_webhook(ADMIN_ID, ALL_SCOPES)
        self.webhook = self.webhook_url(admin.user_id, admin.code)
        self._serve(self._server, self.portal.stopping, f"bitrix24-sandbox-{self.port}")

    def describe(self) -> dict[str, str]:
        """The ``"crm"`` object of ``desktop-sync sandbox --json`` (DESIGN.md)."""
        out = {"kind": "bitrix24", "url": self.url, "webhook": self.webhook}
        if self.ca_file is not None:
            out["ca_file"] = str(self.ca_file)
        return out

    # --- webhooks ----------------------------------------------------------------

    def webhook_url(self, user_id: int, code: str) -> str:
        return f"{self.url}/rest/{user_id}/{code}/"

    def add_webhook(
        self,
        user_id: int = ADMIN_ID,
        scopes: Iterable[str] = ALL_SCOPES,
        *,
        expires: dt.datetime | None = None,
    ) -> str:
        """A new inbound webhook URL for ``user_id`` with ``scopes`` (1 admin, 2 manager)."""
        hook = self.store.add_webhook(user_id, frozenset(scopes), expires=expires)
        return self.webhook_url(user_id, hook.code)

    def manager_webhook(self, scopes: Iterable[str] = ALL_SCOPES) -> str:
        """A webhook of the sales manager, who sees only the companies and invoices assigned."""
        return self.add_webhook(MANAGER_ID, scopes)

    # --- limits, faults, statistics ------------------------------------------------

    @property
    def stats(self) -> Stats:
        return self.portal.stats

    def set_clock(self, clock: Callable[[], float]) -> None:
        """Drive the leaky bucket and operating time from ``clock`` (tests)."""
        self.portal.clock = clock
        with self.portal.bucket._lock:
            self.portal.bucket.level = 0.0
            self.portal.bucket._last = clock()

    def set_operating_limit(self, seconds: float) -> None:
        self.portal.operating.limit = seconds

    def set_faults(self, spec: str, timeout_seconds: float | None = None) -> None:
        from desktop_sync.sandbox.bitrix24.faults import FaultPlan

        plan = FaultPlan(spec, 0)
        if timeout_seconds is not None:
            plan.timeout_seconds = timeout_seconds
        self.portal.faults = plan

    def move_to(self, new_url: str | None) -> None:
        """Answer every request not addressed to ``new_url``'s host with a 302 there."""
        self.portal.moved_to = new_url

    # --- acting as a portal user -------------------------------------------------------

    def move_stage(self, item_id: int, stage_id: str, user_id: int = ADMIN_ID) -> None:
        with self.store.lock:
            row = self.store.items.rows[item_id]
            row["previousStageId"] = row["stageId"]
            row["stageId"] = stage_id
            row["movedTime"] = row["updatedTime"] = now_portal()
            row["movedBy"] = row["updatedBy"] = user_id

    def edit_row(
        self, row_id: int, *, price: Decimal | None = None, quantity: Decimal | None = None
    ) -> None:
        from desktop_sync.sandbox.bitrix24 import rows as rowcalc

        with self.store.lock:
            row = self.store.product_rows.rows[row_id]
            if price is not None:
                row["price"] = price
            if quantity is not None:
                row["quantity"] = quantity
            rowcalc.compute(row)
            item = self.store.items.rows[row["ownerId"]]
            recalc_opportunity(self.store, item)
            item["updatedTime"] = now_portal()

    def edit_item(self, item_id: int, **fields: Any) -> None:
        with self.store.lock:
            row = self.store.items.rows[item_id]
            row.update(fields)
            row["updatedTime"] = now_portal()

    def edit_company(self, company_id: int, **fields: Any) -> None:
        with self.store.lock:
            row = self.store.companies.rows[company_id]
            row.update(fields)
            row["DATE_MODIFY"] = now_portal()
            self.store.companies.invalidate()  # a field of its indexes may have changed

    def delete_item(self, item_id: int) -> None:
        with self.store.lock:
            del self.store.items.rows[item_id]

    def __repr__(self) -> str:
        return f"Bitrix24Sandbox(url={self.url!r})"


def start(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    seed: int = 1,
    size: str = "small",
    rate_limit: bool = True,
    faults: str = "",
    tls_dir: pathlib.Path | None = None,
) -> Bitrix24Sandbox:
    """Seed a portal and serve it on ``host:port`` (0 = a free port) until ``stop()``."""
    return Bitrix24Sandbox(
        host,
        port,
        seed_value=seed,
        size=size,
        rate_limit=rate_limit,
        faults=faults,
        tls_dir=tls_dir,
    )


__all__ = ["Bitrix24Sandbox", "start"]
