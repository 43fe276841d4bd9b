"""F11, written: the printed invoice as a PDF comment on the CRM invoice's timeline.

One comment per version (``plan_invoice_pdf``), the operation's key and the version's
digest in the comment's text (``[desktop-sync:KEY] [v:DIGEST]``; the digest's start in
the file's name too). Before a comment is added the timeline is read: a comment with
the key or the version is the one made before (an answer lost, a run killed, a journal
lost) and is taken, never made twice. The seller and its bank are read from 1C when the
first PDF of a run is made; an invoice created in 1C in this run is read back from 1C.

Many PDFs travel in batches (issue 18): the timelines read 50 to a request, the comments
added several to a request within a body cap, each settled from its own answer. The
timeline of an invoice made in this run (not found) is not read: no attempt could have
written to it (docs/decisions/exactly-once-creates.md); every other one is.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Mapping

from desktop_sync.connectors.onec import (
    OnecAuthError,
    OnecClient,
    OnecConnectionError,
    OnecError,
    OnecUnavailable,
)
from desktop_sync.crm.port import CrmPort, Waiting
from desktop_sync.domain.entities import Invoice
from desktop_sync.engine.cache import give_back
from desktop_sync.engine.executor import FOUND, Applied, Outcome, OutcomeUnknown, WriteError
from desktop_sync.engine.invoice_print import printable_of, seller_bank, seller_party
from desktop_sync.engine.model import Operation
from desktop_sync.engine.ops import EntityType, InvoicePdf, Unsettled
from desktop_sync.engine.outage import may_pass
from desktop_sync.errors import SyncError
from desktop_sync.i18n import tr
from desktop_sync.printing import (
    BankAccount,
    Party,
    PrintableInvoice,
    PrintingError,
    render_invoice_pdf,
)
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


@dataclasses.dataclass(frozen=True)
class _Pdf:
    """One PDF to attach: its payload (1C's version for an invoice made this run)."""

    p: InvoicePdf
    crm_id: int
    key: str
    version: str
    source: str
    text: str
    look_up: bool

    def tags(self) -> list[str]:
        return [marker(self.key), version_tag(self.version)]


def _refused(exc: Exception, data: bytes) -> Exception:
    """A comment's error; the portal's front server refusing its size, in words."""
    if getattr(exc, "status", None) == 413:
        return WriteError(
            tr("the printed invoice ({size} KB) is larger than the CRM accepts").format(
                size=len(data) // 1024
            )
        )
    return exc


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

    AHEAD = 150  # PDFs rendered ahead at most: three batch requests' worth (about 6 MB)

    def __init__(self, crm: CrmPort, onec: OnecSide | None) -> None:
        self.crm = crm
        self.onec = onec
        self._seller: tuple[Party, BankAccount] | None = None
        self._todo: deque[Operation] = deque()  # PDFs to render ahead (``ahead``)
        self._results: Mapping[str, Applied] = {}
        self._early: dict[str, tuple[_Pdf, tuple[str, bytes]]] = {}  # by key: ready, file
        # A batch of comments is being sent: its bodies (MBs of Base64) are alive, the
        # next PDFs wait for a later wait (issue 18: the large set's peak was there)
        self._sending = False

    def ahead(self, ops: list[Operation], results: Mapping[str, Applied]) -> None:
        """The PDFs this run will attach, before its first write, and ``results``, what
        the run's writes produce as they go: each PDF whose invoice is ready (known
        before the run, or made and numbered already) is prepared and rendered while the
        CRM's rate limit makes a request wait (``CrmPort.while_waiting``), so rendering
        costs the run no time (issue 18)."""
        self._todo = deque(op for op in ops if isinstance(op.payload, InvoicePdf))
        self._results = results
        self._early.clear()
        if self._todo:
            self.crm.while_waiting(self._prepare_one_ahead)

    def _prepare_one_ahead(self) -> Waiting:
        """One PDF prepared and rendered ahead. None ready (its invoice not made yet, or
        room for no more) is kept for a later wait: an invoice made in 1C in this run is
        made after the first waits, and its PDF can be made only then."""
        if not self._todo:
            return Waiting.NONE_LEFT
        if self._sending or len(self._early) >= self.AHEAD:
            return Waiting.NOT_YET
        for _ in range(len(self._todo)):
            op = self._todo.popleft()
            p = op.payload
            assert isinstance(p, InvoicePdf)
            if p.from_op and p.from_op not in self._results:
                self._todo.append(op)  # its invoice is not made yet
                continue
            try:
                pdf = self._prepare(op, self._results)
                self._early[op.idempotency_key] = (pdf, self._file(pdf.p.document, pdf.version))
            except Exception:  # noqa: S110  # tried again when its batch goes, failing in words there
                pass
            return Waiting.DID_ONE
        return Waiting.NOT_YET

    def _side(self) -> OnecSide:
        if self.onec is None:
            raise WriteError(tr("the seller's bank account is not known to this writer"))
        return self.onec

    def _seller_and_bank(self) -> tuple[Party, BankAccount]:
        if self._seller is None:
            self._seller = self._side().seller()
        return self._seller

    def attach(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        outcome = self.attach_many([op], results)[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def attach_many(self, ops: list[Operation], results: Mapping[str, Applied]) -> list[Outcome]:
        """Many PDFs: the timelines that may hold one already read 50 to a batch request,
        the comments added several to a batch request; one outcome each (a refused one
        fails alone)."""
        out: dict[int, Outcome] = {}
        ready: dict[int, _Pdf] = {}
        rendered: dict[int, tuple[str, bytes]] = {}
        gone: SyncError | None = None  # 1C did not answer: the batch's next reads would not
        for n, op in enumerate(ops):
            early = self._early.pop(op.idempotency_key, None)
            if early is not None:
                ready[n], rendered[n] = early
                continue
            if gone is not None:
                out[n] = gone
                continue
            try:
                ready[n] = self._prepare(op, results)
            except SyncError as exc:
                out[n] = exc
                gone = exc if may_pass(exc) else None
        asked = [pdf.crm_id for pdf in ready.values() if pdf.look_up and pdf.crm_id]
        texts = self.crm.timeline.texts_of(asked) if asked else {}
        for n, pdf in list(ready.items()):
            seen = texts.get(pdf.crm_id, [])
            if isinstance(seen, Exception):
                out[n] = seen
            elif pdf.look_up and any(t in text for text in seen for t in pdf.tags()):
                out[n] = self._applied(ops[n], pdf.p, pdf.source, "", pdf.crm_id, relinked=True)
            else:
                continue
            del ready[n]
        mine = {op.idempotency_key for op in ops}  # rendered ahead in the look-ups' wait, or now
        self._todo = deque(op for op in self._todo if op.idempotency_key not in mine)
        comments: dict[int, tuple[int, str, list[tuple[str, bytes]]]] = {}
        for n, pdf in ready.items():
            try:
                file = (
                    rendered.get(n)
                    or self._early_file(pdf)
                    or self._file(pdf.p.document, pdf.version)
                )
                comments[n] = (pdf.crm_id, pdf.text, [file])
            except SyncError as exc:
                out[n] = exc
        for key in mine:  # a PDF found on its timeline needs none
            self._early.pop(key, None)
        if self._todo:  # room again for the next PDFs rendered ahead
            self.crm.while_waiting(self._prepare_one_ahead)
        self._sending = True
        try:
            made = self.crm.timeline.add_comments(list(comments.values())) if comments else []
        finally:
            self._sending = False
        # The request's bodies, megabytes of Base64 each time, freed to the system: the C
        # library kept them for the next batch's and held more each time (issue 18).
        give_back()
        for (n, (_id, _text, files)), m in zip(comments.items(), made, strict=True):
            pdf = ready[n]
            out[n] = (
                _refused(m, files[0][1])
                if isinstance(m, Exception)
                else self._applied(ops[n], pdf.p, pdf.source, str(m), pdf.crm_id, relinked=False)
            )
        return [out[n] for n in range(len(ops))]

    def _prepare(self, op: Operation, results: Mapping[str, Applied]) -> _Pdf:
        """What the comment will be; whether its timeline may hold it already: only an
        invoice made in this run (not found) has a timeline no attempt could have
        written to (docs/decisions/exactly-once-creates.md)."""
        p = op.payload
        assert isinstance(p, InvoicePdf)
        crm_id = p.crm_id
        made = results.get(p.from_op) if p.from_op else None
        if not crm_id and p.from_op:
            if made is None or not made.target_id.isdigit():
                raise WriteError(tr("the invoice was not created in the CRM"))
            crm_id = int(made.target_id)
        ref = op.source_id.rpartition("/")[0]
        if not p.document.number:  # made in 1C in this run: 1C's number and rows
            ref, p = self._made_in_onec(p, results)
        version = digest(p.document)
        key = op.idempotency_key
        text = f"{comment_text(p)} {marker(key)} {version_tag(version)}"
        fresh = made is not None and not made.result.get(FOUND)
        return _Pdf(p, crm_id, key, version, f"{ref}/{version}", text, look_up=not fresh)

    def _early_file(self, pdf: _Pdf) -> tuple[str, bytes] | None:
        early = self._early.pop(pdf.key, None)
        return early[1] if early is not None and early[0].version == pdf.version else None

    def _file(self, document: PrintableInvoice, version: str) -> tuple[str, bytes]:
        seller, bank = self._seller_and_bank()
        doc = dataclasses.replace(document, seller=seller, bank=bank)
        try:
            data = render_invoice_pdf(doc)
        except PrintingError as exc:
            raise WriteError(str(exc)) from None
        return file_name(doc.number, f"{doc.date:%d.%m.%Y}", version), data

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
