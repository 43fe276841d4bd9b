"""The journal export as an Excel workbook, written by XlsxWriter.

One sheet: a bold header row, then text and numbers (Decimal and int become
numbers, everything else text). XlsxWriter escapes what XML cannot hold (control
characters such as ``\\x0b`` that error texts from the systems can carry), so
Excel and LibreOffice always open the file; see docs/decisions/cli-progress-and-export.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

import xlsxwriter

_SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def write_xlsx(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], sheet: str = "Journal"
) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    try:
        ws = workbook.add_worksheet(sheet.translate(_SHEET_NAME_FORBIDDEN)[:31] or "Sheet1")
        bold = workbook.add_format({"bold": True})
        widths = [len(h) for h in header]
        for c, title in enumerate(header):
            ws.write_string(0, c, title, bold)
        r = 0
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values):
                if value is None or value == "":
                    continue
                if isinstance(value, bool):
                    ws.write_string(r, c, str(value))
                elif isinstance(value, int | Decimal):
                    ws.write_number(r, c, float(value) if isinstance(value, Decimal) else value)
                else:
                    text = str(value)
                    ws.write_string(r, c, text)
                    if c < len(widths):
                        widths[c] = max(widths[c], min(len(text), 60))
        for c, width in enumerate(widths):
            ws.set_column(c, c, width + 2)
        ws.freeze_panes(1, 0)
        if r:
            ws.autofilter(0, 0, r, max(len(header) - 1, 0))
    finally:
        workbook.close()
