"""Times sent to Bitrix24 filters: ISO 8601 with the zone, never a naive time."""

from __future__ import annotations

import datetime as dt


def iso(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("a naive datetime cannot be sent to Bitrix24: give it a time zone")
    return value.isoformat()
