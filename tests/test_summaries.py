"""The harnesses' end-of-session summaries add up across pytest-xdist workers
(tests/summaries.py): what two workers counted prints as one process counting it all."""

from __future__ import annotations

from collections import Counter

from tests import summaries
from tests.reliability import conftest as reliability
from tests.service import conftest as service
from tests.sim import conftest as sim
from tests.sim.sim import Tally as SimTally


def test_counts_merge_as_one_process_would_count_them() -> None:
    a = {"x": {"tried": 2, "notes": ["a"]}, "t": "1.0 s", "k": {"F1": 1}}
    b = {
        "x": {"tried": 3, "notes": ["b"]},
        "y": {"tried": 1},
        "t": "2.0 s",
        "k": {"F1": 2, "F2": 1},
    }
    assert summaries.merge(a, b) == {
        "x": {"tried": 5, "notes": ["a", "b"]},
        "y": {"tried": 1},
        "t": "2.0 s",
        "k": {"F1": 3, "F2": 1},
    }


def test_the_simulation_line_is_the_same_from_merged_counts() -> None:
    one = SimTally(runs=1, days=12, kills=2, pairs=Counter(stock=5), known=Counter())
    two = SimTally(runs=1, days=12, kills=3, pairs=Counter(stock=6, pdfs=1), known=Counter())
    whole = SimTally(runs=2, days=24, kills=5, pairs=Counter(stock=11, pdfs=1), known=Counter())

    def counts(t: SimTally) -> summaries.Counts:
        return {k: dict(v) if isinstance(v, Counter) else v for k, v in vars(t).items()}

    merged = summaries.merge(counts(one), counts(two))
    assert sim.summary_lines(merged) == [whole.line()]


def test_reliability_and_shared_journal_lines() -> None:
    merged = summaries.merge(
        {"kills": {"tried": 2, "passed": 2, "lost": 0, "duplicated": 0, "kills": 3, "notes": []}},
        {"kills": {"tried": 2, "passed": 1, "lost": 0, "duplicated": 1, "kills": 0, "notes": []}},
    )
    assert reliability.summary_lines(merged) == [
        "kills      tried   4  passed   3  lost 0  duplicated 1  kills 3"
    ]
    assert service.summary_lines({"stopped": "0.2 s"}) == ["stopped: 0.2 s"]
