"""F11's requests (issue 18): the printed invoices (PDFs) travel in batches.

The timelines that may hold a PDF already are read 50 invoices to a batch request; the
comments with their files are added several to a batch request (``BATCH_BODY``), each
settled from its own answer. An invoice made in this very run has a timeline no attempt
could have written to: its PDF is added without the look-up
(docs/decisions/exactly-once-creates.md). A comment the portal refuses fails alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pytest

from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.engine.model import Flow

from .conftest import World, only_pdfs_left

LIST, ADD = "crm.timeline.comment.list", "crm.timeline.comment.add"
PER_ADD_BATCH = 10  # at least this many PDFs (some 55 KB form-encoded) to a batch request


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """Each CRM request that touches a timeline: the methods it carries (the real
    client runs; a batch request is one entry)."""
    seen: list[tuple[str, ...]] = []
    batch, call = RestClient.batch, RestClient.call

    def counted_batch(self: RestClient, commands: Mapping[str, tuple[str, Any]], **kw: Any) -> Any:
        methods = tuple(m.lower() for m, _p in commands.values())
        if any(m.startswith("crm.timeline.") for m in methods):
            seen.append(("batch", *sorted(set(methods))))
        return batch(self, commands, **kw)

    def counted_call(self: RestClient, method: str, *args: Any, **kw: Any) -> Any:
        if method.lower().startswith("crm.timeline."):
            seen.append((method.lower(),))
        return call(self, method, *args, **kw)

    monkeypatch.setattr(RestClient, "batch", counted_batch)
    monkeypatch.setattr(RestClient, "call", counted_call)
    return seen


def _pdf_count(world: World) -> int:
    st = world.crm.store
    with st.lock:
        return sum(1 for r in st.comments.rows.values() if r.get("FILES"))


def test_n_linked_invoices_pdfs_take_a_look_up_per_50_and_an_add_per_several(
    world: World, requests: list[tuple[str, ...]]
) -> None:
    only_pdfs_left(world)
    requests.clear()
    with world.service() as svc:
        summary, plan = svc.run()
    n = sum(1 for op in plan.operations if op.flow is Flow.F11)
    assert n >= 2 and summary.per_flow[Flow.F11.value].get("failed", 0) == 0
    assert _pdf_count(world) == n
    look_ups = [r for r in requests if r == ("batch", LIST)]
    adds = [r for r in requests if r == ("batch", ADD)]
    assert len(requests) == len(look_ups) + len(adds), requests  # no single request
    assert len(look_ups) <= math.ceil(n / 50), requests  # was n single look-ups
    assert len(adds) <= math.ceil(n / PER_ADD_BATCH), requests  # was n single adds


@pytest.mark.parametrize("configuration", ["bp30"])
def test_a_refused_comment_fails_alone_and_the_rest_of_its_batch_is_made(world: World) -> None:
    only_pdfs_left(world)
    with world.service() as svc:
        _plan_read, plan = svc.prepare()
        pdfs = [op for op in plan.operations if op.flow is Flow.F11]
        assert len(pdfs) >= 2
        gone = pdfs[0].target_id  # the CRM invoice is deleted before the apply
        world.crm.store.items.rows.pop(int(gone))
        summary = svc.apply(plan)
        items = [i for i in svc.inbox() if i.flow == "F11"]
    assert summary.per_flow[Flow.F11.value].get("failed", 0) == 1
    assert _pdf_count(world) == len(pdfs) - 1
    assert items and items[0].record_label == pdfs[0].record_label
