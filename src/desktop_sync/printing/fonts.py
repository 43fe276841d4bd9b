"""DejaVu Sans parsed once per process, for every invoice printed.

fpdf2's ``add_font`` parses the TrueType file with fontTools: the character map, every
glyph's width, the glyph table. For the two faces that is about 45 ms of CPU and several
MB of objects per document, and the sync prints a hundred invoices in a run. What
``add_font`` builds from the file (``TTFFont``: widths, glyph ids, character map, font
descriptor) is the same for every document, so it is built once here. Each document
gets a copy that shares those read-only tables, as fpdf2 itself shares them between a
document and its recorder copies (``TTFFont.__deepcopy__``), and has its own:

- the subset map: which characters this document uses, in which order;
- the fontTools font that ``output()`` subsets *in place*, opened lazily from the file's
  bytes, so a document parses only the tables its subset reads, and nothing of it
  outlives the document.
"""

from __future__ import annotations

import copy
import io
import threading
from pathlib import Path
from typing import Any

from fontTools import ttLib  # type: ignore[import-untyped]  # no type information shipped
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

_lock = threading.Lock()
_parsed: dict[tuple[str, str, Path], tuple[TTFFont, bytes]] = {}


def _template(family: str, style: str, path: Path) -> tuple[TTFFont, bytes]:
    """The face as ``add_font`` builds it, with the file's bytes; parsed on first use."""
    key = (family, style, path)
    with _lock:
        found = _parsed.get(key)
        if found is None:
            scratch = FPDF()
            scratch.add_font(family, style, str(path))
            font = scratch.fonts[f"{family.lower()}{style}"]
            assert isinstance(font, TTFFont)
            data = path.read_bytes()
            font.close()  # its file, and the tables add_font parsed
            font.ttfont = _opened(data)
            found = _parsed[key] = (font, data)
        return found


def _opened(data: bytes) -> Any:
    return ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)


def add_font(pdf: FPDF, family: str, style: str, path: Path) -> None:
    """``pdf.add_font(family, style, path)``, the parsing done once per process."""
    template, data = _template(family, style, path)
    font = copy.copy(template)
    font.i = len(pdf.fonts) + 1
    font.ttfont = _opened(data)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font
