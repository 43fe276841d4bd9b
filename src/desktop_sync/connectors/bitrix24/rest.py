"""The REST transport: webhook calls, batches and retries (the envelope and the error
mapping are in ``envelope``, the list scans in ``paging``).

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
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec

from desktop_sync.closing import Closing
from desktop_sync.connectors import retry
from desktop_sync.connectors.bitrix24 import paging
from desktop_sync.connectors.bitrix24.encoding import MAX_VARS, http_build_query
from desktop_sync.connectors.bitrix24.envelope import (
    MAX_BATCH,
    PAGE,
    BatchReply,
    Counters,
    Params,
    Reply,
    as_error,
    as_map,
    batch_reply,
    has_reference,
    is_read,
    map_error,
    noun,
    opt_int,
)
from desktop_sync.connectors.bitrix24.errors import (
    Bitrix24BadResponse,
    Bitrix24Error,
    Bitrix24RateLimited,
    Bitrix24ServerError,
)
from desktop_sync.connectors.bitrix24.throttle import (
    DEFAULT_OPERATING_LIMIT,
    OperatingBudget,
    RequestThrottle,
)
from desktop_sync.connectors.bitrix24.webhook import check_url
from desktop_sync.connectors.http import CertificateFileError, make_client
from desktop_sync.crm.port import Waiting
from desktop_sync.domain.money import loads_decimal
from desktop_sync.i18n import tr
from desktop_sync.netaddr import is_loopback

__all__ = [
    "MAX_BATCH",
    "PAGE",
    "BatchReply",
    "Counters",
    "Params",
    "Reply",
    "RestClient",
    "is_read",
    "map_error",
    "noun",
]

log = logging.getLogger(__name__)

# What leaves the outcome of an exchange unknown (a read is simply sent again).
_LOST = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    Bitrix24ServerError,
    Bitrix24BadResponse,
)


# A batch parked to share a request with other groups' (``sharing``): its answer, or
# None when the batch is not one of theirs.
Shared = Callable[[Mapping[str, tuple[str, Params]], str], BatchReply | None]


@dataclass(frozen=True, slots=True)
class _Exchange:
    """One request as the retry loop sees it: where it goes, what it carries, whether it
    only reads, and what to raise if its answer never comes (``lost``)."""

    method: str
    body: Params
    limits: list[str]  # the methods whose operating time it spends
    read: bool
    what: str
    lost: Callable[[Exception], Bitrix24Error]


class _Again(Exception):
    """A failure worth another try; ``final`` is raised when no try is left."""

    def __init__(self, final: Bitrix24Error) -> None:
        super().__init__(str(final))
        self.final = final


class RestClient(Closing):
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
        self._origin, self._path = check_url(webhook_url)
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
        self._idle: Callable[[], Waiting] | None = None  # while_waiting
        # sharing.together: a batch asked by one of several groups of writes, parked to
        # share a request with the others (None: outside such groups, sent as it is)
        self.shared: Shared | None = None

    # --- lifecycle -----------------------------------------------------------------

    @property
    def portal(self) -> str:
        """The portal's address (no secret in it)."""
        return self._origin

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(portal={self._origin!r})"

    # --- one HTTP exchange ---------------------------------------------------------------

    def _post(self, method: str, body: Params) -> httpx.Response:
        # JSON made straight into bytes, a Decimal as its exact string and a file's bytes
        # as Base64: no text of the body beside them (a batch of PDFs is MBs: issue 18)
        content = msgspec.json.encode(dict(body))
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
        self._work_while_waiting()
        self.throttle.acquire()

    def while_waiting(self, work: Callable[[], Waiting] | None) -> None:
        """Work to do while the bucket makes a request wait, instead of sleeping: ``work``
        does one small unit and says what it found: one done (more may follow in this
        wait), none ready yet (the rest of this wait is slept; asked again at the next),
        none left (never asked again). Time spent working drains the bucket as a sleep
        would, so it costs the run nothing."""
        self._idle = work

    def _work_while_waiting(self) -> None:
        while self._idle is not None and self.throttle.deficit() > 0:
            found = self._idle()
            if found is Waiting.NONE_LEFT:
                self._idle = None
            elif found is not Waiting.DID_ONE:  # none ready yet: sleep the rest of this wait
                return

    def _exchange(self, ex: _Exchange) -> Mapping[str, Any]:
        """One request, retried while that is safe: the answer's JSON body, or an error.

        ``lost`` turns a request whose answer never came into the error to raise. A
        failure is retried by the connectors' one policy (:mod:`..retry`: back-off with
        jitter); the portal's limits are waited out inside each try (:meth:`_paced`).
        """
        try:
            for attempt in retry.attempts(
                self.max_retries,
                base=0.5,
                cap=8.0,
                worth_retrying=lambda exc: isinstance(exc, _Again),
                sleep=lambda: self.sleep,
                counted=self._count_retry,
            ):
                with attempt:
                    return self._paced(ex)
        except _Again as again:
            raise again.final from None
        raise AssertionError("unreachable")

    def _paced(self, ex: _Exchange) -> Mapping[str, Any]:
        """One try: sent when the limits allow, re-sent while the portal refuses it for a
        limit (it did not run it); a failure worth another try is raised as ``_Again``."""
        method, what = ex.method, ex.what
        refused = 0
        while True:
            refused += 1
            self._wait_limits(ex.limits)
            self.counters.requests += 1
            try:
                response = self._post(method, ex.body)
                data = self._decode(method, response, what)
            except _LOST as exc:
                if ex.read or isinstance(exc, httpx.ConnectError):  # a read, or never sent
                    raise _Again(ex.lost(exc)) from None
                raise ex.lost(exc) from None
            status = response.status_code
            if "error" not in data:
                result: Mapping[str, Any] = data
                return result
            if self._retry_limit(method, status, data, refused):
                continue
            try:
                self._raise_for(method, status, data, what)
            except Bitrix24Error as error:
                if status >= 500 and ex.read:
                    raise _Again(error) from None
                raise

    def call(self, method: str, params: Params | None = None, *, what: str = "") -> Reply:
        """Call one method; returns its ``result`` and envelope or raises a typed error."""
        method = method.lower()
        what = tr(what) if what else noun(method)  # callers name it in English (N_)
        read = is_read(method)
        data = self._exchange(
            _Exchange(
                method,
                params or {},
                [method],
                read,
                what,
                lambda exc: as_error(exc, method, what, outcome_unknown=not read),
            )
        )
        self.budget.observe(method, data.get("time"))
        return Reply(
            data.get("result"),
            opt_int(data.get("total")),
            opt_int(data.get("next")),
            data.get("time"),
        )

    def _retry_limit(self, method: str, status: int, data: Mapping[str, Any], attempt: int) -> bool:
        code = data.get("error")
        if code == "QUERY_LIMIT_EXCEEDED" or status == 503:
            self.counters.got_503 += 1
            if attempt > self.max_retries * 2:
                message = tr("Bitrix24 kept refusing {method}: too many requests. Try again later.")
                raise _limited(message, method, code, status)
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
                message = tr(
                    "Bitrix24 has blocked {method} for its operation-time limit; "
                    "the run will resume later."
                )
                raise _limited(message, method, code, status)
            self.counters.retries += 1
            if not self.throttle_on:  # no proactive wait will come: wait here
                self.sleep(max(0.0, until - self.clock()))
            return True
        return False

    def _count_retry(self) -> None:
        self.counters.retries += 1

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
        if self.shared is not None and not halt:
            shared = self.shared(commands, what)
            if shared is not None:
                return shared
        methods = [m.lower() for m, _ in commands.values()]
        cmd = {key: f"{m.lower()}?{http_build_query(p)}" for key, (m, p) in commands.items()}
        over = next((k for k, q in cmd.items() if q.count("&") >= MAX_VARS), None)
        if over is not None:  # a real portal would run it cut short, silently
            raise ValueError(f"batch command {over} is over PHP's {MAX_VARS} input variables")
        read = all(is_read(m) for m in methods)
        what = tr(what) if what else ", ".join(sorted({noun(m) for m in methods}))

        def lost(exc: Exception) -> Bitrix24Error:
            writes = tuple(k for k, (m, _) in commands.items() if not is_read(m))
            error = as_error(exc, "batch", what, outcome_unknown=not read)
            return Bitrix24ServerError(
                str(error),
                outcome_unknown=bool(writes),
                unknown_keys=writes,
                method="batch",
                status=error.status,
                what=what,
            )

        data = self._exchange(
            _Exchange("batch", {"halt": 1 if halt else 0, "cmd": cmd}, methods, read, what, lost)
        )
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
            if not limited or halt or any(has_reference(p) for _, p in commands.values()):
                return reply
            again = self.batch({k: commands[k] for k in limited}, what=what)
            for key in limited:
                reply.errors.pop(key, None)
            reply.merge(again)
        return reply

    def batch_all(
        self, commands: Mapping[str, tuple[str, Params]], *, what: str = ""
    ) -> BatchReply:
        """Any number of independent commands, 50 per batch (see :func:`paging.batch_all`)."""
        return paging.batch_all(self, commands, what=what)

    def _batch_reply(
        self, commands: Mapping[str, tuple[str, Params]], data: Mapping[str, Any], halt: bool
    ) -> BatchReply:
        reply = batch_reply(commands, data, halt)
        for key, info in as_map(data["result"].get("result_time")).items():
            if key in commands:
                self.budget.observe(commands[key][0].lower(), info)
        # a 429 inside a batch blocks that method for the next calls
        for key, err in reply.errors.items():
            if err.code == "OPERATION_TIME_LIMIT":
                self.counters.got_429 += 1
                self.budget.block(commands[key][0].lower())
        return reply

    # --- listing -----------------------------------------------------------------------------

    def scan(
        self, method: str, params: Params | None = None, **how: Any
    ) -> Iterator[dict[str, Any]]:
        """Every row of a list by the fast ID scan (see :func:`paging.scan` for ``how``)."""
        return paging.scan(self, method, params, **how)

    def get_many(
        self, method: str, params_by_key: Mapping[str, Params], what: str = ""
    ) -> dict[str, Any]:
        """Run the same read for many keys, 50 per batch; raises the first error."""
        return paging.get_many(self, method, params_by_key, what)


def _limited(message: str, method: str, code: Any, status: int) -> Bitrix24RateLimited:
    """The portal's rate limits held past what the run waits for (``message`` names
    the method as ``{method}``)."""
    return Bitrix24RateLimited(
        message.format(method=method), method=method, code=code, status=status
    )
