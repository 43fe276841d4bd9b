"""The OData conversation with 1C: requests, retries, and turning answers into errors.

Reads (GET) are retried by the connectors' one policy (:mod:`..retry`: exponential
back-off with jitter, at least the server's Retry-After) on what may pass: a dropped
connection, a timeout, 502/503/504 from the web server, a 500 from 1C, a mangled
body. Writes are sent once: a write whose outcome is unknown raises
``OnecConnectionError(outcome_unknown=True)`` and the engine decides.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict
from urllib.parse import quote

import httpx

from desktop_sync.closing import Closing
from desktop_sync.connectors import retry
from desktop_sync.connectors.http import CertificateFileError, certificate_problem, make_client
from desktop_sync.connectors.onec import errors as err
from desktop_sync.connectors.onec import literals as lit
from desktop_sync.connectors.onec import wire
from desktop_sync.connectors.onec.literals import Query, query_string
from desktop_sync.connectors.onec.metadata import Metadata, parse
from desktop_sync.connectors.retry import RETRY_AFTER_CAP
from desktop_sync.i18n import tr
from desktop_sync.netaddr import may_carry_secret
from desktop_sync.redact import register_secret

_PATH_SAFE = "/()'=,:$_"


@dataclass(frozen=True, slots=True)
class CreateResult:
    """A create's outcome: ``created`` is False when the Ref_Key existed already."""

    record: dict[str, Any]
    created: bool

    @property
    def ref(self) -> str:
        return str(self.record["Ref_Key"])


class Connection(TypedDict, total=False):
    """How to reach a publication, beyond its address and login (all optional)."""

    timeout: float
    verify: bool | str
    transport: httpx.BaseTransport | None
    retries: int
    backoff: float
    sleep: Callable[[float], None]


class Transport(Closing):
    """Low-level OData operations against one 1C publication."""

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        timeout: float = 30.0,
        verify: bool | str = True,
        transport: httpx.BaseTransport | None = None,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        register_secret(password)
        if not may_carry_secret(url):
            # Checked here as well as in the profile: the password goes out in Basic
            # auth with every request, so never over plain http off this computer.
            raise err.OnecError(
                tr(
                    "the 1C address «{url}» is not https: the password would travel "
                    "unencrypted (plain http:// is allowed only to this computer)"
                ).format(url=url)
            )
        self.url = url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self.requests = 0
        try:
            self._http = make_client(
                self.url,
                auth=httpx.BasicAuth(user.encode("utf-8"), password.encode("utf-8")),
                timeout=timeout,
                verify=verify,
                transport=transport,
                headers={"Accept": "application/json", "User-Agent": "desktop-sync"},
                follow_redirects=False,
            )
        except CertificateFileError as exc:
            raise err.OnecProfileError(f"onec.ca_file: {exc}") from None

    def close(self) -> None:
        self._http.close()

    # --- the wire ----------------------------------------------------------------------

    def _full_url(self, path: str, params: list[tuple[str, str]]) -> str:
        url = f"{self.url}/{quote(path, safe=_PATH_SAFE)}" if path else self.url + "/"
        return f"{url}?{query_string(params)}" if params else url

    def request(
        self,
        method: str,
        path: str,
        params: list[tuple[str, str]] | None = None,
        body: Any = None,
        *,
        entity: str = "",
        expect: str = "json",
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Send one request (reads retried); returns parsed JSON, bytes, or None."""
        write = method != "GET"
        url = self._full_url(path, params or [])
        content = wire.encode_json(body) if body is not None else None
        send_headers = dict(headers or {})
        if content is not None:
            send_headers["Content-Type"] = "application/json;charset=utf-8"
        for attempt in retry.attempts(
            0 if write else self.retries,
            base=self.backoff,
            cap=RETRY_AFTER_CAP,
            worth_retrying=lambda exc: isinstance(exc, err.OnecError) and exc.retryable,
            sleep=lambda: self._sleep,
        ):
            with attempt:
                return self._once(method, url, content, send_headers, entity, expect)
        raise AssertionError("unreachable")

    def _once(
        self,
        method: str,
        url: str,
        content: bytes | None,
        headers: dict[str, str],
        entity: str,
        expect: str,
    ) -> Any:
        """One exchange: the answer, or the error in the user's words (its category set)."""
        write = method != "GET"
        try:
            self.requests += 1
            # The body read into a bytes of our own, not kept in the response: an httpx
            # response is a reference cycle (its stream points back at it), so a body
            # kept there waits for a full collection, and a large page outlived its read
            # by minutes (issue 18: several 7 MB pages alive at the large set's peak).
            with self._http.stream(method, url, content=content, headers=headers) as resp:
                body = b"".join(resp.iter_bytes())
        except httpx.TimeoutException:
            raise err.OnecTimeout(
                tr("1C did not answer in time while {doing}").format(
                    doing=wire.doing(method, entity)
                ),
                outcome_unknown=write,
                entity=entity,
            ) from None
        except httpx.TransportError as exc:
            unknown = write and not isinstance(exc, httpx.ConnectError)
            problem = certificate_problem(exc)
            raise err.OnecConnectionError(
                tr(
                    "cannot verify the certificate of 1C at {host} while {doing}: "
                    "{reason}. If the 1C publication has a certificate of its own, "
                    "give its file: desktop-sync profile set PROFILE onec.ca_file FILE"
                ).format(host=wire.host(self.url), doing=wire.doing(method, entity), reason=problem)
                if problem
                else tr("cannot reach 1C while {doing}: {error}").format(
                    doing=wire.doing(method, entity), error=wire.transport_words(exc)
                ),
                outcome_unknown=unknown,
                entity=entity,
            ) from None
        try:
            return wire.answer(resp, body, entity, expect)
        except err.OnecError as exc:
            exc.retry_after = _retry_after(resp.headers.get("retry-after", ""))
            raise

    def metadata(self) -> Metadata:
        raw = self.request("GET", "$metadata", expect="bytes", entity="$metadata")
        if not isinstance(raw, bytes):
            raise err.OnecBadResponse("1C sent an empty $metadata", entity="$metadata")
        try:
            return parse(raw)
        except ValueError as exc:
            raise err.OnecBadResponse(
                f"1C sent unreadable $metadata: {exc}", entity="$metadata"
            ) from None

    def fetch(self, entity: str, query: Query | None = None) -> list[dict[str, Any]]:
        data = self.request("GET", entity, (query or Query()).params(), entity=entity)
        return wire.values(data, entity)

    def by_refs(
        self, entity: str, refs: list[str], select: tuple[str, ...] = (), chunk: int = 25
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i in range(0, len(refs), chunk):
            part = refs[i : i + chunk]
            out.extend(self.fetch(entity, Query(filter=lit.any_of("Ref_Key", part), select=select)))
        return out

    def count(self, entity: str, filter: str = "") -> int:
        params = [("$filter", filter)] if filter else []
        raw = self.request("GET", f"{entity}/$count", params, entity=entity, expect="bytes")
        text = (raw or b"").decode("utf-8-sig").strip()
        if not text.isdigit():
            raise err.OnecBadResponse(
                f"1C sent a count that is not a number for {entity}", entity=entity
            )
        return int(text)

    def get(self, entity: str, ref: str, select: tuple[str, ...] = ()) -> dict[str, Any]:
        q = Query(select=select)
        data = self.request("GET", wire.key_path(entity, ref), q.params(), entity=entity)
        if not isinstance(data, dict):
            raise err.OnecBadResponse(f"1C sent no record for {entity}", entity=entity)
        return data

    def find(self, entity: str, ref: str, select: tuple[str, ...] = ()) -> dict[str, Any] | None:
        try:
            return self.get(entity, ref, select)
        except err.OnecNotFound as exc:
            if exc.onec_code == "9":
                return None
            raise

    def versions(self, entity: str, filter: str = "") -> dict[str, str]:
        """The light scan: ``Ref_Key → DataVersion`` of every matching record, one request."""
        rows = self.fetch(entity, Query(filter=filter, select=("Ref_Key", "DataVersion")))
        return {sys.intern(str(r["Ref_Key"])): str(r["DataVersion"]) for r in rows}

    def create(self, entity: str, body: dict[str, Any]) -> CreateResult:
        """POST once. With ``Ref_Key`` in ``body``, code 15 means "made before": read it."""
        try:
            data = self.request("POST", entity, [("$format", "json")], body, entity=entity)
        except err.OnecAlreadyExists:
            ref = body.get("Ref_Key")
            if not ref:
                raise
            return CreateResult(self.get(entity, str(ref)), created=False)
        if not isinstance(data, dict) or "Ref_Key" not in data:
            raise err.OnecBadResponse(
                f"1C did not return the created record of {entity}", entity=entity
            )
        return CreateResult(data, created=True)

    def update(
        self, entity: str, ref: str, changes: dict[str, Any], if_match: str | None = None
    ) -> dict[str, Any]:
        headers = {"If-Match": if_match} if if_match else None
        data = self.request(
            "PATCH",
            wire.key_path(entity, ref),
            [("$format", "json")],
            changes,
            entity=entity,
            headers=headers,
        )
        if not isinstance(data, dict):
            raise err.OnecBadResponse(
                f"1C did not return the changed record of {entity}", entity=entity
            )
        return data

    def mark_deleted(self, entity: str, ref: str, mark: bool = True) -> dict[str, Any]:
        return self.update(entity, ref, {"DeletionMark": mark})

    def delete(self, entity: str, ref: str) -> None:
        self.request(
            "DELETE",
            wire.key_path(entity, ref),
            [("$format", "json")],
            entity=entity,
            expect="none",
        )

    def post(self, entity: str, ref: str, operational: bool = False) -> None:
        self._posting("Post", entity, ref, operational)

    def unpost(self, entity: str, ref: str) -> None:
        self._posting("Unpost", entity, ref, False)

    def _posting(self, action: str, entity: str, ref: str, operational: bool) -> None:
        params = [
            ("PostingModeOperational", "true" if operational else "false"),
            ("$format", "json"),
        ]
        try:
            self.request(
                "POST",
                f"{wire.key_path(entity, ref)}/{action}",
                params,
                entity=entity,
                expect="none",
            )
        except err.OnecServerError as exc:
            verb = "post" if action == "Post" else "unpost"
            raise err.OnecPostingError(
                f"1C refused to {verb} the document {entity}({ref}): {exc.onec_message}",
                entity=entity,
                field=exc.field,
                status=exc.status,
                onec_code=exc.onec_code,
                onec_message=exc.onec_message,
            ) from None

    def slice_last(
        self,
        entity: str,
        *,
        period: str = "",
        condition: str = "",
        filter: str = "",
        select: tuple[str, ...] = (),
    ) -> list[dict[str, Any]]:
        """``Register_RecordType/SliceLast(Period=…,Condition='…')``: the latest record per
        dimensions at a moment (A4, A8 "Prices")."""
        path = f"{entity}/SliceLast{_args(Period=period, Condition=condition)}"
        return self._virtual_table(entity, path, filter, select)

    def balance(
        self,
        register: str,
        *,
        period: str = "",
        account_condition: str = "",
        condition: str = "",
        dimensions: str = "",
        filter: str = "",
        select: tuple[str, ...] = (),
    ) -> list[dict[str, Any]]:
        """``Register/Balance(Period=…,AccountCondition='…',Condition='…',Dimensions='…')``
        (A4).

        The conditions go inside the parentheses with their inner quotes not doubled,
        as DOC's example shows; ``period`` is a ``datetime'…'`` literal.
        """
        args = _args(
            Period=period,
            AccountCondition=account_condition,
            Condition=condition,
            Dimensions=dimensions,
        )
        return self._virtual_table(register, f"{register}/Balance{args}", filter, select)

    def _virtual_table(
        self, entity: str, path: str, filter: str, select: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """The rows of a register's virtual table (its parameters already in ``path``)."""
        q = Query(filter=filter, select=select)
        return wire.values(self.request("GET", path, q.params(), entity=entity), entity)


def _args(**params: str) -> str:
    """``(Period=…,Condition='…')``; inner quotes are not doubled (A4)."""
    parts = []
    for name, value in params.items():
        if value:
            parts.append(f"{name}={value}" if name == "Period" else f"{name}='{value}'")
    return "(" + ",".join(parts) + ")"


def _retry_after(value: str) -> float:
    """Seconds from a ``Retry-After`` header (the HTTP-date form is ignored)."""
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0.0
