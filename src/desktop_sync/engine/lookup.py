"""The one invoice lookup: by 1C number[/year], CRM id, the CRM's account number or name.

``desktop-sync status``, ``desktop-sync invoice pdf`` and the window's lookup tab all
answer from here, with the same figures: paid and outstanding from 1C's payments,
shipped net of returns, the CRM's stage. Pure functions of a snapshot and the invoice
links; nothing is read or written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from desktop_sync.crm.types import CrmInvoice
from desktop_sync.domain.entities import Invoice, Payment, payment_state
from desktop_sync.domain.money import ZERO, round_money
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.money import payment_line
from desktop_sync.engine.ops import EntityType
from desktop_sync.engine.snapshot import Snapshot
from desktop_sync.i18n import N_, day_label, money_label, tr
from desktop_sync.journal import LinkValues

PAYMENT_KINDS = {
    "bank": N_("Bank"),
    "cash": N_("Cash"),
    "card": N_("Card"),
    "bank_refund": N_("Bank refund"),
    "cash_refund": N_("Cash refund"),
}


class InvoiceLookupError(LookupError):
    """The invoice a person named is not there, or the name fits several (the message says)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True, slots=True)
class PaymentLine:
    number: str
    date: dt.date
    kind: str
    amount: Decimal  # signed: a refund is negative
    text: str = ""  # the entry as the CRM invoice's payments list shows it
    said: str = ""  # the same entry, its date as the language writes dates (``status``)


@dataclass(frozen=True, slots=True)
class InvoiceStatus:
    number: str
    date: dt.date
    counterparty: str
    total: Decimal
    paid: Decimal
    outstanding: Decimal
    shipped: Decimal
    payments: tuple[PaymentLine, ...]
    shipments: tuple[str, ...]
    onec_ref: str | None
    crm_id: int | None
    stage: str
    crm_number: str = ""  # the CRM's own account number (e.g. СЧ-0014), the manager's
    in_onec: bool = True  # False: a CRM invoice 1C does not have (the figures are the CRM's)
    crm_total: Decimal | None = None  # the CRM invoice's total; None: not in the CRM
    fully_paid: bool = False
    last_payment_date: dt.date | None = None
    note: str = ""  # what it waits for that needs no person, e.g. a UT 11 draft: posting
    deal: bool = False  # the CRM side is a deal (F9), not a smart invoice

    @property
    def year_number(self) -> str:
        return f"{self.number}/{self.date.year}"


# -- figures shared with the window's tables -------------------------------------------------


def payments_by_invoice(payments: Iterable[Payment]) -> dict[str, list[Payment]]:
    out: dict[str, list[Payment]] = {}
    for p in payments:
        for a in p.allocations:
            if a.invoice_ref:
                out.setdefault(a.invoice_ref, []).append(p)
    return out


def shipped_by_invoice(snap: Snapshot) -> dict[str, Decimal]:
    """What was shipped against each 1C invoice, net of returns."""
    out: dict[str, Decimal] = {}
    for sh in snap.onec.shipments.values():
        if sh.invoice_ref and sh.posted and not sh.deleted:
            out[sh.invoice_ref] = out.get(sh.invoice_ref, ZERO) + sh.total
    for rt in snap.onec.returns.values():
        if rt.invoice_ref and rt.posted and not rt.deleted:
            out[rt.invoice_ref] = out.get(rt.invoice_ref, ZERO) - rt.total
    return {k: round_money(v) for k, v in out.items()}


def counterparty_name(snap: Snapshot, inv: Invoice) -> str:
    if inv.counterparty_ref and inv.counterparty_ref in snap.onec.counterparties:
        return snap.onec.counterparties[inv.counterparty_ref].name
    return inv.counterparty_name


def crm_counterparty_name(snap: Snapshot, ci: CrmInvoice) -> str:
    """The buyer of a CRM invoice as the CRM names it: its company, else its contact (a
    private person), else the name the invoice itself carries."""
    company = snap.crm.companies.get(ci.company_id) if ci.company_id is not None else None
    if company is None and ci.contact_id is not None:
        company = snap.crm.contacts.get(ci.contact_id)
    return company.counterparty.name if company is not None else ci.invoice.counterparty_name


def crm_figures(snap: Snapshot, crm_id: int, deal: bool = False) -> dict[str, Any]:
    """A CRM invoice's (or ``deal``'s: F9) figures as its custom fields show them, by the
    invoice table's column keys."""
    ci = snap.crm.deals[crm_id] if deal else snap.crm.invoices[crm_id]
    inv = ci.invoice
    total = round_money(ci.opportunity)
    paid = ZERO if ci.fields.paid is None else round_money(ci.fields.paid)
    outstanding = (
        round_money(ci.fields.outstanding)
        if ci.fields.outstanding is not None
        else round_money(max(total - paid, ZERO))
    )
    return {
        "number": inv.number,
        "date": inv.date,
        "counterparty": crm_counterparty_name(snap, ci),
        "total": total,
        "paid": paid,
        "outstanding": outstanding,
        "stage": (snap.crm.deal_stages if deal else snap.crm.stages).get(ci.stage_id, ci.stage_id),
        "shipped": ZERO if ci.fields.shipped is None else round_money(ci.fields.shipped),
    }


def crm_of(links: Iterable[LinkValues]) -> dict[str, int]:
    """1C ref → CRM id of the linked invoices."""
    return {
        lk.onec_ref: int(lk.crm_id)
        for lk in links
        if lk.onec_ref and lk.crm_id and lk.crm_id.isdigit()
    }


# -- one invoice's status --------------------------------------------------------------------


def _payment_line(p: Payment, ref: str) -> PaymentLine:
    share = sum((a.amount for a in p.allocations if a.invoice_ref == ref), ZERO)
    return PaymentLine(
        p.number,
        p.date,
        tr(PAYMENT_KINDS.get(p.kind.value, p.kind.value)),
        round_money(share * (-1 if p.kind.is_refund else 1)),
        payment_line(p, share),
        payment_line(p, share, day_label, money_label),
    )


def onec_status(snap: Snapshot, inv: Invoice, linked: Mapping[str, int]) -> InvoiceStatus:
    """A 1C invoice: its payments and shipments from 1C, its stage from the CRM."""
    ref = inv.onec_ref or ""
    pays = [
        p for p in snap.onec.payments.values() if any(a.invoice_ref == ref for a in p.allocations)
    ]
    st = payment_state(ref, inv.total, pays)
    ships = tuple(
        f"{sh.number} {day_label(sh.date)}"
        for sh in sorted(snap.onec.shipments.values(), key=lambda s: (s.date, s.number))
        if sh.invoice_ref == ref and sh.posted and not sh.deleted
    )
    cid = linked.get(ref, inv.crm_id)
    stage = crm_number = ""
    crm_total = None
    if cid is not None and cid in snap.crm.invoices:
        ci = snap.crm.invoices[cid]
        stage = snap.crm.stages.get(ci.stage_id, ci.stage_id)
        crm_number, crm_total = ci.invoice.number, ci.invoice.total
    return InvoiceStatus(
        inv.number, inv.date, counterparty_name(snap, inv), inv.total, st.paid, st.outstanding,
        shipped_by_invoice(snap).get(ref, ZERO), tuple(_payment_line(p, ref) for p in st.payments),
        ships, inv.onec_ref, cid, stage, crm_number, True, crm_total, st.fully_paid,
        st.last_payment_date,
    )  # fmt: skip


def crm_status(
    snap: Snapshot, crm_id: int, onec_ref: str | None = None, deal: bool = False
) -> InvoiceStatus:
    """A CRM invoice (or ``deal``: F9) 1C does not have (or no longer has): the CRM's
    figures. A deal's number is the window's: its id and title, «45 «Поставка бумаги»»."""
    ci = (snap.crm.deals if deal else snap.crm.invoices)[crm_id]
    v = crm_figures(snap, crm_id, deal)
    number = f"{ci.invoice.number} «{ci.title}»" if deal and ci.title else ci.invoice.number
    return InvoiceStatus(
        ci.invoice.number, ci.invoice.date, v["counterparty"], v["total"], v["paid"],
        v["outstanding"], v["shipped"], (), (), onec_ref, crm_id, str(v["stage"]),
        number, False, ci.invoice.total, deal=deal,
    )  # fmt: skip


def with_deal(snap: Snapshot, st: InvoiceStatus, deal_id: int) -> InvoiceStatus:
    """A 1C document's status with the CRM side of the deal it was made from (F9)."""
    crm = crm_status(snap, deal_id, deal=True)
    return replace(st, crm_id=deal_id, stage=crm.stage, crm_number=crm.crm_number,
                   crm_total=crm.crm_total, deal=True)  # fmt: skip


# -- finding ---------------------------------------------------------------------------------


def _onec_hit(snap: Snapshot, inv: Invoice, cid: int | None, q: str) -> bool:
    number, _, year = q.partition("/")
    crm_number = snap.crm.invoices[cid].invoice.number if cid in snap.crm.invoices else ""
    return (
        (
            bool(number)
            and inv.number.casefold().lstrip("0") == number.lstrip("0")
            and (not year or str(inv.date.year) == year)
        )
        or (cid is not None and q == str(cid))
        or bool(crm_number and crm_number.casefold() == q)
        or (len(q) >= 3 and q in counterparty_name(snap, inv).casefold())
    )


def find_invoices(
    snap: Snapshot,
    links: Sequence[LinkValues],
    query: str,
    limit: int = 50,
    notes: Iterable[tuple[str, str, str, str]] = (),
    deal_links: Sequence[LinkValues] = (),
) -> list[InvoiceStatus]:
    """Invoices by 1C number, ``number/year``, CRM id or account number, or counterparty,
    and deals (F9) by id, title or buyer (``deal_links``: those 1C has); each with what it
    waits for that needs no person (``notes``: the plan's, e.g. a UT 11 draft order goes
    to the CRM once posted), as ``desktop-sync status`` says it.

    Answers from the last snapshot: it touches neither system.
    """
    return noted(_found(snap, links, query, limit, deal_links), notes)


def noted(
    found: list[InvoiceStatus], notes: Iterable[tuple[str, str, str, str]]
) -> list[InvoiceStatus]:
    """``found``, each with the plan's notes about its record joined in ``note``."""
    said: dict[tuple[str, str], list[str]] = {}
    for kind, rid, _short, text in notes:
        if kind in (EntityType.INVOICE, EntityType.DEAL):
            said.setdefault((kind, rid), []).append(text)
    if not said:
        return found
    return [
        replace(s, note="; ".join(said[k])) if (k := _said_key(s)) in said else s for s in found
    ]


def _said_key(s: InvoiceStatus) -> tuple[str, str]:
    """The record a plan's note names: the 1C document, or the CRM invoice or deal 1C lacks."""
    if s.onec_ref:
        return EntityType.INVOICE, s.onec_ref
    return (EntityType.DEAL if s.deal else EntityType.INVOICE), str(s.crm_id)


def _found(
    snap: Snapshot,
    links: Sequence[LinkValues],
    query: str,
    limit: int,
    deal_links: Sequence[LinkValues] = (),
) -> list[InvoiceStatus]:
    q = nz.text(query).casefold()
    if not q:
        return []
    linked = crm_of(links)
    onec_of = {v: k for k, v in linked.items()}
    of_deal = {k: v for k, v in crm_of(deal_links).items() if v in snap.crm.deals}
    result = [
        with_deal(snap, onec_status(snap, inv, {}), of_deal[ref])
        if (ref := inv.onec_ref or "") in of_deal
        else onec_status(snap, inv, linked)
        for inv in snap.onec.invoices.values()
        if _onec_hit(snap, inv, linked.get(inv.onec_ref or "", inv.crm_id), q)
    ]
    for cid, ci in snap.crm.invoices.items():  # CRM invoices not (yet) in 1C
        if cid in onec_of:
            continue
        name = crm_counterparty_name(snap, ci)
        if q in (str(cid), ci.invoice.number.casefold()) or (len(q) >= 3 and q in name.casefold()):
            result.append(crm_status(snap, cid))
    sent = set(of_deal.values())
    for cid, ci in snap.crm.deals.items():  # deals not (yet) in 1C
        name = crm_counterparty_name(snap, ci)
        if cid not in sent and (
            q == str(cid) or (len(q) >= 3 and q in f"{ci.title} {name}".casefold())
        ):
            result.append(crm_status(snap, cid, deal=True))
    result.sort(key=lambda s: (s.date, s.number), reverse=True)
    return result[:limit]


def exact(hits: list[InvoiceStatus], query: str, crm_only: bool) -> list[InvoiceStatus]:
    """The hits the query names exactly: the CRM id (only it after ``crm:``), the CRM's
    account number, or the 1C number[/year]; a counterparty's name is not exact."""
    text = query.strip().casefold()
    number, _, year = text.partition("/")
    return [
        h
        for h in hits
        if (h.crm_id is not None and text == str(h.crm_id))
        or (
            not crm_only
            and (
                (bool(h.crm_number) and h.crm_number.casefold() == text)
                or (
                    h.number.casefold().lstrip("0") == number.lstrip("0")
                    and (not year or str(h.date.year) == year)
                )
            )
        )
    ]


def pick(hits: list[InvoiceStatus], query: str) -> InvoiceStatus:
    """The one invoice the person meant, or :class:`InvoiceLookupError` naming the candidates."""
    if not hits:
        raise InvoiceLookupError(tr("no invoice «{query}» in 1C or in the CRM").format(query=query))
    if len(hits) > 1:
        names = "; ".join(
            f"{h.year_number}" + (f" (crm:{h.crm_id})" if h.crm_id is not None else "")
            + f" {h.counterparty}"
            for h in hits[:5]
        )  # fmt: skip
        raise InvoiceLookupError(
            tr("«{query}» names {n} invoices: {names}. Give the number with the year "
               "(28/2026) or the CRM id (crm:15)").format(query=query, n=len(hits), names=names)
        )  # fmt: skip
    return hits[0]


def _by_onec_number(snap: Snapshot, text: str) -> list[Invoice]:
    number, _, year = text.partition("/")
    return [
        inv
        for inv in snap.onec.invoices.values()
        if inv.number.lstrip("0") == number.lstrip("0") and (not year or str(inv.date.year) == year)
    ]


def locate(
    snap: Snapshot, links: Sequence[LinkValues], query: str, deal_links: Sequence[LinkValues] = ()
) -> InvoiceStatus:
    """The one invoice ``status`` names: ``crm:ID``, a CRM id, the CRM's account number, or
    the 1C number[/year]; or a deal (F9): ``deal:ID``. A bare number that is both a CRM
    id and another invoice's 1C number, or a 1C number several years carry, is asked
    about, never guessed."""
    by_crm = {int(lk.crm_id): lk.onec_ref for lk in links if lk.crm_id and lk.crm_id.isdigit()}
    by_onec = {lk.onec_ref: int(lk.crm_id) for lk in links if lk.onec_ref and lk.crm_id}
    text = query.strip()
    if text.lower().startswith("deal:"):  # F9: a deal, sent to 1C or not
        deal_id = text.split(":", 1)[1].strip()
        if deal_id.isdigit() and int(deal_id) in snap.crm.deals:
            return _deal_status(snap, deal_links, int(deal_id))
        raise InvoiceLookupError(tr("no deal «{query}» in the CRM").format(query=query))
    if text.lower().startswith(("crm:", "id:")):
        crm_id_text = text.split(":", 1)[1].strip()
        if crm_id_text.isdigit() and int(crm_id_text) in snap.crm.invoices:
            return _status(snap, links, by_crm.get(int(crm_id_text)), int(crm_id_text), query)
        return _status(snap, links, None, None, query)
    if text.isdigit() and int(text) in snap.crm.invoices:
        same_number = [
            inv for inv in _by_onec_number(snap, text) if inv.onec_ref != by_crm.get(int(text))
        ]
        if same_number:
            raise InvoiceLookupError(
                tr(
                    "«{query}» is both the CRM id of an invoice and a 1C invoice number: say "
                    "which — `status crm:{query}` for the CRM id, `status {query}/{year}` for "
                    "the 1C number"
                ).format(query=text, year=max(i.date.year for i in same_number))
            )
        return _status(snap, links, by_crm.get(int(text)), int(text), query)
    for crm_id, ci in snap.crm.invoices.items():
        if ci.invoice.number == text:
            return _status(snap, links, by_crm.get(crm_id), crm_id, query)
    found = _by_onec_number(snap, text)
    if len(found) > 1:
        number = text.partition("/")[0]
        raise InvoiceLookupError(
            tr(
                "1C has {n} invoices No. {number} (numbers restart every year): add the year, "
                "e.g. {number}/{year}"
            ).format(n=len(found), number=number, year=max(i.date.year for i in found))
        )
    if found and found[0].onec_ref:
        ref = found[0].onec_ref
        return _status(snap, links, ref, by_onec.get(ref), query)
    return _status(snap, links, None, None, query)


def _deal_status(snap: Snapshot, deal_links: Sequence[LinkValues], deal_id: int) -> InvoiceStatus:
    """A deal: the 1C document made from it (its figures) with the deal's stage, or the
    deal's own figures while 1C has none."""
    ref = next((k for k, v in crm_of(deal_links).items() if v == deal_id), None)
    inv = snap.onec.invoices.get(ref) if ref else None
    if inv is None:
        return crm_status(snap, deal_id, ref, deal=True)
    return with_deal(snap, onec_status(snap, inv, {}), deal_id)


def _status(
    snap: Snapshot, links: Sequence[LinkValues], ref: str | None, crm_id: int | None, query: str
) -> InvoiceStatus:
    inv = snap.onec.invoices.get(ref) if ref else None
    if inv is not None:
        return onec_status(snap, inv, crm_of(links))
    if crm_id is not None and crm_id in snap.crm.invoices:
        return crm_status(snap, crm_id, ref)
    raise InvoiceLookupError(tr("no invoice «{query}» in 1C or in the CRM").format(query=query))
