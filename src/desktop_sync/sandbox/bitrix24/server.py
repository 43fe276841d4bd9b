"""The HTTP side: webhook auth, parameters, limits, faults, the envelope, statistics.

Request path: ``/rest/USER_ID/CODE/METHOD[.json]`` (webhook) or
``/rest/METHOD[.json]`` with ``auth=TOKEN`` (OAuth; the sandbox issues no
tokens, so any token is refused). Parameters are merged from the query string
and the body (form-urlencoded with PHP brackets, or JSON), as PHP's
``$_REQUEST`` would; a query string or form body over PHP's ``max_input_vars``
(1,000 variables) is refused with 400 ``MAX_INPUT_VARS_EXCEEDED`` (PHP would drop
the rest). Order of checks, as in the core ``rest`` module: leaky
bucket (503) -> auth (401) -> method exists (404) -> scope (403) -> operating
time (429) -> the method itself.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from desktop_sync.sandbox.bitrix24 import (  # noqa: F401  (registers the methods)
    catalog,
    crm_items,
    crm_legacy,
    deals,
    misc,
    userfields,
)
from desktop_sync.sandbox.bitrix24.batch import SubResult, run_batch
from desktop_sync.sandbox.bitrix24.errors import (
    RestError,
    input_vars_exceeded,
    insufficient_scope,
    method_not_found,
)
from desktop_sync.sandbox.bitrix24.faults import KINDS_EXECUTED, FaultPlan
from desktop_sync.sandbox.bitrix24.limits import (
    WINDOW,
    CostModel,
    LeakyBucket,
    OperatingLimiter,
    operating_cost,
)
from desktop_sync.sandbox.bitrix24.phpquery import InputVarsExceeded, normalize, parse_str
from desktop_sync.sandbox.bitrix24.registry import METHODS, Ctx, Outcome
from desktop_sync.sandbox.bitrix24.store import PORTAL_TZ, Store, Webhook, iso, now_portal

QUERY_LIMIT = RestError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
OPERATION_LIMIT = RestError(
    429, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit."
)
MAX_BODY = 100 * 1024 * 1024
HTML_PAGE = (
    "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Time-out",
}


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One request as the sandbox saw it (no webhook code: it is a secret)."""

    at: float
    http_method: str
    rest_method: str
    user_id: int | None
    status: int
    error: str | None
    fault: str | None


@dataclass
class Stats:
    """Request statistics for tests and benchmarks."""

    requests: int = 0
    calls: Counter[str] = field(default_factory=Counter)  # HTTP requests per method
    subcalls: Counter[str] = field(default_factory=Counter)  # batch commands per method
    rejected_503: int = 0
    rejected_429: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    log: list[LogEntry] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)  # sandbox bugs, should stay empty
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.requests = 0
            self.calls.clear()
            self.subcalls.clear()
            self.rejected_503 = 0
            self.rejected_429 = 0
            self.faults.clear()
            self.log.clear()
            self.internal_errors.clear()


def php_json(value: Any) -> Any:
    """PHP arrays as ``json_encode`` writes them: an empty map is ``[]``, and a map keyed
    exactly ``0..n-1`` (e.g. batch commands with numeric keys) is a list."""
    kind = type(value)
    if kind is str or kind is int or value is None:  # most leaves, answered first
        return value
    if kind is dict or isinstance(value, dict):
        if not value:
            return []
        if next(iter(value)) == "0" and list(value) == [str(i) for i in range(len(value))]:
            return [php_json(v) for v in value.values()]
        return {k: php_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [php_json(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def encode(body: Any) -> bytes:
    return json.dumps(php_json(body), ensure_ascii=False).encode("utf-8")


class Portal:
    """Everything a request needs, shared by the handler threads."""

    def __init__(self, store: Store, *, rate_limit: bool, faults: str, seed: int) -> None:
        self.store = store
        self.rate_limit = rate_limit
        self.clock = time.time
        self.bucket = LeakyBucket(lambda: self.clock())
        self.operating = OperatingLimiter(lambda: self.clock())
        self.cost_model = CostModel()
        self.faults = FaultPlan(faults, seed)
        self.stats = Stats()
        self.moved_to: str | None = None
        self.stopping = threading.Event()
        # The front nginx's client_max_body_size: a larger request is refused with its
        # 413 page before the portal sees it (the cloud's value is not published; a file
        # in Base64 grows by a third, so a 75 MB PDF would not pass).
        self.max_body = MAX_BODY

    # --- one method call -----------------------------------------------------------

    def _time(
        self, start: float, cost: float, hook: Webhook, method: str, record: bool
    ) -> dict[str, Any]:
        finish = time.time()
        out: dict[str, Any] = {
            "start": start,
            "finish": finish,
            "duration": finish - start,
            "processing": finish - start,
            "date_start": iso(_from_ts(start)),
            "date_finish": iso(_from_ts(finish)),
        }
        if self.rate_limit:
            operating, reset_at = (
                self.operating.record(hook.code, method, cost) if record else (0.0, None)
            )
            # A cloud portal always says when the method's window resets: with nothing
            # recorded for it yet, ten minutes after this call's start.
            out["operating_reset_at"] = reset_at if reset_at is not None else int(start + WINDOW)
            out["operating"] = round(operating, 4)
        return out

    def call(self, hook: Webhook, method: str, params: dict[str, Any], *, sub: bool) -> SubResult:
        start = time.time()
        entry = METHODS.get(method)
        if entry is None:
            return SubResult(error=method_not_found())
        scopes, handler = entry
        if scopes is not None and not (scopes & hook.scopes):
            return SubResult(error=insufficient_scope())
        if self.rate_limit and self.operating.blocked(hook.code, method):
            with self.stats.lock:
                self.stats.rejected_429 += 1
            return SubResult(error=OPERATION_LIMIT)
        user = self.store.users[hook.user_id]
        if sub:
            with self.stats.lock:
                self.stats.subcalls[method] += 1
        try:
            with self.store.lock:
                outcome: Outcome = handler(Ctx(self.store, user, hook), params)
        except RestError as exc:
            self._time(start, self.cost_model.base, hook, method, True)
            return SubResult(error=exc)
        except Exception as exc:  # a sandbox bug: answer as PHP's fatal error would
            with self.stats.lock:
                self.stats.internal_errors.append(f"{method}: {exc!r}")
            return SubResult(error=RestError(500, "INTERNAL_SERVER_ERROR", "Internal server error"))
        cost = operating_cost(
            self.cost_model,
            rows=outcome.rows,
            skipped=outcome.skipped,
            counted=outcome.counted,
            writes=outcome.writes,
        )
        return SubResult(
            outcome.result, outcome.total, outcome.next, self._time(start, cost, hook, method, True)
        )

    def batch(self, hook: Webhook, params: dict[str, Any]) -> tuple[int, Any]:
        start = time.time()

        def run(method: str, sub_params: dict[str, Any]) -> SubResult:
            return self.call(hook, method, sub_params, sub=True)

        result = run_batch(params, run)
        # the outer batch is exempt from the operating limit
        return 200, {"result": result, "time": self._time(start, 0.0, hook, "batch", False)}

    def authenticate(
        self, path_parts: list[str], params: dict[str, Any]
    ) -> tuple[Webhook | None, str, RestError | None]:
        """-> (webhook, method, error) from ``/rest/...`` path parts."""
        if len(path_parts) >= 3 and path_parts[0].isdigit():
            user_id, code, method = int(path_parts[0]), path_parts[1], "/".join(path_parts[2:])
            hook = self.store.webhooks.get(code)
            method = _method_name(method)
            if hook is None or hook.user_id != user_id:
                return (
                    None,
                    method,
                    RestError(401, "INVALID_CREDENTIALS", "Invalid request credentials"),
                )
            if hook.expires is not None and hook.expires <= now_portal():
                # stricter: an expired webhook looks exactly like a wrong one
                return (
                    None,
                    method,
                    RestError(401, "INVALID_CREDENTIALS", "Invalid request credentials"),
                )
            return hook, method, None
        method = _method_name("/".join(path_parts))
        if params.get("auth"):
            return (
                None,
                method,
                RestError(401, "invalid_token", "The access token provided is invalid."),
            )
        return None, method, RestError(401, "NO_AUTH_FOUND", "Wrong authorization data")


def _from_ts(ts: float) -> Any:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts, PORTAL_TZ)


def _carried(params: dict[str, Any]) -> frozenset[str]:
    """The methods of a batch request's commands (``cmd[key]=method?query``)."""
    cmd = params.get("cmd")
    commands = cmd.values() if isinstance(cmd, dict) else []
    return frozenset(_method_name(str(c).partition("?")[0]) for c in commands)


def _method_name(raw: str) -> str:
    name = raw.strip("/").lower()  # the core lower-cases method names
    for suffix in (".json", ".xml"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


class Handler(BaseHTTPRequestHandler):
    server: PortalServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once: no 40 ms delayed-ACK stall
    wbufsize = 1 << 16
    server_version = "Apache"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        return  # the request log lives in Stats; nothing goes to stderr

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _read_params(self) -> dict[str, Any]:
        url = urlsplit(self.path)
        params: dict[str, Any] = parse_str(url.query) if url.query else {}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if body:
            ctype = (self.headers.get("Content-Type") or "").lower()
            if "json" in ctype:
                try:
                    data = json.loads(body.decode("utf-8"), parse_float=Decimal)
                except (ValueError, UnicodeDecodeError):
                    data = {}  # PHP's json_decode fails quietly: no parameters
                if isinstance(data, dict):
                    params.update(normalize(data))
            else:
                params.update(parse_str(body.decode("utf-8", errors="replace")))
        return params

    def _too_large(self, length: int) -> None:
        """nginx's answer to a body over ``client_max_body_size``: 413, an HTML page, the
        connection closed (the body is drained first, so the client sees the page)."""
        left = length
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                break
            left -= len(chunk)
        self.close_connection = True
        page = HTML_PAGE.format(code=413, reason="Request Entity Too Large")
        self._send(413, page.encode(), "text/html; charset=utf-8", {"Connection": "close"})

    def _send(
        self,
        status: int,
        body: bytes,
        ctype: str = "application/json; charset=utf-8",
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        portal = self.server.portal
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        if not parts or parts[0] != "rest":
            self._send(
                404,
                HTML_PAGE.format(code=404, reason="Not Found").encode(),
                "text/html; charset=utf-8",
            )
            return
        if portal.moved_to is not None:
            host = (self.headers.get("Host") or "").split(":")[0]
            if host != urlsplit(portal.moved_to).hostname:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._send(
                    302, b"", "text/html", {"Location": portal.moved_to.rstrip("/") + self.path}
                )
                return
        length = int(self.headers.get("Content-Length") or 0)
        if length > portal.max_body:
            self._too_large(length)
            return
        try:
            params = self._read_params()
        except InputVarsExceeded as exc:  # stricter than PHP, which drops the rest
            with portal.stats.lock:
                portal.stats.requests += 1
            self._send(400, encode(input_vars_exceeded(exc.count, exc.limit).body()))
            return
        with portal.stats.lock:
            portal.stats.requests += 1
        status, body, method, user_id, fault = self._dispatch(portal, parts[1:], params)
        error = body.get("error") if isinstance(body, dict) else None
        with portal.stats.lock:
            portal.stats.calls[method] += 1
            portal.stats.log.append(
                LogEntry(
                    time.time(),
                    self.command,
                    method,
                    user_id,
                    status,
                    None if error is None else str(error),
                    fault,
                )
            )
        if fault in ("timeout", "drop"):
            if fault == "timeout":
                portal.stopping.wait(portal.faults.timeout_seconds)
            self.close_connection = True
            return
        if isinstance(body, _Html):
            self._send(status, str(body).encode("utf-8"), "text/html; charset=utf-8")
            return
        if fault == "badjson":
            self._send(status, encode(body)[:-7])
            return
        self._send(status, encode(body))

    def _dispatch(
        self, portal: Portal, parts: list[str], params: dict[str, Any]
    ) -> tuple[int, Any, str, int | None, str | None]:
        method = _method_name("/".join(parts[2:] if parts and parts[0].isdigit() else parts))
        fault = portal.faults.draw(method, _carried(params) if method == "batch" else frozenset())
        if fault is not None:
            with portal.stats.lock:
                portal.stats.faults[fault] += 1
        if fault is not None and fault not in KINDS_EXECUTED:
            return self._fault_response(portal, fault, method)
        if portal.rate_limit and not portal.bucket.hit():
            with portal.stats.lock:
                portal.stats.rejected_503 += 1
            return 503, QUERY_LIMIT.body(), method, None, fault
        hook, method, auth_error = portal.authenticate(parts, params)
        if auth_error is not None or hook is None:
            err = auth_error or RestError(401, "NO_AUTH_FOUND", "Wrong authorization data")
            return err.status, err.body(), method, None, fault
        if method == "batch":
            status, batch_body = portal.batch(hook, params)
            return status, batch_body, method, hook.user_id, fault
        sub = portal.call(hook, method, params, sub=False)
        if sub.error is not None:
            return sub.error.status, sub.error.body(), method, hook.user_id, fault
        body: dict[str, Any] = {"result": sub.result}
        if sub.next is not None:
            body["next"] = int(sub.next)
        if sub.total is not None:
            body["total"] = int(sub.total)
        body["time"] = sub.time
        return 200, body, method, hook.user_id, fault

    def _fault_response(
        self, portal: Portal, fault: str, method: str
    ) -> tuple[int, Any, str, int | None, str | None]:
        if fault == "503":
            with portal.stats.lock:
                portal.stats.rejected_503 += 1
            return 503, QUERY_LIMIT.body(), method, None, fault
        html = fault.startswith("html")
        code = int(fault.removeprefix("html"))
        if html:
            page = HTML_PAGE.format(code=code, reason=REASONS.get(code, "Error"))
            return code, _Html(page), method, None, fault
        return (
            code,
            {"error": "INTERNAL_SERVER_ERROR", "error_description": "Internal server error"},
            method,
            None,
            fault,
        )


class _Html(str):
    """A body to send as an HTML page, not JSON."""


class PortalServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], portal: Portal) -> None:
        self.portal = portal
        super().__init__(address, Handler)
