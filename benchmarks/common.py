"""What every benchmark shares: a result row, a virtual clock, a sandboxed world."""

from __future__ import annotations

import math
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from desktop_sync.config import AppPaths, Profile, ProfileStore
from desktop_sync.config.environment import secrets_environment
from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.throttle import OperatingBudget, RequestThrottle
from desktop_sync.engine.service import SyncService
from desktop_sync.sandbox import bitrix24, onec
from desktop_sync.sandbox.bitrix24.server import PortalServer
from desktop_sync.sandbox.onec.server import Server as OnecServer

BURST = 50  # research/bitrix24.md §3: the published leaky bucket of a non-Enterprise portal
RATE = 2.0  # requests per second drained
PAGE = 50  # rows per list page (IRestService::LIST_LIMIT)
BATCH = 50  # commands per batch

BUCKET = "leaky bucket 50 burst, 2/s (published limit, research/bitrix24.md §3)"
FEWEST = "fewest requests: ceil(rows/50) pages, 50 pages per batch"
ONEC_FEWEST = "1C has no rate limit: fewest requests a read needs (one per entity set)"
MODEL = "sandbox cost model (OUR ESTIMATE, limits.py CostModel)"


@dataclass
class Row:
    """One line of the table."""

    group: str
    name: str
    value: float | None
    unit: str
    floor: float | None = None
    floor_source: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    wall_s: float | None = None  # wall time of what this line measured
    cpu_s: float | None = None  # CPU time of our process over the same span (all threads)
    step_times: bool = False  # wall_s / cpu_s are of the whole benchmark step, not this line

    @property
    def ratio(self) -> float | None:
        if self.value is None or self.floor is None or self.floor <= 0:
            return None
        return self.value / self.floor

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["ratio"] = self.ratio
        return out


class Timer:
    """Wall and CPU time (``time.process_time``: every thread of this process) of a span."""

    def __init__(self) -> None:
        self.wall0 = time.perf_counter()
        self.cpu0 = time.process_time()
        self.wall = 0.0
        self.cpu = 0.0

    def __enter__(self) -> Timer:
        self.wall0 = time.perf_counter()
        self.cpu0 = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> Timer:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0
        return self


class SandboxCpu:
    """CPU time of the sandboxes' request threads in this process (each connection's
    thread, counted as it ends), so that "our CPU" is the rest: the sync's own thread and
    any thread the sync starts (the writers' groups sharing batch requests)."""

    def __init__(self) -> None:
        self.total = 0.0
        self._lock = threading.Lock()
        self._live: set[threading.Thread] = set()
        for server in (PortalServer, OnecServer):
            self._wrap(server)

    def _wrap(self, server: Any) -> None:
        if getattr(server.process_request_thread, "_metered", False):
            return
        original = server.process_request_thread
        meter = self

        def metered(self: Any, request: Any, address: Any) -> None:
            thread = threading.current_thread()
            with meter._lock:
                meter._live.add(thread)
            start = time.thread_time()
            try:
                original(self, request, address)
            finally:
                with meter._lock:
                    meter.total += time.thread_time() - start
                    meter._live.discard(thread)

        metered._metered = True  # type: ignore[attr-defined]
        server.process_request_thread = metered

    def settled(self, timeout: float = 2.0) -> float:
        """The total once the connections the clients closed have ended their threads."""
        deadline = time.monotonic() + timeout
        with self._lock:
            live = list(self._live)
        for thread in live:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            return self.total


def pages(rows: int) -> int:
    return max(1, math.ceil(rows / PAGE))


def fewest_requests(*row_counts: int) -> int:
    """Each list's pages, all carried 50 to a batch (a batch is one request)."""
    return max(1, math.ceil(sum(pages(n) for n in row_counts) / BATCH))


def crm_lists(portal: bitrix24.Bitrix24Sandbox) -> dict[str, int]:
    """Rows of every CRM list a full read takes (invoice rows and stock included)."""
    st = portal.store
    return {
        "companies": len(st.companies),
        "requisites": len(st.requisites),
        "products": len(st.products),
        "prices": len(st.prices),
        "invoices": len(st.items),
        "product rows": len(st.product_rows),
        "stock": len(st.store_products),
    }


def bucket_seconds(requests: int, start_level: float = 0.0) -> float:
    """The least time the bucket lets ``requests`` through, starting ``start_level`` full."""
    return max(0.0, (start_level + requests - BURST) / RATE)


class VirtualClock:
    """Real time plus every second the client was told to sleep (which it does not).

    The portal's bucket and the client's throttle both read it, so a run under the
    2/s limit costs only its real processing time, and reports the time a real run
    would take: real elapsed + waited.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()
        self.slept = 0.0

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            self._offset += seconds
            self.slept += seconds


class CpuClock(VirtualClock):
    """The process's CPU time (every thread: the sync and the sandboxes) plus every second
    the client was told to sleep: the machine's load left out, as if the run had a quiet
    core to itself (the sync and the in-process sandboxes share one interpreter lock, so
    on a quiet machine their real time is about their CPU time). Chosen with
    ``DESKTOP_SYNC_BENCH_CLOCK=cpu``; a run on a busy machine then reports what a quiet
    one would, the waits for a core left out."""

    def __init__(self) -> None:
        super().__init__()
        self._epoch = time.time() - time.process_time()

    def now(self) -> float:
        with self._lock:
            return self._epoch + time.process_time() + self._offset


def bench_clock() -> VirtualClock:
    """The rate-limited runs' clock: real time (the default) or the CPU clock."""
    return CpuClock() if os.environ.get("DESKTOP_SYNC_BENCH_CLOCK") == "cpu" else VirtualClock()


def pace(client: Bitrix24Client, clock: VirtualClock, *, full: bool = False) -> None:
    """Drive a client's throttle (and retry back-off) from ``clock``."""
    client.rest.clock = clock.now
    client.rest.sleep = clock.sleep
    client.rest.throttle = RequestThrottle(clock.now, clock.sleep, burst=BURST, rate=RATE)
    client.rest.budget = OperatingBudget(clock.now, clock.sleep, limit=client.rest.budget.limit)
    client.rest.throttle_on = True
    if full:
        client.rest.throttle.level = float(BURST)


def fill_bucket(portal: bitrix24.Bitrix24Sandbox, level: float = BURST) -> None:
    bucket = portal.portal.bucket
    with bucket._lock:
        bucket.level = level
        bucket._last = bucket.clock()


@dataclass
class World:
    """Both sandboxes, a profile and a private home, as tests/e2e/conftest.py builds them."""

    onec: onec.OnecSandbox
    crm: bitrix24.Bitrix24Sandbox
    paths: AppPaths
    profile: Profile

    def service(self) -> SyncService:
        return SyncService.open(self.profile, self.paths)


@contextmanager
def world(
    size: str, *, seed: int = 1, rate_limit: bool = False, configuration: str = "bp30"
) -> Iterator[World]:
    import keyring

    from desktop_sync.config.memory_keyring import MemoryKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())  # type: ignore[no-untyped-call]  # never the user's
    one = onec.start(port=0, seed=seed, size=size, configuration=configuration)
    crm = bitrix24.start(port=0, seed=seed, size=size, rate_limit=rate_limit)
    with (
        tempfile.TemporaryDirectory(prefix="ds-bench-") as tmp,
        secrets_environment(one.password, crm.webhook, home=Path(tmp) / "home"),
    ):
        try:
            home = Path(tmp) / "home"
            paths = AppPaths.resolve(home)
            paths.ensure()
            profile = Profile(
                name="bench",
                onec_url=one.url,
                onec_user=one.user,
                crm_url=crm.url,
                stages={"send": "DT31_1:S"},
                crm_throttle=rate_limit,
                configuration=configuration,
            )
            store = ProfileStore(paths.profiles_file)
            profile = store.add(profile)
            # map every 1C warehouse to the CRM store of the same name: stock (F6) runs too
            stores = {str(r["title"]): int(r["id"]) for r in crm.store.stores.rows.values()}
            sets = one.store.rows
            for wh in one.store.all("Catalog_Склады") if "Catalog_Склады" in sets else []:
                name = str(wh.get("Description") or "")
                if name in stores:
                    profile = profile.with_setting(f"warehouse.{name}", str(stores[name]))
            store.put(profile)
            w = World(one, crm, paths, profile)
            with w.service() as svc:
                svc.setup()
            yield w
        finally:
            one.stop()
            crm.stop()
            MemoryKeyring.clear()
            keyring.set_keyring(previous)
