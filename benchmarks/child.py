"""A sync in a process of its own, the sandboxes staying in this one.

What the user's machine runs is the sync process alone; its peak RSS and CPU time are
measured without the sandboxes' memory and threads (the child's ``VmHWM``, as
``/usr/bin/time -v`` reports it, and its ``ru_utime``). Not the child's ``ru_maxrss``:
Linux keeps in it the RSS of the process that spawned it (a child of the benchmark,
which holds both large sandboxes, started at their 680 MB). The request counts are the
sandboxes'.

``python -m benchmarks large`` runs the large set this way: a first full sync and an
unchanged run (a separate, longer command: the large set takes minutes to build).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from benchmarks.common import FEWEST, Row, World, crm_lists, fewest_requests, world

_CODE = """
import json, resource, sys, time
from desktop_sync.config import AppPaths, ProfileStore
from desktop_sync.engine.service import SyncService
paths = AppPaths.resolve(None)
profile = ProfileStore(paths.profiles_file).get(sys.argv[1])
t0, c0 = time.perf_counter(), time.process_time()
with SyncService.open(profile, paths) as svc:  # as `desktop-sync sync` runs it
    summary, plan = svc.run(operations=False)  # (its items alone are reported)
usage = resource.getrusage(resource.RUSAGE_SELF)
peak_kb = usage.ru_maxrss
try:  # this process's own peak: ru_maxrss also counts the parent's pages at the spawn
    with open("/proc/self/status", encoding="ascii") as fh:
        peak_kb = next(int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM:"))
except (OSError, StopIteration, ValueError):
    pass
print(json.dumps({
    "operations": summary.counts.get("planned", 0),
    "counts": dict(summary.counts),
    "outcome": str(getattr(summary, "outcome", "")),
    "wall": time.perf_counter() - t0,
    "cpu": time.process_time() - c0,
    "rss_kb": peak_kb,
}))
"""


@dataclass
class ChildRun:
    label: str
    operations: int
    counts: dict[str, int]
    wall: float
    cpu: float
    rss_mb: float
    onec_requests: int
    crm_requests: int
    error: str = ""
    outcome: str = ""


def sync_in_child(w: World, label: str, timeout: float = 7200) -> ChildRun:
    """One ``prepare`` + ``apply`` of ``w``'s profile in a fresh interpreter."""
    env = dict(os.environ)
    env["PYTHON_KEYRING_BACKEND"] = "desktop_sync.config.memory_keyring.MemoryKeyring"
    o0, c0 = w.onec.request_count, w.crm.stats.requests
    proc = subprocess.run(
        [sys.executable, "-c", _CODE, w.profile.name],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )
    onec_n, crm_n = w.onec.request_count - o0, w.crm.stats.requests - c0
    try:
        got: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        why = proc.stderr.strip()[-300:] or f"no result: the sync ended with code {proc.returncode}"
        return ChildRun(label, 0, {}, 0, 0, 0, onec_n, crm_n, why)
    return ChildRun(
        label,
        int(got["operations"]),
        {str(k): int(v) for k, v in got["counts"].items()},
        float(got["wall"]),
        float(got["cpu"]),
        int(got["rss_kb"]) / 1024,
        onec_n,
        crm_n,
        outcome=str(got.get("outcome", "")),
    )


def peak_rss_apart(size: str) -> list[Row]:
    """Peak RSS of a first full sync, the sync alone in its process."""
    with world(size) as w:
        run = sync_in_child(w, "first full sync")
    return [_rss_row(size, run)]


def _rss_row(size: str, run: ChildRun) -> Row:
    return Row(
        "Memory",
        f"peak RSS of the sync process, {run.label} ({size}), sandboxes in another",
        run.rss_mb or None,
        "MB",
        note=run.error or "VmHWM of the sync process alone (goal for large: ≤ 300 MB)",
        wall_s=run.wall or None,
        cpu_s=run.cpu or None,
    )


def large(size: str = "large") -> list[Row]:
    """The large set: a first full sync and an unchanged run, each in its own process."""
    rows: list[Row] = []
    t0 = time.perf_counter()
    with world(size) as w:
        built = time.perf_counter() - t0
        lists = crm_lists(w.crm)
        runs = [sync_in_child(w, "first full sync"), sync_in_child(w, "unchanged run")]
    group = f"Large set ({size}), sync in its own process"
    rows.append(Row(group, "building both sandboxes", built, "s", note="not part of any sync"))
    for run in runs:
        outcome = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items()) if v)
        rows.append(
            Row(
                group,
                f"{run.label}: wall time",
                run.wall or None,
                "s",
                note=run.error or f"{run.operations:,} operations; {outcome or 'nothing to do'}",
                extra={"counts": run.counts, "error": run.error, "outcome": run.outcome},
                wall_s=run.wall or None,
                cpu_s=run.cpu or None,
            )
        )
        floor = fewest_requests(*lists.values()) if run.label.startswith("first") else None
        rows.append(
            Row(
                group,
                f"{run.label}: CRM requests",
                run.crm_requests,
                "req",
                floor,
                FEWEST + " (reads only; writes come on top)" if floor else "",
                note=f"1C requests {run.onec_requests:,}",
                wall_s=run.wall or None,
                cpu_s=run.cpu or None,
            )
        )
        rows.append(_rss_row(size, run))
    return rows


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
