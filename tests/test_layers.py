"""Layering rules of DESIGN.md, checked on the source itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "desktop_sync"
NON_GUI = [
    "domain", "connectors", "engine", "readmodel", "journal", "config", "cli", "sandbox", "printing"
]  # fmt: skip


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
    """Only the sandbox itself and the demo and sandbox commands import ``sandbox``."""
    allowed = {Path("cli/demo_cmd.py"), Path("cli/sandbox_cmd.py")}
    offenders = [
        str(rel)
        for path in SRC.rglob("*.py")
        if (rel := path.relative_to(SRC)).parts[0] != "sandbox"
        and rel not in allowed
        and any(n.startswith("desktop_sync.sandbox") for n in _imports(path))
    ]
    assert offenders == []


# What a front (the command line, the window) may import of ours: the door and its
# vocabulary, the window's read model, the domain, profiles and paths (config), the
# printed forms, and the small helpers at the top of the package. Never the rest of the
# engine, the journal or the connectors: those are behind the door.
DOOR = (
    "desktop_sync.engine.service",  # SyncService: the door
    "desktop_sync.engine.facade",  # JournalDoor (the journal alone), the door's errors
    "desktop_sync.engine.records",  # what the door hands back, and the plan's types
    "desktop_sync.engine.profiles_door",  # ProfilesDoor: the profiles, secrets, logon start
    "desktop_sync.readmodel",  # the window's tables (Qt-free)
)
FRONT_MAY_IMPORT = (
    *DOOR,
    "desktop_sync.domain",
    "desktop_sync.config",
    "desktop_sync.i18n",
    "desktop_sync.printing",
    "desktop_sync.errors",
    "desktop_sync.exitcodes",
    "desktop_sync.redact",
    "desktop_sync.runlock",
    "desktop_sync.stdio",
    "desktop_sync.logsetup",
    "desktop_sync.xlsx",
    "desktop_sync.netaddr",
)


def _front_offenders(front: str) -> list[str]:
    out = []
    for path in sorted((SRC / front).rglob("*.py")):
        rel = path.relative_to(SRC)
        for name in _imports(path):
            if not name.startswith("desktop_sync.") or name.startswith(f"desktop_sync.{front}"):
                continue  # not ours (or the bare package, for __version__), or its own
            if any(name == ok or name.startswith(ok + ".") for ok in FRONT_MAY_IMPORT):
                continue
            if name.startswith("desktop_sync.sandbox") and rel in (
                Path("cli/demo_cmd.py"),
                Path("cli/sandbox_cmd.py"),
            ):
                continue
            out.append(f"{rel}: {name}")
    return out


def test_the_command_line_goes_through_the_door() -> None:
    assert _front_offenders("cli") == []


def test_the_window_goes_through_the_door() -> None:
    assert _front_offenders("gui") == []


def test_the_fronts_reach_profiles_through_the_door() -> None:
    """The profiles file is the door's (``ProfilesDoor``): a front never opens the
    ``ProfileStore`` itself, so a removed profile always takes its secrets and its
    start at logon with it."""
    offenders = [
        str(path.relative_to(SRC))
        for front in ("cli", "gui")
        for path in sorted((SRC / front).rglob("*.py"))
        if "ProfileStore" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_connectors_know_neither_engine_journal_nor_config() -> None:
    offenders = [
        f"{path.relative_to(SRC)}: {n}"
        for path in (SRC / "connectors").rglob("*.py")
        for n in _imports(path)
        if n.startswith(("desktop_sync.engine", "desktop_sync.journal", "desktop_sync.config"))
    ]
    assert offenders == []


# The engine speaks the CRM port's neutral records (desktop_sync.crm), never a
# connector's: a second CRM plugs in behind the port (docs/decisions/crm-port.md). The
# CRM writers take the port (``CrmPort``) and speak its changes (``crm.changes``) and
# errors (``crm.errors.CrmError``): how a change travels is the connector's business.
# Only the composition root knows which CRM it is: the service builds the client and
# tells its errors, the front and the records carry its connection check.
COMPOSITION_ROOT = ("service", "front", "records")


def test_the_engine_does_not_import_a_crm_connector_but_at_its_root() -> None:
    engine = [p for p in (SRC / "engine").glob("*.py") if p.stem not in COMPOSITION_ROOT]
    assert len(engine) >= 40, engine  # the rule still sees the engine's modules
    offenders = [
        f"{path.relative_to(SRC)}: {n}"
        for path in engine
        for n in _imports(path)
        if n.startswith("desktop_sync.connectors.bitrix24")  # (1C is no CRM: not behind it)
    ]
    assert offenders == []


def test_the_crm_port_imports_only_the_domain() -> None:
    offenders = [
        f"{path.relative_to(SRC)}: {n}"
        for path in (SRC / "crm").rglob("*.py")
        for n in _imports(path)
        if n.startswith("desktop_sync")
        and not n.startswith(("desktop_sync.crm", "desktop_sync.domain", "desktop_sync.errors"))
    ]
    assert offenders == []


def test_journal_does_not_import_engine() -> None:
    offenders = [
        f"{path.relative_to(SRC)}: {n}"
        for path in (SRC / "journal").rglob("*.py")
        for n in _imports(path)
        if n.startswith("desktop_sync.engine")
    ]
    assert offenders == []


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """The modules of ours that ``path`` imports when it runs: module level and inside
    functions, not under ``if TYPE_CHECKING``. ``from pkg import sub`` is an edge to
    ``pkg.sub``; the parent package a submodule's import passes through is not an edge."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    out.add(f"{base}.{alias.name}")
                elif base in modules:
                    out.add(base)
    out.discard(name)
    return out


def import_cycles(root: Path = SRC) -> list[list[str]]:
    """Every set of modules under ``root`` that import one another in a ring (Tarjan)."""
    paths = {_module_name(p, root): p for p in root.rglob("*.py")}
    graph = {name: _runtime_imports(p, name, set(paths)) for name, p in paths.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            ring = stack[stack.index(v) :]
            del stack[stack.index(v) :]
            if len(ring) > 1:
                cycles.append(sorted(ring))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return cycles


def test_no_import_cycle_in_src() -> None:
    assert import_cycles() == []


def test_the_cycle_finder_finds_a_ring(tmp_path: Path) -> None:
    """The check above must see a real ring (here a → b → c → a, lazy import included)."""
    pkg = tmp_path / "desktop_sync"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "sub" / "__init__.py").write_text("from desktop_sync.sub import a\n", encoding="utf-8")
    (pkg / "sub" / "a.py").write_text("from desktop_sync.sub.b import x\n", encoding="utf-8")
    (pkg / "sub" / "b.py").write_text("from . import c\nx = 1\n", encoding="utf-8")
    (pkg / "sub" / "c.py").write_text(
        "def f():\n    from desktop_sync.sub import a\n", encoding="utf-8"
    )
    (pkg / "sub" / "d.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from desktop_sync.sub import e\n",
        encoding="utf-8",
    )
    (pkg / "sub" / "e.py").write_text("from desktop_sync.sub import d\n", encoding="utf-8")
    assert import_cycles(pkg) == [
        ["desktop_sync.sub.a", "desktop_sync.sub.b", "desktop_sync.sub.c"]
    ]


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
