"""End-of-session summaries of the harnesses, whole under pytest-xdist.

The simulation, the reliability harness and the shared journal's tests count what
they did in this process and print it at the end of the session (a section of
pytest's summary, which CI's log keeps). With ``-n`` (``.ci/run``) the tests run in
worker processes whose own output pytest-xdist does not show: each worker hands its
counts to the controller (``workeroutput``), which adds them up and prints the same
sections. Without ``-n`` the one process prints its own counts, as before.

A harness registers its section once, at import (its ``conftest.py``)::

    summaries.provide("reliability summary", "tests.reliability.conftest:lines", counts)

``counts()`` returns this process's counts as plain data (numbers, strings, dicts and
lists of them; no ``Counter``); the renderer, named ``module:function`` so that the
controller can import it without having collected anything, turns the counts added
up over all processes into lines. Numbers add, dicts merge key by key, lists
concatenate, a string from a later worker replaces an earlier one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest

Counts = dict[str, Any]

_PROVIDED: dict[str, tuple[str, Callable[[], Counts]]] = {}  # title -> renderer, counts
_RECEIVED: dict[str, list[Any]] = {}  # the controller's: title -> [renderer, counts]
WORKER_KEY = "desktop_sync_summaries"


def provide(title: str, renderer: str, counts: Callable[[], Counts]) -> None:
    """Register a section: its title, its ``module:function`` renderer, its counts."""
    _PROVIDED[title] = (renderer, counts)


def merge(a: Any, b: Any) -> Any:
    """Two processes' counts added up (see the module's docstring)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for key, value in b.items():
            out[key] = merge(out[key], value) if key in out else value
        return out
    if isinstance(a, list) and isinstance(b, list):
        return a + b
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(b, bool):
        return a + b
    return b


def own() -> dict[str, list[Any]]:
    """This process's sections that counted anything: title -> [renderer, counts]."""
    found: dict[str, list[Any]] = {}
    for title, (renderer, counts) in _PROVIDED.items():
        data = counts()
        if data:
            found[title] = [renderer, data]
    return found


def receive(sent: dict[str, list[Any]]) -> None:
    """The controller adds up one worker's sections."""
    for title, (renderer, data) in sent.items():
        if title in _RECEIVED:
            _RECEIVED[title][1] = merge(_RECEIVED[title][1], data)
        else:
            _RECEIVED[title] = [renderer, data]


def write(terminalreporter: pytest.TerminalReporter, *, controller: bool) -> None:
    """Print every section: the workers' added up (controller) or this process's own."""
    for title, (renderer, data) in sorted((_RECEIVED if controller else own()).items()):
        module, function = renderer.split(":")
        lines: Callable[[Counts], list[str]] = getattr(importlib.import_module(module), function)
        terminalreporter.section(title)
        for line in lines(data):
            terminalreporter.write_line(line)
