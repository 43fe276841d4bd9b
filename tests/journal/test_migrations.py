"""The journal migrates from its first schema and ends equal to the models."""

import pytest
from sqlalchemy import Engine, inspect, text

from desktop_sync.journal.db import open_engine
from desktop_sync.journal.migrations import LATEST, JournalTooNew, current_version, migrate
from desktop_sync.journal.models import Base
from tests.journal.conftest import Backend


def _columns(engine: Engine) -> dict[str, set[str]]:
    try:
        insp = inspect(engine)
        return {t: {c["name"] for c in insp.get_columns(t)} for t in insp.get_table_names()}
    finally:
        engine.dispose()


def test_first_schema_migrates_with_data(backend: Backend) -> None:
    engine = backend.raw_engine()
    with engine.begin() as conn:
        assert migrate(conn, target=1) == 1
        conn.execute(
            text(
                "INSERT INTO sync_run (profile_uuid, started_at, trigger, started_by, mode,"
                " outcome, counts, message, app_version) VALUES ('p',"
                " '2026-01-01T00:00:00+00:00', 'cli', '', 'apply', 'done', '{}',"
                " 'первый запуск', '0.0.1')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO inbox (profile_uuid, kind, flow, entity_type, record_id, record_label,"
                " field, message, action, state, resolved_by, created_at) VALUES ('p', 'attention',"
                " 'F7', 'counterparty', 'g', 'ООО «Ромашка»', 'ИНН', 'm', 'a', 'open', '',"
                " '2026-01-01T00:00:00+00:00')"
            )
        )
    engine.dispose()

    migrated = open_engine(backend.url(), backend.password)
    try:
        with migrated.connect() as conn:
            assert current_version(conn) == LATEST
            assert conn.execute(text("SELECT message FROM sync_run")).scalar() == "первый запуск"
            assert conn.execute(text("SELECT dedup_key FROM inbox")).scalar() == ""
    finally:
        migrated.dispose()

    expected = {t.name: {c.name for c in t.columns} for t in Base.metadata.sorted_tables}
    actual = _columns(backend.raw_engine())
    actual.pop("schema_version")
    assert actual == expected


def test_migrate_is_idempotent_and_refuses_newer(backend: Backend) -> None:
    url = backend.url()
    open_engine(url, backend.password).dispose()
    open_engine(url, backend.password).dispose()
    engine = backend.raw_engine()
    with engine.begin() as conn:
        conn.execute(text("UPDATE schema_version SET version = 99"))
    with pytest.raises(JournalTooNew, match="update the program"), engine.begin() as conn:
        migrate(conn)
    engine.dispose()
