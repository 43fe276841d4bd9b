"""Logging to a rotating file in the log dir, with every secret scrubbed.

One file per kind of process (``desktop-sync.log`` for commands,
``desktop-sync-gui.log`` for the window, see ``AppPaths``): on Windows a file
open in another process cannot be renamed, so two processes sharing one rotating
file would fail at every rollover. Should a rollover fail all the same (an
antivirus or a second command holding the file), logging goes on in the same file.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from desktop_sync.redact import scrub

FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"


class ScrubFilter(logging.Filter):
    """Renders each record and masks secrets in the result (message, args, traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = scrub(text)
            record.exc_info = None
        return True


class SharedSafeRotatingHandler(logging.handlers.RotatingFileHandler):
    """A rotating file whose rollover, when the OS refuses it, is put off, not fatal."""

    def doRollover(self) -> None:
        try:
            super().doRollover()
        except PermissionError:
            # Windows: another process has the file open. Keep writing to it; the
            # next record past the size limit tries again.
            if self.stream is None:
                self.stream = self._open()


_current: list[Path] = []


def current_log_file() -> Path | None:
    """The file this process logs to (what an error message should point at)."""
    return _current[0] if _current else None


def setup_logging(log_file: Path, level: int = logging.INFO) -> None:
    """Send the app's logs to ``log_file`` (5 × 2 MB). Idempotent."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_desktop_sync", False):
            return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = SharedSafeRotatingHandler(
        log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8", delay=True
    )
    _current[:] = [log_file]
    handler._desktop_sync = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(ScrubFilter())
    root.addHandler(handler)
    root.setLevel(level)
    # httpx/httpcore log full URLs (a webhook URL is a secret): keep them quiet, and
    # whatever they do log still passes through the scrub filter above.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def close_logging() -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_desktop_sync", False):
            root.removeHandler(handler)
            handler.close()
    _current.clear()
