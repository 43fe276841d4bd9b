"""PHP's ``parse_str`` as the portal applies it to query strings, forms and batch commands.

``filter[>ID]=5&select[]=ID&select[]=TITLE`` becomes
``{"filter": {">ID": "5"}, "select": ["ID", "TITLE"]}``. PHP arrays are ordered
maps; an array whose keys are exactly ``0..n-1`` becomes a Python list (as
``json_encode`` would write it), any other array a dict with text keys. Every
leaf is a string, as in PHP.

PHP keeps at most ``max_input_vars`` (1,000 by default) variables of one query string
and drops the rest with a warning; the sandbox refuses instead (``InputVarsExceeded``),
so a client's command that a real portal would cut short fails a test loudly.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote_plus

_KEY = re.compile(r"\[([^\]]*)\]")
# php.ini's max_input_vars default
MAX_INPUT_VARS = 1000


class InputVarsExceeded(ValueError):
    """A query string with more variables than PHP keeps (``max_input_vars``)."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"Input variables exceeded {limit} ({count} given)")
        self.count = count
        self.limit = limit


def count_vars(query: str) -> int:
    """The variables PHP counts against ``max_input_vars``: every non-empty
    ``&``-separated pair (``php_default_treat_data`` splits with ``strtok``), however
    deep its key: ``filter[@ID][]=5`` is one, as ``a=1`` is."""
    return sum(1 for pair in query.split("&") if pair)


def parse_str(query: str, *, max_vars: int | None = MAX_INPUT_VARS) -> dict[str, Any]:
    """Parse ``query`` like PHP's ``parse_str`` (last value wins, ``[]`` appends).

    Stricter than PHP: over ``max_vars`` variables raises ``InputVarsExceeded`` where
    PHP would keep the first ``max_vars`` and silently drop the rest (``None``: no limit).
    """
    if max_vars is not None and query.count("&") >= max_vars:  # else surely within
        count = count_vars(query)
        if count > max_vars:
            raise InputVarsExceeded(count, max_vars)
    root: dict[str, Any] = {}
    for pair in query.split("&"):
        if not pair:
            continue
        raw_key, _, raw_value = pair.partition("=")
        head, path = _key(raw_key)
        value = unquote_plus(raw_value)
        if not head:
            continue
        _assign(root, head, path, value)
    result: dict[str, Any] = normalize(root)
    return result


@functools.lru_cache(maxsize=4096)
def _key(raw: str) -> tuple[str, tuple[str, ...]]:
    """The name and the bracketed path of a pair's key as sent, read once for every
    command that sends it again (``fields%5BTITLE%5D``: the sandbox's own CPU, issue 18)."""
    head, path = _split_key(unquote_plus(raw))
    return head, tuple(path)


def _split_key(key: str) -> tuple[str, list[str]]:
    bracket = key.find("[")
    if bracket <= 0:
        # PHP turns spaces and dots in the top-level name into underscores.
        return key.replace(" ", "_").replace(".", "_"), []
    head = key[:bracket].replace(" ", "_").replace(".", "_")
    path: list[str] = []
    pos = bracket
    while pos < len(key):
        m = _KEY.match(key, pos)
        if not m:
            break  # PHP ignores anything after an unmatched bracket
        path.append(m.group(1))
        pos = m.end()
    return head, path


def _assign(container: dict[str, Any], head: str, path: Sequence[str], value: str) -> None:
    if not path:
        container[head] = value
        return
    node = container.get(head)
    if not isinstance(node, dict):
        node = {}
        container[head] = node
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if part == "":
            part = str(_next_index(node))
        if last:
            node[part] = value
        else:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child


def _next_index(node: dict[str, Any]) -> int:
    ints = [int(k) for k in node if k.lstrip("-").isdigit()]
    return max(ints) + 1 if ints else 0


def normalize(value: Any) -> Any:
    """Turn dicts keyed ``"0".."n-1"`` into lists, recursively (``json_encode``'s rule)."""
    if isinstance(value, dict):
        items = {str(k): normalize(v) for k, v in value.items()}
        if items and list(items) == [str(i) for i in range(len(items))]:
            return list(items.values())
        return items
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value
