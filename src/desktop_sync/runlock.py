"""One run per profile at a time: an OS lock that dies with its holder.

- **The lock** is an OS lock on an open file, released by the kernel when the
  holding process exits or is killed, so a crashed run never leaves a stale lock.
  POSIX: ``fcntl.flock`` on the whole file. Windows: ``msvcrt.locking`` of one byte
  at ``LOCK_OFFSET`` (1 GiB), far past anything in the file: Windows byte-range
  locks are mandatory, and a lock on byte 0 would also deny others the read of
  whatever is there. A second run does not wait: it fails at once (exit code 6),
  unless asked to wait (``--wait``): then it tries again every half second.
- **Who holds it** (process, user, computer, since when) is written to a separate
  file beside it (``<uuid>.holder``), which no lock denies, so the refused run can
  say who is in the way.
- **A deleted lock file** does not let a second run in. Windows refuses to delete a
  file that is open without ``FILE_SHARE_DELETE`` (which is how Python opens it). On
  Linux the holder also binds an abstract Unix socket named after the lock file's
  path, which lives exactly as long as the process and has no file to delete. After
  locking, the open file is checked to still be the one at the path (the inode), so
  a file replaced between open and lock is not trusted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import json
import os
import socket
import sys
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import Self

from desktop_sync.errors import Locked
from desktop_sync.i18n import time_label, tr

LOCK_OFFSET = 2**30  # Windows: the locked byte (the file itself stays empty)
_ATTEMPTS = 5  # a lock file replaced between open and lock: open it again
_POLL = 0.5  # seconds between tries while waiting (``--wait``)


class LockHeld(Locked):
    """Another run holds this profile's lock."""


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name in a service account
        return "?"


def _holder_text(info: dict[str, object]) -> str:
    return tr("process {pid} of {user} on {machine}, since {since}").format(
        pid=info.get("pid", "?"),
        user=info.get("user", "?"),
        machine=info.get("machine", "?"),
        since=_since(info.get("since")),
    )


def _since(value: object) -> str:
    """The holder's start as the language writes a moment (the file keeps it as ISO)."""
    try:
        return time_label(dt.datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value or "?")


class HeldLock(ABC):
    """A lock held for a ``with`` block: ``acquire`` on entry, ``release`` on exit (the
    file lock here, the shared journal's lock in ``journal.dblock``)."""

    @abstractmethod
    def acquire(self) -> None: ...

    @abstractmethod
    def release(self) -> None: ...

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class RunLock(HeldLock):
    def __init__(
        self, path: Path, *, wait: float | None = None, cancel: threading.Event | None = None
    ) -> None:
        self.path = path
        self.holder_path = path.with_suffix(".holder")
        self.wait = wait  # seconds to wait for a busy lock (None: refuse at once)
        self.cancel = cancel
        self._fd: int | None = None
        self._guard: socket.socket | None = None

    # --- acquire / release -------------------------------------------------------------

    def acquire(self) -> None:
        """Take the lock; busy: wait up to ``wait`` seconds (polling), then :class:`LockHeld`."""
        deadline = None if self.wait is None else time.monotonic() + self.wait
        while True:
            try:
                self._acquire_once()
                return
            except LockHeld:
                if deadline is None or time.monotonic() >= deadline:
                    raise
                if self.cancel is not None and self.cancel.is_set():
                    raise
            (self.cancel or threading.Event()).wait(_POLL)

    def _acquire_once(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = self._lock_file()
        try:
            self._guard = _bind_guard(self.path)
        except OSError:
            # The lock file was deleted or replaced while another run holds its lock.
            _unlock(fd)
            os.close(fd)
            raise self._held() from None
        self._fd = fd
        self._write_holder()

    def _lock_file(self) -> int:
        for _ in range(_ATTEMPTS):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _O_EXTRA, 0o600)
            try:
                _lock(fd)
            except OSError:
                os.close(fd)  # never leak the handle of a refused run
                raise self._held() from None
            if _same_file(fd, self.path):
                return fd
            _unlock(fd)
            os.close(fd)
        raise self._held()

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            with contextlib.suppress(OSError):
                self.holder_path.unlink(missing_ok=True)
            _unlock(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None
            if self._guard is not None:
                self._guard.close()
                self._guard = None

    # --- who holds it ------------------------------------------------------------------

    def _write_holder(self) -> None:
        from desktop_sync.config.files import replace_file

        info = {
            "pid": os.getpid(),
            "user": _user(),
            "machine": socket.gethostname(),
            "since": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
        }
        tmp = self.holder_path.with_suffix(f".holder.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
            replace_file(tmp, self.holder_path)
        except OSError:  # who holds it is a courtesy; the lock is what counts
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

    def holder(self) -> dict[str, object] | None:
        """The holder's identity as written when it took the lock (None if unknown)."""
        try:
            data = json.loads(self.holder_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _held(self) -> LockHeld:
        info = self.holder()
        message = tr("another synchronization of this profile is running")
        return LockHeld(message, _holder_text(info) if info else "")


def _same_file(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _guard_name(path: Path) -> str:
    digest = hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:40]
    return f"\0desktop-sync/runlock/{digest}"


if sys.platform.startswith("linux"):

    def _bind_guard(path: Path) -> socket.socket | None:
        """An abstract socket: a name no file deletion can free while this process lives."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(_guard_name(path))
        except OSError:
            sock.close()
            raise
        return sock

else:  # Windows: the open lock file cannot be deleted; macOS: the file lock alone

    def _bind_guard(path: Path) -> socket.socket | None:
        return None


if sys.platform == "win32":  # pragma: no cover - run under the Windows Python (Wine) in CI
    import msvcrt

    _O_EXTRA = os.O_BINARY | os.O_NOINHERIT

    def _lock(fd: int) -> None:
        os.lseek(fd, LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            os.lseek(fd, LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    _O_EXTRA = os.O_CLOEXEC

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
