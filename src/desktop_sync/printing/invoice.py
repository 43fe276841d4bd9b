"""The invoice «Счёт на оплату» as a one-page PDF, in the layout 1C prints.

From top to bottom, as 1C:Бухгалтерия and 1C:Управление торговлей print it: the
payee's bank details in a ruled block (bank, БИК, correspondent account, ИНН, КПП,
account, payee) with the payment QR code beside it, the title «Счёт на оплату № … от …»,
«Поставщик» and «Покупатель» with their requisites, the rows, «Итого», «В том числе
НДС» per rate (or «Без налога (НДС)»), «Всего к оплате», «Всего наименований N, на
сумму …», the total in words with kopecks, the payment purpose and the signature lines.

The words on the form are Russian whatever the window's language: the document goes to
a Russian buyer and its bank, so they are fixed text here, not interface strings.

Libraries, none of it hand-written (docs/decisions/printable-invoice.md): fpdf2 draws the
PDF with DejaVu Sans embedded (``resources/fonts``); the data, its figures and the sum in
words (num2words) are in :mod:`.data`, the QR code (segno) in :mod:`.qr`. This module is
the layout only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from desktop_sync.i18n import resources_dir
from desktop_sync.printing.data import (
    Party,
    PrintableInvoice,
    PrintingError,
    amount_in_words,
    money_text,
    quantity_text,
    rate_text,
)
from desktop_sync.printing.fonts import add_font, lacks_glyphs
from desktop_sync.printing.pdflib import FPDF, FontFace, RenderStyle, XPos, YPos
from desktop_sync.printing.qr import digits, gost_payload, qr_code


@cache
def _font_dir() -> Path:
    return resources_dir() / "fonts"


_FONT = "DejaVu"
_LINE = 0.2  # ruled lines, mm
_THICK = 0.6


def render_invoice_pdf(invoice: PrintableInvoice) -> bytes:
    """The whole invoice as PDF bytes (A4 portrait, one page for up to ~25 rows)."""
    if not invoice.rows:
        raise PrintingError(f"{invoice.title}: в счёте нет строк")
    pdf = _laid_out(invoice, whole=False)
    if lacks_glyphs(pdf):  # a Greek or Armenian name, say: in DejaVu's whole faces
        pdf = _laid_out(invoice, whole=True)
    return bytes(pdf.output())


def _laid_out(invoice: PrintableInvoice, *, whole: bool) -> FPDF:
    payload = gost_payload(invoice)
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(invoice.title)
    pdf.set_author(invoice.seller.name)
    pdf.set_creator("desktop-sync")
    pdf.set_creation_date(dt.datetime.combine(invoice.date, dt.time(), tzinfo=dt.UTC))
    add_font(pdf, _FONT, "", _font_dir() / "DejaVuSans.ttf", whole=whole)
    add_font(pdf, _FONT, "B", _font_dir() / "DejaVuSans-Bold.ttf", whole=whole)
    pdf.set_margins(15, 12, 12)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    _bank_block(pdf, invoice, payload)
    _title(pdf, invoice)
    _parties(pdf, invoice)
    _rows(pdf, invoice)
    _totals(pdf, invoice)
    _signatures(pdf, invoice)
    return pdf


def _bank_block(pdf: FPDF, inv: PrintableInvoice, payload: str) -> None:
    """The ruled block of the payee's bank details, the QR code at its right."""
    pdf.set_draw_color(0)
    pdf.set_line_width(_LINE)
    x0, y0 = pdf.l_margin, pdf.get_y()
    qr_size = 38.0
    width = pdf.w - pdf.l_margin - pdf.r_margin - qr_size - 3
    c1 = width * 0.58  # bank / payee
    c2 = width * 0.11  # «БИК», «Сч. №»
    c3 = width - c1 - c2
    half = c1 / 2
    h = 5.0
    bank = inv.bank
    pdf.set_font(_FONT, "", 9)
    # Rows 1-2: the bank (two lines) | БИК / Сч. № | bic / correspondent account
    pdf.rect(x0, y0, c1, 2 * h)
    pdf.set_xy(x0 + 1, y0 + 0.5)
    bank_line = bank.bank_name + (f", {bank.bank_city}" if bank.bank_city else "")
    pdf.multi_cell(c1 - 2, 4, bank_line, new_x=XPos.LMARGIN, new_y=YPos.NEXT, max_line_height=4)
    pdf.set_font(_FONT, "", 7)
    pdf.set_xy(x0 + 1, y0 + 2 * h - 3.5)
    pdf.cell(c1 - 2, 3, "Банк получателя")
    pdf.set_font(_FONT, "", 9)
    pdf.rect(x0 + c1, y0, c2, h)
    pdf.rect(x0 + c1, y0 + h, c2, h)
    pdf.rect(x0 + c1 + c2, y0, c3, h)
    pdf.rect(x0 + c1 + c2, y0 + h, c3, h)
    pdf.set_xy(x0 + c1, y0)
    pdf.cell(c2, h, " БИК")
    pdf.cell(c3, h, " " + digits(bank.bic))
    pdf.set_xy(x0 + c1, y0 + h)
    pdf.cell(c2, h, " Сч. №")
    pdf.cell(c3, h, " " + digits(bank.correspondent_account))
    # Row 3: ИНН | КПП | Сч. № | account
    y = y0 + 2 * h
    pdf.rect(x0, y, half, h)
    pdf.rect(x0 + half, y, half, h)
    pdf.set_xy(x0, y)
    pdf.cell(half, h, f" ИНН {digits(inv.seller.inn)}")
    pdf.cell(half, h, f" КПП {digits(inv.seller.kpp)}")
    # Rows 3-5: the payee (three lines) | Сч. № | account
    pdf.rect(x0, y + h, c1, 2 * h)
    pdf.set_xy(x0 + 1, y + h + 0.5)
    pdf.multi_cell(c1 - 2, 4, inv.seller.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, "", 7)
    pdf.set_xy(x0 + 1, y + 3 * h - 3.5)
    pdf.cell(c1 - 2, 3, "Получатель")
    pdf.set_font(_FONT, "", 9)
    pdf.rect(x0 + c1, y, c2, 3 * h)
    pdf.rect(x0 + c1 + c2, y, c3, 3 * h)
    pdf.set_xy(x0 + c1, y)
    pdf.cell(c2, h, " Сч. №")
    pdf.cell(c3, h, " " + digits(bank.account))
    # The QR code, to the right of the block, and what it is for.
    qr_x = pdf.w - pdf.r_margin - qr_size
    _draw_qr(pdf, payload, qr_x, y0 - 2, qr_size)
    pdf.set_font(_FONT, "", 6)
    pdf.set_xy(qr_x, y0 - 2 + qr_size - 1)
    pdf.cell(qr_size, 3, "QR-код для оплаты", align="C")
    pdf.set_xy(x0, max(y + 3 * h, y0 + qr_size + 1) + 4)


def _draw_qr(pdf: FPDF, payload: str, x: float, y: float, size: float) -> None:
    """The QR code as filled rectangles: sharp at any printer's resolution, and no raster
    image (so no imaging library) in the PDF. Each rectangle is a run of dark modules in
    a row, stacked over the rows below that have the same run (``dark_rectangles``):
    about 10 % fewer than one a row's run, each a call of fpdf2 (issue 18). The
    standard's quiet zone of four modules is inside ``size``."""
    qr = qr_code(payload)
    width, _ = qr.symbol_size(scale=1, border=_QUIET)
    module = size / width
    pdf.set_fill_color(0)
    for col, row, w, h in dark_rectangles(qr.matrix):
        left, top = x + (col + _QUIET) * module, y + (row + _QUIET) * module
        pdf.rect(left, top, w * module, h * module, RenderStyle.F)


_QUIET = 4  # modules of quiet zone around the code (ISO/IEC 18004)
_DARK = re.compile(rb"[^\x00]+")


def dark_rectangles(rows: Iterable[Iterable[int]]) -> list[tuple[int, int, int, int]]:
    """``(column, row, width, height)`` in modules, covering each dark module once: each
    run of dark modules in a row (non-zero), with the same run in the rows just below
    it; top to bottom, left to right."""
    out: list[tuple[int, int, int, int]] = []
    open_runs: dict[tuple[int, int], int] = {}  # (first column, length) -> first row
    for r, row in enumerate((*rows, b"")):
        runs = dict.fromkeys((m.start(), m.end() - m.start()) for m in _DARK.finditer(bytes(row)))
        for run in [run for run in open_runs if run not in runs]:
            top = open_runs.pop(run)
            out.append((run[0], top, run[1], r - top))
        for run in runs:
            open_runs.setdefault(run, r)
    return sorted(out, key=lambda rect: (rect[1], rect[0]))


def _title(pdf: FPDF, inv: PrintableInvoice) -> None:
    pdf.set_font(_FONT, "B", 14)
    pdf.multi_cell(0, 7, inv.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    y = pdf.get_y() + 1.5
    pdf.set_line_width(_THICK)
    pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
    pdf.set_line_width(_LINE)
    pdf.set_y(y + 3)


def _requisites(party: Party) -> str:
    parts = [party.name]
    if party.inn:
        parts.append(f"ИНН {party.inn}")
    if party.kpp:
        parts.append(f"КПП {party.kpp}")
    if party.address:
        parts.append(party.address)
    return ", ".join(parts)


def _parties(pdf: FPDF, inv: PrintableInvoice) -> None:
    label_w = 32.0
    for label, party in (
        ("Поставщик\n(Исполнитель):", inv.seller),
        ("Покупатель\n(Заказчик):", inv.buyer),
    ):
        y = pdf.get_y()
        pdf.set_font(_FONT, "", 9)
        pdf.multi_cell(label_w, 4, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_font(_FONT, "B", 9)
        pdf.set_xy(pdf.l_margin + label_w, y)
        pdf.multi_cell(0, 4, _requisites(party), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(max(pdf.get_y(), y + 8) + 2)
    pdf.ln(1)


def _rows(pdf: FPDF, inv: PrintableInvoice) -> None:
    """The rows; with a discount on any row, a «Скидка» column (the row's discount sum)
    between «Цена» and «Сумма», so that Цена × Кол-во − Скидка = Сумма, as 1C prints it."""
    pdf.set_font(_FONT, "", 8.5)
    pdf.set_line_width(_LINE)
    discounts = any(row.discount for row in inv.rows)
    headings = ["№", "Товары (работы, услуги)", "Кол-во", "Ед.", "Цена", "Сумма"]
    widths = [8, 84, 17, 12, 22, 24]
    align = ["CENTER", "LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT"]
    if discounts:
        headings.insert(5, "Скидка")
        widths[1:2] = [62]  # the name gives the column its room
        widths.insert(5, 22)
        align.insert(5, "RIGHT")
    with pdf.table(
        width=pdf.w - pdf.l_margin - pdf.r_margin,
        align="LEFT",
        col_widths=tuple(widths),
        text_align=tuple(align),
        line_height=4.5,
        padding=0.8,
        first_row_as_headings=True,
        headings_style=FontFace(emphasis="BOLD", fill_color=(255, 255, 255)),
    ) as table:
        table.row(headings)
        for n, row in enumerate(inv.rows, start=1):
            cells = [
                str(n),
                row.name,
                quantity_text(row.quantity),
                row.unit,
                money_text(row.price),
                money_text(row.amount),
            ]
            if discounts:
                cells.insert(5, money_text(row.discount) if row.discount else "")
            table.row(cells)
    pdf.ln(2)


def _totals(pdf: FPDF, inv: PrintableInvoice) -> None:
    lines: list[tuple[str, str]] = [("Итого:", money_text(inv.subtotal))]
    vat = inv.vat_by_rate()
    if any(rate.percent for rate, _ in vat):
        label = "В том числе НДС" if inv.prices_include_vat else "Сумма НДС"
        for rate, amount in vat:
            if rate.percent is None:
                lines.append(("Без налога (НДС):", "-"))
            else:
                lines.append((f"{label} ({rate_text(rate)}):", money_text(amount)))
    else:
        lines.append(("Без налога (НДС):", "-"))
    lines.append(("Всего к оплате:", money_text(inv.total)))
    pdf.set_font(_FONT, "B", 9)
    value_w = 30.0
    for label, value in lines:
        pdf.cell(pdf.w - pdf.l_margin - pdf.r_margin - value_w, 5, label, align="R")
        pdf.cell(value_w, 5, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(_FONT, "", 9)
    pdf.cell(
        0,
        5,
        f"Всего наименований {len(inv.rows)}, на сумму {money_text(inv.total)} руб.",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font(_FONT, "B", 9)
    pdf.multi_cell(0, 5, amount_in_words(inv.total), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    pdf.set_font(_FONT, "", 8)
    pdf.multi_cell(
        0, 4, "Назначение платежа: " + inv.payment_purpose, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    for note in inv.notes:
        pdf.multi_cell(0, 4, note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    y = pdf.get_y() + 2
    pdf.set_line_width(_THICK)
    pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
    pdf.set_line_width(_LINE)
    pdf.set_y(y + 8)


def _signatures(pdf: FPDF, inv: PrintableInvoice) -> None:
    pdf.set_font(_FONT, "B", 9)
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    y = pdf.get_y()
    for i, (label, name) in enumerate(
        (("Руководитель", inv.director), ("Бухгалтер", inv.accountant))
    ):
        x = pdf.l_margin + i * width
        pdf.set_xy(x, y)
        pdf.cell(26, 5, label)
        pdf.set_font(_FONT, "", 9)
        line_x0, line_x1 = x + 27, x + width - 4
        pdf.line(line_x0, y + 5, line_x1, y + 5)
        if name:
            pdf.set_xy(line_x0, y)
            pdf.cell(line_x1 - line_x0, 5, name, align="R")
        pdf.set_font(_FONT, "B", 9)
    pdf.set_y(y + 10)
