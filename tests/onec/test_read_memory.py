"""What a 1C read leaves alive after it (issue 18: the large set in 300 MB). Real
client, real sandbox over HTTP; no memory bound, only what is still referenced."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import httpx
import pytest

from desktop_sync.connectors.onec import OnecClient, wire
from desktop_sync.engine.model import no_progress
from desktop_sync.engine.read import read_onec


@pytest.fixture
def no_collection() -> Iterator[None]:
    """The cyclic collector off: garbage in a cycle stays as long as it would have
    waited for a full collection in a process holding millions of objects."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _bodies_alive() -> int:
    return sum(
        len(o.__dict__.get("_content", b""))
        for o in gc.get_objects()
        if isinstance(o, httpx.Response)
    )


def test_an_answer_s_body_is_not_kept_in_its_response(
    client: OnecClient, no_collection: None
) -> None:
    """An httpx response is a reference cycle: a body stored in it lived until a full
    collection (several 7 MB pages at the large set's peak)."""
    before = _bodies_alive()
    invoices = client.invoices()
    assert invoices
    assert _bodies_alive() == before


def test_the_numbers_a_read_shared_are_let_go_after_it(client: OnecClient) -> None:
    """The shared-decimal cache kept every number of the read (65,536 of them, most a
    row's sum seen once) alive into the plan."""
    read_onec(client, no_progress, threading.Event(), stock=True)
    assert wire._decimal.cache_info().currsize == 0
