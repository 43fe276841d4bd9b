"""PHP's ``http_build_query``, for batch command strings.

``{"filter": {">ID": 5}, "select": ["ID", "TITLE"]}`` becomes
``filter%5B%3EID%5D=5&select%5B0%5D=ID&select%5B1%5D=TITLE``: keys nested with
brackets, lists indexed, ``urlencode`` (spaces as ``+``), ``True``/``False`` as
``1``/``0``, ``None`` left out (PHP drops nulls, so a null cannot travel in a
batch command: research §3).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

# What urllib's quote_plus(text, safe="") escapes, the space aside (it becomes "+").
_UNSAFE = re.compile(rb"[^A-Za-z0-9_.~ -]")
_ESCAPED = {bytes([b]): b"%%%02X" % b for b in range(256)}


def quote_plus(text: str) -> str:
    """``urllib.parse.quote_plus(text, safe="")``, the same string, made by one regular
    expression over the UTF-8 bytes: urllib looks every character up in turn (in Python
    3.11), about 2 ms of CPU for a PDF's 50 KB of Base64 in a timeline comment, done
    twice for each PDF (its size, then the batch); this is a quarter of that (issue 18)."""
    data = _UNSAFE.sub(lambda m: _ESCAPED[m.group()], text.encode("utf-8"))
    return data.decode("ascii").replace(" ", "+")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _pairs(prefix: str, value: Any, out: list[str]) -> None:
    kind = type(value)
    if kind is str:  # most values: no ABC checks before them
        out.append(f"{_quoted_key(prefix)}={quote_plus(value)}")
    elif kind is bytes:  # a file's content: Base64, made here (as JSON carries bytes)
        out.append(f"{_quoted_key(prefix)}={quote_plus(base64.b64encode(value).decode())}")
    elif value is None:
        return
    elif kind is dict or isinstance(value, Mapping):
        for k, v in value.items():
            _pairs(f"{prefix}[{k}]", v, out)
    elif kind is list or kind is tuple or isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _pairs(f"{prefix}[{i}]", v, out)
    else:
        out.append(f"{_quoted_key(prefix)}={quote_plus(_scalar(value))}")


# The same keys come back in every command (``fields[TITLE]``): quoted once.
_quoted_key = functools.lru_cache(maxsize=4096)(quote_plus)


def http_build_query(params: Mapping[str, Any]) -> str:
    out: list[str] = []
    for key, value in params.items():
        _pairs(str(key), value, out)
    return "&".join(out)


# php.ini's max_input_vars: PHP's parse_str keeps the first 1,000 variables of a batch
# command and silently drops the rest (a variable is a pair, however deep its key).
MAX_VARS = 1000


def variables(params: Mapping[str, Any]) -> int:
    """The variables of ``http_build_query(params)``, as PHP counts them: one for each
    leaf that is not null."""
    return sum(_leaves(value) for value in params.values())


def _leaves(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, Mapping):
        return sum(_leaves(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_leaves(v) for v in value)
    return 1
