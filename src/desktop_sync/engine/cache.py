"""The last snapshot, kept between runs so that the next read can be incremental.

A cache, not a source of truth: the journal holds links and decisions; this file
only saves requests. It lives beside the journal, is versioned, and anything wrong
with it (missing, damaged, planted, from another version or profile, too old)
simply means a full read. It holds what both systems returned — business data,
never a secret.

The file is MessagePack decoded by msgspec against the ``Cached`` type: a data
format, never code. Loading a file someone else put in the cache folder can at worst
fail validation (and be discarded with a warning); it cannot run anything, unlike
the pickle this replaced (docs/decisions/snapshot-cache.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from desktop_sync.engine.snapshot import CrmData, OnecData

log = logging.getLogger(__name__)

# 2: products carry UT packages and characteristics; 3: invoice requisites;
# 4: MessagePack validated by type instead of pickle
FORMAT = 4
MAGIC = b"DSYNC-SNAPSHOT\x00"  # file header: what this file is, before any decoding


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


@dataclass
class _Header:
    format: int
    profile_uuid: str


_encoder = msgspec.msgpack.Encoder()
_header_decoder = msgspec.msgpack.Decoder(_Header)
_decoder = msgspec.msgpack.Decoder(Cached)


def cache_path(data_dir: Path, profile_uuid: str) -> Path:
    return data_dir / "cache" / f"{profile_uuid}.snapshot"


def encode(cached: Cached) -> bytes:
    """The file's bytes: the magic, a small header, then the snapshot."""
    header = _encoder.encode(_Header(cached.format, cached.profile_uuid))
    return MAGIC + len(header).to_bytes(4, "big") + header + _encoder.encode(cached)


def decode(data: bytes, profile_uuid: str) -> Cached | None:
    """The snapshot in ``data`` if it is ours, of this format and this profile; else None.

    Raises ``msgspec.DecodeError`` (or ``ValidationError``) for damaged content.
    """
    if not data.startswith(MAGIC):
        raise msgspec.DecodeError("not a desktop-sync snapshot")
    rest = memoryview(data)[len(MAGIC) :]
    size = int.from_bytes(rest[:4], "big")
    header = _header_decoder.decode(rest[4 : 4 + size])
    if header.format != FORMAT or header.profile_uuid != profile_uuid:
        return None  # another version or profile: not damage, just not usable
    cached = _decoder.decode(rest[4 + size :])
    if cached.format != FORMAT or cached.profile_uuid != profile_uuid:
        return None
    return cached


def load(path: Path, profile_uuid: str) -> Cached | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("snapshot cache %s unreadable (%s): full read", path, exc.strerror)
        return None
    try:
        cached = decode(data, profile_uuid)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        # Not removed here: a read writes nothing (a window's refresh may run beside a
        # synchronisation); the next run's save under the run lock replaces it.
        log.warning("snapshot cache %s discarded (%s): full read", path, exc)
        return None
    if cached is None:
        log.info("snapshot cache %s is of another version or profile: full read", path)
    return cached


def save(path: Path, cached: Cached) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = encode(cached)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".snapshot-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def drop(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("snapshot cache %s could not be removed (%s)", path, exc.strerror)
