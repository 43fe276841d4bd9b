"""First full sync and incremental syncs with 0 / 0.1 % / 1 % / 10 % of records changed.

A changed record is a linked counterparty or product renamed, alternately in 1C
(counterparty, product) and in the CRM (company title), so both directions work.
Requests to each system are counted by the sandboxes, bytes by an httpx response
hook on both clients (``Content-Length``), rows as what the snapshot holds. Both
slopes (extra requests per changed record) are printed: the CRM side should
follow the changes, the 1C side can only grow by its light scan.

With ``rate_limit=True`` the portal's bucket and our throttle run on a virtual
clock (``common.VirtualClock``): the time printed is real work + the waits a real
2/s portal would impose, without waiting them.
"""

from __future__ import annotations

import gc
import resource
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks.common import (
    BATCH,
    BUCKET,
    ONEC_FEWEST,
    CpuClock,
    Row,
    SandboxCpu,
    VirtualClock,
    World,
    bench_clock,
    bucket_seconds,
    crm_lists,
    fewest_requests,
    fill_bucket,
    pace,
    world,
)
from desktop_sync.engine.service import SyncService
from desktop_sync.engine.snapshot import Snapshot

CHANGES = (0.0, 0.001, 0.01, 0.1)
SANDBOX_CPU = SandboxCpu()  # the sandboxes' request threads' CPU (the rest is the sync's)


@dataclass
class RunStats:
    label: str
    changed: int
    onec_requests: int
    crm_requests: int
    onec_bytes: int
    crm_bytes: int
    seconds: float
    real_seconds: float
    rows: int
    operations: int
    applied: int
    failed: int
    crm_writes: int
    cpu_seconds: float = 0.0  # this process, every thread: the sync and both sandboxes
    our_cpu_seconds: float = 0.0  # the sync's threads: this one and those it starts
    waited_seconds: float = 0.0  # the client's throttle waits (virtual: added, not slept)
    idle_seconds: float = 0.0  # the bucket stood empty: nothing to send (reading, planning)
    crm_read_floor: int = 0  # fewest CRM requests to read what the portal held at the start
    crm_write_commands: int = 0  # write calls alone or inside batches
    crm_reading: int = 0  # CRM requests that only read (a call or a batch of reads)
    crm_writing: int = 0  # CRM requests that write (a write call, a batch holding one)
    top_writes: str = ""  # the CRM methods written most, e.g. "crm.item.update 123"
    clock: str = "real"  # the rate-limited run's clock: "real" or "cpu" (common.CpuClock)


class _Kinds:
    """CRM requests as sent, told apart: reading only, or writing (a batch holding at
    least one write command counts as writing)."""

    def __init__(self) -> None:
        self.reading = 0
        self.writing = 0

    def hook(self, response: httpx.Response) -> None:
        import json

        from desktop_sync.connectors.bitrix24.rest import is_read

        method = response.request.url.path.rstrip("/").rsplit("/", 1)[-1].lower()
        methods = [method]
        if method == "batch":
            try:
                cmd = json.loads(response.request.content or b"{}").get("cmd") or {}
                methods = [str(c).split("?", 1)[0].lower() for c in cmd.values()]
            except ValueError:
                methods = []
        if all(is_read(m) for m in methods):
            self.reading += 1
        else:
            self.writing += 1


class _Bytes:
    def __init__(self) -> None:
        self.total = 0

    def hook(self, response: httpx.Response) -> None:
        self.total += int(response.headers.get("content-length") or 0)


def _hook(client: Any, meter: _Bytes) -> None:
    _hook_fn(client, meter.hook)


def _hook_fn(client: Any, fn: Any) -> None:
    http: httpx.Client = client._http
    http.event_hooks = {**http.event_hooks, "response": [*http.event_hooks["response"], fn]}


def _rows(snap: Snapshot) -> int:
    o, c = snap.onec, snap.crm
    return (
        len(o.counterparties)
        + len(o.products)
        + sum(1 + len(i.lines) for i in o.invoices.values())
        + len(o.payments)
        + len(o.shipments)
        + len(c.companies)
        + sum(len(co.counterparty.requisites) for co in c.companies.values())
        + len(c.products)
        + sum(1 + len(i.invoice.lines) for i in c.invoices.values())
    )


def sync_once(w: World, label: str, changed: int, clock: VirtualClock | None) -> RunStats:
    o0, c0 = w.onec.request_count, w.crm.stats.requests
    read_floor = fewest_requests(*crm_lists(w.crm).values())
    writes0 = sum(n for m, n in w.crm.stats.calls.items() if not _is_read(m))
    commands0 = _write_commands(w)
    ob, cb = _Bytes(), _Bytes()
    kinds = _Kinds()
    real0 = time.perf_counter()
    cpu0 = time.process_time()
    sandboxes0 = SANDBOX_CPU.settled()  # the sandboxes' threads; the rest is the sync's
    slept0 = clock.slept if clock else 0.0
    calls0 = dict(w.crm.stats.calls)
    v0 = clock.now() if clock else 0.0
    with SyncService.open(w.profile, w.paths) as svc:
        _hook(svc.onec, ob)
        _hook(svc.crm.rest, cb)
        _hook_fn(svc.crm.rest, kinds.hook)
        if clock is not None:
            pace(svc.crm, clock)
        snap, plan = svc.prepare()
        summary = svc.apply(plan)
        idle = svc.crm.rest.throttle.stood_empty()
    real = time.perf_counter() - real0
    sandboxes = SANDBOX_CPU.settled() - sandboxes0
    cpu = time.process_time() - cpu0
    ours = cpu - sandboxes
    written = {
        m: n - calls0.get(m, 0)
        for m, n in w.crm.stats.calls.items()
        if not _is_read(m) and n > calls0.get(m, 0)
    }
    top = ", ".join(f"{m} {n}" for m, n in sorted(written.items(), key=lambda x: -x[1])[:3])
    return RunStats(
        label=label,
        changed=changed,
        onec_requests=w.onec.request_count - o0,
        crm_requests=w.crm.stats.requests - c0,
        onec_bytes=ob.total,
        crm_bytes=cb.total,
        seconds=(clock.now() - v0) if clock else real,
        real_seconds=real,
        rows=_rows(snap),
        operations=len(plan.operations),
        applied=summary.counts.get("applied", 0),
        failed=summary.counts.get("failed", 0),
        crm_writes=sum(n for m, n in w.crm.stats.calls.items() if not _is_read(m)) - writes0,
        cpu_seconds=cpu,
        our_cpu_seconds=ours,
        waited_seconds=(clock.slept - slept0) if clock else 0.0,
        idle_seconds=idle,
        top_writes=top,
        crm_read_floor=read_floor,
        crm_reading=kinds.reading,
        crm_writing=kinds.writing,
        crm_write_commands=_write_commands(w) - commands0,
        clock="cpu" if isinstance(clock, CpuClock) else "real",
    )


def split(s: RunStats) -> str:
    """Where the time went: real elapsed (our CPU, the sandboxes' CPU, the rest: waiting
    for a core on a busy machine) and the throttle's waits added to it."""
    other = s.real_seconds - s.cpu_seconds
    sandboxes = s.cpu_seconds - s.our_cpu_seconds
    head = (
        f"{s.cpu_seconds:.1f} s CPU (the CPU clock: {s.real_seconds:.1f} s real) = our CPU "
        f"{s.our_cpu_seconds:.1f} s + sandboxes' CPU {sandboxes:.1f} s; "
        if s.clock == "cpu"
        else f"{s.real_seconds:.1f} s real = our CPU {s.our_cpu_seconds:.1f} s + sandboxes' CPU "
        f"{sandboxes:.1f} s + {other:.1f} s neither (a busy machine); "
    )
    return (
        head + f"+ {s.waited_seconds:.1f} s waited for the bucket; the bucket stood empty "
        f"{s.idle_seconds:.1f} s of it (nothing to send yet: reading, planning)"
    )


def _write_commands(w: World) -> int:
    """Write commands the portal ran: single calls and commands inside batches."""
    stats = w.crm.stats
    with stats.lock:
        counted = [*stats.calls.items(), *stats.subcalls.items()]
    return sum(n for m, n in counted if not _is_read(m))


def _is_read(method: str) -> bool:
    from desktop_sync.connectors.bitrix24.rest import is_read

    return method == "batch" or is_read(method)


def change(w: World, count: int, salt: str) -> int:
    """Rename ``count`` linked records, alternating 1C counterparty, 1C product, CRM company."""
    if count <= 0:
        return 0
    with SyncService.open(w.profile, w.paths) as svc:
        cps = [link for link in svc.journal.links("counterparty") if link.onec_ref and link.crm_id]
        prods = [link for link in svc.journal.links("product") if link.onec_ref]
    # a private person's link is ``contact/<id>``: a company is renamed in the CRM
    companies = [link for link in cps if str(link.crm_id).split("/")[0].isdigit()]
    done = 0
    i = 0
    while done < count and i < 3 * count + 3:
        kind = i % 3
        n = i // 3
        i += 1
        if kind == 0 and n < len(cps):
            ref = str(cps[n].onec_ref)
            w.onec.edit("Catalog_Контрагенты", ref, Description=f"Бенч {salt} {n}")
        elif kind == 1 and n < len(prods):
            w.onec.edit(
                "Catalog_Номенклатура", str(prods[n].onec_ref), Description=f"Товар {salt} {n}"
            )
        elif kind == 2 and len(companies) - 1 - n >= 0:
            company = str(companies[len(companies) - 1 - n].crm_id).split("/")[0]
            w.crm.edit_company(int(company), TITLE=f"ООО «Бенч {salt} {n}»")
        else:
            continue
        done += 1
    return done


def linked_records(w: World) -> int:
    with SyncService.open(w.profile, w.paths) as svc:
        return len(svc.journal.links("counterparty")) + len(svc.journal.links("product"))


def run_series(
    size: str,
    *,
    rate_limit: bool,
    changes: tuple[float, ...] = CHANGES,
    configuration: str = "bp30",
) -> list[RunStats]:
    out: list[RunStats] = []
    with world(size, rate_limit=rate_limit, configuration=configuration) as w:
        clock: VirtualClock | None = None
        if rate_limit:
            clock = bench_clock()
            w.crm.set_clock(clock.now)
            # cold, as the floor assumes: the setup's requests (custom fields) were an
            # earlier event; left in the bucket they met the sync's burst with a 503
            fill_bucket(w.crm, 0.0)
        out.append(sync_once(w, "first full sync", 0, clock))
        for n in range(1, 4):  # what the first run leaves (money follows the 1C numbers)
            next_second(clock)
            settle = sync_once(w, f"settling run {n}", 0, clock)
            out.append(settle)
            if settle.operations == 0:
                break
        base = linked_records(w)
        for pct in changes:
            if clock is not None:
                fill_bucket(w.crm, 0.0)
            n = change(w, round(base * pct), f"{pct}")
            next_second(clock)
            out.append(sync_once(w, f"incremental {pct * 100:g}% changed", n, clock))
    return out


def next_second(clock: VirtualClock | None) -> None:
    """Start the next run in a later second than the last write, as a person's runs are.

    The CRM stamps a change to the second: a record written in the second a read began
    may have changed after that read saw it, so the next run reads it again
    (``crm.types.Known.unchanged``), one request more. Back to back, the benchmark's runs
    met that by chance (the unchanged sync made 3 or 4 requests, 847587f)."""
    now = clock.now() if clock is not None else time.time()
    wait = 1.05 - now % 1.0
    if clock is not None:
        clock.sleep(wait)
    else:
        time.sleep(wait)


def slope(points: list[tuple[int, int]]) -> float:
    """Least-squares slope of (changed, requests)."""
    if len(points) < 2:
        return 0.0
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


def rows_for(
    size: str, series: list[RunStats], *, rate_limit: bool, configuration: str = "bp30"
) -> list[Row]:
    conf = "" if configuration == "bp30" else f"{configuration}, "
    group = f"Sync ({conf}{size}, rate limit {'on, virtual clock' if rate_limit else 'off'})"
    out: list[Row] = []
    for s in series:
        info = s.__dict__.copy()
        crm_floor = None
        crm_source = ""
        if rate_limit:
            crm_floor = bucket_seconds(s.crm_requests) or None
            crm_source = BUCKET + " for the requests made"
        out.append(
            Row(
                group,
                f"{s.label}: CRM requests",
                s.crm_requests,
                "req",
                note=f"{s.crm_writes} write calls ({s.crm_write_commands} write commands "
                f"in all, batched ones included) for {s.operations} ops "
                f"(batched 50 a request they would need {-(-s.crm_writes // BATCH)}"
                + (f"; most: {s.top_writes}" if s.top_writes else "")
                + f"); {s.crm_bytes / 1e6:.1f} MB",
                extra=info,
                wall_s=s.real_seconds,
                cpu_s=s.cpu_seconds,
            )
        )
        out.append(
            Row(
                group,
                f"{s.label}: 1C requests",
                s.onec_requests,
                "req",
                note=f"{s.onec_bytes / 1e6:.1f} MB read; {s.rows} rows in the snapshot",
                wall_s=s.real_seconds,
                cpu_s=s.cpu_seconds,
            )
        )
        out.append(
            Row(
                group,
                f"{s.label}: wall time",
                s.seconds,
                "s",
                crm_floor,
                crm_source,
                f"{s.applied} applied, {s.failed} failed; changed {s.changed}"
                + (f"; {split(s)}" if rate_limit else ""),
                wall_s=s.real_seconds,
                cpu_s=s.cpu_seconds,
            )
        )
    incr = [s for s in series if s.label.startswith("incremental")]
    crm_slope = slope([(s.changed, s.crm_requests) for s in incr])
    onec_slope = slope([(s.changed, s.onec_requests) for s in incr])
    first = series[0]
    unchanged = incr[0] if incr else first
    out.append(
        Row(
            group,
            "slope: CRM requests per changed record",
            crm_slope,
            "req/rec",
            note=f"reads + writes; with nothing changed {unchanged.crm_requests} requests "
            f"({unchanged.crm_bytes / 1e6:.1f} MB) vs. {first.crm_requests} for the first sync",
        )
    )
    out.append(
        Row(
            group,
            "slope: 1C requests per changed record",
            onec_slope,
            "req/rec",
            note=f"incl. 1C writes; with nothing changed {unchanged.onec_requests} requests "
            f"({unchanged.onec_bytes / 1e6:.1f} MB) vs. {first.onec_requests} "
            f"({first.onec_bytes / 1e6:.1f} MB) for the first sync (1C cannot say what "
            "changed: only its light scan should remain)",
        )
    )
    return out


def onec_floor_rows(size: str, series: list[RunStats], configuration: str = "bp30") -> list[Row]:
    """1C has no rate limit and cannot say what changed: the floor of an unchanged read is
    one light scan per entity set the flows read, plus the organization and the
    warehouses (BP 3.0: 13 sets; UT 11 adds partners, agreements, settlement objects)."""
    from desktop_sync.connectors.onec.profiles import PROFILES
    from desktop_sync.engine.read import GROUPS

    unchanged_runs = [s for s in series if s.label.startswith("incremental 0%")]
    if not unchanged_runs:
        return []
    published = PROFILES[configuration].sets
    sets = 2 + sum(lg in published for g in GROUPS for lg in g.logicals)
    unchanged = unchanged_runs[0]
    conf = "" if configuration == "bp30" else f"{configuration}, "
    return [
        Row(
            f"Sync ({conf}{size}, rate limit off)",
            "unchanged run: 1C read requests",
            unchanged.onec_requests,
            "req",
            sets,
            ONEC_FEWEST + ": a light scan of each",
            "beyond the scans: lookups (contracts, stock) and pages of what did change",
        )
    ]


def peak_rss(size: str) -> Row:
    """Peak RSS of a full sync in a fresh process (ru_maxrss of the child)."""
    import subprocess
    import sys

    code = (
        "import resource, benchmarks.sync as s\n"
        f"r = s.run_series({size!r}, rate_limit=False, changes=())\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=1800, check=False
    )
    try:
        kb = int(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return Row(
            "Memory",
            f"peak RSS, full sync ({size})",
            None,
            "MB",
            note=f"failed: {proc.stderr.strip()[-160:]}",
        )
    del before
    return Row(
        "Memory",
        f"peak RSS, full sync ({size})",
        kb / 1024,
        "MB",
        note="whole process incl. both sandboxes in it (ru_maxrss)",
    )


def traced_peak(size: str) -> Row:
    """Python-heap peak of the sync alone (tracemalloc; sandboxes started before tracing)."""
    with world(size) as w:
        gc.collect()
        tracemalloc.start()
        try:
            sync_once(w, "full", 0, None)
            _cur, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return Row(
        "Memory",
        f"Python heap peak of a full sync ({size})",
        peak / 2**20,
        "MB",
        note="tracemalloc; includes the sandboxes' allocations while serving",
    )
