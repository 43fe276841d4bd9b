"""The HTTP client both connectors use: the OS trust store, the system proxy, plain words.

- **Certificates**: the operating system's trust store through ``truststore``
  (Windows certificate store, macOS Keychain, the distribution's bundle on Linux),
  so a corporate or antivirus inspection root and the Russian Trusted Root CA
  installed in Windows are trusted as the browser trusts them. A profile may add a
  CA file of its own for a self-signed 1C publication (``onec.ca_file``); it is
  added to the system's roots, for that client only. ``SSL_CERT_FILE`` is not read
  by httpx here (``trust_env=False``): it never replaces the trust of both systems.
- **Proxy**: the system's proxy (environment variables, or on Windows the Internet
  Options in the registry) with its exclusions (``NO_PROXY``, ``ProxyOverride``,
  ``<local>``), decided once per client from the one host it talks to. Loopback
  (the sandboxes, a 1C on this computer) never goes through a proxy.
- **Errors**: a certificate that cannot be verified is named as such, with what to
  do, instead of a bare ``ConnectError``.
"""

from __future__ import annotations

import functools
import ipaddress
import ssl
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import httpx
import truststore

from desktop_sync.errors import BadConfiguration
from desktop_sync.i18n import N_, tr
from desktop_sync.netaddr import is_loopback


def tls_context(ca_file: str | None = None, host: str = "") -> ssl.SSLContext:
    """A verifying context on the OS trust store, plus ``ca_file`` when given.

    A server addressed by its IP address (a LAN 1C at https://192.168.1.10/…) is the
    exception: Windows' own name check (CryptoAPI's SSL policy, which truststore uses)
    does not match IP addresses in a certificate, so there OpenSSL checks the chain and
    the name, against the system's roots (which Python loads from the Windows store too)
    and ``ca_file``.
    """
    if not ca_file and _is_ip(host):
        return _system_roots()
    if _is_ip(host):
        ctx = ssl.create_default_context()
    else:
        ctx = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_file:
        try:
            ctx.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise CertificateFileError(
                tr("the certificate file {path} cannot be used: {reason}").format(
                    path=ca_file, reason=getattr(exc, "strerror", None) or exc
                )
            ) from None
    return ctx


@functools.cache
def _system_roots() -> ssl.SSLContext:
    """OpenSSL's context on the system's roots, made once per process: loading the roots
    took 60-75 ms of CPU on Linux (more on Windows, from its certificate store), and both
    clients of every service opened paid it for a 1C or Bitrix24 addressed by IP (the
    sandboxes are). Shared by the clients, never changed after: a CA file gets a context
    of its own above. (truststore's context reads the roots at each handshake instead.)"""
    return ssl.create_default_context()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class CertificateFileError(BadConfiguration, ValueError):
    """A profile's CA file is missing or not a certificate."""


def proxy_for(url: str) -> str | None:
    """The proxy to reach ``url`` through, or None to go direct.

    ``urllib.request`` reads the environment, and on Windows the registry (both
    ``ProxyServer`` and ``ProxyOverride``), which httpx alone does not.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or is_loopback(host):
        return None
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy:
        return None
    if urllib.request.proxy_bypass(host):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def make_client(
    base_url: str,
    *,
    verify: bool | str = True,
    transport: httpx.BaseTransport | None = None,
    **kwargs: Any,
) -> httpx.Client:
    """An ``httpx.Client`` for one server: ``verify`` is True, False, or a CA file to add."""
    # False: a test against a sandbox with a throwaway certificate.
    tls: bool | ssl.SSLContext = (
        False
        if verify is False
        else tls_context(
            verify if isinstance(verify, str) else None, urlsplit(base_url).hostname or ""
        )
    )
    return httpx.Client(
        verify=tls,
        transport=transport,
        proxy=None if transport is not None else proxy_for(base_url),
        trust_env=False,
        **kwargs,
    )


# The reasons OpenSSL (Linux, macOS) and Windows give, in the user's words.
_CERT_REASONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("self-signed", "self signed"), N_("the certificate is self-signed")),
    (("expired", "0x800b0101"), N_("the certificate has expired or is not yet valid")),
    (
        ("hostname mismatch", "ip address mismatch", "0x800b010f"),
        N_("the certificate is for another address"),
    ),
    (("revoked", "0x80092010"), N_("the certificate has been revoked")),
    (
        ("unable to get local issuer", "unknown ca", "untrusted root", "0x800b0109"),
        N_("the certificate is issued by an authority this computer does not trust"),
    ),
)


def certificate_problem(exc: BaseException) -> str | None:
    """The certificate problem behind a connection error, in words; None if it is not one."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not c for c in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    for item in chain:  # the ssl module's own error says the most
        if isinstance(item, ssl.SSLCertVerificationError):
            return _reason(str(item.verify_message or item))
    for item in chain:
        text = str(item)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            return _reason(text)
    return None


def _reason(text: str) -> str:
    low = text.lower()
    for needles, reason in _CERT_REASONS:
        if any(n in low for n in needles):
            return tr(reason)
    return tr("the certificate cannot be verified")
