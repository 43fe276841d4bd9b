"""The shared journal on PostgreSQL: the run lock across machines, copying a SQLite
journal in, and a database that cannot be reached (tests/pgcluster.py starts it)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from desktop_sync.errors import Category, describe
from desktop_sync.journal import InboxKind, Journal, OpState
from desktop_sync.journal.copy import TargetNotEmpty, copy_profile
from desktop_sync.journal.db import JournalUnreachable, open_engine, sqlite_url
from desktop_sync.journal.dblock import DbRunLock, LockHeldElsewhere
from tests.journal.conftest import Backend
from tests.killing import kill_hard
from tests.pgcluster import PASSWORD

SCOPE = "5a7d0c11-0000-4000-8000-00000000000a"

_HOLDER = """
import sys, time
from desktop_sync.journal.db import open_engine
from desktop_sync.journal.dblock import DbRunLock
engine = open_engine(sys.argv[1], sys.argv[3])
with DbRunLock(engine, sys.argv[2]):
    print("held", flush=True)
    time.sleep(600)
"""


def _holder(url: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, url, SCOPE, PASSWORD],
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_the_second_run_is_refused_with_who_and_since(backend_pg: Backend) -> None:
    j = backend_pg.open(SCOPE)
    first = DbRunLock(j.engine, SCOPE)
    with first:
        with pytest.raises(LockHeldElsewhere) as refused:
            DbRunLock(j.engine, SCOPE).acquire()
        text = str(refused.value)
        assert f"process {os.getpid()}" in text and "since" in text and "@" not in text
        assert describe(refused.value).exit_code == 6
        with DbRunLock(j.engine, "another-profile"):  # another profile is not in the way
            pass
    with DbRunLock(j.engine, SCOPE):  # released: free again
        pass


def test_waiting_for_the_lock(backend_pg: Backend) -> None:
    j = backend_pg.open(SCOPE)
    first = DbRunLock(j.engine, SCOPE)
    first.acquire()
    threading.Timer(1.2, first.release).start()
    started = time.monotonic()
    with DbRunLock(j.engine, SCOPE, wait=30):  # taken before its wait ran out
        waited = time.monotonic() - started
    assert waited >= 1.0  # held until released (a loaded machine only waits longer)
    first.acquire()
    try:
        with pytest.raises(LockHeldElsewhere):
            DbRunLock(j.engine, SCOPE, wait=0.5).acquire()  # a deadline
    finally:
        first.release()


def test_a_killed_holder_frees_the_lock_within_seconds(backend_pg: Backend) -> None:
    url = backend_pg.url()
    j = backend_pg.open(SCOPE)
    proc = _holder(url)
    try:
        with pytest.raises(LockHeldElsewhere, match=f"process {proc.pid}"):
            DbRunLock(j.engine, SCOPE).acquire()
        killed = time.monotonic()
        kill_hard(proc)
        with DbRunLock(j.engine, SCOPE, wait=30):  # within seconds: 30 at most, not minutes
            took = time.monotonic() - killed
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
    print(f"\nrun lock taken over {took:.2f} s after the holder was SIGKILLed")


def test_a_sqlite_journal_is_copied_into_postgresql(backend_pg: Backend, tmp_path: Path) -> None:
    src = Journal.open(sqlite_url(tmp_path / "j.sqlite3"), "local-uuid")
    other = Journal(src.engine, "other-profile")
    try:
        other.start_run("apply")  # another profile in the same file: not copied
        run = src.start_run("apply", trigger="cli")
        op = src.add_operation(run, flow="F1", kind="create", target_system="onec",
                               entity_type="invoice", idempotency_key="k1",
                               after={"total": Decimal("10.01")})  # fmt: skip
        src.set_operation_state(op, OpState.APPLIED, target_id="g-1")
        src.save_link("invoice", "g-1", "17", onec_values={"sum": Decimal("10.01")})
        src.set_cursor("crm", "invoice", {"at": "2026-01-01"})
        src.raise_item(InboxKind.CONFLICT, "F2:x", run_id=run, operation_id=op,
                                 record_label="Счёт № 17", message="m")  # fmt: skip
        target = backend_pg.open(SCOPE)
        copied = copy_profile(src.engine, target.engine, "local-uuid", SCOPE)
        assert (copied.runs, copied.operations, copied.links, copied.cursors, copied.inbox) == (
            1, 1, 1, 1, 1,
        )  # fmt: skip
        [new_run] = target.runs()
        [new_op] = target.operations(new_run.id)
        assert new_op.after == {"total": Decimal("10.01")} and new_op.state == "applied"
        assert target.applied_keys() == {"k1"}
        assert target.link("invoice", onec_ref="g-1") is not None
        assert target.cursor("crm", "invoice") == {"at": "2026-01-01"}
        [new_item] = target.inbox()
        assert (new_item.run_id, new_item.operation_id) == (new_run.id, new_op.id)
        with pytest.raises(TargetNotEmpty):  # never twice
            copy_profile(src.engine, target.engine, "local-uuid", SCOPE)
        next_run = target.start_run("apply")  # the sequences go on after the copied ids
        assert next_run > new_run.id
    finally:
        src.close()


def test_an_unreachable_or_refusing_database_says_where_and_never_the_password(
    backend_pg: Backend,
) -> None:
    url = backend_pg.url()
    with pytest.raises(JournalUnreachable) as wrong:
        open_engine(url, "wrong-" + PASSWORD)
    with pytest.raises(JournalUnreachable) as down:
        open_engine("postgresql://sync@127.0.0.1:1/nothing", PASSWORD)
    for exc in (wrong.value, down.value):
        described = describe(exc)
        assert described.category is Category.CANNOT_CONNECT and described.exit_code == 5
        assert PASSWORD not in str(exc) and "wrong-" not in str(exc)
    assert "password authentication failed" in str(wrong.value)
    assert "DESKTOP_SYNC_JOURNAL_PASSWORD" in str(wrong.value)  # what to do
    assert "127.0.0.1:1/nothing" in str(down.value)


def test_the_file_lock_of_one_workstation_waits_too(tmp_path: Path) -> None:
    from desktop_sync.runlock import LockHeld, RunLock

    first = RunLock(tmp_path / "p.lock")
    first.acquire()
    with pytest.raises(LockHeld):
        RunLock(tmp_path / "p.lock").acquire()  # no wait: refused at once
    threading.Timer(1.0, first.release).start()
    started = time.monotonic()
    with RunLock(tmp_path / "p.lock", wait=30):  # taken before its wait ran out
        assert time.monotonic() - started >= 0.8  # held until released
    cancel = threading.Event()
    first.acquire()
    try:
        threading.Timer(0.5, cancel.set).start()
        with pytest.raises(LockHeld):  # a wait the person cancelled
            RunLock(tmp_path / "p.lock", wait=60, cancel=cancel).acquire()
    finally:
        first.release()


def test_a_server_gone_since_the_journal_was_opened_is_cannot_connect(
    backend_pg: Backend,
) -> None:
    from sqlalchemy import create_engine

    gone = create_engine("postgresql+psycopg://sync@127.0.0.1:1/journal")
    try:
        with pytest.raises(JournalUnreachable) as refused:
            DbRunLock(gone, SCOPE).acquire()
    finally:
        gone.dispose()
    assert describe(refused.value).exit_code == 5
