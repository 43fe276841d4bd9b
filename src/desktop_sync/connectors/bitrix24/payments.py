"""Payments of smart invoices (``crm.item.payment.*``): a payment's sum is the sum of
the rows attached to it (research/bitrix24.md, Payments)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from desktop_sync.connectors.bitrix24 import mapping
from desktop_sync.connectors.bitrix24.envelope import Params, outcome
from desktop_sync.connectors.bitrix24.errors import Bitrix24BadResponse, Bitrix24ServerError
from desktop_sync.connectors.bitrix24.invoices import INVOICE, Invoices
from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.i18n import N_


class Payments:
    """Invoice payments, marked paid or not."""

    def __init__(self, rest: RestClient, invoices: Invoices) -> None:
        self.rest = rest
        self.invoices = invoices

    def full_payments(self, invoices: Sequence[tuple[int, Decimal]]) -> list[int | Exception]:
        """Bitrix24 payments of whole invoices, marked paid, in a few batch requests.

        An invoice that already has a payment of its whole sum (``total``) gets that one
        (paid); any other gets a new payment with every row attached and paid, its
        commands in one batch request (the server runs a batch to the end even if our
        answer is lost, so a retry finds the payment by its sum: never a second one).
        Bitrix24 gives a payment no settable sum: it is the sum of the rows attached
        (research/bitrix24.md, Payments), hence whole invoices only.
        """
        ids = [iid for iid, _total in invoices]
        listed = self.rest.batch_all(
            {
                f"i{iid}": ("crm.item.payment.list", {"entityTypeId": INVOICE, "entityId": iid})
                for iid in ids
            },
            what=N_("payments of invoices"),
        )
        rows = self.invoices.product_rows(ids)
        out: dict[int, int | Exception] = {}
        groups: list[dict[str, tuple[str, Params]]] = [{}]
        for n, (iid, total) in enumerate(invoices):
            if f"i{iid}" in listed.errors or f"i{iid}" in listed.unknown:
                out[n] = listed.errors.get(f"i{iid}") or Bitrix24ServerError(
                    "Bitrix24 did not answer a read of payments."
                )
                continue
            same = [
                int(p["id"])
                for p in listed.results.get(f"i{iid}") or []
                if mapping.as_decimal(p.get("sum") or 0, "a payment sum") == total
            ]
            cmds: dict[str, tuple[str, Params]] = {}
            if same:
                out[n] = same[0]
                cmds[f"y{n}"] = ("crm.item.payment.pay", {"id": same[0]})
            elif not rows.get(iid):
                out[n] = Bitrix24BadResponse(f"invoice {iid} has no rows to pay for")
                continue
            else:
                cmds[f"p{n}"] = (
                    "crm.item.payment.add",
                    {"entityTypeId": INVOICE, "entityId": iid},
                )
                for k, row in enumerate(rows[iid]):
                    cmds[f"r{n}x{k}"] = (
                        "crm.item.payment.product.add",
                        {"paymentId": f"$result[p{n}]", "rowId": row["id"],
                         "quantity": row["quantity"]},
                    )  # fmt: skip
                cmds[f"y{n}"] = ("crm.item.payment.pay", {"id": f"$result[p{n}]"})
            if len(groups[-1]) + len(cmds) > 50:  # an invoice's commands stay together
                groups.append({})
            groups[-1].update(cmds)
        for group in groups:
            if not group:
                continue
            reply = self.rest.batch_all(group, what=N_("payments of invoices"))
            for n in sorted({int(key[1:].split("x")[0]) for key in group}):
                if f"p{n}" in group:
                    out[n] = outcome(reply, f"p{n}", int)
                    attached = [
                        outcome(reply, k, lambda _r: 1) for k in group if k.startswith(f"r{n}x")
                    ]
                    failed = next((r for r in attached if isinstance(r, Exception)), None)
                    if failed is not None and not isinstance(out[n], Exception):
                        out[n] = failed
                paid = outcome(reply, f"y{n}", lambda _r: 1)
                if isinstance(paid, Exception) and not isinstance(out[n], Exception):
                    out[n] = paid
        return [out[n] for n in range(len(invoices))]

    def set_payment_paid(self, payment_id: int, paid: bool) -> None:
        self.rest.call(
            "crm.item.payment.pay" if paid else "crm.item.payment.unpay",
            {"id": payment_id},
            what=f"payment {payment_id}",
        )

    def of_invoice(self, invoice_id: int) -> list[dict[str, Any]]:
        result = self.rest.call(
            "crm.item.payment.list", {"entityTypeId": INVOICE, "entityId": invoice_id}
        ).result
        return list(result or [])
