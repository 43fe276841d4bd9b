"""The local journal: every run, every change, links, cursors and the inbox."""

from desktop_sync.journal.models import InboxKind, InboxState, OpState, RunMode, RunOutcome
from desktop_sync.journal.repository import Journal, LinkValues, LinkWrite

__all__ = [
    "InboxKind",
    "InboxState",
    "Journal",
    "LinkValues",
    "LinkWrite",
    "OpState",
    "RunMode",
    "RunOutcome",
]
