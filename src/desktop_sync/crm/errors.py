"""The CRM's errors as the engine catches them: every error a CRM connector raises
derives from :class:`CrmError`, and each is also in its category of
:mod:`desktop_sync.errors` (cannot connect, transient, outcome unknown, refused), so the
engine settles a write by the category and never needs the connector's own classes."""

from __future__ import annotations

from desktop_sync.errors import SyncError


class CrmError(SyncError):
    """An error the CRM answered (or the way to it failed), in its words."""
