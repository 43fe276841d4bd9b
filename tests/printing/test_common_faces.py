"""The faces' common parts shipped in resources/fonts (printing/fonts.py): each holds
exactly DejaVu's glyphs of the characters an invoice is written in, at the widths the
whole face gives them, so an invoice laid out in it looks as in the whole face."""

from __future__ import annotations

import io

import pytest
from fontTools import ttLib  # type: ignore[import-untyped]

from desktop_sync.i18n import resources_dir
from desktop_sync.printing.fonts import COMMON, common_path

FACES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"]


def _font(data: bytes) -> ttLib.TTFont:
    return ttLib.TTFont(io.BytesIO(data))


@pytest.mark.parametrize("face", FACES)
def test_the_common_part_holds_the_common_characters_at_the_same_widths(face: str) -> None:
    path = resources_dir() / "fonts" / face
    whole, part = _font(path.read_bytes()), _font(common_path(path).read_bytes())
    wanted = {c for first, last in COMMON for c in range(first, last + 1)}
    whole_map = {c: g for c, g in whole.getBestCmap().items() if c in wanted}
    part_map = part.getBestCmap()
    assert part_map == whole_map  # the same characters, by the same glyph names
    assert {ord("Ж"), ord("ё"), ord("₽"), ord("№"), ord("«"), ord("’")} <= part_map.keys()
    for name in set(part_map.values()):
        assert part["hmtx"][name] == whole["hmtx"][name], name
    assert part["head"].unitsPerEm == whole["head"].unitsPerEm


def _embedded_faces(data: bytes) -> dict[str, ttLib.TTFont]:
    """The fonts a PDF embeds, by their names without the subset's prefix."""
    from pypdf import PdfReader

    out = {}
    for font in PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"].values():
        desc = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        name = str(desc["/FontName"]).partition("+")[2]
        out[name] = _font(desc["/FontFile2"].get_object().get_data())
    return out


def test_an_invoice_embeds_the_faces_glyphs_with_their_own_outlines_and_bounds() -> None:
    """The documents' subsets keep each glyph as the face has it; its bounds are not
    worked out again (printing/fonts._opened), so they must be the face's own."""
    from desktop_sync.printing import render_invoice_pdf

    from .test_invoice_pdf import invoice

    faces = _embedded_faces(render_invoice_pdf(invoice(number="ЖЁ-№ 7«’»")))
    assert len(faces) == 2
    for name, embedded in faces.items():
        face = "DejaVuSans-Bold.ttf" if "Bold" in name else "DejaVuSans.ttf"
        part = _font(common_path(resources_dir() / "fonts" / face).read_bytes())
        glyphs, theirs = embedded["glyf"], part["glyf"]
        chars = embedded.getBestCmap()  # the subset's glyphs have no names: by character
        assert {ord("Ж"), ord("Ё"), ord("№"), ord("«"), ord("’")} <= chars.keys()
        for c, n in chars.items():
            mine, own = glyphs[n], theirs[part.getBestCmap()[c]]
            mine.expand(glyphs), own.expand(theirs)
            assert mine.getCoordinates(glyphs)[0] == own.getCoordinates(theirs)[0], chr(c)
            bounds = ("xMin", "yMin", "xMax", "yMax")
            assert [getattr(mine, b, 0) for b in bounds] == [getattr(own, b, 0) for b in bounds]


@pytest.mark.parametrize("face", FACES)
def test_the_common_part_and_an_invoices_fonts_carry_no_hinting(face: str) -> None:
    """The glyphs' instructions for a screen's pixel grid are not shipped: PDF viewers
    rasterise without them and every PDF is about 29 % smaller (printing/fonts.py)."""
    from desktop_sync.printing import render_invoice_pdf

    from .test_invoice_pdf import invoice

    part = _font(common_path(resources_dir() / "fonts" / face).read_bytes())
    embedded = _embedded_faces(render_invoice_pdf(invoice(number="7")))
    for font in (part, *embedded.values()):
        assert not {"fpgm", "prep", "cvt ", "hdmx", "LTSH", "VDMX"} & set(font.keys())
        glyphs = font["glyf"]
        assert all(
            not getattr(glyphs[name], "program", None) or not glyphs[name].program.getBytecode()
            for name in font.getGlyphOrder()
        )
