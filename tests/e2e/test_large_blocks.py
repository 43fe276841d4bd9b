"""A sync's process gives the C library's large blocks back once they are freed (issue
18): glibc maps a block apart only above a threshold that rises to the largest block
freed so far, so after the first MBs of an answer or a request body the next ones were
heap memory that stayed the process's (the large set's printed invoices' batches)."""

from __future__ import annotations

import ctypes
import subprocess
import sys

import pytest

from desktop_sync.engine import cache

from .conftest import World

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="glibc's allocator: Linux only"
)

# In a fresh Python (a heap of its own): after an 8 MB block is freed, how many of eight
# blocks of 256 KB the C library maps apart (``mallinfo2().hblkhd``).
_PROBE = """
import ctypes, sys
from desktop_sync.engine.cache import map_large_blocks
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena ordblks smblks hblks hblkhd usmblks "
                                                "fsmblks uordblks fordblks keepcost").split()]
info = ctypes.CDLL(None).mallinfo2
info.restype = Info
if sys.argv[1] == "fixed":
    map_large_blocks()
body = bytearray(8 * 1024 * 1024)  # a large request's body, sent and freed
del body
before = info().hblkhd
pages = [bytearray(256 * 1024) for _ in range(8)]  # the next answers' pages
print((info().hblkhd - before) // (256 * 1024))
"""


def _mapped_apart(mode: str) -> int:
    if not hasattr(ctypes.CDLL(None), "mallinfo2"):
        pytest.skip("no glibc 2.33 or later")
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, mode],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    return int(out.stdout)


def test_blocks_of_an_answers_size_are_mapped_apart_after_larger_ones_were_freed() -> None:
    assert _mapped_apart("fixed") >= 7  # (one may fit in what the heap has free)
    assert _mapped_apart("glibc") <= 1  # its own threshold had risen to 8 MB with the body


def test_a_service_fixes_the_threshold_when_it_opens(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(cache, "_mallopt", lambda option, value: calls.append((option, value)))
    with world.service():
        pass
    assert calls == [(cache.M_MMAP_THRESHOLD, cache.LARGE)]
