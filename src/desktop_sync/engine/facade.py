"""The journal's half of the door: runs, operations, the inbox, links and the export.

:class:`JournalDoor` answers from the local journal alone: no secret is read and no
system is reached, so ``desktop-sync journal`` and ``inbox`` work while 1C is down.
:class:`desktop_sync.engine.service.SyncService` is a ``JournalDoor`` that also
connects; the fronts hold one or the other and never the journal itself.
"""

from __future__ import annotations

import csv
import functools
import threading
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from desktop_sync import said
from desktop_sync.closing import Closing
from desktop_sync.config import AppPaths, Profile
from desktop_sync.config.secrets import KeyringUnavailable, SecretKind, SecretStore
from desktop_sync.connectors.onec.errors import OnecError
from desktop_sync.crm.errors import CrmError
from desktop_sync.engine import decisions, inbox_words
from desktop_sync.engine.model import Item, Outcome, RunSummary
from desktop_sync.engine.records import InboxRecord, Json, OperationRecord, RunRecord
from desktop_sync.engine.shared import NothingToCopy, copy_journal, open_journal, run_lock
from desktop_sync.errors import CannotConnect, Category, SyncError, Transient
from desktop_sync.i18n import N_, language, tr
from desktop_sync.journal import Journal, LinkValues, RunOutcome
from desktop_sync.journal.models import Operation, SyncRun
from desktop_sync.redact import scrub

__all__ = [
    "ConnectError",
    "ExportError",
    "JournalDoor",
    "NothingToCopy",
    "SecretMissing",
    "SetupIncomplete",
    "StalePlan",
    "copy_journal",
    "export_table",
    "open_journal",
    "profile_secrets",
]


T = TypeVar("T")

# What either system answered, already in words and in its category (desktop_sync.errors).
SYSTEM_ERRORS = (OnecError, CrmError)


# A sentence of each system's own, not «{system}: {reason}»: a run's message is said
# again in the language of the moment (said.py), and a text with no words of its own
# around its arguments cannot be found by.
_NAMED = {"1C": N_("1C: {reason}"), "Bitrix24": N_("Bitrix24: {reason}")}


class ConnectError(CannotConnect):
    """Cannot connect to or log in to one of the systems (exit code 5)."""

    @classmethod
    def of(cls, exc: SyncError) -> ConnectError:
        """A system's error met while connecting or reading, named by its system."""
        reason = scrub(str(exc))
        if (named := _NAMED.get(exc.system)) is not None:
            return cls(tr(named).format(reason=reason))
        return cls(tr("{system}: {reason}").format(system=tr(exc.system), reason=reason))


class SecretMissing(ConnectError):
    """The keyring holds no 1C password or Bitrix24 webhook for the profile (and its
    variable is not set): a configuration error (exit 2), not a connection's. The message
    is the window's (where to enter it there); the command line says its own way."""

    kind = Category.BAD_CONFIGURATION

    def __init__(self, message: str, *, profile: str, secret: SecretKind) -> None:
        super().__init__(message)
        self.profile = profile
        self.secret = secret


class StalePlan(Transient):
    """Another run changed the systems after this plan was made: prepare again."""


class SetupIncomplete(Transient):
    """The CRM stopped part-way through creating the custom fields (the reason is the
    CRM's); what was created stays, and a second ``setup`` makes only what is missing."""


class ExportError(ValueError):
    """The export cannot be written where the person asked (the message says why)."""


def profile_secrets(profile: Profile) -> tuple[str, str]:
    """The profile's 1C password and Bitrix24 webhook from the OS keyring (or the
    environment); a missing one is a :class:`SecretMissing` saying where to enter it."""
    secrets = SecretStore(profile.uuid)
    unset = {
        SecretKind.ONEC_PASSWORD: tr(
            "the 1C password of profile «{name}» is not set: enter it in the connection "
            "settings, or set {env}"
        ),
        SecretKind.CRM_SECRET: tr(
            "the Bitrix24 webhook of profile «{name}» is not set: enter it in the "
            "connection settings, or set {env}"
        ),
    }
    found: list[str] = []
    for kind, message in unset.items():
        try:
            value = secrets.get(kind)
        except KeyringUnavailable as exc:
            raise ConnectError(str(exc)) from None
        if value is None:
            text = message.format(name=profile.name, env=kind.env)
            raise SecretMissing(text, profile=profile.name, secret=kind)
        found.append(value)
    return found[0], found[1]


class JournalDoor(Closing):
    """Everything the fronts read from (or decide in) the journal of one profile."""

    def __init__(self, profile: Profile, paths: AppPaths, journal: Journal) -> None:
        self.profile = profile
        self.paths = paths
        self.journal = journal
        # A busy run lock: wait this many seconds for it (None: refuse at once, exit 6).
        self.lock_wait: float | None = None
        self.lock_cancel: threading.Event | None = None  # stops such a wait

    def run_lock(self) -> AbstractContextManager[object]:
        """The profile's run lock: a file lock here, or the shared journal's (a team's)."""
        return run_lock(
            self.profile, self.paths, self.journal, wait=self.lock_wait, cancel=self.lock_cancel
        )

    @classmethod
    def open_journal_only(cls, profile: Profile, paths: AppPaths) -> JournalDoor:
        """The journal alone: no secret is read, no request leaves."""
        return JournalDoor(profile, paths, open_journal(profile, paths))

    def close(self) -> None:
        self.journal.close()

    # -- runs and operations ------------------------------------------------------------

    def runs(self, limit: int = 50) -> list[RunRecord]:
        """The latest runs, newest first, in the language of the moment."""
        return [_run(r) for r in self.journal.runs(limit=limit)]

    def find_run(self, run_id: int) -> RunRecord | None:
        row = self.journal.run(run_id)
        return None if row is None else _run(row)

    def operations(self, run_id: int | None = None) -> list[OperationRecord]:
        """One run's operations; ``None``: every run's, newest run first. Their reasons
        in the language of the moment (``said.again``: from their run's language)."""
        runs = self.journal.runs(limit=1_000_000) if run_id is None else [self.journal.run(run_id)]
        return [_operation(o, r.lang) for r in runs if r is not None
                for o in self.journal.operations(r.id)]  # fmt: skip

    def failed_in_last_apply(self) -> list[OperationRecord]:
        """What the latest run failed to write, if it was an apply (the window marks it)."""
        runs = self.journal.runs(limit=1)
        if not runs or runs[0].mode != "apply":
            return []
        return [_operation(o, runs[0].lang) for o in self.journal.operations(runs[0].id)
                if o.state == "failed"]  # fmt: skip

    # -- the inbox and links ------------------------------------------------------------

    def inbox(self, *, open_only: bool = True) -> list[InboxRecord]:
        """The items in the language of the moment, their values in words (a
        counterparty or a product by its name, a missing CRM side «нет в CRM»:
        ``inbox_words``); the journal keeps the values a decision is checked against."""
        rows = self.journal.inbox(open_only=open_only)
        return self.in_words([inbox_words.in_language(InboxRecord.of(i), i.said) for i in rows])

    def in_words(self, items: Iterable[T]) -> list[T]:
        """Inbox records or a plan's items with their values in words, as the Inbox
        shows them (the plan review shows its items so); the items themselves keep the
        values a decision is checked against."""
        known = functools.cache(self._linked_values)
        return [inbox_words.shown(i, known) for i in items]

    def _linked_values(self, entity_type: str, onec_ref: str) -> dict[str, Json] | None:
        link = self.journal.link(entity_type, onec_ref=onec_ref)
        return link.onec_values if link is not None else None

    def resolve(self, item_id: int, action: str, value: Json = None, by: str = "") -> None:
        """Record a person's decision; the next plan carries it out.

        Under the profile's run lock, so a decision never lands in the middle of a run
        that is applying the same item. Raises ``KeyError`` for no open item of that
        number and :class:`decisions.DecisionRefused` (with the reason) for a decision
        the engine cannot carry out; the item then stays open.
        """
        with self.run_lock():
            decisions.resolve(self.journal, item_id, action, value, by=by)

    def links(self, entity_type: str) -> list[LinkValues]:
        """The records of one type known on both sides (with their last synced values)."""
        return self.journal.links(entity_type)


def _run(row: SyncRun) -> RunRecord:
    record = RunRecord.of(row)
    return replace(record, message=said.again(record.message, row.lang))


def _operation(row: Operation, lang: str) -> OperationRecord:
    """An operation of a run whose texts are in ``lang``, in the language of the moment."""
    record = OperationRecord.of(row)
    if not lang or lang == language():
        return record
    return replace(record, reason=said.again(record.reason, lang),
                   error=said.again(record.error, lang))  # fmt: skip


def export_table(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[Json]], *, sheet: str
) -> None:
    """Write a table to ``path``: CSV (``;``, UTF-8 with BOM, as Excel opens it) or XLSX."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ExportError(tr("export: the file must end in .csv or .xlsx"))
    if not path.parent.is_dir():
        raise ExportError(
            tr("export: the folder {folder} does not exist; create it or choose another").format(
                folder=path.parent
            )
        )
    if suffix == ".xlsx":
        from desktop_sync.xlsx import write_xlsx  # XlsxWriter only when asked for

        write_xlsx(path, list(header), rows, sheet=sheet)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)


# -- what a run journals of its plan and summary (``SyncService``) ---------------------------

_ITEM_FIELDS = ("entity_type", "record_id", "record_label", "field", "message", "action",
                "onec_value", "crm_value", "base_value")  # fmt: skip


def item_fields(item: Item) -> dict[str, Any]:
    """An inbox item's fields as the journal takes them."""
    return {"flow": item.flow.value, **{f: getattr(item, f) for f in _ITEM_FIELDS}}


def run_counts(summary: RunSummary) -> dict[str, Any]:
    return {**summary.counts, "flows": summary.per_flow}


def run_outcome(outcome: Outcome) -> RunOutcome:
    return RunOutcome(outcome.value)  # the same words: done, waiting, partial, …
