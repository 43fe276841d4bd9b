"""The journal's writes on SQLite and on a shared PostgreSQL, one and two workstations.

Each workstation is a process of its own journalling operations as the executor does
(50 to a batch: "sending" in one transaction, the settlements and links in another),
for a profile of its own (two runs of one profile never overlap: the run lock). With two,
both start at one barrier and the line is all their operations over the span from the
first start to the last end. PostgreSQL is a throwaway cluster on loopback TCP with its
default durability (fsync on, ``synchronous_commit=on``); SQLite is WAL with
``synchronous=NORMAL`` (docs/decisions/journal-batches.md). Without a PostgreSQL on this
machine its lines say so and carry no number.
"""

from __future__ import annotations

import multiprocessing as mp
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import Row
from benchmarks.engine import _op_fields, _ref
from desktop_sync.engine.planner import COUNTERPARTY
from desktop_sync.journal import Journal, LinkWrite, OpState, RunOutcome
from desktop_sync.journal.db import sqlite_url

GROUP = "Shared journal (issue 23)"
PASSWORD = "bench-journal"


def _workstation(
    url: str, password: str | None, scope: str, count: int, start: Any
) -> tuple[float, float]:
    journal = Journal.open(url, scope, password)
    try:
        run_id = journal.start_run("apply", trigger="bench")
        start.wait()
        began = time.monotonic()
        for first in range(0, count, 50):
            numbers = range(first, min(first + 50, count))
            with journal.transaction():
                ids = journal.add_operations(
                    run_id, [_op_fields(i) for i in numbers], OpState.SENDING
                )
            with journal.transaction():
                journal.settle_applied(
                    [(op, str(i + 1), {"result": {}}) for i, op in zip(numbers, ids, strict=True)]
                )
                journal.save_links(
                    [
                        LinkWrite(COUNTERPARTY, _ref("cp", i), str(i + 1), {"n": i}, {"n": i})
                        for i in numbers
                    ],
                    run_id=run_id,
                )
        ended = time.monotonic()
        journal.finish_run(run_id, RunOutcome.DONE, {})
    finally:
        journal.close()
    return began, ended


class Workstations:
    """Two worker processes (started once: a process start costs more than a measurement)
    and a barrier so that the workstations of one measurement start writing together."""

    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self.manager = ctx.Manager()
        self.pool = ctx.Pool(2)

    def ops_per_second(self, url: str, password: str | None, count: int, n: int) -> float:
        """All ``n`` workstations' operations per second of wall time, writing at once."""
        start = self.manager.Barrier(n)
        jobs = [
            self.pool.apply_async(
                _workstation,
                (url, password, f"00000000-0000-4000-8000-0000000000{k:02d}", count, start),
            )
            for k in range(n)
        ]
        spans = [job.get(timeout=600) for job in jobs]
        wall = max(e for _b, e in spans) - min(b for b, _e in spans)
        return n * count / wall

    def close(self) -> None:
        self.pool.close()
        self.pool.join()
        self.manager.shutdown()


def rows(count: int) -> list[Row]:
    out: list[Row] = []
    workers = Workstations()
    try:
        with tempfile.TemporaryDirectory(prefix="ds-bench-shared-") as tmp:
            for n in (1, 2):
                url = sqlite_url(Path(tmp) / f"journal{n}.sqlite3")
                out.append(
                    _row("SQLite (one file)", n, count, workers.ops_per_second(url, None, count, n))
                )
        out.extend(_postgresql(workers, count))
    finally:
        workers.close()
    return out


def _postgresql(workers: Workstations, count: int) -> list[Row]:
    out: list[Row] = []
    try:
        from tests.pgcluster import start_cluster

        cluster = start_cluster(durable=True)
    except BaseException as exc:  # pytest's skip (no PostgreSQL here) is a BaseException
        for n in (1, 2):
            out.append(Row(GROUP, f"PostgreSQL, {n} workstation(s)", None, "ops/s",
                           note=f"no PostgreSQL here: {exc}"))  # fmt: skip
        return out
    try:
        cluster.admin(f"ALTER ROLE sync PASSWORD '{PASSWORD}'")
        for n in (1, 2):
            url = cluster.url(cluster.new_database("bench"))
            value = workers.ops_per_second(url, PASSWORD, count, n)
            out.append(_row("PostgreSQL (loopback TCP)", n, count, value))
    finally:
        cluster.stop()
    return out


def _row(backend: str, workstations: int, count: int, value: float) -> Row:
    who = "one workstation" if workstations == 1 else "two workstations at once"
    return Row(
        GROUP,
        f"{backend}, {who}",
        value,
        "ops/s",
        note=f"{workstations} × {count:,} operations, 50 to a batch, each its own profile",
    )
