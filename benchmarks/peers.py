"""The same CRM reads through the peers, ``b24pysdk`` and ``fast-bitrix24``, on the same sandbox.

Fair conditions: HTTPS with the sandbox's CA (b24pysdk only speaks https), the
rate limit on, the portal's bucket **full at start and the client unaware of it**
(another app filled it): every client has to find that out from 503s or pace
itself. Real time for everyone here, ours included (no virtual clock: the
peers cannot take one). Each peer is used in its idiomatic way (see
docs/decisions/bitrix24-client.md): list then one product-row command per invoice.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.common import BUCKET, FEWEST, Row, bucket_seconds, fewest_requests, fill_bucket
from desktop_sync.config.environment import environment
from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.sandbox import bitrix24

Reader = Callable[[str, Path], int]  # (webhook, ca file) -> rows read


def _count(result: Any) -> int:
    if isinstance(result, dict):
        for key in ("items", "products", "prices", "productRows"):
            if key in result:
                return _count(result[key])
        return sum(_count(v) for v in result.values()) if result else 0
    if isinstance(result, (list, tuple)):
        return len(result)
    return 0


def _ca_env(ca: Path) -> AbstractContextManager[None]:
    """The sandbox's certificate authority for the peers' HTTP libraries."""
    return environment({"SSL_CERT_FILE": str(ca), "REQUESTS_CA_BUNDLE": str(ca)})


def _rows_cmd(invoice_ids: list[Any]) -> dict[str, Any]:
    """Rows of several invoices in one command: ``=ownerId`` with a list is an IN (the
    documented ORM filter form our client uses), so every client gets the same feature."""
    return {"filter": {"=ownerType": "SI", "=ownerId": invoice_ids}}


ROW_GROUP = 16  # invoices per product-row command, as our client groups them


def _groups(items: list[dict[str, Any]]) -> list[list[Any]]:
    ids = [i["id"] for i in items]
    return [ids[k : k + ROW_GROUP] for k in range(0, len(ids), ROW_GROUP)]


# --- ours -------------------------------------------------------------------------------


def ours(what: str) -> Reader:
    def read(webhook: str, ca: Path) -> int:
        c = Bitrix24Client(webhook, verify=str(ca), throttle=True)
        with c:
            if what == "invoices":
                return sum(1 + len(i.invoice.lines) for i in c.invoices.read())
            if what == "companies":
                return sum(1 + len(co.counterparty.requisites) for co in c.companies.read())
            products, prices = c.catalog.read()  # both lists' pages share batch requests
            return len(products) + len(prices)

    return read


# --- fast-bitrix24 ------------------------------------------------------------------------


def fast_bitrix24(what: str) -> Reader:
    def read(webhook: str, ca: Path) -> int:
        fb = importlib.import_module("fast_bitrix24")
        logging.getLogger("fast_bitrix24").setLevel(logging.ERROR)
        with _ca_env(ca):
            b = fb.Bitrix(webhook, verbose=False)
            if what == "invoices":
                items = b.get_all("crm.item.list", {"entityTypeId": 31})
                # fast-bitrix24's encoder escapes "=" in a key with a plain value but not in
                # a key with a list (filter[=ownerId][0]=…), which PHP's parse_str splits at
                # that "=": the unprefixed ownerId (also an IN, as documented) is its way
                cmds = [{"filter": {"=ownerType": "SI", "ownerId": g}} for g in _groups(items)]
                rows = b.call("crm.item.productrow.list", cmds)
                return len(items) + _count(rows)
            if what == "companies":
                cos = b.get_all("crm.company.list", {"select": ["*", "UF_*", "PHONE", "EMAIL"]})
                rqs = b.get_all("crm.requisite.list", {"filter": {"ENTITY_TYPE_ID": 4}})
                return len(cos) + len(rqs)
            iblock_id = _first_iblock(b.get_all("catalog.catalog.list"))
            prods = b.get_all(
                "catalog.product.list",
                {"select": ["id", "iblockId", "name", "xmlId"], "filter": {"iblockId": iblock_id}},
            )
            prices = b.get_all("catalog.price.list", {"filter": {"catalogGroupId": 1}})
            return _count(prods) + _count(prices)

    return read


def _first_iblock(result: Any) -> int:
    if isinstance(result, dict):
        result = result.get("catalogs", result)
    if isinstance(result, list) and result:
        row = result[0]
        return int(row.get("iblockId") or row["id"])
    if isinstance(result, dict) and ("iblockId" in result or "id" in result):
        return int(result.get("iblockId") or result["id"])
    raise RuntimeError(f"no product catalog in {str(result)[:80]}")


# --- b24pysdk ---------------------------------------------------------------------------------


def b24pysdk(what: str) -> Reader:
    def read(webhook: str, ca: Path) -> int:
        sdk = importlib.import_module("b24pysdk")
        parts = urlsplit(webhook)
        segs = [s for s in parts.path.split("/") if s]
        with _ca_env(ca):
            tok = sdk.BitrixWebhook(domain=parts.netloc, webhook_token=f"{segs[1]}/{segs[2]}")
            if what == "invoices":
                items = list(tok.call_list_fast("crm.item.list", {"entityTypeId": 31})["result"])
                rows = tok.call_batches(
                    {
                        f"k{n}": ("crm.item.productrow.list", _rows_cmd(g))
                        for n, g in enumerate(_groups(items))
                    }
                )
                return len(items) + _count(rows["result"])
            if what == "companies":
                cos = list(
                    tok.call_list_fast(
                        "crm.company.list", {"select": ["*", "UF_*", "PHONE", "EMAIL"]}
                    )["result"]
                )
                rqs = list(
                    tok.call_list_fast("crm.requisite.list", {"filter": {"ENTITY_TYPE_ID": 4}})[
                        "result"
                    ]
                )
                return len(cos) + len(rqs)
            cat = tok.call_method("catalog.catalog.list", {})
            iblock_id = _first_iblock(cat.get("result", cat))
            prods = list(
                tok.call_list_fast(
                    "catalog.product.list",
                    {
                        "select": ["id", "iblockId", "name", "xmlId"],
                        "filter": {"iblockId": iblock_id},
                    },
                )["result"]
            )
            prices = list(
                tok.call_list_fast("catalog.price.list", {"filter": {"catalogGroupId": 1}})[
                    "result"
                ]
            )
            return len(prods) + len(prices)

    return read


PEERS: dict[str, Callable[[str], Reader]] = {
    "ours": ours,
    "fast-bitrix24": fast_bitrix24,
    "b24pysdk": b24pysdk,
}


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return ""


def _in_child(name: str, what: str, portal: bitrix24.Bitrix24Sandbox) -> tuple[int, str, float]:
    """Run one read in a fresh interpreter (clean imports, its own CA in the environment).

    The child imports first and says "ready"; only then is the portal's bucket filled
    and the webhook sent (on stdin, never on the command line). -> (rows, error, seconds)
    """
    assert portal.ca_file is not None
    ca = str(portal.ca_file)
    env = {**os.environ, "SSL_CERT_FILE": ca, "REQUESTS_CA_BUNDLE": ca}
    with subprocess.Popen(
        [sys.executable, "-m", "benchmarks.peers", name, what, ca],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        ready = proc.stdout.readline().strip()
        if ready == "ready":
            fill_bucket(portal)
            portal.stats.reset()
            proc.stdin.write(portal.webhook + "\n")
            proc.stdin.flush()
        proc.stdin.close()
        proc.stdin = None  # closed: communicate() must not flush it
        out, err = proc.communicate(timeout=900)
    try:
        data = json.loads(out.strip().splitlines()[-1])
        return int(data["rows"]), str(data["error"]), float(data["seconds"])
    except (ValueError, IndexError, KeyError):
        return 0, f"exit {proc.returncode}: {err.strip()[-200:]}", 0.0


def _child(argv: list[str]) -> None:
    name, what, ca = argv
    warnings.simplefilter("ignore")
    if name != "ours":
        importlib.import_module(name.replace("-", "_"))
    print("ready", flush=True)
    webhook = sys.stdin.readline().strip()
    t0 = time.perf_counter()
    try:
        rows, error = PEERS[name](what)(webhook, Path(ca)), ""
    except Exception as exc:
        rows, error = 0, f"{type(exc).__name__}: {str(exc)[:160]}"
    print(json.dumps({"rows": rows, "error": error, "seconds": time.perf_counter() - t0}))


def run(size: str, reads: tuple[str, ...] = ("invoices", "companies", "catalog")) -> list[Row]:
    out: list[Row] = []
    versions = {
        "ours": "",
        "fast-bitrix24": _version("fast-bitrix24"),
        "b24pysdk": _version("b24pysdk"),
    }
    with tempfile.TemporaryDirectory(prefix="ds-bench-tls-") as tls:
        for what in reads:
            group = f"CRM read vs. peers ({size}, https, bucket full at start, real time)"
            for name, _make in PEERS.items():
                if name != "ours" and not versions[name]:
                    out.append(
                        Row(
                            group,
                            f"{what}: {name}",
                            None,
                            "s",
                            note="not installed: pip install -e '.[bench]'",
                        )
                    )
                    continue
                with bitrix24.start(
                    port=0, size=size, rate_limit=True, tls_dir=Path(tls) / f"{what}-{name}"
                ) as portal:
                    assert portal.ca_file is not None
                    got, error, seconds = _in_child(name, what, portal)
                    requests = portal.stats.requests
                    refused = portal.stats.rejected_503 + portal.stats.rejected_429
                    rows_by_list = _list_rows(portal, what)
                floor_req = fewest_requests(*rows_by_list.values())
                label = f"{name} {versions[name]}".strip()
                note = f"{got} rows; {requests} requests ({refused} refused 503/429)"
                if error:
                    note = f"FAILED {error}; " + note
                out.append(
                    Row(
                        group,
                        f"{what}: {label}",
                        None if error else seconds,
                        "s",
                        bucket_seconds(floor_req, 50.0),
                        BUCKET + "; " + FEWEST,
                        note,
                        {
                            "requests": requests,
                            "refused": refused,
                            "rows": got,
                            "floor_requests": floor_req,
                        },
                    )
                )
    return out


def _list_rows(portal: bitrix24.Bitrix24Sandbox, what: str) -> dict[str, int]:
    st = portal.store
    if what == "invoices":
        return {"items": len(st.items.rows), "rows": len(st.product_rows.rows)}
    if what == "companies":
        reqs = sum(1 for r in st.requisites.rows.values() if int(r.get("ENTITY_TYPE_ID", 0)) == 4)
        return {"companies": len(st.companies.rows), "requisites": reqs}
    return {"products": len(st.products.rows), "prices": len(st.prices.rows)}


if __name__ == "__main__":
    _child(sys.argv[1:])
