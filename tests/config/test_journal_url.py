"""``journal.url``: a team's PostgreSQL or a SQLite file, never a password in it; and the
scope under which a profile's rows are kept in a shared journal (issue 23)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from desktop_sync.config import Profile
from desktop_sync.config.errors import ConfigError
from desktop_sync.config.urls import check_journal_url
from desktop_sync.engine.shared import journal_scope

TEAM = "postgresql://sync@db.example.ru/desktop_sync"


@pytest.mark.parametrize(
    "url",
    ["", TEAM, "postgresql://sync@db.example.ru:5433/ds", "postgresql+psycopg://sync@h/db",
     "postgresql:///ds?host=/run/postgresql", "sqlite:////var/lib/ds/journal.sqlite3"],
)  # fmt: skip
def test_accepted(url: str) -> None:
    assert check_journal_url(f" {url} ") == url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://sync:s3cret@db/ds", "put no password in the URL"),
        ("mysql://sync@db/ds", "is neither postgresql"),
        ("db.example.ru/ds", "is neither postgresql"),
        ("postgresql://sync@db.example.ru", "name the database"),
    ],
)
def test_refused_in_words(url: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as refused:
        check_journal_url(url)
    assert "s3cret" not in str(refused.value)


def test_the_setting_is_checked() -> None:
    p = Profile("shop", "https://1c.example.ru/base/odata/standard.odata", "u",
                "https://shop.bitrix24.ru")  # fmt: skip
    assert p.with_setting("journal.url", TEAM).journal_url == TEAM
    assert p.with_setting("journal.url", "").journal_url == ""
    with pytest.raises(ConfigError, match="password"):
        p.with_setting("journal.url", "postgresql://sync:pw@db/ds")


def test_every_workstation_of_a_team_shares_one_scope() -> None:
    ours = Profile(
        "shop", "https://1c.example.ru/Base/odata/standard.odata/", "Бухгалтер",
        "https://shop.bitrix24.ru", journal_url=TEAM, organization="ООО Ромашка",
    )  # fmt: skip
    theirs = replace(ours, name="магазин", uuid="0c0ffee0-0000-4000-8000-000000000001",
                     onec_user="Менеджер", onec_url=ours.onec_url.rstrip("/"))  # fmt: skip
    assert ours.uuid != theirs.uuid
    assert journal_scope(ours) == journal_scope(theirs)
    assert journal_scope(replace(ours, organization="ИП Иванов")) != journal_scope(ours)
    assert journal_scope(replace(ours, crm_url="https://other.bitrix24.ru")) != journal_scope(ours)
    assert journal_scope(replace(ours, journal_url="")) == ours.uuid  # one workstation
