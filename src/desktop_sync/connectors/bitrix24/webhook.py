"""The webhook address: checked before anything is sent (plain ``http://`` only to a
loopback address), and hidden in httpx's own log lines."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import httpx

from desktop_sync.connectors.bitrix24.errors import Bitrix24Error, scrub
from desktop_sync.netaddr import is_loopback


class _HttpxLogScrubber(logging.Filter):
    """httpx logs request URLs at INFO: hide the webhook in them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                scrub(str(a)) if isinstance(a, (str, httpx.URL)) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        record.msg = scrub(str(record.msg))
        return True


_SCRUBBER = _HttpxLogScrubber()
for _name in ("httpx", "httpcore"):
    if _SCRUBBER not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_SCRUBBER)


def check_url(url: str) -> tuple[str, str]:
    """-> (origin, path) of a webhook URL; refuses plain http off loopback."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Bitrix24Error("The Bitrix24 address is not a web address (https://…).")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise Bitrix24Error(
            f"Refusing to send the Bitrix24 webhook over plain http to {parts.hostname}: use https."
        )
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    segments = [s for s in path.split("/") if s]
    if len(segments) < 3 or segments[0] != "rest" or not segments[1].isdigit():
        raise Bitrix24Error(
            "This is not a Bitrix24 inbound webhook address (expected …/rest/<user>/<code>/)."
        )
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}", "/" + "/".join(segments[:3]) + "/"
