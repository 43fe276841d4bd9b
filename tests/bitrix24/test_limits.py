"""The leaky bucket (503) and the operating-time limit (429), on a clock the test controls."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client, Bitrix24RateLimited
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox
from desktop_sync.sandbox.bitrix24.limits import CostModel
from tests.bitrix24.conftest import FakeClock


def test_bucket_refuses_the_51st_quick_request_then_drains(
    limited: Bitrix24Sandbox, fake_clock: FakeClock, make_client: Callable[..., Bitrix24Client]
) -> None:
    client = make_client(
        limited.webhook, throttle=False, clock=fake_clock.time, sleep=fake_clock.sleep
    )
    for _ in range(50):
        client.call("scope")
    assert limited.stats.rejected_503 == 0
    client.call("scope")  # the 51st is refused once, waited out, and retried
    assert limited.stats.rejected_503 >= 1
    assert client.counters.got_503 >= 1
    assert fake_clock.slept > 0


def test_batch_counts_as_one_request(
    limited: Bitrix24Sandbox, fake_clock: FakeClock, make_client: Callable[..., Bitrix24Client]
) -> None:
    client = make_client(limited.webhook, clock=fake_clock.time, sleep=fake_clock.sleep)
    for _ in range(40):
        client.batch({f"c{i}": ("scope", {}) for i in range(50)})
    assert limited.stats.rejected_503 == 0
    assert limited.stats.subcalls["scope"] == 2000


def test_client_throttle_never_triggers_503(
    limited: Bitrix24Sandbox, fake_clock: FakeClock, make_client: Callable[..., Bitrix24Client]
) -> None:
    client = make_client(limited.webhook, clock=fake_clock.time, sleep=fake_clock.sleep)
    start_at = fake_clock.time()
    for _ in range(200):
        client.call("scope")
    assert limited.stats.rejected_503 == 0
    assert client.counters.got_503 == 0
    elapsed = fake_clock.time() - start_at
    floor = (200 - 50) / 2  # what the bucket allows: 50 at once, then 2 per second
    assert floor <= elapsed <= floor * 1.1


def test_operating_limit_answers_429_then_recovers(
    limited: Bitrix24Sandbox, fake_clock: FakeClock, make_client: Callable[..., Bitrix24Client]
) -> None:
    limited.portal.cost_model = CostModel(base=0.5)  # every call costs 0.5 s of operating time
    limited.set_operating_limit(2.0)
    client = make_client(
        limited.webhook, clock=fake_clock.time, sleep=fake_clock.sleep, operating_limit=420.0
    )  # the client does not know this portal's limit
    for _ in range(4):
        client.call("crm.company.list", {"start": -1})
    blocked_at = fake_clock.time()
    client.call("crm.company.list", {"start": -1})  # 429, wait for operating_reset_at, retry
    assert limited.stats.rejected_429 == 1
    assert client.counters.got_429 == 1
    assert fake_clock.time() - blocked_at >= 500  # waited for the window to reset
    client.call("crm.company.get", {"id": 2})  # other methods were never blocked


def test_client_budget_avoids_429(
    limited: Bitrix24Sandbox, fake_clock: FakeClock, make_client: Callable[..., Bitrix24Client]
) -> None:
    limited.portal.cost_model = CostModel(base=0.5)
    limited.set_operating_limit(2.0)
    client = make_client(
        limited.webhook, clock=fake_clock.time, sleep=fake_clock.sleep, operating_limit=2.0
    )
    for _ in range(10):
        client.call("crm.company.list", {"start": -1})
    assert limited.stats.rejected_429 == 0
    assert client.rest.budget.waited > 0


def test_too_long_a_block_is_reported_not_waited(
    limited: Bitrix24Sandbox, fake_clock: FakeClock, make_client: Callable[..., Bitrix24Client]
) -> None:
    limited.portal.cost_model = CostModel(base=0.5)
    limited.set_operating_limit(1.0)
    client = make_client(
        limited.webhook, clock=fake_clock.time, sleep=fake_clock.sleep, max_wait=30.0
    )
    client.call("crm.company.list", {"start": -1})
    client.call("crm.company.list", {"start": -1})
    with pytest.raises(Bitrix24RateLimited, match=r"crm\.company\.list"):
        client.call("crm.company.list", {"start": -1})


def test_deep_offset_paging_costs_more_than_the_id_scan(
    medium: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]
) -> None:
    # Real pauses: the portal's request bucket (shared with the other tests on the
    # medium set) must not refuse these reads; this test measures operating time.
    hook = medium.add_webhook()
    client = make_client(hook, sleep=time.sleep)
    total = len(medium.store.items)
    for start_at in range(0, total, 50):
        client.call("crm.item.list", {"entityTypeId": 31, "select": ["id"], "start": start_at})
    offset_operating = client.rest.budget._usage["crm.item.list"].operating
    hook2 = medium.add_webhook()
    client2 = make_client(hook2, sleep=time.sleep)
    client2.invoices.invoice_ids()
    scan_operating = client2.rest.budget._usage["crm.item.list"].operating
    assert offset_operating > 3 * scan_operating  # and it grows with the square of the size


def test_bucket_semantics_with_and_without_counting_refusals() -> None:
    from desktop_sync.sandbox.bitrix24.limits import LeakyBucket

    now = [0.0]
    lenient = LeakyBucket(lambda: now[0])
    strict = LeakyBucket(lambda: now[0], count_refused=True)
    for bucket in (lenient, strict):
        assert all(bucket.hit() for _ in range(50))
        assert not bucket.hit()
        assert not bucket.hit()
    now[0] = 0.5  # one request drained
    assert lenient.hit()
    assert not strict.hit()  # the two refusals filled it further


def test_client_recovers_even_when_refusals_count(
    limited: Bitrix24Sandbox, fake_clock: FakeClock, make_client: Callable[..., Bitrix24Client]
) -> None:
    limited.portal.bucket.count_refused = True
    client = make_client(
        limited.webhook, throttle=False, clock=fake_clock.time, sleep=fake_clock.sleep
    )
    for _ in range(80):
        client.call("scope")
    assert limited.stats.rejected_503 > 0
    assert client.counters.got_503 == limited.stats.rejected_503


def test_batch_commands_refused_for_operating_time_are_rerun(
    limited: Bitrix24Sandbox, fake_clock: FakeClock, make_client: Callable[..., Bitrix24Client]
) -> None:
    limited.portal.cost_model = CostModel(base=0.5)
    limited.set_operating_limit(2.0)
    client = make_client(limited.webhook, clock=fake_clock.time, sleep=fake_clock.sleep)
    reply = client.batch({f"c{i}": ("crm.company.get", {"id": 2 + i}) for i in range(8)})
    assert reply.errors == {}
    assert sorted(reply.results) == sorted(f"c{i}" for i in range(8))
    assert limited.stats.rejected_429 > 0  # some were refused, then re-run after the reset


def test_429_is_waited_out_even_without_the_proactive_throttle(
    limited: Bitrix24Sandbox, fake_clock: FakeClock, make_client: Callable[..., Bitrix24Client]
) -> None:
    limited.portal.cost_model = CostModel(base=0.5)
    limited.set_operating_limit(1.0)
    client = make_client(
        limited.webhook, throttle=False, clock=fake_clock.time, sleep=fake_clock.sleep
    )
    for _ in range(4):
        client.call("crm.company.list", {"start": -1})
    assert limited.stats.rejected_429 >= 1 and fake_clock.slept >= 500
