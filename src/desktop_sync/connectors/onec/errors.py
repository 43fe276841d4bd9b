"""What can go wrong talking to 1C, in words a person understands.

Every error names the 1C object (``entity``) and, where known, the field; 1C's own
Russian message and code are kept in ``onec_message``/``onec_code``. No message
ever carries the password or an Authorization header: texts are scrubbed.
"""

from __future__ import annotations

from desktop_sync.errors import (
    BadConfiguration,
    CannotConnect,
    Refused,
    SyncError,
    Transient,
)
from desktop_sync.i18n import N_
from desktop_sync.redact import scrub


class OnecError(SyncError):
    """Base class. ``retryable``: the same read may succeed later.

    Each subclass is in one category of :mod:`desktop_sync.errors`; the base itself
    is "refused by the system".
    """

    retryable = False
    system = N_("1C")  # said in the language of the moment where shown (tr)
    retry_after = 0.0  # seconds the server asked to wait (Retry-After), when it did

    def __init__(
        self,
        message: str,
        *,
        entity: str = "",
        field: str = "",
        status: int | None = None,
        onec_code: str = "",
        onec_message: str = "",
    ) -> None:
        self.message = scrub(message)
        self.entity = entity
        self.field = field
        self.status = status
        self.onec_code = onec_code
        self.onec_message = scrub(onec_message)
        super().__init__(self.message)


class OnecConnectionError(Transient, OnecError):
    """1C or the web server in front of it cannot be reached, or dropped the line.

    ``outcome_unknown`` is set for a write whose request may have reached 1C: the
    caller must look the record up before trying again.
    """

    retryable = True

    def __init__(self, message: str, *, outcome_unknown: bool = False, **kw: str) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.outcome_unknown = outcome_unknown


class OnecTimeout(OnecConnectionError):
    """No answer in time."""


class OnecUnavailable(Transient, OnecError):
    """The web server answered 502/503/504: 1C is restarting or overloaded."""

    retryable = True


class OnecAuthError(CannotConnect, OnecError):
    """Wrong user name or password, or 1C showed its login page instead of data."""


class OnecAccessDenied(Refused, OnecError):
    """The 1C user may not read or change this object (1C code 20)."""


class OnecNotFound(Refused, OnecError):
    """The object is not published in the OData composition, or the record is gone."""


class OnecAlreadyExists(Refused, OnecError):
    """A record with this Ref_Key exists already (1C code 15)."""


class OnecConflict(Refused, OnecError):
    """Someone changed the record since it was read (HTTP 412)."""


class OnecBadRequest(Refused, OnecError):
    """1C refused the request itself: a bad filter, value or function (code 14, 21, 4…)."""


class OnecServerError(Transient, OnecError):
    """1C answered 500: an internal error or a business rule (code -1)."""

    retryable = True


class OnecPostingError(OnecServerError):
    """1C refused to post (or unpost) a document; ``onec_message`` says why."""

    retryable = False


class OnecBadResponse(Transient, OnecError):
    """The answer is not what 1C sends: malformed JSON, or an HTML page."""

    retryable = True


class OnecProfileError(BadConfiguration, OnecError):
    """The base does not publish an object or field the configuration profile needs."""
