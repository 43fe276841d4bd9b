"""Writes to Bitrix24, as the executor asks for them (``Writer`` protocol).

Keys on the CRM side (DESIGN.md): a company carries ``ORIGINATOR_ID=desktop-sync``
and ``ORIGIN_ID=<1C Ref_Key>``; its requisite ``XML_ID=<1C Ref_Key>``; a product
``xmlId=<1C Ref_Key>``. A create whose outcome is unknown is found by them, and a
half-made company (no requisite yet) is completed, never made twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from desktop_sync.connectors.bitrix24 import (
    Bitrix24Client,
    Bitrix24Error,
    Bitrix24RateLimited,
    Bitrix24ServerError,
    lookup,
)
from desktop_sync.domain.entities import (
    Counterparty,
    CounterpartyKind,
    Product,
    ProductKind,
    Requisite,
)
from desktop_sync.domain.vat import VatRate
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.executor import (
    FOUND,
    Applied,
    OutcomeUnknown,
    TemporaryFailure,
    WriteError,
)
from desktop_sync.engine.matcher import ORIGINATOR
from desktop_sync.engine.model import Operation, OpKind, System
from desktop_sync.engine.money import (
    CRM_PAYMENT,
    INVOICE_PAYMENT,
    INVOICE_SHIPMENT,
    PAYMENT_NOTE,
    SENT,
)
from desktop_sync.engine.plan_base import WRITABLE
from desktop_sync.engine.plan_products import SYNCED as PRODUCT_SYNCED
from desktop_sync.engine.planner import COUNTERPARTY, INVOICE, INVOICE_BACK, PRODUCT
from desktop_sync.engine.stock import STORE_DOCUMENT, document_title
from desktop_sync.i18n import tr


def translate(exc: Bitrix24Error) -> Exception:
    if isinstance(exc, Bitrix24ServerError):
        if getattr(exc, "outcome_unknown", False):
            return OutcomeUnknown(str(exc))
        return TemporaryFailure(str(exc))
    if isinstance(exc, Bitrix24RateLimited):
        return TemporaryFailure(str(exc))
    return WriteError(str(exc))


def _marker(key: str) -> str:
    """Written into a timeline comment so that a lost answer can be found by its key."""
    return f"[desktop-sync:{key}]"


def _only_writable(values: Mapping[str, Any], writable: frozenset[str], system: str) -> None:
    """Refuse, before writing anything, an update with a field this writer never carries:
    it would be journalled as applied and never reach the system."""
    cannot = [f for f in values if f not in writable]
    if cannot:
        raise WriteError(
            tr("desktop-sync does not write {fields} to {system}").format(
                fields=", ".join(nz.label(f) for f in cannot), system=system
            ),
            field=nz.label(cannot[0]),
        )


def _updated(op: Operation, values: Mapping[str, Any]) -> Applied:
    """After an update: the CRM now holds ``values``; the link's base moves with it."""
    assert op.target_id is not None
    return Applied(
        op.target_id,
        op.entity_type,
        onec_ref=op.source_id,
        crm_id=op.target_id,
        onec_values=dict(op.payload["onec_values"]),
        crm_values={**op.payload["crm_values"], **values},
    )


class CrmWriter:
    def __init__(self, client: Bitrix24Client) -> None:
        self.client = client

    def apply(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        try:
            return self._apply(op, results)
        except Bitrix24Error as exc:
            raise translate(exc) from None

    # -- creates ------------------------------------------------------------------------

    def _company(
        self,
        cp: Counterparty,
        onec_ref: str,
        company_id: int | None,
        *,
        look_up: bool = True,
        requisite_id: int | None = None,
    ) -> Applied:
        """The company (or a partner's company) with the counterparty's requisite. Its
        key is looked up first: a company made before (by another run or profile, or
        a run whose journal is gone) is completed and relinked, never made twice."""
        c = self.client
        found = False
        if company_id is None and look_up:
            company_id = c.find_company_by_origin(ORIGINATOR, onec_ref)
            found = company_id is not None
        if company_id is None:
            company_id = c.add_company(cp, originator_id=ORIGINATOR, origin_id=onec_ref)
        if requisite_id is None and cp.inn:
            requisite_id = c.find_requisite_by_xml_id(onec_ref)
            found = found or requisite_id is not None
        if requisite_id is None and cp.inn:
            requisite_id = c.add_requisite(
                company_id,
                Requisite(cp.inn, cp.kpp, cp.full_name or cp.name),
                name=cp.name,
                kind=cp.kind,
                xml_id=onec_ref,
            )
        key = f"{company_id}/{requisite_id}" if requisite_id is not None else str(company_id)
        values = nz.counterparty_values(cp)
        return Applied(
            key,
            COUNTERPARTY,
            onec_ref=onec_ref,
            crm_id=key,
            onec_values=values,
            crm_values=values,
            result={FOUND: True} if found else {},
        )

    @staticmethod
    def _partner_company(op: Operation, results: Mapping[str, Applied]) -> int | None:
        """UT 11: the company the counterparty joins (its partner's), if any."""
        if op.payload.get("company_id") is not None:
            return int(op.payload["company_id"])
        made_by = op.payload.get("company_of")
        if not made_by:
            return None
        made = results.get(str(made_by))
        if made is None:
            raise WriteError(tr("the company of the partner was not created in the CRM"))
        return int(made.target_id.split("/")[0])

    def _product(
        self, p: Product, onec_ref: str, product_id: int | None, *, found: bool = False
    ) -> Applied:
        if product_id is None:
            product_id = self.client.find_product_by_xml_id(onec_ref)  # made before?
            found = product_id is not None
        if product_id is None:
            refused = self._cannot_create(p)
            if refused is not None:
                raise refused
            product_id = self.client.add_product(p, xml_id=onec_ref)
        values = nz.product_values(p)
        crm_values = {**values, "article": ""}  # the CRM catalog holds no article
        return Applied(
            str(product_id),
            PRODUCT,
            onec_ref=onec_ref,
            crm_id=str(product_id),
            onec_values=values,
            crm_values=crm_values,
            result={FOUND: True} if found else {},
        )

    def _apply(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        c = self.client
        if op.entity_type == COUNTERPARTY and op.kind is OpKind.CREATE:
            return self._company(
                op.payload["counterparty"], op.source_id, self._partner_company(op, results)
            )
        if op.entity_type == PRODUCT and op.kind is OpKind.CREATE:
            return self._product(op.payload["product"], op.source_id, None)
        if op.entity_type == INVOICE_BACK:
            made = results.get(str(op.payload["from_op"]))
            if made is None:
                raise WriteError(tr("the invoice was not created in 1C"))
            crm_id = int(op.payload["crm_id"])
            fields: dict[str, Any] = {
                "onec_number": str(made.result["number"]),
                "onec_date": dt.date.fromisoformat(str(made.result["date"])),
                "sync_status": SENT,
            }
            if "total" in made.result:  # nothing paid yet: the whole sum is outstanding
                fields["outstanding"] = Decimal(str(made.result["total"]))
                fields["paid"] = Decimal("0.00")
            c.set_sync_fields(crm_id, **fields)
            return Applied(str(crm_id))
        if op.entity_type == INVOICE_PAYMENT:
            crm_id = int(op.payload["crm_id"])
            c.set_sync_fields(crm_id, **dict(op.payload["fields"]))
            if op.payload.get("stage"):
                c.update_invoice(crm_id, {"stageId": op.payload["stage"]})
            return Applied(str(crm_id))
        if op.entity_type == INVOICE_SHIPMENT:
            crm_id = int(op.payload["crm_id"])
            c.set_sync_fields(crm_id, **dict(op.payload["fields"]))
            return Applied(str(crm_id))
        if op.entity_type == STORE_DOCUMENT:
            return self._store_document(op, results)
        if op.entity_type == CRM_PAYMENT:
            return self._crm_payment(op)
        if op.entity_type == PAYMENT_NOTE:
            crm_id = int(op.payload["crm_id"])
            if any(_marker(op.idempotency_key) in t for t in c.timeline_comments(crm_id)):
                # noted before (a lost journal, a profile added again): never twice
                key = f"key:{op.idempotency_key}"
                return Applied(
                    key, PAYMENT_NOTE, onec_ref=op.source_id, crm_id=key, result={FOUND: True}
                )
            text = f"{op.payload['text']} {_marker(op.idempotency_key)}"
            comment_id = c.add_timeline_comment(crm_id, text)
            return Applied(
                str(comment_id), PAYMENT_NOTE, onec_ref=op.source_id, crm_id=str(comment_id)
            )
        if op.entity_type == COUNTERPARTY and op.kind is OpKind.UPDATE:
            values = dict(op.payload["values"])
            assert op.target_id is not None
            _only_writable(values, WRITABLE[(System.CRM, COUNTERPARTY)], "CRM")
            company_id = int(op.target_id.split("/")[0])
            if "name" in values and op.payload.get("requisite_id"):
                # one of several requisites of the company: its own name, not the title
                c.update_requisite(
                    int(op.payload["requisite_id"]),
                    {str(op.payload.get("requisite_field") or "RQ_COMPANY_NAME"): values["name"]},
                )
            elif "name" in values:
                c.update_company(company_id, {"TITLE": values["name"]})
            return _updated(op, values)
        if op.entity_type == PRODUCT and op.kind is OpKind.UPDATE:
            return self._product_update(op)
        if op.entity_type == INVOICE and op.kind is OpKind.UPDATE:
            values = dict(op.payload["values"])
            assert op.target_id is not None
            crm_id = int(op.target_id)
            if "rows" in values or "total" in values:
                c.set_product_rows(crm_id, op.payload["lines"])
            if "date" in values:
                c.update_invoice(crm_id, {"begindate": values["date"]})
            return _updated(op, values)
        raise WriteError(
            tr("desktop-sync cannot make this change in the CRM: {what}").format(
                what=f"{op.kind.value} {op.entity_type}"
            )
        )

    def _cannot_create(self, p: Product) -> WriteError | None:
        """A unit or VAT rate the portal lacks: the product is refused, never created with
        a silent default (which the next run would read as a change made in the CRM)."""
        c = self.client
        if p.unit is not None and c.measure_id(p.unit.okei) is None:
            return WriteError(
                tr(
                    "«{name}»: the CRM has no unit of measure with OKEI code {code}; add it "
                    "in the CRM's units of measure"
                ).format(name=p.name, code=p.unit.okei),
                field=nz.label("unit"),
            )
        if c.vat_id(p.vat_rate) is None:
            return WriteError(
                tr(
                    "«{name}»: the CRM has no VAT rate {rate}; add it in the CRM's VAT rates"
                ).format(name=p.name, rate=nz.display("vat", p.vat_rate.value)),
                field=nz.label("vat"),
            )
        return None

    def _product_update(self, op: Operation) -> Applied:
        """Every changed field reaches the CRM product (name, unit, VAT, base price), or
        the update is refused before anything is written: never "applied" with a field
        left behind."""
        c = self.client
        values = dict(op.payload["values"])
        assert op.target_id is not None
        product_id = int(op.target_id)
        label = op.record_label
        unknown = [f for f in values if f not in PRODUCT_SYNCED]
        if unknown:
            raise WriteError(
                tr("desktop-sync cannot change {fields} of a CRM product").format(
                    fields=", ".join(nz.label(f) for f in unknown)
                ),
                field=nz.label(unknown[0]),
            )
        fields: dict[str, Any] = {}
        if "name" in values:
            if not nz.text(values["name"]):
                raise WriteError(
                    tr("«{name}»: the name is empty").format(name=label), field=nz.label("name")
                )
            fields["name"] = values["name"]
        if "unit" in values:
            measure = c.measure_id(str(values["unit"])) if values["unit"] else None
            if measure is None:
                raise WriteError(
                    tr(
                        "«{name}»: the CRM has no unit of measure with OKEI code {code}; add it "
                        "in the CRM's units of measure"
                    ).format(name=label, code=values["unit"] or "—"),
                    field=nz.label("unit"),
                )
            fields["measure"] = measure
        if "vat" in values:
            rate = VatRate(values["vat"])
            vat_id = c.vat_id(rate)
            if vat_id is None:
                raise WriteError(
                    tr(
                        "«{name}»: the CRM has no VAT rate {rate}; add it in the CRM's VAT rates"
                    ).format(name=label, rate=nz.display("vat", values["vat"])),
                    field=nz.label("vat"),
                )
            fields["vatId"] = vat_id
            fields["vatIncluded"] = "Y"
        price = None
        if "price" in values:
            try:
                price = Decimal(str(values["price"]))
            except ArithmeticError:
                price = None
            if price is None or price < 0:
                raise WriteError(
                    tr("«{name}»: the base price «{price}» is not a price").format(
                        name=label, price=values["price"]
                    ),
                    field=nz.label("price"),
                )
        if fields:
            service = op.payload["crm_values"].get("kind") == ProductKind.SERVICE.value
            c.update_product(product_id, fields, service=service)
        if price is not None:
            c.set_base_price(product_id, price)
        return _updated(op, values)

    BATCH = 25  # creates per batch request: two commands each (company + requisite)

    def batch_size(self, op: Operation) -> int:
        if op.entity_type == CRM_PAYMENT and op.kind is OpKind.CREATE:
            return self.BATCH
        joins = op.payload.get("company_id") is not None or op.payload.get("company_of")
        if op.kind is OpKind.CREATE and op.entity_type in (COUNTERPARTY, PRODUCT) and not joins:
            return self.BATCH
        return 1

    def apply_many(
        self, ops: list[Operation], results: Mapping[str, Applied]
    ) -> list[Applied | Exception]:
        """Companies or products, created in one batch request; one outcome each.

        A record whose text holds a ``$`` goes alone: inside a batch, Bitrix24 would read
        ``$result[…]`` in a name as a reference to another command's answer.
        Bitrix24 payments of whole invoices go in few requests too.
        """
        if ops[0].entity_type == CRM_PAYMENT:
            try:
                return self._crm_payments(ops)
            except Bitrix24Error as exc:
                return [translate(exc) for _ in ops]
        if any(
            "$" in repr(op.payload.get("counterparty") or op.payload.get("product")) for op in ops
        ):
            plain = [
                op
                for op in ops
                if "$" not in repr(op.payload.get("counterparty") or op.payload.get("product"))
            ]
            done = dict(
                zip(
                    (op.op_id for op in plain),
                    self.apply_many(plain, results) if plain else [],
                    strict=True,
                )
            )
            return [done[op.op_id] if op.op_id in done else self._one(op, results) for op in ops]
        try:
            found = self._found_before(ops)
        except Bitrix24Error as exc:
            return [translate(exc) for _ in ops]
        if found:
            rest = [op for op in ops if op.op_id not in found]
            made_now = dict(
                zip(
                    (op.op_id for op in rest),
                    self.apply_many(rest, results) if rest else [],
                    strict=True,
                )
            )
            return [found.get(op.op_id) or made_now[op.op_id] for op in ops]
        if ops[0].entity_type == PRODUCT:
            try:
                refused = {
                    op.op_id: r
                    for op in ops
                    if (r := self._cannot_create(op.payload["product"])) is not None
                }
            except Bitrix24Error as exc:
                return [translate(exc) for _ in ops]
            if refused:
                rest = [op for op in ops if op.op_id not in refused]
                made_now = dict(
                    zip(
                        (op.op_id for op in rest),
                        self.apply_many(rest, results) if rest else [],
                        strict=True,
                    )
                )
                return [refused.get(op.op_id) or made_now[op.op_id] for op in ops]
        try:
            if ops[0].entity_type == COUNTERPARTY:
                made = self.client.add_companies(
                    [(op.payload["counterparty"], op.source_id) for op in ops],
                    originator_id=ORIGINATOR,
                )
                return [
                    translate(m)
                    if isinstance(m, Bitrix24Error)
                    else m
                    if isinstance(m, Exception)
                    else self._company_made(op, m)
                    for op, m in zip(ops, made, strict=True)
                ]
            ids = self.client.add_products([(op.payload["product"], op.source_id) for op in ops])
            return [
                translate(m)
                if isinstance(m, Bitrix24Error)
                else m
                if isinstance(m, Exception)
                else self._product(op.payload["product"], op.source_id, m)
                for op, m in zip(ops, ids, strict=True)
            ]
        except Bitrix24Error as exc:
            return [translate(exc) for _ in ops]

    def _found_before(self, ops: list[Operation]) -> dict[str, Applied | Exception]:
        """Creates whose key is on a CRM record already (one batch request for all):
        completed where half-made, relinked, never made twice."""
        refs = [op.source_id for op in ops]
        out: dict[str, Applied | Exception] = {}
        if ops[0].entity_type == COUNTERPARTY:
            companies = lookup.companies_by_origin(self.client, ORIGINATOR, refs)
            for op in ops:
                if op.source_id not in companies:
                    continue
                company_id, requisite_id = companies[op.source_id]
                if company_id is None and requisite_id is not None:
                    _owner, company_id = self.client.requisite_owner(requisite_id)
                cp: Counterparty = op.payload["counterparty"]
                try:
                    made = self._company(
                        cp, op.source_id, company_id, look_up=False, requisite_id=requisite_id
                    )
                except Bitrix24Error as exc:
                    out[op.op_id] = translate(exc)
                    continue
                out[op.op_id] = replace(made, result={FOUND: True})
        elif ops[0].entity_type == PRODUCT:
            products = lookup.products_by_xml_id(self.client, refs)
            for op in ops:
                if op.source_id in products:
                    out[op.op_id] = self._product(
                        op.payload["product"], op.source_id, products[op.source_id], found=True
                    )
        return out

    def _one(self, op: Operation, results: Mapping[str, Applied]) -> Applied | Exception:
        try:
            return self.apply(op, results)
        except (OutcomeUnknown, TemporaryFailure, WriteError) as exc:
            return exc

    def _company_made(self, op: Operation, ids: tuple[int, int | None]) -> Applied:
        company_id, requisite_id = ids
        cp: Counterparty = op.payload["counterparty"]
        if requisite_id is None and cp.inn:
            return self._company(cp, op.source_id, company_id)  # add the missing requisite
        key = f"{company_id}/{requisite_id}" if requisite_id is not None else str(company_id)
        values = nz.counterparty_values(cp)
        return Applied(
            key,
            COUNTERPARTY,
            onec_ref=op.source_id,
            crm_id=key,
            onec_values=values,
            crm_values=values,
        )

    def _crm_payment(self, op: Operation) -> Applied:
        """Bitrix24's payment of the whole invoice, paid or unpaid as 1C says."""
        made = self._crm_payments([op])[0]
        if isinstance(made, Exception):
            raise made
        return made

    def _crm_payments(self, ops: list[Operation]) -> list[Applied | Exception]:
        """New payments of whole invoices in a few batch requests; a known one is only
        marked paid or unpaid."""
        out: dict[int, Applied | Exception] = {}
        new = [(n, op) for n, op in enumerate(ops) if op.payload.get("payment_id") is None]
        for n, op in enumerate(ops):
            if op.payload.get("payment_id") is not None:
                payment_id = int(op.payload["payment_id"])
                try:
                    self.client.set_payment_paid(payment_id, bool(op.payload["paid"]))
                    out[n] = self._payment_applied(op, payment_id)
                except Bitrix24Error as exc:
                    out[n] = translate(exc)
        if new:
            made = self.client.full_payments(
                [(int(op.payload["crm_id"]), Decimal(str(op.payload["total"]))) for _n, op in new]
            )
            for (n, op), m in zip(new, made, strict=True):
                out[n] = (
                    translate(m)
                    if isinstance(m, Bitrix24Error)
                    else m
                    if isinstance(m, Exception)
                    else self._payment_applied(op, m)
                )
        return [out[n] for n in range(len(ops))]

    @staticmethod
    def _payment_applied(op: Operation, payment_id: int) -> Applied:
        paid = bool(op.payload["paid"])
        return Applied(
            str(payment_id),
            CRM_PAYMENT,
            onec_ref=op.source_id,
            crm_id=str(payment_id),
            onec_values={"paid": paid},
            crm_values={"paid": paid},
        )

    def _store_document(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        """Create (or find and finish) the store document; rows against fresh balances."""
        c = self.client
        store_id = int(op.payload["store_id"])
        doc_type = str(op.payload["doc_type"])
        target = {int(p): Decimal(str(q)) for p, q in dict(op.payload["target"]).items()}
        for op_id, q in dict(op.payload.get("pending") or {}).items():
            made = results.get(op_id)  # a product created earlier in this run
            if made is None or not made.target_id.isdigit():
                raise WriteError(tr("a product of this document was not created in the CRM"))
            target[int(made.target_id)] = Decimal(str(q))
        title = str(op.payload["title"])
        doc = c.find_store_document(title)
        fresh = {
            a.product_id: a.amount
            for a in c.store_amounts(sorted(target))
            if a.store_id == store_id
        }
        rows = {}
        for pid, want in target.items():
            delta = want - fresh.get(pid, Decimal(0))
            amount = delta if doc_type == "S" else -delta
            if amount > 0:
                rows[pid] = amount
        if doc is not None and doc.status != "N":
            if not rows:
                return Applied(str(doc.id))  # conducted before (an answer was lost)
            doc = None  # an earlier move of the same quantities: this one is new
        if doc is None:
            if not rows:
                return Applied("")  # the balances already agree
            doc = c.add_store_document(doc_type, title=title, comment=op.reason)
        present = {int(e["elementId"]) for e in c.document_elements(doc.id)}
        side = "storeTo" if doc.doc_type == "S" else "storeFrom"
        commands = {
            f"e{pid}": (
                "catalog.document.element.add",
                {
                    "fields": {
                        "docId": doc.id,
                        "elementId": pid,
                        side: store_id,
                        "amount": amount,
                        "purchasingPrice": Decimal(0),
                    }
                },
            )
            for pid, amount in rows.items()
            if pid not in present
        }
        # 50 rows a request; a lost answer leaves the document unconducted (status N),
        # and the next plan finds it and adds only the rows it still lacks.
        reply = c.batch_all(commands, what=f"rows of store document «{doc.title}»")
        if reply.unknown:
            raise OutcomeUnknown(tr("no answer while adding rows to a store document"))
        if reply.errors:
            raise next(iter(reply.errors.values()))
        if present or rows:
            c.conduct_document(doc.id)
        return Applied(str(doc.id))

    def lookup(
        self, entity_type: str, kind: str, key: str, payload: Mapping[str, Any]
    ) -> Applied | None:
        try:
            return self._lookup(entity_type, kind, key, payload)
        except Bitrix24Error as exc:
            raise translate(exc) from None

    def _lookup(
        self, entity_type: str, kind: str, key: str, payload: Mapping[str, Any]
    ) -> Applied | None:
        if entity_type == STORE_DOCUMENT:
            doc = self.client.find_store_document(document_title(key))
            # An unconducted document is finished by the next plan, never counted as done.
            return Applied(str(doc.id)) if doc is not None and doc.status != "N" else None
        if entity_type == PAYMENT_NOTE:
            texts = self.client.timeline_comments(int(payload["crm_id"]))
            if any(_marker(key) in t for t in texts):
                note = str(payload.get("source_id") or "")
                return Applied(f"key:{key}", PAYMENT_NOTE, onec_ref=note, crm_id=f"key:{key}")
            return None
        if kind != OpKind.CREATE.value:
            return None
        onec_ref = str(payload.get("source_id") or "")
        values = dict(payload.get("values") or {})
        if entity_type == COUNTERPARTY:
            company_id = self.client.find_company_by_origin(ORIGINATOR, onec_ref)
            if company_id is None:  # a requisite added to a partner's company?
                requisite_id = self.client.find_requisite_by_xml_id(onec_ref)
                if requisite_id is None:
                    return None
                _owner_type, company_id = self.client.requisite_owner(requisite_id)
            cp = Counterparty(
                str(values.get("name") or ""),
                CounterpartyKind.ORGANIZATION
                if values.get("kpp")
                else CounterpartyKind.SOLE_TRADER,
                inn=str(values.get("inn") or ""),
                kpp=str(values.get("kpp") or ""),
            )
            return self._company(cp, onec_ref, company_id)  # completes a half-made one
        if entity_type == PRODUCT:
            product_id = self.client.find_product_by_xml_id(onec_ref)
            if product_id is None:
                return None
            return Applied(
                str(product_id),
                PRODUCT,
                onec_ref=onec_ref,
                crm_id=str(product_id),
                onec_values=values,
                crm_values={**values, "article": ""},
            )
        return None
