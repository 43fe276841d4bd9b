"""Secrets only where they may go, checked at run time, not only when typed (issue 16.3).

A hand-edited ``profiles.json`` is not validated by ``profile add``: the run itself must
refuse a plain-http 1C address off this computer and a webhook of another portal,
before any request carries the password or the webhook.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_sync.config import ConfigError
from desktop_sync.connectors.onec.errors import OnecError
from desktop_sync.connectors.onec.transport import Transport
from desktop_sync.engine.service import SyncService
from desktop_sync.netaddr import is_loopback, may_carry_secret
from tests.cli.test_cli import EXE
from tests.e2e.conftest import World, make_world


@pytest.fixture
def bp_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch, setup=False)


class _Listener:
    """A loopback socket that only counts who connected (a request that left)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def _hand_edit(world: World, **changes: str) -> None:
    path = world.paths.profiles_file
    data = json.loads(path.read_text(encoding="utf-8"))
    for p in data["profiles"]:
        p.update(changes)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://1c.example.ru/base/odata/standard.odata", True),
        ("http://127.0.0.1:8080/base", True),
        ("http://localhost/base", True),
        ("http://[::1]:80/base", True),
        ("http://0.0.0.0:8080/base", False),
        ("http://192.168.1.5/base", False),
        ("http://1c.example.ru/base", False),
        ("ftp://127.0.0.1/base", False),
    ],
)
def test_where_a_secret_may_go(url: str, ok: bool) -> None:
    assert may_carry_secret(url) is ok
    if not ok and url.startswith("http://"):
        with pytest.raises(OnecError, match="not https"):
            Transport(url, "Бухгалтер", "Pa55-canary")


def test_zero_address_is_not_loopback() -> None:
    assert not is_loopback("0.0.0.0")
    assert is_loopback("127.0.0.2") and is_loopback("LOCALHOST")


def test_hand_edited_plain_http_profile_is_refused_before_any_request(
    bp_world: World, tmp_path: Path
) -> None:
    listener = _Listener()
    try:
        _hand_edit(bp_world, onec_url=f"http://0.0.0.0:{listener.port}/base/odata/standard.odata")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")},
            **bp_world.env(),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "DESKTOP_SYNC_LANG": "en",
        }
        for args in (["check"], ["sync", "--dry-run"]):
            done = subprocess.run(
                [EXE, *args],
                capture_output=True,
                text=True,
                encoding="utf-8",
                env=env,
                timeout=60,
                check=False,
            )
            assert done.returncode == 2, done.stdout + done.stderr
            assert "http://" in done.stderr and "Traceback" not in done.stderr
        assert listener.connections == 0, "the 1C password left over plain http"
    finally:
        listener.close()


def test_webhook_of_another_portal_is_refused(
    bp_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener = _Listener()
    try:
        monkeypatch.setenv(
            "DESKTOP_SYNC_CRM_SECRET", f"http://127.0.0.1:{listener.port}/rest/1/stolen/"
        )
        with pytest.raises(ConfigError, match="profile's portal"):
            SyncService.open(bp_world.profile, bp_world.paths)
        assert listener.connections == 0
    finally:
        listener.close()
