"""Fixtures: a sandbox portal on a free loopback port and real clients talking to it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.encoding import http_build_query
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox, start


class FakeClock:
    """A clock shared by the sandbox's limits and the client's throttle: sleeping advances it."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.slept = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += max(seconds, 0.0)
            self.slept += max(seconds, 0.0)


Commands = dict[str, tuple[str, Any]]


def record_batches(client: Bitrix24Client, monkeypatch: pytest.MonkeyPatch) -> list[Commands]:
    """The commands of each batch request ``client`` sends from now on (then sent as they were)."""
    sent: list[Commands] = []
    batch = client.rest.batch

    def noted(commands: Any, **how: Any) -> Any:
        sent.append(dict(commands))
        return batch(commands, **how)

    monkeypatch.setattr(client.rest, "batch", noted)
    return sent


def within_input_vars(commands: Commands) -> bool:
    """Each command's query has no more variables than PHP's ``parse_str`` keeps (1,000)."""
    return all(http_build_query(params).count("&") + 1 <= 1000 for _m, params in commands.values())


@pytest.fixture
def portal() -> Iterator[Bitrix24Sandbox]:
    with start(size="small", rate_limit=False) as sandbox:
        yield sandbox
        assert sandbox.stats.internal_errors == []  # no sandbox bug answered as a 500


@pytest.fixture(scope="session")
def medium() -> Iterator[Bitrix24Sandbox]:
    """The medium set, read-only: tests using it must not write."""
    with start(size="medium", rate_limit=True) as sandbox:
        yield sandbox
        assert sandbox.stats.internal_errors == []


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limited(fake_clock: FakeClock) -> Iterator[Bitrix24Sandbox]:
    """A small portal with its rate limit on, its bucket on the test's clock."""
    with start(size="small", rate_limit=True) as sandbox:
        sandbox.set_clock(fake_clock.time)
        yield sandbox


@pytest.fixture
def make_client() -> Iterator[Callable[..., Bitrix24Client]]:
    clients: list[Bitrix24Client] = []

    def make(url: str, **kwargs: Any) -> Bitrix24Client:
        kwargs.setdefault("sleep", lambda s: None)
        client = Bitrix24Client(url, **kwargs)
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def client(portal: Bitrix24Sandbox, make_client: Callable[..., Bitrix24Client]) -> Bitrix24Client:
    return make_client(portal.webhook)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c
