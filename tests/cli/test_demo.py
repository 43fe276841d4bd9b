"""``desktop-sync demo``: run as a user runs it, the real console script in a subprocess.

The machine has no keyring backend (as CI and headless servers do): the demo must
work anyway and leave no secret on disk.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.killing import HANG

EXE = shutil.which("desktop-sync", path=str(Path(sys.executable).parent)) or "desktop-sync"
SUMMARY = re.compile(
    r"Run #(\d+) \((dry run|apply)\): planned (\d+), applied (\d+), failed (\d+), "
    r"conflicts (\d+), attention (\d+), skipped (\d+)\."
)


def run(
    home: Path, *args: str, timeout: float = HANG, display: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["DESKTOP_SYNC_HOME"] = str(home)
    env["DESKTOP_SYNC_LANG"] = "en"
    env["QT_QPA_PLATFORM"] = "offscreen"
    if not display:
        for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
            env.pop(var, None)
    return subprocess.run(
        [EXE, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=timeout,
        check=False,
    )


def _profiles(home: Path) -> dict[str, dict[str, object]]:
    data = json.loads((home / "config" / "profiles.json").read_text(encoding="utf-8"))
    return {p["name"]: p for p in data["profiles"]}


def _all_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("configuration", ["bp30", "ut11"])
def test_headless_demo_syncs_and_keeps_no_secret(tmp_path: Path, configuration: str) -> None:
    home = tmp_path / "home"
    result = run(home, "demo", "--headless", "--configuration", configuration)
    # 0 done, or 3 done with items waiting for a person: both are a successful run.
    assert result.returncode in (0, 3), result.stdout[-2000:] + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    runs = SUMMARY.findall(result.stdout)
    assert [r[1] for r in runs] == ["dry run", "apply"], result.stdout[-2000:]
    dry, applied = runs
    assert int(dry[2]) > 0, "the seeded demo data gives the sync something to do"
    assert dry[3] == "0", "a dry run applies nothing"
    assert int(applied[3]) > 0 and applied[4] == "0", "the demo applies without failures"
    assert result.returncode == (3 if int(applied[6]) + int(applied[5]) else 0)

    demo = _profiles(home)["demo"]
    assert demo["demo"] is True and demo["configuration"] == configuration
    assert demo["crm_throttle"] is False
    assert demo["stages"] == {"send": "DT31_1:UC_TO1C"}
    assert str(demo["onec_url"]).startswith("http://127.0.0.1:")
    assert str(demo["crm_url"]).startswith("http://127.0.0.1:")
    # The sandbox's webhook path (/rest/<user>/<code>/) is a secret: never on disk.
    stored = _all_bytes(home)
    assert b"/rest/" not in stored
    assert b"DESKTOP_SYNC_CRM_SECRET" not in stored

    again = run(home, "demo", "--headless")
    assert again.returncode in (0, 3), again.stdout[-2000:] + again.stderr
    refreshed = _profiles(home)["demo"]
    assert refreshed["uuid"] != demo["uuid"], "fresh sandbox data gets a fresh journal"
    assert refreshed["crm_url"] != demo["crm_url"] or refreshed["onec_url"] != demo["onec_url"]


def test_demo_never_overwrites_a_real_profile_named_demo(tmp_path: Path) -> None:
    home = tmp_path / "home"
    added = run(
        home,
        "profile",
        "add",
        "demo",
        "--onec-url",
        "http://127.0.0.1:8/base/odata/standard.odata",
        "--onec-user",
        "Бухгалтер",
        "--crm-url",
        "http://127.0.0.1:9",
    )
    assert added.returncode == 0, added.stderr
    before = _profiles(home)["demo"]
    result = run(home, "demo", "--headless")
    assert result.returncode == 2
    assert "is not a demo profile" in result.stderr
    assert "Traceback" not in result.stderr
    assert _profiles(home)["demo"] == before


def test_demo_window_shows_data_on_both_sides(tmp_path: Path) -> None:
    pytest.importorskip("PySide6.QtWidgets")
    home = tmp_path / "home"
    result = run(home, "demo", "--smoke")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["ready"] is True
    data = report["data"]
    assert sum(tab["onec"] for tab in data.values()) > 0
    assert sum(tab["crm"] for tab in data.values()) > 0
    assert _profiles(home)["demo"]["demo"] is True


def test_demo_is_listed_and_no_longer_pending(tmp_path: Path) -> None:
    result = run(tmp_path / "home", "demo", "--help")
    assert result.returncode == 0
    assert "--headless" in result.stdout
    assert "not available" not in result.stdout + result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux display check")
def test_demo_without_a_display_points_to_headless(tmp_path: Path) -> None:
    result = run(tmp_path / "home", "demo", display=False)
    assert result.returncode == 2
    assert "demo --headless" in result.stderr
    assert "Traceback" not in result.stderr


def test_window_gets_secrets_for_the_demo_only_and_closing_it_stops_sandboxes(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process, with the window replaced by a probe: what the window would see."""
    import socket
    import uuid
    from urllib.parse import urlsplit

    from desktop_sync.cli import gui_launch
    from desktop_sync.cli.context import Context
    from desktop_sync.cli.main import run as cli_run
    from desktop_sync.config import ProfileStore
    from desktop_sync.config.secrets import SecretKind, SecretStore

    monkeypatch.setenv("DESKTOP_SYNC_CRM_SECRET", "http://127.0.0.1:9/rest/1/usersown/")
    seen: dict[str, str | None] = {}

    def probe(ctx: Context) -> int:
        profile = ProfileStore(ctx.paths.profiles_file).load()["demo"]
        seen["profile"] = ctx.profile_name
        seen["demo"] = SecretStore(profile.uuid).get(SecretKind.CRM_SECRET)
        seen["other"] = SecretStore(str(uuid.uuid4())).get(SecretKind.CRM_SECRET)
        for url in (profile.onec_url, profile.crm_url):
            parts = urlsplit(url)
            socket.create_connection((parts.hostname, parts.port), timeout=5).close()
        seen["onec_url"], seen["crm_url"] = profile.onec_url, profile.crm_url
        return 0

    monkeypatch.setattr(gui_launch, "launch_gui", probe)
    root = logging.getLogger()
    handlers_before, level_before = list(root.handlers), root.level
    try:
        assert cli_run(["demo"]) == 0
    finally:  # the CLI installs its log file handler: leave logging as other tests expect it
        for handler in [h for h in root.handlers if h not in handlers_before]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level_before)
    assert seen["profile"] == "demo"
    assert str(seen["demo"]).startswith(f"{seen['crm_url']}/rest/"), "the sandbox's webhook"
    # A user's environment secret must not leak into the demo, nor the demo's into others.
    assert seen["other"] is None
    for url in (str(seen["onec_url"]), str(seen["crm_url"])):
        parts = urlsplit(url)
        with pytest.raises(OSError):
            socket.create_connection((parts.hostname, parts.port), timeout=2).close()
