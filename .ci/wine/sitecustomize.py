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
3. Not a stand-in, a witness: a console-script launcher (``desktop-sync.exe``, distlib's
   ``t64.exe`` as pip makes it) starts ``python.exe`` itself, with no retry. When that
   fails it writes "Fatal error in launcher: ..." to stderr and ends with ``ExitProcess(1)``;
   its C runtime buffers stderr when it is a pipe and ``ExitProcess`` drops the buffer,
   so a test sees exit code 1 and nothing at all on stdout and stderr (reproduced under
   Wine 8.0; on a console the message shows). Each program of this Python's folder, and
   each launcher (an .exe with a zip appended), is started with ``DESKTOP_SYNC_WINE_STARTED``
   naming a file that the first Python started in it creates when it loads this file.
   When such a process's exit code 1 is read and the file was never made, no Python ran
   in it: that is said on stderr (pytest shows it beside the failing test) and written to
   the spawn log. Nothing is tried again: the test fails as before, now with its reason.
"""

import itertools
import os
import sys
import time

import _winapi

if hasattr(_winapi, "CopyFile2"):
    del _winapi.CopyFile2

_ERROR_INTERNAL_ERROR = 1359
_STILL_ACTIVE = 259
_STARTED = "DESKTOP_SYNC_WINE_STARTED"
_create_process = _winapi.CreateProcess
_get_exit_code = _winapi.GetExitCodeProcess
_counter = itertools.count()
# A process handle -> (the file its Python makes when it starts, its command line).
_watched: dict = {}  # type: ignore[type-arg]


def _spawn_log(line):  # type: ignore[no-untyped-def]
    log = os.environ.get("DESKTOP_SYNC_WINE_SPAWN_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(line + "\n")


def _python_started_here():  # type: ignore[no-untyped-def]
    """The Python of a watched process says it started (witness 3)."""
    marker = os.environ.pop(_STARTED, None)  # the processes it starts get their own
    if marker:
        try:
            open(marker, "a").close()
        except OSError:
            pass


def _program(application_name, command_line):  # type: ignore[no-untyped-def]
    """The program file a CreateProcess call starts, as Windows takes it."""
    if application_name:
        return application_name
    line = (command_line or "").lstrip()
    if line.startswith('"'):
        return line[1:].split('"', 1)[0]
    return line.split(" ", 1)[0]


def _watched_program(path):  # type: ignore[no-untyped-def]
    """A program of this Python's folder (python.exe, the launchers), or a launcher: an
    .exe with a zip appended (the end of a zip's central directory, ``PK\\5\\6``)."""
    try:
        folder = os.path.dirname(os.path.abspath(path)).lower()
        if folder == os.path.dirname(os.path.abspath(sys.executable)).lower():
            return True
        if not path.lower().endswith(".exe"):
            return False
        with open(path, "rb") as exe:
            exe.seek(-22, os.SEEK_END)
            return exe.read(4) == b"PK\x05\x06"
    except (OSError, ValueError):
        return False


def _create_process_again_on_wines_internal_error(*args):  # type: ignore[no-untyped-def]
    marker = None
    if len(args) >= 7 and _watched_program(_program(args[0], args[1])):
        folder = os.environ.get("TEMP") or os.environ.get("TMP") or os.getcwd()
        marker = os.path.join(folder, f"desktop-sync-started-{os.getpid()}-{next(_counter)}")
        env = dict(os.environ if args[6] is None else args[6])
        env[_STARTED] = marker
        args = (*args[:6], env, *args[7:])
    for delay in (0.2, 0.5, 1.0, None):
        try:
            made = _create_process(*args)
            break
        except OSError as error:
            if delay is None or getattr(error, "winerror", None) != _ERROR_INTERNAL_ERROR:
                raise
            _spawn_log(f"{args[1]!r}: WinError 1359, tried again in {delay} s")
            time.sleep(delay)
    if marker is not None:
        _watched[int(made[0])] = (marker, args[1])
    return made


def _exit_code_witnessed(handle):  # type: ignore[no-untyped-def]
    code = _get_exit_code(handle)
    if code == _STILL_ACTIVE:
        return code
    watched = _watched.pop(int(handle), None)
    if watched is None:
        return code
    marker, command = watched
    if os.path.exists(marker):
        try:
            os.remove(marker)
        except OSError:
            pass
    elif code == 1:
        said = (
            f"{command!r}: exit 1, and no Python ever started in it: unless it was killed, "
            "its launcher (or Wine) failed to start python.exe; a launcher's own message "
            "is lost in a pipe"
        )
        _spawn_log(said)
        try:
            print(f"wine: {said}", file=sys.stderr, flush=True)
        except (AttributeError, OSError, ValueError):
            pass
    return code


_python_started_here()
_winapi.CreateProcess = _create_process_again_on_wines_internal_error
_winapi.GetExitCodeProcess = _exit_code_witnessed
