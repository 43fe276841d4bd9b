"""Fault injection: ``faults="500:0.1,timeout:0.05,html502:0.05"``.

Grammar: a comma-separated list of ``KIND:PROBABILITY`` (probability 0..1),
optionally ``KIND:PROBABILITY@METHOD`` to limit the fault to one method
(lower-case name, e.g. ``500:1@crm.item.list``). Each request draws once from a
random generator seeded with the sandbox seed, so a run is reproducible. Kinds:

- ``500``, ``502``, ``504`` (any 5xx number): that status with a JSON body
  ``{"error": "INTERNAL_SERVER_ERROR", ...}``; the method is **not** executed;
- ``html500``, ``html502``, ``html504``: that status with an nginx-style HTML
  page instead of JSON; not executed;
- ``503``: a 503 ``QUERY_LIMIT_EXCEEDED`` as if the bucket were full; not executed;
- ``503burst``: the same for this request and the next four (a burst of five,
  as when another application behind the same IP floods the portal);
- ``timeout``: the method **is** executed, then the server holds the connection
  for ``timeout_seconds`` (default 3 s) and closes it without an answer;
- ``drop``: the method **is** executed and the connection is closed without an
  answer (the client cannot know the outcome);
- ``badjson``: the method is executed and a truncated JSON body is sent.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

KINDS_EXECUTED = frozenset({"timeout", "drop", "badjson"})


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str
    probability: float
    method: str | None = None


def parse_faults(spec: str) -> list[Fault]:
    faults: list[Fault] = []
    for raw in spec.split(","):
        part = raw.strip()
        if not part:
            continue
        kind, sep, rest = part.partition(":")
        if not sep:
            raise ValueError(f"fault {part!r}: expected KIND:PROBABILITY")
        prob_text, _, method = rest.partition("@")
        try:
            probability = float(prob_text)
        except ValueError:
            raise ValueError(f"fault {part!r}: probability is not a number") from None
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"fault {part!r}: probability must be between 0 and 1")
        kind = kind.strip().lower()
        valid = (
            kind in {"timeout", "drop", "badjson", "503burst"}
            or kind.removeprefix("html").isdigit()
        )
        if not valid:
            raise ValueError(f"fault {part!r}: unknown kind {kind!r}")
        faults.append(Fault(kind, probability, method.strip().lower() or None))
    return faults


class FaultPlan:
    def __init__(self, spec: str, seed: int) -> None:
        self.faults = parse_faults(spec)
        self._rng = random.Random(f"faults/{seed}")
        self._lock = threading.Lock()
        self.timeout_seconds = 3.0
        self.burst_length = 5
        self._burst_left = 0

    def draw(self, method: str, carried: frozenset[str] = frozenset()) -> str | None:
        """The fault kind to apply to this request, if any. ``carried``: the methods of a
        batch request's commands (a fault limited to one of them hits the whole batch)."""
        if not self.faults:
            return None
        with self._lock:
            if self._burst_left > 0:
                self._burst_left -= 1
                return "503"
            roll = self._rng.random()
        acc = 0.0
        for fault in self.faults:
            if fault.method is not None and fault.method != method and fault.method not in carried:
                continue
            acc += fault.probability
            if roll < acc:
                if fault.kind == "503burst":
                    with self._lock:
                        self._burst_left = self.burst_length - 1
                    return "503"
                return fault.kind
        return None
