"""A 1C invoice of the snapshot, with the seller's bank from 1C, as printable data (F11).

The printing package takes plain data; this module gathers it: the rows, their units
and VAT from the 1C document, the buyer from 1C's counterparty, the seller and its bank
account from 1C's organization (``OnecClient.organization`` and ``bank_details``).
"""

from __future__ import annotations

from collections.abc import Mapping

from desktop_sync.connectors.onec import BankDetails, Organization
from desktop_sync.domain.entities import Invoice
from desktop_sync.engine.snapshot import Snapshot
from desktop_sync.printing import BankAccount, InvoiceRow, Party, PrintableInvoice


def seller_party(org: Organization) -> Party:
    return Party(org.name, org.inn, org.kpp)


def seller_bank(details: BankDetails) -> BankAccount:
    return BankAccount(
        details.account,
        details.bank_name,
        details.bic,
        details.correspondent_account,
        details.city,
    )


def unit_names(snap: Snapshot) -> dict[str, str]:
    """ОКЕИ code → the short name 1C's products use for it ("796" → "шт")."""
    names: dict[str, str] = {}
    for product in snap.onec.products.values():
        if product.unit is not None and product.unit.name:
            names.setdefault(product.unit.okei, product.unit.name)
    return names


def printable_invoice(
    snap: Snapshot,
    inv: Invoice,
    seller: Party,
    bank: BankAccount,
    *,
    units: Mapping[str, str] | None = None,
) -> PrintableInvoice:
    """The 1C invoice ``inv`` as the printed form shows it (``units``: ``unit_names``,
    made once for many invoices)."""
    units = unit_names(snap) if units is None else units
    product_units = {}
    for line in inv.lines:
        product = snap.onec.products.get(line.product_ref or "")
        if product is not None and product.unit is not None and product.unit.name:
            product_units[line.product_ref or ""] = product.unit.name
    cp = snap.onec.counterparties.get(inv.counterparty_ref or "")
    buyer = (
        Party(cp.name, cp.inn, cp.kpp) if cp is not None else Party(inv.counterparty_name or "—")
    )
    return printable_of(inv, buyer, seller, bank, units, product_units)


def printable_of(
    inv: Invoice,
    buyer: Party,
    seller: Party,
    bank: BankAccount,
    units: Mapping[str, str],
    product_units: Mapping[str, str] | None = None,
) -> PrintableInvoice:
    """The form of ``inv`` with its parties given (``units``: ОКЕИ code → name;
    ``product_units``: a product's own unit name, by its 1C ref)."""
    product_units = product_units or {}
    rows = [
        InvoiceRow(
            line.product_name,
            line.quantity,
            product_units.get(line.product_ref or "") or units.get(line.unit_okei, ""),
            line.price,
            line.amount,
            line.vat_rate,
            line.vat_amount,
        )
        for line in inv.lines
    ]
    return PrintableInvoice(
        number=inv.number,
        date=inv.date,
        seller=seller,
        bank=bank,
        buyer=buyer,
        rows=rows,
        prices_include_vat=all(line.vat_included for line in inv.lines),
    )
