"""The one retry policy of both connectors: exponential back-off with jitter.

Built on tenacity (docs/decisions/errors-and-retries.md). A read that failed for a reason
that may pass (a dropped connection, a timeout, a 5xx, a mangled answer) is tried
again after ``base * 2**n`` seconds (capped) plus up to ``base`` of random jitter, so
that several clients failing together do not come back in step. A server's own
``Retry-After`` (an error's ``retry_after``, capped at 30 s) is waited at least.

What the policy does not decide stays with its caller: which errors are worth a
retry (a write is sent once unless it surely never left), and Bitrix24's own
limits, paced by its leaky bucket and operating-time budget
(:mod:`desktop_sync.connectors.bitrix24.throttle`), which are not failures to back
off from but answers to wait out exactly.

Sleeping goes through the caller's ``sleep`` as it is at the time of the wait (a
test or the simulation replaces a client's sleep after it is made).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tenacity import (
    AttemptManager,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)
from tenacity.wait import wait_base

RETRY_AFTER_CAP = 30.0  # never wait longer than this for a server's Retry-After


class _AtLeastRetryAfter(wait_base):
    """The back-off, or the server's ``Retry-After`` when it asks for longer."""

    def __init__(self, backoff: wait_base) -> None:
        self.backoff = backoff

    def __call__(self, retry_state: RetryCallState) -> float:
        wait = self.backoff(retry_state)
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        asked = float(getattr(exc, "retry_after", 0.0) or 0.0)
        return max(wait, min(asked, RETRY_AFTER_CAP))


def backoff(base: float, cap: float) -> wait_base:
    """``base * 2**n`` (n = 0, 1, …) up to ``cap``, plus up to ``base`` of jitter."""
    return wait_exponential(multiplier=base, max=cap) + wait_random(0, base)


def attempts(
    retries: int,
    *,
    base: float,
    cap: float,
    worth_retrying: Callable[[BaseException], bool],
    sleep: Callable[[], Callable[[float], None]],
    counted: Callable[[], None] | None = None,
) -> Iterator[AttemptManager]:
    """``for attempt in attempts(...): with attempt: ...``: the first try and ``retries`` more.

    ``sleep`` returns the sleep function to use now; ``counted`` is called before each
    wait (a retry counter). The last error is raised as it is.
    """

    def wait_now(seconds: float) -> None:
        if counted is not None:
            counted()
        sleep()(seconds)

    return iter(
        Retrying(
            stop=stop_after_attempt(retries + 1),
            wait=_AtLeastRetryAfter(backoff(base, cap)),
            retry=retry_if_exception(worth_retrying),
            sleep=wait_now,
            reraise=True,
        )
    )
