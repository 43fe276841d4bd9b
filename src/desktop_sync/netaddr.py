"""Where a secret may travel: https anywhere, plain http only to this computer.

Shared by the profile checks (``config``) and by both connectors, which check again
right before a secret leaves, whatever the caller validated (issue 16, item 3).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1). Not 0.0.0.0."""
    name = host.lower().strip("[]")
    if name in ("localhost", "localhost.localdomain") or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def may_carry_secret(url: str) -> bool:
    """True for ``https://host…`` and for ``http://`` to a loopback host only."""
    parts = urlsplit(url.strip())
    if not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and is_loopback(parts.hostname)
