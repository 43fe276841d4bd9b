"""F9: a CRM deal in a mapped pipeline reaching that pipeline's "send" stage becomes a
1C invoice (BP 3.0) or customer order (UT 11), exactly as F1 sends a smart invoice
(the same checks, counterparty and contract, rows, create key and look-up before a
create, the 1C number and date written back); then F3/F4 show its payments and
shipments on the deal, and the pipeline's "paid" stage when it is covered. Pure.

A deal with a smart invoice of its own (the invoice's ``parentId2``) is sent once:
the profile says which of the two carries the sale (``sale_carrier``, by default the
smart invoice); the other is not sent, and the window shows it as linked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from desktop_sync.crm.types import CrmInvoice
from desktop_sync.domain.entities import Invoice
from desktop_sync.engine.model import Flow, Item, Operation
from desktop_sync.engine.money import CRM_PAYMENT, PAYMENT_NOTE, MoneySettings, plan_money
from desktop_sync.engine.ops import PaymentNote, PaymentState, ShipmentState
from desktop_sync.engine.plan_base import DEAL, INVOICE, Builder, Links, documents_by_invoice

__all__ = ["DEAL", "Deals", "deal_pipelines", "deal_settings", "missing_of", "plan_deal_money"]
from desktop_sync.engine.plan_invoices import Invoices
from desktop_sync.engine.snapshot import Snapshot
from desktop_sync.i18n import tr

if TYPE_CHECKING:
    from desktop_sync.config.profiles import Profile
    from desktop_sync.crm.port import CrmPort, NamedField


def deal_label(ci: CrmInvoice) -> str:
    """«Сделка № 45 «Поставка бумаги»» (no title: the number alone)."""
    if ci.title:
        return tr("Deal No. {id} «{title}»").format(id=ci.invoice.crm_id, title=ci.title)
    return tr("Deal No. {id}").format(id=ci.invoice.crm_id)


def carried_by_invoice(snap: Snapshot) -> dict[int, int]:
    """Deal id -> the id of a smart invoice of its own (the lowest, if several)."""
    out: dict[int, int] = {}
    for iid, ci in sorted(snap.crm.invoices.items()):
        if ci.deal_id:
            out.setdefault(ci.deal_id, iid)
    return out


class Deals(Invoices):
    """F1's sending, of deals: their own links (``deal``), op ids and item keys."""

    ENTITY = DEAL
    TAG = "deal-"

    def records(self) -> dict[int, CrmInvoice]:
        return self.snap.crm.deals

    def label(self, ci: CrmInvoice) -> str:
        return deal_label(ci)

    def comment(self, ci: CrmInvoice, key: str) -> str:
        return tr("From Bitrix24 deal No. {id} «{title}»; desktop-sync key {key}").format(
            id=ci.invoice.crm_id, title=ci.title, key=key
        )

    def create_reason(self, ci: CrmInvoice, label: str) -> str:
        buyer = ci.invoice.counterparty_name or self._buyer(ci) or "—"
        if self.b.settings.deal_document == "order":
            return tr("{label}: a customer order will be created in 1C for {buyer}").format(
                label=label, buyer=buyer
            )
        return tr("{label}: an invoice will be created in 1C for {buyer}").format(
            label=label, buyer=buyer
        )

    def back_reason(self, label: str) -> str:
        return tr("{label}: the 1C number and date will be written to the deal").format(label=label)

    def as_looked_up(self, inv: Invoice) -> Invoice:
        # our comment names a smart invoice's id, never a deal's: an invoice with the
        # same id is not this deal
        return replace(inv, crm_id=None)

    def unreadable(self) -> None:
        self.b.unreadable(
            (DEAL, f"F1:unreadable:{self.TAG}"),
            self.snap.crm.deals_unreadable,
            tr("Deal No. {id}"),
            tr("correct the deal in the CRM; the rest of the run goes on"),
        )

    def send(self) -> None:
        """Deals at their pipeline's "send" stage, not in 1C yet and not carried by a
        smart invoice of their own, are created there; any other deal not in 1C says why
        it stays in the CRM (a note, as F1's invoices not at the send stage)."""
        settings = self.b.settings
        self._check_stages()
        own = carried_by_invoice(self.snap)
        for deal_id, ci in sorted(self.records().items()):
            if self.links.crm(DEAL, str(deal_id)) is not None:
                continue
            send = settings.deal_stages.get(ci.category_id, {}).get("send", "")
            invoice = own.get(deal_id)
            if invoice is not None and (
                settings.sale_carrier != "deal" or self.links.crm(INVOICE, str(invoice))
            ):  # its smart invoice carries the sale (or was sent already)
                self.b.notes.append((DEAL, str(deal_id), *self._carried_words(invoice)))
            elif send and ci.stage_id == send:
                self._send_one(ci)
            else:
                self.b.notes.append((DEAL, str(deal_id), *self._waits_words(ci, send)))

    def _waits_words(self, ci: CrmInvoice, send: str) -> tuple[str, str]:
        """(a few words, the whole story) of a deal not at its pipeline's send stage."""
        if not send:
            return tr("not sent: its pipeline has no “send to 1C” stage"), tr(
                "the profile chooses no “send to 1C” stage for the deal pipeline {pipeline}, "
                "so its deals are not sent: desktop-sync profile set NAME "
                "deal.{pipeline}.send STAGE"
            ).format(pipeline=ci.category_id)
        name = self.snap.crm.deal_stages.get(send) or send
        return tr("to 1C from the stage «{stage}»").format(stage=name), tr(
            "a deal goes to 1C once it is moved to the stage «{stage}» (the “send to 1C” "
            "stage of its pipeline in the profile); this one is at another stage"
        ).format(stage=name)

    def _carried_words(self, invoice_id: int) -> tuple[str, str]:
        """(a few words, the whole story) of a deal whose own smart invoice carries the sale."""
        own = self.snap.crm.invoices.get(invoice_id)
        number = own.invoice.number if own is not None else str(invoice_id)
        return tr("to 1C as its invoice {number}").format(number=number), tr(
            "the deal's own smart invoice {number} (id {id}) carries the sale to 1C (the "
            "profile's deal.carrier, or it went first); the deal itself is not sent"
        ).format(number=number, id=invoice_id)

    def _check_stages(self) -> None:
        """A mapped stage the pipeline does not have: the setting is named, never guessed."""
        known = self.snap.crm.deal_stages
        if not known:
            return  # not read (no pipeline mapped)
        for pipeline, stages in sorted(self.b.settings.deal_stages.items()):
            for meaning, stage in sorted(stages.items()):
                if stage in known:
                    continue
                ours = sorted(s for s in known if s.startswith(f"C{pipeline}:") or (
                    pipeline == 0 and ":" not in s))  # fmt: skip
                self.b.attention(
                    Flow.F1,
                    DEAL,
                    f"F1:deal_stage:{pipeline}:{meaning}",
                    record_id="",
                    record_label=tr("Profile settings"),
                    field=f"deal.{pipeline}.{meaning}",
                    message=tr("the deal pipeline {pipeline} has no stage {stage}").format(
                        pipeline=pipeline, stage=stage
                    ),
                    action=tr("choose one of {stages}: desktop-sync profile set NAME "
                              "deal.{pipeline}.{meaning} STAGE").format(
                        stages=", ".join(f"{s} «{known[s]}»" for s in ours) or "—",
                        pipeline=pipeline, meaning=meaning),
                )  # fmt: skip

    def carried_invoices(self) -> set[int]:
        """Smart invoices not sent because their deal carries the sale (the profile's
        ``sale_carrier`` is "deal" and the deal's pipeline is mapped)."""
        settings = self.b.settings
        if settings.sale_carrier != "deal":
            return set()
        sent = {lk.crm_id for lk in self.links.of(DEAL)}
        return {
            iid
            for iid, ci in self.snap.crm.invoices.items()
            if ci.deal_id is not None
            and (ci.deal_id in self.snap.crm.deals or str(ci.deal_id) in sent)
        }


def plan_deal_money(b: Builder, snap: Snapshot, links: Links, flows: set[Flow]) -> None:
    """F3/F4 of the 1C documents made from deals: the deal's fields, its pipeline's
    "paid" stage and each payment noted on its timeline, as for a smart invoice (no
    Bitrix24 payment: a deal has none)."""
    settings = b.settings
    deal_links = links.of(DEAL)
    if not deal_links:
        return
    docs = documents_by_invoice(snap.onec.shipments, snap.onec.returns)
    noted = {link.onec_ref for link in links.of(PAYMENT_NOTE) if link.onec_ref}
    by_category: dict[int, dict[int, CrmInvoice]] = {}
    for deal_id, ci in snap.crm.deals.items():
        by_category.setdefault(ci.category_id, {})[deal_id] = ci
    for category, deals in sorted(by_category.items()):
        stages = settings.deal_stages.get(category, {})
        ops: list[Operation] = []
        items: list[Item] = []
        plan_money(
            ops=ops, items=items, decisions=settings.decisions,
            invoice_links=[lk for lk in deal_links if lk.crm_id and lk.crm_id.isdigit()
                           and int(lk.crm_id) in deals],
            note_links=noted, onec_invoices=snap.onec.invoices, payments=snap.onec.payments,
            shipments_by_invoice=docs, crm_invoices=deals,
            settings=MoneySettings(stages.get("paid", ""), stages.get("partly_paid", ""),
                                   stages.get("send", "")),
            flows=flows, key=b.key,
        )  # fmt: skip
        for op in ops:
            if op.entity_type == CRM_PAYMENT:
                continue  # Bitrix24's payments belong to smart invoices
            p = op.payload
            if isinstance(p, PaymentState | ShipmentState | PaymentNote):
                p = replace(p, deal=True)
            b.op(replace(op, payload=p))
        for item in items:
            b.item(item)


def deal_pipelines(profile: Profile) -> tuple[int, ...]:
    """The deal pipelines the profile maps (their deals are read)."""
    return tuple(sorted(int(k) for k in profile.deal_stages if k.isdigit()))


def deal_settings(profile: Profile, crm: CrmPort) -> dict[str, Any]:
    """The plan's F9 settings from the profile, and which of our fields deals lack (asked
    when the deals were read: ``read_crm``; the client keeps the answer for the run)."""
    missing = crm.deals.missing_custom_fields() if profile.deal_stages else ()
    return {
        "deal_stages": {int(k): dict(v) for k, v in profile.deal_stages.items() if k.isdigit()},
        "sale_carrier": profile.sale_carrier,
        "deal_document": "order" if profile.configuration == "ut11" else "invoice",
        "missing_deal_fields": missing_of(missing),
    }


def missing_of(fields: Iterable[NamedField]) -> tuple[tuple[str, str], ...]:
    """Our fields a portal lacks as the plan's settings carry them: (key, label)."""
    return tuple((getattr(f, "key", f.name), getattr(f, "label", f.name)) for f in fields)
