"""Fault injection for the 1C sandbox.

Grammar of ``faults`` (``--faults``): comma-separated ``kind:value`` items.

- ``500:F``      1C's own 500 with ``{"odata.error":{"code":"-1",…}}`` on a fraction F
- ``503:F``      503 from the web server in front of 1C (HTML page)
- ``html:F``     502 Bad Gateway HTML page from the web server (Apache/IIS)
- ``html200:F``  HTTP 200 with an HTML login page instead of data (A1)
- ``timeout:F``  no answer: the connection hangs until the client gives up
- ``drop:F``     the connection is closed without an answer (the request is not handled)
- ``lost:F``     the request is handled (a write is done), then the answer is lost
- ``delay:S``    every answer is delayed by S seconds (not a fraction)

Example: ``"500:0.1,timeout:0.05,html200:0.05"``. Fractions are drawn from a
``random.Random`` seeded with the sandbox seed, so a run is repeatable when its
requests are. Tests can also force the next N answers with :meth:`Faults.force`.
"""

from __future__ import annotations

import random
import threading
from collections import deque

KINDS = ("500", "503", "html", "html200", "timeout", "drop", "lost")


class Faults:
    def __init__(self, spec: str = "", seed: int = 1) -> None:
        self.fractions: list[tuple[str, float]] = []
        self.delay = 0.0
        self._rng = random.Random(f"faults/{seed}")
        self._forced: deque[tuple[str, str | None]] = deque()
        self._lock = threading.Lock()
        for item in filter(None, (p.strip() for p in spec.split(","))):
            kind, sep, value = item.partition(":")
            try:
                number = float(value)
            except ValueError:
                number = -1.0
            if not sep or number < 0:
                raise ValueError(f"bad fault {item!r}: expected kind:number, e.g. 500:0.1")
            if kind == "delay":
                self.delay = number
            elif kind in KINDS:
                if number > 1:
                    raise ValueError(f"bad fault {item!r}: a fraction is between 0 and 1")
                self.fractions.append((kind, number))
            else:
                raise ValueError(f"unknown fault {kind!r}: one of {', '.join(KINDS)}, delay")

    def force(self, kind: str, count: int = 1, method: str | None = None) -> None:
        """Make the next ``count`` requests (of ``method`` only, if given) fail with ``kind``."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._forced.extend([(kind, method)] * count)

    def clear(self) -> None:
        with self._lock:
            self._forced.clear()

    def draw(self, method: str = "GET") -> str | None:
        with self._lock:
            for i, (kind, only) in enumerate(self._forced):
                if only is None or only == method:
                    del self._forced[i]
                    return kind
            if not self.fractions:
                return None
            r = self._rng.random()
            for kind, fraction in self.fractions:
                if r < fraction:
                    return kind
                r -= fraction
            return None
