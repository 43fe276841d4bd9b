"""F11 in the sync: every linked invoice gets its printed form (PDF) on the CRM
invoice's timeline once per version, through the real clients and both sandboxes.

A changed 1C invoice gets one new PDF whose comment says what changed; an unchanged
one never a second; a lost answer is found by the key in the comment, not repeated;
the profile's switch turns it off.
"""

from __future__ import annotations

import copy
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop_sync.engine.model import Flow
from desktop_sync.engine.ops import InvoiceCreate
from desktop_sync.sandbox.dataset import ORGANIZATION_INN

from ..printing.pdf_reading import pdf_text
from .conftest import World, converge, make_world, only_pdfs_left, set_profile
from .test_issued_invoices import crm_of, edit_quantity, issue, issued_world, onec_invoice, sync

__all__ = ["issued_world"]  # the fixture, imported for pytest

PDF_ENTITY = "invoice_pdf"


def _pdf_comments(world: World) -> dict[int, list[dict[str, Any]]]:
    """Per CRM invoice: its timeline comments that carry a file."""
    st = world.crm.store
    with st.lock:
        rows = [dict(r) for r in st.comments.rows.values()]
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        if r.get("FILES") and r.get("ENTITY_TYPE") == "dynamic_31":
            out.setdefault(int(r["ENTITY_ID"]), []).append(r)
    return out


def _file(world: World, comment: dict[str, Any]) -> tuple[str, bytes]:
    (file_id,) = [int(k) for k in comment["FILES"]]
    return world.crm.store.files[file_id]


def _double_first_row(world: World, ref: str) -> None:
    """The accountant doubles the first row's quantity in 1C (sums follow)."""
    story = world.story
    doc = story.invoice(ref)
    rows = copy.deepcopy(doc["Товары"])
    first = rows[0]
    added = Decimal(0)
    for name in ("Количество", "КоличествоУпаковок", "Сумма", "СуммаНДС", "СуммаСНДС"):
        if isinstance(first.get(name), Decimal | int):
            if name in ("СуммаСНДС",) or (name == "Сумма" and "СуммаСНДС" not in first):
                added = Decimal(first[name])
            first[name] = Decimal(first[name]) * 2
    total = Decimal(doc["СуммаДокумента"]) + added
    world.onec.edit(story.invoices, ref, Товары=rows, СуммаДокумента=total)


def test_one_pdf_per_linked_invoice_and_one_more_per_change(world: World) -> None:
    converge(world)
    with world.service() as svc:
        links = {lk.onec_ref: int(lk.crm_id or 0) for lk in svc.journal.links("invoice")}
        pdf_links = svc.journal.links(PDF_ENTITY)
    comments = _pdf_comments(world)
    assert links, "the story links invoices"
    assert len(pdf_links) == len(links)
    assert sorted(comments) == sorted(links.values())
    assert all(len(c) == 1 for c in comments.values())
    crm_id = sorted(links.values())[0]
    ref = next(r for r, c in links.items() if c == crm_id)
    name, data = _file(world, comments[crm_id][0])
    assert name.startswith("Счёт_") and name.endswith(".pdf")
    text = pdf_text(data)
    assert "Счёт на оплату" in text and ORGANIZATION_INN in text
    assert "[desktop-sync:" in comments[crm_id][0]["COMMENT"]

    assert ref
    _double_first_row(world, ref)
    converge(world)
    after = _pdf_comments(world)
    assert len(after[crm_id]) == 2
    newest = max(after[crm_id], key=lambda c: int(c["ID"]))
    assert "Счёт изменён" in newest["COMMENT"] or "The invoice changed" in newest["COMMENT"]
    assert {k: len(v) for k, v in after.items() if k != crm_id} == {
        k: 1 for k in comments if k != crm_id
    }


def test_a_lost_answer_is_found_by_its_key_not_repeated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gen = make_world(tmp_path, monkeypatch, crm_faults="drop:1@crm.timeline.comment.add")
    world = next(gen)
    try:
        with world.service() as svc:
            summary, plan = svc.run()
        pdf_ops = [op for op in plan.operations if op.flow is Flow.F11]
        if not pdf_ops:  # the first run links; the PDFs follow on the next
            with world.service() as svc:
                summary, plan = svc.run()
            pdf_ops = [op for op in plan.operations if op.flow is Flow.F11]
        assert pdf_ops
        assert summary.per_flow[Flow.F11.value].get("failed", 0) == 0
        counts = Counter({k: len(v) for k, v in _pdf_comments(world).items()})
        assert counts and max(counts.values()) == 1
    finally:
        gen.close()


@pytest.mark.parametrize("configuration", ["bp30"])
def test_switched_off_in_the_profile(world: World) -> None:
    set_profile(world, ("print.invoice_pdf", "off"))
    converge(world)
    assert _pdf_comments(world) == {}


def test_issued_in_1c_gets_its_pdf_in_the_same_run_and_one_more_per_change(
    issued_world: World,
) -> None:
    """F8 and F11 together: the invoice made in the CRM from 1C gets its PDF in that run;
    the next run plans nothing; a changed 1C invoice gets exactly one more."""
    world = issued_world
    sync(world)
    ref = issue(world, 13)
    plan = sync(world)
    pdf_ops = [op for op in plan.operations if op.flow is Flow.F11 and ref in op.source_id]
    assert len(pdf_ops) == 1 and pdf_ops[0].depends_on == (f"F8:create_crm:{ref}",)
    (made,) = crm_of(world, ref)
    assert made.invoice.crm_id is not None
    assert len(_pdf_comments(world)[made.invoice.crm_id]) == 1
    assert sync(world).operations == ()
    edit_quantity(world, ref, 0, 5)
    sync(world)
    converge(world)
    comments = _pdf_comments(world)[made.invoice.crm_id]
    assert len(comments) == 2
    (_name, data) = _file(world, max(comments, key=lambda c: int(c["ID"])))
    assert onec_invoice(world, ref).number in pdf_text(data)


@pytest.mark.parametrize("configuration", ["bp30"])
def test_a_pdf_over_the_portals_limit_waits_in_the_inbox_naming_the_invoice(world: World) -> None:
    only_pdfs_left(world)
    world.crm.portal.max_body = 16 * 1024  # a PDF is some 40 KB, in Base64 more
    with world.service() as svc:
        summary, _plan = svc.run()
        items = [i for i in svc.inbox() if i.flow == "F11"]
    assert summary.per_flow["F11"].get("failed", 0) >= 1
    assert items and "KB" in items[0].message and items[0].record_label
    assert _pdf_comments(world) == {}


@pytest.mark.usefixtures("payloads_kept")
def test_an_invoice_made_in_1c_this_run_prints_its_products_names(world: World) -> None:
    """The apply keeps of 1C's catalog only the products of the invoices it makes in
    1C (issue 18); each such invoice, read back for its PDF, still names every row."""
    plan = world.sync()[1]
    made = [op for op in plan.operations if isinstance(op.payload, InvoiceCreate)]
    assert made, "the story has CRM invoices for 1C to make"
    links = {lk.onec_ref: int(lk.crm_id or 0) for lk in _links(world)}
    comments = _pdf_comments(world)
    for op in made:
        assert isinstance(op.payload, InvoiceCreate)
        crm_id = int(op.payload.crm_id)
        assert crm_id in links.values() and len(comments[crm_id]) == 1, op.reason
        text = " ".join(pdf_text(_file(world, comments[crm_id][0])[1]).split())
        for line in op.payload.invoice.lines:
            assert " ".join(line.product_name.split()) in text, (op.reason, line.product_name)


def _links(world: World) -> list[Any]:
    with world.service() as svc:
        return list(svc.journal.links("invoice"))
