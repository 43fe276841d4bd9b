"""Exceptions as the person reads them: one plain sentence, never a traceback.

The words come from the one error taxonomy (:func:`desktop_sync.errors.describe`),
the same door the command line uses; the window shows its ``sentence``.
"""

from __future__ import annotations

from desktop_sync.errors import describe, in_words

__all__ = ["in_words", "plain_message"]


def plain_message(exc: BaseException) -> tuple[str, bool]:
    """``(sentence, expected)``; ``expected`` is False for a bug (logged with traceback)."""
    said = describe(exc)
    return said.sentence, said.expected
