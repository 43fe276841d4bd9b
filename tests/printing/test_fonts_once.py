"""DejaVu is parsed once per process (printing/fonts.py), and every document still
embeds its own correct subset: what one invoice printed never leaks into the next."""

from __future__ import annotations

import pytest
from fpdf import fonts

from desktop_sync.printing import render_invoice_pdf

from .pdf_reading import pdf_text
from .test_invoice_pdf import BUYER, invoice


def test_the_fonts_are_parsed_once_for_many_invoices(monkeypatch: pytest.MonkeyPatch) -> None:
    render_invoice_pdf(invoice())  # the process's first invoice parses them
    parsed = 0
    original = fonts.TTFFont.__init__

    def counting(self: fonts.TTFFont, *args: object, **kwargs: object) -> None:
        nonlocal parsed
        parsed += 1
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fonts.TTFFont, "__init__", counting)
    for number in ("1", "2", "3"):
        render_invoice_pdf(invoice(number=number))
    assert parsed == 0


def test_each_invoice_embeds_its_own_characters() -> None:
    plain = invoice()
    first = render_invoice_pdf(plain)
    other = invoice(buyer=BUYER.__class__("Ωmega Ltd ÆØÅ", "5001007322", "500101001"))
    text = pdf_text(render_invoice_pdf(other))
    assert "Ωmega Ltd ÆØÅ" in text
    assert render_invoice_pdf(plain) == first  # the same bytes as before the other one
    assert "Ωmega" not in pdf_text(first)
