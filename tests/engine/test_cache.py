"""The snapshot cache is data, never code: a planted or damaged file means a full read."""

from __future__ import annotations

import datetime as dt
import logging
import os
import pickle
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from desktop_sync.engine import cache
from desktop_sync.engine.sharing import Sharing
from tests.e2e.conftest import World, make_world


@pytest.fixture
def bp_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch)


class _Planted:
    """What an attacker's pickle does when loaded: runs a command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def _cache_file(world: World) -> Path:
    return cache.cache_path(world.paths.data_dir, world.profile.uuid)


def test_snapshot_round_trips_exactly(bp_world: World) -> None:
    with bp_world.service() as svc:
        svc.run()
    path = _cache_file(bp_world)
    cached = cache.load(path, bp_world.profile.uuid)
    assert cached is not None
    assert cached.onec.counterparties and cached.crm.companies
    assert cache.decode(cache.encode(cached), bp_world.profile.uuid) == cached
    assert not path.read_bytes().startswith(b"\x80")  # not a pickle


def test_planted_pickle_runs_nothing_and_means_a_full_read(
    bp_world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with bp_world.service() as svc:
        svc.run()
    path = _cache_file(bp_world)
    marker = tmp_path / "planted-code-ran"
    path.write_bytes(pickle.dumps(_Planted(marker)))
    with caplog.at_level(logging.WARNING), bp_world.service() as svc:
        snap, plan = svc.prepare()
    assert not marker.exists(), "the cache file ran code"
    assert snap.full, "a discarded cache must mean a full read"
    assert not plan.operations  # nothing changed since the last run
    assert any("discarded" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b[:20] + b"\x00" * 64 + b[84:],  # overwritten in the middle
        lambda b: b"",  # empty
        lambda b: b"garbage" * 10,
    ],
    ids=["truncated", "zeroed", "empty", "garbage"],
)
def test_damaged_cache_is_discarded(bp_world: World, damage: object) -> None:
    with bp_world.service() as svc:
        svc.run()
    path = _cache_file(bp_world)
    assert callable(damage)
    path.write_bytes(damage(path.read_bytes()))
    assert cache.load(path, bp_world.profile.uuid) is None
    with bp_world.service() as svc:
        snap, _plan = svc.prepare()
    assert snap.full


def test_cache_of_another_profile_is_not_used(bp_world: World) -> None:
    with bp_world.service() as svc:
        svc.run()
    path = _cache_file(bp_world)
    assert cache.load(path, "someone-else") is None
    assert path.exists()  # not damage: kept


def test_written_and_read_in_frames_so_no_call_holds_the_gil_long(
    bp_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One msgspec call holds the GIL: a medium snapshot in one call stopped the window
    for 150-500 ms. Each call now encodes or decodes at most ``FRAME`` records."""
    with bp_world.service() as svc:
        svc.run()
    cached = cache.load(_cache_file(bp_world), bp_world.profile.uuid)
    assert cached is not None
    monkeypatch.setattr(cache, "FRAME", 5)
    pieces: list[int] = []
    real = cache._encoder

    class Counting:
        def encode(self, obj: object) -> bytes:
            data = real.encode(obj)
            pieces.append(len(data))
            return data

    monkeypatch.setattr(cache, "_encoder", Counting())
    data = cache.encode(cached)
    assert len(pieces) > 20 and max(pieces) < len(data) / 5, (len(pieces), max(pieces))
    assert cache.decode(data, bp_world.profile.uuid) == cached
    # a file cut exactly between two frames is told from a whole one
    view = memoryview(data)
    pos, ends = len(cache.MAGIC), []
    while pos < len(data):
        pos += 4 + int.from_bytes(view[pos : pos + 4], "big")
        ends.append(pos)
    with pytest.raises(msgspec.DecodeError):
        cache.decode(data[: ends[len(ends) // 2]], bp_world.profile.uuid)


def test_saved_and_loaded_a_frame_at_a_time_never_the_whole_file(
    bp_world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Issue 18 (the large set in 300 MB): the file of the large set is about 130 MB;
    saving kept every encoded frame in a list until the last was written and loading
    read the whole file before decoding it."""
    with bp_world.service() as svc:
        svc.run()
    cached = cache.load(_cache_file(bp_world), bp_world.profile.uuid)
    assert cached is not None
    monkeypatch.setattr(cache, "FRAME", 5)
    path = tmp_path / "again.snapshot"
    tracemalloc.start()
    try:
        cache.save(path, cached)
        saving = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        reads: list[int] = []
        real_open = Path.open

        def counting_open(self: Path, *args: Any, **kwargs: Any) -> Any:
            fh = real_open(self, *args, **kwargs)
            real_read = fh.read

            class Reading:
                def __getattr__(self, name: str) -> Any:
                    return getattr(fh, name)

                def __enter__(self) -> Reading:
                    return self

                def __exit__(self, *exc: object) -> None:
                    fh.close()

                def read(self, n: int = -1) -> bytes:
                    data: bytes = real_read(n)
                    reads.append(len(data))
                    return data

            return Reading()

        monkeypatch.setattr(Path, "open", counting_open)

        def counting_read_bytes(self: Path) -> bytes:
            with real_open(self, "rb") as fh:
                data = fh.read()
            reads.append(len(data))
            return data

        monkeypatch.setattr(Path, "read_bytes", counting_read_bytes)
        again = cache.load(path, bp_world.profile.uuid)
    finally:
        tracemalloc.stop()
    size = path.stat().st_size
    assert again == cached
    assert saving < size / 2, (saving, size)
    assert reads and max(reads) < size / 10, (max(reads, default=0), size)


def test_a_loaded_snapshot_holds_each_text_and_decimal_spelling_once(bp_world: World) -> None:
    """Issue 18: msgspec made a new string for every row naming a product and a new
    Decimal for every price; the large set's loaded snapshot took 332 MB, shared 150 MB.
    Decimals are shared by spelling only (1.0 and 1.00 stay as they were)."""
    with bp_world.service() as svc:
        svc.run()
    cached = cache.load(_cache_file(bp_world), bp_world.profile.uuid)
    assert cached is not None
    lines = [line for inv in cached.onec.invoices.values() for line in inv.lines]
    refs = [line.product_ref for line in lines if line.product_ref]
    names = [line.product_name for line in lines]
    prices = [line.price for line in lines]
    assert len(refs) > len(set(refs))  # the check means something: products repeat
    assert len({id(r) for r in refs}) == len(set(refs))
    assert len({id(n) for n in names}) == len(set(names))
    assert len({id(p) for p in prices}) == len({str(p) for p in prices})
    spelled = Sharing()
    one, other, again = spelled((Decimal("1.0"), Decimal("1.00"), Decimal("1.0")))
    assert (str(one), str(other)) == ("1.0", "1.00") and again is one


def test_a_loaded_snapshot_holds_each_date_and_unit_once(bp_world: World) -> None:
    """Issue 18: msgspec made a date for every document and a unit of measure for every
    product (the large set: 106,703 dates and 33,335 units, 5.5 MB); once per value now.
    A time keeps its offset: the same instant at another offset is another value."""
    with bp_world.service() as svc:
        svc.run()
    cached = cache.load(_cache_file(bp_world), bp_world.profile.uuid)
    assert cached is not None
    dates = [inv.date for inv in cached.onec.invoices.values()]
    dates += [pay.date for pay in cached.onec.payments.values()]
    units = [p.unit for p in cached.onec.products.values() if p.unit is not None]
    assert len(dates) > len(set(dates)) and len(units) > len(set(units))  # they repeat
    assert len({id(d) for d in dates}) == len(set(dates))
    assert len({id(u) for u in units}) == len(set(units))
    moscow = dt.datetime(2026, 3, 3, 12, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    utc = moscow.astimezone(dt.UTC)
    one, other, again = Sharing()((moscow, utc, moscow.replace()))
    assert one is moscow and other is utc and again is moscow
