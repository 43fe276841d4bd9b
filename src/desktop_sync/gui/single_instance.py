"""One window per user and home folder: a second start brings the first one forward.

The window keeps running in the tray while a schedule is active, so a second click
on the Start-menu shortcut would otherwise start a second window with a second
scheduler. The first window listens on a local socket (a named pipe on Windows, a
user-only Unix socket elsewhere); a later start connects, says "show", and exits.
"""

from __future__ import annotations

import getpass
import hashlib
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_MS = 500


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
    """The first window's listener; ``activated`` fires when another start asks for it."""

    activated = Signal()

    def __init__(self, key: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._on_connection)

    def listen(self) -> bool:
        if self.server.listen(self.key):
            return True
        # A socket file left by a window that crashed (POSIX): nobody answered, so take it.
        QLocalServer.removeServer(self.key)
        return self.server.listen(self.key)

    def close(self) -> None:
        self.server.close()

    def _on_connection(self) -> None:
        # A connection is the request: the "show" it carries may be gone before it is
        # read (a Windows named pipe drops what a client wrote once it has closed).
        # Each connection stays the server's child and goes with it: a few per day at most.
        while self.server.hasPendingConnections():
            self.server.nextPendingConnection().close()
        self.activated.emit()
