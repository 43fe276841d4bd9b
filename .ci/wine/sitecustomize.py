"""Wine 8.0 stand-ins, for the Windows Python that .ci/wine/setup lays out (only there).

Every process of this Python loads this file, the console programs started by the tests
too. Each stand-in covers a gap of Wine's, never a behaviour of ours
(docs/decisions/windows-under-wine.md).

1. Python 3.12+ copies files on Windows with ``CopyFile2`` (``shutil.copy2``, ``copy``,
   ``copytree``); Wine 8.0's kernel32 does not implement it and the process dies
   ("Unimplemented function KERNEL32.dll.CopyFile2"). Without the attribute, shutil
   falls back to its portable copy (read, write, copystat), as on Python 3.11.
2. Wine's ``CreateProcessW`` now and then fails with ERROR_INTERNAL_ERROR (1359) on a
   loaded machine: no process was made, nothing of the program ran. Windows does not do
   this. ``_winapi.CreateProcess`` (which ``subprocess`` calls) is tried again, up to
   three more times, a little later each time; any other error is raised at once. Each
   retry is written to the file ``DESKTOP_SYNC_WINE_SPAWN_LOG`` names, if any, so that
   CI prints how often it happened.
"""

import os
import time

import _winapi

if hasattr(_winapi, "CopyFile2"):
    del _winapi.CopyFile2

_ERROR_INTERNAL_ERROR = 1359
_create_process = _winapi.CreateProcess


def _create_process_again_on_wines_internal_error(*args):  # type: ignore[no-untyped-def]
    for delay in (0.2, 0.5, 1.0):
        try:
            return _create_process(*args)
        except OSError as error:
            if getattr(error, "winerror", None) != _ERROR_INTERNAL_ERROR:
                raise
            log = os.environ.get("DESKTOP_SYNC_WINE_SPAWN_LOG")
            if log:
                with open(log, "a", encoding="utf-8") as out:
                    out.write(f"{args[1]!r}: WinError 1359, tried again in {delay} s\n")
            time.sleep(delay)
    return _create_process(*args)


_winapi.CreateProcess = _create_process_again_on_wines_internal_error
