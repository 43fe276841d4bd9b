"""The installer, the frozen build and the release workflow: Windows details (issue 24, 1 and 7)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
ISS = PACKAGING / "windows" / "desktop-sync.iss"


def _iss() -> str:
    return ISS.read_text(encoding="utf-8-sig")


def test_installer_script_is_utf8_with_a_bom() -> None:
    """Inno Setup reads a script without a BOM in the ANSI code page: Russian would be garbage."""
    assert ISS.read_bytes().startswith(b"\xef\xbb\xbf")


def test_installer_file_version_takes_a_pre_release() -> None:
    iss = _iss()
    assert "VersionInfoVersion={#AppNumericVersion}" in iss
    assert "VersionInfoVersion={#AppVersion}" not in iss
    sys.path.insert(0, str(PACKAGING))
    try:
        import build
        import buildinfo
    finally:
        sys.path.remove(str(PACKAGING))
    info = buildinfo.BuildInfo("desktop-sync", "0.2.0rc1", "")
    assert build.numeric_version(info) == "0.2.0.0"
    assert "/DAppNumericVersion=" in (PACKAGING / "build.py").read_text(encoding="utf-8")


def test_upgrade_removes_the_old_program_libraries() -> None:
    iss = _iss()
    section = iss.split("[InstallDelete]", 1)[1].split("\n[", 1)[0]
    assert 'Type: filesandordirs; Name: "{app}\\_internal"' in section


def test_installer_tasks_speak_russian() -> None:
    iss = _iss()
    assert 'Description: "{cm:AddToPath}"' in iss
    russian = re.search(r"^russian\.AddToPath=(.+)$", iss, re.M)
    english = re.search(r"^english\.AddToPath=(.+)$", iss, re.M)
    assert russian and re.search("[а-яА-Я]", russian.group(1))
    assert english
    assert not re.search(r'Description: "[A-Z][a-z]', iss)  # no English text hard-coded


def test_frozen_build_carries_tzdata_truststore_and_qtnetwork() -> None:
    spec = (PACKAGING / "desktop-sync.spec").read_text(encoding="utf-8")
    assert 'collect_data_files("tzdata")' in spec
    assert '"truststore"' in spec
    assert '"PySide6.QtNetwork",' not in spec  # the single-instance listener needs it


def test_release_workflow_signs_when_the_publisher_gives_a_certificate() -> None:
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text("utf-8"))
    build = workflow["jobs"]["build"]
    names = [step.get("name", "") for step in build["steps"]]
    sign_exe = next(i for i, n in enumerate(names) if n.startswith("Sign the executables"))
    installer = next(i for i, n in enumerate(names) if n.startswith("Make the installer"))
    sign_setup = next(i for i, n in enumerate(names) if n.startswith("Sign the installer"))
    assert sign_exe < installer < sign_setup
    for index in (sign_exe, sign_setup):
        step = build["steps"][index]
        assert "HAS_SIGNING_CERT == 'true'" in step["if"]  # skipped when no secret is given
        assert "secrets.WINDOWS_SIGNING_PFX" in step["env"]["SIGNING_PFX"]
        assert "signtool" in step["run"] and "/tr " in step["run"]
    assert "secrets.WINDOWS_SIGNING_PFX" in build["env"]["HAS_SIGNING_CERT"]
