import os
import shutil
import subprocess
import sys
import textwrap
import threading

import keyring
import keyring.backend
import pytest

from desktop_sync.config import secrets as secrets_mod
from desktop_sync.config.secrets import (
    KeyringUnavailable,
    SecretKind,
    SecretStore,
    backend_info,
)


def test_memory_roundtrip() -> None:
    store = SecretStore("p1")
    assert store.get(SecretKind.ONEC_PASSWORD) is None
    store.set(SecretKind.ONEC_PASSWORD, "пароль'1")
    assert store.get(SecretKind.ONEC_PASSWORD) == "пароль'1"
    store.delete_all()
    assert store.get(SecretKind.ONEC_PASSWORD) is None
    store.delete(SecretKind.CRM_SECRET)  # deleting nothing is fine


def test_environment_wins_and_is_not_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKTOP_SYNC_ONEC_PASSWORD", "from-env")
    store = SecretStore("p1")
    assert store.get(SecretKind.ONEC_PASSWORD) == "from-env"
    monkeypatch.delenv("DESKTOP_SYNC_ONEC_PASSWORD")
    assert store.get(SecretKind.ONEC_PASSWORD) is None


class PlaintextKeyring(keyring.backend.KeyringBackend):
    """Named like keyrings.alt's file backend: must be refused by class."""

    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("a plaintext backend must never be written to")

    def delete_password(self, service: str, username: str) -> None:
        return None


def test_plaintext_backends_are_refused() -> None:
    keyring.set_keyring(PlaintextKeyring())
    assert not backend_info().usable
    with pytest.raises(KeyringUnavailable, match="never stored in plain text"):
        SecretStore("p").set(SecretKind.ONEC_PASSWORD, "x")


def test_fail_backend_is_refused() -> None:
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    assert not backend_info().usable
    assert SecretStore("p").get(SecretKind.ONEC_PASSWORD) is None


class _HangingKeyring(PlaintextKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        threading.Event().wait(5)
        return None


_HangingKeyring.__name__ = "HangingKeyring"


def test_locked_keyring_does_not_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    keyring.set_keyring(_HangingKeyring())
    monkeypatch.setattr(
        secrets_mod,
        "ALLOWED_BACKENDS",
        secrets_mod.ALLOWED_BACKENDS | {f"{__name__}._HangingKeyring"},
    )
    monkeypatch.setattr(secrets_mod, "_LOCKED_TIMEOUT", 0.2)
    with pytest.raises(KeyringUnavailable, match="unlock"):
        SecretStore("p").get(SecretKind.CRM_SECRET)


@pytest.mark.keyring_real
def test_real_secret_service_roundtrip(tmp_path: object) -> None:
    """A real round trip through GNOME Keyring's Secret Service, where one can start."""
    if not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")):
        pytest.skip("no dbus-run-session/gnome-keyring-daemon on this machine")
    try:
        import secretstorage  # noqa: F401
    except ImportError:
        pytest.skip("secretstorage (keyring's Secret Service backend) is not installed")
    script = textwrap.dedent(
        """
        import sys
        from desktop_sync.config.secrets import SecretKind, SecretStore, backend_info
        info = backend_info()
        assert info.usable, info
        s = SecretStore("real-roundtrip")
        s.set(SecretKind.ONEC_PASSWORD, "Pa55-реальный")
        assert s.get(SecretKind.ONEC_PASSWORD) == "Pa55-реальный"
        s.delete_all()
        assert s.get(SecretKind.ONEC_PASSWORD) is None
        print("ok", info.name)
        """
    )
    shell = (
        "echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null && "
        f"{sys.executable} -c '{script}'"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    result = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", shell],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        env=env,
        check=False,
    )
    if result.returncode != 0 and "SecretService" not in result.stdout:
        pytest.skip(f"Secret Service could not start here: {result.stderr.strip()[:200]}")
    assert result.stdout.startswith("ok"), result.stdout + result.stderr


class SecureVault(keyring.backend.KeyringBackend):
    """A plain JSON file under a reassuring name: not on the allow-list, so refused."""

    priority = 10

    def __init__(self, path: object = None) -> None:
        super().__init__()
        self.written: dict[str, str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.written.get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self.written[username] = password

    def delete_password(self, service: str, username: str) -> None:
        self.written.pop(username, None)


def test_unknown_backend_under_any_name_is_refused() -> None:
    vault = SecureVault()
    keyring.set_keyring(vault)
    info = backend_info()
    assert not info.usable
    assert "SecureVault" in info.name
    with pytest.raises(KeyringUnavailable, match="never stored in plain text"):
        SecretStore("p").set(SecretKind.CRM_SECRET, "https://x.bitrix24.ru/rest/1/abc/")
    assert vault.written == {}


def test_chain_never_falls_through_to_an_unknown_backend() -> None:
    """keyring's chainer tries the next backend when one fails; we use only allowed ones."""
    from keyring.backends.chainer import ChainerBackend

    from desktop_sync.config.memory_keyring import MemoryKeyring

    vault = SecureVault()

    class Chain(ChainerBackend):
        backends = (vault, MemoryKeyring())  # the unknown one first

    keyring.set_keyring(Chain())
    assert backend_info().usable
    assert backend_info().name.endswith("MemoryKeyring")
    SecretStore("p").set(SecretKind.ONEC_PASSWORD, "секрет")
    assert vault.written == {}
    assert SecretStore("p").get(SecretKind.ONEC_PASSWORD) == "секрет"
