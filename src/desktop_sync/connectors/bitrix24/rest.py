"""The REST transport: webhook calls, batches, the ID scan, retries and error mapping.

- Every call is a JSON POST to ``<webhook>/<method>``; answers are parsed with
  ``loads_decimal`` (money stays ``Decimal``).
- Before each request the throttle waits for room in the leaky bucket and for
  the method's operating-time budget; a 503 or 429 that comes anyway is waited
  out and retried: the portal did not run the call, so even a write is safe to
  repeat.
- A 5xx, an HTML page, a malformed body, a timeout or a dropped connection is
  retried for reads only. For a write the outcome is unknown:
  :class:`Bitrix24ServerError` with ``outcome_unknown=True`` tells the caller to
  look the record up first.
- A portal that moved answers 302: the call is re-sent to the new address.
- Plain ``http://`` is refused for anything but a loopback address.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from desktop_sync.connectors.bitrix24.encoding import http_build_query
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
    scrub,
)
from desktop_sync.connectors.bitrix24.throttle import (
    DEFAULT_OPERATING_LIMIT,
    OperatingBudget,
    RequestThrottle,
)
from desktop_sync.connectors.http import CertificateFileError, certificate_problem, make_client
from desktop_sync.domain.money import dumps_decimal, loads_decimal
from desktop_sync.i18n import N_, tr
from desktop_sync.netaddr import is_loopback

log = logging.getLogger(__name__)

PAGE = 50
MAX_BATCH = 50
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


class _HttpxLogScrubber(logging.Filter):
    """httpx logs request URLs at INFO: hide the webhook in them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                scrub(str(a)) if isinstance(a, (str, httpx.URL)) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        record.msg = scrub(str(record.msg))
        return True


_SCRUBBER = _HttpxLogScrubber()
for _name in ("httpx", "httpcore"):
    if _SCRUBBER not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_SCRUBBER)


def _check_url(url: str) -> tuple[str, str]:
    """-> (origin, path) of a webhook URL; refuses plain http off loopback."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Bitrix24Error("The Bitrix24 address is not a web address (https://…).")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise Bitrix24Error(
            f"Refusing to send the Bitrix24 webhook over plain http to {parts.hostname}: use https."
        )
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    segments = [s for s in path.split("/") if s]
    if len(segments) < 3 or segments[0] != "rest" or not segments[1].isdigit():
        raise Bitrix24Error(
            "This is not a Bitrix24 inbound webhook address (expected …/rest/<user>/<code>/)."
        )
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}", "/" + "/".join(segments[:3]) + "/"


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


@dataclass
class Counters:
    requests: int = 0
    retries: int = 0
    got_503: int = 0
    got_429: int = 0


Params = Mapping[str, Any]


class RestClient:
    """Low-level Bitrix24 REST over an inbound webhook (one per thread)."""

    def __init__(
        self,
        webhook_url: str,
        *,
        timeout: float = 60.0,
        verify: bool | str = True,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        throttle: bool = True,
        burst: int = 50,
        rate: float = 2.0,
        operating_limit: float = DEFAULT_OPERATING_LIMIT,
        max_retries: int = 5,
        max_wait: float = 900.0,
    ) -> None:
        self._origin, self._path = _check_url(webhook_url)
        try:
            self._http = make_client(
                self._origin,
                timeout=timeout,
                verify=verify,
                transport=transport,
                follow_redirects=False,
            )
        except CertificateFileError as exc:
            raise Bitrix24Error(str(exc)) from None
        self.clock = clock
        self.sleep = sleep
        self.throttle_on = throttle
        self.throttle = RequestThrottle(clock, sleep, burst=burst, rate=rate)
        self.budget = OperatingBudget(clock, sleep, limit=operating_limit)
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.counters = Counters()

    # --- lifecycle -----------------------------------------------------------------

    @property
    def portal(self) -> str:
        """The portal's address (no secret in it)."""
        return self._origin

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RestClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(portal={self._origin!r})"

    # --- one HTTP exchange ---------------------------------------------------------------

    def _post(self, method: str, body: Params) -> httpx.Response:
        content = dumps_decimal(dict(body)).encode("utf-8")
        for _ in range(4):
            url = f"{self._origin}{self._path}{method}"
            request = self._http.build_request(
                "POST",
                url,
                content=content,
                headers={"Content-Type": "application/json", "Accept": "application/json"},
            )
            response = self._http.send(request)
            if response.status_code in (301, 302, 307, 308) and "location" in response.headers:
                response.close()
                self._follow(response.headers["location"])
                continue
            return response
        raise Bitrix24BadResponse(f"Bitrix24 redirected {method} too many times.", method=method)

    def _follow(self, location: str) -> None:
        parts = urlsplit(location)
        if not parts.hostname:
            return
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise Bitrix24Error(
                f"Bitrix24 redirected to plain http on {parts.hostname}: "
                "refusing to send the webhook there."
            )
        port = f":{parts.port}" if parts.port else ""
        self._origin = f"{parts.scheme}://{parts.hostname}{port}"
        log.info("Bitrix24 portal moved to %s", self._origin)

    def _decode(self, method: str, response: httpx.Response, what: str) -> Any:
        ctype = response.headers.get("content-type", "")
        try:
            data = loads_decimal(response.content)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            kind = (
                tr("an HTML page")
                if "html" in ctype or response.content.lstrip()[:1] == b"<"
                else tr("a malformed answer")
            )
            if response.status_code >= 500:
                raise Bitrix24ServerError(
                    tr(
                        "Bitrix24 failed on {method} ({what}): HTTP {status} with {kind} "
                        "instead of data."
                    ).format(method=method, what=what, status=response.status_code, kind=kind),
                    method=method,
                    status=response.status_code,
                    what=what,
                )
            raise Bitrix24BadResponse(
                tr(
                    "Bitrix24 sent {kind} instead of data for {method} ({what}), HTTP {status}."
                ).format(kind=kind, method=method, what=what, status=response.status_code),
                method=method,
                status=response.status_code,
                what=what,
            )
        return data

    def _raise_for(self, method: str, status: int, data: Mapping[str, Any], what: str) -> None:
        code = data.get("error")
        text = str(data.get("error_description") or "").strip()
        raise map_error(method, status, code, text, what)

    # --- calls ------------------------------------------------------------------------

    def _wait_limits(self, methods: list[str]) -> None:
        if not self.throttle_on:
            return
        waited = self.budget.before_call(methods, self.max_wait)
        if waited < 0:
            raise Bitrix24RateLimited(
                f"Bitrix24 has blocked {', '.join(sorted(set(methods)))} for its operation-time "
                f"limit for another {int(-waited)} s; the run will resume later.",
                method=methods[0],
                code="OPERATION_TIME_LIMIT",
                status=429,
            )
        self.throttle.acquire()

    def call(self, method: str, params: Params | None = None, *, what: str = "") -> Reply:
        """Call one method; returns its ``result`` and envelope or raises a typed error."""
        method = method.lower()
        what = what or noun(method)
        read = is_read(method)
        attempt = 0
        while True:
            attempt += 1
            self._wait_limits([method])
            self.counters.requests += 1
            try:
                response = self._post(method, params or {})
                data = self._decode(method, response, what)
            except (
                httpx.TimeoutException,
                httpx.NetworkError,
                httpx.RemoteProtocolError,
                Bitrix24ServerError,
                Bitrix24BadResponse,
            ) as exc:
                error = _as_error(exc, method, what, outcome_unknown=not read)
                not_sent = isinstance(exc, httpx.ConnectError)
                if (read or not_sent) and attempt <= self.max_retries:
                    self._backoff(attempt)
                    continue
                raise error from None
            status = response.status_code
            if "error" in data:
                if self._retry_limit(method, status, data, attempt):
                    continue
                if status >= 500 and read and attempt <= self.max_retries:
                    self._backoff(attempt)
                    continue
                self._raise_for(method, status, data, what)
            self.budget.observe(method, data.get("time"))
            return Reply(
                data.get("result"),
                _opt_int(data.get("total")),
                _opt_int(data.get("next")),
                data.get("time"),
            )

    def _retry_limit(self, method: str, status: int, data: Mapping[str, Any], attempt: int) -> bool:
        code = data.get("error")
        if code == "QUERY_LIMIT_EXCEEDED" or status == 503:
            self.counters.got_503 += 1
            if attempt > self.max_retries * 2:
                raise Bitrix24RateLimited(
                    tr(
                        "Bitrix24 kept refusing {method}: too many requests. Try again later."
                    ).format(method=method),
                    method=method,
                    code=code,
                    status=status,
                )
            self.counters.retries += 1
            if self.throttle_on:
                self.throttle.full()  # the next acquire waits for the bucket to drain
            else:
                # the refused request counted too: wait for more than one drained slot
                self.sleep(min(attempt, 5) * 1.5 / self.throttle.rate)
            return True
        if code == "OPERATION_TIME_LIMIT" or status == 429:
            self.counters.got_429 += 1
            until = self.budget.block(method)
            if attempt > self.max_retries or until - self.clock() > self.max_wait:
                raise Bitrix24RateLimited(
                    tr(
                        "Bitrix24 has blocked {method} for its operation-time limit; "
                        "the run will resume later."
                    ).format(method=method),
                    method=method,
                    code=code,
                    status=status,
                )
            self.counters.retries += 1
            if not self.throttle_on:  # no proactive wait will come: wait here
                self.sleep(max(0.0, until - self.clock()))
            return True
        return False

    def _backoff(self, attempt: int) -> None:
        self.counters.retries += 1
        self.sleep(min(0.5 * 2 ** (attempt - 1), 8.0))

    # --- batch -------------------------------------------------------------------------------

    def batch(
        self, commands: Mapping[str, tuple[str, Params]], *, halt: bool = False, what: str = ""
    ) -> BatchReply:
        """Run up to 50 commands in one request (``key -> (method, params)``).

        Keys must not be numbers (they would come back as a JSON list). Sub-call
        errors are returned per key, never raised; ``$result[key][...]`` in a
        parameter value refers to an earlier command's result.
        """
        if not commands:
            return BatchReply()
        if len(commands) > MAX_BATCH:
            raise ValueError(f"a batch holds at most {MAX_BATCH} commands")
        if any(k.isdigit() for k in commands):
            raise ValueError("batch keys must not be numbers")
        methods = [m.lower() for m, _ in commands.values()]
        cmd = {key: f"{m.lower()}?{http_build_query(p)}" for key, (m, p) in commands.items()}
        read = all(is_read(m) for m in methods)
        what = what or ", ".join(sorted({noun(m) for m in methods}))
        attempt = 0
        while True:
            attempt += 1
            self._wait_limits(methods)
            self.counters.requests += 1
            try:
                response = self._post("batch", {"halt": 1 if halt else 0, "cmd": cmd})
                data = self._decode("batch", response, what)
            except (
                httpx.TimeoutException,
                httpx.NetworkError,
                httpx.RemoteProtocolError,
                Bitrix24ServerError,
                Bitrix24BadResponse,
            ) as exc:
                not_sent = isinstance(exc, httpx.ConnectError)
                if (read or not_sent) and attempt <= self.max_retries:
                    self._backoff(attempt)
                    continue
                writes = tuple(k for k, (m, _) in commands.items() if not is_read(m))
                error = _as_error(exc, "batch", what, outcome_unknown=not read)
                raise Bitrix24ServerError(
                    str(error),
                    outcome_unknown=bool(writes),
                    unknown_keys=writes,
                    method="batch",
                    status=error.status,
                    what=what,
                ) from None
            status = response.status_code
            if "error" in data:
                if self._retry_limit("batch", status, data, attempt):
                    continue
                if status >= 500 and read and attempt <= self.max_retries:
                    self._backoff(attempt)
                    continue
                self._raise_for("batch", status, data, what)
            reply = self._batch_reply(commands, data, halt)
            return self._retry_limited(commands, reply, halt, what)

    def _retry_limited(
        self,
        commands: Mapping[str, tuple[str, Params]],
        reply: BatchReply,
        halt: bool,
        what: str,
    ) -> BatchReply:
        """Re-run commands the portal refused for a limit (it did not run them).

        Only when no command refers to another (``$result``...): a re-run alone
        would resolve its references against nothing.
        """
        for _ in range(self.max_retries):
            limited = [
                k
                for k, e in reply.errors.items()
                if e.code in ("OPERATION_TIME_LIMIT", "QUERY_LIMIT_EXCEEDED")
            ]
            if not limited or halt or any(_has_reference(p) for _, p in commands.values()):
                return reply
            again = self.batch({k: commands[k] for k in limited}, what=what)
            for key in limited:
                reply.errors.pop(key, None)
            reply.results.update(again.results)
            reply.errors.update(again.errors)
            reply.totals.update(again.totals)
            reply.nexts.update(again.nexts)
        return reply

    def batch_all(
        self, commands: Mapping[str, tuple[str, Params]], *, what: str = ""
    ) -> BatchReply:
        """Any number of independent commands, 50 per batch, merged into one reply.

        A batch that times out or breaks does not stop the rest: its writes are
        listed in ``unknown`` (look them up before any retry), its reads in ``errors``.
        """
        merged = BatchReply()
        keys = list(commands)
        unknown: list[str] = []
        for start in range(0, len(keys), MAX_BATCH):
            chunk = {k: commands[k] for k in keys[start : start + MAX_BATCH]}
            try:
                reply = self.batch(chunk, what=what)
            except Bitrix24ServerError as exc:
                unknown.extend(exc.unknown_keys)
                for key in chunk:
                    if key not in exc.unknown_keys:
                        merged.errors[key] = exc
                continue
            merged.results.update(reply.results)
            merged.errors.update(reply.errors)
            merged.totals.update(reply.totals)
            merged.nexts.update(reply.nexts)
        merged.unknown = tuple(unknown)
        return merged

    def _batch_reply(
        self, commands: Mapping[str, tuple[str, Params]], data: Mapping[str, Any], halt: bool
    ) -> BatchReply:
        body = data.get("result")
        if not isinstance(body, Mapping):
            raise Bitrix24BadResponse(
                "Bitrix24 answered a batch without its results.", method="batch"
            )
        results = _as_map(body.get("result"))
        raw_errors = _as_map(body.get("result_error"))
        times = _as_map(body.get("result_time"))
        reply = BatchReply(results=dict(results))
        for key, err in raw_errors.items():
            method = commands[key][0].lower() if key in commands else "batch"
            if isinstance(err, Mapping):
                reply.errors[key] = map_error(
                    method,
                    400,
                    err.get("error"),
                    str(err.get("error_description") or ""),
                    noun(method),
                )
        for key, value in _as_map(body.get("result_total")).items():
            reply.totals[key] = int(value)
        for key, value in _as_map(body.get("result_next")).items():
            reply.nexts[key] = int(value)
        for key, info in times.items():
            if key in commands:
                self.budget.observe(commands[key][0].lower(), info)
        # a 429 inside a batch blocks that method for the next calls
        for key, err in reply.errors.items():
            if err.code == "OPERATION_TIME_LIMIT":
                self.counters.got_429 += 1
                self.budget.block(commands[key][0].lower())
        if halt:
            reply.skipped = tuple(k for k in commands if k not in results and k not in raw_errors)
        return reply

    # --- listing -----------------------------------------------------------------------------

    def scan(
        self,
        method: str,
        params: Params | None = None,
        *,
        id_field: str = "ID",
        items_key: str | None = None,
        chain: int = MAX_BATCH,
        what: str = "",
    ) -> Iterator[dict[str, Any]]:
        """Every row of a list, by the fast ID scan (research §2).

        ``order {ID: ASC}``, ``filter {>ID: last}``, ``start=-1`` (no COUNT query);
        the first page is one call, further pages are chained ``chain`` to a batch
        with ``$result[pN][items][49][id]`` references. Stops at a page shorter
        than 50 rows.
        """
        base = dict(params or {})
        user_filter = dict(base.pop("filter", None) or {})
        base.pop("order", None)
        base.pop("start", None)
        path = f"[{items_key}]" if items_key else ""

        def page_params(last: Any) -> dict[str, Any]:
            return {
                **base,
                "filter": {**user_filter, f">{id_field}": last},
                "order": {id_field: "ASC"},
                "start": -1,
            }

        first = self.call(method, page_params(0), what=what)
        rows = _rows(first.result, items_key, method)
        yield from rows
        while len(rows) == PAGE:
            last = rows[-1][id_field]
            cmds: dict[str, tuple[str, Params]] = {}
            for i in range(chain):
                ref = last if i == 0 else f"$result[p{i - 1}]{path}[{PAGE - 1}][{id_field}]"
                cmds[f"p{i}"] = (method, page_params(ref))
            reply = self.batch(cmds, what=what)
            rows = []
            for i in range(chain):
                key = f"p{i}"
                if key in reply.errors:
                    raise reply.errors[key]
                rows = _rows(reply.results.get(key), items_key, method)
                yield from rows
                if len(rows) < PAGE:
                    return

    def get_many(
        self, method: str, params_by_key: Mapping[str, Params], what: str = ""
    ) -> dict[str, Any]:
        """Run the same read for many keys, 50 per batch; raises the first error."""
        out: dict[str, Any] = {}
        keys = list(params_by_key)
        for start in range(0, len(keys), MAX_BATCH):
            chunk = {f"k{k}": (method, params_by_key[k]) for k in keys[start : start + MAX_BATCH]}
            reply = self.batch(chunk, what=what)
            for key in chunk:
                if key in reply.errors:
                    raise reply.errors[key]
                out[key[1:]] = reply.results.get(key)
        return out


def _rows(result: Any, items_key: str | None, method: str) -> list[dict[str, Any]]:
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


def _has_reference(value: Any) -> bool:
    if isinstance(value, str):
        return "$" in value
    if isinstance(value, Mapping):
        return any(_has_reference(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_reference(v) for v in value)
    return False


def _as_map(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {}


def _opt_int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _as_error(exc: Exception, method: str, what: str, *, outcome_unknown: bool) -> Bitrix24Error:
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
