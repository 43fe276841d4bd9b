"""One window per user and home folder: a second start brings the first one forward.

The window keeps running in the tray while a schedule is active, so a second click
on the Start-menu shortcut would otherwise start a second window with a second
scheduler. The first window listens on a local socket (a named pipe on Windows, a
user-only Unix socket elsewhere); a later start connects, says "show", and exits.

Who is first is decided by a lock file (``QLockFile``: the holder's process id in it,
so a crashed window's lock is taken over), not by who answers first. A start that
finds the lock held keeps asking the holder, a connection wait at a time, for as long
as the lock stays held (up to ``CLAIM_MS``): a first window still starting, or slow to
answer on a loaded machine, is waited for instead of missed (the connection wait was
500 ms, and the second start then took the socket's name over and opened a second
window). Only the lock's holder ever removes a socket left behind.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QDeadlineTimer, QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

CONNECT_MS = 2_000  # one attempt to reach the first window
CLAIM_MS = 60_000  # how long a second start waits for a first window that holds the lock
RETRY_MS = 250  # between attempts: the wait for the lock to be let go


def instance_key(config_dir: Path, suffix: str = "") -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):
        user = "?"
    text = f"{user}|{config_dir.resolve()}|{suffix}"
    return "desktop-sync-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def ask_running_instance(key: str, timeout_ms: int = CONNECT_MS) -> bool:
    """True when a window is already running for ``key`` (it has been asked to show itself)."""
    sock = QLocalSocket()
    sock.connectToServer(key)
    if not sock.waitForConnected(timeout_ms):
        return False
    sock.write(b"show\n")
    sock.flush()
    sock.waitForBytesWritten(timeout_ms)
    sock.disconnectFromServer()
    if sock.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        sock.waitForDisconnected(timeout_ms)
    return True


class SingleInstance(QObject):
    """The first window's listener; ``activated`` fires when another start asks for it.

    ``lock_file``: where the first window's lock is kept (beside the profiles); without
    it, who listens first is first (the tests of the listener alone)."""

    activated = Signal()

    def __init__(self, key: str, parent: QObject | None = None, lock_file: Path | None = None):
        super().__init__(parent)
        self.key = key
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._on_connection)
        self.lock: QLockFile | None = None
        if lock_file is not None:
            lock_file.parent.mkdir(parents=True, exist_ok=True)
            self.lock = QLockFile(str(lock_file))
            self.lock.setStaleLockTime(0)  # stale only when its process is gone, never by age

    def claim(
        self,
        wait_ms: int = CLAIM_MS,
        *,
        waiting: Callable[[], None] | None = None,
    ) -> bool:
        """True: this start is the first window's (the lock taken, listening). False:
        another window holds the lock and has been asked to show itself.

        ``waiting`` is called each time the holder did not answer yet (a test's hook)."""
        if self.lock is None:
            raise RuntimeError("claim() needs a lock file")
        deadline = QDeadlineTimer(wait_ms)
        while True:
            if self.lock.tryLock(0):
                return self._listen_as_first()
            if ask_running_instance(self.key, CONNECT_MS):
                return False
            if deadline.hasExpired():
                log.warning(
                    "a window holds %s but did not answer in %d s: opening another",
                    self.lock.fileName(), wait_ms // 1000,
                )  # fmt: skip
                self.listen()  # best effort: the holder may have lost its listener
                return True
            log.info("another window is starting or busy: waiting for it to answer")
            if waiting is not None:
                waiting()
            if self.lock.tryLock(RETRY_MS):  # let go meanwhile (closed): this one is first
                return self._listen_as_first()

    def _listen_as_first(self) -> bool:
        # the lock is ours: a socket by this name is a crashed window's, never a live one's
        QLocalServer.removeServer(self.key)
        if not self.server.listen(self.key):
            log.warning("single-instance listener not started: %s", self.server.errorString())
        return True

    def listen(self) -> bool:
        if self.server.listen(self.key):
            return True
        if self.lock is not None and not self.lock.isLocked():
            return False  # someone else's name: never taken over without the lock
        # A socket file left by a window that crashed (POSIX): nobody answered, so take it.
        QLocalServer.removeServer(self.key)
        return self.server.listen(self.key)

    def close(self) -> None:
        self.server.close()
        if self.lock is not None and self.lock.isLocked():
            self.lock.unlock()

    def _on_connection(self) -> None:
        # A connection is the request: the "show" it carries may be gone before it is
        # read (a Windows named pipe drops what a client wrote once it has closed).
        # Each connection stays the server's child and goes with it: a few per day at most.
        while self.server.hasPendingConnections():
            self.server.nextPendingConnection().close()
        self.activated.emit()
