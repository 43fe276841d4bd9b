"""A proactive mirror of the portal's limits, so a healthy run never gets a 503 or a 429.

- :class:`RequestThrottle` mirrors the leaky bucket (research/bitrix24.md §3:
  50 burst, 2 per second; Enterprise 250/5). ``margin`` keeps head-room for
  other clients behind the same IP (none by default: the portal counts a request
  when it arrives, after the client counted it). ``JITTER`` is kept free besides: a
  request that travels slower than the next one arrives closer to it than it left,
  and a mirror filled to the last request met a 503 about one first sync in three;
  after a 503 it assumes the portal's bucket is full.
- :class:`OperatingBudget` follows ``time.operating`` (the method's operating
  seconds in the portal's 10-minute window, already cumulative) and
  ``operating_reset_at`` per method; before a call whose method is near the limit
  it waits for the reset, and after a 429 it blocks the method until then.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

Clock = Callable[[], float]
Sleep = Callable[[float], None]

# A quarter of a request kept free (125 ms at 2/s): the arrival times' jitter.
JITTER = 0.25
DEFAULT_OPERATING_LIMIT = 420.0  # stricter of 420 (core default) and 480 (docs/SDKs)
WINDOW = 600.0


class RequestThrottle:
    def __init__(
        self, clock: Clock, sleep: Sleep, *, burst: int = 50, rate: float = 2.0, margin: int = 0
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.burst = burst
        self.rate = rate
        self.capacity = max(1.0, burst - margin - JITTER)
        self.level = 0.0
        self._last = clock()
        self._lock = threading.Lock()
        self.waited = 0.0
        self.idle = 0.0  # seconds the bucket stood empty (counted as it is next drained)

    def _drain(self) -> None:
        now = self.clock()
        drained = (now - self._last) * self.rate
        self.idle += max(0.0, drained - self.level) / self.rate
        self.level = max(0.0, self.level - drained)
        self._last = now

    def stood_empty(self) -> float:
        """Seconds the bucket stood empty so far (nothing sent while it could have been)."""
        with self._lock:
            self._drain()
            return self.idle

    def deficit(self) -> float:
        """Seconds until one more request fits in the bucket (0: it fits now)."""
        with self._lock:
            self._drain()
            return max(0.0, self.level + 1 - self.capacity) / self.rate

    def acquire(self) -> None:
        """Wait until one more request fits in the bucket, then count it."""
        with self._lock:
            self._drain()
            excess = self.level + 1 - self.capacity
            if excess > 0:
                delay = excess / self.rate
                self.waited += delay
                self.sleep(delay)
                self._drain()
            self.level += 1

    def full(self) -> None:
        """The portal said 503: its bucket is full whatever we counted."""
        with self._lock:
            self._drain()
            self.level = max(self.level, float(self.burst))


@dataclass
class _Usage:
    operating: float = 0.0
    reset_at: float | None = None
    blocked_until: float | None = None


@dataclass(eq=False)
class OperatingBudget:
    """Each method's operating seconds as the portal reports them, and the waits before
    a method near its ``limit`` (``safety``: the share of it used before waiting)."""

    clock: Clock
    sleep: Sleep
    _: KW_ONLY
    limit: float = DEFAULT_OPERATING_LIMIT
    safety: float = 0.9
    waited: float = field(default=0.0, init=False)
    _usage: dict[str, _Usage] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def observe(self, method: str, time_info: Mapping[str, Any] | None) -> None:
        if not isinstance(time_info, Mapping) or "operating" not in time_info:
            return
        with self._lock:
            usage = self._usage.setdefault(method, _Usage())
            try:
                usage.operating = float(time_info["operating"])
            except (TypeError, ValueError):
                return
            reset = time_info.get("operating_reset_at")
            if reset is not None:
                try:
                    usage.reset_at = float(reset)
                except (TypeError, ValueError):
                    usage.reset_at = None

    def block(self, method: str) -> float:
        """After a 429: block ``method`` until its window resets; returns that moment."""
        with self._lock:
            now = self.clock()
            usage = self._usage.setdefault(method, _Usage())
            until = usage.reset_at if usage.reset_at and usage.reset_at > now else now + 60.0
            usage.blocked_until = until
            usage.operating = self.limit
            return until

    def wait_time(self, method: str) -> float:
        with self._lock:
            usage = self._usage.get(method)
            if usage is None:
                return 0.0
            now = self.clock()
            if usage.blocked_until is not None:
                if usage.blocked_until > now:
                    return usage.blocked_until - now
                usage.blocked_until = None
                usage.operating = 0.0
            if usage.operating >= self.limit * self.safety:
                until = usage.reset_at if usage.reset_at else now + 60.0
                if until > now:
                    return until - now
                usage.operating = 0.0
            return 0.0

    def before_call(self, methods: list[str], max_wait: float) -> float:
        """Wait until every method in ``methods`` may run; return the seconds waited."""
        delay = max((self.wait_time(m) for m in methods), default=0.0)
        if delay <= 0:
            return 0.0
        if delay > max_wait:
            return -delay
        self.waited += delay
        self.sleep(delay)
        for m in methods:
            self.wait_time(m)  # clear the expired state
        return delay
