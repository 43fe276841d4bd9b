"""What both sandboxes do alike: serve on a background thread, stop once, work as ``with``."""

from __future__ import annotations

import threading
from socketserver import BaseServer
from typing import Self


class Serving:
    """A server answering on a daemon thread until :meth:`stop` (or the end of ``with``)."""

    _server: BaseServer
    _stopping: threading.Event

    def _serve(self, server: BaseServer, stopping: threading.Event, name: str) -> None:
        self._server = server
        self._stopping = stopping
        self._stopped = False
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=name,
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop answering, free the port and the thread; again is a no-op."""
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
