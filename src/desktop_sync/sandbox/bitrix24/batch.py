"""``batch``: up to 50 commands in one request (research/bitrix24.md §3 "Batch").

Each command is ``method?query``; the query is parsed with PHP's ``parse_str``,
then every text value is searched for ``$result[..]``, ``$next[..]``,
``$total[..]``, ``$time[..]``, ``$error[..]`` (regex
``\\$(result|next|total|time|error)([^\\s]*)``), walked key by key until a key is
missing:

- a value that *is* the placeholder becomes the resolved value, whatever it is
  (an int, or the parent array when the path is cut short);
- a placeholder inside longer text is replaced only when the resolved value is
  text or a number; otherwise the literal text stays.

A command over PHP's ``max_input_vars`` (1,000 variables) is refused in its
``result_error`` (``MAX_INPUT_VARS_EXCEEDED``), not cut short as PHP would.

HTTP status is always 200; errors go to ``result_error[key]``; ``halt=1`` stops
at the first error and leaves later keys out; empty maps come back as ``[]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop_sync.sandbox.bitrix24.args import as_dict, yes
from desktop_sync.sandbox.bitrix24.errors import RestError, input_vars_exceeded
from desktop_sync.sandbox.bitrix24.phpquery import InputVarsExceeded, parse_str

MAX_COMMANDS = 50
PLACEHOLDER = re.compile(r"\$(result|next|total|time|error)([^\s]*)", re.IGNORECASE)
_PATH = re.compile(r"\[([^\]]*)\]")
NOT_ALLOWED = {"batch"}


@dataclass
class SubResult:
    result: Any = None
    total: int | None = None
    next: int | None = None
    time: dict[str, Any] | None = None
    error: RestError | None = None


# what a batch answers per command, in the answer's order; a later command's
# `$result[key]`-style reference names one of these kinds
KINDS = ("result", "error", "total", "next", "time")
# the batch so far: kind -> command key -> its value
BatchState = dict[str, dict[str, Any]]


def _walk(data: Any, path: str) -> Any:
    node = data
    for key in _PATH.findall(path):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            break
    return node


def substitute(value: Any, state: BatchState) -> Any:
    if isinstance(value, dict):
        return {k: substitute(v, state) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, state) for v in value]
    if not isinstance(value, str) or "$" not in value:
        return value
    whole = PLACEHOLDER.fullmatch(value)
    if whole:
        return _walk(state[whole.group(1).lower()], whole.group(2))

    def repl(m: re.Match[str]) -> str:
        resolved = _walk(state[m.group(1).lower()], m.group(2))
        if isinstance(resolved, bool) or not isinstance(resolved, (str, int, float)):
            return m.group(0)
        return str(resolved)

    return PLACEHOLDER.sub(repl, value)


Runner = Callable[[str, dict[str, Any]], SubResult]


def run_batch(params: dict[str, Any], run: Runner) -> dict[str, Any]:
    halt = yes(params.get("halt", 0))
    commands = as_dict(params.get("cmd"))
    state: BatchState = {kind: {} for kind in KINDS}
    for index, (key, command) in enumerate(commands.items()):
        if index >= MAX_COMMANDS:
            state["error"][key] = {
                "error": "ERROR_BATCH_LENGTH_EXCEEDED",
                "error_description": "Max batch length exceeded",
            }
            continue
        method_name, _, query = str(command).partition("?")
        method_name = method_name.strip().lower()
        if method_name.endswith(".json"):
            method_name = method_name[:-5]
        if method_name in NOT_ALLOWED:
            sub = SubResult(
                error=RestError(
                    400, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage"
                )
            )
        else:
            try:
                sub_params = parse_str(query)
            except InputVarsExceeded as exc:  # stricter than PHP, which drops the rest
                sub = SubResult(error=input_vars_exceeded(exc.count, exc.limit))
            else:
                sub = run(method_name, substitute(sub_params, state))
        if sub.error is not None:
            state["error"][key] = sub.error.body()
            if halt:
                break
            continue
        state["result"][key] = sub.result
        for kind, value in (("total", sub.total), ("next", sub.next), ("time", sub.time)):
            if value is not None:
                state[kind][key] = value
    return {("result" if kind == "result" else f"result_{kind}"): state[kind] for kind in KINDS}
