"""``python -m benchmarks [large] [--quick] [--size medium] [--no-peers]``: run them, print a table.

Writes ``benchmarks/results/<UTC timestamp>.json`` and ``.png`` (git-ignored).
Nothing here asserts a time: the numbers are printed with their floors, where
each floor comes from, and measured ÷ floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from benchmarks import child, crm_reads, engine, goals, gui, peers, shared_journal, sync
from benchmarks.common import Row, Timer
from benchmarks.report import table, write_chart, write_json

RESULTS = Path(__file__).resolve().parent / "results"

NOT_YET = (
    "Not measured: the large set (`python -m benchmarks large`, separate: minutes to "
    "build, its first sync measured without the rate limit; the goals above quote its newest "
    "result); the money (F3/F4) and stock (F6) "
    "flows run inside every sync (1C warehouses mapped to the CRM stores of the same name) "
    "and are not measured on their own."
)


ONLY: tuple[str, ...] = ()  # step names to run (prefixes); empty = all


def _step(name: str, fn: Callable[[], list[Row]], rows: list[Row], log: bool) -> None:
    if ONLY and not any(name.startswith(o) for o in ONLY):
        return
    t0 = time.perf_counter()
    timer = Timer()
    try:
        got = fn()
    except Exception as exc:
        got = [Row(name, "FAILED", None, "", note=f"{type(exc).__name__}: {exc}"[:300])]
    timer.stop()
    for r in got:
        if r.wall_s is None and r.cpu_s is None:
            r.wall_s, r.cpu_s, r.step_times = timer.wall, timer.cpu, True
    rows.extend(got)
    if log:
        print(f"   {name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)


def collect(
    *, quick: bool, size: str, with_peers: bool, rss: bool = True, log: bool = True
) -> list[Row]:
    rows: list[Row] = []
    read_size = "small" if quick else size
    sync_sizes = ("small",) if quick else ("small", size)
    _step("CRM reads", lambda: crm_reads.run(read_size, quick=quick), rows, log)
    if with_peers:
        _step("peers", lambda: peers.run(read_size), rows, log)
    for s in sync_sizes:
        _step(f"sync {s}", partial(_sync, s, rate_limit=False), rows, log)
    _step(
        f"sync {sync_sizes[-1]} rate limit",
        lambda: _sync(sync_sizes[-1], rate_limit=True),
        rows,
        log,
    )
    _step(
        f"sync ut11 {sync_sizes[-1]}",
        partial(_sync, sync_sizes[-1], rate_limit=False, configuration="ut11"),
        rows,
        log,
    )
    _step(
        f"sync ut11 {sync_sizes[-1]} rate limit",
        partial(_sync, sync_sizes[-1], rate_limit=True, configuration="ut11"),
        rows,
        log,
    )
    _step(
        "planner", lambda: engine.planner_rows((2_000,) if quick else (10_000, 100_000)), rows, log
    )
    _step("journal", lambda: engine.journal_rows(200 if quick else 2_000), rows, log)
    _step("shared journal", lambda: shared_journal.rows(200 if quick else 2_000), rows, log)
    _step("gui", lambda: gui.run(sync_sizes[-1]), rows, log)
    if rss:
        _step("memory", lambda: child.peak_rss_apart(sync_sizes[-1]), rows, log)
    return rows


def _sync(size: str, *, rate_limit: bool, configuration: str = "bp30") -> list[Row]:
    series = sync.run_series(size, rate_limit=rate_limit, configuration=configuration)
    out = sync.rows_for(size, series, rate_limit=rate_limit, configuration=configuration)
    if not rate_limit:
        out.extend(sync.onec_floor_rows(size, series, configuration))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument(
        "command",
        nargs="?",
        default="all",
        choices=("all", "large"),
        help="all (default): every benchmark; large: the large set's first full sync and an "
        "unchanged run, the sync in its own process (separate: it takes much longer)",
    )
    ap.add_argument("--quick", action="store_true", help="CI-sized: small set, no peers")
    ap.add_argument("--size", default="medium", choices=("small", "medium", "large"))
    ap.add_argument("--no-peers", action="store_true", help="skip b24pysdk / fast-bitrix24")
    ap.add_argument("--no-files", action="store_true", help="do not write JSON / PNG")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument(
        "--only",
        default="",
        help="comma-separated steps to run, by name prefix (e.g. 'sync medium,sync ut11')",
    )
    args = ap.parse_args(argv)
    global ONLY
    ONLY = tuple(o.strip() for o in args.only.split(",") if o.strip())
    started = dt.datetime.now(dt.UTC)
    load = os.getloadavg()
    if args.command == "large":
        rows: list[Row] = []
        _step("large", lambda: child.large("large"), rows, True)
    else:
        rows = collect(
            quick=args.quick,
            size=args.size,
            with_peers=not (args.quick or args.no_peers),
            rss=not args.quick,
        )
    print(
        f"desktop-sync benchmarks, {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"load average at start {load[0]:.1f} (wall times on a busy machine run long)"
    )
    print(table(rows))
    print()
    met = goals.goals(rows, args.out, size="small" if args.quick else args.size)
    if args.command == "large":
        met = [g for g in met if "large set" in g.name]
    print(goals.table(met, "small" if args.quick else args.size))
    print()
    print(NOT_YET)
    if not args.no_files:
        stamp = started.strftime("%Y%m%dT%H%M%SZ")
        meta = {
            "started": started.isoformat(),
            "argv": list(argv if argv is not None else sys.argv[1:]),
            "python": sys.version,
            "platform": platform.platform(),
            "not_measured": NOT_YET,
            "load_average_at_start": load,
            "goals": goals.to_json(met),
        }
        write_json(rows, args.out / f"{stamp}.json", meta)
        why = write_chart(rows, args.out / f"{stamp}.png")
        print(f"results: {args.out / stamp}.json" + (f" ({why})" if why else f", {stamp}.png"))
    return 1 if any(r.name == "FAILED" for r in rows) else 0
