"""Where a profile's journal is, and its run lock: one workstation or a team.

- **One workstation** (``journal.url`` unset): the SQLite file in the data folder, the
  profile's rows under its own uuid, the run lock an OS file lock (``runlock``).
- **A team** (``journal.url = postgresql://…``): one PostgreSQL every workstation
  points at. A profile is the same on every workstation when it names the same 1C
  base, organization and portal, whatever uuid each workstation gave it: its rows are
  kept under a scope derived from those (:func:`journal_scope`), and its run lock is a
  database advisory lock under that scope (``journal.dblock``), which dies with the
  holder's session. The database password comes from the keyring (or
  ``DESKTOP_SYNC_JOURNAL_PASSWORD``), never from the URL or a file.
"""

from __future__ import annotations

import threading
import uuid
from contextlib import AbstractContextManager
from urllib.parse import urlsplit

from desktop_sync.config import AppPaths, Profile
from desktop_sync.config.secrets import KeyringUnavailable, SecretKind, SecretStore
from desktop_sync.engine.plan_base import key_scope
from desktop_sync.errors import CannotConnect
from desktop_sync.i18n import tr
from desktop_sync.journal import Journal
from desktop_sync.journal.copy import Copied, TargetNotEmpty, copy_profile
from desktop_sync.journal.db import open_engine, sqlite_url
from desktop_sync.journal.dblock import DbRunLock
from desktop_sync.runlock import RunLock

__all__ = ["copy_journal", "journal_scope", "open_journal", "run_lock"]

_TEAM = uuid.UUID("6f1d3c2e-8a53-4c4f-9d1e-6b7a0c5e2f10")  # namespace of team scopes


def is_team(url: str) -> bool:
    return url.strip().startswith("postgresql")


def journal_scope(profile: Profile, url: str | None = None) -> str:
    """Under which id the profile's rows are kept in its journal (``url``: the profile's)."""
    if not is_team(profile.journal_url if url is None else url):
        return profile.uuid
    onec = urlsplit(profile.onec_url.strip())
    base = f"{(onec.hostname or '').lower()}:{onec.port or ''}{onec.path.rstrip('/').lower()}"
    pair = f"{key_scope(profile.crm_url, profile.crm_url)}|{base}|{profile.organization.strip()}"
    return str(uuid.uuid5(_TEAM, pair))


def journal_password(profile: Profile) -> str | None:
    """The shared journal's database password (keyring or environment), if any."""
    try:
        return SecretStore(profile.uuid).get(SecretKind.JOURNAL_PASSWORD)
    except KeyringUnavailable as exc:
        raise CannotConnect(str(exc)) from None


def open_journal(profile: Profile, paths: AppPaths) -> Journal:
    """The profile's journal: its own URL (a team's PostgreSQL), or the SQLite file."""
    if not is_team(profile.journal_url):
        return Journal.open(profile.journal_url or sqlite_url(paths.journal_path()), profile.uuid)
    return Journal.open(profile.journal_url, journal_scope(profile), journal_password(profile))


def run_lock(
    profile: Profile,
    paths: AppPaths,
    journal: Journal,
    *,
    wait: float | None = None,
    cancel: threading.Event | None = None,
) -> AbstractContextManager[object]:
    """One run of this profile at a time: on this computer, or across the team's."""
    if journal.shared:
        return DbRunLock(journal.engine, journal.profile_uuid, wait=wait, cancel=cancel)
    return RunLock(paths.lock_path(profile.uuid), wait=wait, cancel=cancel)


class NothingToCopy(ValueError):
    """The copy was refused; the message says why."""


def copy_journal(profile: Profile, paths: AppPaths, to_url: str) -> Copied:
    """Copy the profile's history from its SQLite journal into the journal at ``to_url``
    (under the team scope there), holding both run locks."""
    if is_team(profile.journal_url):
        raise NothingToCopy(tr("profile «{name}» already uses a shared journal").format(
            name=profile.name))  # fmt: skip
    source = Journal.open(profile.journal_url or sqlite_url(paths.journal_path()), profile.uuid)
    try:
        target_engine = open_engine(to_url, journal_password(profile))
        scope = journal_scope(profile, to_url)
        target = Journal(target_engine, scope)
        try:
            with run_lock(profile, paths, source), run_lock(profile, paths, target):
                return copy_profile(source.engine, target_engine, profile.uuid, scope)
        except TargetNotEmpty as exc:
            raise NothingToCopy(
                tr(
                    "the shared journal already holds this profile's history ({runs} runs): "
                    "nothing was copied"
                ).format(runs=exc.runs)
            ) from None
        finally:
            target.close()
    finally:
        source.close()
