"""A done operation's reason, said as done.

The plan says why each operation exists in the future tense («…: будет связан», «…:
will be linked»), and the journal keeps that sentence as it was planned, in the language
of the day. Beside «Выполнено» the journal (the window's Journal tab, ``desktop-sync
journal``) shows it without the future: «…: связан», «…: linked». Every reason template
of the planner has the future in one of these few forms (tests/e2e/test_journal_done_words.py
checks them all in both languages).
"""

from __future__ import annotations

import re

_DONE = (
    # Russian: «будет создан», «будут записаны» → «создан», «записаны»
    (re.compile(r"\b(?:будет|будут) "), ""),
    (re.compile(r"\bприведёт\b"), "привёл"),  # «документ приведёт склад …»
    # English: "will be created" → "created"
    (re.compile(r"\bwill be "), ""),
    (re.compile(r"\bwill show\b"), "shows"),
    (re.compile(r"\bwill bring\b"), "brought"),
)


def done_reason(reason: str) -> str:
    """The planned ``reason`` of an operation now applied, without its future tense."""
    for pattern, repl in _DONE:
        reason = pattern.sub(repl, reason)
    return reason


def journal_reason(reason: str, state: str) -> str:
    """The reason the journal shows beside an operation's ``state``: as done once
    applied; as planned otherwise (failed, skipped, waiting: it did not happen)."""
    return done_reason(reason) if state == "applied" else reason
