"""The longest test files are handed to CI's workers first (tests/conftest.py).

pytest-xdist's default order (files by their number of tests) put the one-test files
last: test_systems_gone (128 s in CI), the simulation and the quick benchmarks started
when the rest was done while the other worker waited (docs/decisions/ci-time.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import LONGEST_FIRST, _longest_first

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Item:
    nodeid: str


def test_every_file_named_longest_first_exists() -> None:
    missing = [name for name in LONGEST_FIRST if not (ROOT / name).is_file()]
    assert missing == [], "renamed or removed: update tests/conftest.py LONGEST_FIRST"
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)


def test_the_longest_files_come_first_and_the_rest_keep_their_order() -> None:
    names = [
        "tests/a/test_one.py::test_x",
        f"{LONGEST_FIRST[1]}::test_b",
        "tests/a/test_two.py::test_y[1]",
        f"{LONGEST_FIRST[0]}::test_a",
        "tests/a/test_two.py::test_y[2]",
        f"{LONGEST_FIRST[1]}::test_c",
    ]
    items = [Item(name) for name in names]
    _longest_first(items)  # type: ignore[arg-type]
    assert [i.nodeid for i in items] == [
        f"{LONGEST_FIRST[0]}::test_a",
        f"{LONGEST_FIRST[1]}::test_b",
        f"{LONGEST_FIRST[1]}::test_c",
        "tests/a/test_one.py::test_x",
        "tests/a/test_two.py::test_y[1]",
        "tests/a/test_two.py::test_y[2]",
    ]


def _pytest_commands(script: Path) -> list[str]:
    """The script's ``python -m pytest`` commands, each with its continued lines."""
    text = script.read_text(encoding="utf-8")
    return [m.group(0) for m in re.finditer(r"-m pytest (?:\\\n|[^\n])*", text)]


def test_ci_keeps_the_collection_order() -> None:
    for script in (ROOT / ".ci" / "run", ROOT / ".ci" / "wine" / "run"):
        suite = [c for c in _pytest_commands(script) if "--collect-only" not in c]
        assert len(suite) == 1, (script, suite)
        assert "--dist loadfile" in suite[0], script
        assert "--no-loadscope-reorder" in suite[0], script


def test_ci_rewrites_the_tests_once_before_its_workers() -> None:
    """Under PYTHONDONTWRITEBYTECODE each worker rewrote and compiled all of tests/
    (8 s of CPU each): one collection with bytecode writing on runs first, beside lint,
    and the suite waits for it."""
    script = ROOT / ".ci" / "run"
    text = script.read_text(encoding="utf-8")
    assert "PYTHONDONTWRITEBYTECODE=1" in text  # else there would be nothing to do
    collect = [c for c in _pytest_commands(script) if "--collect-only" in c]
    assert len(collect) == 1, _pytest_commands(script)
    start = text.index(collect[0])
    line = text[text.rindex("\n", 0, start) + 1 : start]
    assert "env -u PYTHONDONTWRITEBYTECODE" in line, line
    waited = text.index('wait "$collect_pid"')
    assert start < text.index('echo "== ruff"') < waited < text.index("-n auto")
