"""The OData wire format of 1C: bodies out (JSON with exact decimals), answers in
(JSON, or the error an answer means, named in the user's words)."""

from __future__ import annotations

import codecs
import functools
import json
import re
from decimal import Decimal
from typing import Any, NoReturn
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import httpx
import msgspec

from desktop_sync.connectors.onec import errors as err
from desktop_sync.connectors.onec import literals as lit
from desktop_sync.i18n import tr

# Every non-integer number as an exact Decimal, one shared object per spelling: a
# price or a VAT amount repeated over thousands of rows is held once (issue 18).
_decimal = functools.lru_cache(maxsize=1 << 16)(Decimal)


def forget_numbers() -> None:
    """Let go of the numbers shared during a read: those no record kept (a row's sum,
    seen once) held 65,536 entries of the cache alive into the plan (issue 18)."""
    _decimal.cache_clear()


# An answer's JSON decoded from its bytes, as json.loads(text, parse_float=Decimal) does:
# the same values, without the answer's text, which Cyrillic makes two bytes a character
# (the large set's stock balance: 8.8 MB of JSON, 36 -> 22 MB at the decode's peak).
_JSON = msgspec.json.Decoder(float_hook=_decimal)

_LOGIN_HINTS = ("<form", "password", "пароль", "вход", "login", "авториз")
_FIELD_IN_MESSAGE = re.compile(r"(?:свойства|Свойство|поле|Поле)\s+['\"«]([^'\"»]+)['\"»]")


def encode_json(obj: Any) -> bytes:
    """JSON with Decimal as a bare number (1C's Edm.Double) and Cyrillic kept."""
    out: list[str] = []
    _encode(obj, out)
    return "".join(out).encode("utf-8")


def _encode(obj: Any, out: list[str]) -> None:
    if isinstance(obj, dict):
        out.append("{")
        for i, (k, v) in enumerate(obj.items()):
            out.append(("," if i else "") + json.dumps(str(k), ensure_ascii=False) + ":")
            _encode(v, out)
        out.append("}")
    elif isinstance(obj, list | tuple):
        out.append("[")
        for i, v in enumerate(obj):
            out.append("," if i else "")
            _encode(v, out)
        out.append("]")
    elif isinstance(obj, Decimal):
        if not obj.is_finite():
            raise ValueError(f"cannot send {obj} to 1C")
        out.append(format(obj, "f"))
    elif isinstance(obj, float):
        raise TypeError("floats are never sent to 1C: use Decimal")
    elif obj is None or isinstance(obj, str | int | bool):
        out.append(json.dumps(obj, ensure_ascii=False))
    else:
        raise TypeError(f"cannot send {type(obj).__name__} to 1C")


def answer(resp: httpx.Response, body: bytes, entity: str, expect: str) -> Any:
    """The answer's JSON (or bytes, or None), or the error it means, in words; ``body``
    is the answer's content, read apart from ``resp`` (``Transport._once``)."""
    if not 200 <= resp.status_code < 300:
        _refuse(resp, body, entity)
    return _data(resp, body, entity, expect)


def _data(resp: httpx.Response, body: bytes, entity: str, expect: str) -> Any:
    """A 2xx answer's content; a web page instead of data is an error."""
    status = resp.status_code
    ctype = resp.headers.get("content-type", "").lower()
    if _is_html(ctype, body):
        text = body.decode("utf-8", "replace").lower()
        if any(h in text for h in _LOGIN_HINTS):
            raise err.OnecAuthError(
                tr(
                    "1C answered with a login page instead of data (HTTP 200): the web "
                    "server in front of 1C did not pass the login on; this is not a "
                    "wrong password — check that the publication allows OData with "
                    "Basic authentication, and run again if it was a passing fault"
                ),
                entity=entity,
                status=status,
            )
        raise err.OnecBadResponse(
            tr("1C answered with a web page instead of data for {what}").format(
                what=entity or tr("the request")
            ),
            entity=entity,
            status=status,
        )
    if expect == "none" or not body.strip():
        return None
    if expect == "bytes":
        return body
    try:  # from the bytes: no text of the whole answer beside them (issue 18, memory)
        return _JSON.decode(memoryview(body)[3:] if body.startswith(codecs.BOM_UTF8) else body)
    except ValueError:  # msgspec.DecodeError, malformed UTF-8 included
        raise err.OnecBadResponse(
            tr("1C sent malformed JSON for {what}").format(what=entity or tr("the request")),
            entity=entity,
            status=status,
        ) from None


def _refuse(resp: httpx.Response, body: bytes, entity: str) -> NoReturn:
    """Raise the error a non-2xx answer means (1C's code and message kept)."""
    status = resp.status_code
    code, message = _odata_error(body)
    field = ""
    m = _FIELD_IN_MESSAGE.search(message)
    if m:
        field = m.group(1)
    kw: dict[str, Any] = {
        "entity": entity,
        "field": field,
        "status": status,
        "onec_code": code,
        "onec_message": message,
    }
    what = entity or tr("the request")
    if status == 401:
        if code == "20" and "www-authenticate" not in resp.headers:
            raise err.OnecAccessDenied(
                tr("the 1C user has no right to this data: {what}").format(what=what), **kw
            )
        raise err.OnecAuthError(tr("1C did not accept the user name or password"), **kw)
    if status == 403:
        raise err.OnecAccessDenied(
            tr("the 1C user has no right to this data: {what}").format(what=what), **kw
        )
    if status == 404:
        if code == "9":
            raise err.OnecNotFound(tr("1C has no such record in {what}").format(what=what), **kw)
        raise err.OnecNotFound(
            tr("1C does not publish {what} over OData: add it to the OData composition").format(
                what=what
            ),
            **kw,
        )
    if status == 412:
        raise err.OnecConflict(
            tr("the record in {what} was changed in 1C meanwhile").format(what=what), **kw
        )
    if code == "15":
        raise err.OnecAlreadyExists(f"a record with this key already exists in {what}", **kw)
    if status in (502, 503, 504):
        raise err.OnecUnavailable(
            tr("the web server in front of 1C answered {status}: 1C is restarting or busy").format(
                status=status
            ),
            **kw,
        )
    if status >= 500:
        detail = f": {message}" if message else ""
        raise err.OnecServerError(
            tr("1C failed while handling {what}").format(what=what) + detail, **kw
        )
    if 400 <= status < 500:
        where = tr(" (field {field})").format(field=field) if field else ""
        raise err.OnecBadRequest(
            tr("1C refused the request for {what}").format(what=what)
            + f"{where}: {message or status}",
            **kw,
        )
    raise err.OnecBadResponse(f"unexpected answer {status} from 1C for {what}", **kw)


def key_path(entity: str, ref: str) -> str:
    return f"{entity}({lit.guid(ref)})"


def values(data: Any, entity: str) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get("value"), list):
        raise err.OnecBadResponse(
            f"1C sent an answer without a list of records for {entity}", entity=entity
        )
    return data["value"]  # type: ignore[no-any-return]


def transport_words(exc: httpx.TransportError) -> str:
    """What went wrong on the line, in words (never an exception class)."""
    if isinstance(exc, httpx.ConnectError):
        return tr("the server does not answer at this address (is 1C's web server running?)")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return tr("the connection was closed without an answer")
    if isinstance(exc, httpx.ProxyError):
        return tr("the proxy refused the connection")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return tr("the address is not an http(s) address")
    return tr("the connection failed")


def _is_html(ctype: str, body: bytes) -> bool:
    head = body.lstrip()[:15].lower()
    return "text/html" in ctype or head.startswith((b"<!doctype", b"<html"))


def _odata_error(body: bytes) -> tuple[str, str]:
    """1C's ``odata.error`` (JSON) or ``m:error`` (XML); ("", "") for anything else."""
    text = body.decode("utf-8", "replace").lstrip("\ufeff").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
            e = data["odata.error"]
            msg = e.get("message", "")
            return str(e.get("code", "")), str(
                msg.get("value", "") if isinstance(msg, dict) else msg
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return "", ""
    if text.startswith("<?xml") or text.startswith("<m:error"):
        try:
            root = ET.fromstring(text)  # noqa: S314 - error body of the user's own 1C
        except ET.ParseError:
            return "", ""
        ns = "{http://schemas.microsoft.com/ado/2007/08/dataservices/metadata}"
        return (root.findtext(f"{ns}code") or "", root.findtext(f"{ns}message") or "")
    return "", ""


def host(url: str) -> str:
    return urlsplit(url).netloc.rpartition("@")[2]


def doing(method: str, entity: str) -> str:
    what = entity or tr("the service")
    doing = {
        "GET": tr("reading {what}"),
        "POST": tr("writing to {what}"),
        "PATCH": tr("changing {what}"),
        "DELETE": tr("deleting from {what}"),
    }.get(method, "{what}")
    return doing.format(what=what)
