"""CRM reads under the rate limit: invoices with rows, companies with requisites, catalog.

Each read runs on a fresh client against a portal with the limits on. The time is
virtual (``common.VirtualClock``): real processing time plus every wait the
throttle asked for, so the 2/s limit costs no real waiting and the number is what a
real run would take. Two starting states of the bucket:

- *cold*: empty, as after an idle hour; the floor is ``max(0, (R - 50) / 2)`` s;
- *warm*: full on the portal and in our mirror, as right after another run; the
  floor is ``R / 2`` s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.common import (
    BUCKET,
    FEWEST,
    MODEL,
    PAGE,
    Row,
    VirtualClock,
    bucket_seconds,
    fewest_requests,
    fill_bucket,
    pace,
)
from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.sandbox import bitrix24


@dataclass
class ReadSpec:
    name: str
    run: Callable[[Bitrix24Client], int]  # -> rows (domain objects) returned
    lists: Callable[[Bitrix24Client], dict[str, int]]  # raw row counts per list read


def _invoices(c: Bitrix24Client) -> int:
    return sum(1 + len(i.invoice.lines) for i in c.invoices.read())


def _invoice_lists(c: Bitrix24Client) -> dict[str, int]:
    items = c.invoices.invoice_items()
    rows = c.invoices.product_rows([int(i["id"]) for i in items])
    return {"crm.item.list": len(items), "crm.item.productrow.list": sum(map(len, rows.values()))}


def _companies(c: Bitrix24Client) -> int:
    return sum(1 + len(co.counterparty.requisites) for co in c.companies.read())


def _company_lists(c: Bitrix24Client) -> dict[str, int]:
    return {
        "crm.company.list": len(c.companies.company_rows()),
        "crm.requisite.list": len(c.companies.requisite_rows()),
    }


def _catalog(c: Bitrix24Client) -> int:
    return len(c.catalog.products())


def _catalog_lists(c: Bitrix24Client) -> dict[str, int]:
    prods = c.scan(
        "catalog.product.list",
        {"select": ["id", "iblockId"], "filter": {"iblockId": c.catalog.product_iblock()}},
        id_field="id",
        items_key="products",
    )
    return {
        "catalog.product.list": sum(1 for _ in prods),
        "catalog.price.list": len(c.catalog.base_prices()),
    }


READS = (
    ReadSpec("invoices + rows", _invoices, _invoice_lists),
    ReadSpec("companies + requisites", _companies, _company_lists),
    ReadSpec("catalog (products + prices)", _catalog, _catalog_lists),
)


class _OperatingMeter:
    """Sums the sandbox's virtual operating seconds of every call (none lost below 0.1 s)."""

    def __init__(self, portal: bitrix24.Bitrix24Sandbox) -> None:
        self.total = 0.0
        limiter = portal.portal.operating
        original = limiter.record

        def record(hook: str, method: str, seconds: float) -> tuple[float, int | None]:
            self.total += seconds
            return original(hook, method, seconds)

        limiter.record = record  # type: ignore[method-assign]


def model_floor(portal: bitrix24.Bitrix24Sandbox, lists: dict[str, int]) -> float:
    """Operating seconds the cost model charges at least: one page per 50 rows, no skips."""
    model = portal.portal.cost_model
    return sum(
        ((n + PAGE - 1) // PAGE or 1) * model.base + n * model.per_row for n in lists.values()
    )


def measure(
    size: str, *, seed: int = 1, warm: bool, spec: ReadSpec
) -> tuple[list[Row], dict[str, Any]]:
    group = f"CRM read ({size}, rate limit on, {'warm' if warm else 'cold'} bucket)"
    with bitrix24.start(port=0, seed=seed, size=size, rate_limit=True) as portal:
        clock = VirtualClock()
        portal.set_clock(clock.now)
        meter = _OperatingMeter(portal)
        if warm:
            fill_bucket(portal)
        portal.stats.reset()
        client = Bitrix24Client(portal.webhook, throttle=True)
        with client:
            pace(client, clock, full=warm)
            t0 = clock.now()
            real0 = time.perf_counter()
            returned = spec.run(client)
            seconds = clock.now() - t0
            real = time.perf_counter() - real0
            requests = portal.stats.requests
            refused = portal.stats.rejected_503 + portal.stats.rejected_429
            operating = meter.total
        raw = Bitrix24Client(portal.webhook, throttle=False)
        with raw:
            lists = spec.lists(raw)
    floor_req = fewest_requests(*lists.values())
    start_level = 50.0 if warm else 0.0
    floor_made = bucket_seconds(requests, start_level)
    floor_best = bucket_seconds(floor_req, start_level)
    rows_total = sum(lists.values())
    info = {
        "lists": lists,
        "returned": returned,
        "real_seconds": round(real, 3),
        "waited": round(clock.slept, 3),
        "refused": refused,
    }
    out = [
        Row(
            group,
            f"{spec.name}: requests",
            requests,
            "req",
            floor_req,
            FEWEST,
            f"{rows_total} rows; {refused} refused (503/429)",
            info,
        ),
        Row(
            group,
            f"{spec.name}: time vs. our requests",
            seconds,
            "s",
            floor_made or None,
            BUCKET,
            "below the burst: no wait needed"
            if not floor_made
            else f"{clock.slept:.1f} s waited for the bucket, {real:.2f} s real work",
        ),
        Row(
            group,
            f"{spec.name}: time vs. fewest requests",
            seconds,
            "s",
            floor_best or None,
            BUCKET,
            "" if floor_best else "the fewest requests fit in the burst",
        ),
        Row(
            group,
            f"{spec.name}: operating time",
            operating,
            "op-s",
            model_floor(portal, lists),
            MODEL,
            "ratio against our own estimate",
        ),
    ]
    return out, info


def run(size: str, *, quick: bool = False) -> list[Row]:
    rows: list[Row] = []
    for warm in (False, True):
        for spec in READS:
            got, _ = measure(size, warm=warm, spec=spec)
            rows.extend(got)
    return rows
