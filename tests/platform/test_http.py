"""Certificates and proxies as an office PC has them (issue 24, items 5 and 6).

Real clients against the real sandboxes over loopback; the Windows registry's proxy
settings are stood in for by ``urllib.request``'s functions, which on Windows read
``ProxyServer`` and ``ProxyOverride``.
"""

from __future__ import annotations

import sys
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from desktop_sync.connectors.http import certificate_problem, make_client, proxy_for
from desktop_sync.connectors.onec import OnecClient
from desktop_sync.connectors.onec.errors import OnecConnectionError

DEAD_PROXY = "http://127.0.0.1:9"  # nothing listens there


@pytest.fixture
def office_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A system proxy for everything, as the environment of a proxied office PC has it."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(var, DEAD_PROXY)
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)


def test_loopback_is_never_proxied(office_proxy: None) -> None:
    from desktop_sync.sandbox.onec import start

    with (
        start(seed=1, size="small") as sb,
        OnecClient(sb.url, sb.user, sb.password, timezone=sb.timezone, timeout=5) as client,
    ):
        assert len(client.warehouses()) == 2


class _Recorder(BaseHTTPRequestHandler):
    seen: list[str] = []  # noqa: RUF012 - one test's record

    def do_GET(self) -> None:
        type(self).seen.append(self.path)
        body = b'{"via": "proxy"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recording_proxy() -> Iterator[str]:
    _Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_registry_proxy_override_is_honoured(
    monkeypatch: pytest.MonkeyPatch, recording_proxy: str
) -> None:
    """ProxyServer for all, ProxyOverride ``*.corp.local;<local>``: the LAN 1C goes direct."""
    monkeypatch.setattr(
        urllib.request, "getproxies", lambda: {"http": recording_proxy, "https": recording_proxy}
    )
    monkeypatch.setattr(
        urllib.request, "proxy_bypass", lambda host: host.endswith(".corp.local") or "." not in host
    )
    assert proxy_for("http://1c.corp.local/base/odata/standard.odata") is None
    assert proxy_for("http://1c-server/base/odata/standard.odata") is None  # <local>
    assert proxy_for("https://shop.bitrix24.ru/rest/1/x/") == recording_proxy
    with make_client("http://portal.example") as client:
        assert client.get("http://portal.example/rest/scope").json() == {"via": "proxy"}
    with make_client("http://1c.corp.local") as client, pytest.raises(httpx.ConnectError):
        client.get("http://1c.corp.local/base/odata/standard.odata/")
    assert _Recorder.seen == ["http://portal.example/rest/scope"]


def test_no_proxy_from_the_environment_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", DEAD_PROXY)
    monkeypatch.setenv("NO_PROXY", "corp.local,.lan")
    assert proxy_for("https://1c.corp.local/base") is None
    assert proxy_for("https://accounting.lan/base") is None
    assert proxy_for("https://shop.bitrix24.ru/") == DEAD_PROXY


def test_untrusted_1c_certificate_is_named_and_a_ca_file_fixes_it(tmp_path: Path) -> None:
    from desktop_sync.sandbox.onec import start

    with start(seed=1, size="small", tls_dir=tmp_path / "tls") as sb:
        assert sb.ca_file is not None
        with (
            OnecClient(
                sb.url, sb.user, sb.password, timezone=sb.timezone, timeout=5, backoff=0.001
            ) as client,
            pytest.raises(OnecConnectionError) as failed,
        ):
            client.warehouses()
        text = str(failed.value)
        assert "certificate" in text and "onec.ca_file" in text
        assert "ConnectError" not in text
        # The publication's own CA file, added to the system's roots, for 1C only.
        with OnecClient(
            sb.url, sb.user, sb.password, timezone=sb.timezone, timeout=5, verify=str(sb.ca_file)
        ) as client:
            assert len(client.warehouses()) == 2


def _under_wine() -> bool:
    if sys.platform != "win32":
        return False
    import ctypes

    return hasattr(ctypes.WinDLL("ntdll"), "wine_get_version")


@pytest.mark.skipif(_under_wine(), reason="Wine's crypt32 does not refuse an unknown root")
def test_a_1c_by_name_goes_through_the_os_trust_store(tmp_path: Path) -> None:
    """By host name: truststore (the Windows store there), plus the profile's CA file."""
    from desktop_sync.sandbox.onec import start

    with start(seed=1, size="small", tls_dir=tmp_path / "tls") as sb:
        url = sb.url.replace("127.0.0.1", "localhost")
        kw: dict[str, object] = {"timezone": sb.timezone, "timeout": 5, "backoff": 0.001}
        with (
            OnecClient(url, sb.user, sb.password, **kw) as client,  # type: ignore[arg-type]
            pytest.raises(OnecConnectionError, match="certificate"),
        ):
            client.warehouses()
        kw["verify"] = str(sb.ca_file)
        with OnecClient(url, sb.user, sb.password, **kw) as client:  # type: ignore[arg-type]
            assert len(client.warehouses()) == 2


def test_an_ip_address_is_checked_by_openssl_not_by_windows_name_rules() -> None:
    """CryptoAPI's SSL policy does not match IP addresses in a certificate (a LAN 1C at
    https://192.168.1.10/ would always be "for another address" on Windows)."""
    import truststore

    from desktop_sync.connectors.http import tls_context

    assert isinstance(tls_context(host="1c.example.ru"), truststore.SSLContext)
    by_ip = tls_context(host="192.168.1.10")
    assert not isinstance(by_ip, truststore.SSLContext)
    assert by_ip.check_hostname and by_ip.verify_mode.name == "CERT_REQUIRED"
    assert not isinstance(tls_context(host="[::1]"), truststore.SSLContext)


def test_the_system_roots_are_loaded_once_for_every_client_by_ip(tmp_path: Path) -> None:
    """Loading the roots cost each client by IP 60-75 ms of CPU (both of every service the
    tests open: the sandboxes are at 127.0.0.1); one context is shared, and a profile's
    CA file still gets its own, leaving the shared one as it was."""
    from desktop_sync.connectors.http import tls_context
    from desktop_sync.sandbox.onec import start

    shared = tls_context(host="127.0.0.1")
    assert tls_context(host="192.168.1.10") is shared
    before = shared.cert_store_stats()
    with start(seed=1, size="small", tls_dir=tmp_path / "tls") as sb:
        own = tls_context(str(sb.ca_file), host="127.0.0.1")
    assert own is not shared
    assert own.cert_store_stats()["x509_ca"] == before["x509_ca"] + 1
    assert shared.cert_store_stats() == before


def test_untrusted_bitrix24_certificate_is_named(tmp_path: Path) -> None:
    from desktop_sync.connectors.bitrix24 import Bitrix24Client
    from desktop_sync.connectors.bitrix24.errors import Bitrix24Error
    from desktop_sync.sandbox.bitrix24 import start

    with start(rate_limit=False, tls_dir=tmp_path) as portal:
        client = Bitrix24Client(portal.webhook, sleep=lambda _s: None, max_retries=1)
        with client, pytest.raises(Bitrix24Error) as failed:
            client.scopes()
        assert "certificate" in str(failed.value)


def test_ssl_cert_file_does_not_replace_the_trust_of_a_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """httpx alone would verify against SSL_CERT_FILE only; ours starts from the OS store."""
    from desktop_sync.connectors.http import tls_context

    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "nothing.pem"))
    with make_client("https://shop.bitrix24.ru") as client:
        assert client._trust_env is False
    assert tls_context().verify_mode.name == "CERT_REQUIRED"


def test_certificate_problem_in_words() -> None:
    import ssl

    err = ssl.SSLCertVerificationError(1, "certificate verify failed")
    err.verify_message = "self-signed certificate"
    wrapped = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]")
    wrapped.__cause__ = err
    assert certificate_problem(wrapped) == "the certificate is self-signed"
    assert certificate_problem(httpx.ConnectError("connection refused")) is None


def test_profile_ca_file_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_sync.config import ConfigError, Profile

    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    profile = Profile(
        "shop", "https://1c.example.ru/b/odata/standard.odata", "u", "https://x.bitrix24.ru"
    )
    assert profile.with_setting("onec.ca_file", str(ca)).onec_ca_file == str(ca)
    with pytest.raises(ConfigError, match=r"onec\.ca_file"):
        profile.with_setting("onec.ca_file", str(tmp_path / "missing.pem"))
    monkeypatch.chdir(tmp_path)
    assert profile.with_setting("onec.ca_file", "ca.pem").onec_ca_file == str(ca.resolve())
