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
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

HARD_KILL: int = getattr(signal, "SIGKILL", signal.SIGTERM)
KILLED_CODE: int = HARD_KILL if sys.platform == "win32" else -HARD_KILL
# What bounds a wait for a process (to reach a point, to end): only a hang takes this
# long, however loaded the machine; a wait of a few seconds fails a test for the load.
HANG = 600.0

P = TypeVar("P", subprocess.Popen[bytes], subprocess.Popen[str])


def kill_hard(target: int | subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """Kill a process (a pid or a ``Popen``) the way a power cut or Task Manager does."""
    pid = target if isinstance(target, int) else target.pid
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, HARD_KILL)


def was_killed(returncode: int | None) -> bool:
    """True when ``returncode`` is what ``kill_hard`` leaves behind."""
    return returncode == KILLED_CODE


@contextlib.contextmanager
def reaped(proc: P) -> Iterator[P]:
    """``proc`` for the block; on leaving it, also when the block failed (an assertion,
    a ``communicate`` that timed out), the process is killed if still running, waited
    for and its pipes closed. A process left running outlives its test: its ``Popen`` is
    collected in a later test on the same worker, which then fails on the
    ResourceWarning (``filterwarnings = error``) for a fault that is not its own."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            kill_hard(proc)
        proc.communicate()  # again after the block's own: nothing read twice, no error


def journal_states(db: Path) -> Counter[str]:
    """The journal's operations by state, read by another process while a run writes
    them (read-only; a locked or half-made journal counts as empty): when to stop it."""
    if not db.exists():
        return Counter()
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return Counter(s for (s,) in con.execute("SELECT state FROM operation"))
        finally:
            con.close()
    except sqlite3.Error:
        return Counter()
