"""F8: customer invoices issued in 1C become CRM invoices.

A 1C invoice (BP 3.0 ``СчетНаОплатуПокупателю``, UT 11 ``ЗаказКлиента``) that
desktop-sync did not make from a CRM invoice (no link, not found by F1, no key mark in
its comment), not marked for deletion and dated on or after the profile's start day
becomes a smart invoice: its buyer matched or created by F7 (ИНН/КПП, never the name),
its rows with the catalog products of F5, the 1C number and date in our fields, the
title in the accountant's words, and the Ref_Key as its key (``xmlId``): a create
whose answer was lost, or a journal lost with it, finds it and never makes a twin.

From then on the invoice is linked as any other: 1C is the master of its rows and
sums (F2), its payments and shipments reach it (F3/F4). One marked for deletion in 1C
moves to the profile's "cancelled" stage, or waits for a person when none is chosen.
Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from desktop_sync.crm.types import CrmInvoice, SyncFields
from desktop_sync.domain.entities import Invoice, InvoiceLine, Payment, payment_state
from desktop_sync.domain.money import ZERO, round_money
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.matcher import OUR_MARK, MatchResult, Pair
from desktop_sync.engine.model import FieldChange, Flow, Head, OpKind, System, operation
from desktop_sync.engine.money import Created, payment_line
from desktop_sync.engine.ops import SENT, InvoiceHeader, IssuedInvoice
from desktop_sync.engine.plan_base import INVOICE, Builder, Links, day_text, label_day
from desktop_sync.engine.plan_counterparties import Counterparties
from desktop_sync.engine.plan_products import Products
from desktop_sync.engine.snapshot import Snapshot
from desktop_sync.i18n import money_label, tr

if TYPE_CHECKING:
    from desktop_sync.config import Profile

# The CRM invoice's title: the accountant's words, whatever language the window speaks.
TITLE = "Счёт № {number} от {date}"
KOPECK = Decimal("0.01")


def issued_in_onec(ci: CrmInvoice, onec_ref: str) -> bool:
    """A CRM invoice F8 made from this 1C invoice: its key is the 1C Ref_Key."""
    return (ci.xml_id or "").strip().lower() == onec_ref.lower()


def issued_settings(profile: Profile, today: dt.date) -> dict[str, Any]:
    """The profile's F8 settings as ``PlanSettings`` fields; the start day defaults to the
    first of ``today``'s month (a first run does not bring years of history). UT 11's
    customer orders wait until posted: a draft («Черновик», not posted) is no commitment
    yet and is still being edited; BP 3.0's invoices are not posted in practice."""
    since = profile.issued_since
    return {
        "issued_since": dt.date.fromisoformat(since) if since else today.replace(day=1),
        "issued_stage": profile.stages.get("issued", ""),
        "cancelled_stage": profile.stages.get("cancelled", ""),
        "responsible": int(profile.crm_responsible) if profile.crm_responsible else None,
        "issued_posted_only": profile.configuration == "ut11",
    }


def title_of(inv: Invoice) -> str:
    return TITLE.format(number=inv.number, date=day_text(inv.date))


def _draft_words() -> tuple[str, str]:
    """(a few words, the whole story) of a UT 11 draft order F8 waits for."""
    return tr("to the CRM once posted"), tr(
        "a UT 11 customer order goes to the CRM once it is posted in 1C; this one is a "
        "draft, still being edited"
    )


def _label(inv: Invoice) -> str:
    return tr("Invoice No. {number} of {date}").format(number=inv.number, date=label_day(inv.date))


@dataclass
class IssuedInvoices:
    """F8's part of a plan. ``match``: the 1C invoices F1 linked or found this plan."""

    b: Builder
    snap: Snapshot
    links: Links
    cps: Counterparties
    products: Products
    match: MatchResult
    _payments: dict[str, list[Payment]] | None = field(default=None, init=False)
    # the op ids of the CRM invoices this plan creates (``created_in_crm``), in order
    created: dict[str, None] = field(default_factory=dict, init=False)

    # -- new invoices --------------------------------------------------------------------

    def issue(self) -> None:
        """Each 1C invoice in scope not in the CRM yet: a create (or, when the CRM holds
        one by its key already, the same create that completes and links it)."""
        since = self.b.settings.issued_since
        if since is None:
            return
        linked = {lk.onec_ref for lk in self.links.of(INVOICE) if lk.onec_ref}
        own = self.snap.onec.organization_ref  # a base may keep several organisations' books
        drafts_wait = self.b.settings.issued_posted_only
        by_key = {
            ci.xml_id.strip().lower(): ci for ci in self.snap.crm.invoices.values() if ci.xml_id
        }
        for ref, inv in sorted(
            self.snap.onec.invoices.items(), key=lambda kv: (kv[1].date, kv[1].number, kv[0])
        ):
            if (
                ref in linked
                or ref in self.match.pairs
                or inv.deleted
                or inv.date < since
                or OUR_MARK in inv.comment
                or (own and inv.organization_ref and inv.organization_ref != own)
            ):
                continue
            if drafts_wait and not inv.posted:  # the window says why it is not sent
                self.b.notes.append((INVOICE, ref, *_draft_words()))
                continue
            self._issue_one(ref, inv, by_key.get(ref.lower()))

    def _issue_one(self, ref: str, inv: Invoice, found: CrmInvoice | None) -> None:
        label = _label(inv)
        op_id = f"F8:create_crm:{ref}"
        deps: list[str] = []
        self._check(ref, inv, label, op_id)
        company, company_of, contact, buyer = self._buyer(ref, inv, label, op_id, deps)
        products = tuple(self._row(ref, ln, label, op_id, deps) for ln in inv.lines)
        values = nz.invoice_values(
            inv, inv.counterparty_ref or "", [ln.product_ref or "" for ln in inv.lines]
        )
        settings = self.b.settings
        if found is None:
            reason = tr("{label}: issued in 1C, will be created in the CRM for {buyer}")
            reason += _vat_note(inv)
        else:
            reason = tr(
                "{label}: issued in 1C, already in the CRM (id {id}) under its 1C key; "
                "will be completed and linked, not created again"
            )
            self.match.add(Pair(ref, str(found.invoice.crm_id), "key", known=False))
        self.created[op_id] = None
        self.b.op(
            operation(
                op_id,
                Head(Flow.F8, OpKind.CREATE, System.CRM, INVOICE),
                (ref, str(found.invoice.crm_id) if found is not None else None),
                label,
                reason.format(label=label, buyer=buyer, id=found.invoice.crm_id if found else ""),
                IssuedInvoice(
                    invoice=inv,
                    title=title_of(inv),
                    company=company,
                    company_of=company_of,
                    products=products,
                    stage=settings.issued_stage,
                    responsible=settings.responsible,
                    fields=self._fields(ref, inv),
                    values=values,
                    contact=contact,
                ),
                key=self.b.key(Flow.F8, INVOICE, ref),
                changes=(FieldChange("total", nz.label("total"), None, inv.total),),
                depends_on=tuple(dict.fromkeys(deps)),
            )
        )

    def _fields(self, ref: str, inv: Invoice) -> dict[str, Any]:
        """Our fields on the new invoice: the 1C number and date and what is paid so far,
        as F3 writes them (so that the next run has nothing to change)."""
        if self._payments is None:
            self._payments = defaultdict(list)
            for p in self.snap.onec.payments.values():
                for r in {a.invoice_ref for a in p.allocations if a.invoice_ref}:
                    self._payments[r].append(p)
        state = payment_state(ref, inv.total, self._payments.get(ref, []))
        fields: dict[str, Any] = {
            "onec_number": inv.number,
            "onec_date": inv.date,
            "sync_status": SENT,
            "paid": state.paid,
            "outstanding": state.outstanding,
        }
        if state.payments:
            fields["last_payment_date"] = state.last_payment_date
            fields["payments"] = tuple(payment_line(p, _share(p, ref)) for p in state.payments)
        return fields

    def _attention(
        self, ref: str, label: str, op_id: str, suffix: str, what: str, message: str, action: str
    ) -> None:
        """An item about the 1C invoice ``ref``, holding back ``op_id`` (none: "")."""
        self.b.attention(
            Flow.F8,
            INVOICE,
            f"F8:{suffix}:{ref}",
            record_id=ref,
            record_label=label,
            field=what,
            message=message,
            action=action,
            blocks=(op_id,) if op_id else (),
        )

    def _check(self, ref: str, inv: Invoice, label: str, op_id: str) -> None:
        """What the CRM invoice could not hold as 1C has it: held back, said in words."""
        if inv.currency != "RUB":
            self._attention(
                ref, label, op_id, "currency", nz.label("currency"),
                tr("the invoice is in {currency}; only roubles are synchronized").format(
                    currency=inv.currency
                ),
                tr("issue the invoice in roubles in 1C, or enter it in the CRM by hand"),
            )  # fmt: skip
        if not inv.lines:
            self._attention(
                ref, label, op_id, "no_rows", nz.label("rows"),
                tr("the 1C invoice has no rows"),
                tr("add the goods or services to the invoice in 1C"),
            )  # fmt: skip
        for ln in inv.lines:
            gross = ln.total_with_vat
            if ln.quantity <= 0:
                self._attention(
                    ref, label, op_id, f"row{ln.line_no}_qty", tr("Quantity"),
                    tr("row {n} «{name}»: the quantity is {value}").format(
                        n=ln.line_no, name=ln.product_name, value=ln.quantity
                    ),
                    tr("correct the row in the 1C invoice"),
                )  # fmt: skip
            elif round_money((gross / ln.quantity).quantize(KOPECK) * ln.quantity) != gross:
                self._attention(
                    ref, label, op_id, f"row{ln.line_no}_sum", nz.label("rows"),
                    tr(
                        "row {n} «{name}»: the sum {sum} is not the quantity {qty} times a "
                        "price in whole kopecks; a CRM row is the price times the quantity, "
                        "so the totals would differ"
                    ).format(n=ln.line_no, name=ln.product_name, sum=gross, qty=ln.quantity),
                    tr("correct the row's price or sum in the 1C invoice"),
                )  # fmt: skip

    def _buyer(
        self, ref: str, inv: Invoice, label: str, op_id: str, deps: list[str]
    ) -> tuple[str | None, str | None, bool, str]:
        """(CRM company key known now, or the operation creating it, a private person's
        contact, the buyer's name) by the F7 rules."""
        cp_ref = inv.counterparty_ref or ""
        cp = self.snap.onec.counterparties.get(cp_ref)
        if cp is None:
            self._attention(
                ref, label, op_id, "no_buyer", nz.label("counterparty"),
                tr("the 1C invoice names no counterparty desktop-sync can read"),
                tr("choose the buyer in the 1C invoice"),
            )  # fmt: skip
            return None, None, False, "—"
        dep = self.cps.ensure_in_crm(cp_ref, label)
        if dep:
            deps.append(dep)
        pair = self.cps.match.pairs.get(cp_ref)
        if pair is not None and pair.crm_key.startswith("contact/"):  # a private person
            return pair.crm_key.removeprefix("contact/"), None, True, cp.name
        if pair is not None:
            company_id = pair.crm_key.split("/")[0]
            co = self.snap.crm.companies.get(int(company_id)) if company_id.isdigit() else None
            return pair.crm_key, None, co is not None and co.entity == "contact", cp.name
        if dep:
            return None, dep, False, cp.name
        self._attention(
            ref, label, op_id, "buyer", nz.label("counterparty"),
            tr("the buyer «{name}» is not in the CRM and cannot be created there").format(
                name=cp.name
            ),
            tr("see the counterparty's own item; the invoice follows it"),
        )  # fmt: skip
        return None, None, False, cp.name

    def _row(
        self, ref: str, ln: InvoiceLine, label: str, op_id: str, deps: list[str]
    ) -> tuple[int | None, str | None]:
        """(CRM product id known now, or the operation creating it) of one row (F5)."""
        product_ref = ln.product_ref or ""
        if product_ref not in self.snap.onec.products:
            suffix, message, action = (
                "row",
                tr("row {n} «{name}» is not a catalog product in 1C"),
                tr("choose the product from the catalog in the 1C invoice row"),
            )
        else:
            dep = self.products.ensure_in_crm(product_ref, label)
            if dep:
                deps.append(dep)
            pair = self.products.match.pairs.get(product_ref)
            if pair is not None and pair.crm_key.isdigit():
                return int(pair.crm_key), None
            if dep:
                return None, dep
            suffix, message, action = (
                "product",
                tr("row {n}: the product «{name}» cannot be sent to the CRM catalog"),
                tr("see the product's own item; the invoice follows it"),
            )
        self._attention(
            ref, label, op_id, f"{suffix}{ln.line_no}", nz.label("rows"),
            message.format(n=ln.line_no, name=ln.product_name), action,
        )  # fmt: skip
        return None, None

    # -- linked: marked for deletion, renumbered ----------------------------------------------

    def follow_linked(self) -> None:
        """The linked invoices F8 made: one marked for deletion in 1C moves to the
        "cancelled" stage (never deleted; with no such stage chosen, a person decides);
        one whose 1C number or date changed takes the new title, unless someone retitled
        it in the CRM."""
        onec, crm = self.snap.onec.invoices, self.snap.crm.invoices
        for link in self.links.of(INVOICE):
            ref, crm_id = link.onec_ref or "", link.crm_id or ""
            inv = onec.get(ref)
            ci = crm.get(int(crm_id)) if crm_id.isdigit() else None
            if inv is None or ci is None or not issued_in_onec(ci, ref):
                continue
            if inv.deleted:
                self._cancel(ref, inv, ci)
            else:
                self._retitle(ref, inv, ci)

    def _cancel(self, ref: str, inv: Invoice, ci: CrmInvoice) -> None:
        stage = self.b.settings.cancelled_stage
        label = _label(inv)
        if not stage:
            self._attention(
                ref, label, "", "deleted", tr("deletion mark"),
                tr("marked for deletion in 1C; no CRM stage is chosen for cancelled "
                   "invoices, so the CRM invoice stays as it is"),
                tr("choose the stage: desktop-sync profile set NAME stage.cancelled "
                   "DT31_1:D; or decline the invoice in the CRM by hand and skip this"),
            )  # fmt: skip
        elif ci.stage_id != stage:
            reason = tr(
                "{label}: marked for deletion in 1C; the CRM invoice moves to the cancelled stage"
            )
            change = FieldChange("stage", tr("Stage"), ci.stage_id, stage)
            self._header(ref, inv, ci, "cancel", reason, change, stage=stage)

    def _retitle(self, ref: str, inv: Invoice, ci: CrmInvoice) -> None:
        number, day = ci.fields.onec_number, ci.fields.onec_date
        if not number or day is None:
            return
        before, after = TITLE.format(number=number, date=day_text(day)), title_of(inv)
        if ci.title == before != after:
            reason = tr("{label}: its 1C number or date changed; the CRM invoice's title follows")
            change = FieldChange("title", tr("Title"), before, after)
            self._header(ref, inv, ci, "title", reason, change, title=after)

    def _header(
        self,
        ref: str,
        inv: Invoice,
        ci: CrmInvoice,
        what: str,
        reason: str,
        change: FieldChange,
        *,
        stage: str = "",
        title: str = "",
    ) -> None:
        crm_id = ci.invoice.crm_id or 0
        label = _label(inv)
        self.b.op(
            operation(
                f"F8:{what}:{ref}",
                Head(Flow.F8, OpKind.UPDATE, System.CRM, INVOICE),
                (ref, str(crm_id)),
                label,
                reason.format(label=label),
                InvoiceHeader(crm_id, stage=stage, title=title),
                changes=(change,),
            )
        )


def created_in_crm(b: Builder, snap: Snapshot, issued: IssuedInvoices) -> dict[str, Created]:
    """Per 1C ref, the CRM invoice this plan creates from it (F8), as F3/F4 see it: made
    with our fields as ``_fields`` gives them and the profile's stage, or found under its
    key (the CRM's invoice as read: the create completes only its rows). ``issued``
    says which operations are those (not a scan of the whole plan's)."""
    out: dict[str, Created] = {}
    for op_id in issued.created:
        op = b.ops[op_id]
        p = op.payload
        assert isinstance(p, IssuedInvoice)
        crm_id = int(op.target_id) if op.target_id and op.target_id.isdigit() else 0
        found = snap.crm.invoices.get(crm_id) if crm_id else None
        out[op.source_id] = Created(op.op_id, crm_id, found or _as_created(p))
    return out


@dataclass(frozen=True, slots=True)
class _AsCreated:
    """What F3/F4 read of a CRM invoice (``CrmInvoice``) F8 is about to make."""

    fields: SyncFields
    stage_id: str | None  # None: the pipeline's first, known once made
    opportunity: Decimal


def _as_created(p: IssuedInvoice) -> _AsCreated:
    fields = SyncFields(**{k: v for k, v in p.fields.items() if k in _SYNC_FIELDS})
    return _AsCreated(fields, p.stage or None, p.invoice.total)


_SYNC_FIELDS = frozenset(SyncFields.__dataclass_fields__)


def crm_vat(inv: Invoice) -> Decimal:
    """The VAT the CRM will show for the invoice's rows: it derives each unit's price
    without VAT from the price with VAT (rounded per unit), where 1C takes VAT on each
    row's sum; the totals are the same."""
    out = ZERO
    for ln in inv.lines:
        if ln.quantity <= 0:
            continue
        price = (ln.total_with_vat / ln.quantity).quantize(KOPECK, ROUND_HALF_UP)
        pct = ln.vat_rate.percent or ZERO
        exclusive = (price * 100 / (100 + pct)).quantize(KOPECK, ROUND_HALF_UP)
        out += ((price - exclusive) * ln.quantity).quantize(KOPECK, ROUND_HALF_UP)
    return out


def _vat_note(inv: Invoice) -> str:
    """Said in the plan when the CRM's VAT will differ from 1C's by rounding."""
    onec, crm = inv.vat_total, crm_vat(inv)
    if onec == crm:
        return ""
    return "; " + tr(
        "VAT {onec} in 1C (on each row's sum), {crm} in the CRM (per unit); "
        "the total {total} is the same"
    ).format(onec=money_label(onec), crm=money_label(crm), total=money_label(inv.total))


def _share(p: Payment, invoice_ref: str) -> Decimal:
    return round_money(sum((a.amount for a in p.allocations if a.invoice_ref == invoice_ref), ZERO))
