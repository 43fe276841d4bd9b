"""1C sandbox fixtures: real HTTP on loopback, a free port, everything closed after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from desktop_sync.connectors.onec import OnecClient
from desktop_sync.sandbox.onec import OnecSandbox, start


@pytest.fixture(scope="session")
def sandbox() -> Iterator[OnecSandbox]:
    """The shared small base; tests that change data use their own keys or ``fresh``."""
    with start(seed=1, size="small") as sb:
        yield sb


@pytest.fixture
def fresh() -> Iterator[OnecSandbox]:
    """A base of its own, for tests that change or count data."""
    with start(seed=1, size="small") as sb:
        yield sb


def make_client(sb: OnecSandbox, **kw: object) -> OnecClient:
    kw.setdefault("backoff", 0.001)
    kw.setdefault("timeout", 5.0)
    return OnecClient(sb.url, sb.user, sb.password, timezone=sb.timezone, **kw)  # type: ignore[arg-type]


@pytest.fixture
def client(sandbox: OnecSandbox) -> Iterator[OnecClient]:
    sandbox.faults.clear()
    with make_client(sandbox) as c:
        yield c


@pytest.fixture
def fresh_client(fresh: OnecSandbox) -> Iterator[OnecClient]:
    with make_client(fresh) as c:
        yield c
