"""One window per user and home: a second start brings the first forward (issue 24, item 3).

The window closes to the tray while a schedule is active; without this a second click
on the shortcut started a second window and a second scheduler.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from desktop_sync.gui.single_instance import (
    SingleInstance,
    ask_running_instance,
    instance_key,
)
from tests.killing import HANG


def test_second_start_reaches_the_first(qtbot, tmp_path: Path) -> None:
    key = instance_key(tmp_path / "config")
    assert not ask_running_instance(key, timeout_ms=200)  # nobody there yet
    first = SingleInstance(key)
    assert first.listen()
    try:
        with qtbot.waitSignal(first.activated, timeout=int(HANG * 1000)):
            assert ask_running_instance(key)
    finally:
        first.close()
    assert not ask_running_instance(key, timeout_ms=200)


def test_keys_differ_by_home_and_for_the_demo(tmp_path: Path) -> None:
    a = instance_key(tmp_path / "a" / "config")
    assert a == instance_key(tmp_path / "a" / "config")
    assert a != instance_key(tmp_path / "b" / "config")
    assert a != instance_key(tmp_path / "a" / "config", "demo")


def test_a_second_desktop_sync_only_brings_the_window_forward(tmp_path: Path) -> None:
    home = tmp_path / "home"
    # The first window stays up to 30 minutes (killed at the end); a second window would
    # stay an hour. So the second start ending by itself within its timeout (5 minutes)
    # shows that it only brought the first forward, however slowly a busy machine (or
    # Wine, with other tests beside it) starts a process. Every wait here bounds a hang
    # only (tests.killing.HANG): no wall-clock bound of a few seconds.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DESKTOP_SYNC_GUI_QUIT_AFTER_MS="1800000")
    first = subprocess.Popen(
        [sys.executable, "-m", "desktop_sync", "--home", str(home)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        from desktop_sync.config import AppPaths

        key = instance_key(AppPaths.resolve(home).config_dir)
        deadline = time.monotonic() + HANG
        while not _listening(home, key):
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            assert time.monotonic() < deadline, "the first window never listened"
            time.sleep(0.2)
        second = subprocess.run(
            [sys.executable, "-m", "desktop_sync", "--home", str(home)],
            env=dict(env, DESKTOP_SYNC_GUI_QUIT_AFTER_MS="3600000"),
            capture_output=True, text=True, encoding="utf-8", timeout=300, check=False,
        )  # fmt: skip  # a second window would have sat there: TimeoutExpired
        assert second.returncode == 0, second.stderr
        assert first.poll() is None  # the first one is still the window
        log = (home / "logs" / "desktop-sync-gui.log").read_text(encoding="utf-8")
        assert "already open" in log
        deadline = time.monotonic() + HANG
        while "brought forward" not in log:  # the first window heard it
            assert time.monotonic() < deadline, log[-2000:]
            time.sleep(0.2)
            log = (home / "logs" / "desktop-sync-gui.log").read_text(encoding="utf-8")
    finally:
        first.kill()
        first.wait(10)
        if first.stderr:
            first.stderr.close()


def _listening(home: Path, key: str) -> bool:
    """Ask from a child process, so this test process needs no Qt application."""
    code = (
        "import sys\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "from PySide6.QtNetwork import QLocalSocket\n"
        "app = QCoreApplication([])\n"
        "s = QLocalSocket(); s.connectToServer(sys.argv[1])\n"
        "sys.exit(0 if s.waitForConnected(300) else 1)\n"
    )
    return (
        subprocess.run([sys.executable, "-c", code, key], timeout=HANG, check=False).returncode == 0
    )
