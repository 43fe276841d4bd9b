"""The run lock as Windows and a careless user test it (issue 24 item 3, issue 16 item 8)."""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import sys
import types
from pathlib import Path

import pytest

from desktop_sync import runlock
from desktop_sync.runlock import LOCK_OFFSET, LockHeld, RunLock


def _open_fds() -> int:
    """Open descriptors of this process: the C runtime's on Windows, the kernel's elsewhere.

    (Under Wine /proc also lists Wine's own descriptors, which come and go.)
    """
    if sys.platform == "win32":
        count = 0
        for fd in range(3, 2048):
            try:
                os.fstat(fd)
            except OSError:
                continue
            count += 1
        return count
    return len(os.listdir("/proc/self/fd")) if Path("/proc/self/fd").is_dir() else -1


def test_the_refused_run_names_who_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "p.lock"
    with RunLock(path), pytest.raises(LockHeld) as refused:
        RunLock(path).acquire()
    text = str(refused.value)
    assert str(os.getpid()) in text
    assert socket.gethostname() in text
    assert "another synchronization" in text


def test_the_holder_says_since_when_as_the_language_writes_dates(tmp_path: Path) -> None:
    from desktop_sync.i18n import set_language

    path = tmp_path / "locks" / "p.lock"
    with RunLock(path):
        with pytest.raises(LockHeld) as refused:
            RunLock(path).acquire()
        english = str(refused.value)
        set_language("ru")
        try:
            with pytest.raises(LockHeld) as refused:
                RunLock(path).acquire()
            russian = str(refused.value)
        finally:
            set_language("en")
    assert re.search(r"since \d{4}-\d{2}-\d{2} \d{2}:\d{2}", english), english
    assert re.search(r"с \d{2}\.\d{2}\.\d{4} \d{2}:\d{2}", russian), russian


def test_a_refused_run_leaks_no_handle(tmp_path: Path) -> None:
    path = tmp_path / "p.lock"
    with RunLock(path):
        before = _open_fds()
        for _ in range(20):
            with pytest.raises(LockHeld):
                RunLock(path).acquire()
        assert _open_fds() == before


def test_the_holder_is_read_from_a_file_the_lock_does_not_cover(tmp_path: Path) -> None:
    path = tmp_path / "p.lock"
    with RunLock(path) as lock:
        assert path.read_bytes() == b""  # nothing in the locked file to be denied
        holder = lock.holder()
        assert holder is not None and holder["pid"] == os.getpid()
        assert lock.holder_path != path
    assert not lock.holder_path.exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the guard is Linux's")
def test_deleting_the_lock_file_does_not_let_a_second_run_in(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "p.lock"
    with RunLock(path):
        path.unlink()
        RunLock(path).holder_path.unlink(missing_ok=True)
        with pytest.raises(LockHeld):
            RunLock(path).acquire()
        # also when the folder itself was removed and made again
        for leftover in path.parent.iterdir():
            leftover.unlink()
        path.parent.rmdir()
        with pytest.raises(LockHeld):
            RunLock(path).acquire()
    with RunLock(path):  # free once the holder is done
        pass


@pytest.mark.skipif(sys.platform != "win32", reason="Windows' sharing rules")
def test_on_windows_the_held_lock_file_cannot_be_deleted(tmp_path: Path) -> None:
    path = tmp_path / "p.lock"
    with RunLock(path):
        with pytest.raises(PermissionError):
            path.unlink()
        with pytest.raises(LockHeld):
            RunLock(path).acquire()


class FakeMsvcrt(types.ModuleType):
    """``msvcrt.locking`` as Windows does it: a mandatory lock on a byte range of a file."""

    LK_NBLCK = 2
    LK_UNLCK = 0

    def __init__(self) -> None:
        super().__init__("msvcrt")
        self.held: dict[tuple[int, int, int], int] = {}  # (dev, ino, offset) -> fd
        self.offsets: list[int] = []

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        st = os.fstat(fd)
        offset = os.lseek(fd, 0, os.SEEK_CUR)
        key = (st.st_dev, st.st_ino, offset)
        if mode == self.LK_UNLCK:
            self.held.pop(key, None)
            return
        self.offsets.append(offset)
        if key in self.held and self.held[key] != fd:
            raise PermissionError(13, "Permission denied")
        self.held[key] = fd


@pytest.fixture
def windows_runlock(monkeypatch: pytest.MonkeyPatch) -> tuple[types.ModuleType, FakeMsvcrt]:
    """The module's Windows branch, loaded with a stand-in for msvcrt."""
    fake = FakeMsvcrt()
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(os, "O_BINARY", 0, raising=False)
    monkeypatch.setattr(os, "O_NOINHERIT", 0, raising=False)
    assert runlock.__file__ is not None
    spec = importlib.util.spec_from_file_location("runlock_on_windows", runlock.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, fake


def test_windows_locks_a_byte_far_past_the_data(
    tmp_path: Path, windows_runlock: tuple[types.ModuleType, FakeMsvcrt]
) -> None:
    module, fake = windows_runlock
    path = tmp_path / "p.lock"
    before = _open_fds()
    with module.RunLock(path):
        with pytest.raises(module.LockHeld) as refused:  # the Windows branch's own class
            module.RunLock(path).acquire()
        assert str(os.getpid()) in str(refused.value)
    assert fake.offsets and set(fake.offsets) == {LOCK_OFFSET}
    assert _open_fds() == before
    with module.RunLock(path):  # free again
        pass


def test_cli_exits_6_naming_the_holder(tmp_path: Path) -> None:
    import json

    from desktop_sync.config import AppPaths
    from tests.platform.helpers import run_cli

    home = tmp_path / "home"
    added = run_cli(
        home, "profile", "add", "shop",
        "--onec-url", "http://127.0.0.1:9/accounting/odata/standard.odata",
        "--onec-user", "Бухгалтер", "--crm-url", "https://shop.bitrix24.ru",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    data = json.loads((home / "config" / "profiles.json").read_text(encoding="utf-8"))
    uuid = data["profiles"][0]["uuid"]
    secrets = {
        "DESKTOP_SYNC_ONEC_PASSWORD": "pw",
        "DESKTOP_SYNC_CRM_SECRET": "https://shop.bitrix24.ru/rest/1/abcdef/",
    }
    with RunLock(AppPaths.resolve(home).lock_path(uuid)):
        result = run_cli(home, "sync", "--dry-run", extra_env=secrets)
    assert result.returncode == 6, result.stderr
    assert str(os.getpid()) in result.stderr and socket.gethostname() in result.stderr
