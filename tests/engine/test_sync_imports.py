"""What a sync process imports before it needs it (issue 18: the large set in 300 MB).

The sync process (``desktop-sync sync``, the benchmark's child) imports the door; the
window, the PDF renderer and its fonts, the spreadsheet writers and PostgreSQL's driver
are imported where they are used. Checked in a fresh interpreter: no memory bound."""

from __future__ import annotations

import json
import subprocess
import sys

# Not needed by a sync until it does that one thing (a PDF written, a table exported).
HEAVY = ("PySide6", "fpdf", "fontTools", "PIL", "openpyxl", "xlsxwriter", "psycopg",
         "num2words", "segno", "rich", "pygments")  # fmt: skip

_CODE = """
import json, sys
from desktop_sync.config import AppPaths, ProfileStore
from desktop_sync.engine.service import SyncService
import desktop_sync.cli
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_the_sync_process_does_not_import_what_it_does_not_use_yet() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _CODE],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=60,
    )
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
