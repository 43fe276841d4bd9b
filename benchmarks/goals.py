"""Issue 18's table, line by line: goal, floor, measured value and ratio, from the rows.

Each goal line is read off the benchmark's own rows (nothing is measured twice). A
line whose benchmark did not run says which command measures it. The large set runs
only as ``python -m benchmarks large``; the table of ``python -m benchmarks`` quotes
the newest large-set result found in the results folder, with its time stamp.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import BATCH, BUCKET, Row, bucket_seconds

GROUP = "Issue 18: goals"
READS = ("invoices + rows", "companies + requisites", "catalog (products + prices)")
PEER_READS = ("invoices", "companies", "catalog")
LARGE_GROUP = "Large set"


@dataclass
class Goal:
    name: str
    goal: str  # as the issue writes it
    value: float | None
    unit: str
    floor: float | None = None
    target: float | None = None  # the goal as a number, compared by ``better``
    better: str = "≤"  # "≤": at most the target; "≥": at least
    note: str = ""
    verdict: bool | None = None  # for a goal that is not a number ("completes")

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.floor:
            return None
        return self.value / self.floor

    @property
    def met(self) -> bool | None:
        if self.verdict is not None:
            return self.verdict
        if self.value is None or self.target is None:
            return None
        compare: Callable[[float, float], bool] = operator.le if self.better == "≤" else operator.ge
        return compare(self.value, self.target)


def _find(rows: list[Row], group: str, name: str) -> Row | None:
    """The first row whose group starts with ``group`` and whose name is ``name``."""
    for r in rows:
        if r.group.startswith(group) and r.name == name:
            return r
    return None


def _missing(name: str, goal: str, unit: str, command: str) -> Goal:
    return Goal(name, goal, None, unit, note=f"not measured in this run: {command}")


def _reads(rows: list[Row]) -> list[Goal]:
    out: list[Goal] = []
    for spec in READS:
        name = f"CRM full read, {spec}: requests ÷ fewest"
        r = _find(rows, "CRM read (", f"{spec}: requests")
        if r is None or r.value is None:
            out.append(_missing(name, "≤ 1.05", "req", '--only "CRM reads"'))
            continue
        ratio = r.ratio
        out.append(
            Goal(
                name,
                "≤ 1.05 × ⌈rows ÷ 2,500⌉",
                r.value,
                "req",
                r.floor,
                None if r.floor is None else 1.05 * r.floor,
                note=f"ratio {ratio:.2f}; {r.note}" if ratio is not None else r.note,
            )
        )
    return out


def _unchanged(rows: list[Row], size: str) -> Goal:
    name = "CRM requests of a sync with nothing changed"
    r = _find(rows, f"Sync ({size}, rate limit off", "incremental 0% changed: CRM requests")
    if r is None or r.value is None:
        return _missing(name, "≤ 3", "req", f'--only "sync {size}"')
    return Goal(name, "≤ 3", r.value, "req", 1.0, 3.0, note="floor: one batch of probes; " + r.note)


def _first_sync(rows: list[Row], size: str) -> list[Goal]:
    """The first full sync under the limit, against the fewest requests it could make: its
    reads at the floor plus its write calls 50 to a batch. Below the burst (50) the bucket
    imposes no wait, so the time has no bucket floor; the requests are compared instead."""
    names = (
        "first full sync, rate limit on: CRM requests ÷ fewest",
        "first full sync, rate limit on: time ÷ bucket floor of the fewest requests",
    )
    t = _find(rows, f"Sync ({size}, rate limit on", "first full sync: wall time")
    r = _find(rows, f"Sync ({size}, rate limit on", "first full sync: CRM requests")
    if t is None or r is None or t.value is None or r.value is None:
        cmd = f'--only "sync {size} rate"'
        return [
            _missing(n, "≤ 1.1 × floor", u, cmd) for n, u in zip(names, ("req", "s"), strict=True)
        ]
    writes = int(r.extra.get("crm_write_commands", r.extra.get("crm_writes", 0)))
    reads = int(r.extra.get("crm_read_floor", 0))
    if not reads:  # a result of before issue 18: the read floor was not kept
        return [
            Goal(n, "≤ 1.1 × floor", v, u, note="read floor not recorded in this result")
            for n, v, u in zip(names, (r.value, t.value), ("req", "s"), strict=True)
        ]
    fewest = reads + math.ceil(writes / BATCH)
    floor = bucket_seconds(fewest) or None
    why = (
        f"fewest {fewest}: {reads} to read (every list's pages, 50 to a batch), "
        f"{writes} write commands 50 to a batch (the run's own, in any order)"
    )
    if r.extra.get("crm_reading") is not None:
        why += (
            f"; ours {r.value:.0f}: {r.extra['crm_reading']} reading, "
            f"{r.extra['crm_writing']} writing"
        )
    return [
        Goal(names[0], "≤ 1.1 × fewest", r.value, "req", fewest, 1.1 * fewest, note=why),
        Goal(
            names[1],
            "≤ 1.1 × floor",
            t.value,
            "s",
            floor,
            None if floor is None else 1.1 * floor,
            note=f"{BUCKET}; {_time_split(r.extra)}"
            if floor
            else f"the fewest requests fit in the burst: no bucket wait; {r.value:.0f} made "
            f"need {bucket_seconds(int(r.value)):.0f} s at 2/s",
        ),
    ]


def _time_split(extra: dict[str, Any]) -> str:
    """The first sync's time: real (our CPU, the sandboxes', neither) + the bucket waits."""
    if "our_cpu_seconds" not in extra:
        return "no split in this result"
    real, cpu, ours = extra["real_seconds"], extra["cpu_seconds"], extra["our_cpu_seconds"]
    on_cpu = extra.get("clock") == "cpu"  # the CPU clock: the machine's load left out
    base = cpu if on_cpu else real
    load = (
        f"(the CPU clock: the load left out, {real:.1f} s real)"
        if on_cpu
        else f"+ {real - cpu:.1f} s neither (a busy machine)"
    )
    return (
        f"{base + extra['waited_seconds']:.1f} s = our CPU {ours:.1f} s + sandboxes' CPU "
        f"{cpu - ours:.1f} s {load} + "
        f"{extra['waited_seconds']:.1f} s waited for the bucket; the bucket stood empty "
        f"{extra.get('idle_seconds', 0.0):.1f} s of it, and the requests made need "
        f"{bucket_seconds(int(extra['crm_requests'])):.1f} s of it at least"
    )


def _peers(rows: list[Row]) -> list[Goal]:
    out: list[Goal] = []
    for what in PEER_READS:
        name = f"our read time ÷ the best peer, {what}"
        found = [r for r in rows if r.group.startswith("CRM read vs. peers")]
        ours = next((r for r in found if r.name == f"{what}: ours"), None)
        peers = [r for r in found if r.name.startswith(f"{what}: ") and r is not ours and r.value]
        if ours is None or ours.value is None or not peers:
            out.append(_missing(name, "≤ 0.8", "s", "--only peers (pip install -e '.[bench]')"))
            continue
        best = min(peers, key=lambda r: r.value or math.inf)
        out.append(
            Goal(
                name,
                "≤ 0.8 × best peer",
                ours.value,
                "s",
                best.value,
                None if best.value is None else 0.8 * best.value,
                note=f"floor: the best peer, {best.name.split(': ', 1)[1]}; "
                + f"ours {ours.extra.get('requests', '?')} requests, "
                + f"it {best.extra.get('requests', '?')}",
            )
        )
    return out


def _large(rows: list[Row], results: Path | None) -> list[Goal]:
    names = ("large set, first full sync: completes", "peak RSS of the sync process, large set")
    found = [
        r
        for r in rows
        if r.group.startswith(LARGE_GROUP) or (r.group == "Memory" and "(large)" in r.name)
    ]
    stamp = ""
    if not found and results is not None:
        found, stamp = _latest_large(results)
    if not found:
        cmd = "python -m benchmarks large"
        return [_missing(names[0], "completes", "s", cmd), _missing(names[1], "≤ 300", "MB", cmd)]
    when = f" (from {stamp})" if stamp else ""
    wall = next((r for r in found if r.name == "first full sync: wall time"), None)
    peaks = [r for r in found if r.name.startswith("peak RSS") and r.value is not None]
    rss = max(peaks, key=lambda r: r.value or 0.0, default=None)  # the higher of both runs
    counts = wall.extra.get("counts", {}) if wall is not None else {}
    done = (
        wall is not None
        and wall.value is not None
        and not wall.extra.get("error")
        and not counts.get("failed")
    )
    return [
        Goal(
            names[0],
            "completes",
            wall.value if wall else None,
            "s",
            verdict=done,
            note=("completed" if done else "DID NOT COMPLETE")
            + f"{when}; {wall.note if wall else 'no run'}",
        ),
        Goal(
            names[1],
            "≤ 300 MB",
            rss.value if rss else None,
            "MB",
            target=300.0,
            note=f"the higher of the runs' (VmHWM), sandboxes in another process{when}; "
            + "; ".join(f"{r.name.split(', ')[1].split(' (')[0]}: {r.value:.0f}" for r in peaks),
        ),
    ]


def _latest_large(results: Path) -> tuple[list[Row], str]:
    """The large-set rows of the newest result file that has them."""
    from benchmarks.report import rows_from_json

    for path in sorted(results.glob("*.json"), reverse=True):
        try:
            got = [
                r
                for r in rows_from_json(path)
                if r.group.startswith(LARGE_GROUP) or (r.group == "Memory" and "(large)" in r.name)
            ]
        except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
            continue
        if got:
            return got, path.stem
    return [], ""


def _journal(rows: list[Row]) -> Goal:
    name = "journal, operations per second (CPU), 50 to a batch"
    r = next((x for x in rows if x.group.startswith("Journal") and "50 to a batch" in x.name), None)
    if r is None or not r.cpu_s:
        return _missing(name, "≥ 3,000", "ops/s", "--only journal")
    count = int(r.name.split(" ", 1)[0].replace(",", ""))
    return Goal(
        name,
        "≥ 3,000 ops/s",
        count / r.cpu_s,
        "ops/s",
        target=3000.0,
        better="≥",
        note=f"{r.value:,.0f} ops per wall second on this machine",
    )


def _gui(rows: list[Row]) -> Goal:
    name = "longest GUI stall during a sync, sandboxes in another process"
    r = _find(rows, "GUI responsiveness", "longest event-loop stall")
    if r is None or r.value is None:
        return _missing(name, "≤ 50 ms", "ms", "--only gui")
    return Goal(name, "≤ 50 ms", r.value, "ms", r.floor, 50.0, note=r.group)


def _gui_day_two(rows: list[Row]) -> Goal:
    """The same goal for a second window on the same profile: its journal, saved snapshot
    and links (a window opened on a profile with history stalled 254-291 ms before)."""
    name = "longest GUI stall, day two (a window on a profile with history)"
    r = _find(rows, "GUI responsiveness", "longest stall, day two (a profile with history)")
    if r is None or r.value is None:
        return _missing(name, "≤ 50 ms", "ms", "--only gui")
    return Goal(name, "≤ 50 ms", r.value, "ms", r.floor, 50.0, note=r.group)


def _planner(rows: list[Row]) -> Goal:
    name = "planner, 100,000 entities, CPU time"
    r = _find(rows, "Engine", "planner: 100,000 entities")
    if r is None or r.cpu_s is None:
        return _missing(name, "≤ 2 s", "s", "--only planner")
    return Goal(name, "≤ 2 s CPU", r.cpu_s, "s", target=2.0, note=f"wall {r.wall_s or 0:.2f} s")


def _ut_bytes(rows: list[Row], size: str) -> Goal:
    name = "UT 11 ÷ BP 3.0, 1C bytes read per unchanged run"
    label = "incremental 0% changed: CRM requests"
    bp = _find(rows, f"Sync ({size}, rate limit off", label)
    ut = _find(rows, f"Sync (ut11, {size}, rate limit off", label)
    if bp is None or ut is None:
        return _missing(name, "≤ 2", "×", f'--only "sync {size},sync ut11 {size}"')
    b, u = int(bp.extra.get("onec_bytes", 0)), int(ut.extra.get("onec_bytes", 0))
    if not b:
        return _missing(name, "≤ 2", "×", "no BP 3.0 bytes counted")
    return Goal(
        name,
        "≤ 2 × BP 3.0's",
        u / b,
        "×",
        target=2.0,
        note=f"UT 11 {u / 1e6:.1f} MB, BP 3.0 {b / 1e6:.1f} MB",
    )


def goals(rows: list[Row], results: Path | None = None, size: str = "medium") -> list[Goal]:
    """Every line of issue 18's table, in its order; the syncs of ``size``."""
    return [
        *_reads(rows),
        _unchanged(rows, size),
        *_first_sync(rows, size),
        *_peers(rows),
        *_large(rows, results),
        _journal(rows),
        _gui(rows),
        _gui_day_two(rows),
        _planner(rows),
        _ut_bytes(rows, size),
    ]


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(items: list[Goal], size: str = "medium") -> str:
    width = max(len(g.name) for g in items)
    out = [
        f"== {GROUP} (sets: {size} unless named; large: `python -m benchmarks large`)",
        f"  {'measure':<{width}}  {'goal':<24} {'value':>9} {'unit':<5} {'floor':>9} "
        f"{'ratio':>6}  {'met':<4} note",
    ]
    for g in items:
        met = {True: "yes", False: "NO", None: "—"}[g.met]
        ratio = f"{g.ratio:.2f}" if g.ratio is not None else "—"
        out.append(
            f"  {g.name:<{width}}  {g.goal:<24} {_num(g.value):>9} {g.unit:<5} "
            f"{_num(g.floor):>9} {ratio:>6}  {met:<4} {g.note}"
        )
    return "\n".join(out)


def to_json(items: list[Goal]) -> list[dict[str, object]]:
    return [
        {
            "name": g.name,
            "goal": g.goal,
            "value": g.value,
            "unit": g.unit,
            "floor": g.floor,
            "ratio": g.ratio,
            "met": g.met,
            "note": g.note,
        }
        for g in items
    ]
