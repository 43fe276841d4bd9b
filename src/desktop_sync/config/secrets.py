"""Secrets in the OS keyring only. No plaintext fallback, ever.

What is stored, per profile UUID: the 1C password, the Bitrix24 inbound webhook
URL (a secret as a whole) and, for a shared journal on PostgreSQL, its database
password. ``DESKTOP_SYNC_ONEC_PASSWORD``, ``DESKTOP_SYNC_CRM_SECRET`` and
``DESKTOP_SYNC_JOURNAL_PASSWORD``, when set, are used for the run and never written.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, TypeVar

from desktop_sync.redact import register_secret

if TYPE_CHECKING:
    # keyring itself is imported when a secret is asked for: 40-60 ms of every
    # command's start-up (its backends' discovery, importlib_metadata), which a help
    # page, `profile list` or a usage error never needs (docs/decisions/ci-time.md).
    import keyring.backend

SERVICE = "desktop-sync"
ONEC_PASSWORD_ENV = "DESKTOP_SYNC_ONEC_PASSWORD"
CRM_SECRET_ENV = "DESKTOP_SYNC_CRM_SECRET"
JOURNAL_PASSWORD_ENV = "DESKTOP_SYNC_JOURNAL_PASSWORD"
_LOCKED_TIMEOUT = 15.0
_T = TypeVar("_T")

# The keyring backends secrets may go to, by exact module and class: the operating
# systems' own stores (Windows Credential Manager, macOS Keychain, Secret Service,
# KWallet) and our in-memory one (tests and the demo: nothing touches disk). An
# allow-list, not a deny-list: a backend under any other name, however it calls
# itself, is refused (issue 16, item 4).
ALLOWED_BACKENDS: frozenset[str] = frozenset(
    {
        "keyring.backends.Windows.WinVaultKeyring",
        "keyring.backends.macOS.Keyring",
        "keyring.backends.SecretService.Keyring",
        "keyring.backends.libsecret.Keyring",
        "keyring.backends.kwallet.DBusKeyring",
        "keyring.backends.kwallet.DBusKeyringKWallet4",
        "desktop_sync.config.memory_keyring.MemoryKeyring",
    }
)


class SecretKind(Enum):
    ONEC_PASSWORD = "onec_password"
    CRM_SECRET = "crm_secret"
    JOURNAL_PASSWORD = "journal_password"  # a shared journal's database (journal.url)

    @property
    def env(self) -> str:
        return _ENV[self]

    @property
    def label(self) -> str:
        return _LABEL[self]


_ENV = {
    SecretKind.ONEC_PASSWORD: ONEC_PASSWORD_ENV,
    SecretKind.CRM_SECRET: CRM_SECRET_ENV,
    SecretKind.JOURNAL_PASSWORD: JOURNAL_PASSWORD_ENV,
}
_LABEL = {
    SecretKind.ONEC_PASSWORD: "1C password",
    SecretKind.CRM_SECRET: "Bitrix24 webhook",
    SecretKind.JOURNAL_PASSWORD: "journal database password",
}


class KeyringUnavailable(Exception):
    """No safe keyring backend, or it is locked; the message says what to do."""


@dataclass(frozen=True, slots=True)
class BackendInfo:
    usable: bool
    name: str
    reason: str = ""


def _backends(backend: keyring.backend.KeyringBackend) -> list[keyring.backend.KeyringBackend]:
    inner = getattr(backend, "backends", None)
    return list(inner) if inner else [backend]


def _qualified(backend: keyring.backend.KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _secure_backend() -> keyring.backend.KeyringBackend | None:
    """The highest-priority allowed backend, used directly.

    Never keyring's chainer itself: when its first backend fails, the chainer falls
    through to the next one, which may be a file in plain text.
    """
    import keyring

    for backend in _backends(keyring.get_keyring()):
        if _qualified(backend) in ALLOWED_BACKENDS:
            return backend
    return None


def backend_info() -> BackendInfo:
    """Which keyring backend would be used, and whether it is acceptable."""
    try:
        import keyring

        backend = _secure_backend()
        if backend is None:
            return BackendInfo(
                False,
                _qualified(keyring.get_keyring()),
                "no secure keyring backend on this computer",
            )
    except Exception as exc:  # a backend that cannot even load (PYTHON_KEYRING_BACKEND)
        name = os.environ.get("PYTHON_KEYRING_BACKEND", "keyring")
        return BackendInfo(False, name, f"the keyring backend cannot load ({exc})")
    return BackendInfo(True, _qualified(backend))


def _call_with_timeout(fn: Callable[[], _T], what: str) -> _T:
    """Run a keyring call in a thread so a locked keyring that prompts never hangs us."""
    result: list[_T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=target, name="keyring", daemon=True)
    thread.start()
    thread.join(_LOCKED_TIMEOUT)
    if thread.is_alive():
        raise KeyringUnavailable(
            f"the keyring did not answer while {what}: it is probably locked — unlock it "
            "(log in to your desktop session or open the password manager) and try again"
        )
    if error:
        import keyring.errors

        exc = error[0]
        if isinstance(exc, keyring.errors.KeyringLocked):
            raise KeyringUnavailable("the keyring is locked: unlock it and try again") from None
        if isinstance(exc, keyring.errors.KeyringError):
            raise KeyringUnavailable(
                f"the keyring refused while {what}: {type(exc).__name__}"
            ) from None
        raise exc
    return result[0]


class SecretStore:
    def __init__(self, profile_uuid: str) -> None:
        self.profile_uuid = profile_uuid

    def _username(self, kind: SecretKind) -> str:
        return f"{self.profile_uuid}:{kind.value}"

    def _require_backend(self) -> keyring.backend.KeyringBackend:
        backend = _secure_backend()
        if backend is None:
            info = backend_info()
            raise KeyringUnavailable(
                f"{info.reason} ({info.name}); secrets are never stored in plain text: set "
                f"{ONEC_PASSWORD_ENV} and {CRM_SECRET_ENV} for each run instead"
            )
        return backend

    def get(self, kind: SecretKind) -> str | None:
        """The secret from the environment, else from the keyring; ``None`` if nowhere."""
        value = os.environ.get(kind.env)
        if not value:
            backend = _secure_backend()
            if backend is None:
                return None
            value = _call_with_timeout(
                lambda: backend.get_password(SERVICE, self._username(kind)),
                f"reading the {kind.label}",
            )
        register_secret(value)
        return value or None

    def set(self, kind: SecretKind, value: str) -> None:
        register_secret(value)
        backend = self._require_backend()
        _call_with_timeout(
            lambda: backend.set_password(SERVICE, self._username(kind), value),
            f"saving the {kind.label}",
        )

    def delete(self, kind: SecretKind) -> None:
        backend = _secure_backend()
        if backend is None:
            return

        def _delete() -> None:
            import keyring.errors

            with contextlib.suppress(keyring.errors.PasswordDeleteError):  # nothing stored
                backend.delete_password(SERVICE, self._username(kind))

        _call_with_timeout(_delete, f"deleting the {kind.label}")

    def delete_all(self) -> None:
        for kind in SecretKind:
            self.delete(kind)
