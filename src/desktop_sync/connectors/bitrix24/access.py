"""What the webhook may do: its user and its scopes (``profile``, ``scope``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from desktop_sync.connectors.bitrix24.rest import RestClient

NEEDED_SCOPES = ("crm", "catalog", "userfieldconfig")


class Access:
    """The webhook's user and the permissions (scopes) it was given."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest
        self._scopes: list[str] | None = None

    def scopes(self) -> list[str]:
        """The scopes granted, asked once per run (until :meth:`forget`)."""
        if self._scopes is None:
            self._scopes = [str(s) for s in self.rest.call("scope").result or []]
        return list(self._scopes)

    def forget(self) -> None:
        self._scopes = None

    def scope_command(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """``scope`` as a command for a batch a run sends anyway, if not known yet."""
        return {} if self._scopes is not None else {"scope": ("scope", {})}

    def take(self, result: object) -> None:
        """The answer of :meth:`scope_command` (a list of scopes; anything else is not
        taken, and :meth:`scopes` asks)."""
        if isinstance(result, list):
            self._scopes = [str(s) for s in result]

    def current_user(self) -> dict[str, Any]:
        result = self.rest.call("profile").result
        return dict(result) if isinstance(result, Mapping) else {}

    def missing_scopes(self, needed: Iterable[str] = NEEDED_SCOPES) -> list[str]:
        have = set(self.scopes())
        return [s for s in needed if s not in have]
