"""A sync's process gives the C library's large blocks back once they are freed (issue
18): glibc maps a block apart only above a threshold that rises to the largest block
freed so far, so after the first MBs of an answer or a request body the next ones were
heap memory that stayed the process's (the large set's printed invoices' batches)."""

from __future__ import annotations

import ctypes
import sys

import pytest

from .conftest import World

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="glibc's allocator: Linux only"
)


class _Mallinfo2(ctypes.Structure):
    _fields_ = [  # ctypes' own declaration
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _mapped_apart() -> int:
    """Bytes in blocks the C library mapped apart (``mallinfo2().hblkhd``)."""
    try:
        mallinfo2 = ctypes.CDLL(None).mallinfo2
    except (AttributeError, OSError):
        pytest.skip("no glibc 2.33 or later")
    mallinfo2.restype = _Mallinfo2
    return int(mallinfo2().hblkhd)


def test_blocks_of_an_answers_size_are_mapped_apart_after_larger_ones_were_freed(
    world: World,
) -> None:
    with world.service():
        body = bytearray(8 * 1024 * 1024)  # a large request's body, sent and freed
        del body
        before = _mapped_apart()
        pages = [bytearray(256 * 1024) for _ in range(8)]  # the next answers' pages
        after = _mapped_apart()
        del pages
    # most mapped apart (one may fit in what the heap has free); before: none, from the
    # heap (glibc's threshold had risen to 8 MB with the body)
    assert after - before >= 4 * 256 * 1024
