"""What can go wrong talking to Bitrix24, in words a person understands.

Every message names the method and, when known, the record. No message, repr
or log line ever holds the webhook URL: it is a secret as a whole
(:func:`scrub` removes ``/rest/<user>/<code>/`` from any text).
"""

from __future__ import annotations

import re
from typing import Any

from desktop_sync.crm.errors import CrmError
from desktop_sync.errors import (
    CannotConnect,
    Refused,
    Transient,
)
from desktop_sync.i18n import N_

_WEBHOOK = re.compile(r"/rest/\d+/[^/\s?#]+")


def scrub(text: str) -> str:
    """Hide a webhook's user and secret code in ``text``."""
    return _WEBHOOK.sub("/rest/***", text)


class Bitrix24Error(CrmError):
    """Base of every Bitrix24 error. ``code`` and ``status`` are the portal's, when any.

    Each subclass is in one category of :mod:`desktop_sync.errors`; the base itself
    is "refused by the system".
    """

    system = N_("Bitrix24")  # said in the language of the moment where shown (tr)

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        code: Any = None,
        status: int | None = None,
        what: str = "",
    ) -> None:
        super().__init__(scrub(message))
        self.method = method
        self.code = code
        self.status = status
        self.what = what

    @property
    def message(self) -> str:
        return str(self)


class Bitrix24AuthError(CannotConnect, Bitrix24Error):
    """The webhook is wrong, deleted or expired (401)."""


class Bitrix24PermissionError(Refused, Bitrix24Error):
    """The webhook may not do this: a missing scope or the user's rights."""


class Bitrix24ScopeError(Bitrix24PermissionError):
    """403 ``insufficient_scope``: the webhook lacks a permission (scope)."""


class Bitrix24AccessDenied(Bitrix24PermissionError):
    """The webhook's user has no right to the record or the setting."""


class Bitrix24NotFound(Refused, Bitrix24Error):
    """The record (or the method) does not exist."""


class Bitrix24RequestError(Refused, Bitrix24Error):
    """Bitrix24 refused the data sent (a field value, a filter, a missing parameter)."""


class Bitrix24RateLimited(Transient, Bitrix24Error):
    """503 ``QUERY_LIMIT_EXCEEDED`` or 429 ``OPERATION_TIME_LIMIT`` persisted past the retries."""


class Bitrix24ServerError(Transient, Bitrix24Error):
    """A 5xx, a timeout or a dropped connection.

    ``outcome_unknown`` is true when a write may or may not have been applied:
    the caller must look the record up before any retry.
    """

    def __init__(
        self,
        message: str,
        *,
        outcome_unknown: bool = False,
        unknown_keys: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.outcome_unknown = outcome_unknown
        self.unknown_keys = unknown_keys


class Bitrix24BadResponse(Transient, Bitrix24Error):
    """An answer that is not the portal's JSON (an HTML page, cut or malformed JSON)."""
