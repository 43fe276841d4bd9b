"""Tests that run on Windows too (issue 24, item 9): they decode their children's output
as UTF-8 and kill with what each platform has.

``subprocess.run(text=True)`` without ``encoding=`` decodes in the ANSI code page on
Windows (cp1251 or cp1252), so a child's «₽» or «→» became garbage or an error there;
``signal.SIGKILL`` does not exist on Windows (``tests/killing.py`` has what does).
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _calls() -> list[tuple[Path, ast.Call]]:
    found = []
    for path in TESTS.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [(path, node) for node in ast.walk(tree) if isinstance(node, ast.Call)]
    return found


def test_child_output_is_decoded_as_utf8() -> None:
    offenders = []
    for path, call in _calls():
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        text = keywords.get("text", keywords.get("universal_newlines"))
        if isinstance(text, ast.Constant) and text.value is True and "encoding" not in keywords:
            offenders.append(f"{path.relative_to(TESTS)}:{call.lineno}")
    assert offenders == [], "add encoding='utf-8' to these subprocess calls"


def test_no_test_uses_a_posix_only_signal() -> None:
    offenders = []
    for path in TESTS.rglob("*.py"):
        if path.name == "killing.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "signal"
                and node.attr in ("SIGKILL", "SIGSTOP", "SIGHUP", "SIGUSR1", "SIGUSR2")
            ):
                offenders.append(f"{path.relative_to(TESTS)}:{node.lineno} signal.{node.attr}")
    assert offenders == [], "use tests.killing (kill_hard, was_killed)"
