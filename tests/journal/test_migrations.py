"""The journal migrates from its first schema and ends equal to the models."""

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from desktop_sync.journal.db import open_engine, sqlite_url
from desktop_sync.journal.migrations import LATEST, JournalTooNew, current_version, migrate
from desktop_sync.journal.models import Base


def _columns(url: str) -> dict[str, set[str]]:
    engine = create_engine(url)
    try:
        insp = inspect(engine)
        return {t: {c["name"] for c in insp.get_columns(t)} for t in insp.get_table_names()}
    finally:
        engine.dispose()


def test_first_schema_migrates_with_data(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "old.sqlite3")
    engine = create_engine(url)
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

    migrated = open_engine(url)
    try:
        with migrated.connect() as conn:
            assert current_version(conn) == LATEST
            assert conn.execute(text("SELECT message FROM sync_run")).scalar() == "первый запуск"
            assert conn.execute(text("SELECT dedup_key FROM inbox")).scalar() == ""
    finally:
        migrated.dispose()

    expected = {t.name: {c.name for c in t.columns} for t in Base.metadata.sorted_tables}
    actual = _columns(url)
    actual.pop("schema_version")
    assert actual == expected


def test_migrate_is_idempotent_and_refuses_newer(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "j.sqlite3")
    open_engine(url).dispose()
    open_engine(url).dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE schema_version SET version = 99"))
    with pytest.raises(JournalTooNew, match="update the program"), engine.begin() as conn:
        migrate(conn)
    engine.dispose()
