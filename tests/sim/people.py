"""The people of the simulated business, each at their system's public API.

The accountant works in 1C through its standard OData interface (what a 1C form
does: write the object, post it, un-post it, mark it for deletion); the manager
works in Bitrix24 through its REST API (what the portal's pages call). Neither
uses desktop-sync's connectors: the checks must not share the sync's reading of
the data, and the people do not know how the sync works.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # two places: float's shortest repr gives the same digits back
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%dT00:00:00")
    raise TypeError(f"cannot send {type(value).__name__}")


def _body(values: dict[str, Any]) -> bytes:
    return json.dumps(values, default=_encode, ensure_ascii=False).encode("utf-8")


def _decode(response: httpx.Response) -> Any:
    return json.loads(response.text or "null", parse_float=Decimal)


class PersonError(Exception):
    """A system refused what a person did (the simulation's own bug, or a sandbox gap)."""


class OnecUser:
    """The accountant in 1C, over OData (``$format=json``)."""

    def __init__(self, url: str, user: str, password: str) -> None:
        self.url = url.rstrip("/")
        self.user, self.password = user, password
        self.http = httpx.Client(auth=(user, password), timeout=30)

    def close(self) -> None:
        self.http.close()

    def _check(self, r: httpx.Response, what: str) -> Any:
        if r.status_code >= 400:
            raise PersonError(f"1C refused {what}: {r.status_code} {r.text[:300]}")
        return _decode(r) if r.text.strip() else None

    def _url(self, path: str) -> str:
        return f"{self.url}/{quote(path, safe='()/=,$')}"

    def list(
        self, set_name: str, flt: str = "", select: str = "", top: int = 0
    ) -> list[dict[str, Any]]:
        params = {"$format": "json"}
        if flt:
            params["$filter"] = flt
        if select:
            params["$select"] = select
        if top:
            params["$top"] = str(top)
        r = self.http.get(self._url(set_name), params=params)
        return list(self._check(r, f"reading {set_name}")["value"])

    def get(self, set_name: str, ref: str) -> dict[str, Any]:
        r = self.http.get(self._url(f"{set_name}(guid'{ref}')"), params={"$format": "json"})
        return dict(self._check(r, f"reading {set_name} {ref}"))

    def add(self, set_name: str, values: dict[str, Any]) -> dict[str, Any]:
        r = self.http.post(
            self._url(set_name),
            params={"$format": "json"},
            content=_body(values),
            headers={"Content-Type": "application/json"},
        )
        return dict(self._check(r, f"creating in {set_name}"))

    def edit(self, set_name: str, ref: str, changes: dict[str, Any]) -> dict[str, Any]:
        r = self.http.patch(
            self._url(f"{set_name}(guid'{ref}')"),
            params={"$format": "json"},
            content=_body(changes),
            headers={"Content-Type": "application/json"},
        )
        return dict(self._check(r, f"writing {set_name} {ref}"))

    def post(self, set_name: str, ref: str) -> None:
        r = self.http.post(self._url(f"{set_name}(guid'{ref}')/Post()"), params={"$format": "json"})
        self._check(r, f"posting {set_name} {ref}")

    def unpost(self, set_name: str, ref: str) -> None:
        r = self.http.post(
            self._url(f"{set_name}(guid'{ref}')/Unpost()"), params={"$format": "json"}
        )
        self._check(r, f"un-posting {set_name} {ref}")

    def mark_deleted(self, set_name: str, ref: str, mark: bool = True) -> None:
        self.edit(set_name, ref, {"DeletionMark": mark})

    def register(self, name: str, flt: str = "") -> list[dict[str, Any]]:
        params = {"$format": "json"}
        if flt:
            params["$filter"] = flt
        r = self.http.get(self._url(name), params=params)
        return list(self._check(r, f"reading {name}")["value"])


class CrmUser:
    """The manager in Bitrix24, over the REST API of an inbound webhook."""

    def __init__(self, webhook: str) -> None:
        self.webhook = webhook.rstrip("/") + "/"
        self.http = httpx.Client(timeout=30)

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        r = self.http.post(
            self.webhook + method + ".json",
            content=_body(params or {}),
            headers={"Content-Type": "application/json"},
        )
        data = _decode(r)
        if r.status_code >= 400 or not isinstance(data, dict) or "error" in data:
            raise PersonError(f"Bitrix24 refused {method}: {r.status_code} {r.text[:300]}")
        return data.get("result")

    def list_all(self, method: str, params: dict[str, Any], key: str = "") -> list[dict[str, Any]]:
        """Every page of a list method (``start`` = 0, 50, …)."""
        out: list[dict[str, Any]] = []
        start = 0
        while True:
            r = self.http.post(
                self.webhook + method + ".json",
                content=_body({**params, "start": start}),
                headers={"Content-Type": "application/json"},
            )
            data = _decode(r)
            if r.status_code >= 400 or "error" in data:
                raise PersonError(f"Bitrix24 refused {method}: {r.status_code} {r.text[:300]}")
            page = data["result"]
            if key:
                page = page[key]
            out += page
            nxt = data.get("next")
            if not nxt or not page:
                return out
            start = int(nxt)
