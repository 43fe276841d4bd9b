"""Reading a printed invoice back: its text (pypdf) and its QR code (zxing-cpp).

The QR code is drawn as filled rectangles (a run of dark modules, over one row or
several); here they are taken out of the page's content stream, painted into a picture,
and that picture is given to the decoder — what a phone's camera does with the printed
page.
"""

from __future__ import annotations

import io
from collections import Counter
from itertools import pairwise

import zxingcpp
from PIL import Image, ImageDraw
from pypdf import PdfReader
from pypdf.generic import ContentStream


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\u00a0", " ").split())


def _filled_rects(data: bytes) -> list[tuple[float, float, float, float]]:
    reader = PdfReader(io.BytesIO(data))
    rects = []
    for page in reader.pages:
        ops = ContentStream(page.get_contents(), reader).operations
        for (operands, op), (_, after) in pairwise(ops):
            if op == b"re" and after in (b"f", b"F"):
                x, y, w, h = (float(v) for v in operands)
                rects.append((x, min(y, y + h), abs(w), abs(h)))
    return rects


def decoded_qr(data: bytes, px: int = 6) -> str:
    """The one QR code on the page, decoded from a picture of its dark modules."""
    rects = _filled_rects(data)
    module = Counter(round(h, 2) for _, _, _, h in rects).most_common(1)[0][0]
    dots = [r for r in rects if abs(r[3] / module - round(r[3] / module)) < 0.02]
    x0 = min(r[0] for r in dots)
    y0 = min(r[1] for r in dots)
    cols = round((max(r[0] + r[2] for r in dots) - x0) / module)
    rows = round((max(r[1] + r[3] for r in dots) - y0) / module)
    quiet = 4
    size = ((cols + 2 * quiet) * px, (rows + 2 * quiet) * px)
    picture = Image.new("L", size, 255)
    draw = ImageDraw.Draw(picture)
    for x, y, w, h in dots:
        left = round((x - x0) / module + quiet) * px
        top = round((y - y0) / module + quiet) * px  # PDF y grows upwards: flip below
        right, bottom = left + round(w / module) * px - 1, top + round(h / module) * px - 1
        draw.rectangle((left, top, right, bottom), fill=0)
    picture = picture.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    found = zxingcpp.read_barcodes(picture)
    assert len(found) == 1, f"{len(found)} codes found"
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text
