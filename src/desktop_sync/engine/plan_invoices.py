"""F1/F2: a CRM invoice at the "send" stage becomes a 1C invoice (BP) or customer
order (UT) with its counterparty and contract; afterwards 1C is its master."""

from __future__ import annotations

from typing import Any

from desktop_sync.crm.types import CrmInvoice
from desktop_sync.domain.entities import Invoice, InvoiceLine
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.evolve import constructor
from desktop_sync.engine.matcher import MatchResult, Pair, SentIndex, find_sent_invoice
from desktop_sync.engine.model import (
    FieldChange,
    Flow,
    Head,
    Item,
    ItemKind,
    OpKind,
    System,
    operation,
)
from desktop_sync.engine.ops import InvoiceCreate, LinkOnly, NumberBack
from desktop_sync.engine.plan_base import (
    DEAL,
    INVOICE,
    INVOICE_BACK,
    PRODUCT,
    Builder,
    Links,
    evolve,
    fmt_date,
    linked,
)
from desktop_sync.engine.plan_counterparties import Counterparties
from desktop_sync.engine.plan_diff import three_way
from desktop_sync.engine.plan_invoice_checks import (
    Refusals,
    check_buyer,
    check_invoice,
    check_rows,
    invoice_label,
    repriced_as_base,
    rounding_notes,
)
from desktop_sync.engine.plan_onec_invoices import issued_in_onec
from desktop_sync.engine.plan_persons import CONTACT, Persons, person_key
from desktop_sync.engine.plan_products import Products
from desktop_sync.engine.snapshot import Snapshot
from desktop_sync.i18n import tr

_NUMBER_BACK = Head(Flow.F1, OpKind.UPDATE, System.CRM, INVOICE_BACK)
# made for each invoice sent (20,000 in a plan of 100,000 records): ``evolve.constructor``
_refusals, _change = constructor(Refusals), constructor(FieldChange)
_invoice_create, _number_back = constructor(InvoiceCreate), constructor(NumberBack)


class Invoices:
    """F1 of smart invoices; a subclass sends deals the same way (``plan_deals``): the
    CRM records (``records``), their links' entity (``ENTITY``) and ``TAG``, the prefix
    of the CRM id in operation ids and item keys, are what differ."""

    ENTITY = INVOICE
    TAG = ""

    def __init__(
        self, b: Builder, snap: Snapshot, links: Links, cps: Counterparties, products: Products
    ) -> None:
        self.b = b
        self.snap = snap
        self.links = links
        self.cps = cps
        self.products = products
        self._taken: set[str] | None = None  # 1C documents linked to a CRM invoice or deal
        self._sent_index: SentIndex | None = None  # the 1C invoices, indexed once a plan
        self.skip: set[int] = set()  # CRM invoices not sent: their deal carries the sale (F9)
        self.match = MatchResult()  # 1C ref <-> CRM invoice id: linked, or found in 1C
        self.persons = Persons(b, snap, cps.match)  # contact buyers (shared with deals)
        self._create = Head(Flow.F1, OpKind.CREATE, System.ONEC, self.ENTITY)
        self._comment = tr("From Bitrix24 invoice {number} (id {id}); desktop-sync key {key}")
        self._reason = tr("{label}: new, will be created in 1C for {buyer}")
        self._back = tr("{label}: the 1C number and date will be written to the CRM invoice")
        self._total_vat = (nz.label("total"), tr("VAT"))  # said for each invoice: made once
        records = self.records()
        for link in links.of(self.ENTITY):
            if (
                link.onec_ref in snap.onec.invoices
                and link.crm_id is not None
                and link.crm_id.isdigit()
                and int(link.crm_id) in records
            ):
                self.match.add(Pair(link.onec_ref, link.crm_id, "link", known=True))

    def records(self) -> dict[int, CrmInvoice]:
        """The CRM records this flow sends."""
        return self.snap.crm.invoices

    def label(self, ci: CrmInvoice) -> str:
        return invoice_label(ci.invoice)

    def comment(self, ci: CrmInvoice, key: str) -> str:
        """The 1C document's comment: where it came from, and its key."""
        return self._comment.format(number=ci.invoice.number, id=ci.invoice.crm_id, key=key)

    def create_reason(self, ci: CrmInvoice, label: str) -> str:
        buyer = ci.invoice.counterparty_name or self._buyer(ci) or "—"
        return self._reason.format(label=label, buyer=buyer)

    def back_reason(self, label: str) -> str:
        return self._back.format(label=label)

    def as_looked_up(self, inv: Invoice) -> Invoice:
        """The CRM record as 1C documents are searched for it (by its id in our comment)."""
        return inv

    def _company_key(self, ci: CrmInvoice, onec_counterparty: str | None = None) -> str | None:
        company = self.snap.crm.companies.get(ci.company_id or -1)  # a contact's id is not one
        if company is None:  # a private person's key (``contact/<id>``), if it is one
            return person_key(self.snap, self.cps.match, ci, onec_counterparty)
        reqs = self.cps.units[company.counterparty.crm_id or -1]
        # F7 may add requisites to this company earlier in this same run (a UT partner's
        # other counterparty): F1 reads the company as it will be after F7, not as read,
        # so the outcome is the same whether or not a killed run added them already.
        if len(reqs) == 1 and not self.cps.adds_requisite(company.counterparty.crm_id):
            return reqs[0].key
        # Several requisites (head office and branches, a UT partner's legal entities):
        # the one the manager chose on the invoice; none chosen, a person decides.
        chosen = next((rq.key for rq in reqs if rq.requisite_id == ci.requisite_id), None)
        if chosen is None and onec_counterparty:
            # A sent invoice: the requisite of its 1C counterparty is still the company's,
            # so nothing changed in the CRM (a requisite added later is not a change).
            chosen = next(
                (rq.key for rq in reqs if self.cps.match.by_crm.get(rq.key) == onec_counterparty),
                None,
            )
        return chosen

    def _buyer(self, ci: CrmInvoice) -> str:
        company = self.snap.crm.companies.get(ci.company_id or -1)
        buyer = company or self.snap.crm.contacts.get(ci.contact_id or -1)
        return buyer.counterparty.name if buyer is not None else ""

    def unreadable(self) -> None:
        """CRM invoices whose data could not be understood: named, never guessed."""
        self.b.unreadable(
            (INVOICE, "F1:unreadable:"),
            self.snap.crm.unreadable,
            tr("CRM invoice id {id}"),
            tr("correct the invoice in the CRM; the rest of the run goes on"),
        )

    def send(self) -> None:
        """F1: CRM invoices at the "send" stage, not yet in 1C, are created there."""
        stage = self.b.settings.send_stage
        candidates = [
            ci
            for ci in self.snap.crm.invoices.values()
            if self.links.crm(INVOICE, str(ci.invoice.crm_id)) is None
            and (ci.xml_id or "").lower() not in self.snap.onec.invoices  # made by F8
        ]
        if not stage:
            if candidates:
                self.b.attention(
                    Flow.F1,
                    INVOICE,
                    "F1:no_send_stage",
                    record_id="",
                    record_label=tr("Profile settings"),
                    field="stage.send",
                    message=tr("no CRM stage is chosen as “send to 1C”, so no invoice is sent"),
                    action=tr("choose it: desktop-sync profile set NAME stage.send DT31_1:S"),
                )
            return
        waits = _waits_words(self.snap.crm.stages, stage)
        for ci in sorted(candidates, key=lambda c: c.invoice.crm_id or 0):
            if ci.invoice.crm_id in self.skip:
                continue
            if ci.stage_id == stage:
                self._send_one(ci)
            elif str(ci.invoice.crm_id) not in self.match.by_crm:  # why it stays CRM-only
                self.b.notes.append((INVOICE, str(ci.invoice.crm_id), *waits))

    def _send_one(self, ci: CrmInvoice) -> None:
        inv = ci.invoice
        crm_id = str(inv.crm_id)
        label = self.label(ci)
        op_id = f"F1:create_onec:{self.TAG}{crm_id}"
        key = self.b.key(Flow.F1, self.ENTITY, crm_id)
        new_ref = self.b.new_ref(key)
        if self._adopt(ci, key, new_ref, label):
            return  # already in 1C (a lost journal, a profile added again): relinked
        say = _refusals(self.b, self.TAG + crm_id, label, op_id)
        check_invoice(say, inv)
        deps: list[str] = []
        counterparty_ref, contract_ref = self._buyer_refs(ci, say, deps)
        check_rows(say, inv)
        product_refs = [
            ref for line in inv.lines if (ref := self._row_product(line, say, deps)) is not None
        ]
        onec_invoice = evolve(
            inv,
            onec_ref=new_ref,
            counterparty_ref=counterparty_ref,
            contract_ref=contract_ref,
            lines=tuple(
                evolve(ln, product_ref=r) for ln, r in zip(inv.lines, product_refs, strict=False)
            ),
            comment=self.comment(ci, key),
        )
        reason = self.create_reason(ci, label)
        total, vat_total = inv.total, inv.vat_total  # properties that add the rows up
        notes = rounding_notes(inv, ci.tax_value, vat_total=vat_total, total=total)
        changes = [_change("total", self._total_vat[0], None, total)]
        if vat_total != ci.tax_value:
            changes.append(_change("vat", self._total_vat[1], ci.tax_value, vat_total))
        values = (
            nz.invoice_values(inv, counterparty_ref or "", product_refs, total)
            if len(product_refs) == len(inv.lines)
            else {}
        )
        self.b.op(
            operation(
                op_id,
                self._create,
                (crm_id, new_ref),
                label,
                "; ".join([reason, *notes]) if notes else reason,
                _invoice_create(onec_invoice, crm_id, values),
                key=key,
                changes=tuple(changes),
                depends_on=tuple(dict.fromkeys(deps)),
            )
        )
        self._number_back(crm_id, new_ref, op_id, label)

    def _buyer_refs(
        self, ci: CrmInvoice, say: Refusals, deps: list[str]
    ) -> tuple[str | None, str | None]:
        """(1C counterparty, contract) of the invoice's buyer; what makes them exist in 1C
        is added to ``deps``; no buyer to name: an attention item."""
        company_key = self._company_key(ci)
        if company_key is None:
            check_buyer(say, bool(ci.contact_id and not ci.company_id))
            return None, None
        if company_key.startswith(CONTACT):  # a private person (F22)
            dep, counterparty_ref = self.persons.in_onec(ci.contact_id or 0, say.label)
        else:
            dep, counterparty_ref = self.cps.ensure_in_onec(company_key, say.label)
        if dep:
            deps.append(dep)
        if counterparty_ref is None:
            return None, None
        dep_c, contract_ref = self.cps.ensure_contract(
            counterparty_ref,
            deps[-1] if deps else None,
            ci.invoice.counterparty_name or self._buyer(ci) or say.label,
        )
        if dep_c:
            deps.append(dep_c)
        return counterparty_ref, contract_ref

    def _row_product(self, line: InvoiceLine, say: Refusals, deps: list[str]) -> str | None:
        """The 1C product of one CRM invoice row (made to exist in the CRM's links when it
        is matched but not linked yet); none: an attention item holds the invoice back."""
        ref = self.products.onec_ref_of_crm(line.product_crm_id)
        if line.product_crm_id in (None, 0):
            say.attention(
                f"row{line.line_no}",
                nz.label("rows"),
                tr("row {n} «{name}» is not a catalog product").format(
                    n=line.line_no, name=line.product_name
                ),
                tr("pick the product from the catalog in the CRM invoice row"),
                line.product_name,
            )
        elif (ref is None or ref not in self.snap.onec.products) and (
            suggested := self.products.same_name(line.product_crm_id)
        ):
            self.b.attention(
                Flow.F5,
                PRODUCT,
                f"F5:name:{line.product_crm_id}:{suggested}",
                record_id=str(line.product_crm_id),
                record_label=line.product_name,
                field=nz.label("name"),
                message=tr(
                    "the CRM product is not linked to 1C; 1C has one product with the same name"
                ),
                action=tr("confirm that they are the same product, and they are linked"),
                onec_value=self.snap.onec.products[suggested].name,
                crm_value=line.product_name,
                blocks=(say.op_id,),
            )
        elif ref is None or ref not in self.snap.onec.products:
            say.attention(
                f"product{line.product_crm_id}",
                nz.label("rows"),
                tr("row {n}: product «{name}» exists only in the CRM").format(
                    n=line.line_no, name=line.product_name
                ),
                tr(
                    "create it in 1C under the same name (1C is the master of products), or "
                    "give the 1C product and the CRM product the same name; then confirm "
                    "the link the next run proposes"
                ),
                line.product_name,
            )
        else:
            if self.snap.onec.products[ref].characteristics:
                say.attention(
                    f"row{line.line_no}_characteristic",
                    tr("Characteristics"),
                    tr(
                        "row {n}: in 1C «{name}» is sold by characteristics ({names}); "
                        "the CRM row cannot say which"
                    ).format(
                        n=line.line_no,
                        name=line.product_name,
                        names=", ".join(self.snap.onec.products[ref].characteristics),
                    ),
                    tr(
                        "enter this order in 1C by hand with the characteristic, then "
                        "skip this item"
                    ),
                    line.product_name,
                )
            link = self.products.match.pairs.get(ref)
            if link is not None and not link.known:
                dep = self.products.ensure_in_crm(ref, say.label)
                if dep:
                    deps.append(dep)
            return ref
        return None

    def _number_back(self, crm_id: str, onec_ref: str, after: str, label: str) -> None:
        """The 1C number and date written back to the CRM invoice once ``after`` is done."""
        self.b.op(
            operation(
                f"F1:number_back:{self.TAG}{crm_id}",
                _NUMBER_BACK,
                (onec_ref, crm_id),
                label,
                self.back_reason(label),
                _number_back(after, crm_id, self.ENTITY is DEAL),
                depends_on=(after,),
            )
        )

    def _adopt(self, ci: CrmInvoice, key: str, new_ref: str, label: str) -> bool:
        """Look the invoice up in 1C before creating it: by its key, the CRM id in our
        comment, the 1C number written back to the CRM. Found: a link, nothing created
        (and the 1C number written back when the CRM lacks it). Two candidates: a person
        decides, nothing created."""
        inv, crm_id = ci.invoice, str(ci.invoice.crm_id)
        if self._taken is None:  # a 1C document is linked to one CRM invoice or deal
            self._taken = {
                lk.onec_ref for t in (INVOICE, DEAL) for lk in self.links.of(t) if lk.onec_ref
            }
        if self._sent_index is None:
            self._sent_index = SentIndex(self.snap.onec.invoices)
        found = find_sent_invoice(
            self.as_looked_up(inv),
            ci.fields.onec_number,
            ci.fields.onec_date,
            key,
            new_ref,
            self.snap.onec.invoices,
            self._taken,
            self._sent_index,
        )
        if found is None:
            return False
        if found.onec_ref is None:
            self.b.attention(
                Flow.F1,
                INVOICE,
                f"F1:sent_twice:{self.TAG}{crm_id}",
                record_id=crm_id,
                record_label=label,
                field=tr("1C document"),
                message=tr(
                    "1C already holds {n} documents made from this CRM invoice: {numbers}"
                ).format(
                    n=len(found.candidates),
                    numbers=", ".join(
                        self.snap.onec.invoices[r].year_number for r in found.candidates
                    ),
                ),
                action=tr(
                    "mark the extra documents for deletion in 1C; the remaining one is linked"
                ),
            )
            return True
        ref = found.onec_ref
        self._taken.add(ref)
        self.match.add(Pair(ref, crm_id, found.rule, known=False))
        doc = self.snap.onec.invoices[ref]
        onec_v = invoice_values_onec(doc)
        crm_v = self.crm_values(ci) or {}
        reason = tr(
            "{label}: already in 1C as No. {number} of {date}; will be linked, not created again"
        )
        result = {"number": doc.number, "date": doc.date.isoformat()}
        link_id = self.b.op(
            operation(
                f"F1:link:{self.TAG}{crm_id}",
                Head(Flow.F1, OpKind.LINK, System.ONEC, self.ENTITY),
                (crm_id, ref),
                label,
                reason.format(label=label, number=doc.number, date=fmt_date(doc)),
                LinkOnly(onec_v, crm_v, result=result),
            )
        )
        if ci.fields.onec_number != doc.number or ci.fields.onec_date != doc.date:
            self._number_back(crm_id, ref, link_id, label)
        return True

    def diff_linked(self) -> None:
        """F2: after sending, 1C is the master of a linked invoice."""
        onec, crm = self.snap.onec.invoices, self.records()  # smart invoices, or deals (F9)
        for link, ref, inv, ci in linked(self.links, self.ENTITY, onec, lambda k: crm.get(int(k))):
            label = invoice_label(inv)
            if inv.deleted and issued_in_onec(ci, ref):
                continue  # F8's: it moves to the "cancelled" stage (plan_onec_invoices)
            if inv.deleted:
                self.b.item(
                    Item(
                        key=f"F2:deleted:{ref}",
                        kind=ItemKind.CONFLICT,
                        flow=Flow.F2,
                        entity_type=self.ENTITY,
                        record_id=ref,
                        record_label=label,
                        field=tr("deletion mark"),
                        message=tr("marked for deletion in 1C, still active in the CRM"),
                        action=tr("decline the invoice in the CRM, or clear the mark in 1C"),
                    )
                )
                continue
            onec_v = invoice_values_onec(inv)
            crm_v = self.crm_values(ci, inv.counterparty_ref)
            if crm_v is None:
                continue
            crm_v = repriced_as_base(crm_v, link.crm_values)
            lines = tuple(
                evolve(
                    ln,
                    product_crm_id=_int_or_none(
                        self.products.match.pairs[ln.product_ref].crm_key
                        if ln.product_ref in self.products.match.pairs
                        else None
                    ),
                )
                for ln in inv.lines
            )
            three_way(
                self.b,
                Flow.F2,
                self.ENTITY,
                link,
                onec_v,
                crm_v,
                label,
                master=System.ONEC,
                fields=("date", "counterparty", "rows", "total"),
                extra={"lines": lines},
            )

    def crm_values(
        self, ci: CrmInvoice, onec_counterparty: str | None = None
    ) -> dict[str, Any] | None:
        """The CRM invoice in 1C terms (counterparty and products mapped by links);
        ``onec_counterparty``: the 1C document's, for an invoice sent already."""
        key = self._company_key(ci, onec_counterparty)
        cp_ref = self.cps.match.by_crm.get(key) if key else None
        refs = [
            self.products.onec_ref_of_crm(ln.product_crm_id) or f"crm:{ln.product_crm_id}"
            for ln in ci.invoice.lines
        ]
        return nz.invoice_values(ci.invoice, cp_ref or f"crm:{key}", refs)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def invoice_values_onec(inv: Invoice) -> dict[str, Any]:
    return nz.invoice_values(
        inv, inv.counterparty_ref or "", [ln.product_ref or "" for ln in inv.lines]
    )


def _waits_words(stages: dict[str, str], send_stage: str) -> tuple[str, str]:
    """(a few words, the whole story) of a CRM invoice not at the profile's send stage:
    it stays in the CRM only until moved there. Said once a plan, for all of them."""
    name = stages.get(send_stage) or send_stage
    return tr("to 1C from the stage «{stage}»").format(stage=name), tr(
        "a CRM invoice goes to 1C once it is moved to the stage «{stage}» (the profile's "
        "“send to 1C” stage); this one is at another stage"
    ).format(stage=name)
