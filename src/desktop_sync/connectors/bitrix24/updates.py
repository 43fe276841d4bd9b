"""Single-record writes of many records (an invoice's sync fields or stage, a payment
marked paid), 50 commands to a batch request, one outcome per record.

A record's commands are independent of other records'; Bitrix24 runs a batch's
commands in order, so a record's two commands (its fields, then its stage) keep
their order. A batch whose answer is lost leaves its records' outcome unknown
(``Bitrix24ServerError`` with ``outcome_unknown``): updates set values, so the next
run simply plans what still differs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from desktop_sync.connectors.bitrix24.catalog import Catalog
from desktop_sync.connectors.bitrix24.encoding import MAX_VARS, variables
from desktop_sync.connectors.bitrix24.envelope import MAX_BATCH, Params, outcome
from desktop_sync.connectors.bitrix24.errors import Bitrix24Error, Bitrix24ServerError
from desktop_sync.connectors.bitrix24.fields import sync_values
from desktop_sync.connectors.bitrix24.invoices import INVOICE
from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.i18n import N_, tr

Command = tuple[str, Params]

sync_fields = sync_values  # our custom fields by their keys, as the invoice's fields


def invoice_fields(invoice_id: int, fields: Mapping[str, Any]) -> Command:
    """``crm.item.update`` of a smart invoice's fields."""
    return "crm.item.update", {"entityTypeId": INVOICE, "id": invoice_id, "fields": dict(fields)}


def payment_paid(payment_id: int, paid: bool) -> Command:
    return ("crm.item.payment.pay" if paid else "crm.item.payment.unpay"), {"id": payment_id}


class Updates:
    """Many records' single writes in few batch requests."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest

    def run(self, writes: Sequence[Sequence[Command]], what: str) -> list[Exception | None]:
        """Each record's commands; its outcome: None (all done) or its first error. A
        record's commands go in one request; a request whose answer is lost gives each
        of its records that error (``outcome_unknown``), naming what was sent. A record
        a batch cannot carry (``batchable``, or over PHP's 1,000 variables) goes call
        by call."""
        out: list[Exception | None] = [None] * len(writes)
        alone = {n for n, record in enumerate(writes) if not _fits(record)}
        for n in sorted(alone):
            out[n] = self._alone(writes[n], what)
        for chunk in _chunks([[] if n in alone else w for n, w in enumerate(writes)]):
            commands = {f"w{n}x{k}": c for n in chunk for k, c in enumerate(writes[n])}
            methods = ", ".join(sorted({method for method, _params in commands.values()}))
            try:
                reply = self.rest.batch(commands, what=f"{methods}: {tr(what)}")
            except Bitrix24ServerError as exc:
                for n in chunk:
                    out[n] = exc
                continue
            for n in chunk:
                errors = (outcome(reply, f"w{n}x{k}", lambda _r: 1) for k in range(len(writes[n])))
                out[n] = next((e for e in errors if isinstance(e, Exception)), None)
        return out

    def _alone(self, record: Sequence[Command], what: str) -> Exception | None:
        """A record whose commands cannot travel in a batch: call by call (JSON)."""
        try:
            for method, params in record:
                self.rest.call(method, params, what=what)
        except Bitrix24Error as exc:
            return exc
        return None


def batchable(value: Any) -> bool:
    """Whether a command's parameters survive a batch's query string: a null or an empty
    list or map is dropped there (a field to clear would stay as it was), and ``$`` in a
    text is read as a reference to another command's result."""
    if value is None:
        return False
    if isinstance(value, str):
        return "$" not in value
    if isinstance(value, Mapping):
        return bool(value) and all(batchable(v) for v in value.values())
    if isinstance(value, list | tuple):
        return bool(value) and all(batchable(v) for v in value)
    return True


def _fits(record: Sequence[Command]) -> bool:
    """Every command survives a batch, none over the variables PHP's ``parse_str``
    keeps (an invoice of 100 rows or more: the portal would set only the first)."""
    return all(batchable(params) and variables(params) <= MAX_VARS for _method, params in record)


def _chunks(writes: Sequence[Sequence[Command]]) -> list[list[int]]:
    """Records by index, as many to a request as their commands fit in one batch."""
    chunks: list[list[int]] = [[]]
    size = 0
    for n, record in enumerate(writes):
        if not record:
            continue
        if size + len(record) > MAX_BATCH and chunks[-1]:
            chunks.append([])
            size = 0
        chunks[-1].append(n)
        size += len(record)
    return [c for c in chunks if c]


def base_price_type(catalog: Catalog) -> int:
    """The base price type's id (a portal without one cannot take a price)."""
    base = next((p.crm_id for p in catalog.price_types() if p.base), None)
    if base is None:
        raise Bitrix24Error("Bitrix24 has no base price type (catalog.priceType.list).")
    return base


def base_price_rows(
    rest: RestClient, base: int, product_ids: Sequence[int], known: Mapping[int, int] = {}
) -> dict[int, int | None]:
    """Each product's base price row (None: it has none yet), 50 products a request;
    those ``known`` (listed by this run's read: ``Catalog.price_rows``) are not read."""
    unknown = [pid for pid in dict.fromkeys(product_ids) if pid not in known]
    reply = rest.batch_all(
        {
            f"p{pid}": (
                "catalog.price.list",
                {"filter": {"productId": pid, "catalogGroupId": base}},
            )
            for pid in unknown
        },
        what=N_("prices of products"),
    )
    if reply.errors or reply.unknown:
        raise next(iter(reply.errors.values()), None) or Bitrix24ServerError(
            "Bitrix24 did not answer a read of prices."
        )
    out: dict[int, int | None] = {}
    for pid in product_ids:
        rows = (reply.results.get(f"p{pid}") or {}).get("prices") or []
        out[pid] = known[pid] if pid in known else int(rows[0]["id"]) if rows else None
    return out


def base_price(product_id: int, price: Decimal, base: int, row: int | None) -> Command:
    """Write the base price: update its row, or add one."""
    if row is not None:
        return "catalog.price.update", {"id": row, "fields": {"price": price, "currency": "RUB"}}
    fields = {"productId": product_id, "catalogGroupId": base, "price": price, "currency": "RUB"}
    return "catalog.price.add", {"fields": fields}
