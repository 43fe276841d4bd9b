import datetime as dt
import gc
import pickle
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from desktop_sync.journal import InboxKind, Journal, LinkValues, OpState, RunOutcome
from desktop_sync.journal.db import sqlite_url
from desktop_sync.journal.types import SharedJson
from desktop_sync.redact import register_secret

PROFILE = "3f2b1c9e-0000-4000-8000-000000000001"


@pytest.fixture(params=["file", "second_url", "postgresql"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    if request.param == "postgresql":  # the shared journal of a team (tests/pgcluster.py)
        yield request.getfixturevalue("backend_pg").open(PROFILE)
        return
    if request.param == "file":
        url = sqlite_url(tmp_path / "data" / "journal.sqlite3")
    else:  # another SQLAlchemy URL form and driver spelling
        url = f"sqlite+pysqlite:///{tmp_path / 'other.db'}"
    j = Journal.open(url, PROFILE)
    yield j
    j.close()


def test_sqlite_is_wal_with_foreign_keys(tmp_path: Path) -> None:
    j = Journal.open(sqlite_url(tmp_path / "j.sqlite3"), PROFILE)
    try:
        with j.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        j.close()


def test_run_operations_and_states(journal: Journal) -> None:
    run = journal.start_run("apply", trigger="cli")
    op = journal.add_operation(
        run,
        flow="F1",
        kind="create",
        target_system="onec",
        entity_type="invoice",
        source_id="17",
        idempotency_key="k1",
        reason="Счёт № 17: новый",
        before=None,
        after={"total": Decimal("1499.99")},
    )
    journal.set_operation_state(op, OpState.SENDING)
    assert [o.id for o in journal.unfinished_by_key(["k1"])] == [op]
    journal.set_operation_state(op, OpState.APPLIED, target_id="guid-1")
    with pytest.raises(ValueError, match="never rewritten"):
        journal.set_operation_state(op, OpState.FAILED)
    stored = journal.operations(run)[0]
    assert stored.state == "applied"
    assert stored.attempts == 1
    assert stored.after == {"total": Decimal("1499.99")}
    assert journal.applied_keys() == {"k1"}
    journal.finish_run(run, RunOutcome.DONE, {"planned": 1, "applied": 1})
    r = journal.runs()[0]
    assert r.outcome == "done"
    assert r.finished_at is not None and r.finished_at.tzinfo is not None


def test_interrupted_runs_are_closed(journal: Journal) -> None:
    run = journal.start_run("apply")
    assert journal.close_interrupted_runs() == [run]
    assert journal.runs()[0].outcome == "crashed"
    assert journal.close_interrupted_runs() == []


def test_links_keep_both_sides_values(journal: Journal) -> None:
    journal.save_link("company", "guid-a", None, onec_values={"inn": "7707083893"})
    journal.save_link("company", "guid-a", "42", crm_values={"title": "ООО «Д'Артаньян»"})
    link = journal.link("company", crm_id="42")
    assert link is not None
    assert link.onec_ref == "guid-a"
    assert link.onec_values == {"inn": "7707083893"}
    assert link.crm_values == {"title": "ООО «Д'Артаньян»"}
    assert journal.link("company", onec_ref="nope") is None
    assert len(journal.links("company")) == 1


def test_links_of_a_type_share_their_texts_and_decimals(journal: Journal) -> None:
    """Issue 18: the large set's 30,000 links held every key, reference and amount once
    per occurrence; read back together they share them, each link its own dicts."""
    row = ["bd100198-6528-5d75-9957-ccf25b7fe49b", Decimal("9524.00"), "НДС22"]
    values = {"date": dt.date(2026, 2, 27), "rows": [row], "total": Decimal("9524.00")}
    journal.save_link("invoice", "a", "1", onec_values=values, crm_values=values)
    journal.save_link("invoice", "b", "2", onec_values=values, crm_values={"total": None})
    a, b = journal.links("invoice")
    assert a.onec_values == a.crm_values == b.onec_values == values
    assert b.crm_values == {"total": None}
    assert a.onec_values is not a.crm_values and a.onec_values["rows"] is not b.onec_values["rows"]
    ((ref, amount, vat),) = b.onec_values["rows"]
    assert ref is a.crm_values["rows"][0][0] and vat is a.onec_values["rows"][0][2]
    assert amount is a.onec_values["total"] and a.onec_values["date"] is b.onec_values["date"]
    assert next(iter(a.crm_values)) is next(iter(b.onec_values))  # the keys too


def test_a_links_read_leaves_no_garbage_for_the_collector(journal: Journal) -> None:
    """Issue 18: the decoder of a links read and its tables (every text and amount of
    the read: 3.8 MB on the large set) formed a reference cycle, freed only by a
    collection; the planner pauses the collector, so they lived through the plan."""
    journal.save_link("invoice", "a", "1", onec_values={"total": Decimal("1.00")}, crm_values={})
    was = gc.isenabled()
    gc.disable()
    try:
        journal.links("invoice")
        left = [o for o in gc.get_objects() if isinstance(o, SharedJson)]
    finally:
        if was:
            gc.enable()
    assert left == []


def test_cursors(journal: Journal) -> None:
    assert journal.cursor("crm", "invoice") is None
    when = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC).isoformat()
    journal.set_cursor("crm", "invoice", {"updated_after": when})
    journal.set_cursor("crm", "invoice", {"updated_after": when, "max_id": 9})
    assert journal.cursor("crm", "invoice") == {"updated_after": when, "max_id": 9}


def test_inbox_dedup_and_resolution(journal: Journal) -> None:
    first, new = journal.raise_item(
        InboxKind.ATTENTION,
        "F7:inn:guid-a",
        flow="F7",
        entity_type="counterparty",
        record_label="ООО «Ромашка»",
        field="ИНН",
        message="неверное контрольное число",
        action="исправьте ИНН в 1С",
    )
    again, new_again = journal.raise_item(InboxKind.ATTENTION, "F7:inn:guid-a", message="x")
    assert new and not new_again and first == again
    assert len(journal.inbox()) == 1
    journal.resolve_item(first, {"skip": True}, by="Бухгалтер")
    with pytest.raises(ValueError, match="already resolved"):
        journal.resolve_item(first, {"skip": True})
    assert journal.inbox() == []
    closed = journal.inbox(open_only=False)[0]
    assert closed.resolved_by == "Бухгалтер"


def test_items_no_longer_raised_are_closed(journal: Journal) -> None:
    journal.raise_item(InboxKind.CONFLICT, "F2:a")
    journal.raise_item(InboxKind.CONFLICT, "F2:b")
    assert journal.close_items_not_in({"F2:a"}, prefix="F2:") == 1
    assert [i.dedup_key for i in journal.inbox()] == ["F2:a"]


def test_secrets_never_reach_the_journal(journal: Journal) -> None:
    register_secret("https://shop.bitrix24.ru/rest/1/s3cr3tc0de/")
    run = journal.start_run("apply")
    op = journal.add_operation(
        run, flow="F1", kind="create", target_system="crm", entity_type="invoice"
    )
    journal.set_operation_state(
        op,
        OpState.FAILED,
        error="POST https://shop.bitrix24.ru/rest/1/s3cr3tc0de/crm.item.add failed",
    )
    journal.finish_run(run, RunOutcome.PARTIAL, {}, message="Authorization: Basic dXNlcjpwYXNz")
    dump = _dump(journal)
    assert "s3cr3tc0de" not in dump
    assert "dXNlcjpwYXNz" not in dump
    assert "crm.item.add failed" in dump


def _dump(journal: Journal) -> str:
    """Every row of every table as stored, on any backend."""
    from desktop_sync.journal.models import Base

    with journal.engine.connect() as conn:
        return "\n".join(
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in conn.execute(text(f'SELECT * FROM "{table.name}"'))
        )


def test_naive_datetimes_are_refused(journal: Journal) -> None:
    from sqlalchemy.exc import StatementError

    from desktop_sync.journal.models import SyncRun

    run = journal.start_run("apply")
    with journal.session() as s:
        r = s.get(SyncRun, run)
        assert r is not None
        r.finished_at = dt.datetime(2026, 1, 1)  # naive: the point of the test
        with pytest.raises(StatementError, match="naive"):
            s.flush()
        s.rollback()


def test_links_read_together_are_packed_and_share_the_callers_texts(journal: Journal) -> None:
    """Issue 18: the large set's 30,322 links held two dicts each and their own copies of
    the references and names the snapshot holds (31 MB): a read keeps each side packed
    (one packing for both when they are the same text), its keys' tuple shared, and
    takes a caller's texts; each access gives the caller a dict of its own."""
    name, ref = "ООО «Ромашка»", "ba9a3b97-e03d-59eb-878b-8b7ffbc51117"
    values = {"inn": "7707083893", "name": name}
    journal.save_link("counterparty", ref, "2/2", onec_values=values, crm_values=values)
    journal.save_link("counterparty", "b", "3", onec_values=values, crm_values={"inn": "1"})
    journal.save_link("product", "p", "5", onec_values={}, crm_values={"ref": ref})
    shared = {t: t for t in ("".join(name), "".join(ref))}  # equal texts, other objects
    read = journal.links_of(("counterparty", "product", "deal"), shared)
    (a, b), (p,), deals = read["counterparty"], read["product"], read["deal"]
    assert deals == [] and read["counterparty"] == journal.links("counterparty")
    assert (a.onec_ref, a.crm_id, a.onec_values, a.crm_values) == (ref, "2/2", values, values)
    assert b.crm_values == {"inn": "1"} and p.onec_values == {} and p.crm_values == {"ref": ref}
    assert a.onec_ref is shared[ref] and p.crm_values["ref"] is shared[ref]
    assert a.onec_values["name"] is shared[name] is b.onec_values["name"]
    assert isinstance(a._onec, tuple) and isinstance(b._onec, tuple)
    assert a._onec is a._crm and a._onec[0] is b._onec[0]  # one packing, one keys' tuple
    assert a.onec_values is not a.onec_values and a.onec_values is not a.crm_values
    with pytest.raises(AttributeError):
        a.crm_id = "9"
    assert a == LinkValues("counterparty", ref, "2/2", dict(values), dict(values))
    assert pickle.loads(pickle.dumps(a)) == a and "name" in repr(a)


def test_a_read_link_is_remade_with_fields_its_base_lacks(journal: Journal) -> None:
    """The planner remakes a link whose base predates a compared field (plan_products):
    a packed link is no dataclass, so it is made anew, not ``dataclasses.replace``d."""
    from desktop_sync.engine.plan_products import _with_new_fields

    journal.save_link("product", "p", "5", onec_values={"name": "А"}, crm_values={"name": "А"})
    [link] = journal.links("product")
    made = _with_new_fields(link, ("name", "vat"), {"name": "А", "vat": "НДС22"})
    assert (made.entity_type, made.onec_ref, made.crm_id) == ("product", "p", "5")
    assert made.onec_values == {"name": "А", "vat": None}
    assert made.crm_values == {"name": "А", "vat": "НДС22"}
