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
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fontTools import subset, ttLib  # type: ignore[import-untyped]  # no type information

from desktop_sync.printing.pdflib import FPDF, SubsetMap, TTFFont

# What an invoice is written in: Latin with its extensions A, Cyrillic, punctuation,
# the currency signs (₽) and the letter-like symbols (№). About 900 of DejaVu's 6,000
# glyphs: the subset ``output()`` makes reads a seventh of the font.
_COMMON = ((0x20, 0x17F), (0x400, 0x4FF), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F))
# The tables fpdf2 drops from every subset it embeds (fpdf/output.py) that DejaVu has.
_DROPPED = ["FFTM", "GDEF", "GPOS", "GSUB", "MATH"]


@dataclass(frozen=True)
class _Face:
    template: TTFFont  # as add_font builds it
    whole: bytes  # the file
    common: bytes  # its glyphs of _COMMON, their names kept
    common_names: frozenset[str]


_lock = threading.Lock()
_faces: dict[tuple[str, str, Path], _Face] = {}
_added: weakref.WeakKeyDictionary[FPDF, dict[str, _Face]] = weakref.WeakKeyDictionary()


def _face(family: str, style: str, path: Path) -> _Face:
    """The face, parsed on first use."""
    key = (family, style, path)
    with _lock:
        found = _faces.get(key)
        if found is None:
            scratch = FPDF()
            scratch.add_font(family, style, str(path))
            font = scratch.fonts[f"{family.lower()}{style}"]
            assert isinstance(font, TTFFont)
            font.close()  # its file, and the tables add_font parsed
            whole = path.read_bytes()
            font.ttfont = _opened(whole)
            common, names = _common_part(whole)
            found = _faces[key] = _Face(font, whole, common, names)
        return found


def _common_part(whole: bytes) -> tuple[bytes, frozenset[str]]:
    font = _opened(whole)
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, glyph_names=True)
    options.drop_tables += _DROPPED
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for first, last in _COMMON for c in range(first, last + 1)])
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue(), frozenset(font.getGlyphOrder())


def _opened(data: bytes) -> Any:
    return ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)


def add_font(pdf: FPDF, family: str, style: str, path: Path) -> None:
    """``pdf.add_font(family, style, path)``, the parsing done once per process."""
    face = _face(family, style, path)
    font = copy.copy(face.template)
    font.i = len(pdf.fonts) + 1
    font.ttfont = _opened(face.whole)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font
    with _lock:  # the window may print an invoice while a sync prints others
        _added.setdefault(pdf, {})[font.fontkey] = face


def before_output(pdf: FPDF) -> None:
    """Right before ``pdf.output()``: each face added here is subset from its common part
    when every glyph the document uses is in it (an invoice in Russian or English), from
    the whole font otherwise (a Greek or Armenian name, say)."""
    with _lock:
        added = _added.pop(pdf, {})
    for key, face in added.items():
        font = pdf.fonts[key]
        assert isinstance(font, TTFFont)
        if face.common_names.issuperset(font.subset.get_all_glyph_names()):
            font.ttfont = _opened(face.common)
