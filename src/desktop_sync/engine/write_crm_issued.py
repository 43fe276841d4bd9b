"""F8's CRM writes: a CRM invoice made from a 1C invoice; moved to the "cancelled" stage
when 1C marks it for deletion, retitled when its 1C number or date changes.

The invoice's key is its ``xmlId`` = the 1C Ref_Key. It is looked up before it is
made: one made before (a run killed after the portal made it, a lost journal) is
completed (its rows set again, the buyer's requisite chosen) and linked, never made
twice. After a lost answer the look-up settles the create only when the invoice holds
all its rows; a half-made one is left to the next plan, whose create completes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from desktop_sync.crm.port import CrmPort
from desktop_sync.crm.types import InvoiceDraft
from desktop_sync.domain.entities import InvoiceLine
from desktop_sync.engine.executor import FOUND, Applied, Outcome, WriteError
from desktop_sync.engine.model import Operation
from desktop_sync.engine.ops import EntityType, InvoiceHeader, IssuedInvoice, Unsettled
from desktop_sync.errors import SyncError
from desktop_sync.i18n import tr


class IssuedWrites:
    def __init__(self, client: CrmPort) -> None:
        self.client = client

    def create(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        """One invoice: looked up by its key, made if missing, its rows set (again), the
        buyer's requisite chosen."""
        draft, lines, requisite = _prepared(op, results)
        invoices = self.client.invoices
        crm_id = invoices.find_invoice_by_xml_id(op.source_id)
        found = crm_id is not None
        if crm_id is None:
            crm_id = invoices.add_invoice_draft(draft)
        invoices.set_product_rows(crm_id, lines)
        if requisite is not None:
            invoices.link_invoice_requisite(crm_id, requisite)
        return _applied(crm_id, op, found=found)

    def create_many(self, ops: list[Operation], results: Mapping[str, Applied]) -> list[Outcome]:
        """Several invoices: their keys looked up in one request, the new ones made with
        their rows in few batch requests; one found (or with a ``$`` in a value, which a
        batch would read as a reference) goes alone. One outcome each."""
        out: dict[str, Outcome] = {}
        ready: list[tuple[Operation, Prepared]] = []
        for op in ops:
            try:
                ready.append((op, _prepared(op, results)))
            except WriteError as exc:
                out[op.op_id] = exc
        found = self.client.invoices.invoices_by_xml_id([op.source_id for op, _ in ready])
        new: list[tuple[Operation, Prepared]] = []
        for op, prepared in ready:
            if op.source_id.lower() in found or "$" in repr(prepared):
                out[op.op_id] = self._alone(op, results)
            else:
                new.append((op, prepared))
        made = self.client.invoices.add_drafts([prepared for _op, prepared in new]) if new else []
        for (op, _prepared_op), m in zip(new, made, strict=True):
            out[op.op_id] = m if isinstance(m, Exception) else _applied(m, op, found=False)
        return [out[op.op_id] for op in ops]

    def _alone(self, op: Operation, results: Mapping[str, Applied]) -> Outcome:
        try:
            return self.create(op, results)
        except SyncError as exc:
            return exc

    def header(self, op: Operation, _results: Mapping[str, Applied]) -> Applied:
        p = op.payload
        assert isinstance(p, InvoiceHeader)
        self.client.invoices.set_header(p.crm_id, stage_id=p.stage, title=p.title)
        return Applied(str(p.crm_id))

    def lookup(self, op: Unsettled) -> Applied | None:
        """The invoice an unsettled create made, if it holds all its rows."""
        crm_id = self.client.invoices.find_invoice_by_xml_id(op.source_id)
        if crm_id is None:
            return None
        rows = op.values.get("rows")
        made = self.client.invoices.get(crm_id)
        if not isinstance(rows, list) or len(made.invoice.lines) != len(rows):
            return None  # half-made: the next plan's create completes it
        return _linked(crm_id, op.source_id, op.values, found=True)


def _applied(crm_id: int, op: Operation, *, found: bool) -> Applied:
    """The link's base: the CRM invoice holds what 1C holds (in 1C terms) on both sides."""
    assert isinstance(op.payload, IssuedInvoice)
    return _linked(crm_id, op.source_id, op.payload.values, found=found)


def _linked(crm_id: int, ref: str, values: Mapping[str, object], *, found: bool) -> Applied:
    return Applied(
        str(crm_id),
        EntityType.INVOICE,
        onec_ref=ref,
        crm_id=str(crm_id),
        onec_values=dict(values),
        crm_values=dict(values),
        result={FOUND: True} if found else {},
    )


Prepared = tuple[InvoiceDraft, tuple[InvoiceLine, ...], int | None]


def _prepared(op: Operation, results: Mapping[str, Applied]) -> Prepared:
    """(the invoice's fields, its rows with their CRM products, the buyer's requisite to
    choose on it), with what this run made before it (a ``WriteError`` if it did not)."""
    p = op.payload
    assert isinstance(p, IssuedInvoice)
    company, requisite = _buyer(p, results)
    lines = tuple(
        replace(ln, product_crm_id=_product(p, n, results)) for n, ln in enumerate(p.invoice.lines)
    )
    draft = InvoiceDraft(
        xml_id=op.source_id,
        title=p.title,
        date=p.invoice.date,
        company_id=None if p.contact else company,
        contact_id=company if p.contact else None,
        stage_id=p.stage,
        assigned_by=p.responsible,
        currency=p.invoice.currency,
        fields=dict(p.fields),
    )
    return draft, lines, None if p.contact else requisite


def _made(results: Mapping[str, Applied], op_id: str, what: str) -> str:
    made = results.get(op_id)
    if made is None:
        raise WriteError(what)
    return made.target_id


def _buyer(p: IssuedInvoice, results: Mapping[str, Applied]) -> tuple[int | None, int | None]:
    """(company or contact id, requisite id) of the buyer: known, or made in this run."""
    key = p.company
    if key is None and p.company_of:
        key = _made(results, p.company_of, tr("the buyer was not created in the CRM"))
    if not key:
        return None, None
    company, _, requisite = key.partition("/")
    return int(company), int(requisite) if requisite.isdigit() else None


def _product(p: IssuedInvoice, n: int, results: Mapping[str, Applied]) -> int | None:
    crm_id, op_id = p.products[n] if n < len(p.products) else (None, None)
    if crm_id is None and op_id:
        crm_id = int(
            _made(results, op_id, tr("a product of the invoice was not created in the CRM"))
        )
    return crm_id
