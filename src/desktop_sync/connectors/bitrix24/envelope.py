"""The REST envelope: what a reply holds, which methods read, and the portal's errors
in plain words (``map_error``), shared by the transport, the batch and the scans."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from desktop_sync.connectors.bitrix24.errors import (
    Bitrix24AccessDenied,
    Bitrix24AuthError,
    Bitrix24BadResponse,
    Bitrix24Error,
    Bitrix24NotFound,
    Bitrix24RateLimited,
    Bitrix24RequestError,
    Bitrix24ScopeError,
    Bitrix24ServerError,
)
from desktop_sync.connectors.http import certificate_problem
from desktop_sync.i18n import N_, tr

PAGE = 50
MAX_BATCH = 50
# Ids in one IN filter (``@ID``): a batch command is parsed by PHP's ``parse_str``, which
# keeps at most ``max_input_vars`` (1,000 by default) variables and drops the rest.
IN_LIST = 200
_READ_VERBS = {
    "list",
    "get",
    "fields",
    "current",
    "status",
    "findbycomm",
    "getfields",
    "getavailableforpayment",
}
_BASIC = {"scope", "profile", "app.info", "methods", "user.current"}

_NOUNS = (
    ("crm.item.productrow", N_("invoice product row")),
    ("crm.item.payment", N_("invoice payment")),
    ("crm.item", N_("smart invoice")),
    ("crm.company", N_("company")),
    ("crm.contact", N_("contact")),
    ("crm.requisite.link", N_("requisite link")),
    ("crm.requisite", N_("requisite")),
    ("crm.timeline.comment", N_("timeline comment")),
    ("crm.status", N_("stage list")),
    ("crm.category", N_("invoice pipeline")),
    ("crm.duplicate", N_("duplicate search")),
    ("catalog.document.element", N_("store document row")),
    ("catalog.document", N_("store document")),
    ("catalog.product", N_("product")),
    ("catalog.price", N_("price")),
    ("catalog.store", N_("store")),
    ("catalog.storeproduct", N_("stock balance")),
    ("userfieldconfig", N_("custom field")),
)


def noun(method: str) -> str:
    for prefix, text in _NOUNS:
        if method.startswith(prefix):
            return tr(text)
    return tr("record")


def is_read(method: str) -> bool:
    method = method.lower()
    return method in _BASIC or method.rsplit(".", 1)[-1] in _READ_VERBS


@dataclass(frozen=True, slots=True)
class Reply:
    """A successful answer: ``result`` plus the envelope's ``total``/``next``/``time``."""

    result: Any
    total: int | None = None
    next: int | None = None
    time: Mapping[str, Any] | None = None


@dataclass
class BatchReply:
    results: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, Bitrix24Error] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    nexts: dict[str, int] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()  # not run (after an error with halt)
    unknown: tuple[str, ...] = ()  # writes whose outcome is unknown (batch_all only)
    time: Mapping[str, Any] | None = None  # the envelope's ``time`` (the portal's clock)

    def merge(self, other: BatchReply) -> None:
        """Take another reply's results, errors, totals and nexts over this one's."""
        self.results.update(other.results)
        self.errors.update(other.errors)
        self.totals.update(other.totals)
        self.nexts.update(other.nexts)


@dataclass
class Counters:
    requests: int = 0
    retries: int = 0
    got_503: int = 0
    got_429: int = 0


Params = Mapping[str, Any]


def batch_reply(
    commands: Mapping[str, tuple[str, Mapping[str, Any]]], data: Mapping[str, Any], halt: bool
) -> BatchReply:
    """A batch's answer by command key: results, errors in plain words, totals, nexts."""
    body = data.get("result")
    if not isinstance(body, Mapping):
        raise Bitrix24BadResponse("Bitrix24 answered a batch without its results.", method="batch")
    results = as_map(body.get("result"))
    raw_errors = as_map(body.get("result_error"))
    reply = BatchReply(results=dict(results), time=data.get("time"))
    for key, err in raw_errors.items():
        method = commands[key][0].lower() if key in commands else "batch"
        if isinstance(err, Mapping):
            text = str(err.get("error_description") or "")
            reply.errors[key] = map_error(method, 400, err.get("error"), text, noun(method))
    reply.totals = {key: int(value) for key, value in as_map(body.get("result_total")).items()}
    reply.nexts = {key: int(value) for key, value in as_map(body.get("result_next")).items()}
    if halt:
        reply.skipped = tuple(k for k in commands if k not in results and k not in raw_errors)
    return reply


def rows_of(result: Any, items_key: str | None, method: str) -> list[dict[str, Any]]:
    if items_key is not None:
        if not isinstance(result, Mapping):
            raise Bitrix24BadResponse(
                f"Bitrix24 answered {method} without '{items_key}'.", method=method
            )
        result = result.get(items_key)
    if result in (None, []):
        return []
    if not isinstance(result, list):
        raise Bitrix24BadResponse(
            f"Bitrix24 answered {method} with no list of rows.", method=method
        )
    return [r for r in result if isinstance(r, dict)]


def has_reference(value: Any) -> bool:
    if isinstance(value, str):
        return "$" in value
    if isinstance(value, Mapping):
        return any(has_reference(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_reference(v) for v in value)
    return False


def as_map(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {}


def opt_int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def as_error(exc: Exception, method: str, what: str, *, outcome_unknown: bool) -> Bitrix24Error:
    if isinstance(exc, Bitrix24BadResponse) and not outcome_unknown:
        return exc
    if isinstance(exc, Bitrix24Error):
        text = str(exc)
        status = exc.status
    elif isinstance(exc, httpx.TimeoutException):
        text = tr("Bitrix24 did not answer {method} ({what}) in time.").format(
            method=method, what=what
        )
        status = None
    elif isinstance(exc, httpx.ConnectError) and certificate_problem(exc):
        text = tr(
            "Cannot verify the certificate of the Bitrix24 portal: {reason}. If an antivirus "
            "or a corporate proxy inspects connections, its root certificate must be "
            "installed in the system's certificate store."
        ).format(reason=certificate_problem(exc))
        status = None
    elif isinstance(exc, httpx.ConnectError):
        text = tr(
            "Cannot connect to Bitrix24 for {method} ({what}): the portal is unreachable."
        ).format(method=method, what=what)
        status = None
    else:
        text = tr("The connection to Bitrix24 broke during {method} ({what}).").format(
            method=method, what=what
        )
        status = None
    if outcome_unknown:
        text += " " + tr(
            "The change may or may not have been saved: it will be checked before a retry."
        )
    return Bitrix24ServerError(
        text, outcome_unknown=outcome_unknown, method=method, status=status, what=what
    )


def map_error(method: str, status: int, code: Any, text: str, what: str) -> Bitrix24Error:
    """Turn the portal's ``{error, error_description}`` into a typed error in plain words."""
    code_text = str(code) if code is not None else ""
    low = text.lower()
    detail = " " + tr("Bitrix24 said: {text}").format(text=text) if text else ""
    kwargs: dict[str, Any] = {"method": method, "code": code, "status": status, "what": what}
    if status == 401 or code_text in (
        "NO_AUTH_FOUND",
        "INVALID_CREDENTIALS",
        "expired_token",
        "invalid_token",
        "INVALID_REQUEST",
    ):
        return Bitrix24AuthError(
            tr(
                "Bitrix24 refused the webhook: it is wrong, deleted or expired ({code}). "
                "Create a new inbound webhook and save it in the profile."
            ).format(code=code_text or status),
            **kwargs,
        )
    if code_text == "insufficient_scope" or "required more scopes" in low:
        return Bitrix24ScopeError(
            tr(
                "The webhook has no permission for {method} ({what}): edit the webhook in "
                "Bitrix24 and tick the '{scope}' permission."
            ).format(method=method, what=what, scope=method.split(".")[0]),
            **kwargs,
        )
    if (
        code_text in ("ACCESS_DENIED", "200040300010", "ERROR_DOCUMENT_RIGHTS")
        or "access denied" in low
    ):
        return Bitrix24AccessDenied(
            tr(
                "The webhook's user may not do {method} on this {what}: ask the Bitrix24 "
                "administrator for the rights, or use an administrator's webhook."
            ).format(method=method, what=what)
            + detail,
            **kwargs,
        )
    if code_text == "ERROR_METHOD_NOT_FOUND":
        return Bitrix24NotFound(
            tr("This Bitrix24 does not offer {method} (not on this plan or turned off).").format(
                method=method
            ),
            **kwargs,
        )
    if (
        code_text in ("NOT_FOUND", "OWNER_NOT_FOUND", "200040300020")
        or "not found" in low
        or "is not exists" in low
    ):
        return Bitrix24NotFound(
            tr("The {what} was not found in Bitrix24 ({method}).").format(what=what, method=method)
            + detail,
            **kwargs,
        )
    if code_text in ("QUERY_LIMIT_EXCEEDED", "OPERATION_TIME_LIMIT"):
        return Bitrix24RateLimited(
            tr("Bitrix24's limits stopped {method} ({what}); the run will resume later.").format(
                method=method, what=what
            ),
            **kwargs,
        )
    if status >= 500:
        unknown = not is_read(method)
        tail = " " + tr("The change may or may not have been saved.") if unknown else ""
        return Bitrix24ServerError(
            tr("Bitrix24 failed on {method} ({what}), HTTP {status}.").format(
                method=method, what=what, status=status
            )
            + detail
            + tail,
            outcome_unknown=unknown,
            **kwargs,
        )
    return Bitrix24RequestError(
        tr("Bitrix24 refused {method} for the {what}.").format(method=method, what=what) + detail,
        **kwargs,
    )


def outcome(reply: BatchReply, key: str, convert: Callable[[Any], int]) -> int | Exception:
    """One batch command's outcome: its converted result, or why there is none."""
    if key in reply.unknown:
        return Bitrix24ServerError(
            "Bitrix24 did not answer the batch that carried this write.", outcome_unknown=True
        )
    if key in reply.errors:
        error: Exception = reply.errors[key]
        return error
    if key not in reply.results:
        return Bitrix24BadResponse("Bitrix24 left a batch command without a result.")
    try:
        value: int = convert(reply.results[key])
        return value
    except (KeyError, TypeError, ValueError):
        return Bitrix24BadResponse(f"Bitrix24 answered {key} in an unknown shape.")
