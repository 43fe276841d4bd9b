"""Saving a printed form: whole or nothing (a temporary file beside it, then renamed)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path


def default_name(number: str, date_text: str) -> str:
    """«Счёт_28_от_03.03.2026.pdf»: what a file of the invoice is called by default."""
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", number).strip("_") or "invoice"
    return f"Счёт_{safe}_от_{date_text}.pdf"


def save_pdf(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (an ``OSError`` says why)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".invoice-", suffix=".pdf", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
