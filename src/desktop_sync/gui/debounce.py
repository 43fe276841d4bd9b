"""A search box that waits for a pause in typing: one filter per pause, not per key."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


def debounced(parent: QObject, msecs: int, slot: Callable[[], object]) -> QTimer:
    """A single-shot timer; ``start()`` it on each keystroke and ``slot`` runs once."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(msecs)
    timer.timeout.connect(slot)
    return timer
