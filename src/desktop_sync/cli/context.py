"""What every command gets: paths, the chosen profile name, output mode."""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass
from typing import Any

import click

from desktop_sync.config import AppPaths
from desktop_sync.domain.money import dumps_decimal
from desktop_sync.engine.profiles_door import ProfilesDoor
from desktop_sync.exitcodes import Exit


class CommandError(Exception):
    """A failure with its exit code and a one-line reason for the person."""

    def __init__(self, message: str, code: Exit = Exit.USAGE) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Context:
    paths: AppPaths
    profile_name: str | None

    def __post_init__(self) -> None:
        if self.profile_name is None:
            # ``desktop-sync demo`` leaves a ``demo`` profile (pointing at sandboxes that
            # stop with it): without --profile, one real profile beside it means that one
            self.profile_name = self.store.default_name()

    @property
    def store(self) -> ProfilesDoor:
        """The profiles, through the door (``engine.profiles_door``)."""
        return ProfilesDoor(self.paths)


pass_context = click.make_pass_decorator(Context)


def emit_json(obj: Any) -> None:
    """One JSON object on stdout (the ``--json`` contract)."""
    text = dumps_decimal(obj) + "\n"
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a test's capture
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    # UTF-8 whatever the console or code page: json.loads and ConvertFrom-Json expect it.
    sys.stdout.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()


def json_fields(record: object, spec: str) -> dict[str, Any]:
    """A record as a ``--json`` object, in ``spec``'s order: ``"id kind record=record_label"``
    names the keys (``key=attribute`` when they differ); times as ISO 8601."""
    out: dict[str, Any] = {}
    for item in spec.split():
        key, _, attr = item.partition("=")
        value = getattr(record, attr or key)
        out[key] = value.isoformat() if isinstance(value, dt.datetime) else value
    return out


def echo(text: str = "") -> None:
    click.echo(text)


__all__ = ["CommandError", "Context", "echo", "emit_json", "json", "json_fields", "pass_context"]
