"""A work-around for the Qt binding in use, applied once before any Qt call.

The PySide6 6.12 wheels are built for interpreters where ``None``, ``True`` and
``False`` are immortal (CPython 3.12+): their ``Py_RETURN_NONE``/``Py_RETURN_TRUE``
no longer take a reference. On CPython 3.11 every call of a ``void`` Qt method
then steals one reference to ``None`` (and every ``Signal.emit`` one to ``True``);
after a few thousand calls the interpreter aborts with "deallocating None". The
fix gives these singletons what 3.12 gives them: a reference count that cannot
reach zero. Nothing changes on 3.12+ or on other interpreters.
"""

from __future__ import annotations

import ctypes
import sys

_PINNED: list[bool] = []
_PIN = 1 << 40


def pin_singletons() -> None:
    """Make ``None``/``True``/``False``/``NotImplemented``/``Ellipsis`` effectively immortal."""
    if _PINNED or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    for obj in (None, True, False, NotImplemented, Ellipsis):
        ctypes.c_ssize_t.from_address(id(obj)).value += _PIN  # ob_refcnt is the first field
    _PINNED.append(True)
