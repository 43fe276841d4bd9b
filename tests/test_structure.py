"""Structure gates of issue 17, checked on the source itself: modules a reader can hold in
mind (at most 500 lines outside the sandboxes) and functions one can follow (cyclomatic
complexity at most rank D, as ``radon cc -n E src/desktop_sync`` reports it)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from radon.complexity import cc_rank, cc_visit

SRC = Path(__file__).resolve().parents[1] / "src" / "desktop_sync"
MAX_LINES = 500
WORST_RANK = "D"  # A (simplest) … F; E and F are refused


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _blocks(blocks: Iterable[Any]) -> Iterator[Any]:
    """Every block radon measured: ``cc_visit`` lists functions, classes and methods;
    nested functions and classes (which count apart from their parent) are added."""
    for block in blocks:
        yield block
        yield from _blocks(getattr(block, "closures", ()))
        for inner in getattr(block, "inner_classes", ()):
            yield from _blocks([inner, *inner.methods])


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _kind(block: Any) -> str:
    if getattr(block, "is_method", False):
        return "method"
    return "class" if hasattr(block, "methods") else "function"


def test_no_module_outside_the_sandboxes_is_over_500_lines() -> None:
    offenders = [
        f"{path.relative_to(SRC)}: {n} lines"
        for path in _modules()
        if "sandbox" not in path.relative_to(SRC).parts and (n := _lines(path)) > MAX_LINES
    ]
    assert not offenders, (
        f"modules over {MAX_LINES} lines (split them along a real seam):\n  "
        + "\n  ".join(offenders)
    )


def test_no_function_is_more_complex_than_rank_d() -> None:
    offenders = []
    for path in _modules():
        for block in _blocks(cc_visit(path.read_text(encoding="utf-8"))):
            rank = cc_rank(block.complexity)
            if rank > WORST_RANK:
                offenders.append(
                    f"{path.relative_to(SRC)}:{block.lineno} {_kind(block)} {block.fullname}"
                    f" - {rank} ({block.complexity})"
                )
    assert not offenders, (
        f"functions above complexity rank {WORST_RANK} (radon; split them into steps):\n  "
        + "\n  ".join(offenders)
    )


def test_the_gates_see_an_offender() -> None:
    """The measures themselves: a long module and a branchy function are caught."""
    branches = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(40))
    blocks = list(_blocks(cc_visit(f"def branchy(x):\n{branches}\n    return -1\n")))
    assert [(b.fullname, cc_rank(b.complexity)) for b in blocks] == [("branchy", "F")]
    nested = "class A:\n    def m(self, x):\n        def inner(y):\n" + "\n".join(
        f"            if y == {i}:\n                return {i}" for i in range(40)
    )
    found = [(b.fullname, cc_rank(b.complexity)) for b in _blocks(cc_visit(nested))]
    assert sorted(found) == [("A", "A"), ("A.m", "A"), ("inner", "F")]
