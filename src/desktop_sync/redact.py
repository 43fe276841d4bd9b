"""Scrubbing secrets from any text before it reaches a log, the journal or the screen.

Two layers: known secret values registered at run time (the 1C password, the
webhook URL and its code), and patterns that catch secrets we were never told
about (webhook paths ``/rest/<user>/<code>/``, ``user:password@`` in URLs,
``Authorization`` headers, ``auth=``/``access_token=`` parameters).
"""

from __future__ import annotations

import re
import threading

MASK = "***"

_PATTERNS = (
    # Bitrix24 inbound webhook: /rest/<user id>/<code>/ — the code is the secret.
    (re.compile(r"(/rest/\d+/)[^/\s\"']+"), r"\1" + MASK),
    # userinfo in URLs
    (
        re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s:@\"']+:[^/\s@\"']*@", re.IGNORECASE),
        r"\1" + MASK + "@",
    ),
    # Authorization headers (Basic / Bearer)
    (
        re.compile(
            r"(authorization[\"']?\s*[:=]\s*[\"']?)(basic|bearer)\s+[A-Za-z0-9+/=._~-]+",
            re.IGNORECASE,
        ),
        r"\1\2 " + MASK,
    ),
    # OAuth / REST tokens in query strings or bodies
    (
        re.compile(
            r"\b(auth|access_token|refresh_token|password|client_secret)=([^&\s\"']+)",
            re.IGNORECASE,
        ),
        r"\1=" + MASK,
    ),
)

_lock = threading.Lock()
_known: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that every later scrub hides it wherever it appears."""
    if not value or len(value) < 4:
        return
    with _lock:
        _known.add(value)
        # A webhook URL: its code alone is also secret.
        m = re.search(r"/rest/\d+/([^/\s]+)", value)
        if m and len(m.group(1)) >= 4:
            _known.add(m.group(1))


def forget_secrets() -> None:
    """Forget every registered value (a test's secrets must not mask the next test's text)."""
    with _lock:
        _known.clear()


def scrub(text: str) -> str:
    """Return ``text`` with every known secret and secret-looking fragment masked."""
    if not text:
        return text
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text
