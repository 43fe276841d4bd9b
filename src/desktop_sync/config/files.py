"""Replacing a file whole, as Windows allows it.

``os.replace`` onto a file that another process has open without
``FILE_SHARE_DELETE`` fails on Windows with ``PermissionError`` (WinError 5 or 32):
an antivirus scanning the file just written, the search indexer, a backup agent.
They let go within milliseconds, so the replacement is tried again for a short
while before the error is given to the caller.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

ATTEMPTS = 20
DELAY = 0.05  # seconds between attempts: one second in all


def replace_file(
    source: Path,
    target: Path,
    *,
    attempts: int = ATTEMPTS,
    delay: float = DELAY,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """``os.replace(source, target)``, retried while the OS says the file is in use."""
    for attempt in range(attempts):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if attempt == attempts - 1:
                raise
            sleep(delay)
