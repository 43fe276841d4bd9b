"""Checking connection URLs: secrets never travel over plain HTTP off the machine."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

from desktop_sync.config.errors import ConfigError
from desktop_sync.i18n import tr
from desktop_sync.netaddr import is_loopback

__all__ = ["check_journal_url", "check_url", "check_webhook", "is_loopback"]

_WEBHOOK_PATH = re.compile(r"^/rest/(\d+)/([^/]+)/?$")


def check_url(url: str, what: str) -> str:
    """Validate a connection URL; returns it without a trailing slash.

    Refuses anything but http(s), a URL with a user or password in it, and plain
    ``http://`` to any host but a loopback address.
    """
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            tr("{what}: «{url}» is not an http(s) URL").format(what=what, url=_safe(text))
        )
    if parts.username or parts.password:
        raise ConfigError(
            tr("{what}: put no user or password in the URL; they go to the keyring").format(
                what=what
            )
        )
    try:
        _ = parts.port
    except ValueError:
        raise ConfigError(
            tr("{what}: the port in «{url}» is not a number").format(what=what, url=_safe(text))
        ) from None
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(
            tr(
                "{what}: plain http:// to {host} would send the password unencrypted; "
                "use https:// (http:// is allowed only to this computer)"
            ).format(what=what, host=parts.hostname)
        )
    return text.rstrip("/")


def _host_port(parts: SplitResult) -> str:
    """``host`` or ``host:port`` as the address wrote it (no user, no path)."""
    return f"{parts.hostname}:{parts.port}" if parts.port is not None else str(parts.hostname)


def check_webhook(webhook: str, crm_url: str) -> str:
    """Validate a Bitrix24 inbound webhook URL against the profile's portal URL."""
    text = check_url(webhook, tr("Bitrix24 webhook"))
    parts = urlsplit(text)
    if not _WEBHOOK_PATH.match(parts.path + "/"):
        raise ConfigError(
            tr(
                "Bitrix24 webhook: expected an address like https://portal.bitrix24.ru/rest/1/"
                "<code>/ (Bitrix24 → Developer resources → Inbound webhook)"
            )
        )
    portal = urlsplit(crm_url)
    if (parts.hostname, parts.port) != (portal.hostname, portal.port):
        # the port too: two portals (or sandboxes) on one host differ by it alone
        raise ConfigError(
            tr(
                "Bitrix24 webhook: it points to {host}, but the profile's portal is {portal}"
            ).format(host=_host_port(parts), portal=_host_port(portal))
        )
    return text + "/"


JOURNAL_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")


def check_journal_url(url: str) -> str:
    """Validate ``journal.url``: empty (the SQLite file), ``sqlite:///FILE`` or
    ``postgresql://user@host[:port]/database`` with no password in it (the password goes
    to the keyring or ``DESKTOP_SYNC_JOURNAL_PASSWORD``)."""
    text = url.strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in JOURNAL_SCHEMES:
        raise ConfigError(
            tr(
                "journal.url: «{url}» is neither postgresql://user@host/database nor sqlite:///file"
            ).format(url=_safe(text.split("@")[-1]))
        )
    if parts.password:
        raise ConfigError(
            tr(
                "journal.url: put no password in the URL; it goes to the keyring (asked for "
                "on a terminal) or DESKTOP_SYNC_JOURNAL_PASSWORD"
            )
        )
    if parts.scheme != "sqlite" and not parts.path.strip("/"):
        raise ConfigError(
            tr("journal.url: name the database, e.g. postgresql://sync@server/desktop_sync")
        )
    return text


def _safe(text: str) -> str:
    from desktop_sync.redact import scrub

    return scrub(text)
