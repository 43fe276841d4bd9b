"""What a 1C set looked like at the last read, kept small between runs (issue 18).

1C cannot say what changed since a moment (research/onec.md A9); a light scan gives
every record's ``Ref_Key → DataVersion``. Kept between runs whole, the scans took 23 MB
of the large set's sync; kept as one digest a set (:func:`fingerprint`), a set that
changed in one record was read again whole. A set is now also kept as the sorted 8-byte
digests of its ``(Ref_Key, DataVersion)`` pairs (:func:`digests`, 8 bytes a record): the
next scan names the records added or changed since (:func:`changed`), and only those are
read again. A record removed is a key the scan no longer has.
"""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left
from collections.abc import Mapping


def fingerprint(scanned: Mapping[str, str]) -> str:
    """The whole set in one short text: equal only while no record was added, changed
    or removed."""
    digest = hashlib.sha256()
    for ref in sorted(scanned):
        digest.update(f"{ref}={scanned[ref]};".encode())
    return f"{len(scanned)}:{digest.hexdigest()}"


def _digest(ref: str, version: str) -> int:
    data = f"{ref}={version}".encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def digests(scanned: Mapping[str, str]) -> bytes:
    """Each record's ``(Ref_Key, DataVersion)`` as 8 sorted bytes."""
    return array("Q", sorted(_digest(ref, v) for ref, v in scanned.items())).tobytes()


def changed(scanned: Mapping[str, str], before: bytes) -> list[str]:
    """The keys of ``scanned`` added or changed since the scan ``before`` digested."""
    known = array("Q")
    known.frombytes(before)
    out = []
    for ref, version in scanned.items():
        d = _digest(ref, version)
        at = bisect_left(known, d)
        if at == len(known) or known[at] != d:
            out.append(ref)
    return out
