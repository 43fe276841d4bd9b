"""F11, written: the printed invoice as a PDF comment on the CRM invoice's timeline.

One comment per version (``plan_invoice_pdf``), the operation's key and the version's
digest in the comment's text (``[desktop-sync:KEY] [v:DIGEST]``; the digest's start in
the file's name too). Before a comment is added the timeline is read: a comment with
the key or the version is the one made before (an answer lost, a run killed, a journal
lost) and is taken, never made twice. The seller and its bank are read from 1C when the
first PDF of a run is made; an invoice created in 1C in this run is read back from 1C.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from desktop_sync.connectors.onec import (
    OnecAuthError,
    OnecClient,
    OnecConnectionError,
    OnecError,
    OnecUnavailable,
)
from desktop_sync.crm.port import CrmPort
from desktop_sync.domain.entities import Invoice
from desktop_sync.engine.executor import FOUND, Applied, OutcomeUnknown, WriteError
from desktop_sync.engine.invoice_print import printable_of, seller_bank, seller_party
from desktop_sync.engine.model import Operation
from desktop_sync.engine.ops import EntityType, InvoicePdf, Unsettled
from desktop_sync.errors import SyncError
from desktop_sync.i18n import tr
from desktop_sync.printing import BankAccount, Party, PrintingError, render_invoice_pdf
from desktop_sync.printing.files import default_name
from desktop_sync.printing.version import digest, version_values


def marker(key: str) -> str:
    """In the comment's text: what finds the comment again by the operation's key."""
    return f"[desktop-sync:{key}]"


def version_tag(version: str) -> str:
    return f"[v:{version}]"


class OnecSide:
    """What the PDF needs from 1C: the seller and its bank, an invoice just made."""

    def __init__(self, onec: OnecClient) -> None:
        self.onec = onec

    def seller(self) -> tuple[Party, BankAccount]:
        """The seller and its bank account (the client keeps them)."""
        try:
            return seller_party(self.onec.organization()), seller_bank(self.onec.bank_details())
        except (OnecConnectionError, OnecUnavailable, OnecAuthError):
            raise  # may pass: the executor retries on the next run
        except OnecError as exc:  # what 1C holds is missing: for a person to fill in
            raise WriteError(
                tr("the seller's bank account in 1C: {reason}").format(reason=exc)
            ) from None

    def invoice(self, ref: str) -> Invoice:
        made = self.onec.invoice(ref)
        if made is None:
            raise OutcomeUnknown(tr("the invoice was sent but 1C does not show it yet"))
        return made


def file_name(doc_number: str, date_text: str, version: str) -> str:
    """The PDF's name on the timeline: the invoice's, with the version's start."""
    return default_name(doc_number, date_text).removesuffix(".pdf") + f"_{version[:8]}.pdf"


def comment_text(p: InvoicePdf) -> str:
    doc = p.document
    title = tr("Invoice for payment No. {number} of {date} (PDF)").format(
        number=doc.number, date=f"{doc.date:%d.%m.%Y}"
    )
    if p.changed:
        return tr("{title}. The invoice changed: {what}").format(title=title, what=p.changed)
    return title


class PdfAttacher:
    """The handler of ``InvoicePdf`` operations (registered in ``CrmWriter``)."""

    def __init__(self, crm: CrmPort, onec: OnecSide | None) -> None:
        self.crm = crm
        self.onec = onec
        self._seller: tuple[Party, BankAccount] | None = None

    def _side(self) -> OnecSide:
        if self.onec is None:
            raise WriteError(tr("the seller's bank account is not known to this writer"))
        return self.onec

    def _seller_and_bank(self) -> tuple[Party, BankAccount]:
        if self._seller is None:
            self._seller = self._side().seller()
        return self._seller

    def attach(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        p = op.payload
        assert isinstance(p, InvoicePdf)
        crm_id = p.crm_id
        if not crm_id and p.from_op:
            made = results.get(p.from_op)
            if made is None or not made.target_id.isdigit():
                raise WriteError(tr("the invoice was not created in the CRM"))
            crm_id = int(made.target_id)
        ref = op.source_id.rpartition("/")[0]
        if not p.document.number:  # made in 1C in this run: 1C's number and rows
            ref, p = self._made_in_onec(p, results)
        version = digest(p.document)
        source = f"{ref}/{version}"
        key = op.idempotency_key
        if self._find(crm_id, key, version):
            return self._applied(op, p, source, "", crm_id, relinked=True)
        seller, bank = self._seller_and_bank()
        doc = dataclasses.replace(p.document, seller=seller, bank=bank)
        try:
            data = render_invoice_pdf(doc)
        except PrintingError as exc:
            raise WriteError(str(exc)) from None
        name = file_name(doc.number, f"{doc.date:%d.%m.%Y}", version)
        text = f"{comment_text(p)} {marker(key)} {version_tag(version)}"
        try:
            comment_id = self.crm.timeline.add_comment(crm_id, text, [(name, data)])
        except SyncError as exc:
            if getattr(exc, "status", None) == 413:  # the portal's front server refused it
                raise WriteError(
                    tr("the printed invoice ({size} KB) is larger than the CRM accepts").format(
                        size=len(data) // 1024
                    )
                ) from None
            raise
        return self._applied(op, p, source, str(comment_id), crm_id, relinked=False)

    def _made_in_onec(
        self, p: InvoicePdf, results: Mapping[str, Applied]
    ) -> tuple[str, InvoicePdf]:
        """The 1C invoice made by ``p.from_op`` in this run, as 1C holds it now."""
        made = results.get(p.from_op)
        if made is None or not made.onec_ref:
            raise WriteError(tr("the invoice was not created in 1C"))
        inv = self._side().invoice(made.onec_ref)
        doc = printable_of(inv, p.document.buyer, p.document.seller, p.document.bank, p.units)
        return made.onec_ref, dataclasses.replace(p, document=doc, values=version_values(doc, 1))

    def _find(self, crm_id: int, key: str, version: str = "") -> bool:
        """Whether the invoice's timeline holds the comment of ``key`` (or ``version``)."""
        if not crm_id:
            return False
        tags = [marker(key), *([version_tag(version)] if version else [])]
        return any(tag in text for text in self.crm.timeline.comment_texts(crm_id) for tag in tags)

    @staticmethod
    def _applied(
        op: Operation, p: InvoicePdf, source: str, comment_id: str, crm_id: int, *, relinked: bool
    ) -> Applied:
        target = comment_id or f"key:{op.idempotency_key}"
        return Applied(
            target,
            EntityType.INVOICE_PDF,
            onec_ref=source,
            crm_id=target,
            onec_values=dict(p.values),
            crm_values={"invoice": crm_id},
            result={FOUND: True} if relinked else {},
        )

    def lookup(self, op: Unsettled) -> Applied | None:
        """After a lost answer or a killed run: the comment found by the key, or None."""
        if not op.crm_id.isdigit() or not self._find(int(op.crm_id), op.key):
            return None
        target = f"key:{op.key}"
        return Applied(
            target,
            EntityType.INVOICE_PDF,
            onec_ref=op.source_id,
            crm_id=target,
            onec_values=dict(op.values),
            crm_values={"invoice": int(op.crm_id)},
        )
