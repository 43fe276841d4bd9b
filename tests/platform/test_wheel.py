"""A normal (non-editable) install speaks Russian: the wheel carries resources/ (issue 24, 8)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, encoding="utf-8", timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    (found,) = out.glob("desktop_sync-*.whl")
    return found


def test_wheel_holds_the_translations_and_icons(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    po_files = sorted(p.name for p in (ROOT / "resources" / "locale" / "ru").glob("*.po"))
    assert po_files
    for name in po_files:
        assert f"desktop_sync/resources/locale/ru/{name}" in names
    assert "desktop_sync/resources/icons/desktop-sync.png" in names


def test_installed_wheel_speaks_russian(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = (
        "from desktop_sync.i18n import resources_dir, set_language, tr\n"
        "set_language('ru')\n"
        "print(resources_dir())\n"
        "print(tr('cancelled'))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8",
        env=env, cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    where, word = proc.stdout.splitlines()
    assert Path(where) == target / "desktop_sync" / "resources"
    assert word == "отменено"
