"""The last snapshot, kept between runs so that the next read can be incremental.

A cache, not a source of truth: the journal holds links and decisions; this file
only saves requests. It lives beside the journal, is versioned, and anything wrong
with it (missing, damaged, from another version or profile, too old) simply means
a full read. It holds what both systems returned — business data, never a secret.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from desktop_sync.engine.snapshot import CrmData, OnecData

log = logging.getLogger(__name__)

FORMAT = 3  # 2: products carry UT packages and characteristics; 3: invoice requisites


@dataclass
class Cached:
    """What the next incremental read starts from."""

    profile_uuid: str
    onec: OnecData
    crm: CrmData
    full_at: dt.datetime  # when the last full reconciliation read everything
    crm_cursor: dt.datetime | None = None  # the portal's newest change seen
    onec_versions: dict[str, dict[str, str]] = field(default_factory=dict)  # set -> versions
    format: int = FORMAT


def cache_path(data_dir: Path, profile_uuid: str) -> Path:
    return data_dir / "cache" / f"{profile_uuid}.snapshot"


def load(path: Path, profile_uuid: str) -> Cached | None:
    if not path.exists():
        return None
    try:
        with path.open("rb") as fh:
            # Our own file in the user's data folder, written by this program only.
            cached = pickle.load(fh)  # noqa: S301
    except Exception as exc:  # any damage: read everything instead
        log.warning("snapshot cache %s unreadable (%s): full read", path, type(exc).__name__)
        return None
    if (
        not isinstance(cached, Cached)
        or cached.format != FORMAT
        or cached.profile_uuid != profile_uuid
    ):
        return None
    return cached


def save(path: Path, cached: Cached) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".snapshot-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(cached, fh, protocol=pickle.HIGHEST_PROTOCOL)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def drop(path: Path) -> None:
    path.unlink(missing_ok=True)
