"""A done operation's reason, said as done.

The plan says why each operation exists in the future tense («…: будет связан», «…:
will be linked»), and the journal keeps that sentence as it was planned, in the language
of the day. Beside «Выполнено» the journal (the window's Journal tab, ``desktop-sync
journal``) shows it without the future: «…: связан», «…: linked». Every reason template
of the planner has the future in one of these few forms (tests/e2e/test_journal_done_words.py
checks them all in both languages).

Only the templates' own words change, never a record's name that happens to hold such a
word (a company «Всё будет хорошо»): the journal keeps the sentence, not its template,
so the done form is found by the templates' literal pieces around the future (the text
between their placeholders, e.g. «; будет связан»), each replaced by its done form.
"""

from __future__ import annotations

import re
from functools import cache

from desktop_sync.i18n import catalog

_DONE = (
    # Russian: «будет создан», «будут записаны» → «создан», «записаны»
    (re.compile(r"\b(?:будет|будут) "), ""),
    (re.compile(r"\bприведёт\b"), "привёл"),  # «документ приведёт склад …»
    # English: "will be created" → "created"
    (re.compile(r"\bwill be "), ""),
    (re.compile(r"\bwill show\b"), "shows"),
    (re.compile(r"\bwill bring\b"), "brought"),
)


_FUTURE = re.compile(r"\b(?:будет|будут|приведёт|will)\b")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _said_as_done(text: str) -> str:
    for pattern, repl in _DONE:
        text = pattern.sub(repl, text)
    return text


@cache
def _done_pieces() -> tuple[tuple[str, str], ...]:
    """Every literal piece of a template (English and Russian) that says the future,
    with its done form; the longest first."""
    texts = {t for pair in catalog("ru").items() for t in pair}
    pieces = {
        piece
        for text in texts
        if _FUTURE.search(text)
        for piece in _PLACEHOLDER.split(text)
        if _FUTURE.search(piece)
    }
    done = ((p, _said_as_done(p)) for p in sorted(pieces, key=lambda p: (-len(p), p)))
    return tuple((p, d) for p, d in done if d != p)


def done_reason(reason: str) -> str:
    """The planned ``reason`` of an operation now applied, without its future tense."""
    if not _FUTURE.search(reason):
        return reason
    for piece, done in _done_pieces():
        if piece in reason:
            reason = reason.replace(piece, done)
    return reason


def journal_reason(reason: str, state: str) -> str:
    """The reason the journal shows beside an operation's ``state``: as done once
    applied; as planned otherwise (failed, skipped, waiting: it did not happen)."""
    return done_reason(reason) if state == "applied" else reason
