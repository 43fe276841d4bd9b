"""Ending a process at once, with what each platform has.

POSIX has ``SIGKILL``; Windows has none (``signal.SIGKILL`` does not exist there) and
``os.kill`` with any other signal calls ``TerminateProcess``, which is just as abrupt:
no ``finally``, no ``atexit``, no flush. The killed process's exit code differs:
``-SIGKILL`` on POSIX, the number given to ``TerminateProcess`` on Windows.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

HARD_KILL: int = getattr(signal, "SIGKILL", signal.SIGTERM)
KILLED_CODE: int = HARD_KILL if sys.platform == "win32" else -HARD_KILL


def kill_hard(target: int | subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """Kill a process (a pid or a ``Popen``) the way a power cut or Task Manager does."""
    pid = target if isinstance(target, int) else target.pid
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, HARD_KILL)


def was_killed(returncode: int | None) -> bool:
    """True when ``returncode`` is what ``kill_hard`` leaves behind."""
    return returncode == KILLED_CODE
