"""Packaging files: consistent with each other and with pyproject, without building.

The build itself and the smoke test of the executable run in ``.ci/run``
(``packaging/build.py`` then ``packaging/smoke.py``); these tests keep the parts
that cannot run here (Windows resources, the installer, the release workflow)
from drifting.
"""

from __future__ import annotations

import configparser
import importlib.metadata
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


@pytest.fixture(scope="module")
def modules() -> Iterator[None]:
    sys.path.insert(0, str(PACKAGING))
    try:
        yield
    finally:
        sys.path.remove(str(PACKAGING))


def test_version_comes_from_pyproject(modules: None) -> None:
    import buildinfo

    info = buildinfo.read_info()
    assert info.name == "desktop-sync"
    assert info.version == importlib.metadata.version("desktop-sync")
    assert buildinfo.BuildInfo("x", "1.2.3rc1", "").numeric == (1, 2, 3, 0)
    assert buildinfo.BuildInfo("x", "2.0", "").numeric == (2, 0, 0, 0)
    assert buildinfo.BuildInfo("x", "0.4.1.dev7+g1234", "").numeric == (0, 4, 1, 0)


def test_windows_version_info_is_what_pyinstaller_reads(modules: None, tmp_path: Path) -> None:
    """PyInstaller ``eval``s this file with its version-resource classes (needs pefile,
    Windows-only); the same ``eval`` with recording stand-ins checks it here."""
    import buildinfo

    info = buildinfo.BuildInfo("desktop-sync", "1.2.3", "")
    path = buildinfo.write_version_info(info, tmp_path / "v.txt", "desktop-sync.exe")
    names = [
        "VSVersionInfo",
        "FixedFileInfo",
        "StringFileInfo",
        "StringTable",
        "StringStruct",
        "VarFileInfo",
        "VarStruct",
    ]
    calls: list[tuple[str, tuple[object, ...], dict[str, object]]] = []

    def recorder(name: str) -> object:
        def record(*args: object, **kwargs: object) -> str:
            calls.append((name, args, kwargs))
            return name

        return record

    eval(path.read_text(encoding="utf-8"), {n: recorder(n) for n in names})
    fixed = next(kw for n, _a, kw in calls if n == "FixedFileInfo")
    assert fixed["filevers"] == fixed["prodvers"] == (1, 2, 3, 0)
    strings = {a[0]: a[1] for n, a, _kw in calls if n == "StringStruct"}
    assert strings["ProductVersion"] == "1.2.3"
    assert strings["OriginalFilename"] == "desktop-sync.exe"


def test_icon_is_found(modules: None, tmp_path: Path) -> None:
    import buildinfo

    icon = buildinfo.icon_file(tmp_path)
    assert icon is not None and icon.is_file()


def test_spec_bundles_keyring_backends_metadata_and_resources() -> None:
    spec = (PACKAGING / "desktop-sync.spec").read_text(encoding="utf-8")
    compile(spec, "desktop-sync.spec", "exec")  # valid Python
    for needed in (
        'copy_metadata("keyring")',
        'copy_metadata("desktop-sync")',
        'collect_submodules("keyring.backends")',
        '"keyring.backends.SecretService"',
        '"keyring.backends.Windows"',
        'collect_submodules("desktop_sync")',
        "buildinfo.RESOURCES",
        'executable("desktop-sync-gui", console=False)',
        'executable("desktop-sync", console=True)',
    ):
        assert needed in spec, needed


def test_desktop_entry() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(ROOT / "resources" / "desktop-sync.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == "desktop-sync"
    assert entry["Terminal"] == "false"
    assert (ROOT / "resources" / "icons" / f"{entry['Icon']}.png").is_file()
    assert entry["Categories"].endswith(";")
    assert parser["Desktop Action demo"]["Exec"] == "desktop-sync demo"
    assert "demo" in entry["Actions"].split(";")


def test_installer_script_matches_the_build() -> None:
    iss = (PACKAGING / "windows" / "desktop-sync.iss").read_text(encoding="utf-8")
    assert '#define GuiExe "desktop-sync-gui.exe"' in iss
    assert '#define CliExe "desktop-sync.exe"' in iss
    assert re.search(r"^AppId=\{\{[0-9A-F-]{36}\}$", iss, re.M)
    assert "AppVersion={#AppVersion}" in iss
    sections = set(re.findall(r"^\[(\w+)\]", iss, re.M))
    assert {"Setup", "Files", "Icons", "Code"} <= sections
    assert '{group}\\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"' in iss
    build = (PACKAGING / "build.py").read_text(encoding="utf-8")
    for define in ("AppVersion", "SourceDir", "IconFile"):
        assert f"/D{define}=" in build


def test_release_workflow_builds_both_platforms_on_tags() -> None:
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text("utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert triggers["push"]["tags"] == ["v*"]
    build = workflow["jobs"]["build"]
    assert set(build["strategy"]["matrix"]["os"]) == {"windows-2022", "ubuntu-22.04"}
    runs = " ".join(step.get("run", "") for step in build["steps"])
    assert "packaging/build.py" in runs and "packaging/smoke.py" in runs
    assert workflow["jobs"]["release"]["needs"] == "build"


def test_smoke_fails_on_tracebacks_and_unknown_stderr(modules: None, tmp_path: Path) -> None:
    import smoke

    s = smoke.Smoke(tmp_path / "exe", tmp_path)
    assert s.judge("clean", 0, "ok\n", "This plugin does not support propagateSizeHints()\n", (0,))
    odd = "QPainter::begin: Paint device returned engine == 0\n"
    assert not s.judge("odd line", 0, "", odd, (0,))
    assert not s.judge("traceback", 0, "Traceback (most recent call last):\n", "", (0,))
    assert not s.judge("exit code", 3, "", "", (0,))
    assert len(s.failures) == 3
