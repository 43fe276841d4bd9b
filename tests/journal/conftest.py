"""The journal's tests run on both backends: the SQLite file and a shared PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url

from desktop_sync.journal import Journal
from desktop_sync.journal.db import sqlite_url
from tests.pgcluster import PASSWORD, PgCluster


@dataclass
class Backend:
    """Journals of one backend for one test: ``url(label)`` is a fresh database each label."""

    name: str
    tmp: Path
    cluster: PgCluster | None = None
    _urls: dict[str, str] = field(default_factory=dict)
    _open: list[Journal] = field(default_factory=list)

    @property
    def password(self) -> str | None:
        return PASSWORD if self.cluster is not None else None

    def url(self, label: str = "journal") -> str:
        if label not in self._urls:
            if self.cluster is None:
                self._urls[label] = sqlite_url(self.tmp / f"{label}.sqlite3")
            else:
                self._urls[label] = self.cluster.url(self.cluster.new_database())
        return self._urls[label]

    def open(self, profile: str, label: str = "journal") -> Journal:
        j = Journal.open(self.url(label), profile, self.password)
        self._open.append(j)
        return j

    def raw_engine(self, label: str = "journal") -> Engine:
        """An engine on the same database without the journal's migration."""
        url = make_url(self.url(label))
        if self.cluster is not None:
            url = url.set(drivername="postgresql+psycopg", password=PASSWORD)
        return create_engine(url)

    def close(self) -> None:
        for j in self._open:
            j.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    cluster = request.getfixturevalue("pg_cluster") if request.param == "postgresql" else None
    b = Backend(request.param, tmp_path, cluster)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def backend_pg(pg_cluster: PgCluster, tmp_path: Path) -> Iterator[Backend]:
    b = Backend("postgresql", tmp_path, pg_cluster)
    try:
        yield b
    finally:
        b.close()
