"""The first window is decided by a lock file, and a second start waits for it (the last
session's note: CONNECT_MS = 500 missed a first window still starting on a loaded
machine, and the second start then took the socket's name over and opened a second
window). No duration is asserted: each case is driven by the order of events."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from desktop_sync.gui.single_instance import SingleInstance, ask_running_instance, instance_key
from tests.killing import HANG

SIGNAL_MS = int(HANG * 1000)


def _pair(tmp_path: Path) -> tuple[str, Path]:
    key = instance_key(tmp_path / "config", "claim")
    return key, tmp_path / "config" / f"{key}.lock"


def test_a_second_start_waits_for_a_first_still_starting(qtbot, tmp_path: Path) -> None:
    key, lock = _pair(tmp_path)
    first = SingleInstance(key, lock_file=lock)
    assert first.lock is not None and first.lock.tryLock(0)  # started, not listening yet
    second = SingleInstance(key, lock_file=lock)
    asked: list[bool] = []

    def first_listens_now() -> None:  # the first window reaches its listen meanwhile
        asked.append(True)
        if not first.server.isListening():
            assert first.server.listen(key)

    try:
        with qtbot.waitSignal(first.activated, timeout=SIGNAL_MS):
            assert second.claim(waiting=first_listens_now) is False, "a second window"
        assert asked, "the second start met the first before it listened"
        assert not second.server.isListening()
        assert second.lock is not None and not second.lock.isLocked()
    finally:
        second.close()
        first.close()


def test_the_first_window_letting_go_makes_the_next_start_first(tmp_path: Path) -> None:
    key, lock = _pair(tmp_path)
    first = SingleInstance(key, lock_file=lock)
    assert first.lock is not None and first.lock.tryLock(0)
    second = SingleInstance(key, lock_file=lock)
    try:
        assert second.claim(waiting=first.close) is True  # closed while it was asked
        assert second.server.isListening()
        assert ask_running_instance(key)
    finally:
        second.close()
        first.close()


def test_a_crashed_windows_lock_and_socket_are_taken_over(tmp_path: Path) -> None:
    key, lock = _pair(tmp_path)
    lock.parent.mkdir(parents=True)
    code = (
        "import sys\n"
        "from PySide6.QtCore import QCoreApplication, QLockFile\n"
        "from PySide6.QtNetwork import QLocalServer\n"
        "app = QCoreApplication([])\n"
        "lock = QLockFile(sys.argv[2]); assert lock.tryLock(0)\n"
        "server = QLocalServer(); assert server.listen(sys.argv[1])\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n"
    )
    crashed = subprocess.Popen(
        [sys.executable, "-c", code, key, str(lock)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
    )  # fmt: skip
    try:
        assert crashed.stdout is not None and crashed.stdout.readline().strip() == "ready"
    finally:
        crashed.kill()  # no clean-up: its lock file (and, on POSIX, its socket) stay
        crashed.wait(HANG)
        for stream in (crashed.stdin, crashed.stdout):
            if stream:
                stream.close()
    assert lock.exists()
    start = SingleInstance(key, lock_file=lock)

    def never() -> None:
        raise AssertionError("waited for a window that is gone")

    try:
        assert start.claim(waiting=never) is True
        assert start.server.isListening()
    finally:
        start.close()
    assert not lock.exists()  # let go with the window
