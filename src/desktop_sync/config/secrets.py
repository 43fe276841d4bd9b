"""Secrets in the OS keyring only. No plaintext fallback, ever.

What is stored, per profile UUID: the 1C password and the Bitrix24 inbound webhook
URL (a secret as a whole). ``DESKTOP_SYNC_ONEC_PASSWORD`` and
``DESKTOP_SYNC_CRM_SECRET``, when set, are used for the run and never written.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

import keyring
import keyring.backend
import keyring.errors

from desktop_sync.redact import register_secret

SERVICE = "desktop-sync"
ONEC_PASSWORD_ENV = "DESKTOP_SYNC_ONEC_PASSWORD"
CRM_SECRET_ENV = "DESKTOP_SYNC_CRM_SECRET"
_LOCKED_TIMEOUT = 15.0
_T = TypeVar("_T")

# Backends that would write secrets to disk in plain text (or not at all), by class.
_REFUSED_MODULES = ("keyrings.alt", "keyring.backends.fail", "keyring.backends.null")
_REFUSED_NAMES = ("PlaintextKeyring", "UncryptedFileKeyring", "EncryptedKeyring")


class SecretKind(Enum):
    ONEC_PASSWORD = "onec_password"
    CRM_SECRET = "crm_secret"

    @property
    def env(self) -> str:
        return ONEC_PASSWORD_ENV if self is SecretKind.ONEC_PASSWORD else CRM_SECRET_ENV

    @property
    def label(self) -> str:
        return "1C password" if self is SecretKind.ONEC_PASSWORD else "Bitrix24 webhook"


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


def _refused(backend: keyring.backend.KeyringBackend) -> bool:
    cls = type(backend)
    return cls.__module__.startswith(_REFUSED_MODULES) or cls.__name__ in _REFUSED_NAMES


def backend_info() -> BackendInfo:
    """Which keyring backend would be used, and whether it is acceptable."""
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    safe = [b for b in _backends(backend) if not _refused(b)]
    if not safe:
        return BackendInfo(False, name, "no secure keyring backend on this computer")
    return BackendInfo(True, name)


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

    def _require_backend(self) -> None:
        info = backend_info()
        if not info.usable:
            raise KeyringUnavailable(
                f"{info.reason} ({info.name}); secrets are never stored in plain text: set "
                f"{ONEC_PASSWORD_ENV} and {CRM_SECRET_ENV} for each run instead"
            )

    def get(self, kind: SecretKind) -> str | None:
        """The secret from the environment, else from the keyring; ``None`` if nowhere."""
        value = os.environ.get(kind.env)
        if not value:
            info = backend_info()
            if not info.usable:
                return None
            value = _call_with_timeout(
                lambda: keyring.get_password(SERVICE, self._username(kind)),
                f"reading the {kind.label}",
            )
        register_secret(value)
        return value or None

    def set(self, kind: SecretKind, value: str) -> None:
        register_secret(value)
        self._require_backend()
        _call_with_timeout(
            lambda: keyring.set_password(SERVICE, self._username(kind), value),
            f"saving the {kind.label}",
        )

    def delete(self, kind: SecretKind) -> None:
        if not backend_info().usable:
            return

        def _delete() -> None:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):  # nothing stored
                keyring.delete_password(SERVICE, self._username(kind))

        _call_with_timeout(_delete, f"deleting the {kind.label}")

    def delete_all(self) -> None:
        for kind in SecretKind:
            self.delete(kind)
