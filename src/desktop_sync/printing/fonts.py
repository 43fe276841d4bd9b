"""DejaVu Sans parsed once per process, for every invoice printed.

fpdf2's ``add_font`` parses the TrueType file with fontTools: the character map, every
glyph's width, the glyph table. For the two faces that is about 45 ms of CPU and several
MB of objects per document, and the sync prints a thousand invoices in a run. What
``add_font`` builds from the file (``TTFFont``: widths, glyph ids, character map, font
descriptor) is the same for every document, so it is built once here. Each document
gets a copy that shares those read-only tables, as fpdf2 itself shares them between a
document and its recorder copies (``TTFFont.__deepcopy__``), and has its own:

- the subset map: which characters this document uses, in which order;
- the fontTools font that ``output()`` subsets *in place*, opened lazily from the file's
  bytes, so a document parses only the tables its subset reads, and nothing of it
  outlives the document.

An invoice is written in DejaVu's *common part* (``_COMMON``: 783 of its 6,000
glyphs), shipped beside each face as ``<face>-common.ttf`` and made from it by
``common_part`` (``python -m desktop_sync.printing.fonts`` writes them again; a test
checks they hold exactly those glyphs, at the same widths). The whole face is parsed
only for a document that uses a glyph outside it (a Greek or Armenian name): the
invoice is laid out again in it (``render_invoice_pdf``). Parsing the whole faces
instead held about 8 MB more for the rest of the sync (issue 18: the large set's first
sync prints 1,147 invoices, and its peak was there; docs/decisions/printable-invoice.md).
"""

from __future__ import annotations

import copy
import io
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fontTools import subset, ttLib  # type: ignore[import-untyped]  # no type information

from desktop_sync.printing.pdflib import FPDF, SubsetMap, TTFFont

# What an invoice is written in: Latin with its extensions A, Cyrillic, punctuation,
# the currency signs (₽) and the letter-like symbols (№).
COMMON = ((0x20, 0x17F), (0x400, 0x4FF), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F))
# The tables fpdf2 drops from every subset it embeds (fpdf/output.py) that DejaVu has.
_DROPPED = ["FFTM", "GDEF", "GPOS", "GSUB", "MATH"]


@dataclass(frozen=True)
class _Face:
    template: TTFFont  # as add_font builds it
    data: bytes  # the file each document's subset is made from


_lock = threading.Lock()
_faces: dict[tuple[str, str, Path, bool], _Face] = {}


def common_path(path: Path) -> Path:
    """Where the common part of the face at ``path`` is shipped."""
    return path.with_name(f"{path.stem}-common{path.suffix}")


def common_part(whole: bytes) -> bytes:
    """The face's glyphs of ``COMMON``, their names kept, without TrueType hinting: the
    glyphs' instructions for a screen's pixel grid, which PDF viewers render without
    (pdf.js, PDFium, Preview and Acrobat rasterise outlines of their own) and a printer
    has no use for. Every PDF was 29 % smaller without them (36.7 -> 26.0 KB), at the same
    CPU: the bytes rendered ahead and sent 50 to a batch (issue 18; printable-invoice.md)."""
    font = _opened(whole)
    options = subset.Options(
        notdef_outline=True, recommended_glyphs=True, glyph_names=True, hinting=False
    )
    options.drop_tables += _DROPPED
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for first, last in COMMON for c in range(first, last + 1)])
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _face(family: str, style: str, path: Path, whole: bool) -> _Face:
    """The face (its common part unless ``whole``), parsed on first use."""
    key = (family, style, path, whole)
    with _lock:
        found = _faces.get(key)
        if found is None:
            common = common_path(path)
            source = common if not whole and common.exists() else path  # (not shipped: all)
            scratch = FPDF()
            scratch.add_font(family, style, str(source))
            font = scratch.fonts[f"{family.lower()}{style}"]
            assert isinstance(font, TTFFont)
            font.close()  # its file, and the tables add_font parsed
            found = _faces[key] = _Face(font, source.read_bytes())
        return found


def _opened(data: bytes) -> Any:
    """The face for one document's subset. Its glyphs' bounds are the file's, not worked
    out again: a subset keeps each glyph's outline as it is, and recomputing the bounds
    decoded and re-encoded every glyph kept, a third of a PDF's output time (issue 18)."""
    return ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False, lazy=True)


def add_font(pdf: FPDF, family: str, style: str, path: Path, *, whole: bool = False) -> None:
    """``pdf.add_font(family, style, path)``, the parsing done once per process: the
    face's common part, or all of it when ``whole``."""
    face = _face(family, style, path, whole)
    font = copy.copy(face.template)
    font.i = len(pdf.fonts) + 1
    font.ttfont = _opened(face.data)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font


def lacks_glyphs(pdf: FPDF) -> bool:
    """A character laid out that the document's fonts do not have."""
    return any(isinstance(f, TTFFont) and f.missing_glyphs for f in pdf.fonts.values())


def _write_common_parts(folder: Path) -> None:
    for path in sorted(folder.glob("*.ttf")):
        if not path.stem.endswith("-common"):
            common_path(path).write_bytes(common_part(path.read_bytes()))
            print(common_path(path))


if __name__ == "__main__":  # the shipped common parts, made again (a fontTools update)
    _write_common_parts(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("resources/fonts"))
