"""Standard streams that work the same on a console, in a pipe and with none at all.

Windows is the case this is for:

- redirected or piped output (``> file``, ``| findstr``, a .bat log, PowerShell) is
  encoded in the ANSI code page (cp1251 on a Russian PC, cp1252 on CI runners) with
  errors raised, so a ``₽`` or an ``→`` ends the run. Output that is not a terminal
  is UTF-8 here, always; a console keeps its own encoding, with unencodable
  characters replaced rather than fatal.
- the windowless executable (``desktop-sync-gui.exe``, what a Start-menu shortcut
  or a scheduled task without a console runs) has ``sys.stdout``, ``sys.stderr``
  and ``sys.stdin`` set to ``None``: they are replaced by the null device, and an
  error that would have gone to stderr is shown in a message box (and logged).
- ``isatty()`` is true for ``NUL`` on Windows, so "is there a person to ask for a
  password?" is answered by the console API, not by ``isatty``.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable
from typing import IO, Any

_state: dict[str, bool] = {"windowless": False, "person": True}


def _null_stream(mode: str) -> IO[str]:
    return open(os.devnull, mode, encoding="utf-8")  # lives as long as the process


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def prepare_stdio() -> bool:
    """Make the standard streams safe to use; returns True when the process has none.

    Idempotent. Call it first thing in every entry point.
    """
    if sys.stdout is None or sys.stderr is None:
        _state["windowless"] = True
    if sys.stdin is None:
        sys.stdin = _null_stream("r")
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            setattr(sys, name, _null_stream("w"))
            continue
        if not isinstance(stream, io.TextIOWrapper):
            continue  # a test's capture, an IDE's console: leave it alone
        with contextlib.suppress(ValueError, OSError):
            if _is_tty(stream):
                stream.reconfigure(errors="replace")
            else:
                stream.reconfigure(encoding="utf-8", errors="replace")
    return _state["windowless"]


def windowless() -> bool:
    """True in a process started without standard streams (the windowless executable)."""
    return _state["windowless"]


def stdin_is_console() -> bool:
    """True only when standard input is an interactive console a person can type into."""
    stream = sys.stdin
    if stream is None:
        return False
    try:
        fd = stream.fileno()
    except (AttributeError, ValueError, OSError):
        return False
    if sys.platform == "win32":  # pragma: no cover - Windows only (tested under Wine)
        return _windows_console(fd)
    return _is_tty(stream)


if sys.platform == "win32":  # pragma: no cover - Windows only (tested under Wine)
    import ctypes
    import msvcrt
    from ctypes import wintypes

    def _windows_console(fd: int) -> bool:
        """``GetConsoleMode`` succeeds on a console handle, fails on ``NUL``, files, pipes."""
        try:
            handle = msvcrt.get_osfhandle(fd)
        except OSError:
            return False
        mode = wintypes.DWORD()
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        return bool(kernel32.GetConsoleMode(wintypes.HANDLE(handle), ctypes.byref(mode)))

    def _message_box(title: str, text: str) -> None:
        mb_iconerror, mb_setforeground = 0x10, 0x10000
        ctypes.windll.user32.MessageBoxW(None, text, title, mb_iconerror | mb_setforeground)

else:

    def _windows_console(fd: int) -> bool:
        return False

    def _message_box(title: str, text: str) -> None:
        """No windowless executable outside Windows: the log has the message."""


# Replaced in tests; on Windows it is the system's message box.
show_message: Callable[[str, str], None] = _message_box


def person_present(present: bool) -> None:
    """Whether a person started this (the window, the demo) or a scheduler did (``sync``).

    A message box waits for a click: a scheduled run without a console must never stop on
    one, so its errors go to the log (and the exit code) only.
    """
    _state["person"] = present


def report_startup_error(text: str) -> None:
    """An error a console user would read on stderr: in a box when there is no console."""
    if windowless() and _state["person"]:
        with contextlib.suppress(Exception):
            show_message("desktop-sync", text)


def _reset_for_tests() -> None:
    _state["windowless"] = False
    _state["person"] = True
