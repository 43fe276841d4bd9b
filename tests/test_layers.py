"""Layering rules of DESIGN.md, checked on the source itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "desktop_sync"
NON_GUI = ["domain", "connectors", "engine", "journal", "config", "cli", "sandbox", "printing"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_gui_imports_qt() -> None:
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if "gui" not in p.relative_to(SRC).parts
        and any(n.split(".")[0] in ("PySide6", "PyQt6", "shiboken6") for n in _imports(p))
    ]
    assert offenders == []


def test_domain_imports_nothing_of_ours_but_domain() -> None:
    for path in (SRC / "domain").rglob("*.py"):
        ours = {n for n in _imports(path) if n.startswith("desktop_sync")}
        assert all(n.startswith("desktop_sync.domain") for n in ours), (path, ours)


def test_production_code_does_not_import_sandbox() -> None:
    allowed = {"sandbox", "cli"}  # the demo and sandbox commands only
    for path in SRC.rglob("*.py"):
        part = path.relative_to(SRC).parts[0]
        if part in allowed:
            continue
        assert not any(n.startswith("desktop_sync.sandbox") for n in _imports(path)), path


def test_engine_and_connectors_do_not_import_gui_or_cli() -> None:
    for layer in ("engine", "connectors", "journal", "domain", "config"):
        for path in (SRC / layer).rglob("*.py"):
            bad = {
                n for n in _imports(path) if n.startswith(("desktop_sync.gui", "desktop_sync.cli"))
            }
            assert not bad, (path, bad)


@pytest.mark.parametrize("package", NON_GUI)
def test_imports_without_pyside6(package: str) -> None:
    code = (
        "import sys, importlib, pkgutil\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'shiboken6'):\n"
        "            raise ImportError('PySide6 blocked for this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"pkg = importlib.import_module('desktop_sync.{package}')\n"
        "for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        "importlib.import_module('desktop_sync.cli.main')\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_printing_renders_from_plain_data() -> None:
    """The printed forms take plain data: no Qt, no connectors, engine, journal or CLI."""
    for path in (SRC / "printing").rglob("*.py"):
        bad = {
            n
            for n in _imports(path)
            if n.startswith(("desktop_sync.", "PySide6"))
            and not n.startswith(
                ("desktop_sync.domain", "desktop_sync.i18n", "desktop_sync.printing")
            )
        }
        assert not bad, (path, bad)
