"""The smaller Windows items of issue 24 (item 7): each as a Windows user meets it."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import pytest

from desktop_sync.config import AppPaths, Profile, ProfileStore


def _profile(name: str = "shop") -> Profile:
    return Profile(
        name, "https://1c.example.ru/b/odata/standard.odata", "u", "https://x.bitrix24.ru"
    )


# --- profiles.json while an antivirus holds it --------------------------------------------


def test_profiles_file_replace_waits_for_a_briefly_held_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import desktop_sync.config.files as files

    real = os.replace
    refusals = [PermissionError(13, "The process cannot access the file"),
                PermissionError(5, "Access is denied")]  # fmt: skip

    def held_then_free(src: str, dst: str) -> None:
        if refusals:
            raise refusals.pop(0)
        real(src, dst)

    monkeypatch.setattr(files.os, "replace", held_then_free)
    monkeypatch.setattr(files, "DELAY", 0.0)
    store = ProfileStore(tmp_path / "profiles.json")
    store.add(_profile())
    assert list(store.load()) == ["shop"]
    assert not list(tmp_path.glob(".profiles-*.tmp"))


def test_profiles_file_held_for_good_is_an_error_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_sync.config.files import replace_file

    def always_held(src: str, dst: str) -> None:
        raise PermissionError(32, "in use")

    monkeypatch.setattr(os, "replace", always_held)
    naps: list[float] = []
    src = tmp_path / "a"
    src.write_text("x", encoding="utf-8")
    with pytest.raises(PermissionError):
        replace_file(src, tmp_path / "b", sleep=naps.append)
    assert 0 < sum(naps) <= 2.0


# --- one log file per process -----------------------------------------------------------


def test_window_and_commands_log_to_different_files(tmp_path: Path) -> None:
    paths = AppPaths.resolve(tmp_path)
    assert paths.gui_log_file != paths.log_file
    assert paths.gui_log_file.parent == paths.log_file.parent == paths.log_dir


def test_the_window_opened_from_the_cli_logs_to_its_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_sync.cli import gui_launch, main
    from desktop_sync.logsetup import close_logging, current_log_file

    seen: list[Path | None] = []
    monkeypatch.setattr(gui_launch, "launch_gui", lambda ctx: seen.append(current_log_file()) or 0)
    close_logging()
    try:
        assert main.run(["--home", str(tmp_path)]) == 0
    finally:
        close_logging()
    assert seen == [AppPaths.resolve(tmp_path).gui_log_file]


def test_a_rollover_refused_by_windows_keeps_logging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows will not rename a log another process holds open: PermissionError."""
    from desktop_sync.logsetup import SharedSafeRotatingHandler

    log_file = tmp_path / "app.log"
    handler = SharedSafeRotatingHandler(log_file, maxBytes=200, backupCount=2, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))

    def refused(src: str, dst: str) -> None:
        raise PermissionError(32, "The process cannot access the file")

    monkeypatch.setattr(handler, "rotate", refused)
    errors: list[logging.LogRecord] = []
    monkeypatch.setattr(handler, "handleError", errors.append)
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "x" * 100, None, None)
    for _ in range(5):
        handler.handle(record)
    handler.close()
    assert errors == []
    assert log_file.read_text(encoding="utf-8").count("x" * 100) == 5


# --- the export dialog's default ---------------------------------------------------------


def test_export_default_is_an_absolute_path_in_documents() -> None:
    pytest.importorskip("PySide6")
    import platformdirs

    from desktop_sync.gui.controllers.journal import default_export_path

    path = default_export_path(12)
    assert path.is_absolute()
    assert path.parent == Path(platformdirs.user_documents_dir())
    assert path.name == "journal-run-12.csv"


# --- --home on a network drive -----------------------------------------------------------

MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
//nas/office /mnt/office cifs rw,relatime 0 0
nas:/export /mnt/nfs nfs4 rw 0 0
/dev/sdb1 /mnt/office/local ext4 rw 0 0
"""


def test_network_drive_detection() -> None:
    from desktop_sync.config.netdrive import is_network_path

    def on(path: str) -> bool:
        return is_network_path(Path(path), platform="linux", mounts=MOUNTS)

    assert on("/mnt/office/desktop-sync")
    assert on("/mnt/nfs")
    assert not on("/home/user/desktop-sync")
    assert not on("/mnt/office/local/desktop-sync")  # a local disk mounted inside
    assert not on("/mnt/officer")
    assert is_network_path(Path(r"\\nas\office\desktop-sync"), platform="win32")


def test_home_on_a_network_drive_is_warned_about(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop_sync.cli import main
    from desktop_sync.config import netdrive
    from desktop_sync.logsetup import close_logging

    monkeypatch.setattr(netdrive, "is_network_path", lambda path: True)
    close_logging()
    try:
        assert main.run(["--home", str(tmp_path), "profile", "list"]) == 0
    finally:
        close_logging()
    assert "network drive" in capsys.readouterr().err


# --- start at logon ----------------------------------------------------------------------


def test_logon_command_on_windows_runs_the_windowless_executable() -> None:
    from desktop_sync.config.autostart import logon_command, windows_command_line

    frozen = logon_command(
        "Магазин", Path(r"C:\Users\Бухгалтер\sync"), platform="win32",
        executable=r"C:\Program Files\desktop-sync\desktop-sync.exe", frozen=True,
    )  # fmt: skip
    assert frozen[0].endswith("desktop-sync-gui.exe")
    assert frozen[1:] == ["--home", str(Path(r"C:\Users\Бухгалтер\sync")), "--profile", "Магазин"]
    line = windows_command_line(frozen)
    assert line.startswith('"') and "desktop-sync-gui.exe" in line and '"' in line[1:]
    from_pip = logon_command(
        "shop", None, platform="win32", executable=r"C:\venv\Scripts\python.exe", frozen=False
    )
    assert from_pip[0].endswith("pythonw.exe") and from_pip[1:3] == ["-m", "desktop_sync"]


def test_logon_start_writes_and_removes_the_run_value() -> None:
    from desktop_sync.config import autostart

    registry: dict[str, str] = {}

    def writer(name: str, value: str | None) -> None:
        if value is None:
            registry.pop(name, None)
        else:
            registry[name] = value

    assert autostart.apply(True, "shop", None, platform="win32", registry=writer)
    assert "--profile shop" in registry["desktop-sync"]
    assert autostart.apply(False, "shop", None, platform="win32", registry=writer)
    assert registry == {}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG autostart")
def test_logon_start_on_linux_through_the_cli(tmp_path: Path) -> None:
    from tests.platform.helpers import run_cli

    home = tmp_path / "home"
    xdg = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    added = run_cli(
        home, "profile", "add", "shop",
        "--onec-url", "http://127.0.0.1:9/a/odata/standard.odata",
        "--onec-user", "u", "--crm-url", "https://shop.bitrix24.ru",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    on = run_cli(home, "profile", "set", "shop", "schedule.at_logon", "on", extra_env=xdg)
    assert on.returncode == 0, on.stderr
    entry = tmp_path / "xdg" / "autostart" / "desktop-sync.desktop"
    text = entry.read_text(encoding="utf-8")
    assert "Exec=" in text and "--profile shop" in text and str(home) in text
    off = run_cli(home, "profile", "set", "shop", "schedule.at_logon", "off", extra_env=xdg)
    assert off.returncode == 0, off.stderr
    assert not entry.exists()
    again = run_cli(home, "profile", "set", "shop", "schedule.at_logon", "on", extra_env=xdg)
    assert again.returncode == 0 and entry.exists(), again.stderr
    removed = run_cli(home, "profile", "remove", "shop", extra_env=xdg)
    assert removed.returncode == 0, removed.stderr
    assert not entry.exists()  # a removed profile is not opened at logon


def test_wizard_turns_the_logon_start_on_and_off(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from desktop_sync.config import autostart
    from desktop_sync.gui.controllers.wizard import save_and_test

    calls: list[tuple[bool, str]] = []
    monkeypatch.setattr(autostart, "apply", lambda on, name, home: calls.append((on, name)))
    paths = AppPaths.resolve(tmp_path)
    profile = _profile()
    save = save_and_test(paths, profile, {}, test=False)
    save(lambda _p: None, threading.Event())
    assert calls == []  # off and never on: another profile's logon start is left alone
    for on in (True, True, False):
        import dataclasses

        task = save_and_test(paths, dataclasses.replace(profile, start_at_logon=on), {}, test=False)
        task(lambda _p: None, threading.Event())
    assert calls == [(True, "shop"), (False, "shop")]
