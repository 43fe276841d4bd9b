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

It is written and read in frames of at most ``FRAME`` records of one collection (the
snapshot without its collections first, then each collection in parts): encoding or
decoding one call holds the GIL, and a medium snapshot in one call held it for
150-500 ms while the window waited. Between frames the window's thread runs.
"""

from __future__ import annotations

import ctypes
import dataclasses
import datetime as dt
import functools
import io
import itertools
import logging
import os
import sys
import tempfile
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from desktop_sync.engine.sharing import Sharing
from desktop_sync.engine.snapshot import CrmData, OnecData

log = logging.getLogger(__name__)

# 2: products carry UT packages and characteristics; 3: invoice requisites;
# 4: MessagePack validated by type instead of pickle; 5: in frames; 6: 1C sets' fingerprints;
# 7: the 1C invoices' record digests (``OnecData.scanned``)
FORMAT = 7
FRAME = 256  # records of one collection per frame (a few ms to encode or decode)
MAGIC = b"DSYNC-SNAPSHOT\x00"  # file header: what this file is, before any decoding


@dataclass
class Cached:
    """What the next incremental read starts from."""

    profile_uuid: str
    onec: OnecData
    crm: CrmData
    full_at: dt.datetime  # when the last full reconciliation read everything
    crm_cursor: dt.datetime | None = None  # the portal's newest change seen
    onec_versions: dict[str, str] = field(default_factory=dict)  # set -> its fingerprint
    format: int = FORMAT


@dataclass
class _Header:
    format: int
    profile_uuid: str
    frames: int = 0  # how many frames follow: a file cut short is told from a whole one


_SIDES: dict[str, type[OnecData] | type[CrmData]] = {"onec": OnecData, "crm": CrmData}
_encoder = msgspec.msgpack.Encoder()
_header_decoder = msgspec.msgpack.Decoder(_Header)
_decoder = msgspec.msgpack.Decoder(Cached)
_key_decoder = msgspec.msgpack.Decoder(tuple[str, str])


@functools.cache
def _collections(side: str) -> tuple[str, ...]:
    """The fields of a side that hold records (dicts and lists), written in frames."""
    cls = _SIDES[side]
    hints = typing.get_type_hints(cls)
    return tuple(
        f.name for f in dataclasses.fields(cls) if typing.get_origin(hints[f.name]) in (dict, list)
    )


@functools.cache
def _part_decoder(side: str, name: str) -> msgspec.msgpack.Decoder[Any]:
    return msgspec.msgpack.Decoder(typing.get_type_hints(_SIDES[side])[name])


def _parts(cached: Cached) -> Iterator[tuple[str, str, list[Any] | dict[Any, Any]]]:
    """Each collection in parts of at most ``FRAME`` records, one part alive at a time."""
    for side in _SIDES:
        data = getattr(cached, side)
        for name in _collections(side):
            value = getattr(data, name)
            if isinstance(value, dict):
                items = iter(value.items())
                while part := dict(itertools.islice(items, FRAME)):
                    yield side, name, part
            else:
                for i in range(0, len(value), FRAME):
                    yield side, name, value[i : i + FRAME]


def _frame_count(cached: Cached) -> int:
    """How many frames :func:`_frames` yields, known before any is encoded."""
    count = 1
    for side in _SIDES:
        data = getattr(cached, side)
        count += sum(2 * -(-len(getattr(data, name)) // FRAME) for name in _collections(side))
    return count


def _frames(cached: Cached) -> Iterator[bytes]:
    """The snapshot without its collections, then (key, part) pairs of each collection.

    A generator: the file is written a frame at a time, never held whole in memory
    (the large set's file is about 130 MB; issue 18's 300 MB for the whole sync)."""
    shells = {}
    for side in _SIDES:
        data = getattr(cached, side)
        empty = {name: type(getattr(data, name))() for name in _collections(side)}
        shells[side] = dataclasses.replace(data, **empty)
    yield _encoder.encode(dataclasses.replace(cached, **shells))
    for side, name, part in _parts(cached):
        yield _encoder.encode((side, name))
        yield _encoder.encode(part)


def _read_frames(stream: BinaryIO) -> Iterator[bytes]:
    """The frames of ``stream`` (after the magic), each read when it is decoded."""
    here = stream.tell()
    end = stream.seek(0, io.SEEK_END)
    stream.seek(here)
    while size_bytes := stream.read(4):
        size = int.from_bytes(size_bytes, "big")
        if len(size_bytes) < 4 or stream.tell() + size > end:  # never a buffer past the end
            raise msgspec.DecodeError("the snapshot file is cut short")
        frame = stream.read(size)
        if len(frame) < size:
            raise msgspec.DecodeError("the snapshot file is cut short")
        yield frame


def cache_path(data_dir: Path, profile_uuid: str) -> Path:
    return data_dir / "cache" / f"{profile_uuid}.snapshot"


def _write(fh: BinaryIO, cached: Cached) -> None:
    """The magic, then each frame after its 4-byte length, written as it is encoded."""
    fh.write(MAGIC)
    header = _encoder.encode(_Header(cached.format, cached.profile_uuid, _frame_count(cached)))
    for frame in itertools.chain((header,), _frames(cached)):
        fh.write(len(frame).to_bytes(4, "big"))
        fh.write(frame)


def encode(cached: Cached) -> bytes:
    """The file's bytes: the magic, a small header, then the snapshot in frames."""
    out = io.BytesIO()
    _write(out, cached)
    return out.getvalue()


def decode(data: bytes, profile_uuid: str) -> Cached | None:
    """The snapshot in ``data`` if it is ours, of this format and this profile; else None.

    Raises ``msgspec.DecodeError`` (or ``ValidationError``) for damaged content.
    """
    return _decode_stream(io.BytesIO(data), profile_uuid)


def _decode_stream(stream: BinaryIO, profile_uuid: str) -> Cached | None:
    """:func:`decode` from a file: one frame's bytes in memory at a time."""
    if stream.read(len(MAGIC)) != MAGIC:
        raise msgspec.DecodeError("not a desktop-sync snapshot")
    parts = _read_frames(stream)
    header = _header_decoder.decode(next(parts, b""))
    if header.format != FORMAT or header.profile_uuid != profile_uuid:
        return None  # another version or profile: not damage, just not usable
    cached = _decoder.decode(next(parts, b""))
    if cached.format != FORMAT or cached.profile_uuid != profile_uuid:
        return None
    seen, shared = 1, Sharing()
    for key in parts:
        side, name = _key_decoder.decode(key)
        payload = next(parts, None)
        if side not in _SIDES or name not in _collections(side) or payload is None:
            raise msgspec.DecodeError("the snapshot file has a frame it cannot place")
        part = shared(_part_decoder(side, name).decode(payload))
        target = getattr(getattr(cached, side), name)
        if isinstance(target, dict):
            target.update(part)
        else:
            target.extend(part)
        seen += 2
    if seen != header.frames:
        raise msgspec.DecodeError("the snapshot file is cut short")
    return cached


def load(path: Path, profile_uuid: str) -> Cached | None:
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("snapshot cache %s unreadable (%s): full read", path, exc.strerror)
        return None
    try:
        with fh:
            cached = _decode_stream(fh, profile_uuid)
    except OSError as exc:
        log.warning("snapshot cache %s unreadable (%s): full read", path, exc.strerror)
        return None
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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".snapshot-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            _write(fh, cached)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def map_large_blocks() -> None:
    """Blocks of ``LARGE`` bytes and more mapped apart by the C library, and so given back
    to the system as soon as they are freed.

    glibc maps a block apart only above a threshold that rises to the largest such block
    freed so far (up to 32 MB): once the first MBs of an answer or of a request's body are
    freed, the next ones come from the heap, whose pages stay the process's, split by
    what is allocated between them. The large set's first sync peaked at its printed
    invoices' batches (MBs of Base64 each, built several times over), 8-10 MB higher for
    it (issue 18). The threshold is fixed at glibc's own first value; where there is no
    glibc (Windows, macOS, musl) nothing is done."""
    if _mallopt is not None:
        _mallopt(M_MMAP_THRESHOLD, LARGE)


M_MMAP_THRESHOLD = -3  # glibc's malloc.h
LARGE = 128 * 1024


def _glibc(name: str) -> Any:
    """A glibc function; None where the C library has none (Windows, macOS, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL(None), name)
    except (AttributeError, OSError):
        return None


_trim = _glibc("malloc_trim")
_mallopt = _glibc("mallopt")


def give_back() -> None:
    """Memory the run's read held, once it is let go, returned to the system.

    Freed memory stays the process's until the C library trims it: the first large
    sync's 31 MB freed with its read after planning stayed counted in its peak, with the
    apply's own memory (the invoice PDFs' fonts) on top of it (issue 18)."""
    if _trim is not None:
        _trim(0)


def drop(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("snapshot cache %s could not be removed (%s)", path, exc.strerror)
