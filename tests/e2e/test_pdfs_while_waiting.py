"""F11's PDFs are rendered while the portal's bucket makes a request wait (issue 18): the
writer is handed the run's operations first (``ahead``) and renders each PDF whose
invoice is ready inside the throttle's waits, not after the timelines are read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.connectors.bitrix24.throttle import RequestThrottle
from desktop_sync.connectors.bitrix24.timeline import Timeline
from desktop_sync.engine import write_crm_pdf
from desktop_sync.engine.model import Flow, Operation
from desktop_sync.engine.ops import InvoicePdf
from desktop_sync.engine.write_crm import CrmWriter

from .conftest import World, only_pdfs_left


class _Clock:
    """Stands still unless slept: a wait's work takes none of it."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def _paced_run(world: World) -> tuple[Any, Any]:
    """One run behind a bucket of one on a clock that stands still: every request after
    the first waits, and a wait's work takes none of the clock."""
    clock = _Clock()
    with world.service() as svc:
        rest = svc.crm.rest
        rest.throttle_on = True
        rest.throttle = RequestThrottle(clock.time, clock.sleep, burst=1, rate=2.0)
        return svc.run()


@pytest.mark.parametrize("configuration", ["bp30"])
def test_the_pdfs_are_rendered_while_the_bucket_makes_requests_wait(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_pdfs_left(world)
    rendered: list[int] = []
    at_look_up: list[int] = []
    render, post = write_crm_pdf.render_invoice_pdf, RestClient._post

    def counted_render(invoice: Any) -> bytes:
        rendered.append(1)
        return render(invoice)

    def noted_post(self: RestClient, method: str, body: Mapping[str, Any]) -> Any:
        commands = body.get("cmd") or {} if method == "batch" else {}
        if any(str(c).startswith("crm.timeline.comment.list") for c in commands.values()):
            at_look_up.append(len(rendered))  # as the request leaves, its wait over
        return post(self, method, body)

    monkeypatch.setattr(write_crm_pdf, "render_invoice_pdf", counted_render)
    monkeypatch.setattr(RestClient, "_post", noted_post)
    summary, plan = _paced_run(world)
    n = sum(1 for op in plan.operations if op.flow is Flow.F11)
    assert n >= 2 and summary.per_flow[Flow.F11.value].get("failed", 0) == 0
    assert len(rendered) == n  # each once: none rendered again when its batch went
    assert at_look_up and at_look_up[0] == n  # all of them before the timelines were read


@pytest.mark.parametrize("configuration", ["bp30"])
@pytest.mark.usefixtures("payloads_kept")
def test_the_pdfs_of_invoices_made_in_1c_in_the_run_are_rendered_in_the_later_waits(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first run makes its invoices in 1C after its first requests have waited: no
    PDF is ready then. The work is kept for the later waits (the write-back of the 1C
    numbers, the store documents), not dropped at the first: each PDF is rendered, its
    invoice read back from 1C, before the first comment is added, none after."""
    rendered: list[int] = []
    sent: list[tuple[set[str], int]] = []  # each CRM request's methods, PDFs rendered then
    render, post = write_crm_pdf.render_invoice_pdf, RestClient._post

    def counted_render(invoice: Any) -> bytes:
        rendered.append(1)
        return render(invoice)

    def noted_post(self: RestClient, method: str, body: Mapping[str, Any]) -> Any:
        commands = body.get("cmd") or {} if method == "batch" else {}
        methods = {str(c).partition("?")[0] for c in commands.values()} or {method}
        sent.append((methods, len(rendered)))  # as the request leaves, its wait over
        return post(self, method, body)

    monkeypatch.setattr(write_crm_pdf, "render_invoice_pdf", counted_render)
    monkeypatch.setattr(RestClient, "_post", noted_post)
    summary, plan = _paced_run(world)
    pdfs = [op for op in plan.operations if isinstance(op.payload, InvoicePdf)]
    made_in_onec = [op for op in pdfs if not op.payload.document.number]
    assert made_in_onec and summary.per_flow[Flow.F11.value].get("failed", 0) == 0
    first_add = next(n for n, (m, _) in enumerate(sent) if "crm.timeline.comment.add" in m)
    # all rendered before it leaves: in the waits before it, or (the held write-backs and
    # the comments sharing one request: no wait left between) as its batch is built
    assert sent[first_add][1] == len(pdfs), sent
    assert len(rendered) == len(pdfs)  # none again when its batch went


@pytest.mark.parametrize("configuration", ["bp30"])
def test_no_pdf_is_rendered_while_a_batch_of_comments_is_sent(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one batch's comments are sent (its bodies alive: MBs of Base64 built from its
    PDFs), the request's wait renders no more PDFs into the buffer: they wait for the
    next waits (issue 18: the large set's peak was at these batches). One PDF to a
    request and one rendered ahead here, so that PDFs are left to render as each goes."""
    only_pdfs_left(world)
    rendered: list[bool] = []
    sending = [False]
    render, add = write_crm_pdf.render_invoice_pdf, Timeline.add_comments
    size = CrmWriter.batch_size

    def counted_render(invoice: Any) -> bytes:
        rendered.append(sending[0])
        return render(invoice)

    def noted_add(self: Timeline, comments: Any) -> Any:
        sending[0] = True
        try:
            return add(self, comments)
        finally:
            sending[0] = False

    def one_pdf(self: CrmWriter, op: Operation) -> int:
        return 1 if isinstance(op.payload, InvoicePdf) else size(self, op)

    monkeypatch.setattr(write_crm_pdf, "render_invoice_pdf", counted_render)
    monkeypatch.setattr(Timeline, "add_comments", noted_add)
    monkeypatch.setattr(CrmWriter, "batch_size", one_pdf)
    monkeypatch.setattr(write_crm_pdf.PdfAttacher, "AHEAD", 1)  # room as each one goes
    summary, plan = _paced_run(world)
    n = sum(1 for op in plan.operations if op.flow is Flow.F11)
    assert n >= 2 and summary.per_flow[Flow.F11.value].get("failed", 0) == 0
    assert len(rendered) == n and not any(rendered)  # before: those after the first
