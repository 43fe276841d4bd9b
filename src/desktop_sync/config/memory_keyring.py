"""An in-memory keyring backend for tests and the demo: nothing ever touches disk.

Select it with ``keyring.set_keyring(MemoryKeyring())`` or, for a subprocess,
``PYTHON_KEYRING_BACKEND=desktop_sync.config.memory_keyring.MemoryKeyring``.
"""

from __future__ import annotations

from typing import ClassVar

import keyring.backend
import keyring.errors


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1
    _store: ClassVar[dict[tuple[str, str], str]] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self._store[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None

    @classmethod
    def clear(cls) -> None:
        cls._store.clear()
