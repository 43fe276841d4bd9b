"""fpdf2, loaded without what it would use for raster images and signatures.

fpdf2 imports, when they are installed, Pillow and numpy (for raster images) and
cryptography's PKCS#12 (for signing a PDF). An invoice has neither: its QR code is drawn
as rectangles. The frozen build leaves Pillow and numpy out; where they are installed
(numpy comes with matplotlib) the three were 20 MB of the sync process's memory for
nothing, cryptography 7.6 of them (issue 18). fpdf2 takes each as optional and prints the
same invoice without them, so they are refused to it while it loads; a library already
imported, or imported by anything else (another thread), is not touched.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

UNUSED = frozenset({"PIL", "numpy", "cryptography"})


class _NotForFpdf:
    """A finder refusing ``UNUSED`` to the thread loading fpdf2, while it loads."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        top = name.partition(".")[0]
        if top in UNUSED and top not in sys.modules and threading.get_ident() == self.thread:
            raise ModuleNotFoundError(f"{top} is not imported for fpdf2", name=name)
        return None


_refusing = _NotForFpdf()
sys.meta_path.insert(0, _refusing)
try:
    with warnings.catch_warnings():
        # Without Pillow fpdf2 warns that it cannot add raster images: the invoice has none.
        warnings.filterwarnings(
            "ignore", message="Pillow could not be imported", category=UserWarning
        )
        from fpdf import FPDF
        from fpdf.enums import RenderStyle, XPos, YPos
        from fpdf.fonts import FontFace, SubsetMap, TTFFont
finally:
    sys.meta_path.remove(_refusing)

__all__ = ["FPDF", "FontFace", "RenderStyle", "SubsetMap", "TTFFont", "XPos", "YPos"]
