"""Work done while the bucket makes a request wait (``while_waiting``) replaces the sleep:
the time it takes drains the bucket as a sleep would, so it costs the run nothing. And the
mirror of the bucket leaves room for the requests' arrival jitter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.crm.port import Waiting
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox
from tests.bitrix24.conftest import FakeClock


def test_the_wait_is_spent_working_not_sleeping(
    limited: Bitrix24Sandbox, fake_clock: FakeClock, make_client: Callable[..., Bitrix24Client]
) -> None:
    client = make_client(limited.webhook, clock=fake_clock.time, sleep=fake_clock.sleep)
    for _ in range(50):  # the bucket is full: each next request waits half a second
        client.call("scope")
    units: list[float] = []

    def work() -> Waiting:  # a unit of work takes 0.1 s of the clock; 12 units in all
        if len(units) == 12:
            return Waiting.NONE_LEFT
        units.append(fake_clock.time())
        fake_clock.sleep(0.1)  # the clock moving, as real work moves it
        return Waiting.DID_ONE

    client.while_waiting(work)
    slept_before = client.rest.throttle.waited
    start_at = fake_clock.time()
    for _ in range(4):
        client.call("scope")
    assert len(units) == 12  # all of it done while waiting
    slept = client.rest.throttle.waited - slept_before
    assert slept == pytest.approx(4 * 0.5 - 12 * 0.1, abs=0.11)  # the rest of the wait
    assert fake_clock.time() - start_at == pytest.approx(4 * 0.5, abs=0.11)  # no time lost
    assert limited.stats.rejected_503 == 0


def test_without_a_wait_no_work_is_done(
    limited: Bitrix24Sandbox, fake_clock: FakeClock, make_client: Callable[..., Bitrix24Client]
) -> None:
    client = make_client(limited.webhook, clock=fake_clock.time, sleep=fake_clock.sleep)
    done: list[int] = []

    def work() -> Waiting:
        done.append(1)
        return Waiting.DID_ONE

    client.while_waiting(work)
    for _ in range(10):  # far below the burst: nothing waits
        client.call("scope")
    assert done == []


def test_work_not_ready_yet_waits_for_a_later_wait_and_none_left_is_never_asked_again(
    limited: Bitrix24Sandbox, fake_clock: FakeClock, make_client: Callable[..., Bitrix24Client]
) -> None:
    """Work that becomes ready only later in the run (a PDF whose invoice the run makes
    after its first waits) is asked again at each wait, once per wait while none is ready
    (no spinning); when none is left it is not asked again."""
    client = make_client(limited.webhook, clock=fake_clock.time, sleep=fake_clock.sleep)
    for _ in range(50):  # the bucket is full: each next request waits half a second
        client.call("scope")
    asked: list[int] = []
    done: list[float] = []
    ready = 0  # units made ready by the "run" so far

    def work() -> Waiting:
        asked.append(1)
        if len(done) == 4:
            return Waiting.NONE_LEFT
        if len(done) >= ready:
            return Waiting.NOT_YET
        done.append(fake_clock.time())
        fake_clock.sleep(0.1)
        return Waiting.DID_ONE

    client.while_waiting(work)
    for _ in range(3):  # nothing ready: asked once a wait, the wait slept
        client.call("scope")
    assert (len(asked), done) == (3, [])
    ready = 4  # the run made what the work needs
    client.call("scope")  # this wait does all four, then learns none is left
    assert len(done) == 4
    assert len(asked) == 3 + 5
    for _ in range(3):
        client.call("scope")
    assert len(asked) == 3 + 5  # never asked again
    assert limited.stats.rejected_503 == 0


def test_a_slower_request_then_a_quicker_one_meet_no_503(
    limited: Bitrix24Sandbox,
    fake_clock: FakeClock,
    make_client: Callable[..., Bitrix24Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The portal counts a request when it arrives: one that travels 100 ms and the next
    that travels none arrive 100 ms closer than they left. The client's mirror keeps that
    jitter free (``throttle.JITTER``) instead of filling the bucket to the last request."""
    client = make_client(limited.webhook, clock=fake_clock.time, sleep=fake_clock.sleep)
    post = RestClient._post
    sent: list[int] = []

    def travelling(self: RestClient, method: str, body: Any) -> Any:
        sent.append(1)
        if len(sent) % 2:
            fake_clock.sleep(0.1)  # this one is slower on the way
        return post(self, method, body)

    monkeypatch.setattr(RestClient, "_post", travelling)
    for _ in range(70):  # past the burst: each waits for the bucket
        client.call("scope")
    assert limited.stats.rejected_503 == 0
    assert client.counters.got_503 == 0
