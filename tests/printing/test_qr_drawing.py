"""The payment QR code as drawn on the page: fewer rectangles, the same code."""

from __future__ import annotations

from desktop_sync.printing import gost_payload, render_invoice_pdf
from desktop_sync.printing.invoice import dark_rectangles
from desktop_sync.printing.qr import qr_code

from .pdf_reading import _filled_rects, decoded_qr
from .test_invoice_pdf import invoice


def _rows(payload: str) -> list[list[int]]:
    return [list(row) for row in qr_code(payload).matrix_iter(scale=1, border=4)]


def _row_runs(rows: list[list[int]]) -> int:
    return sum(
        sum(1 for c, dark in enumerate(row) if dark and (c == 0 or not row[c - 1])) for row in rows
    )


def test_the_rectangles_cover_each_dark_module_once() -> None:
    rows = _rows(gost_payload(invoice()))
    painted = [[0] * len(rows[0]) for _ in rows]
    for col, row, width, height in dark_rectangles(rows):
        for r in range(row, row + height):
            for c in range(col, col + width):
                painted[r][c] += 1
    assert painted == rows


def test_the_code_is_drawn_with_fewer_rectangles_than_runs_and_reads_the_same() -> None:
    """A run of dark modules repeated in the rows below is one rectangle: each is a call
    of fpdf2 and an operator in the page (issue 18: the drawing was 13 % of a PDF)."""
    inv = invoice()
    data = render_invoice_pdf(inv)
    runs = _row_runs(_rows(gost_payload(inv)))
    assert len(_filled_rects(data)) < 0.95 * runs
    assert decoded_qr(data) == gost_payload(inv)


def test_a_single_row_and_an_empty_one() -> None:
    assert dark_rectangles([[1, 1, 0, 1]]) == [(0, 0, 2, 1), (3, 0, 1, 1)]
    assert dark_rectangles([[0, 0], [0, 0]]) == []
    assert sorted(dark_rectangles([[1, 0], [1, 0], [0, 1]])) == [(0, 0, 1, 2), (1, 2, 1, 1)]
